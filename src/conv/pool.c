/* Host side of 2-D pooling (cl/conv_pool.cl): a forward kernel, and for the
 * backward pass a scatter over the outputs when the windows do not overlap
 * and a gather over the inputs when they do; each compiled per mode (max,
 * average including or excluding the padding, or by divisor_override) as
 * the launch's variant. PyTorch's options: its output size with ceil_mode,
 * max pooling's dilation. Global average pooling is the shared group sum
 * over each plane. */
#include "conv/pool_internal.h"
#include "tune_family.h"

#include <stdio.h>

void clnn__pool_rows_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    cfg->param[0] = ctx->info.type == CLNN_DEVICE_CPU && problem[1] >= 8 ? 8 : 1;
}

void clnn__pool_rows_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t vw = cfg->param[0] > 1 ? (size_t)cfg->param[0] : 1;
    global[0] = problem[0] * ((problem[1] + vw - 1) / vw);
    global[1] = 1;
}

#define CLNN_TABLE "conv/pool_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* Max pooling of one [P0, s, s] image, s x s about P1 pixels: 2x2 windows at
 * stride 2 (the scatter backward), or for pool.backward (the gather, for
 * overlapping windows) 3x3 windows at stride 2 with padding 1. */
static clnn_status exercise_pool(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    const int overlap = t == &tune_backward;
    size_t c = problem[0], s = clnn__exercise_side(problem[1]), h = overlap ? (s - 1) / 2 + 1 : s / 2;
    clnn_pool2d_options p = {sizeof(clnn_pool2d_options), {2, 2}, {2, 2}, {0, 0}, 0};
    if (overlap) p = (clnn_pool2d_options){sizeof(clnn_pool2d_options), {3, 3}, {2, 2}, {1, 1}, 0};
    clnn_tensor *x = EX_RAND(&b, 1, c, s, s), *y = EX_RAND(&b, 1, c, h, h);
    clnn_tensor *idx = clnn__exercise_int_output(&b, 4, (size_t[]){1, c, h, h});
    EX_STEP(&b, clnn_maxpool2d_forward(ctx, x, &p, y, idx));
    if (t != &tune_forward) EX_STEP(&b, clnn_maxpool2d_backward(ctx, y, idx, &p, x));
    return clnn__exercise_end(&b);
}

clnn_status clnn__pool_check_nchw(clnn_context *ctx, const char *fn, clnn__dims *d, const char *name,
                                  const clnn_tensor *t, const char *spec)
{
    TRY(clnn__check_shape(ctx, fn, d, name, t, spec));
    return clnn__check_count32(ctx, fn, name, t);
}

/* The dilation of axis i: the field, 0 read as 1 (an initializer written
 * before the field existed). */
static int pool_dilation(const clnn_pool2d_options *prm, int i)
{
    return prm->dilation[i] ? prm->dilation[i] : 1;
}

/* PyTorch's pooling output size along one axis (ATen's pooling_output_shape):
 * floor or ceil of (in + 2 pad - extent) / stride, plus 1, where ceil mode
 * drops a last window that would start past the input and its left padding;
 * 0 or less when no window fits. */
static long long pool_out_size(size_t in, int k, int stride, int pad, int dilation, int ceil_mode)
{
    long long span = (long long)in + 2LL * pad - (long long)dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
    long long out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1; /* floor division */
    if (ceil_mode && out >= 1 && (out - 1) * stride >= (long long)in + pad) out--;
    return out;
}

/* Whether every window along one axis holds an input pixel. Only dilated
 * windows starting in the left padding can miss: their taps may step over
 * the input (PyTorch returns -inf there, with an index outside the plane). */
static int pool_axis_covered(size_t in, int k, int stride, int pad, int dilation, long long out)
{
    for (long long p = 0; p < out && p * stride < pad; p++) {
        long long start = p * stride - pad, first = (-start + dilation - 1) / dilation; /* first tap >= 0 */
        if (first >= k || start + first * dilation >= (long long)in) return 0;
    }
    return 1;
}

