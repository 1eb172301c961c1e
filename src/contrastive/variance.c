/* Variance penalties (include/clnn/contrastive.h): one kernel over groups
 * addressed as in cl/reduce.clh, the rows of [R, T] (multi-task balance) or
 * the columns of [N, D] (per-dimension output variance). */
#include "contrastive/contrastive_internal.h"

static clnn_status variance(clnn_context *ctx, const char *fn, const char *in_name, const char *grad_name,
                            const clnn_tensor *x, float coef, clnn_reduction reduction, clnn_tensor *loss,
                            clnn_tensor *dx, int by_columns)
{
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, in_name, x, &rows, &cols));
    CHECK_ARG(ctx, clnn__is_finite(coef), "%s: coef %g is not finite", fn, (double)coef);
    TRY(clnn__ctr_check_reduction(ctx, fn, reduction));
    TRY(clnn__check_loss_outputs(ctx, fn, x, x, loss, dx, grad_name));

    size_t groups = by_columns ? cols : rows, count = by_columns ? rows : cols;
    cl_uint n = (cl_uint)count, gstride = by_columns ? 1 : (cl_uint)cols, inner = by_columns ? 1 : (cl_uint)cols;
    cl_uint ostride = by_columns ? (cl_uint)cols : 0;
    cl_mem partial = NULL;
    TRY(clnn__scratch(ctx, fn, groups, &partial));
    cl_mem g = dx ? dx->buffer : partial; /* unwritten without want_grad */
    cl_int want_grad = dx != NULL;
    float scale = clnn__loss_scale(reduction, groups);
    clnn__karg a[] = {KARG_BUF(partial), KARG_BUF(g), KARG_BUF(x->buffer), KARG(n),     KARG(gstride),
                      KARG(inner),       KARG(ostride), KARG(coef),        KARG(scale), KARG(want_grad)};
    size_t problem[2] = {groups, count};
    clnn_status st = clnn__run(ctx, fn, &clnn__ctr_variance, problem, 10, a);
    if (st == CLNN_OK && loss) st = clnn__loss_sum(ctx, fn, loss, partial, groups, scale);
    clReleaseMemObject(partial);
    return st;
}

clnn_status clnn_task_variance_penalty(clnn_context *ctx, const clnn_tensor *x, float coef,
                                       clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return variance(ctx, fn, "x", "dx", x, coef, reduction, loss, dx, 0);
}

clnn_status clnn_output_variance_penalty(clnn_context *ctx, const clnn_tensor *y, float coef,
                                         clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dy)
{
    CLNN_ENTRY(ctx);
    return variance(ctx, fn, "y", "dy", y, coef, reduction, loss, dy, 1);
}
