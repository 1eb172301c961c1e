/* Alignment and uniformity (Wang & Isola 2020; include/clnn/contrastive.h).
 * Alignment is one row kernel. Uniformity: Gram matrix G = x xᵀ (CLBlast),
 * per-row online log-sum-exp of u_ij = −t‖x_i − x_j‖² (from G), one merge,
 * then, for the gradient, the pair weights W = softmax(u) in place of G and
 *   dx = 4t (W x − diag(Σ_j w_ij) x). */
#include "contrastive/contrastive_internal.h"

#include <math.h>

clnn_status clnn_alignment_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *y, float alpha,
                                clnn_tensor *loss, clnn_tensor *dx, clnn_tensor *dy)
{
    CLNN_ENTRY(ctx);
    size_t n, d;
    TRY(clnn__ctr_check_views(ctx, fn, "x", x, "y", y, loss, "dx", dx, "dy", dy, &n, &d));
    CHECK_ARG(ctx, clnn__is_finite(alpha) && alpha > 0.0f, "%s: alpha %g must be finite and > 0", fn, (double)alpha);

    cl_mem partial = NULL;
    TRY(clnn__scratch(ctx, fn, n, &partial));
    cl_mem gx = dx ? dx->buffer : partial, gy = dy ? dy->buffer : partial; /* unwritten when not wanted */
    cl_uint dd = (cl_uint)d, lanes = clnn__row_lanes(d);
    cl_int want_dx = dx != NULL, want_dy = dy != NULL;
    float scale = clnn__loss_scale(CLNN_REDUCE_MEAN, n);
    clnn__karg a[] = {KARG_BUF(partial), KARG_BUF(gx),  KARG_BUF(gy),    KARG_BUF(x->buffer), KARG_BUF(y->buffer),
                      KARG(dd),          KARG(alpha),   KARG(scale),     KARG(want_dx),       KARG(want_dy),
                      KARG(lanes),       KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {n, d};
    clnn_status st = clnn__run(ctx, fn, &clnn__ctr_align, problem, 12, a);
    if (st == CLNN_OK && loss) st = clnn__loss_sum(ctx, fn, loss, partial, n, scale);
    clReleaseMemObject(partial);
    return st;
}

/* The pair weights in place of g, their row sums, then dx. */
static clnn_status uniformity_grad(clnn_context *ctx, const char *fn, const clnn_tensor *x, float t, cl_mem g,
                                   cl_mem sqn, cl_mem lse, cl_mem rsum, clnn_tensor *dx)
{
    size_t n = x->count / x->shape[x->ndim - 1], d = x->shape[x->ndim - 1];
    cl_uint nn = (cl_uint)n, lanes = clnn__row_lanes(n);
    clnn__karg a[] = {KARG_BUF(g),  KARG_BUF(rsum), KARG_BUF(sqn),  KARG_BUF(lse),
                      KARG(nn),     KARG(t),        KARG(lanes),    KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {n, n};
    TRY(clnn__run(ctx, fn, &clnn__ctr_unif_weights, problem, 8, a));
    clnn__gemm_operand wm = {g, 0, n, 0}, xm = {x->buffer, 0, d, 0}, dm = {dx->buffer, 0, d, 0};
    TRY(clnn__sgemm(ctx, fn, 0, 0, n, d, n, 4.0f * t, wm, xm, 0.0f, dm, 1));
    cl_uint count = (cl_uint)(n * d), cols = (cl_uint)d;
    float alpha = -4.0f * t;
    clnn__karg b[] = {KARG_BUF(dx->buffer), KARG_BUF(x->buffer), KARG_BUF(rsum), KARG(count), KARG(cols), KARG(alpha)};
    size_t eproblem[2] = {n * d, 1};
    return clnn__run(ctx, fn, &clnn__ctr_rows_axpy, eproblem, 6, b);
}

clnn_status clnn_uniformity_loss(clnn_context *ctx, const clnn_tensor *x, float t, clnn_tensor *loss,
                                 clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    size_t n, d;
    TRY(clnn__check_rows(ctx, fn, "x", x, &n, &d));
    CHECK_SHAPE(ctx, n >= 2, "%s: x has %zu row; uniformity needs at least 2 (distinct pairs)", fn, n);
    CHECK_ARG(ctx, clnn__is_finite(t) && t > 0.0f, "%s: t %g must be finite and > 0", fn, (double)t);
    TRY(clnn__check_loss_outputs(ctx, fn, x, x, loss, dx, "dx"));

    cl_mem buf[5] = {NULL}; /* g, stats, sqn, lse, rsum */
    clnn_status st = clnn__scratch(ctx, fn, n * n, &buf[0]);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, 2 * n, &buf[1]);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, n, &buf[2]);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, 1, &buf[3]);
    if (st == CLNN_OK && dx) st = clnn__scratch(ctx, fn, n, &buf[4]);
    clnn__gemm_operand xm = {x->buffer, 0, d, 0}, gm = {buf[0], 0, n, 0};
    if (st == CLNN_OK) st = clnn__sgemm(ctx, fn, 0, 1, n, n, d, 1.0f, xm, xm, 0.0f, gm, 1);
    cl_uint nn = (cl_uint)n, lanes = clnn__row_lanes(n);
    if (st == CLNN_OK) {
        clnn__karg a[] = {KARG_BUF(buf[0]), KARG_BUF(buf[1]), KARG_BUF(buf[2]), KARG(nn),
                          KARG(t),          KARG(lanes),      KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        size_t problem[2] = {n, n};
        st = clnn__run(ctx, fn, &clnn__ctr_unif_stats, problem, 7, a);
    }
    if (st == CLNN_OK) {
        float log_count = (float)log((double)n * (double)(n - 1)); /* ordered pairs */
        cl_int want_loss = loss != NULL;
        cl_mem lbuf = loss ? loss->buffer : buf[3];
        clnn__karg a[] = {KARG_BUF(buf[3]), KARG_BUF(lbuf), KARG_BUF(buf[1]), KARG(nn),
                          KARG(log_count),  KARG(want_loss), KARG(lanes),    KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        size_t problem[2] = {1, n};
        st = clnn__run(ctx, fn, &clnn__ctr_lse_merge, problem, 8, a);
    }
    if (st == CLNN_OK && dx) st = uniformity_grad(ctx, fn, x, t, buf[0], buf[2], buf[3], buf[4], dx);
    clnn__ctr_release(5, buf);
    return st;
}
