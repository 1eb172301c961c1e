/* Contexts: creation (own or adopted OpenCL objects), release, finish, profiler. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static clnn_status context_alloc(const char *fn, clnn_context **out)
{
    clnn_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    ctx->programs = clnn__program_cache_create();
    if (!ctx->programs) {
        free(ctx);
        return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    /* the tuner's hook; CLNN_TUNE gives the new context its mode now, not at
     * its first launch: a later change of the variable does not move it */
    clnn_status st = clnn__tuner_install(ctx, fn);
    if (st != CLNN_OK) {
        clnn__program_cache_destroy(ctx->programs);
        free(ctx);
        return st;
    }
    *out = ctx;
    return CLNN_OK;
}

clnn_status clnn_context_create(const char *selector, clnn_context **out)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!out) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    size_t index;
    TRY(clnn__device_select(fn, selector, &index));
    clnn__device_entry *list;
    size_t n;
    TRY(clnn__device_list(fn, &list, &n));
    if (index >= n) {
        free(list);
        return clnn__fail(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "%s: device list changed", fn);
    }
    clnn__device_entry entry = list[index];
    unsigned pidx = 0;
    for (size_t j = 1; j <= index; j++)
        if (list[j].platform != list[j - 1].platform) pidx++;
    free(list);

    clnn_context *ctx;
    TRY(context_alloc(fn, &ctx));
    ctx->platform = entry.platform;
    ctx->device = entry.device;
    clnn__device_describe(entry.platform, entry.device, (unsigned)index, pidx, &ctx->info);

    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)entry.platform, 0};
    ctx->context = clCreateContext(props, 1, &entry.device, NULL, NULL, &err);
    if (!ctx->context) {
        clnn_context_release(ctx);
        return clnn__fail_cl(NULL, fn, "clCreateContext", err);
    }
    ctx->queue = clCreateCommandQueue(ctx->context, entry.device, CL_QUEUE_PROFILING_ENABLE, &err);
    if (!ctx->queue) {
        clnn_context_release(ctx);
        return clnn__fail_cl(NULL, fn, "clCreateCommandQueue", err);
    }
    ctx->profiling_queue = 1;
    *out = ctx;
    return CLNN_OK;
}

clnn_status clnn_context_create_from_cl(cl_context context, cl_command_queue queue,
                                        cl_device_id device, clnn_context **out)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!out) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    if (!context || !queue || !device)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !context ? "context" : !queue ? "queue" : "device");
    cl_context qctx = NULL;
    cl_device_id qdev = NULL;
    cl_command_queue_properties qprops = 0;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof qctx, &qctx, NULL);
    if (err != CL_SUCCESS) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: queue is not a valid command queue (%s)", fn, clnn__cl_error_name(err));
    clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof qdev, &qdev, NULL);
    clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof qprops, &qprops, NULL);
    if (qctx != context) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: queue belongs to another cl_context", fn);
    if (qdev != device) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: queue belongs to another device", fn);
    if (qprops & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: queue is out-of-order; clnn needs an in-order queue", fn);
    cl_platform_id platform = NULL;
    err = clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL);
    if (err != CL_SUCCESS) return clnn__fail_cl(NULL, fn, "clGetDeviceInfo(CL_DEVICE_PLATFORM)", err);

    /* The adopted device's index in clnn's list, if it is there. */
    unsigned index = 0, pidx = 0;
    clnn__device_entry *list;
    size_t n;
    if (clnn__device_list(fn, &list, &n) == CLNN_OK) {
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && list[i].platform != list[i - 1].platform) pidx++;
            if (list[i].device == device) { index = (unsigned)i; break; }
        }
        free(list);
    }
    clnn_context *ctx;
    TRY(context_alloc(fn, &ctx));
    ctx->platform = platform;
    ctx->device = device;
    clnn__device_describe(platform, device, index, pidx, &ctx->info);
    clRetainContext(context);
    clRetainCommandQueue(queue);
    ctx->context = context;
    ctx->queue = queue;
    ctx->profiling_queue = (qprops & CL_QUEUE_PROFILING_ENABLE) != 0;
    *out = ctx;
    return CLNN_OK;
}

static void drop_events(clnn_context *ctx)
{
    for (size_t i = 0; i < ctx->n_events; i++) clReleaseEvent(ctx->events[i]);
    ctx->n_events = 0;
}

void clnn_context_release(clnn_context *ctx)
{
    if (!ctx) return;
    if (ctx->queue) clFinish(ctx->queue);
    drop_events(ctx);
    free(ctx->events);
    clnn__program_cache_destroy(ctx->programs);
    clnn__kernel_limits_free(ctx);
    if (ctx->tuner.release) ctx->tuner.release(ctx->tuner.data);
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->context) clReleaseContext(ctx->context);
    clnn__mem_release(ctx);
    free(ctx);
}

clnn_status clnn_context_device(const clnn_context *ctx, clnn_device_info *info)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG((clnn_context *)ctx, info != NULL, "%s: info is NULL", fn);
    *info = ctx->info;
    return CLNN_OK;
}

clnn_status clnn_context_cl(const clnn_context *ctx, cl_context *context, cl_command_queue *queue,
                            cl_device_id *device)
{
    CLNN_ENTRY(ctx);
    if (context) *context = ctx->context;
    if (queue) *queue = ctx->queue;
    if (device) *device = ctx->device;
    return CLNN_OK;
}

clnn_status clnn_finish(clnn_context *ctx)
{
    CLNN_ENTRY(ctx);
    cl_int err = clFinish(ctx->queue);
    if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clFinish", err);
    return CLNN_OK;
}

clnn_status clnn_context_cache_stats(const clnn_context *ctx, clnn_cache_stats *stats)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG((clnn_context *)ctx, stats != NULL, "%s: stats is NULL", fn);
    *stats = ctx->cache_stats;
    return CLNN_OK;
}

clnn_status clnn_profiler_start(clnn_context *ctx)
{
    CLNN_ENTRY(ctx);
    if (!ctx->profiling_queue)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED, "%s: the adopted queue has no CL_QUEUE_PROFILING_ENABLE", fn);
    if (!clnn__device_clock_real(ctx))
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "%s: this device's profiling timestamps are not real (every command "
                          "reports the same few nanoseconds, as Mesa 22.3's rusticl does); time with the host "
                          "clock around clnn_finish instead",
                          fn);
    drop_events(ctx);
    ctx->profiling = 1;
    return CLNN_OK;
}

clnn_status clnn_profiler_stop(clnn_context *ctx, double *device_seconds, size_t *launches)
{
    CLNN_ENTRY(ctx);
    if (!ctx->profiling) return clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: the profiler was not started", fn);
    ctx->profiling = 0;
    cl_int err = clFinish(ctx->queue);
    double total = 0;
    for (size_t i = 0; err == CL_SUCCESS && i < ctx->n_events; i++) {
        cl_ulong t0 = 0, t1 = 0;
        err = clGetEventProfilingInfo(ctx->events[i], CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(ctx->events[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        if (t1 > t0) total += 1e-9 * (double)(t1 - t0);
    }
    size_t n = ctx->n_events;
    drop_events(ctx);
    if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clGetEventProfilingInfo", err);
    if (device_seconds) *device_seconds = total;
    if (launches) *launches = n;
    return CLNN_OK;
}
