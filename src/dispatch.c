/* Kernel launches: arguments, local size, tail-safe global size, profiling. */
#include "internal.h"

#include <stdlib.h>

clnn_status clnn__set_args(clnn_context *ctx, const char *fn, cl_kernel k, size_t n,
                           const clnn__karg *args)
{
    for (size_t i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clSetKernelArg", err);
    }
    return CLNN_OK;
}

size_t clnn__default_local_1d(const clnn_context *ctx, cl_kernel k, size_t global)
{
    size_t max = ctx->info.max_work_group_size;
    size_t kmax = 0;
    if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL) ==
            CL_SUCCESS && kmax > 0 && kmax < max)
        max = kmax;
    if (max > ctx->info.max_work_item_sizes[0]) max = ctx->info.max_work_item_sizes[0];
    size_t local = 256;
    while (local > max) local /= 2;
    while (local > 1 && local / 2 >= global) local /= 2; /* tiny problems: no idle work-items */
    return local ? local : 1;
}

static clnn_status record_event(clnn_context *ctx, cl_event ev)
{
    if (ctx->n_events == ctx->cap_events) {
        size_t cap = ctx->cap_events ? 2 * ctx->cap_events : 64;
        cl_event *n = realloc(ctx->events, cap * sizeof *n);
        if (!n) {
            clReleaseEvent(ev);
            return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "profiler: out of host memory");
        }
        ctx->events = n;
        ctx->cap_events = cap;
    }
    ctx->events[ctx->n_events++] = ev;
    return CLNN_OK;
}

clnn_status clnn__enqueue(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l)
{
    size_t global[3], local[3];
    int use_local = 1;
    for (unsigned d = 0; d < l->dims; d++) {
        if (l->global[d] == 0) return CLNN_OK; /* nothing to do */
        if (l->local[d] == 0) use_local = 0;
    }
    for (unsigned d = 0; d < l->dims; d++) {
        local[d] = use_local ? l->local[d] : 1;
        global[d] = (l->global[d] + local[d] - 1) / local[d] * local[d];
    }
    cl_event ev = NULL;
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, l->dims, NULL, global, use_local ? local : NULL, 0,
                                        NULL, ctx->profiling ? &ev : NULL);
    if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clEnqueueNDRangeKernel", err);
    if (ev) return record_event(ctx, ev);
    return CLNN_OK;
}
