/* Host side of conv2d (cl/conv.cl), in chunks of images that fit a
 * workspace: im2col of the chunk + one CLBlast SGEMM (strided-batched over
 * the groups) + a reorder to NCHW with the bias; backward-data as a
 * reorder of dy + GEMM + col2im (a gather, deterministic); backward-weights
 * as one GEMM per chunk over its images' pixels, accumulated chunk by chunk
 * in queue order (deterministic); bias gradient through the shared group
 * sum. A chunk of one image is the per-image path: its planes are the GEMM's
 * operand, with no reorder. The padding (asymmetric, 'same', PyTorch's
 * modes) lives in im2col and col2im alone. The passes and the option checks
 * serve conv_transpose.c and conv1d.c too (conv_internal.h). */
#include "conv_internal.h"
#include "tune_family.h"

#include <limits.h>
#include <stdlib.h>

#define CLNN_TABLE "conv/conv_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* A 3x3 convolution, padding 1, of two [P0, s, s] images to P0 channels,
 * s x s about P1 pixels (one image for bias_add: the bias of a chunk of one
 * image is not fused into the reordering). */
static clnn_status exercise_conv(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t c = problem[0], s = clnn__exercise_side(problem[1]), n = t == &tune_bias_add ? 1 : 2;
    clnn_conv2d_options p = {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 1, 0, 0, {0, 0}, 0, {0, 0}};
    clnn_tensor *x = EX_RAND(&b, n, c, s, s), *w = EX_RAND(&b, c, c, 3, 3), *y = EX_RAND(&b, n, c, s, s);
    if (t == &tune_col2im || t == &tune_rows_from_planes) EX_STEP(&b, clnn_conv2d_backward_data(ctx, y, w, &p, x));
    else EX_STEP(&b, clnn_conv2d_forward(ctx, x, w, EX_RAND(&b, c), &p, y));
    return clnn__exercise_end(&b);
}

typedef clnn__conv_geom conv_geom;

clnn_status clnn__conv_check_axis(clnn_context *ctx, const char *fn, const char *suffix, int stride, int dilation,
                                  int pad, int pad_extra, int output_padding, int transposed)
{
    CHECK_ARG(ctx, stride >= 1, "%s: params->stride%s = %d must be >= 1", fn, suffix, stride);
    CHECK_ARG(ctx, dilation >= 1, "%s: params->dilation%s = %d must be >= 1", fn, suffix, dilation);
    CHECK_ARG(ctx, pad >= 0 && pad <= 65535, "%s: params->pad%s = %d must be in [0, 65535]", fn, suffix, pad);
    CHECK_ARG(ctx, pad_extra >= -pad && pad_extra <= 65535 - pad,
              "%s: params->pad_extra%s = %d must be in [-pad, 65535 - pad] = [%d, %d] (the bottom or right padding "
              "pad + pad_extra in [0, 65535])",
              fn, suffix, pad_extra, -pad, 65535 - pad);
    if (transposed)
        CHECK_ARG(ctx, output_padding >= 0 && (output_padding < stride || output_padding < dilation),
                  "%s: params->output_padding%s = %d must be >= 0 and smaller than the stride (%d) or the dilation "
                  "(%d), as in PyTorch",
                  fn, suffix, output_padding, stride, dilation);
    else
        CHECK_ARG(ctx, output_padding == 0,
                  "%s: params->output_padding%s = %d must be 0 (it is for transposed convolutions)", fn, suffix,
                  output_padding);
    return CLNN_OK;
}

