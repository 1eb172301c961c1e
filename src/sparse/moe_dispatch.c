/* Host side of MoE token dispatch and combine (cl/sparse_moe_dispatch.cl,
 * include/clnn/sparse.h): the pairs grouped by expert with the device radix
 * sort, rows gathered, and the weighted scatter back with its gradients. */
#include "sparse/sparse_internal.h"

#include <math.h>

/* positions [T*, K] int32 (T tokens of K slots; binds T, K and P = T·K,
 * the pairs), whose P·D fits 32-bit indices (D bound before). */
static clnn_status check_positions(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *positions)
{
    TRY(clnn__check_shape(ctx, fn, d, "positions", positions, "i32:T*,K"));
    clnn__dims_bind(d, 'P', positions->count, "positions");
    CHECK_SHAPE(ctx, positions->count <= 0xFFFFFFFFu / clnn__dim(d, 'D'), "%s: %zu pairs of %zu features pass 2^32 - 1",
                fn, positions->count, clnn__dim(d, 'D'));
    return CLNN_OK;
}

/* The features of an fp32 [rows..., D] tensor: binds D. */
static clnn_status bind_features(clnn_context *ctx, const char *fn, clnn__dims *d, const char *name,
                                 const clnn_tensor *t)
{
    TRY(clnn__check_f32(ctx, fn, name, t, 0));
    clnn__dims_bind(d, 'D', t->shape[t->ndim - 1], name);
    return CLNN_OK;
}

/* The pairs of indices grouped by expert (E experts): keys = the sorted
 * experts, rows = the pair at each sorted position, offsets [E + 1] = the
 * first position of each expert. */
static clnn_status group_pairs(clnn_context *ctx, const char *fn, const clnn_tensor *indices, cl_uint E, cl_mem keys,
                               cl_mem rows, cl_mem offsets)
{
    cl_uint pairs = (cl_uint)indices->count;
    size_t p1[2] = {pairs, 1}, pe[2] = {(size_t)E + 1, 1};
    clnn__karg ak[] = {KARG_BUF(indices->buffer), KARG_BUF(keys), KARG(pairs), KARG(E)};
    TRY(clnn__run(ctx, fn, &clnn__tune_moe_pair_keys, p1, 4, ak));
    TRY(clnn__sort(ctx, fn, CLNN__SORT_F32_ASC, keys, NULL, keys, rows, pairs));
    clnn__karg ao[] = {KARG_BUF(keys), KARG_BUF(offsets), KARG(pairs), KARG(E)};
    return clnn__run(ctx, fn, &clnn__tune_moe_offsets, pe, 4, ao);
}

static clnn_status dispatch_run(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *indices,
                                clnn_tensor *offsets, clnn_tensor *positions, clnn_tensor *x_sorted, cl_mem keys,
                                cl_mem rows)
{
    cl_uint pairs = (cl_uint)indices->count, E = (cl_uint)(offsets->count - 1), k = (cl_uint)positions->shape[positions->ndim - 1];
    cl_uint D = (cl_uint)x->shape[x->ndim - 1];
    size_t pd[2] = {(size_t)pairs * D, 1};
    TRY(group_pairs(ctx, fn, indices, E, keys, rows, offsets->buffer));
    clnn__karg ag[] = {KARG_BUF(x->buffer), KARG_BUF(rows), KARG_BUF(positions->buffer), KARG_BUF(x_sorted->buffer),
                       KARG(pairs),         KARG(k),        KARG(D)};
    return clnn__run(ctx, fn, &clnn__tune_moe_gather, pd, 7, ag);
}

