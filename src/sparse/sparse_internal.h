/* Shared by the sparsity / sorting / MoE host files (include/clnn/sparse.h):
 * src/sparse/sort.c, topk_act.c, moe.c, src/regularizers/wasserstein.c, msdropout.c, and
 * src/losses.c for the sort. */
#ifndef CLNN_SPARSE_INTERNAL_H
#define CLNN_SPARSE_INTERNAL_H

#include "internal.h"

/* Elements per tile of the radix sort (cl/sparse_sort.cl): fixed, so the partition
 * of the input and hence the launches never depend on the device. */
#define CLNN_SORT_TILE 4096u

/* Default local size of the kernels that run one work-group per tile,
 * expert or scan: the smallest power of two >= problem[1] / 16 (the
 * elements one group handles; each work-item gets about 16 of them), at
 * most 256, so a short input gets a small work-group. */
void clnn__sparse_group_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);

/* The stable radix sort of cl/sparse_sort.cl on n (>= 1) keys (fp32 bit patterns):
 * keys_in -> keys_out (may be the same buffer). vals_in NULL and vals_out
 * set: vals_out gets the argsort permutation; both NULL: keys only. */
clnn_status clnn__sort(clnn_context *ctx, const char *fn, cl_mem keys_in, cl_mem vals_in, cl_mem keys_out,
                       cl_mem vals_out, size_t n);

/* The family's tunable kernels, listed in CLNN_TUNE_FAMILY(sparse) (common.c). */
extern const clnn__tunable clnn__tune_radix_count, clnn__tune_radix_scan, clnn__tune_radix_scatter,
    clnn__tune_w2_diff, clnn__tune_topk_rows, clnn__tune_msdropout_forward, clnn__tune_msdropout_backward,
    clnn__tune_moe_route, clnn__tune_moe_route_backward, clnn__tune_moe_load, clnn__tune_moe_bias_update,
    clnn__tune_moe_aux_loss, clnn__tune_moe_pair_keys, clnn__tune_moe_offsets, clnn__tune_moe_gather,
    clnn__tune_moe_combine, clnn__tune_moe_combine_dy, clnn__tune_moe_combine_dg;

#endif