clnn_status clnn__conv_check_common(clnn_context *ctx, const char *fn, int groups, int padding_mode, int pad_same,
                                    int accumulate, int strides_one, int pads_zero, int pads_extra_zero,
                                    int transposed)
{
    CHECK_ARG(ctx, groups >= 1, "%s: params->groups = %d must be >= 1", fn, groups);
    CHECK_ARG(ctx, padding_mode >= CLNN_PAD_ZEROS && padding_mode <= CLNN_PAD_CIRCULAR,
              "%s: params->padding_mode = %d is not a clnn_padding_mode (0 zeros, 1 reflect, 2 replicate, 3 "
              "circular)",
              fn, padding_mode);
    CHECK_ARG(ctx, pad_same == 0 || pad_same == 1, "%s: params->pad_same = %d must be 0 or 1", fn, pad_same);
    CHECK_ARG(ctx, accumulate == 0 || accumulate == 1, "%s: params->accumulate = %d must be 0 or 1", fn, accumulate);
    if (transposed) {
        CHECK_ARG(ctx, padding_mode == CLNN_PAD_ZEROS,
                  "%s: params->padding_mode = %d: transposed convolutions pad with zeros only (as PyTorch's)", fn,
                  padding_mode);
        CHECK_ARG(ctx, !pad_same, "%s: params->pad_same = 1: transposed convolutions have no 'same' padding", fn);
        CHECK_ARG(ctx, pads_extra_zero,
                  "%s: params->pad_extra must be 0: transposed convolutions pad both sides alike (as PyTorch's)", fn);
    }
    if (pad_same) {
        CHECK_ARG(ctx, strides_one, "%s: params->pad_same = 1 needs stride 1 (PyTorch: padding='same' is not "
                                    "supported for strided convolutions)",
                  fn);
        CHECK_ARG(ctx, pads_zero, "%s: params->pad_same = 1 computes the padding: pad and pad_extra must be 0", fn);
    }
    return CLNN_OK;
}

clnn_status clnn__conv_axis(clnn_context *ctx, const char *fn, const char *what, const char *filt_name, size_t n,
                            size_t k, int stride, int dilation, int pad, int pad_extra, int pad_same, int mode,
                            int *before, int *after, size_t *out)
{
    size_t span = (size_t)dilation * (k - 1) + 1;
    if (pad_same) { /* PyTorch: total = dilation*(k-1), floor(total/2) before, the rest after */
        CHECK_SHAPE(ctx, span - 1 <= 2 * 65535u, "%s: the 'same' padding of the %s, %zu, exceeds 2 x 65535", fn, what,
                    span - 1);
        *before = (int)((span - 1) / 2);
        *after = (int)(span - 1) - *before;
    } else {
        *before = pad;
        *after = pad + pad_extra;
    }
    if (mode == CLNN_PAD_REFLECT)
        CHECK_SHAPE(ctx, (size_t)*before < n && (size_t)*after < n,
                    "%s: reflect padding (%d, %d) of the %s must be smaller than the input's %zu (as PyTorch's)", fn,
                    *before, *after, what, n);
    if (mode == CLNN_PAD_CIRCULAR)
        CHECK_SHAPE(ctx, (size_t)*before <= n && (size_t)*after <= n,
                    "%s: circular padding (%d, %d) of the %s must be at most the input's %zu (PyTorch: it would wrap "
                    "around more than once)",
                    fn, *before, *after, what, n);
    size_t ext = n + (size_t)*before + (size_t)*after;
    CHECK_SHAPE(ctx, span <= ext, "%s: the dilated window of %s spans %zu in the %s, more than the padded input's %zu",
                fn, filt_name, span, what, ext);
    *out = (ext - span) / (size_t)stride + 1;
    return CLNN_OK;
}

clnn_status clnn__conv_check_sizes(clnn_context *ctx, const char *fn, const conv_geom *g)
{
    size_t PQ = g->P * g->Q;
    CHECK_SHAPE(ctx,
                g->C * g->R * g->S <= UINT_MAX / PQ && g->N * g->C * g->H * g->W <= UINT_MAX &&
                    g->N * g->K * PQ <= UINT_MAX,
                "%s: sizes beyond 2^32 elements per tensor or workspace are not supported", fn);
    return CLNN_OK;
}

