/* Shared pieces of the reduction-shaped layer ops: the generic group sum
 * (cl/reduce.cl), the global-size hooks of one-work-group-per-group kernels
 * and of one work-item per element or per column, and per-call workspace
 * buffers. */
#include "internal.h"
#include "tune_family.h"

void clnn__global_one_group_each(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    global[0] = problem[0] * cfg->local[0];
    global[1] = 1;
}

void clnn__global_all_elements(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    (void)cfg;
    global[0] = problem[0] * problem[1];
    global[1] = 1;
}

void clnn__global_columns(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    (void)cfg;
    global[0] = problem[1];
    global[1] = 1;
}

/* On a CPU device a work-group is one thread's loop over its work-items:
 * past a few, more of them per group only add barrier passes. On PoCL the
 * tuner picked 8-32 for 10 of 12 group sum / norm / attention softmax
 * kernel-size pairs against the generic 256; with 8 as the default it kept
 * the default in all 12, 2.03x faster than 256 in geometric mean
 * (docs/tuning.md). */
#define CLNN_GROUP_LOCAL_CPU 8
/* On a GPU a group of fewer elements than 256 needs no more work-items than
 * elements (the 256 lanes of cl/reduce.clh are taken in turn, so the bits
 * stay), but at least 64: a multiple of every preferred work-group size
 * multiple GPUs report (8 to 64), so no warp or wavefront runs half empty. */
#define CLNN_GROUP_LOCAL_GPU_MIN 64
#define CLNN_GROUP_LOCAL_GPU_MAX 256

void clnn__one_group_each_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    size_t local;
    if (clnn__gpu_shaped(ctx)) {
        local = CLNN_GROUP_LOCAL_GPU_MIN;
        while (local < problem[1] && local < CLNN_GROUP_LOCAL_GPU_MAX) local *= 2;
        if (local >= CLNN_GROUP_LOCAL_GPU_MAX) return; /* the generic default: it knows the kernel's limit */
    } else if (ctx->info.type == CLNN_DEVICE_CPU) {
        local = CLNN_GROUP_LOCAL_CPU;
    } else {
        return; /* local 0: the generic default */
    }
    while (local > ctx->info.max_work_group_size || local > ctx->info.max_work_item_sizes[0]) local /= 2;
    cfg->local[0] = local ? local : 1;
    cfg->local[1] = cfg->local[2] = 1;
}

/* Up to four passes over the group's elements shared by the work-group
 * (two reductions and the writes: batch norm's dx), each pass's lane tree. */
size_t clnn__one_group_each_iterations(const size_t problem[2], const clnn__config *cfg)
{
    size_t items = cfg->local[0] ? cfg->local[0] : 1;
    return 4 * ((problem[1] + items - 1) / items) + 4 * ((256 + items - 1) / items + 8) + 64;
}

#define CLNN_TABLE "common/reduce_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* P0 channels of P1 pixels: the bias gradient of a convolution. */
static clnn_status exercise_reduce(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    (void)t;
    clnn__exercise b = CLNN_EXERCISE(ctx);
    EX_STEP(&b, clnn_conv2d_backward_bias(ctx, EX_RAND(&b, 1, problem[0], problem[1], 1), EX_RAND(&b, problem[0])));
    return clnn__exercise_end(&b);
}

clnn_status clnn__group_sum(clnn_context *ctx, const char *fn, cl_mem in, cl_mem out, size_t groups, size_t count,
                            size_t group_stride, size_t inner, size_t outer_stride, float scale)
{
    return clnn__group_sum_acc(ctx, fn, in, out, groups, count, group_stride, inner, outer_stride, scale, 0);
}

clnn_status clnn__group_sum_acc(clnn_context *ctx, const char *fn, cl_mem in, cl_mem out, size_t groups,
                                size_t count, size_t group_stride, size_t inner, size_t outer_stride, float scale,
                                int accumulate)
{
    cl_int acc = accumulate;
    cl_uint g = (cl_uint)groups, n = (cl_uint)count, gs = (cl_uint)group_stride, in_ = (cl_uint)inner,
            os = (cl_uint)outer_stride;
    size_t problem[2] = {groups, count};
    clnn__karg a[] = {KARG_BUF(in), KARG_BUF(out), KARG(g), KARG(n), KARG(gs), KARG(in_), KARG(os), KARG(scale), KARG(acc)};
    return clnn__run(ctx, fn, &tune_group_sum, problem, 9, a);
}

