/* Host side of the Wasserstein regularizer toward the initial weights
 * (cl/regularizers_wasserstein.cl, include/clnn/sparse.h): argsort of w on the device
 * radix sort, then one elementwise kernel (difference to the sorted initial
 * weights and the gradient scattered back through the permutation) and the
 * deterministic reduction of the regularizers for the value. */
#include "sparse/sparse_internal.h"
#include "regularizers/regularizers_internal.h"

static clnn_status w2_run(clnn_context *ctx, const char *fn, float lambda, const clnn_tensor *w,
                          const clnn_tensor *w0_sorted, clnn_tensor *value, clnn_tensor *grad, cl_mem d, cl_mem perm)
{
    size_t n = w->count;
    TRY(clnn__sort(ctx, fn, CLNN__SORT_F32_ASC, w->buffer, NULL, d, perm, n));
    cl_uint nn = (cl_uint)n;
    cl_float c = (cl_float)(2.0 * (double)lambda / (double)n);
    cl_int want_grad = grad != NULL;
    cl_mem g = grad ? grad->buffer : d; /* untouched without want_grad */
    clnn__karg a[] = {KARG_BUF(d), KARG_BUF(w0_sorted->buffer), KARG_BUF(perm), KARG_BUF(g), KARG(nn), KARG(c),
                      KARG(want_grad)};
    size_t problem[2] = {n, 1};
    TRY(clnn__run(ctx, fn, &clnn__tune_w2_diff, problem, 7, a));
    if (!value) return CLNN_OK;
    clnn__reduce_desc r = {d, NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_NONE, 1, nn, nn, 1, 1, 0.0f, 1.0f,
                           (cl_float)((double)lambda / (double)n)};
    return clnn__reduce(ctx, fn, &r, value->buffer, 0);
}

clnn_status clnn_reg_wasserstein(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *w0_sorted, float lambda,
                                 clnn_tensor *value, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    TRY(clnn__check_count32(ctx, fn, "w", w));
    TRY(clnn__check_f32(ctx, fn, "w0_sorted", w0_sorted, w->count));
    CHECK_ARG(ctx, value || grad, "%s: value and grad are both NULL: nothing to compute", fn);
    if (value) TRY(clnn__check_f32(ctx, fn, "value", value, 0));
    if (grad) TRY(clnn__check_f32(ctx, fn, "grad", grad, w->count));
    CHECK_ARG(ctx, !clnn__alias(w0_sorted, w), "%s: w0_sorted and w are the same buffer", fn);
    CHECK_ARG(ctx, !grad || (!clnn__alias(grad, w) && !clnn__alias(grad, w0_sorted)),
              "%s: grad shares its buffer with w or w0_sorted", fn);
    CHECK_ARG(ctx, !value || (!clnn__alias(value, w) && !clnn__alias(value, w0_sorted) &&
                              (!grad || !clnn__alias(value, grad))),
              "%s: value shares its buffer with w, w0_sorted or grad", fn);
    cl_mem d = NULL, perm = NULL;
    clnn_status st = clnn__scratch(ctx, fn, w->count, &d);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, w->count, &perm);
    if (st == CLNN_OK) st = w2_run(ctx, fn, lambda, w, w0_sorted, value, grad, d, perm);
    if (d) clReleaseMemObject(d);
    if (perm) clReleaseMemObject(perm);
    return st;
}
