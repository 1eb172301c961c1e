/* Host side of the top-k activation (cl/sparse_topk_act.cl, include/clnn/sparse.h):
 * argument checks and one row kernel for both directions; clnn_topk, the
 * selection in value order, on it and clnn_sort_rows. */
#include "common/rows.h"
#include "divisor.h"
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

/* ------------------------------------------------ values in value order */

/* The workspaces of clnn_topk: the activation's dense output (unused),
 * its ascending positions, their values, and the sort's order. */
typedef struct topk_work {
    clnn_tensor *y, *pos, *vals, *order;
} topk_work;

static void topk_work_release(topk_work *w)
{
    clnn_tensor_release(w->y), clnn_tensor_release(w->pos), clnn_tensor_release(w->vals);
    clnn_tensor_release(w->order);
}

static clnn_status topk_work_alloc(clnn_context *ctx, const clnn_tensor *x, size_t rows, size_t k, topk_work *w)
{
    size_t rk[2] = {rows, k};
    *w = (topk_work){NULL, NULL, NULL, NULL};
    clnn_status st = clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &x->count, &w->y);
    if (st == CLNN_OK) st = clnn_tensor_create(ctx, CLNN_INT32, 2, rk, &w->pos);
    if (st == CLNN_OK) st = clnn_tensor_create(ctx, CLNN_FLOAT32, 2, rk, &w->vals);
    if (st == CLNN_OK) st = clnn_tensor_create(ctx, CLNN_INT32, 2, rk, &w->order);
    if (st != CLNN_OK) topk_work_release(w);
    return st;
}

/* out (fp32 or int32, per ints) has rows·k elements and a last dimension of k. */
static clnn_status check_topk_out(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *out, int ints,
                                  size_t rows, size_t k, const clnn_tensor *x)
{
    TRY(ints ? clnn__check_i32(ctx, fn, name, out, rows * k) : clnn__check_f32(ctx, fn, name, out, rows * k));
    CHECK_SHAPE(ctx, out->shape[out->ndim - 1] == k, "%s: the last dimension of %s is %zu, not k = %zu", fn, name,
                out->shape[out->ndim - 1], k);
    CHECK_ARG(ctx, !clnn__alias(out, x), "%s: %s must not alias x", fn, name);
    return CLNN_OK;
}

clnn_status clnn_topk(clnn_context *ctx, const clnn_tensor *x, size_t k, clnn_tensor *values, clnn_tensor *indices)
{
    CLNN_ENTRY(ctx);
    size_t rows, n;
    TRY(check_x_k(ctx, fn, x, k, &rows, &n));
    CHECK_ARG(ctx, values || indices, "%s: values and indices are both NULL: nothing to compute", fn);
    if (values) TRY(check_topk_out(ctx, fn, "values", values, 0, rows, k, x));
    if (indices) TRY(check_topk_out(ctx, fn, "indices", indices, 1, rows, k, x));
    CHECK_ARG(ctx, !values || !indices || !clnn__alias(values, indices), "%s: values and indices share a buffer", fn);
    topk_work w;
    TRY(topk_work_alloc(ctx, x, rows, k, &w));
    clnn_status st = topk_run(ctx, fn, x, NULL, w.y, w.pos, rows, n, k);
    cl_uint count = (cl_uint)(rows * k), nn = (cl_uint)n;
    cl_uint4 dk = clnn__divisor((cl_uint)k);
    size_t problem[2] = {rows * k, 1};
    if (st == CLNN_OK) {
        clnn__karg a[] = {KARG_BUF(w.vals->buffer), KARG_BUF(x->buffer), KARG_BUF(w.pos->buffer), KARG(count), KARG(dk),
                          KARG(nn)};
        st = clnn__run(ctx, fn, &clnn__tune_topk_gather_values, problem, 6, a);
    }
    /* the kept values in ascending position order: a stable descending sort puts ties lower index first */
    if (st == CLNN_OK) st = clnn_sort_rows(ctx, w.vals, 1, values ? values : w.vals, w.order);
    if (st == CLNN_OK && indices) {
        clnn__karg a[] = {KARG_BUF(indices->buffer), KARG_BUF(w.pos->buffer), KARG_BUF(w.order->buffer), KARG(count),
                          KARG(dk)};
        st = clnn__run(ctx, fn, &clnn__tune_topk_reorder, problem, 5, a);
    }
    topk_work_release(&w);
    return st;
}
