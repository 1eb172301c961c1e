/* Host side of MoE token dispatch and combine (cl/sparse_moe_dispatch.cl,
 * include/clnn/sparse.h): the pairs grouped by expert with the device radix
 * sort, rows gathered, and the weighted scatter back with its gradients. */
#include "sparse/sparse_internal.h"

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

static clnn_status dispatch_run(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *indices,
                                clnn_tensor *offsets, clnn_tensor *positions, clnn_tensor *x_sorted, cl_mem keys,
                                cl_mem rows)
{
    cl_uint pairs = (cl_uint)indices->count, E = (cl_uint)(offsets->count - 1), k = (cl_uint)positions->shape[positions->ndim - 1];
    cl_uint D = (cl_uint)x->shape[x->ndim - 1];
    size_t p1[2] = {pairs, 1}, pe[2] = {(size_t)E + 1, 1}, pd[2] = {(size_t)pairs * D, 1};
    clnn__karg ak[] = {KARG_BUF(indices->buffer), KARG_BUF(keys), KARG(pairs), KARG(E)};
    TRY(clnn__run(ctx, fn, &clnn__tune_moe_pair_keys, p1, 4, ak));
    TRY(clnn__sort(ctx, fn, CLNN__SORT_F32_ASC, keys, NULL, keys, rows, pairs));
    clnn__karg ao[] = {KARG_BUF(keys), KARG_BUF(offsets->buffer), KARG(pairs), KARG(E)};
    TRY(clnn__run(ctx, fn, &clnn__tune_moe_offsets, pe, 4, ao));
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
    TRY(clnn__check_shape(ctx, fn, d, in_name, y_sorted, "P*,D"));
    if (gates) TRY(clnn__check_shape(ctx, fn, d, "gates", gates, "T*,K"));
    TRY(clnn__check_shape(ctx, fn, d, out_name, y, "T*,D"));
    const clnn_tensor *outs[] = {y}, *ins[] = {y_sorted, positions, gates};
    const char *const out_names[] = {out_name}, *const in_names[] = {in_name, "positions", "gates"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 3));
    const size_t T = clnn__dim(d, 'T'), k = clnn__dim(d, 'K'), D = clnn__dim(d, 'D');
    cl_uint tt = (cl_uint)T, kk = (cl_uint)k, dd = (cl_uint)D;
    cl_int has_gates = gates != NULL;
    cl_mem g = gates ? gates->buffer : y_sorted->buffer; /* not read without has_gates */
    clnn__karg a[] = {KARG_BUF(y_sorted->buffer), KARG_BUF(positions->buffer), KARG_BUF(g), KARG_BUF(y->buffer),
                      KARG(tt), KARG(kk), KARG(dd), KARG(has_gates)};
    size_t problem[2] = {T * D, 1};
    return clnn__run(ctx, fn, &clnn__tune_moe_combine, problem, 8, a);
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
    TRY(clnn__check_shape(ctx, fn, &dims, "y_sorted", y_sorted, "P*,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "gates", gates, "T*,K"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dy", dy, "T*,D"));
    CHECK_ARG(ctx, dy_sorted || dgates, "%s: dy_sorted and dgates are both NULL: nothing to compute", fn);
    if (dy_sorted) TRY(clnn__check_shape(ctx, fn, &dims, "dy_sorted", dy_sorted, "P*,D"));
    if (dgates) TRY(clnn__check_shape(ctx, fn, &dims, "dgates", dgates, "T*,K"));
    const clnn_tensor *outs[] = {dy_sorted, dgates}, *ins[] = {y_sorted, positions, gates, dy};
    static const char *const out_names[] = {"dy_sorted", "dgates"},
                             *const in_names[] = {"y_sorted", "positions", "gates", "dy"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 4));
    const size_t T = clnn__dim(&dims, 'T'), k = clnn__dim(&dims, 'K'), D = clnn__dim(&dims, 'D');
    cl_uint tt = (cl_uint)T, kk = (cl_uint)k, dd = (cl_uint)D;
    if (dy_sorted) {
        clnn__karg a[] = {KARG_BUF(positions->buffer), KARG_BUF(gates->buffer), KARG_BUF(dy->buffer),
                          KARG_BUF(dy_sorted->buffer), KARG(tt), KARG(kk), KARG(dd)};
        size_t problem[2] = {T * k * D, 1};
        TRY(clnn__run(ctx, fn, &clnn__tune_moe_combine_dy, problem, 7, a));
    }
    if (!dgates) return CLNN_OK;
    clnn__karg a[] = {KARG_BUF(y_sorted->buffer), KARG_BUF(positions->buffer), KARG_BUF(dy->buffer),
                      KARG_BUF(dgates->buffer), KARG(tt), KARG(kk), KARG(dd)};
    size_t problem[2] = {T * k, 1};
    return clnn__run(ctx, fn, &clnn__tune_moe_combine_dg, problem, 7, a);
}
