/* Host side of the device radix sort (cl/sparse_sort.cl, include/clnn/sparse.h):
 * argument checks, then CLNN_SORT_PASSES passes of count / scan / scatter
 * ping-ponging between the output and one scratch buffer. */
#include "sparse/sparse_internal.h"

#include <stdio.h>

/* LANES: LANES / 16 virtual lanes per tile (with 8-bit digits), i.e.
 * 16 · CLNN_SORT_TILE / LANES elements per lane; the local memory (256
 * counters per lane) bounds it at 256. */

/* Pass p reads in (p = 0), else the buffer pass p - 1 wrote; even passes
 * write tmp, odd ones out, so the last (an even count of passes) lands in
 * out and in may be out. */
static clnn_status passes(clnn_context *ctx, const char *fn, int order, cl_mem keys_in, cl_mem vals_in,
                          cl_mem keys_out, cl_mem vals_out, cl_mem ktmp, cl_mem vtmp, cl_mem hist, cl_uint n)
{
    char variant[48];
    snprintf(variant, sizeof variant, "-DKEY_ORDER=%d -DRADIX_BITS=%d", order, CLNN_SORT_RADIX_BITS);
    cl_uint tile = CLNN_SORT_TILE, ntiles = (n + tile - 1) / tile, m = (1u << CLNN_SORT_RADIX_BITS) * ntiles;
    size_t p_tiles[2] = {ntiles, n < tile ? n : tile}, p_scan[2] = {1, m};
    for (cl_uint pass = 0; pass < CLNN_SORT_PASSES; pass++) {
        cl_uint shift = CLNN_SORT_RADIX_BITS * pass;
        cl_mem ksrc = pass == 0 ? keys_in : (pass & 1) ? ktmp : keys_out, kdst = (pass & 1) ? keys_out : ktmp;
        cl_mem vsrc = pass == 0 ? vals_in : (pass & 1) ? vtmp : vals_out, vdst = (pass & 1) ? vals_out : vtmp;
        cl_int vmode = !vals_out ? 0 : pass > 0 || vals_in ? 1 : 2;
        if (!vsrc) vsrc = ksrc; /* never read: vmode says so */
        if (!vdst) vdst = kdst;
        clnn__karg ac[] = {KARG_BUF(ksrc), KARG_BUF(hist), KARG(n), KARG(tile), KARG(ntiles), KARG(shift)};
        TRY(clnn__run_variant(ctx, fn, &clnn__tune_radix_count, variant, p_tiles, 6, ac));
        clnn__karg as[] = {KARG_BUF(hist), KARG(m)};
        TRY(clnn__run(ctx, fn, &clnn__tune_radix_scan, p_scan, 2, as));
        clnn__karg aw[] = {KARG_BUF(ksrc), KARG_BUF(vsrc), KARG_BUF(kdst),   KARG_BUF(vdst), KARG_BUF(hist),
                           KARG(n),        KARG(tile),     KARG(ntiles),     KARG(shift),    KARG(vmode)};
        TRY(clnn__run_variant(ctx, fn, &clnn__tune_radix_scatter, variant, p_tiles, 10, aw));
    }
    return CLNN_OK;
}

clnn_status clnn__sort(clnn_context *ctx, const char *fn, int order, cl_mem keys_in, cl_mem vals_in,
                       cl_mem keys_out, cl_mem vals_out, size_t n)
{
    cl_mem ktmp = NULL, vtmp = NULL, hist = NULL;
    size_t ntiles = (n + CLNN_SORT_TILE - 1) / CLNN_SORT_TILE;
    clnn_status st = clnn__scratch(ctx, fn, n, &ktmp);
    if (st == CLNN_OK && vals_out) st = clnn__scratch(ctx, fn, n, &vtmp);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, ((size_t)1 << CLNN_SORT_RADIX_BITS) * ntiles, &hist);
    if (st == CLNN_OK)
        st = passes(ctx, fn, order, keys_in, vals_in, keys_out, vals_out, ktmp, vtmp, hist, (cl_uint)n);
    if (ktmp) clReleaseMemObject(ktmp);
    if (vtmp) clReleaseMemObject(vtmp);
    if (hist) clReleaseMemObject(hist);
    return st;
}

/* clnn_sort and clnn_sort_descending. */
static clnn_status sort_entry(clnn_context *ctx, const char *fn, int descending, const clnn_tensor *keys,
                              const clnn_tensor *values, clnn_tensor *sorted_keys, clnn_tensor *sorted_values)
{
    TRY(clnn__check_tensor(ctx, fn, "keys", keys));
    const int ints = keys->dtype == CLNN_INT32;
    TRY(ints ? clnn__check_i32(ctx, fn, "keys", keys, 0) : clnn__check_f32(ctx, fn, "keys", keys, 0));
    TRY(clnn__check_count32(ctx, fn, "keys", keys));
    size_t n = keys->count;
    CHECK_ARG(ctx, sorted_keys || sorted_values, "%s: sorted_keys and sorted_values are both NULL: nothing to compute",
              fn);
    CHECK_ARG(ctx, !values || sorted_values, "%s: values given but sorted_values is NULL", fn);
    if (values) TRY(clnn__check_i32(ctx, fn, "values", values, n));
    if (sorted_keys)
        TRY(ints ? clnn__check_i32(ctx, fn, "sorted_keys", sorted_keys, n)
                 : clnn__check_f32(ctx, fn, "sorted_keys", sorted_keys, n));
    if (sorted_values) TRY(clnn__check_i32(ctx, fn, "sorted_values", sorted_values, n));
    CHECK_SHAPE(ctx, values || !sorted_values || n <= 0x80000000u,
                "%s: an argsort of %zu keys does not fit int32 indices", fn, n);
    /* in place is fine (only the first pass reads the inputs, and it writes scratch) */
    CHECK_ARG(ctx, !sorted_keys || ((!values || !clnn__alias(sorted_keys, values)) &&
                                    (!sorted_values || !clnn__alias(sorted_keys, sorted_values))),
              "%s: sorted_keys shares its buffer with values or sorted_values", fn);
    CHECK_ARG(ctx, !sorted_values || !clnn__alias(sorted_values, keys), "%s: sorted_values shares its buffer with keys",
              fn);
    const int order = (ints ? CLNN__SORT_I32_ASC : CLNN__SORT_F32_ASC) + (descending ? 1 : 0);
    cl_mem kout = sorted_keys ? sorted_keys->buffer : NULL;
    clnn_status st = kout ? CLNN_OK : clnn__scratch(ctx, fn, n, &kout);
    if (st == CLNN_OK)
        st = clnn__sort(ctx, fn, order, keys->buffer, values ? values->buffer : NULL, kout,
                        sorted_values ? sorted_values->buffer : NULL, n);
    if (!sorted_keys && kout) clReleaseMemObject(kout);
    return st;
}

clnn_status clnn_sort(clnn_context *ctx, const clnn_tensor *keys, const clnn_tensor *values, clnn_tensor *sorted_keys,
                      clnn_tensor *sorted_values)
{
    CLNN_ENTRY(ctx);
    return sort_entry(ctx, fn, 0, keys, values, sorted_keys, sorted_values);
}

clnn_status clnn_sort_descending(clnn_context *ctx, const clnn_tensor *keys, const clnn_tensor *values,
                                 clnn_tensor *sorted_keys, clnn_tensor *sorted_values)
{
    CLNN_ENTRY(ctx);
    return sort_entry(ctx, fn, 1, keys, values, sorted_keys, sorted_values);
}