/* The options alone, for max (max = 1) or average pooling. */
static clnn_status pool_check_options(clnn_context *ctx, const char *fn, const clnn_pool2d_options *prm, int max)
{
    for (int i = 0; i < 2; i++) {
        CHECK_ARG(ctx, prm->kernel[i] >= 1 && prm->kernel[i] <= 65535,
                  "%s: params->kernel[%d] = %d must be in [1, 65535]", fn, i, prm->kernel[i]);
        CHECK_ARG(ctx, prm->stride[i] >= 1, "%s: params->stride[%d] = %d must be >= 1", fn, i, prm->stride[i]);
        CHECK_ARG(ctx, prm->pad[i] >= 0 && prm->pad[i] <= prm->kernel[i] / 2,
                  "%s: params->pad[%d] = %d must be in [0, kernel/2 = %d]", fn, i, prm->pad[i], prm->kernel[i] / 2);
        if (max)
            CHECK_ARG(ctx, prm->dilation[i] >= 0 && prm->dilation[i] <= 65535,
                      "%s: params->dilation[%d] = %d must be in [1, 65535] (0 reads as 1)", fn, i, prm->dilation[i]);
        else
            CHECK_ARG(ctx, prm->dilation[i] == 0 || prm->dilation[i] == 1,
                      "%s: params->dilation[%d] = %d: average pooling has no dilation (0 or 1)", fn, i,
                      prm->dilation[i]);
    }
    CHECK_ARG(ctx, (long long)(prm->kernel[0] - 1) * pool_dilation(prm, 0) < 65535 &&
                       (long long)(prm->kernel[1] - 1) * pool_dilation(prm, 1) < 65535,
              "%s: the dilated %dx%d window spans more than 65535 pixels a side", fn, prm->kernel[0], prm->kernel[1]);
    CHECK_ARG(ctx, prm->count_include_pad == 0 || prm->count_include_pad == 1,
              "%s: params->count_include_pad = %d must be 0 or 1", fn, prm->count_include_pad);
    CHECK_ARG(ctx, prm->ceil_mode == 0 || prm->ceil_mode == 1, "%s: params->ceil_mode = %d must be 0 or 1", fn,
              prm->ceil_mode);
    CHECK_ARG(ctx, !max || prm->divisor_override == 0,
              "%s: params->divisor_override = %d must be 0: it applies to average pooling only", fn,
              prm->divisor_override);
    return CLNN_OK;
}

/* Validates params for max (max = 1) or average pooling, the image tensor
 * [N, C, H, W] and the pooled tensor [N, C, P, Q]. */
static clnn_status pool_validate(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_pool2d_options *prm,
                                 int max, const clnn_tensor *img, const char *img_name, const clnn_tensor *out,
                                 const char *out_name)
{
    TRY(pool_check_options(ctx, fn, prm, max));
    TRY(clnn__pool_check_nchw(ctx, fn, d, img_name, img, "N,C,H,W"));
    TRY(clnn__pool_check_nchw(ctx, fn, d, out_name, out, "_,_,_,_")); /* its sizes once P and Q are known */
    long long P = pool_out_size(img->shape[2], prm->kernel[0], prm->stride[0], prm->pad[0], pool_dilation(prm, 0),
                                prm->ceil_mode),
              Q = pool_out_size(img->shape[3], prm->kernel[1], prm->stride[1], prm->pad[1], pool_dilation(prm, 1),
                                prm->ceil_mode);
    CHECK_SHAPE(ctx, P >= 1 && Q >= 1,
                "%s: the %dx%d window (dilation %dx%d) leaves no output for the %zux%zu input %s with padding %d,%d",
                fn, prm->kernel[0], prm->kernel[1], pool_dilation(prm, 0), pool_dilation(prm, 1), img->shape[2],
                img->shape[3], img_name, prm->pad[0], prm->pad[1]);
    CHECK_SHAPE(ctx,
                pool_axis_covered(img->shape[2], prm->kernel[0], prm->stride[0], prm->pad[0], pool_dilation(prm, 0),
                                  P) &&
                    pool_axis_covered(img->shape[3], prm->kernel[1], prm->stride[1], prm->pad[1],
                                      pool_dilation(prm, 1), Q),
                "%s: a window of the %dx%d kernel dilated %dx%d holds no pixel of the %zux%zu input %s, only padding",
                fn, prm->kernel[0], prm->kernel[1], pool_dilation(prm, 0), pool_dilation(prm, 1), img->shape[2],
                img->shape[3], img_name);
    clnn__dims_bind(d, 'P', (size_t)P, "params");
    clnn__dims_bind(d, 'Q', (size_t)Q, "params");
    return clnn__check_shape(ctx, fn, d, out_name, out, "N,C,P,Q");
}

/* The scatter backward's tiles (a stride's rows and columns, the remainder
 * besides) stay this small: a work-item's loops stay short. */
#define POOL_SCATTER_MAX_TILE 256

/* The kernels take (src, indices, dst, sizes...): forward (x, y, indices)
 * over the pooled rows; backward (dy, indices, dx) over the pooled rows when
 * the windows do not overlap (scatter), else over the image rows (gather). */
