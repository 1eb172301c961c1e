/* Host side of the deterministic two-stage reduction (cl/reduce_deterministic.cl)
 * shared by every regularizer value, group norm and gradient norm. */
#include "regularizers/regularizers_internal.h"
#include "tune_family.h"

#include <stdio.h>

/* Parts per segment: about 256 elements each, at most 4096 parts. A
 * function of len only, so the summation tree never depends on the device. */
cl_uint clnn__reduce_parts(size_t len)
{
    size_t p = (len + 255) / 256;
    return (cl_uint)(p < 1 ? 1 : p > 4096 ? 4096 : p);
}

/* A GPU: 16 work-groups of 256 work-items each walking a contiguous chunk
 * left most compute units idle and read memory uncoalesced. Blocks of 256
 * lanes instead, enough to fill the device (clnn__fill_groups), but at
 * least 4 elements per lane so that short segments take few blocks. */
#define CLNN_REDUCE_LANE_MIN 4

cl_uint clnn__reduce_blocks(const clnn_context *ctx, size_t len)
{
    size_t most = (len + CLNN_REDUCE_LANES * CLNN_REDUCE_LANE_MIN - 1) / (CLNN_REDUCE_LANES * CLNN_REDUCE_LANE_MIN);
    size_t fill = clnn__fill_groups(ctx);
    size_t b = most < fill ? most : fill;
    return (cl_uint)(b < 1 ? 1 : b);
}

clnn_status clnn__reduce(clnn_context *ctx, const char *fn, const clnn__reduce_desc *d, cl_mem out,
                         cl_uint out_offset)
{
    const int blocks = clnn__gpu_shaped(ctx);
    cl_uint parts = blocks ? clnn__reduce_blocks(ctx, d->len) : clnn__reduce_parts(d->len);
    cl_mem partial;
    TRY(clnn__scratch(ctx, fn, (size_t)d->nseg * parts, &partial));
    char variant[96];
    snprintf(variant, sizeof variant, "-DTERM=%d -DHAS_B=%d -DPOST=%d%s", d->term, d->b != NULL, d->post,
             blocks ? " -DBLOCKS=1" : "");
    cl_mem b = d->b ? d->b : d->a;
    clnn__karg a1[] = {KARG_BUF(d->a),          KARG_BUF(b),   KARG_BUF(partial), KARG(d->nseg),
                       KARG(d->len),            KARG(d->seg_stride), KARG(d->elem_stride), KARG(parts),
                       KARG(d->c1),             KARG(d->c2),   KARG(d->diag)};
    size_t p1[2] = {d->nseg, blocks ? (size_t)parts * CLNN_REDUCE_LANES : parts};
    clnn_status st = clnn__run_variant(ctx, fn, &clnn__tune_reduce_partial, variant, p1, sizeof a1 / sizeof a1[0], a1);
    if (st == CLNN_OK) {
        clnn__karg a2[] = {KARG_BUF(partial), KARG_BUF(out), KARG(out_offset), KARG(d->nseg), KARG(parts),
                           KARG(d->scale)};
        size_t p2[2] = {d->nseg, 1};
        st = clnn__run_variant(ctx, fn, &clnn__tune_reduce_final, variant, p2, sizeof a2 / sizeof a2[0], a2);
    }
    clReleaseMemObject(partial);
    return st;
}

clnn_status clnn__reduce_combine(clnn_context *ctx, const char *fn, int mode, cl_mem sums, cl_mem out, cl_uint n,
                                 cl_float max_norm, cl_float power)
{
    char variant[32];
    snprintf(variant, sizeof variant, "-DMODE=%d", mode);
    clnn__karg a[] = {KARG_BUF(sums), KARG_BUF(out), KARG(n), KARG(max_norm), KARG(power)};
    size_t p[2] = {1, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_reduce_combine, variant, p, 5, a);
}
