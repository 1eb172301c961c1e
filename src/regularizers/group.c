/* Group terms over rows or columns of a weight matrix: group lasso (value,
 * gradient, block soft-threshold) and the row norm loss. Group norms come
 * from the segmented reduction; the elementwise parts share one kernel. */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

static clnn_status check_group(clnn_context *ctx, const char *fn, float lambda, clnn_group_dim dim,
                               const clnn_tensor *w)
{
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    CHECK_ARG(ctx, dim == CLNN_GROUP_ROWS || dim == CLNN_GROUP_COLUMNS, "%s: dim %d is not a clnn_group_dim", fn,
              (int)dim);
    return clnn__check_f32(ctx, fn, "w", w, 0);
}

/* norms[g] = scale·POST(Σ_{i in g} w_i²) for every group g into out (offset 0). */
static clnn_status group_norms(clnn_context *ctx, const char *fn, const clnn_tensor *w, clnn_group_dim dim, int post,
                               float scale, cl_mem out, size_t *ngroups)
{
    size_t rows, cols;
    clnn__rows_cols(w, &rows, &cols);
    int by_cols = dim == CLNN_GROUP_COLUMNS;
    *ngroups = by_cols ? cols : rows;
    clnn__reduce_desc d = {w->buffer, NULL, REDUCE_TERM_ABS_SQ, post, (cl_uint)*ngroups,
                           (cl_uint)(by_cols ? rows : cols), (cl_uint)(by_cols ? 1 : cols),
                           (cl_uint)(by_cols ? cols : 1), 1, 0.0f, 1.0f, scale};
    return clnn__reduce(ctx, fn, &d, out, 0);
}

/* value[0] = Σ_g scale·POST(...) */
static clnn_status group_value(clnn_context *ctx, const char *fn, const clnn_tensor *w, clnn_group_dim dim, int post,
                               float lambda, clnn_tensor *value)
{
    size_t rows, cols, ngroups;
    clnn__rows_cols(w, &rows, &cols);
    cl_mem per_group;
    TRY(clnn__scratch(ctx, fn, dim == CLNN_GROUP_COLUMNS ? cols : rows, &per_group));
    clnn_status st = group_norms(ctx, fn, w, dim, post, lambda, per_group, &ngroups);
    if (st == CLNN_OK) { /* the per-group values are >= 0: Σ |x| is their sum */
        clnn__reduce_desc d = {per_group, NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_NONE, 1, (cl_uint)ngroups,
                               0, 1, 1, 1.0f, 0.0f, 1.0f};
        st = clnn__reduce(ctx, fn, &d, value->buffer, 0);
    }
    clReleaseMemObject(per_group);
    return st;
}

/* grad / w update with the group norms: MODE of reg_group_apply. */
static clnn_status group_apply(clnn_context *ctx, const char *fn, int mode, clnn_group_dim dim, clnn_tensor *w,
                               clnn_tensor *grad, float lambda)
{
    size_t rows, cols, ngroups;
    clnn__rows_cols(w, &rows, &cols);
    cl_mem norms;
    TRY(clnn__scratch(ctx, fn, dim == CLNN_GROUP_COLUMNS ? cols : rows, &norms));
    clnn_status st = group_norms(ctx, fn, w, dim, REDUCE_POST_SQRT, 1.0f, norms, &ngroups);
    if (st == CLNN_OK) {
        char variant[48];
        snprintf(variant, sizeof variant, "-DMODE=%d -DBY_COLS=%d", mode, dim == CLNN_GROUP_COLUMNS);
        cl_uint r = (cl_uint)rows, c = (cl_uint)cols;
        cl_mem gb = grad ? grad->buffer : w->buffer;
        clnn__karg a[] = {KARG_BUF(w->buffer), KARG_BUF(norms), KARG_BUF(gb), KARG(r), KARG(c), KARG(lambda)};
        st = clnn__reg_terms_run(ctx, fn, REG_TERMS_GROUP_APPLY, variant, w->count, 6, a);
    }
    clReleaseMemObject(norms);
    return st;
}

static clnn_status check_grad(clnn_context *ctx, const char *fn, const clnn_tensor *w, const clnn_tensor *grad)
{
    TRY(clnn__check_f32(ctx, fn, "grad", grad, w->count));
    CHECK_ARG(ctx, !clnn__alias(grad, w), "%s: grad and w are the same buffer", fn);
    return CLNN_OK;
}

clnn_status clnn_reg_group_lasso_value(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_group_dim dim,
                                       clnn_tensor *value)
{
    CLNN_ENTRY(ctx);
    TRY(check_group(ctx, fn, lambda, dim, w));
    TRY(clnn__check_f32(ctx, fn, "value", value, 0));
    return group_value(ctx, fn, w, dim, REDUCE_POST_SQRT, lambda, value);
}

clnn_status clnn_reg_group_lasso_grad(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_group_dim dim,
                                      clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    TRY(check_group(ctx, fn, lambda, dim, w));
    TRY(check_grad(ctx, fn, w, grad));
    return group_apply(ctx, fn, 0, dim, (clnn_tensor *)w, grad, lambda);
}

clnn_status clnn_reg_group_lasso_prox(clnn_context *ctx, float lambda, float lr, clnn_group_dim dim, clnn_tensor *w)
{
    CLNN_ENTRY(ctx);
    TRY(check_group(ctx, fn, lambda, dim, w));
    TRY(clnn__check_range(ctx, fn, "lr", lr, 0.0f, INFINITY));
    return group_apply(ctx, fn, 2, dim, w, NULL, lr * lambda);
}

clnn_status clnn_reg_norm_loss_value(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *value)
{
    CLNN_ENTRY(ctx);
    TRY(check_group(ctx, fn, lambda, CLNN_GROUP_ROWS, w));
    TRY(clnn__check_f32(ctx, fn, "value", value, 0));
    return group_value(ctx, fn, w, CLNN_GROUP_ROWS, REDUCE_POST_NORM_LOSS, lambda, value);
}

clnn_status clnn_reg_norm_loss_grad(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    TRY(check_group(ctx, fn, lambda, CLNN_GROUP_ROWS, w));
    TRY(check_grad(ctx, fn, w, grad));
    return group_apply(ctx, fn, 1, CLNN_GROUP_ROWS, (clnn_tensor *)w, grad, lambda);
}