clnn_status clnn__pool_run(clnn_context *ctx, const char *fn, int backward, const clnn_tensor *img,
                           const clnn_tensor *out, cl_mem indices, const clnn_pool2d_options *prm, int mode)
{
    cl_uint planes = (cl_uint)(img->shape[0] * img->shape[1]), H = (cl_uint)img->shape[2],
            W = (cl_uint)img->shape[3], P = (cl_uint)out->shape[2], Q = (cl_uint)out->shape[3];
    cl_uint kh = (cl_uint)prm->kernel[0], kw = (cl_uint)prm->kernel[1], sh = (cl_uint)prm->stride[0],
            sw = (cl_uint)prm->stride[1], ph = (cl_uint)prm->pad[0], pw = (cl_uint)prm->pad[1],
            dh = (cl_uint)pool_dilation(prm, 0), dw = (cl_uint)pool_dilation(prm, 1);
    cl_int div = prm->divisor_override;
    if (!indices) indices = out->buffer; /* average pooling never touches it; any buffer fills the slot */
    /* windows that do not overlap: the stride covers the dilated extent */
    const int scatter = backward && sh >= (kh - 1) * dh + 1 && sw >= (kw - 1) * dw + 1 &&
                        (size_t)sh * sw <= POOL_SCATTER_MAX_TILE;
    const clnn__tunable *t = !backward ? &tune_forward : scatter ? &tune_backward_scatter : &tune_backward;
    /* the rows of the elements the work-items own: pooled rows, or image rows for the gather */
    cl_uint rows = t == &tune_backward ? planes * H : planes * P;
    size_t problem[2] = {rows, t == &tune_backward ? W : Q};
    /* the kernels take (x, y, indices) forward and (dy, indices, dx) backward */
    cl_mem b0 = backward ? out->buffer : img->buffer, b1 = backward ? indices : out->buffer,
           b2 = backward ? img->buffer : indices;
    clnn__karg a[] = {KARG_BUF(b0), KARG_BUF(b1), KARG_BUF(b2), KARG(rows), KARG(H),  KARG(W),  KARG(P),
                      KARG(Q),      KARG(kh),     KARG(kw),     KARG(sh),   KARG(sw), KARG(ph), KARG(pw),
                      KARG(dh),     KARG(dw),     KARG(div)};
    char variant[16];
    snprintf(variant, sizeof variant, "-DMODE=%d", mode);
    return clnn__run_variant(ctx, fn, t, variant, problem, sizeof a / sizeof a[0], a);
}

void clnn_pool2d_options_init(clnn_pool2d_options *opt)
{
    if (!opt) return;
    *opt = (clnn_pool2d_options){sizeof *opt, {2, 2}, {2, 2}, {0, 0}, 1, 0, {1, 1}, 0};
}

clnn_status clnn_maxpool2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_pool2d_options *params,
                                   clnn_tensor *y, clnn_tensor *indices)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_pool2d_options, prm, params);
    TRY(pool_validate(ctx, fn, &dims, &prm, 1, x, "x", y, "y"));
    TRY(clnn__check_shape(ctx, fn, &dims, "indices", indices, "i32:N,C,P,Q"));
    return clnn__pool_run(ctx, fn, 0, x, y, indices->buffer, &prm, CLNN__POOL_MAX);
}

clnn_status clnn_maxpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *indices,
                                    const clnn_pool2d_options *params, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_pool2d_options, prm, params);
    TRY(pool_validate(ctx, fn, &dims, &prm, 1, dx, "dx", dy, "dy"));
    TRY(clnn__check_shape(ctx, fn, &dims, "indices", indices, "i32:N,C,P,Q"));
    return clnn__pool_run(ctx, fn, 1, dx, dy, indices->buffer, &prm, CLNN__POOL_MAX);
}

/* Average pooling, forward (img x, out y) or backward (img dx, out dy). */
static clnn_status avgpool(clnn_context *ctx, const char *fn, clnn__dims *d, int backward,
                           const clnn_pool2d_options *params, const clnn_tensor *img, const char *img_name,
                           const clnn_tensor *out, const char *out_name)
{
    TRY(pool_validate(ctx, fn, d, params, 0, img, img_name, out, out_name));
    int mode = params->count_include_pad ? CLNN__POOL_AVG_INCLUDE_PAD : CLNN__POOL_AVG_EXCLUDE_PAD;
    if (params->divisor_override) mode = CLNN__POOL_AVG_DIVISOR; /* as in PyTorch, it overrides both */
    return clnn__pool_run(ctx, fn, backward, img, out, NULL, params, mode);
}

clnn_status clnn_avgpool2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_pool2d_options *params,
                                   clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_pool2d_options, prm, params);
    return avgpool(ctx, fn, &dims, 0, &prm, x, "x", y, "y");
}

