/* Pieces shared by the sparsity / sorting / MoE family (sparse_internal.h):
 * the default local size of the one-group-per-item kernels and the family's
 * list of tunable kernels. */
#include "sparse/sparse_internal.h"

const clnn__tunable *const clnn__sparse_tunables[] = {
    &clnn__tune_radix_count,       &clnn__tune_radix_scan,         &clnn__tune_radix_scatter,
    &clnn__tune_w2_diff,           &clnn__tune_topk_rows,          &clnn__tune_msdropout_forward,
    &clnn__tune_msdropout_backward, &clnn__tune_moe_route,         &clnn__tune_moe_route_backward,
    &clnn__tune_moe_load,          &clnn__tune_moe_bias_update,    &clnn__tune_moe_aux_loss,
    &clnn__tune_moe_pair_keys,     &clnn__tune_moe_offsets,        &clnn__tune_moe_gather,
    &clnn__tune_moe_combine,       &clnn__tune_moe_combine_dy,     &clnn__tune_moe_combine_dg,
    NULL};

void clnn__sparse_group_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    size_t local = 1;
    (void)ctx; /* the launch clips it to the kernel's limits (clnn__config_default) */
    while (local * 16 < problem[1] && local < 256) local *= 2;
    cfg->local[0] = local;
    cfg->local[1] = cfg->local[2] = 1;
}
