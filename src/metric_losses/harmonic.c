/* Host side of the harmonic loss (cl/metric_losses.cl harmonic_rows;
 * include/clnn/metric_losses.h): shift x and w by the mean class vector,
 * squared norms, S = Xc·Wcᵀ (CLBlast), the row kernel, then the gradient
 * GEMMs and the loss sum (common.c). */
#include "metric_losses/metric_losses_internal.h"

clnn_status clnn_harmonic_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                               const clnn_tensor *labels, float exponent, float eps,
                               const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss,
                               clnn_tensor *dx, clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    clnn__embed e;
    TRY(clnn__embed_check(ctx, fn, x, w, labels, weights, reduction, loss, dx, dw, &e));
    CHECK_ARG(ctx, clnn__is_finite(exponent) && exponent > 0.0f, "%s: exponent %g is not finite and > 0", fn,
              (double)exponent);
    CHECK_ARG(ctx, clnn__is_finite(eps) && eps > 0.0f, "%s: eps %g is not finite and > 0", fn, (double)eps);

    /* everything is allocated before the first launch */
    cl_mem mu = NULL, xc = NULL, wc = NULL;
    clnn_status st = clnn__embed_alloc(ctx, fn, &e);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e.d, &mu);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e.n * e.d, &xc);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e.c * e.d, &wc);
    /* distances are translation invariant: shifting both sets by the mean
     * class vector keeps the GEMM expansion's terms as small as the data's
     * spread, and the gradients are the same */
    if (st == CLNN_OK)
        st = clnn__group_sum(ctx, fn, w->buffer, mu, e.d, e.c, 1, 1, e.d, (float)(1.0 / (double)e.c));
    if (st == CLNN_OK) st = clnn__embed_center(ctx, fn, xc, x->buffer, mu, e.n, e.d);
    if (st == CLNN_OK) st = clnn__embed_center(ctx, fn, wc, w->buffer, mu, e.c, e.d);
    if (st == CLNN_OK) st = clnn__embed_norms(ctx, fn, &e, xc, wc, 1);
    if (st == CLNN_OK) st = clnn__embed_gemm(ctx, fn, &e, xc, wc);
    if (st == CLNN_OK) {
        cl_uint ncols = (cl_uint)e.c, dim = (cl_uint)e.d, lanes = clnn__row_lanes(e.c);
        cl_int want_grad = dx || dw;
        clnn__karg args[] = {KARG_BUF(e.partial), KARG_BUF(e.coef), KARG_BUF(e.s),   KARG_BUF(e.z),
                             KARG_BUF(xc),        KARG_BUF(wc),     KARG_BUF(e.nx),  KARG_BUF(e.nw),
                             KARG_BUF(labels->buffer), KARG(ncols), KARG(dim),       KARG(lanes),
                             KARG(exponent),      KARG(eps),        KARG(e.scale),   KARG_BUF(e.rw.arg),
                             KARG(e.rw.weighted), KARG(e.rw.ignore_index),      KARG(want_grad),
                             KARG(e.weights.label_smoothing), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        size_t problem[2] = {e.n, e.c};
        const char *variant = e.weights.label_smoothing != 0.0f ? "-DLABEL_SMOOTH=1" : NULL;
        st = clnn__run_variant(ctx, fn, &clnn__tune_metric_harmonic_rows, variant, problem,
                               sizeof args / sizeof args[0], args);
    }
    /* the column sums of A itself give dw's row coefficients */
    if (st == CLNN_OK) st = clnn__embed_finish(ctx, fn, &e, xc, wc, e.z);
    clnn__embed_release(&e);
    if (mu) clReleaseMemObject(mu);
    if (xc) clReleaseMemObject(xc);
    if (wc) clReleaseMemObject(wc);
    return st;
}
