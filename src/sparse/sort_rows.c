/* Host side of the per-row sort (cl/sparse_sort_rows.cl, include/clnn/sparse.h
 * clnn_sort_rows): a stable sort of every key with its argsort, the rows of
 * that order, a stable sort of those rows (each row keeps the key order),
 * then one gather. Two full radix sorts: O(n) whatever the row length. */
#include "divisor.h"
#include "sparse/sparse_internal.h"

#include <string.h>

/* Scratch of a call: the key sort's keys and permutation, the rows, and the
 * row sort's permutation. */
typedef struct sort_rows_work {
    cl_mem keys1, perm1, rows, order;
} sort_rows_work;

static void work_release(sort_rows_work *w)
{
    cl_mem all[] = {w->keys1, w->perm1, w->rows, w->order};
    for (size_t i = 0; i < 4; i++)
        if (all[i]) clReleaseMemObject(all[i]);
}

/* out (named name) has keys' shape and the given dtype, and shares no buffer with keys. */
static clnn_status check_like_keys(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *out,
                                   int ints, const clnn_tensor *keys)
{
    TRY(ints ? clnn__check_i32(ctx, fn, name, out, keys->count) : clnn__check_f32(ctx, fn, name, out, keys->count));
    char os[64], ks[64];
    CHECK_SHAPE(ctx, out->ndim == keys->ndim && !memcmp(out->shape, keys->shape, keys->ndim * sizeof(size_t)),
                "%s: %s %s must have keys' shape %s", fn, name, clnn__shape_str(out, os, sizeof os),
                clnn__shape_str(keys, ks, sizeof ks));
    return CLNN_OK;
}

static clnn_status check_sort_rows(clnn_context *ctx, const char *fn, const clnn_tensor *keys,
                                   const clnn_tensor *sorted_keys, const clnn_tensor *indices)
{
    TRY(clnn__check_tensor(ctx, fn, "keys", keys));
    const int ints = keys->dtype == CLNN_INT32;
    TRY(ints ? clnn__check_i32(ctx, fn, "keys", keys, 0) : clnn__check_f32(ctx, fn, "keys", keys, 0));
    TRY(clnn__check_count32(ctx, fn, "keys", keys));
    CHECK_SHAPE(ctx, keys->count <= 0x80000000u, "%s: %zu keys do not fit int32 indices", fn, keys->count);
    CHECK_ARG(ctx, sorted_keys || indices, "%s: sorted_keys and indices are both NULL: nothing to compute", fn);
    if (sorted_keys) TRY(check_like_keys(ctx, fn, "sorted_keys", sorted_keys, ints, keys));
    if (indices) {
        TRY(check_like_keys(ctx, fn, "indices", indices, 1, keys));
        CHECK_ARG(ctx, !clnn__alias(indices, keys), "%s: indices shares its buffer with keys", fn);
        CHECK_ARG(ctx, !sorted_keys || !clnn__alias(indices, sorted_keys),
                  "%s: indices shares its buffer with sorted_keys", fn);
    }
    return CLNN_OK;
}

clnn_status clnn_sort_rows(clnn_context *ctx, const clnn_tensor *keys, int descending, clnn_tensor *sorted_keys,
                           clnn_tensor *indices)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, descending == 0 || descending == 1, "%s: descending %d is not 0 or 1", fn, descending);
    TRY(check_sort_rows(ctx, fn, keys, sorted_keys, indices));
    const size_t n = keys->count, cols = keys->shape[keys->ndim - 1];
    const int ints = keys->dtype == CLNN_INT32;
    const int order = (ints ? CLNN__SORT_I32_ASC : CLNN__SORT_F32_ASC) + descending;
    sort_rows_work w = {NULL, NULL, NULL, NULL};
    clnn_status st = clnn__scratch(ctx, fn, n, &w.keys1);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, n, &w.perm1);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, n, &w.rows);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, n, &w.order);
    if (st == CLNN_OK) st = clnn__sort(ctx, fn, order, keys->buffer, NULL, w.keys1, w.perm1, n);
    cl_uint count = (cl_uint)n;
    cl_uint4 dcols = clnn__divisor((cl_uint)cols);
    size_t problem[2] = {n, 1};
    if (st == CLNN_OK) {
        clnn__karg args[] = {KARG_BUF(w.rows), KARG_BUF(w.perm1), KARG(count), KARG(dcols)};
        st = clnn__run(ctx, fn, &clnn__tune_sort_rows_ids, problem, 4, args);
    }
    /* the row sort's keys land back in rows: only its permutation is used */
    if (st == CLNN_OK) st = clnn__sort(ctx, fn, CLNN__SORT_I32_ASC, w.rows, NULL, w.rows, w.order, n);
    if (st == CLNN_OK) {
        cl_int want_keys = sorted_keys != NULL, want_index = indices != NULL;
        cl_mem ko = sorted_keys ? sorted_keys->buffer : w.rows, io = indices ? indices->buffer : w.rows;
        clnn__karg args[] = {KARG_BUF(ko),      KARG_BUF(io),      KARG_BUF(w.keys1), KARG_BUF(w.perm1),
                             KARG_BUF(w.order), KARG(count),       KARG(dcols),       KARG(want_keys),
                             KARG(want_index)};
        st = clnn__run(ctx, fn, &clnn__tune_sort_rows_gather, problem, 9, args);
    }
    work_release(&w);
    return st;
}
