/* Host side of the top-k activation (cl/sparse_topk_act.cl, include/clnn/sparse.h):
 * argument checks and one row kernel for both directions. */
#include "common/rows.h"
#include "sparse/sparse_internal.h"

/* x [rows, n] fp32 with 32-bit element indices and 1 <= k <= n. */
static clnn_status check_x_k(clnn_context *ctx, const char *fn, const clnn_tensor *x, size_t k, size_t *rows,
                             size_t *n)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    *n = x->shape[x->ndim - 1];
    *rows = x->count / *n;
    CHECK_ARG(ctx, k >= 1 && k <= *n, "%s: k = %zu is outside [1, %zu] (the last dimension of x)", fn, k, *n);
    return CLNN_OK;
}

static clnn_status topk_run(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *dy,
                            clnn_tensor *out, clnn_tensor *indices, size_t rows, size_t n, size_t k)
{
    cl_uint nn = (cl_uint)n, kk = (cl_uint)k;
    cl_int backward = dy != NULL, want_idx = indices != NULL;
    cl_mem dyb = dy ? dy->buffer : x->buffer, ib = indices ? indices->buffer : out->buffer; /* unused when off */
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(dyb), KARG_BUF(out->buffer), KARG_BUF(ib),
                      KARG(nn),            KARG(kk),      KARG(backward),        KARG(want_idx)};
    size_t problem[2] = {rows, n};
    return clnn__run(ctx, fn, &clnn__tune_topk_rows, problem, 8, a);
}

clnn_status clnn_topk_activation_forward(clnn_context *ctx, const clnn_tensor *x, size_t k, clnn_tensor *y,
                                         clnn_tensor *indices)
{
    CLNN_ENTRY(ctx);
    size_t rows, n;
    TRY(check_x_k(ctx, fn, x, k, &rows, &n));
    TRY(clnn__check_f32(ctx, fn, "y", y, x->count));
    CHECK_ARG(ctx, !clnn__alias(y, x), "%s: y must not alias x", fn);
    if (indices) {
        TRY(clnn__check_i32(ctx, fn, "indices", indices, rows * k));
        CHECK_SHAPE(ctx, indices->shape[indices->ndim - 1] == k, "%s: the last dimension of indices is %zu, not k = %zu",
                    fn, indices->shape[indices->ndim - 1], k);
        CHECK_ARG(ctx, !clnn__alias(indices, x) && !clnn__alias(indices, y),
                  "%s: indices must not alias x or y", fn);
    }
    return topk_run(ctx, fn, x, NULL, y, indices, rows, n, k);
}

clnn_status clnn_topk_activation_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy, size_t k,
                                          clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    size_t rows, n;
    TRY(check_x_k(ctx, fn, x, k, &rows, &n));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, x->count));
    TRY(clnn__check_f32(ctx, fn, "dx", dx, x->count));
    CHECK_ARG(ctx, !clnn__alias(dx, x) && !clnn__alias(dx, dy), "%s: dx must not alias x or dy", fn);
    return topk_run(ctx, fn, x, dy, dx, NULL, rows, n, k);
}