/* Validates params and the three tensors of a conv2d call and derives the sizes. */
static clnn_status conv_validate(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_conv2d_options *prm,
                                 const clnn_tensor *img, const char *img_name, const clnn_tensor *filt,
                                 const char *filt_name, const clnn_tensor *out, const char *out_name, conv_geom *g)
{
    static const char *const suffix[2] = {"[0]", "[1]"};
    for (int i = 0; i < 2; i++)
        TRY(clnn__conv_check_axis(ctx, fn, suffix[i], prm->stride[i], prm->dilation[i], prm->pad[i],
                                  prm->pad_extra[i], prm->output_padding[i], 0));
    TRY(clnn__conv_check_common(ctx, fn, prm->groups, prm->padding_mode, prm->pad_same, prm->accumulate,
                                prm->stride[0] == 1 && prm->stride[1] == 1,
                                !prm->pad[0] && !prm->pad[1] && !prm->pad_extra[0] && !prm->pad_extra[1],
                                !prm->pad_extra[0] && !prm->pad_extra[1], 0));
    TRY(clnn__check_shape(ctx, fn, d, img_name, img, "N,C,H,W"));
    TRY(clnn__check_shape(ctx, fn, d, filt_name, filt, "K,_,R,S"));
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "_,_,_,_")); /* its sizes once P and Q are known */
    g->N = img->shape[0], g->C = img->shape[1], g->H = img->shape[2], g->W = img->shape[3];
    g->K = filt->shape[0], g->R = filt->shape[2], g->S = filt->shape[3], g->G = (size_t)prm->groups;
    CHECK_SHAPE(ctx, g->C % g->G == 0 && g->K % g->G == 0,
                "%s: groups = %zu must divide the %zu input channels of %s and the %zu filters of %s", fn, g->G,
                g->C, img_name, g->K, filt_name);
    CHECK_SHAPE(ctx, filt->shape[1] == g->C / g->G,
                "%s: %s has %zu input channels per filter, expected C/groups = %zu", fn, filt_name, filt->shape[1],
                g->C / g->G);
    g->sh = prm->stride[0], g->sw = prm->stride[1], g->dh = prm->dilation[0], g->dw = prm->dilation[1];
    g->mode = prm->padding_mode, g->accumulate = prm->accumulate;
    TRY(clnn__conv_axis(ctx, fn, "height", filt_name, g->H, g->R, g->sh, g->dh, prm->pad[0], prm->pad_extra[0],
                        prm->pad_same, g->mode, &g->pt, &g->pb, &g->P));
    TRY(clnn__conv_axis(ctx, fn, "width", filt_name, g->W, g->S, g->sw, g->dw, prm->pad[1], prm->pad_extra[1],
                        prm->pad_same, g->mode, &g->pl, &g->pr, &g->Q));
    clnn__dims_bind(d, 'P', g->P, "params");
    clnn__dims_bind(d, 'Q', g->Q, "params");
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "N,K,P,Q"));
    g->crs_g = g->C / g->G * g->R * g->S;
    return clnn__conv_check_sizes(ctx, fn, g);
}

/* A chunk of images [n0, n0 + images) that one GEMM per pass covers: the
 * column matrix col [CRS, images·PQ] and, when the chunk has more than one
 * image, the product in the GEMMs' order, rows [K, images·PQ] (NULL: one
 * image, whose planes of y or dy are that product already). */
typedef struct conv_chunk {
    size_t n0, images;
    cl_mem col, rows;
} conv_chunk;

/* The GEMM operands, strided over the G groups: the filters [K/G, CRS/G]
 * (w or dw), the column matrix [CRS/G, images·PQ] and the product
 * [K/G, images·PQ] (y or dy, in rows or in the image's planes). */
static clnn__gemm_operand filters_of(cl_mem buf, const conv_geom *g)
{
    return (clnn__gemm_operand){buf, 0, g->crs_g, g->K / g->G * g->crs_g};
}

static clnn__gemm_operand columns_of(const conv_chunk *c, const conv_geom *g)
{
    size_t cols = c->images * g->P * g->Q;
    return (clnn__gemm_operand){c->col, 0, cols, g->crs_g * cols};
}

static clnn__gemm_operand product_of(const conv_chunk *c, cl_mem out, const conv_geom *g)
{
    size_t cols = c->images * g->P * g->Q;
    if (c->rows) return (clnn__gemm_operand){c->rows, 0, cols, g->K / g->G * cols};
    return (clnn__gemm_operand){out, c->n0 * g->K * g->P * g->Q, cols, g->K / g->G * cols};
}

