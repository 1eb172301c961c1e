/* Host side of adaptive 2-D pooling (PyTorch's AdaptiveAvgPool2d and
 * AdaptiveMaxPool2d; cl/conv_adaptive_pool.cl): a forward kernel over the
 * outputs and a gather backward over the input pixels, each compiled per
 * mode (max, average) as the launch's variant. When OH divides H and OW
 * divides W the windows are of one size and stride (H/OH x W/OW, no
 * overlap) and pool.c's kernels run them: float8 rows and the scatter
 * backward, the same sums in the same order, so the same bits. */
#include "conv/pool_internal.h"
#include "tune_family.h"

#include <stdint.h>
#include <stdio.h>

#define CLNN_TABLE "conv/adaptive_pool_tunables.def"
#include "tune_table.h"

enum { ADAPTIVE_MAX = 0, ADAPTIVE_AVG = 1 }; /* cl/conv_adaptive_pool.cl's modes */

/* ---------------------------------------------------------------- tuning */

/* Max pooling of one [P0, s, s] image, s x s about P1 pixels, to (s - 1) x
 * (s - 1) outputs (3 x 3 for s = 2): windows of 2 that overlap by one, not
 * a divisor of the input, so the adaptive kernels run. */
static clnn_status exercise_adaptive_pool(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t c = problem[0], s = clnn__exercise_side(problem[1]), o = s > 2 ? s - 1 : 3;
    clnn_tensor *x = EX_RAND(&b, 1, c, s, s), *y = EX_RAND(&b, 1, c, o, o);
    clnn_tensor *idx = clnn__exercise_int_output(&b, 4, (size_t[]){1, c, o, o});
    EX_STEP(&b, clnn_adaptive_maxpool2d_forward(ctx, x, y, idx));
    if (t == &tune_backward) EX_STEP(&b, clnn_adaptive_maxpool2d_backward(ctx, y, idx, x));
    return clnn__exercise_end(&b);
}

/* ---------------------------------------------------------------- checks */

/* img [N, C, H, W] and pooled [N, C, P, Q] (the output size P x Q from
 * pooled's shape); for max pooling, indices int32 shaped as pooled; the
 * outputs apart from the inputs. */
static clnn_status adaptive_validate(clnn_context *ctx, const char *fn, clnn__dims *d, int backward, int max,
                                     const clnn_tensor *img, const char *img_name, const clnn_tensor *pooled,
                                     const char *pooled_name, const clnn_tensor *indices)
{
    TRY(clnn__pool_check_nchw(ctx, fn, d, img_name, img, "N,C,H,W"));
    TRY(clnn__pool_check_nchw(ctx, fn, d, pooled_name, pooled, "N,C,P,Q"));
    if (max) TRY(clnn__check_shape(ctx, fn, d, "indices", indices, "i32:N,C,P,Q"));
    const clnn_tensor *outs[] = {backward ? img : pooled, backward ? NULL : indices};
    const clnn_tensor *ins[] = {backward ? pooled : img, backward ? indices : NULL};
    const char *out_names[] = {backward ? img_name : pooled_name, "indices"};
    const char *in_names[] = {backward ? pooled_name : img_name, "indices"};
    return clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2);
}

/* ---------------------------------------------------------------- launch */

/* Forward (x = img, y = pooled) or backward (dx = img, dy = pooled);
 * indices: max pooling's, else NULL. */
static clnn_status run_adaptive(clnn_context *ctx, const char *fn, int backward, const clnn_tensor *img,
                                const clnn_tensor *pooled, const clnn_tensor *indices)
{
    const uint64_t H = img->shape[2], W = img->shape[3], OH = pooled->shape[2], OW = pooled->shape[3];
    if (H % OH == 0 && W % OW == 0 && H / OH <= 65535 && W / OW <= 65535) {
        const int kh = (int)(H / OH), kw = (int)(W / OW);
        const clnn_pool2d_options prm = {sizeof prm, {kh, kw}, {kh, kw}, {0, 0}, 1, 0, {1, 1}, 0};
        return clnn__pool_run(ctx, fn, backward, img, pooled, indices ? indices->buffer : NULL, &prm,
                              indices ? CLNN__POOL_MAX : CLNN__POOL_AVG_INCLUDE_PAD);
    }
    const size_t planes = img->shape[0] * img->shape[1];
    cl_uint rows = (cl_uint)(backward ? planes * H : planes * OH);
    const size_t problem[2] = {rows, backward ? W : OW};
    /* the window bounds in 32 bits while the products i*H (i <= OH) and h*OH (h <= H) fit */
    const int wide = (H + 1) * (OH + 1) > UINT32_MAX || (W + 1) * (OW + 1) > UINT32_MAX;
    cl_uint4 dh = clnn__divisor((cl_uint)H), dw = clnn__divisor((cl_uint)W), doh = clnn__divisor((cl_uint)OH),
             dow = clnn__divisor((cl_uint)OW);
    /* the kernels take (x, y, indices) forward and (dy, indices, dx) backward;
     * averages never touch indices: any buffer fills the slot */
    cl_mem idx = indices ? indices->buffer : pooled->buffer;
    cl_mem b0 = backward ? pooled->buffer : img->buffer, b1 = backward ? idx : pooled->buffer,
           b2 = backward ? img->buffer : idx;
    clnn__karg a[] = {KARG_BUF(b0), KARG_BUF(b1), KARG_BUF(b2), KARG(rows), KARG(dh), KARG(dw), KARG(doh), KARG(dow)};
    char variant[32];
    snprintf(variant, sizeof variant, "-DMODE=%d -DWIDE=%d", indices ? ADAPTIVE_MAX : ADAPTIVE_AVG, wide);
    return clnn__run_variant(ctx, fn, backward ? &tune_backward : &tune_forward, variant, problem,
                             sizeof a / sizeof a[0], a);
}

/* ---------------------------------------------------------------- the API */

clnn_status clnn_adaptive_avgpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(adaptive_validate(ctx, fn, &dims, 0, 0, x, "x", y, "y", NULL));
    return run_adaptive(ctx, fn, 0, x, y, NULL);
}

clnn_status clnn_adaptive_avgpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(adaptive_validate(ctx, fn, &dims, 1, 0, dx, "dx", dy, "dy", NULL));
    return run_adaptive(ctx, fn, 1, dx, dy, NULL);
}

clnn_status clnn_adaptive_maxpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y,
                                            clnn_tensor *indices)
{
    CLNN_ENTRY(ctx);
    TRY(adaptive_validate(ctx, fn, &dims, 0, 1, x, "x", y, "y", indices));
    return run_adaptive(ctx, fn, 0, x, y, indices);
}

clnn_status clnn_adaptive_maxpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *indices,
                                             clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(adaptive_validate(ctx, fn, &dims, 1, 1, dx, "dx", dy, "dy", indices));
    return run_adaptive(ctx, fn, 1, dx, dy, indices);
}