clnn_status clnn_moe_dispatch(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *indices,
                              clnn_tensor *offsets, clnn_tensor *positions, clnn_tensor *x_sorted)
{
    CLNN_ENTRY(ctx);
    TRY(bind_features(ctx, fn, &dims, "x", x));
    TRY(check_positions(ctx, fn, &dims, positions));
    TRY(clnn__check_shape(ctx, fn, &dims, "indices", indices, "i32:T*,K"));
    TRY(clnn__check_shape(ctx, fn, &dims, "x", x, "T*,D"));
    const size_t T = clnn__dim(&dims, 'T'), k = clnn__dim(&dims, 'K');
    TRY(clnn__check_i32(ctx, fn, "offsets", offsets, 0));
    CHECK_SHAPE(ctx, offsets->count >= 2 && offsets->count <= 0x1000001u,
                "%s: offsets has %zu entries: E + 1 for 1 to 2^24 experts", fn, offsets->count);
    CHECK_SHAPE(ctx, T * k <= 0x7FFFFFFFu, "%s: more than 2^31 - 1 pairs", fn);
    TRY(clnn__check_shape(ctx, fn, &dims, "x_sorted", x_sorted, "P*,D"));
    const clnn_tensor *outs[] = {offsets, positions, x_sorted}, *ins[] = {x, indices};
    static const char *const out_names[] = {"offsets", "positions", "x_sorted"}, *const in_names[] = {"x", "indices"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 2));
    cl_mem keys = NULL, rows = NULL;
    clnn_status st = clnn__scratch(ctx, fn, T * k, &keys);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, T * k, &rows);
    if (st == CLNN_OK) st = dispatch_run(ctx, fn, x, indices, offsets, positions, x_sorted, keys, rows);
    if (keys) clReleaseMemObject(keys);
    if (rows) clReleaseMemObject(rows);
    return st;
}

/* y [T, D] = Σ_q g·y_sorted[positions] (gates NULL: g = 1). */
static clnn_status combine(clnn_context *ctx, const char *fn, clnn__dims *d, const char *in_name,
                           const clnn_tensor *y_sorted, const clnn_tensor *positions, const clnn_tensor *gates,
                           const char *out_name, clnn_tensor *y)
{
    TRY(bind_features(ctx, fn, d, in_name, y_sorted));
    TRY(check_positions(ctx, fn, d, positions));
    TRY(clnn__check_shape(ctx, fn, d, in_name, y_sorted, "R*,D")); /* P rows, or E·C with a capacity */
    if (gates) TRY(clnn__check_shape(ctx, fn, d, "gates", gates, "T*,K"));
    TRY(clnn__check_shape(ctx, fn, d, out_name, y, "T*,D"));
    const clnn_tensor *outs[] = {y}, *ins[] = {y_sorted, positions, gates};
    const char *const out_names[] = {out_name}, *const in_names[] = {in_name, "positions", "gates"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 3));
    const size_t T = clnn__dim(d, 'T'), k = clnn__dim(d, 'K'), D = clnn__dim(d, 'D');
    cl_uint tt = (cl_uint)T, kk = (cl_uint)k, dd = (cl_uint)D, nrows = (cl_uint)clnn__dim(d, 'R');
    cl_int has_gates = gates != NULL;
    cl_mem g = gates ? gates->buffer : y_sorted->buffer; /* not read without has_gates */
    clnn__karg a[] = {KARG_BUF(y_sorted->buffer), KARG_BUF(positions->buffer), KARG_BUF(g), KARG_BUF(y->buffer),
                      KARG(tt), KARG(kk), KARG(dd), KARG(has_gates), KARG(nrows)};
    size_t problem[2] = {T * D, 1};
    return clnn__run(ctx, fn, &clnn__tune_moe_combine, problem, 9, a);
}

clnn_status clnn_moe_combine(clnn_context *ctx, const clnn_tensor *y_sorted, const clnn_tensor *positions,
                             const clnn_tensor *gates, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_tensor(ctx, fn, "gates", gates));
    return combine(ctx, fn, &dims, "y_sorted", y_sorted, positions, gates, "y", y);
}

