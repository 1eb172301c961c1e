/* Defects of OpenCL implementations that only running a kernel reveals,
 * probed once per device per process and remembered.
 *
 * The loop limit: Mesa 22.3's llvmpipe (rusticl) counts every loop iteration
 * of a work-item and stops all of its loops after 65535 in total, so a long
 * reduction silently returns a partial sum (batch norm over 4 x 256 x 256
 * per channel was off by 10^4; docs/portability.md). The probe asks one
 * work-item for 2^17 iterations; a short count is the device's limit, which
 * dispatch then keeps every launch under (clnn__tunable.iterations). */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_ITERATIONS (1u << 17)
#define MAX_PROBED 16

typedef struct probed_device {
    char key[sizeof(((clnn_device_info *)0)->key)];
    size_t loop_limit;
} probed_device;

static pthread_mutex_t probed_lock = PTHREAD_MUTEX_INITIALIZER;
static probed_device probed[MAX_PROBED];
static size_t n_probed;

static int lookup(const char *key, size_t *limit)
{
    int found = 0;
    pthread_mutex_lock(&probed_lock);
    for (size_t i = 0; i < n_probed && !found; i++)
        if (strcmp(probed[i].key, key) == 0) {
            *limit = probed[i].loop_limit;
            found = 1;
        }
    pthread_mutex_unlock(&probed_lock);
    return found;
}

static void remember(const char *key, size_t limit)
{
    pthread_mutex_lock(&probed_lock);
    if (n_probed < MAX_PROBED) {
        snprintf(probed[n_probed].key, sizeof probed[n_probed].key, "%s", key);
        probed[n_probed++].loop_limit = limit;
    }
    pthread_mutex_unlock(&probed_lock);
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
    int ok = in && out && clnn__set_args(ctx, fn, k, 3, args, 1) == CLNN_OK && clnn__enqueue(ctx, fn, k, &l) == CLNN_OK &&
             clEnqueueReadBuffer(ctx->queue, out, CL_TRUE, 0, sizeof count, &count, 0, NULL, NULL) == CL_SUCCESS;
    if (!ok) count = 0;
    if (in) clReleaseMemObject(in);
    if (out) clReleaseMemObject(out);
    return count;
}

size_t clnn__loop_limit(clnn_context *ctx)
{
    if (ctx->loop_limit_known) return ctx->loop_limit;
    size_t limit = 0;
    if (!lookup(ctx->info.key, &limit)) {
        cl_uint count = run_loop_probe(ctx);
        limit = count > 0 && count < PROBE_ITERATIONS ? count : 0;
        remember(ctx->info.key, limit);
    }
    ctx->loop_limit = limit;
    ctx->loop_limit_known = 1;
    return limit;
}
