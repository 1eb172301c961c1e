/* A real launch replayed with candidate configurations: every distinct
 * buffer argument is snapshot once on the device and restored before each
 * run, so every candidate starts from the inputs the launch was given. A
 * candidate's output must equal the default's in every buffer, bit for bit
 * (validation), before its time counts (timing: profiling events, or the
 * host clock where the device's timestamps are not real). */
#include "tune_internal.h"

#include <stdlib.h>
#include <string.h>

void clnn__replay_free(clnn__replay *r)
{
    for (size_t i = 0; i < r->nbuf; i++) {
        if (r->snap && r->snap[i]) clReleaseMemObject(r->snap[i]);
        if (r->ref) free(r->ref[i]);
    }
    free(r->buf);
    free(r->snap);
    free(r->bytes);
    free(r->ref);
    free(r->scratch);
}

/* Whether buffer m is already among the snapshots. */
static int snapshot_has(const clnn__replay *r, cl_mem m)
{
    for (size_t i = 0; i < r->nbuf; i++)
        if (r->buf[i] == m) return 1;
    return 0;
}

clnn_status clnn__replay_init(clnn__replay *r)
{
    clnn_context *ctx = r->ctx;
    const clnn__launch_desc *d = r->d;
    size_t n = d->nargs ? d->nargs : 1, biggest = 0;
    r->buf = calloc(n, sizeof *r->buf);
    r->snap = calloc(n, sizeof *r->snap);
    r->bytes = calloc(n, sizeof *r->bytes);
    r->ref = calloc(n, sizeof *r->ref);
    if (!r->buf || !r->snap || !r->bytes || !r->ref)
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: tuner: out of host memory", r->fn);
    for (size_t a = 0; a < d->nargs; a++) {
        if (!d->args[a].is_buffer) continue;
        cl_mem m = *(const cl_mem *)d->args[a].ptr;
        if (!m || snapshot_has(r, m)) continue;
        size_t i = r->nbuf++;
        r->buf[i] = m;
        cl_int err = clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof r->bytes[i], &r->bytes[i], NULL);
        if (err != CL_SUCCESS) return clnn__fail_cl(ctx, r->fn, "clGetMemObjectInfo", err);
        r->snap[i] = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, r->bytes[i], NULL, &err);
        if (!r->snap[i]) return clnn__fail_cl(ctx, r->fn, "clCreateBuffer (tuner snapshot)", err);
        err = clEnqueueCopyBuffer(ctx->queue, m, r->snap[i], 0, 0, r->bytes[i], 0, NULL, NULL);
        if (err != CL_SUCCESS) return clnn__fail_cl(ctx, r->fn, "clEnqueueCopyBuffer (tuner snapshot)", err);
        if (r->bytes[i] > biggest) biggest = r->bytes[i];
    }
    r->scratch = malloc(biggest ? biggest : 1);
    if (!r->scratch) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: tuner: out of host memory", r->fn);
    return CLNN_OK;
}

clnn_status clnn__replay_restore(clnn__replay *r)
{
    for (size_t i = 0; i < r->nbuf && !r->no_restore; i++) {
        cl_int err = clEnqueueCopyBuffer(r->ctx->queue, r->snap[i], r->buf[i], 0, 0, r->bytes[i], 0, NULL, NULL);
        if (err != CL_SUCCESS) return clnn__fail_cl(r->ctx, r->fn, "clEnqueueCopyBuffer (tuner restore)", err);
    }
    return CLNN_OK;
}

/* Restores the inputs and runs cfg once, exactly as it is (the space holds
 * only configurations that fit); *ev (if not NULL) gets its event. */
static clnn_status run_config(clnn__replay *r, const clnn__config *cfg, cl_event *ev)
{
    TRY(clnn__replay_restore(r));
    clnn__launch_desc d = *r->d;
    d.config = cfg;
    return clnn__dispatch(r->ctx, r->fn, &d, ev);
}

int clnn__replay_planted(const clnn__replay *r, const clnn__config *cfg, int is_default)
{
    return !is_default && r->opt->test_wrong_local && cfg->local[0] == r->opt->test_wrong_local;
}

/* The test hook: flips one bit of the first buffer, as a wrong kernel would. */
static void plant_wrong_output(clnn__replay *r)
{
    uint32_t word = 0;
    clEnqueueReadBuffer(r->ctx->queue, r->buf[0], CL_TRUE, 0, sizeof word, &word, 0, NULL, NULL);
    word ^= 0x00400000u;
    clEnqueueWriteBuffer(r->ctx->queue, r->buf[0], CL_TRUE, 0, sizeof word, &word, 0, NULL, NULL);
}

int clnn__replay_check(clnn__replay *r, const clnn__config *cfg, int is_default)
{
    clnn_context *ctx = r->ctx;
    if (run_config(r, cfg, NULL) != CLNN_OK) return -1;
    if (clnn__replay_planted(r, cfg, is_default) && r->nbuf) plant_wrong_output(r);
    int same = 1;
    for (size_t i = 0; i < r->nbuf; i++) {
        unsigned char *dst = is_default ? (r->ref[i] = malloc(r->bytes[i])) : r->scratch;
        if (!dst) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: tuner: out of host memory", r->fn), -1;
        cl_int err = clEnqueueReadBuffer(ctx->queue, r->buf[i], CL_TRUE, 0, r->bytes[i], dst, 0, NULL, NULL);
        if (err != CL_SUCCESS) return clnn__fail_cl(ctx, r->fn, "clEnqueueReadBuffer (tuner check)", err), -1;
        if (!is_default && memcmp(dst, r->ref[i], r->bytes[i]) != 0) same = 0;
    }
    return same;
}

int clnn__tune_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One timed run of cfg: seconds (0 when the clock gave nothing plausible),
 * <0 when it failed. Without a real device clock, the host's around it. */
static double time_once(clnn__replay *r, const clnn__config *cfg, int device_clock)
{
    cl_event ev = NULL;
    double host0 = clnn__now_seconds();
    if (run_config(r, cfg, &ev) != CLNN_OK || !ev) return -1;
    cl_ulong t0 = 0, t1 = 0;
    cl_int err = clWaitForEvents(1, &ev);
    double host = clnn__now_seconds() - host0;
    if (err == CL_SUCCESS && device_clock)
        err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    if (err == CL_SUCCESS && device_clock)
        err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    clReleaseEvent(ev);
    if (err != CL_SUCCESS) return -1;
    return device_clock ? (t1 > t0 ? 1e-9 * (double)(t1 - t0) : 0.0) : host;
}

double clnn__replay_time(clnn__replay *r, const clnn__config *cfg, double *times, size_t *kept)
{
    double local_times[CLNN_TUNE_MAX_REPEATS];
    double *t = times ? times : local_times;
    size_t n = 0;
    unsigned total = r->opt->warmup + r->opt->repeats;
    const int device_clock = clnn__device_clock_real(r->ctx);
    for (unsigned i = 0; i < total; i++) {
        double seconds = time_once(r, cfg, device_clock);
        if (seconds < 0) return -1;
        if (i >= r->opt->warmup && seconds > 0) t[n++] = seconds;
    }
    if (kept) *kept = n;
    if (n == 0) return -1;
    qsort(t, n, sizeof *t, clnn__tune_cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}
