/* Shared by the sparsity / sorting / MoE host files (include/clnn/sparse.h):
 * src/sparse/sort.c, topk_act.c, moe.c, src/regularizers/wasserstein.c, msdropout.c, and
 * src/losses.c for the sort. */
#ifndef CLNN_SPARSE_INTERNAL_H
#define CLNN_SPARSE_INTERNAL_H

#include "internal.h"

/* Elements per tile of the radix sort (cl/sparse_sort.cl): fixed, so the partition
 * of the input and hence the launches never depend on the device. */
#define CLNN_SORT_TILE 4096u
/* Digit width and passes of the radix sort (cl/sparse_sort.cl's RADIX_BITS,
 * passed to it as -DRADIX_BITS): 4 passes of 8 bits (an even count, so the
 * last pass writes the output). */
#define CLNN_SORT_RADIX_BITS 8
#define CLNN_SORT_PASSES (32u / CLNN_SORT_RADIX_BITS)

/* Default local size of the kernels that run one work-group per tile,
 * expert or scan: the smallest power of two >= problem[1] / 16 (the
 * elements one group handles; each work-item gets about 16 of them), at
 * most 256, so a short input gets a small work-group. */
void clnn__sparse_group_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);

/* The stable radix sort of cl/sparse_sort.cl on n (>= 1) 32-bit keys in
 * `order` (KEY_ORDER there): keys_in -> keys_out (may be the same buffer).
 * vals_in NULL and vals_out set: vals_out gets the argsort permutation; both
 * NULL: keys only. */
enum { CLNN__SORT_F32_ASC = 0, CLNN__SORT_F32_DESC = 1, CLNN__SORT_I32_ASC = 2, CLNN__SORT_I32_DESC = 3 };
clnn_status clnn__sort(clnn_context *ctx, const char *fn, int order, cl_mem keys_in, cl_mem vals_in,
                       cl_mem keys_out, cl_mem vals_out, size_t n);

/* The family's tunable kernels (sparse_tunables.def). */
#define CLNN_TABLE "sparse/sparse_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

#endif
