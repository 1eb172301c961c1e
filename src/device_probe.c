/* Defects of OpenCL implementations that only running a kernel reveals,
 * probed once per device per process and remembered.
 *
 * The loop limit: Mesa 22.3's llvmpipe (rusticl) counts every loop iteration
 * of a work-item and stops all of its loops after 65535 in total, so a long
 * reduction silently returns a partial sum (batch norm over 4 x 256 x 256
 * per channel was off by 10^4; docs/portability.md). The probe asks one
 * work-item for 2^17 iterations; a short count is the device's limit, which
 * dispatch then keeps every launch under (clnn__tunable.iterations).
 *
 * The clock: Mesa 22.3's rusticl reports queued 0, submit 1, start 2 and end
 * 3 for every command, so every kernel "takes" 1 ns. The probe times real
 * work both ways; a device whose profiling timestamps cover under 1% of the
 * host's wall time around a launch of a millisecond or more has no real
 * clock: the profiler refuses and the tuner times with the host clock. */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_ITERATIONS (1u << 17)
#define MAX_PROBED 16

typedef struct probed_device {
    char key[sizeof(((clnn_device_info *)0)->key)];
    int has_loop_limit, has_clock;
    size_t loop_limit;
    int clock_real;
} probed_device;

static pthread_mutex_t probed_lock = PTHREAD_MUTEX_INITIALIZER;
static probed_device probed[MAX_PROBED];
static size_t n_probed;

/* The entry of this device, made on first use (NULL when the table is
 * full: the caller then probes every time). Call with probed_lock held. */
static probed_device *entry_locked(const char *key)
{
    for (size_t i = 0; i < n_probed; i++)
        if (strcmp(probed[i].key, key) == 0) return &probed[i];
    if (n_probed == MAX_PROBED) return NULL;
    probed_device *e = &probed[n_probed++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    return e;
}

/* The count one work-item reached; 0 on any error (then no limit is assumed:
 * the probe must never make a working device unusable). */
static cl_uint run_loop_probe(clnn_context *ctx)
{
    static const char *fn = "clnn__loop_limit";
    cl_kernel k;
    if (clnn__kernel_get(ctx, fn, "probe", "", "loop_count", &k) != CLNN_OK) return 0;
    cl_int err;
    const cl_uint ones[2] = {1, 1};
    cl_mem in = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof ones, (void *)ones, &err);
    cl_mem out = clCreateBuffer(ctx->context, CL_MEM_WRITE_ONLY, sizeof(cl_uint), NULL, &err);
    cl_uint n = PROBE_ITERATIONS, count = 0;
    clnn__karg args[] = {KARG_BUF(in), KARG_BUF(out), KARG(n)};
    clnn__launch l = {1, {1, 1, 1}, {1, 1, 1}};
    int ok = in && out && clnn__set_args(ctx, fn, k, 3, args, 1) == CLNN_OK && clnn__enqueue(ctx, fn, k, &l, NULL) == CLNN_OK &&
             clEnqueueReadBuffer(ctx->queue, out, CL_TRUE, 0, sizeof count, &count, 0, NULL, NULL) == CL_SUCCESS;
    if (!ok) count = 0;
    if (in) clReleaseMemObject(in);
    if (out) clReleaseMemObject(out);
    return count;
}

size_t clnn__loop_limit(clnn_context *ctx)
{
    if (ctx->loop_limit_known) return ctx->loop_limit;
    pthread_mutex_lock(&probed_lock);
    probed_device *e = entry_locked(ctx->info.key);
    int known = e && e->has_loop_limit;
    size_t limit = known ? e->loop_limit : 0;
    pthread_mutex_unlock(&probed_lock);
    if (!known) {
        cl_uint count = run_loop_probe(ctx);
        limit = count > 0 && count < PROBE_ITERATIONS ? count : 0;
        pthread_mutex_lock(&probed_lock);
        if ((e = entry_locked(ctx->info.key))) {
            e->loop_limit = limit;
            e->has_loop_limit = 1;
        }
        pthread_mutex_unlock(&probed_lock);
    }
    ctx->loop_limit = limit;
    ctx->loop_limit_known = 1;
    return limit;
}

/* One launch of timed_work over n items: its profiling time and the host's
 * wall time around it (enqueue to completion), in ns; 0 on error. */
static int time_work(clnn_context *ctx, cl_kernel k, cl_mem x, cl_uint n, cl_uint rounds, double *event_ns,
                     double *wall_ns)
{
    static const char *fn = "clnn__device_clock_real";
    clnn__karg args[] = {KARG_BUF(x), KARG(n), KARG(rounds)};
    clnn__launch l = {1, {n, 1, 1}, {0, 1, 1}}; /* local 0: the runtime's choice */
    cl_event ev = NULL;
    if (clnn__set_args(ctx, fn, k, 3, args, 1) != CLNN_OK) return 0;
    double t0 = clnn__now_seconds();
    cl_int err = clnn__enqueue(ctx, fn, k, &l, &ev) == CLNN_OK && ev ? clWaitForEvents(1, &ev) : CL_INVALID_EVENT;
    double t1 = clnn__now_seconds();
    cl_ulong start = 0, end = 0;
    if (err == CL_SUCCESS) err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
    if (err == CL_SUCCESS) err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
    if (ev) clReleaseEvent(ev);
    if (err != CL_SUCCESS) return 0;
    *event_ns = end > start ? (double)(end - start) : 0.0;
    *wall_ns = 1e9 * (t1 - t0);
    return 1;
}

/* 1 unless the device's timestamps are shown not to be real; a device
 * whose work stays under a millisecond (or an error) gets the benefit of
 * the doubt. The work grows 8x a step, so a slow device (Oclgrind) stops
 * after the first. */
static int run_clock_probe(clnn_context *ctx)
{
    cl_kernel k;
    if (!ctx->profiling_queue ||
        clnn__kernel_get(ctx, "clnn__device_clock_real", "probe", "", "timed_work", &k) != CLNN_OK)
        return 1;
    const cl_uint most = 1u << 22;
    cl_int err;
    cl_mem x = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, most * sizeof(float), NULL, &err);
    if (!x) return 1;
    int real = 1;
    for (cl_uint n = 1u << 12; n <= most; n *= 8) {
        double event_ns = 0, wall_ns = 0;
        if (!time_work(ctx, k, x, n, 64, &event_ns, &wall_ns)) break;
        if (wall_ns < 1e6) continue;
        real = event_ns * 100.0 >= wall_ns;
        break;
    }
    clReleaseMemObject(x);
    return real;
}

int clnn__device_clock_real(clnn_context *ctx)
{
    pthread_mutex_lock(&probed_lock);
    probed_device *e = entry_locked(ctx->info.key);
    int known = e && e->has_clock, real = known ? e->clock_real : 1;
    pthread_mutex_unlock(&probed_lock);
    if (known) return real;
    real = run_clock_probe(ctx);
    pthread_mutex_lock(&probed_lock);
    if ((e = entry_locked(ctx->info.key))) {
        e->clock_real = real;
        e->has_clock = 1;
    }
    pthread_mutex_unlock(&probed_lock);
    return real;
}