clnn_status clnn_moe_dispatch_backward(clnn_context *ctx, const clnn_tensor *dx_sorted, const clnn_tensor *positions,
                                       clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return combine(ctx, fn, &dims, "dx_sorted", dx_sorted, positions, NULL, "dx", dx);
}

clnn_status clnn_moe_combine_backward(clnn_context *ctx, const clnn_tensor *y_sorted, const clnn_tensor *positions,
                                      const clnn_tensor *gates, const clnn_tensor *dy, clnn_tensor *dy_sorted,
                                      clnn_tensor *dgates)
{
    CLNN_ENTRY(ctx);
    TRY(bind_features(ctx, fn, &dims, "y_sorted", y_sorted));
    TRY(check_positions(ctx, fn, &dims, positions));
    TRY(clnn__check_shape(ctx, fn, &dims, "y_sorted", y_sorted, "R*,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "gates", gates, "T*,K"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dy", dy, "T*,D"));
    CHECK_ARG(ctx, dy_sorted || dgates, "%s: dy_sorted and dgates are both NULL: nothing to compute", fn);
    if (dy_sorted) TRY(clnn__check_shape(ctx, fn, &dims, "dy_sorted", dy_sorted, "R*,D"));
    if (dgates) TRY(clnn__check_shape(ctx, fn, &dims, "dgates", dgates, "T*,K"));
    const clnn_tensor *outs[] = {dy_sorted, dgates}, *ins[] = {y_sorted, positions, gates, dy};
    static const char *const out_names[] = {"dy_sorted", "dgates"},
                             *const in_names[] = {"y_sorted", "positions", "gates", "dy"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 4));
    const size_t T = clnn__dim(&dims, 'T'), k = clnn__dim(&dims, 'K'), D = clnn__dim(&dims, 'D');
    cl_uint tt = (cl_uint)T, kk = (cl_uint)k, dd = (cl_uint)D, nrows = (cl_uint)clnn__dim(&dims, 'R');
    if (dy_sorted) {
        /* rows no pair reaches (a capacity's padding) get 0; positions cannot
         * say cheaply whether every row is reached, so the fill always runs */
        TRY(clnn_tensor_fill(dy_sorted, 0.0f));
        clnn__karg a[] = {KARG_BUF(positions->buffer), KARG_BUF(gates->buffer), KARG_BUF(dy->buffer),
                          KARG_BUF(dy_sorted->buffer), KARG(tt), KARG(kk), KARG(dd), KARG(nrows)};
        size_t problem[2] = {T * k * D, 1};
        TRY(clnn__run(ctx, fn, &clnn__tune_moe_combine_dy, problem, 8, a));
    }
    if (!dgates) return CLNN_OK;
    clnn__karg a[] = {KARG_BUF(y_sorted->buffer), KARG_BUF(positions->buffer), KARG_BUF(dy->buffer),
                      KARG_BUF(dgates->buffer), KARG(tt), KARG(kk), KARG(dd), KARG(nrows)};
    size_t problem[2] = {T * k, 1};
    return clnn__run(ctx, fn, &clnn__tune_moe_combine_dg, problem, 8, a);
}

/* ------------------------------------------------------ with a capacity */

clnn_status clnn_moe_capacity(size_t tokens, size_t k, size_t experts, float factor, size_t *capacity)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!capacity) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: capacity is NULL", fn);
    if (!tokens || !k || !experts)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: tokens, k and experts must be >= 1", fn);
    if (!clnn__is_finite(factor) || factor <= 0.0f)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: factor %g is not finite and > 0", fn, (double)factor);
    double c = ceil((double)factor * (double)tokens * (double)k / (double)experts);
    if (c > 2147483647.0) return clnn__fail(NULL, CLNN_ERR_SHAPE, "%s: a capacity of %.0f rows passes 2^31 - 1", fn, c);
    *capacity = (size_t)c;
    return CLNN_OK;
}

