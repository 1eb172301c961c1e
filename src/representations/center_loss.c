/* Host side of the center loss and its center update
 * (include/clnn/representations.h, cl/representations_center.cl). */
#include "representations/representations_internal.h"

/* x [N, D], labels [N] and centers [K, D] of ctx; N, D, K in *n, *d, *k. */
static clnn_status check_center_args(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *x,
                                     const clnn_tensor *labels, const clnn_tensor *centers, size_t *n, size_t *d,
                                     size_t *k)
{
    TRY(clnn__check_shape(ctx, fn, dims, "x", x, "N,D"));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    *n = clnn__dim(dims, 'N');
    *d = clnn__dim(dims, 'D');
    TRY(clnn__check_labels(ctx, fn, "labels", labels, *n, "x"));
    TRY(clnn__check_shape(ctx, fn, dims, "centers", centers, "K,D"));
    TRY(clnn__check_count32(ctx, fn, "centers", centers));
    *k = clnn__dim(dims, 'K');
    CHECK_SHAPE(ctx, *k <= 0x7FFFFFFF, "%s: more than 2^31 - 1 classes", fn);
    return CLNN_OK;
}

clnn_status clnn_center_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *labels,
                             const clnn_tensor *centers, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    size_t n, d, k;
    TRY(check_center_args(ctx, fn, &dims, x, labels, centers, &n, &d, &k));
    const clnn__loss_red red = {reduction, n, "sample"};
    TRY(clnn__check_loss_args(ctx, fn, &red, x, centers, loss, dx, "dx"));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(x, dx, reduction, n);
    cl_uint cols = (cl_uint)d, classes = (cl_uint)k, lanes = clnn__row_lanes(d);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(x->buffer), KARG_BUF(labels->buffer),
                         KARG_BUF(centers->buffer), KARG(cols), KARG(classes), KARG(lanes), KARG(g.scale),
                         KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &clnn__tune_repr_center_rows, NULL, n, d, &partial, 11, args, reduction, loss);
}

clnn_status clnn_center_loss_update(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *labels, float alpha,
                                    clnn_tensor *centers)
{
    CLNN_ENTRY(ctx);
    size_t n, d, k;
    TRY(check_center_args(ctx, fn, &dims, x, labels, centers, &n, &d, &k));
    CHECK_ARG(ctx, clnn__is_finite(alpha) && alpha >= 0.0f && alpha <= 1.0f, "%s: alpha %g is not in [0, 1]", fn,
              (double)alpha);
    CHECK_ARG(ctx, !clnn__alias(centers, x), "%s: centers must not alias x", fn);
    CHECK_SHAPE(ctx, n <= 0x7FFFFFFF, "%s: more than 2^31 - 1 samples", fn); /* int32 sample links */
    cl_mem links; /* int32 [2N]: next sample of the same label, first-of-label flags */
    TRY(clnn__scratch(ctx, fn, 2 * n, &links));
    cl_uint nn = (cl_uint)n, dd = (cl_uint)d, classes = (cl_uint)k;
    clnn__karg a1[] = {KARG_BUF(links), KARG_BUF(labels->buffer), KARG(nn), KARG(classes)};
    size_t p1[2] = {n, 1};
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_repr_center_links, p1, 4, a1);
    if (st == CLNN_OK) {
        clnn__karg a2[] = {KARG_BUF(centers->buffer), KARG_BUF(x->buffer), KARG_BUF(labels->buffer), KARG_BUF(links),
                           KARG(nn), KARG(dd), KARG(alpha)};
        size_t p2[2] = {n, d};
        st = clnn__run(ctx, fn, &clnn__tune_repr_center_update, p2, 7, a2);
    }
    clReleaseMemObject(links);
    return st;
}
