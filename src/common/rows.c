/* Helpers shared by the layer families; see common/rows.h. */
#include "common/rows.h"

cl_uint clnn__row_lanes(size_t n)
{
    cl_uint lanes = 1;
    while (lanes < n && lanes < CLNN_ROW_LANES_MAX) lanes *= 2;
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
    /* a GPU: a full row of lanes takes the generic default (local 0), the
     * only one that knows the kernel's own work-group limit */
    if (clnn__gpu_shaped(ctx) && local >= CLNN_ROW_LANES_MAX) return;
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

size_t clnn__rows_per_group(size_t local, size_t lanes)
{
    size_t per = local / lanes, most = CLNN_ROW_LANES_MAX / lanes;
    return per < 1 ? 1 : per > most ? most : per;
}

/* On a GPU one row of C < 129 classes per work-group leaves most of a warp
 * idle (C = 10: 16 work-items). MULTIROW packs 256 / lanes rows into the
 * generic 256-wide group (clipped to the kernel's limit by the generic
 * default, which sees the kernel): a multiple of every preferred
 * work-group size multiple GPUs report (8 to 64). CPU devices keep one row
 * per group and clnn__row_heuristic's local size, as before. */
void clnn__rows_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    if (clnn__gpu_shaped(ctx) && clnn__row_lanes(problem[1]) < CLNN_ROW_LANES_MAX) {
        cfg->param[0] = 1; /* MULTIROW; local 0: the generic default */
        return;
    }
    clnn__row_heuristic(ctx, problem, cfg);
}

void clnn__rows_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t local = cfg->local[0] ? cfg->local[0] : 1;
    size_t per = cfg->param[0] ? clnn__rows_per_group(local, clnn__row_lanes(problem[1])) : 1;
    global[0] = (problem[0] + per - 1) / per * local;
    global[1] = 1;
}

void clnn__rows_vec_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    if (ctx->info.type == CLNN_DEVICE_CPU) {
        cfg->param[1] = 1;
        cfg->local[0] = cfg->local[1] = cfg->local[2] = 1;
        return;
    }
    clnn__rows_heuristic(ctx, problem, cfg);
}

void clnn__rows_vec_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    if (!cfg->param[1]) {
        clnn__rows_global(problem, cfg, global);
        return;
    }
    global[0] = problem[0];
    global[1] = 1;
}

/* ROWVEC: up to six passes over the row by one work-item (ELR's: three lane
 * reductions, the EMA update and the gradient), each reduction walking and
 * merging every lane (losses.cl); else clnn__row_iterations. */
size_t clnn__rows_vec_iterations(const size_t problem[2], const clnn__config *cfg)
{
    if (!cfg->param[1]) return clnn__row_iterations(problem, cfg);
    return 6 * problem[1] + 3 * 4 * (size_t)clnn__row_lanes(problem[1]) + 64;
}

/* A row's C elements are shared by min(local, lanes) work-items (one slot
 * of a group holding several rows has `lanes` of them): up to four passes
 * over the row (e.g. maximum and log-sum-exp, then the writes), plus the
 * lane tree. An upper bound, so a device's loop limit is never reached. */
size_t clnn__row_iterations(const size_t problem[2], const clnn__config *cfg)
{
    size_t lanes = clnn__row_lanes(problem[1]), items = cfg->local[0] < lanes ? cfg->local[0] : lanes;
    if (items == 0) items = 1;
    return 4 * ((problem[1] + items - 1) / items) + 8 * ((lanes + items - 1) / items) + 64;
}

void clnn__wpt_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t wpt = cfg->param[0] > 0 ? (size_t)cfg->param[0] : 1;
    global[0] = (problem[0] + wpt - 1) / wpt;
    global[1] = 1;
}

clnn_status clnn__check_activation(clnn_context *ctx, const char *fn, clnn_activation act, float alpha)
{
    CHECK_ARG(ctx, (int)act >= CLNN_ACT_NONE && (int)act <= CLNN_ACT_LAST,
              "%s: act %d is not a clnn_activation", fn, (int)act);
    CHECK_ARG(ctx, clnn__is_finite(alpha), "%s: alpha is not finite", fn);
    CHECK_ARG(ctx, act != CLNN_ACT_ELU || alpha > 0, "%s: ELU's alpha is %g; layers.h wants alpha > 0", fn, alpha);
    return CLNN_OK;
}

