/* Device copy bandwidth: clnn's copy kernel and clEnqueueCopyBuffer. The
 * larger of the two is the ceiling memory-bound kernels are compared with. */
#include "bench.h"

#include <stdio.h>

typedef struct copy_args {
    clnn_tensor *dst, *src;
} copy_args;

static int run_copy_kernel(void *p)
{
    copy_args *a = p;
    return clnn_tensor_copy(a->dst, a->src) != CLNN_OK;
}

/* clEnqueueCopyBuffer timed with its own profiling events (median), or with
 * the host clock where the device's timestamps are not real (the profiler
 * refuses to start there). */
static double time_enqueue_copy(bench_env *env, cl_mem dst, cl_mem src, size_t bytes)
{
    cl_command_queue q;
    clnn_context_cl(env->ctx, NULL, &q, NULL);
    int device_clock = clnn_profiler_start(env->ctx) == CLNN_OK;
    if (device_clock) clnn_profiler_stop(env->ctx, NULL, NULL);
    double best[64];
    int n = env->repeats < 64 ? env->repeats : 64;
    for (int i = -1; i < n; i++) {
        cl_event ev;
        double host0 = bench_now_seconds();
        if (clEnqueueCopyBuffer(q, src, dst, 0, 0, bytes, 0, NULL, &ev) != CL_SUCCESS) return -1;
        clWaitForEvents(1, &ev);
        double host = bench_now_seconds() - host0;
        cl_ulong t0 = 0, t1 = 0;
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(ev);
        if (i >= 0) best[i] = device_clock ? 1e-9 * (double)(t1 - t0) : host;
    }
    for (int i = 1; i < n; i++) /* insertion sort: n is small */
        for (int j = i; j > 0 && best[j] < best[j - 1]; j--) {
            double t = best[j];
            best[j] = best[j - 1];
            best[j - 1] = t;
        }
    return best[n / 2];
}

void bench_copy(bench_env *env)
{
    size_t count = env->quick ? (size_t)1 << 22 : (size_t)1 << 26; /* 16 MiB or 256 MiB */
    clnn_tensor *src = NULL, *dst = NULL;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &count, &src) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &count, &dst) != CLNN_OK ||
        clnn_tensor_fill(src, 1.0f) != CLNN_OK || clnn_tensor_fill(dst, 0.0f) != CLNN_OK) {
        fprintf(stderr, "bench copy: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    size_t bytes = count * sizeof(float);
    double moved = 2.0 * (double)bytes; /* read + write */
    copy_args a = {dst, src};
    double t_kernel = bench_time(env, run_copy_kernel, &a);
    double t_enqueue = time_enqueue_copy(env, clnn_tensor_buffer(dst), clnn_tensor_buffer(src), bytes);
    double gbps_kernel = t_kernel > 0 ? moved / t_kernel * 1e-9 : 0;
    double gbps_enqueue = t_enqueue > 0 ? moved / t_enqueue * 1e-9 : 0;
    env->copy_gbps = gbps_kernel > gbps_enqueue ? gbps_kernel : gbps_enqueue;
    char name[96];
    snprintf(name, sizeof name, "clEnqueueCopyBuffer %zu MiB", bytes >> 20);
    bench_report(env, "copy", name, gbps_enqueue, "GB/s", env->copy_gbps, "copy bandwidth");
    snprintf(name, sizeof name, "copy kernel %zu MiB", bytes >> 20);
    bench_report(env, "copy", name, gbps_kernel, "GB/s", env->copy_gbps, "copy bandwidth");
out:
    clnn_tensor_release(src);
    clnn_tensor_release(dst);
}