/* im2col or col2im of a chunk: the two kernels share their argument list. */
static clnn_status run_colmap(clnn_context *ctx, const char *fn, const clnn__tunable *t, const conv_chunk *c,
                              cl_mem img, const conv_geom *g)
{
    cl_uint off = (cl_uint)(c->n0 * g->C * g->H * g->W);
    cl_uint4 images = clnn__divisor((cl_uint)c->images), C = clnn__divisor((cl_uint)g->C),
             H = clnn__divisor((cl_uint)g->H), W = clnn__divisor((cl_uint)g->W), R = clnn__divisor((cl_uint)g->R),
             S = clnn__divisor((cl_uint)g->S), P = clnn__divisor((cl_uint)g->P), Q = clnn__divisor((cl_uint)g->Q),
             sh = clnn__divisor((cl_uint)g->sh), sw = clnn__divisor((cl_uint)g->sw);
    cl_uint ph = (cl_uint)g->pt, pw = (cl_uint)g->pl, dh = (cl_uint)g->dh, dw = (cl_uint)g->dw, pb = (cl_uint)g->pb,
            pr = (cl_uint)g->pr;
    cl_int mode = g->mode;
    int to_col = t == &tune_im2col;
    size_t problem[2] = {c->images * (to_col ? g->C * g->R * g->S * g->P * g->Q : g->C * g->H * g->W), 1};
    cl_mem dst = to_col ? c->col : img, src = to_col ? img : c->col;
    clnn__karg a[] = {KARG_BUF(dst), KARG_BUF(src), KARG(off), KARG(images), KARG(C), KARG(H), KARG(W), KARG(R),
                      KARG(S),       KARG(P),       KARG(Q),   KARG(sh),     KARG(sw), KARG(ph), KARG(pw), KARG(dh),
                      KARG(dw),      KARG(pb),      KARG(pr),  KARG(mode)};
    return clnn__run(ctx, fn, t, problem, sizeof a / sizeof a[0], a);
}

/* A chunk's product rows back into the planes of y, adding b (NULL: none). */
static clnn_status run_planes_from_rows(clnn_context *ctx, const char *fn, const conv_chunk *c, cl_mem y, cl_mem b,
                                        const conv_geom *g)
{
    cl_uint off = (cl_uint)(c->n0 * g->K * g->P * g->Q);
    cl_uint4 images = clnn__divisor((cl_uint)c->images), K = clnn__divisor((cl_uint)g->K),
             PQ = clnn__divisor((cl_uint)(g->P * g->Q));
    cl_int has_bias = b != NULL;
    cl_mem bias = b ? b : c->rows;
    size_t problem[2] = {c->images * g->K * g->P * g->Q, 1};
    clnn__karg a[] = {KARG_BUF(y), KARG_BUF(c->rows), KARG_BUF(bias), KARG(off), KARG(images), KARG(K), KARG(PQ),
                      KARG(has_bias)};
    return clnn__run(ctx, fn, &tune_planes_from_rows, problem, sizeof a / sizeof a[0], a);
}

/* A chunk of dy's planes into product rows. */
static clnn_status run_rows_from_planes(clnn_context *ctx, const char *fn, const conv_chunk *c, cl_mem dy,
                                        const conv_geom *g)
{
    cl_uint off = (cl_uint)(c->n0 * g->K * g->P * g->Q);
    cl_uint4 images = clnn__divisor((cl_uint)c->images), K = clnn__divisor((cl_uint)g->K),
             PQ = clnn__divisor((cl_uint)(g->P * g->Q));
    size_t problem[2] = {c->images * g->K * g->P * g->Q, 1};
    clnn__karg a[] = {KARG_BUF(c->rows), KARG_BUF(dy), KARG(off), KARG(images), KARG(K), KARG(PQ)};
    return clnn__run(ctx, fn, &tune_rows_from_planes, problem, sizeof a / sizeof a[0], a);
}

/* The passes over the chunks (conv_internal.h); the weights pass's first
 * chunk overwrites dw unless the call accumulates. */
enum { CONV_FORWARD = CLNN__CONV_FORWARD, CONV_DATA = CLNN__CONV_DATA, CONV_WEIGHTS = CLNN__CONV_WEIGHTS };

/* One chunk of a pass: img is x or dx, filt w or dw, out y or dy; b the
 * forward's bias (NULL: none), added with the reordering of a chunk of
 * several images (conv_pass adds it for chunks of one). */
