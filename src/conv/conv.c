/* Host side of conv2d (cl/conv.cl): im2col + CLBlast SGEMM per image,
 * strided-batched over the groups; backward-data as GEMM + col2im (a gather,
 * deterministic); backward-weights as GEMMs accumulated image by image in
 * queue order (deterministic); bias gradient through the shared group sum. */
#include "internal.h"
#include "tune_family.h"

#include <limits.h>

#define ELEMENTWISE(id_, kernel_) CLNN_TUNABLE(id_, "conv", kernel_, NULL, NULL)
static const clnn__tunable tune_im2col = ELEMENTWISE("conv.im2col", "im2col");
static const clnn__tunable tune_col2im = ELEMENTWISE("conv.col2im", "col2im");
static const clnn__tunable tune_bias_add = ELEMENTWISE("conv.bias_add", "bias_add");

/* ---------------------------------------------------------------- tuning */

/* A 3x3 convolution, padding 1, of one [P0, s, s] image to P0 channels,
 * s x s about P1 pixels. */
static clnn_status exercise_conv(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t c = problem[0], s = clnn__exercise_side(problem[1]);
    clnn_conv2d_options p = {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 1};
    clnn_tensor *x = EX_RAND(&b, 1, c, s, s), *w = EX_RAND(&b, c, c, 3, 3), *y = EX_RAND(&b, 1, c, s, s);
    if (t == &tune_col2im) EX_STEP(&b, clnn_conv2d_backward_data(ctx, y, w, &p, x));
    else EX_STEP(&b, clnn_conv2d_forward(ctx, x, w, EX_RAND(&b, c), &p, y));
    return clnn__exercise_end(&b);
}

CLNN_TUNE_FAMILY(conv, exercise_conv) = {&tune_im2col, &tune_col2im, &tune_bias_add, NULL};

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

/* The GEMM operands of image n, strided over the G groups: the filters
 * [K/G, CRS/G] (w or dw), the column matrix [CRS/G, PQ] and the image's
 * output planes [K/G, PQ] (y or dy). */
static clnn__gemm_operand filters_of(cl_mem buf, const conv_geom *g)
{
    return (clnn__gemm_operand){buf, 0, g->crs_g, g->K / g->G * g->crs_g};
}

static clnn__gemm_operand columns_of(cl_mem buf, const conv_geom *g)
{
    return (clnn__gemm_operand){buf, 0, g->P * g->Q, g->crs_g * g->P * g->Q};
}

static clnn__gemm_operand planes_of(cl_mem buf, size_t n, const conv_geom *g)
{
    return (clnn__gemm_operand){buf, n * g->K * g->P * g->Q, g->P * g->Q, g->K / g->G * g->P * g->Q};
}

/* im2col or col2im of image n: the two kernels share their argument list. */
static clnn_status run_colmap(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_mem col, cl_mem img,
                              size_t n, const conv_geom *g, const clnn_conv2d_options *prm)
{
    cl_uint off = (cl_uint)(n * g->C * g->H * g->W);
    cl_uint C = (cl_uint)g->C, H = (cl_uint)g->H, W = (cl_uint)g->W, R = (cl_uint)g->R, S = (cl_uint)g->S,
            P = (cl_uint)g->P, Q = (cl_uint)g->Q;
    cl_uint sh = (cl_uint)prm->stride[0], sw = (cl_uint)prm->stride[1], ph = (cl_uint)prm->pad[0],
            pw = (cl_uint)prm->pad[1], dh = (cl_uint)prm->dilation[0], dw = (cl_uint)prm->dilation[1];
    int to_col = t == &tune_im2col;
    size_t problem[2] = {to_col ? g->C * g->R * g->S * g->P * g->Q : g->C * g->H * g->W, 1};
    cl_mem dst = to_col ? col : img, src = to_col ? img : col;
    clnn__karg a[] = {KARG_BUF(dst), KARG_BUF(src), KARG(off), KARG(C), KARG(H),
                      KARG(W), KARG(R), KARG(S), KARG(P), KARG(Q), KARG(sh), KARG(sw), KARG(ph), KARG(pw), KARG(dh),
                      KARG(dw)};
    return clnn__run(ctx, fn, t, problem, 16, a);
}

/* The passes of conv2d over the images: forward y = w . im2col(x), data
 * dx = col2im(w^T . dy) and weights dw (+)= dy . im2col(x)^T, the first
 * image overwriting dw. */
enum { CONV_FORWARD, CONV_DATA, CONV_WEIGHTS };

/* Image n of a pass, with the column matrix col: img is x or dx, filt w or
 * dw, out y or dy. */
static clnn_status conv_image(clnn_context *ctx, const char *fn, int pass, const conv_geom *g,
                              const clnn_conv2d_options *prm, size_t n, cl_mem col, cl_mem img, cl_mem filt, cl_mem out)
{
    const size_t PQ = g->P * g->Q, Kg = g->K / g->G;
    if (pass == CONV_DATA) { /* dcol_g [CRS/G, PQ] = w_g^T . dy_g */
        TRY(clnn__sgemm(ctx, fn, 1, 0, g->crs_g, PQ, Kg, 1.0f, filters_of(filt, g), planes_of(out, n, g), 0.0f,
                        columns_of(col, g), g->G));
        return run_colmap(ctx, fn, &tune_col2im, col, img, n, g, prm);
    }
    TRY(run_colmap(ctx, fn, &tune_im2col, col, img, n, g, prm));
    if (pass == CONV_FORWARD)
        return clnn__sgemm(ctx, fn, 0, 0, Kg, PQ, g->crs_g, 1.0f, filters_of(filt, g), columns_of(col, g), 0.0f,
                           planes_of(out, n, g), g->G);
    /* dw_g [K/G, CRS/G] (+)= dy_g . col_g^T */
    return clnn__sgemm(ctx, fn, 0, 1, Kg, g->crs_g, PQ, 1.0f, planes_of(out, n, g), columns_of(col, g),
                       n ? 1.0f : 0.0f, filters_of(filt, g), g->G);
}

/* A pass over every image of a validated call, in image order. */
static clnn_status conv_pass(clnn_context *ctx, const char *fn, int pass, const conv_geom *g,
                             const clnn_conv2d_options *prm, cl_mem img, cl_mem filt, cl_mem out)
{
    cl_mem col;
    TRY(clnn__scratch(ctx, fn, g->C * g->R * g->S * g->P * g->Q, &col));
    clnn_status st = CLNN_OK;
    for (size_t n = 0; n < g->N && st == CLNN_OK; n++) st = conv_image(ctx, fn, pass, g, prm, n, col, img, filt, out);
    clReleaseMemObject(col);
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
    return conv_pass(ctx, fn, pass, &g, prm, img->buffer, filt->buffer, out->buffer);
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
    TRY(conv_pass(ctx, fn, CONV_FORWARD, &g, &prm, x->buffer, w->buffer, y->buffer));
    if (!b) return CLNN_OK;
    cl_uint count = (cl_uint)y->count, plane = (cl_uint)(g.P * g.Q), K = (cl_uint)g.K;
    size_t problem[2] = {y->count, 1};
    clnn__karg a[] = {KARG_BUF(y->buffer), KARG_BUF(b->buffer), KARG(count), KARG(plane), KARG(K)};
    return clnn__run(ctx, fn, &tune_bias_add, problem, 5, a);
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
