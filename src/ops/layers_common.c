/* Helpers shared by the layer families; see layers_common.h. */
#include "layers_common.h"

cl_uint clnn__row_lanes(size_t n)
{
    cl_uint lanes = 1;
    while (lanes < n && lanes < 256) lanes *= 2;
    return lanes;
}

/* On a CPU device a work-group runs on one core and its barriers are
 * loops, so a row's lanes gain nothing from more work-items. On PoCL the
 * tuner picked 8 for 8 and 16 for 6 of 16 row kernel/size pairs; 8 as the
 * default is 1.55x faster than the lane count in geometric mean (1.01x to
 * 4.45x, docs/tuning.md). The summation order depends on the lanes only. */
#define CLNN_ROW_LOCAL_CPU 8

void clnn__row_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    size_t local = clnn__row_lanes(problem[1]);
    if (ctx->info.type == CLNN_DEVICE_CPU && local > CLNN_ROW_LOCAL_CPU) local = CLNN_ROW_LOCAL_CPU;
    while (local > ctx->info.max_work_group_size || local > ctx->info.max_work_item_sizes[0]) local /= 2;
    cfg->local[0] = local ? local : 1;
    cfg->local[1] = cfg->local[2] = 1;
}

void clnn__row_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    global[0] = problem[0] * cfg->local[0];
    global[1] = 1;
}

void clnn__wpt_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t wpt = cfg->param[0] > 0 ? (size_t)cfg->param[0] : 1;
    global[0] = (problem[0] + wpt - 1) / wpt;
    global[1] = 1;
}

clnn_status clnn__check_activation(clnn_context *ctx, const char *fn, clnn_activation act, float alpha)
{
    CHECK_ARG(ctx, (int)act >= CLNN_ACT_NONE && (int)act <= CLNN_ACT_SOFTPLUS,
              "%s: act %d is not a clnn_activation", fn, (int)act);
    CHECK_ARG(ctx, clnn__is_finite(alpha), "%s: alpha is not finite", fn);
    return CLNN_OK;
}

clnn_status clnn__check_count32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t)
{
    CHECK_SHAPE(ctx, t->count <= 0xFFFFFFFFu, "%s: %s has %zu elements, more than 2^32 - 1", fn, name, t->count);
    return CLNN_OK;
}
