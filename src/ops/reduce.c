/* Shared pieces of the reduction-shaped layer ops: the generic group sum
 * (cl/reduce.cl), the global-size hook of one-work-group-per-group kernels,
 * and per-call workspace buffers. */
#include "internal.h"

void clnn__global_one_group_each(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    global[0] = problem[0] * cfg->local[0];
    global[1] = 1;
}

static const clnn__tunable tune_group_sum = {
    "reduce.group_sum", "reduce", "group_sum", 1, {{NULL, {0}, 0, 0}}, NULL, clnn__global_one_group_each};

const clnn__tunable *const clnn__reduce_tunables[] = {&tune_group_sum, NULL};

clnn_status clnn__group_sum(clnn_context *ctx, const char *fn, cl_mem in, cl_mem out, size_t groups, size_t count,
                            size_t group_stride, size_t inner, size_t outer_stride, float scale)
{
    cl_uint g = (cl_uint)groups, n = (cl_uint)count, gs = (cl_uint)group_stride, in_ = (cl_uint)inner,
            os = (cl_uint)outer_stride;
    size_t problem[2] = {groups, count};
    clnn__karg a[] = {KARG_BUF(in), KARG_BUF(out), KARG(g), KARG(n), KARG(gs), KARG(in_), KARG(os), KARG(scale)};
    return clnn__run(ctx, fn, &tune_group_sum, problem, 8, a);
}

