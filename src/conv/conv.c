/* Host side of conv2d (cl/conv.cl), in chunks of images that fit a
 * workspace: im2col of the chunk + one CLBlast SGEMM (strided-batched over
 * the groups) + a reorder to NCHW with the bias; backward-data as a
 * reorder of dy + GEMM + col2im (a gather, deterministic); backward-weights
 * as one GEMM per chunk over its images' pixels, accumulated chunk by chunk
 * in queue order (deterministic); bias gradient through the shared group
 * sum. A chunk of one image is the per-image path: its planes are the GEMM's
 * operand, with no reorder. */
#include "internal.h"
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
    clnn_conv2d_options p = {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 1};
    clnn_tensor *x = EX_RAND(&b, n, c, s, s), *w = EX_RAND(&b, c, c, 3, 3), *y = EX_RAND(&b, n, c, s, s);
    if (t == &tune_col2im || t == &tune_rows_from_planes) EX_STEP(&b, clnn_conv2d_backward_data(ctx, y, w, &p, x));
    else EX_STEP(&b, clnn_conv2d_forward(ctx, x, w, EX_RAND(&b, c), &p, y));
    return clnn__exercise_end(&b);
}

/* Sizes of one convolution: image [N, C, H, W], filters [K, C/G, R, S], output [N, K, P, Q]. */
typedef struct conv_geom {
    size_t N, C, H, W, K, R, S, P, Q, G;
    size_t crs_g; /* (C/G)*R*S: the GEMM inner size of one group */
} conv_geom;