static clnn_status conv_chunk_pass(clnn_context *ctx, const char *fn, int pass, const conv_geom *g,
                                   const conv_chunk *c, cl_mem img, cl_mem filt, cl_mem out, cl_mem b)
{
    const size_t cols = c->images * g->P * g->Q, Kg = g->K / g->G;
    if (pass != CONV_FORWARD && c->rows) TRY(run_rows_from_planes(ctx, fn, c, out, g));
    if (pass == CONV_DATA) { /* dcol_g [CRS/G, cols] = w_g^T . dy_g */
        TRY(clnn__sgemm(ctx, fn, 1, 0, g->crs_g, cols, Kg, 1.0f, filters_of(filt, g), product_of(c, out, g), 0.0f,
                        columns_of(c, g), g->G));
        return run_colmap(ctx, fn, &tune_col2im, c, img, g);
    }
    TRY(run_colmap(ctx, fn, &tune_im2col, c, img, g));
    if (pass == CONV_FORWARD) {
        TRY(clnn__sgemm(ctx, fn, 0, 0, Kg, cols, g->crs_g, 1.0f, filters_of(filt, g), columns_of(c, g), 0.0f,
                        product_of(c, out, g), g->G));
        return c->rows ? run_planes_from_rows(ctx, fn, c, out, b, g) : CLNN_OK;
    }
    /* dw_g [K/G, CRS/G] (+)= dy_g . col_g^T */
    return clnn__sgemm(ctx, fn, 0, 1, Kg, g->crs_g, cols, 1.0f, product_of(c, out, g), columns_of(c, g),
                       c->n0 || g->accumulate ? 1.0f : 0.0f, filters_of(filt, g), g->G);
}

clnn_status clnn__conv_bias_add(clnn_context *ctx, const char *fn, cl_mem y, cl_mem b, size_t n, size_t planes,
                                size_t channels)
{
    cl_uint count = (cl_uint)n;
    cl_uint4 plane = clnn__divisor((cl_uint)planes), K = clnn__divisor((cl_uint)channels);
    size_t problem[2] = {count, 1};
    clnn__karg a[] = {KARG_BUF(y), KARG_BUF(b), KARG(count), KARG(plane), KARG(K)};
    return clnn__run(ctx, fn, &tune_bias_add, problem, 5, a);
}

/* Bytes the column matrix and product rows of a chunk may take:
 * CLNN_CONV_WORKSPACE_KB (default 65536, 64 MiB; a value that is not a
 * whole number from 1 to 2^30 is ignored), at most the device's largest
 * allocation. */
static size_t workspace_bytes(const clnn_context *ctx)
{
    size_t kb = 65536;
    const char *env = getenv("CLNN_CONV_WORKSPACE_KB");
    if (env && *env >= '0' && *env <= '9') {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= (1ull << 30)) kb = (size_t)v;
    }
    size_t bytes = kb << 10;
    return ctx->info.max_alloc_size && ctx->info.max_alloc_size < bytes ? (size_t)ctx->info.max_alloc_size : bytes;
}

/* Images per chunk: as many as the workspace holds, with 32-bit indices into
 * the column matrix and the rows; at least one. */
static size_t chunk_images(const clnn_context *ctx, const conv_geom *g)
{
    size_t PQ = g->P * g->Q, crs = g->C * g->R * g->S;
    size_t per_image = (crs + g->K) * PQ * sizeof(float);
    size_t n = workspace_bytes(ctx) / per_image;
    size_t index_cap = UINT_MAX / ((crs > g->K ? crs : g->K) * PQ);
    if (n > index_cap) n = index_cap;
    if (n > g->N) n = g->N;
    return n ? n : 1;
}

/* A pass over every image of a validated call, chunk by chunk in image
 * order (the weights' sums are then in a fixed order too). b: the forward's
 * bias, or NULL. */
clnn_status clnn__conv_pass(clnn_context *ctx, const char *fn, int pass, const conv_geom *g, cl_mem img, cl_mem filt,
                            cl_mem out, cl_mem b)
{
    size_t per_chunk = chunk_images(ctx, g), PQ = g->P * g->Q;
    conv_chunk c = {0, 0, NULL, NULL};
    clnn_status st = clnn__scratch(ctx, fn, g->C * g->R * g->S * per_chunk * PQ, &c.col);
    if (st == CLNN_OK && per_chunk > 1) st = clnn__scratch(ctx, fn, g->K * per_chunk * PQ, &c.rows);
    for (c.n0 = 0; c.n0 < g->N && st == CLNN_OK; c.n0 += c.images) {
        c.images = g->N - c.n0 < per_chunk ? g->N - c.n0 : per_chunk;
        st = conv_chunk_pass(ctx, fn, pass, g, &c, img, filt, out, b);
    }
    if (c.col) clReleaseMemObject(c.col);
    if (c.rows) clReleaseMemObject(c.rows);
    /* chunks of one image have no reordering to carry the forward's bias */
    if (st == CLNN_OK && pass == CONV_FORWARD && b && per_chunk == 1) st = clnn__conv_bias_add(ctx, fn, out, b, g->N * g->K * PQ, PQ, g->K);
    return st;
}

