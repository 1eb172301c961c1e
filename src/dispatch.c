/* Kernel launches: arguments, local size, tail-safe global size, profiling. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

clnn_status clnn__record_event(clnn_context *ctx, cl_event ev)
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

/* Rounds global up to multiples of local and enqueues; *ev gets the event when ev is not NULL. */
static clnn_status enqueue(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l, cl_event *ev)
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
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, l->dims, NULL, global, use_local ? local : NULL, 0,
                                        NULL, ev);
    if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clEnqueueNDRangeKernel", err);
    return CLNN_OK;
}

clnn_status clnn__enqueue(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l)
{
    cl_event ev = NULL;
    TRY(enqueue(ctx, fn, k, l, ctx->profiling ? &ev : NULL));
    if (ev) return clnn__record_event(ctx, ev);
    return CLNN_OK;
}

clnn_status clnn__enqueue_event(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l, cl_event *ev)
{
    *ev = NULL;
    TRY(enqueue(ctx, fn, k, l, ev));
    if (*ev && ctx->profiling) { /* the user's profiler sees tuning launches too */
        clRetainEvent(*ev);
        return clnn__record_event(ctx, *ev);
    }
    return CLNN_OK;
}

/* ---------------------------------------------------------- tunable kernels */

void clnn__config_options(const clnn_context *ctx, const clnn__tunable *t, const clnn__config *cfg, char *buf,
                          size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s-D%s=%d", off ? " " : "", t->params[i].name, cfg->param[i]);
    if (ctx->launch_variant && ctx->launch_variant[0] && off < len)
        snprintf(buf + off, len - off, "%s%s", off ? " " : "", ctx->launch_variant);
}

size_t clnn__kernel_max_local(const clnn_context *ctx, cl_kernel k)
{
    size_t max = ctx->info.max_work_group_size, kmax = 0;
    if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL) ==
            CL_SUCCESS && kmax > 0 && kmax < max)
        max = kmax;
    return max;
}

void clnn__config_heuristic(const clnn_context *ctx, const clnn__tunable *t, cl_kernel k, const size_t problem[2],
                            clnn__config *cfg)
{
    size_t max = clnn__kernel_max_local(ctx, k);
    if (t->dims == 1) {
        size_t local = 256;
        while (local > max || local > ctx->info.max_work_item_sizes[0]) local /= 2;
        cfg->local[0] = local ? local : 1;
        cfg->local[1] = cfg->local[2] = 1;
    } else {
        size_t lx = 16, ly = 16;
        while (lx * ly > max) {
            if (ly >= lx) ly /= 2;
            else lx /= 2;
        }
        while (lx > ctx->info.max_work_item_sizes[0]) lx /= 2;
        while (ly > ctx->info.max_work_item_sizes[1]) ly /= 2;
        cfg->local[0] = lx ? lx : 1;
        cfg->local[1] = ly ? ly : 1;
        cfg->local[2] = 1;
    }
}

clnn_status clnn__config_default(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                                 cl_kernel *k, clnn__config *cfg)
{
    char options[CLNN_OPTIONS_LEN];
    clnn__config c = {{0, 0, 0}, {0}};
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c.param[i] = t->params[i].fallback;
    if (t->heuristic) t->heuristic(ctx, problem, &c);
    clnn__config_options(ctx, t, &c, options, sizeof options);
    TRY(clnn__kernel_get(ctx, fn, t->program, options, t->kernel, k));
    if (c.local[0] == 0) clnn__config_heuristic(ctx, t, *k, problem, &c);
    *cfg = c;
    return CLNN_OK;
}

/* The database's configuration for this launch, if there is one that fits the
 * device and the kernel built with its parameters; 0 means use the heuristic. */
static int config_from_db(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                          cl_kernel *k, clnn__config *cfg)
{
    clnn__config c = {{1, 1, 1}, {0}};
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c.param[i] = t->params[i].fallback;
    clnn_tune_match match;
    if (clnn__tune_db_find(&ctx->info, t, problem, &c, &match) != 1) return 0;
    size_t product = 1;
    for (unsigned d = 0; d < t->dims; d++) {
        if (c.local[d] == 0 || c.local[d] > ctx->info.max_work_item_sizes[d]) return 0;
        product *= c.local[d];
    }
    char options[CLNN_OPTIONS_LEN];
    clnn__config_options(ctx, t, &c, options, sizeof options);
    if (clnn__kernel_get(ctx, fn, t->program, options, t->kernel, k) != CLNN_OK) return 0;
    if (product > clnn__kernel_max_local(ctx, *k)) return 0;
    *cfg = c;
    return 1;
}

clnn_status clnn__tuned_kernel(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                               const size_t problem[2], cl_kernel *k, clnn__config *cfg)
{
    if (ctx->forced_tunable == t) {
        char options[CLNN_OPTIONS_LEN];
        *cfg = ctx->forced_config;
        clnn__config_options(ctx, t, cfg, options, sizeof options);
        return clnn__kernel_get(ctx, fn, t->program, options, t->kernel, k);
    }
    if (clnn__tune_mode(ctx) != CLNN_TUNE_OFF && config_from_db(ctx, fn, t, problem, k, cfg)) return CLNN_OK;
    return clnn__config_default(ctx, fn, t, problem, k, cfg);
}

void clnn__global_philox_blocks(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    (void)cfg;
    global[0] = (problem[0] + 3) / 4;
    global[1] = 1;
}

void clnn__launch_for(const clnn__tunable *t, const size_t problem[2], const clnn__config *cfg, clnn__launch *l)
{
    size_t global[2] = {problem[0], problem[1]};
    if (t->global) t->global(problem, cfg, global);
    l->dims = t->dims;
    l->global[0] = global[0];
    l->global[1] = t->dims > 1 ? global[1] : 1;
    l->global[2] = 1;
    for (int d = 0; d < 3; d++) l->local[d] = d < (int)t->dims ? cfg->local[d] : 1;
}

clnn_status clnn__tuned_kernel_variant(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                                       const char *variant, const size_t problem[2], cl_kernel *k,
                                       clnn__config *cfg)
{
    const char *outer = ctx->launch_variant;
    ctx->launch_variant = variant;
    clnn_status st = clnn__tuned_kernel(ctx, fn, t, problem, k, cfg);
    ctx->launch_variant = outer;
    return st;
}

static clnn_status run_launch(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                              size_t nargs, const clnn__karg *args)
{
    int handled = 0;
    clnn_status st = clnn__tune_intercept(ctx, fn, t, problem, nargs, args, &handled);
    if (handled) return st;
    cl_kernel k;
    clnn__config cfg;
    clnn__launch l;
    TRY(clnn__tuned_kernel(ctx, fn, t, problem, &k, &cfg));
    TRY(clnn__set_args(ctx, fn, k, nargs, args));
    clnn__launch_for(t, problem, &cfg, &l);
    return clnn__enqueue(ctx, fn, k, &l);
}

/* The variant's options ride on the context for the duration of the launch,
 * so every kernel built on its behalf -- the tuner's candidates included --
 * carries them. */
clnn_status clnn__run_variant(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *variant,
                              const size_t problem[2], size_t nargs, const clnn__karg *args)
{
    const char *outer = ctx->launch_variant;
    ctx->launch_variant = variant;
    clnn_status st = run_launch(ctx, fn, t, problem, nargs, args);
    ctx->launch_variant = outer;
    return st;
}

clnn_status clnn__run(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                      size_t nargs, const clnn__karg *args)
{
    return clnn__run_variant(ctx, fn, t, NULL, problem, nargs, args);
}