/* Validates params and the three tensors of a conv2d call and derives the sizes. */
static clnn_status conv_validate(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_conv2d_options *prm,
                                 const clnn_tensor *img, const char *img_name, const clnn_tensor *filt,
                                 const char *filt_name, const clnn_tensor *out, const char *out_name, conv_geom *g)
{
    for (int i = 0; i < 2; i++) {
        CHECK_ARG(ctx, prm->stride[i] >= 1, "%s: params->stride[%d] = %d must be >= 1", fn, i, prm->stride[i]);
        CHECK_ARG(ctx, prm->dilation[i] >= 1, "%s: params->dilation[%d] = %d must be >= 1", fn, i,
                  prm->dilation[i]);
        CHECK_ARG(ctx, prm->pad[i] >= 0 && prm->pad[i] <= 65535, "%s: params->pad[%d] = %d must be in [0, 65535]",
                  fn, i, prm->pad[i]);
    }
    CHECK_ARG(ctx, prm->groups >= 1, "%s: params->groups = %d must be >= 1", fn, prm->groups);
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
    size_t span_h = (size_t)prm->dilation[0] * (g->R - 1) + 1, span_w = (size_t)prm->dilation[1] * (g->S - 1) + 1;
    size_t ext_h = g->H + 2 * (size_t)prm->pad[0], ext_w = g->W + 2 * (size_t)prm->pad[1];
    CHECK_SHAPE(ctx, span_h <= ext_h && span_w <= ext_w,
                "%s: the dilated %zux%zu window of %s does not fit the padded %zux%zu input", fn, span_h, span_w,
                filt_name, ext_h, ext_w);
    g->P = (ext_h - span_h) / (size_t)prm->stride[0] + 1;
    g->Q = (ext_w - span_w) / (size_t)prm->stride[1] + 1;
    clnn__dims_bind(d, 'P', g->P, "params");
    clnn__dims_bind(d, 'Q', g->Q, "params");
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "N,K,P,Q"));
    g->crs_g = g->C / g->G * g->R * g->S;
    CHECK_SHAPE(ctx, g->C * g->R * g->S <= UINT_MAX / (g->P * g->Q) && img->count <= UINT_MAX && out->count <= UINT_MAX,
                "%s: sizes beyond 2^32 elements per tensor or workspace are not supported", fn);
    return CLNN_OK;
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
                              cl_mem img, const conv_geom *g, const clnn_conv2d_options *prm)
{
    cl_uint off = (cl_uint)(c->n0 * g->C * g->H * g->W);
    cl_uint4 images = clnn__divisor((cl_uint)c->images), C = clnn__divisor((cl_uint)g->C),
             H = clnn__divisor((cl_uint)g->H), W = clnn__divisor((cl_uint)g->W), R = clnn__divisor((cl_uint)g->R),
             S = clnn__divisor((cl_uint)g->S), P = clnn__divisor((cl_uint)g->P), Q = clnn__divisor((cl_uint)g->Q),
             sh = clnn__divisor((cl_uint)prm->stride[0]), sw = clnn__divisor((cl_uint)prm->stride[1]);
    cl_uint ph = (cl_uint)prm->pad[0], pw = (cl_uint)prm->pad[1], dh = (cl_uint)prm->dilation[0],
            dw = (cl_uint)prm->dilation[1];
    int to_col = t == &tune_im2col;
    size_t problem[2] = {c->images * (to_col ? g->C * g->R * g->S * g->P * g->Q : g->C * g->H * g->W), 1};
    cl_mem dst = to_col ? c->col : img, src = to_col ? img : c->col;
    clnn__karg a[] = {KARG_BUF(dst), KARG_BUF(src), KARG(off), KARG(images), KARG(C), KARG(H), KARG(W), KARG(R),
                      KARG(S),       KARG(P),       KARG(Q),   KARG(sh),     KARG(sw), KARG(ph), KARG(pw), KARG(dh),
                      KARG(dw)};
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

/* The passes of conv2d over the chunks: forward y = w . im2col(x) (+ b),
 * data dx = col2im(w^T . dy) and weights dw (+)= dy . im2col(x)^T, the first
 * chunk overwriting dw. */
enum { CONV_FORWARD, CONV_DATA, CONV_WEIGHTS };

/* One chunk of a pass: img is x or dx, filt w or dw, out y or dy; b the
 * forward's bias (NULL: none), added with the reordering of a chunk of
 * several images (conv_pass adds it for chunks of one). */
static clnn_status conv_chunk_pass(clnn_context *ctx, const char *fn, int pass, const conv_geom *g,
                                   const clnn_conv2d_options *prm, const conv_chunk *c, cl_mem img, cl_mem filt,
                                   cl_mem out, cl_mem b)
{
    const size_t cols = c->images * g->P * g->Q, Kg = g->K / g->G;
    if (pass != CONV_FORWARD && c->rows) TRY(run_rows_from_planes(ctx, fn, c, out, g));
    if (pass == CONV_DATA) { /* dcol_g [CRS/G, cols] = w_g^T . dy_g */
        TRY(clnn__sgemm(ctx, fn, 1, 0, g->crs_g, cols, Kg, 1.0f, filters_of(filt, g), product_of(c, out, g), 0.0f,
                        columns_of(c, g), g->G));
        return run_colmap(ctx, fn, &tune_col2im, c, img, g, prm);
    }
    TRY(run_colmap(ctx, fn, &tune_im2col, c, img, g, prm));
    if (pass == CONV_FORWARD) {
        TRY(clnn__sgemm(ctx, fn, 0, 0, Kg, cols, g->crs_g, 1.0f, filters_of(filt, g), columns_of(c, g), 0.0f,
                        product_of(c, out, g), g->G));
        return c->rows ? run_planes_from_rows(ctx, fn, c, out, b, g) : CLNN_OK;
    }
    /* dw_g [K/G, CRS/G] (+)= dy_g . col_g^T */
    return clnn__sgemm(ctx, fn, 0, 1, Kg, g->crs_g, cols, 1.0f, product_of(c, out, g), columns_of(c, g),
                       c->n0 ? 1.0f : 0.0f, filters_of(filt, g), g->G);
}

/* y[n, k, p, q] += b[k] over all of y. */
static clnn_status run_bias_add(clnn_context *ctx, const char *fn, cl_mem y, cl_mem b, const conv_geom *g)
{
    cl_uint count = (cl_uint)(g->N * g->K * g->P * g->Q);
    cl_uint4 plane = clnn__divisor((cl_uint)(g->P * g->Q)), K = clnn__divisor((cl_uint)g->K);
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
static clnn_status conv_pass(clnn_context *ctx, const char *fn, int pass, const conv_geom *g,
                             const clnn_conv2d_options *prm, cl_mem img, cl_mem filt, cl_mem out, cl_mem b)
{
    size_t per_chunk = chunk_images(ctx, g), PQ = g->P * g->Q;
    conv_chunk c = {0, 0, NULL, NULL};
    clnn_status st = clnn__scratch(ctx, fn, g->C * g->R * g->S * per_chunk * PQ, &c.col);
    if (st == CLNN_OK && per_chunk > 1) st = clnn__scratch(ctx, fn, g->K * per_chunk * PQ, &c.rows);
    for (c.n0 = 0; c.n0 < g->N && st == CLNN_OK; c.n0 += c.images) {
        c.images = g->N - c.n0 < per_chunk ? g->N - c.n0 : per_chunk;
        st = conv_chunk_pass(ctx, fn, pass, g, prm, &c, img, filt, out, b);
    }
    if (c.col) clReleaseMemObject(c.col);
    if (c.rows) clReleaseMemObject(c.rows);
    /* chunks of one image have no reordering to carry the forward's bias */
    if (st == CLNN_OK && pass == CONV_FORWARD && b && per_chunk == 1) st = run_bias_add(ctx, fn, out, b, g);
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
    return conv_pass(ctx, fn, pass, &g, prm, img->buffer, filt->buffer, out->buffer, NULL);
}

void clnn_conv2d_options_init(clnn_conv2d_options *opt)
{
    if (!opt) return;
    *opt = (clnn_conv2d_options){sizeof *opt, {1, 1}, {0, 0}, {1, 1}, 1};
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
    return conv_pass(ctx, fn, CONV_FORWARD, &g, &prm, x->buffer, w->buffer, y->buffer, b ? b->buffer : NULL);
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

clnn_status clnn_conv2d_backward_bias(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_shape(ctx, fn, &dims, "dy", dy, "N,K,P,Q"));
    TRY(clnn__check_tensor(ctx, fn, "db", db));
    size_t N = dy->shape[0], K = dy->shape[1], PQ = dy->shape[2] * dy->shape[3];
    CHECK_SHAPE(ctx, db->dtype == CLNN_FLOAT32 && db->count == K,
                "%s: db must be a float32 tensor of %zu elements (the channels of dy)", fn, K);
    TRY(clnn__check_count32(ctx, fn, "dy", dy));
    return clnn__group_sum(ctx, fn, dy->buffer, db->buffer, K, N * PQ, PQ, PQ, K * PQ, 1.0f);
}