/* A backward pass: validation, then the images. */
static clnn_status conv_backward(clnn_context *ctx, const char *fn, clnn__dims *d, int pass,
                                 const clnn_conv2d_options *prm, const clnn_tensor *img, const char *img_name,
                                 const clnn_tensor *filt, const char *filt_name, const clnn_tensor *out,
                                 const char *out_name)
{
    conv_geom g;
    TRY(conv_validate(ctx, fn, d, prm, img, img_name, filt, filt_name, out, out_name, &g));
    return clnn__conv_pass(ctx, fn, pass, &g, img->buffer, filt->buffer, out->buffer, NULL);
}

void clnn_conv2d_options_init(clnn_conv2d_options *opt)
{
    if (!opt) return;
    *opt = (clnn_conv2d_options){sizeof *opt, {1, 1}, {0, 0}, {1, 1}, 1, CLNN_PAD_ZEROS, 0, {0, 0}, 0, {0, 0}};
}

clnn_status clnn_conv2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w, const clnn_tensor *b,
                                const clnn_conv2d_options *params, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv2d_options, prm, params);
    conv_geom g;
    TRY(conv_validate(ctx, fn, &dims, &prm, x, "x", w, "w", y, "y", &g));
    if (b) {
        TRY(clnn__check_tensor(ctx, fn, "b", b));
        CHECK_SHAPE(ctx, b->dtype == CLNN_FLOAT32 && b->count == g.K,
                    "%s: b must be a float32 tensor of %zu elements (one per filter)", fn, g.K);
    }
    return clnn__conv_pass(ctx, fn, CONV_FORWARD, &g, x->buffer, w->buffer, y->buffer, b ? b->buffer : NULL);
}

clnn_status clnn_conv2d_backward_data(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *w,
                                      const clnn_conv2d_options *params, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv2d_options, prm, params);
    return conv_backward(ctx, fn, &dims, CONV_DATA, &prm, dx, "dx", w, "w", dy, "dy");
}

clnn_status clnn_conv2d_backward_weights(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                         const clnn_conv2d_options *params, clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv2d_options, prm, params);
    return conv_backward(ctx, fn, &dims, CONV_WEIGHTS, &prm, x, "x", dw, "dw", dy, "dy");
}

/* db (+)= the sums of dy [N, K, ...] (3 or 4 dimensions) over all but K. */
static clnn_status bias_gradient(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *dy,
                                 int accumulate, clnn_tensor *db)
{
    CHECK_ARG(ctx, accumulate == 0 || accumulate == 1, "%s: accumulate = %d must be 0 or 1", fn, accumulate);
    TRY(clnn__check_tensor(ctx, fn, "dy", dy));
    TRY(clnn__check_shape(ctx, fn, d, "dy", dy, dy->ndim == 3 ? "N,K,L" : "N,K,P,Q"));
    TRY(clnn__check_tensor(ctx, fn, "db", db));
    size_t N = dy->shape[0], K = dy->shape[1], PQ = dy->count / (N * K);
    CHECK_SHAPE(ctx, db->dtype == CLNN_FLOAT32 && db->count == K,
                "%s: db must be a float32 tensor of %zu elements (the channels of dy)", fn, K);
    TRY(clnn__check_count32(ctx, fn, "dy", dy));
    return clnn__group_sum_acc(ctx, fn, dy->buffer, db->buffer, K, N * PQ, PQ, PQ, K * PQ, 1.0f, accumulate);
}

clnn_status clnn_conv2d_backward_bias(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    return bias_gradient(ctx, fn, &dims, dy, 0, db);
}

clnn_status clnn_conv2d_backward_bias_accumulate(clnn_context *ctx, const clnn_tensor *dy, int accumulate,
                                                 clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    return bias_gradient(ctx, fn, &dims, dy, accumulate, db);
}
