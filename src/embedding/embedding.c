/* Host side of the embedding lookup (cl/embedding.cl, include/clnn/embedding.h):
 * argument checks, the forward gather, and the backward as a stable sort of
 * the indices (sparse/sort.c) followed by one sum per run of equal indices. */
#include "divisor.h"
#include "sparse/sparse_internal.h" /* clnn__sort */
#include "tune_family.h"

#define CLNN_TABLE "embedding/embedding_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* P0 tokens over a vocabulary of 64 rows of P1 features (indices repeat). */
static clnn_status exercise_embedding(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    clnn_tensor *idx = clnn__exercise_ints(&b, problem[0], 64, 7);
    if (t == &tune_forward)
        EX_STEP(&b, clnn_embedding_forward(ctx, EX_RAND(&b, 64, problem[1]), idx, EX_RAND(&b, problem[0], problem[1])));
    else
        EX_STEP(&b, clnn_embedding_backward(ctx, idx, EX_RAND(&b, problem[0], problem[1]), 3,
                                            EX_RAND(&b, 64, problem[1])));
    return clnn__exercise_end(&b);
}

/* ------------------------------------------------------------ the entries */

/* table [V, D] fp32 (argument `name`), indices int32 with T < 2^31
 * elements, rows (y or dy) fp32 of T x D elements with last dimension D. */
static clnn_status check_io(clnn_context *ctx, const char *fn, const char *table_name, const clnn_tensor *table,
                            const clnn_tensor *indices, const char *rows_name, const clnn_tensor *rows)
{
    TRY(clnn__check_f32(ctx, fn, table_name, table, 0));
    char s[64];
    CHECK_SHAPE(ctx, table->ndim == 2, "%s: %s is %s; it must be [V, D]", fn, table_name,
                clnn__shape_str(table, s, sizeof s));
    TRY(clnn__check_count32(ctx, fn, table_name, table));
    TRY(clnn__check_i32(ctx, fn, "indices", indices, 0));
    CHECK_SHAPE(ctx, indices->count < 0x80000000u, "%s: indices has %zu elements; at most 2^31 - 1", fn,
                indices->count);
    const size_t D = table->shape[1];
    TRY(clnn__check_f32(ctx, fn, rows_name, rows, 0));
    CHECK_SHAPE(ctx, rows->shape[rows->ndim - 1] == D && rows->count / D == indices->count && rows->count % D == 0,
                "%s: %s is %s; it must hold one row of D = %zu (from %s) per index (%zu indices)", fn, rows_name,
                clnn__shape_str(rows, s, sizeof s), D, table_name, indices->count);
    TRY(clnn__check_count32(ctx, fn, rows_name, rows));
    return CLNN_OK;
}

clnn_status clnn_embedding_forward(clnn_context *ctx, const clnn_tensor *weight, const clnn_tensor *indices,
                                   clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(check_io(ctx, fn, "weight", weight, indices, "y", y));
    const clnn_tensor *outs[] = {y}, *ins[] = {weight, indices};
    const char *out_names[] = {"y"}, *in_names[] = {"weight", "indices"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 2));
    cl_uint n = (cl_uint)y->count, vocab = (cl_uint)weight->shape[0];
    cl_uint4 D = clnn__divisor((cl_uint)weight->shape[1]);
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(weight->buffer), KARG_BUF(indices->buffer), KARG(n), KARG(D),
                         KARG(vocab)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_forward, problem, 6, args);
}

clnn_status clnn_embedding_backward(clnn_context *ctx, const clnn_tensor *indices, const clnn_tensor *dy,
                                    int32_t padding_idx, clnn_tensor *dweight)
{
    CLNN_ENTRY(ctx);
    TRY(check_io(ctx, fn, "dweight", dweight, indices, "dy", dy));
    const size_t V = dweight->shape[0], D = dweight->shape[1], T = indices->count;
    const int none = padding_idx == CLNN_EMBEDDING_NO_PADDING;
    CHECK_ARG(ctx, none || ((int64_t)padding_idx >= -(int64_t)V && (int64_t)padding_idx < (int64_t)V),
              "%s: padding_idx = %d is outside [-%zu, %zu) (CLNN_EMBEDDING_NO_PADDING: none)", fn, (int)padding_idx,
              V, V);
    const clnn_tensor *outs[] = {dweight}, *ins[] = {indices, dy};
    const char *out_names[] = {"dweight"}, *in_names[] = {"indices", "dy"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 2));
    cl_int padding = none ? -1 : padding_idx < 0 ? (cl_int)((int64_t)padding_idx + (int64_t)V) : padding_idx;
    cl_mem sorted = NULL, perm = NULL;
    clnn_status st = clnn__scratch(ctx, fn, T, &sorted);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, T, &perm);
    if (st == CLNN_OK) st = clnn_tensor_fill(dweight, 0.0f);
    /* equal indices adjacent, in token order (a stable int32 sort) */
    if (st == CLNN_OK) st = clnn__sort(ctx, fn, CLNN__SORT_I32_ASC, indices->buffer, NULL, sorted, perm, T);
    cl_uint tokens = (cl_uint)T, nd = (cl_uint)D, vocab = (cl_uint)V;
    clnn__karg args[] = {KARG_BUF(dweight->buffer), KARG_BUF(dy->buffer), KARG_BUF(sorted), KARG_BUF(perm),
                         KARG(tokens),              KARG(nd),            KARG(vocab),      KARG(padding)};
    const size_t problem[2] = {T, D};
    if (st == CLNN_OK) st = clnn__run(ctx, fn, &tune_scatter, problem, 8, args);
    if (sorted) clReleaseMemObject(sorted);
    if (perm) clReleaseMemObject(perm);
    return st;
}