clnn_status clnn_avgpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_pool2d_options *params,
                                    clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_pool2d_options, prm, params);
    return avgpool(ctx, fn, &dims, 1, &prm, dx, "dx", dy, "dy");
}

/* The pooled tensor of global pooling: [N, C] or [N, C, 1, 1]. */
static clnn_status check_global(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *img,
                                const char *img_name, const clnn_tensor *pooled, const char *pooled_name)
{
    TRY(clnn__pool_check_nchw(ctx, fn, d, img_name, img, "N,C,H,W"));
    TRY(clnn__check_tensor(ctx, fn, pooled_name, pooled));
    CHECK_SHAPE(ctx, pooled->ndim == 2 || pooled->ndim == 4, "%s: %s must be [%zu, %zu] or [%zu, %zu, 1, 1]", fn,
                pooled_name, img->shape[0], img->shape[1], img->shape[0], img->shape[1]);
    return clnn__check_shape(ctx, fn, d, pooled_name, pooled, pooled->ndim == 4 ? "N,C,1,1" : "N,C");
}

/* A pooled tensor of global pooling viewed as [N, C, 1, 1]: a copy of the
 * handle over the same buffer, for the window kernels. */
static clnn_tensor pooled_view(const clnn_tensor *pooled)
{
    clnn_tensor view = *pooled;
    view.ndim = 4;
    view.shape[2] = view.shape[3] = 1;
    return view;
}

/* The window kernels take sizes below 65536 a side; a window of a whole plane must fit. */
static clnn_status check_plane_window(clnn_context *ctx, const char *fn, const clnn_tensor *img, const char *name)
{
    CHECK_SHAPE(ctx, img->shape[2] <= 65535 && img->shape[3] <= 65535, "%s: %s planes above 65535 pixels a side", fn,
                name);
    return CLNN_OK;
}

clnn_status clnn_global_avgpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(check_global(ctx, fn, &dims, x, "x", y, "y"));
    size_t HW = x->shape[2] * x->shape[3];
    return clnn__group_sum(ctx, fn, x->buffer, y->buffer, y->count, HW, HW, HW, 0, (float)(1.0 / (double)HW));
}

clnn_status clnn_global_avgpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(check_global(ctx, fn, &dims, dx, "dx", dy, "dy"));
    /* average pooling with the window = the plane: dx = dy / (H*W) at every pixel */
    const clnn_tensor pooled = pooled_view(dy);
    clnn_pool2d_options prm = {sizeof prm, {(int)dx->shape[2], (int)dx->shape[3]}, {1, 1}, {0, 0}, 1};
    TRY(check_plane_window(ctx, fn, dx, "dx"));
    return clnn__pool_run(ctx, fn, 1, dx, &pooled, NULL, &prm, CLNN__POOL_AVG_INCLUDE_PAD);
}

/* Max pooling with the window = the plane, on pooled_view of y or dy. */
static clnn_status global_max(clnn_context *ctx, const char *fn, clnn__dims *d, int backward,
                              const clnn_tensor *img, const char *img_name, const clnn_tensor *pooled,
                              const char *pooled_name, const clnn_tensor *indices)
{
    TRY(check_global(ctx, fn, d, img, img_name, pooled, pooled_name));
    TRY(clnn__check_shape(ctx, fn, d, "indices", indices, pooled->ndim == 4 ? "i32:N,C,1,1" : "i32:N,C"));
    TRY(check_plane_window(ctx, fn, img, img_name));
    const clnn_tensor *outs[] = {backward ? img : pooled, backward ? NULL : indices};
    const clnn_tensor *ins[] = {backward ? pooled : img, backward ? indices : NULL};
    const char *out_names[] = {backward ? img_name : pooled_name, "indices"};
    const char *in_names[] = {backward ? pooled_name : img_name, "indices"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));
    const clnn_tensor view = pooled_view(pooled);
    const int H = (int)img->shape[2], W = (int)img->shape[3];
    clnn_pool2d_options prm = {sizeof prm, {H, W}, {H, W}, {0, 0}, 1};
    return clnn__pool_run(ctx, fn, backward, img, &view, indices->buffer, &prm, CLNN__POOL_MAX);
}

clnn_status clnn_global_maxpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y,
                                          clnn_tensor *indices)
{
    CLNN_ENTRY(ctx);
    return global_max(ctx, fn, &dims, 0, x, "x", y, "y", indices);
}

clnn_status clnn_global_maxpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *indices,
                                           clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return global_max(ctx, fn, &dims, 1, dx, "dx", dy, "dy", indices);
}
