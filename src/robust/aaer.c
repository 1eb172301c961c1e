/* Host side of AAER (cl/robust_aaer.cl, include/clnn/robust.h): the row
 * distances, the batch statistics, then the penalty and the gradients in
 * one element-wise pass. */
#include "divisor.h"
#include "robust/robust_internal.h"

static int nonneg(float x) { return clnn__is_finite(x) && x >= 0.0f; }

clnn_status clnn_aaer_penalty(clnn_context *ctx, const clnn_tensor *loss_0, const clnn_tensor *loss_adv,
                              const clnn_tensor *z_0, const clnn_tensor *z_adv, float lambda1, float lambda2,
                              float lambda3, clnn_tensor *penalty, clnn_tensor *grad_0, clnn_tensor *grad_adv)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "z_0", z_0, &rows, &cols));
    TRY(clnn__check_same_shape(ctx, fn, "z_adv", z_adv, "z_0", z_0));
    TRY(clnn__check_f32(ctx, fn, "loss_0", loss_0, rows));
    TRY(clnn__check_f32(ctx, fn, "loss_adv", loss_adv, rows));
    CHECK_ARG(ctx, nonneg(lambda1) && nonneg(lambda2) && nonneg(lambda3),
              "%s: lambda1 %g, lambda2 %g, lambda3 %g: each must be finite and >= 0", fn, (double)lambda1,
              (double)lambda2, (double)lambda3);
    CHECK_ARG(ctx, penalty || grad_0 || grad_adv, "%s: every output is NULL: nothing to compute", fn);
    if (penalty) TRY(clnn__check_f32(ctx, fn, "penalty", penalty, 1));
    if (grad_0) TRY(clnn__check_same_shape(ctx, fn, "grad_0", grad_0, "z_0", z_0));
    if (grad_adv) TRY(clnn__check_same_shape(ctx, fn, "grad_adv", grad_adv, "z_0", z_0));
    const clnn_tensor *outs[] = {penalty, grad_0, grad_adv}, *ins[] = {loss_0, loss_adv, z_0, z_adv};
    const char *out_names[] = {"penalty", "grad_0", "grad_adv"};
    const char *in_names[] = {"loss_0", "loss_adv", "z_0", "z_adv"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 4));

    cl_mem v = NULL, stats = NULL;
    clnn_status st = clnn__scratch(ctx, fn, rows, &v);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, 4, &stats);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols;
    if (st == CLNN_OK) {
        cl_uint lanes = clnn__row_lanes(cols);
        clnn__karg args[] = {KARG_BUF(v), KARG_BUF(z_0->buffer), KARG_BUF(z_adv->buffer), KARG(ncols), KARG(lanes),
                             KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        const size_t problem[2] = {rows, cols};
        st = clnn__run(ctx, fn, &clnn__tune_robust_aaer_rows, problem, 6, args);
    }
    if (st == CLNN_OK) {
        cl_uint lanes = clnn__row_lanes(rows);
        clnn__karg args[] = {KARG_BUF(stats), KARG_BUF(loss_0->buffer), KARG_BUF(loss_adv->buffer), KARG_BUF(v),
                             KARG(nrows),     KARG(lanes),              KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        const size_t problem[2] = {1, rows};
        st = clnn__run(ctx, fn, &clnn__tune_robust_aaer_stats, problem, 7, args);
    }
    if (st == CLNN_OK) {
        cl_mem pen = penalty ? penalty->buffer : stats, g0 = grad_0 ? grad_0->buffer : stats;
        cl_mem ga = grad_adv ? grad_adv->buffer : stats; /* unwritten without their flags */
        cl_uint4 dv = clnn__divisor(ncols);
        cl_int want_p = penalty != NULL, want_g0 = grad_0 != NULL, want_ga = grad_adv != NULL;
        clnn__karg args[] = {KARG_BUF(pen),  KARG_BUF(g0),     KARG_BUF(ga),      KARG_BUF(loss_0->buffer),
                             KARG_BUF(loss_adv->buffer),       KARG_BUF(z_0->buffer), KARG_BUF(z_adv->buffer),
                             KARG_BUF(stats), KARG(nrows),     KARG(dv),          KARG(lambda1),
                             KARG(lambda2),  KARG(lambda3),    KARG(want_p),      KARG(want_g0),
                             KARG(want_ga)};
        const size_t problem[2] = {rows * cols, 1};
        st = clnn__run(ctx, fn, &clnn__tune_robust_aaer_apply, problem, 16, args);
    }
    if (v) clReleaseMemObject(v);
    if (stats) clReleaseMemObject(stats);
    return st;
}