clnn_status clnn_moe_dispatch_capacity(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *indices,
                                       size_t capacity, clnn_tensor *counts, clnn_tensor *dropped,
                                       clnn_tensor *positions, clnn_tensor *x_buf)
{
    CLNN_ENTRY(ctx);
    TRY(bind_features(ctx, fn, &dims, "x", x));
    TRY(check_positions(ctx, fn, &dims, positions));
    TRY(clnn__check_shape(ctx, fn, &dims, "indices", indices, "i32:T*,K"));
    TRY(clnn__check_shape(ctx, fn, &dims, "x", x, "T*,D"));
    const size_t T = clnn__dim(&dims, 'T'), k = clnn__dim(&dims, 'K'), D = clnn__dim(&dims, 'D');
    CHECK_SHAPE(ctx, T * k <= 0x7FFFFFFFu, "%s: more than 2^31 - 1 pairs", fn);
    TRY(clnn__check_i32(ctx, fn, "counts", counts, 0));
    const size_t E = counts->count;
    CHECK_SHAPE(ctx, E >= 1 && E <= 0x1000000u, "%s: counts has %zu entries: one per expert, 1 to 2^24", fn, E);
    CHECK_ARG(ctx, capacity >= 1 && capacity <= 0x7FFFFFFFu / E, "%s: capacity %zu is not in [1, (2^31 - 1) / %zu experts]",
              fn, capacity, E);
    if (dropped) TRY(clnn__check_i32(ctx, fn, "dropped", dropped, 1));
    clnn__dims_bind(&dims, 'R', E * capacity, "counts x capacity");
    TRY(clnn__check_shape(ctx, fn, &dims, "x_buf", x_buf, "R*,D"));
    CHECK_SHAPE(ctx, E * capacity <= 0xFFFFFFFFu / D, "%s: %zu rows of %zu features pass 2^32 - 1", fn, E * capacity, D);
    const clnn_tensor *outs[] = {counts, dropped, positions, x_buf}, *ins[] = {x, indices};
    static const char *const out_names[] = {"counts", "dropped", "positions", "x_buf"},
                             *const in_names[] = {"x", "indices"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 4, ins, in_names, 2));

    cl_mem keys = NULL, rows = NULL, offsets = NULL;
    const size_t pairs = T * k;
    clnn_status st = clnn__scratch(ctx, fn, pairs, &keys);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, pairs, &rows);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, E + 1, &offsets);
    cl_uint np = (cl_uint)pairs, nE = (cl_uint)E, nk = (cl_uint)k, nD = (cl_uint)D, C = (cl_uint)capacity;
    size_t pd[2] = {pairs * D, 1}, one[2] = {1, 1};
    if (st == CLNN_OK) st = group_pairs(ctx, fn, indices, nE, keys, rows, offsets);
    if (st == CLNN_OK) st = clnn_tensor_fill(x_buf, 0.0f);
    if (st == CLNN_OK) {
        clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(rows), KARG_BUF(keys), KARG_BUF(offsets),
                          KARG_BUF(positions->buffer), KARG_BUF(x_buf->buffer), KARG(np), KARG(nk), KARG(nD),
                          KARG(nE), KARG(C)};
        st = clnn__run(ctx, fn, &clnn__tune_moe_gather_capacity, pd, 11, a);
    }
    if (st == CLNN_OK) {
        cl_int want_dropped = dropped != NULL;
        cl_mem db = dropped ? dropped->buffer : counts->buffer; /* not written without want_dropped */
        clnn__karg a[] = {KARG_BUF(offsets), KARG_BUF(counts->buffer), KARG_BUF(db), KARG(nE), KARG(C), KARG(np),
                          KARG(want_dropped)};
        st = clnn__run(ctx, fn, &clnn__tune_moe_capacity_counts, one, 7, a);
    }
    cl_mem all[] = {keys, rows, offsets};
    for (size_t i = 0; i < 3; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    return st;
}
