/* Launch shapes that depend on the device type: which devices get the
 * GPU-shaped defaults (several rows per work-group, reductions spread over
 * every compute unit) and how many work-groups fill a device. The rules
 * themselves sit with their launchers; docs/design.md, "Heuristic defaults
 * know the device type", lists them. */
#include "internal.h"

/* Work-groups per compute unit that keep a GPU busy while some wait on
 * memory, and a bound that keeps the second stage of a reduction (one
 * work-item summing one partial per group in order) short. */
#define CLNN_FILL_PER_CU 8
#define CLNN_FILL_MAX 1024

int clnn__gpu_shaped(const clnn_context *ctx) { return ctx->info.type == CLNN_DEVICE_GPU; }

size_t clnn__fill_groups(const clnn_context *ctx)
{
    size_t cu = ctx->info.compute_units ? ctx->info.compute_units : 1;
    return cu * CLNN_FILL_PER_CU < CLNN_FILL_MAX ? cu * CLNN_FILL_PER_CU : CLNN_FILL_MAX;
}
