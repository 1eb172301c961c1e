/* Kernel launches: arguments, the limits check and its fallback, the
 * heuristic configuration, tail-safe global size, profiling. clnn__dispatch
 * is the one entry of a tunable kernel's launch: it is handed a launch
 * description, asks the tuner's hook (ctx->tuner, installed at context
 * creation) for a configuration unless the description carries one, and
 * takes the heuristic when there is none. Nothing here knows the tuner's
 * modes, database or search. */
#include "internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clnn_status clnn__set_args(clnn_context *ctx, const char *fn, cl_kernel k, size_t n, const clnn__karg *args,
                           size_t group)
{
    for (size_t i = 0; i < n; i++) {
        size_t size = args[i].per_item ? args[i].size * group : args[i].size;
        cl_int err = clSetKernelArg(k, (cl_uint)i, size, args[i].ptr);
        if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clSetKernelArg", err);
    }
    return CLNN_OK;
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

/* Enqueues and hands the event to the profiler while it runs; *ev (when ev
 * is not NULL) gets the event too, for the caller to release. */
static clnn_status enqueue_profiled(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l,
                                    cl_event *ev)
{
    cl_event own = NULL;
    if (ev) *ev = NULL;
    TRY(enqueue(ctx, fn, k, l, ev ? ev : ctx->profiling ? &own : NULL));
    if (ev && *ev && ctx->profiling) { /* the user's profiler sees tuning launches too */
        clRetainEvent(*ev);
        return clnn__record_event(ctx, *ev);
    }
    return own ? clnn__record_event(ctx, own) : CLNN_OK;
}

/* ---------------------------------------------------------- tunable kernels */

/* The -D options string of a configuration and a variant (may be NULL):
 * "-DWPT=4 -DVW=2 -DHAS_MASK=1". */
static void config_options(const clnn__tunable *t, const char *variant, const clnn__config *cfg, char *buf,
                           size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s-D%s=%d", off ? " " : "", t->params[i].name, cfg->param[i]);
    if (variant && variant[0] && off < len) snprintf(buf + off, len - off, "%s%s", off ? " " : "", variant);
}

clnn_status clnn__config_kernel(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *variant,
                                const clnn__config *cfg, cl_kernel *k)
{
    char options[CLNN_OPTIONS_LEN];
    config_options(t, variant, cfg, options, sizeof options);
    return clnn__kernel_get(ctx, fn, t->program, options, t->kernel, k);
}

void clnn__config_text(const clnn__tunable *t, const clnn__config *c, char *buf, size_t len)
{
    int off = t->dims > 1 ? snprintf(buf, len, "local=%zux%zu", c->local[0], c->local[1])
                          : snprintf(buf, len, "local=%zu", c->local[0]);
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name && off > 0 && (size_t)off < len; i++)
        off += snprintf(buf + off, len - (size_t)off, " %s=%d", t->params[i].name, c->param[i]);
}

/* What the limits check needs of a kernel object, asked of the driver once
 * per context, before the kernel's first arguments, and kept (ctx->klimits,
 * an open-addressing table keyed by the cl_kernel), so that a launch costs
 * no driver queries. The __local arguments of a launch are added from the
 * arguments themselves (the static part is what CL_KERNEL_LOCAL_MEM_SIZE
 * says before any is set). */
struct clnn__kernel_limits {
    cl_kernel k;
    size_t max_local;    /* CL_KERNEL_WORK_GROUP_SIZE, at most the device's */
    cl_ulong static_mem; /* CL_KERNEL_LOCAL_MEM_SIZE before any __local argument is set */
    size_t multiple;     /* CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE (a warp or wavefront), 1 if unknown */
};

static const struct clnn__kernel_limits *kernel_limits(clnn_context *ctx, cl_kernel k)
{
    static const struct clnn__kernel_limits none = {NULL, 1, 0, 1};
    if (2 * (ctx->n_klimits + 1) > ctx->cap_klimits) { /* grow: rehash into twice the slots */
        size_t cap = ctx->cap_klimits ? 2 * ctx->cap_klimits : 256;
        struct clnn__kernel_limits *t = calloc(cap, sizeof *t);
        if (!t) return &none;
        for (size_t i = 0; i < ctx->cap_klimits; i++) {
            if (!ctx->klimits[i].k) continue;
            size_t j = ((uintptr_t)ctx->klimits[i].k >> 4) & (cap - 1);
            while (t[j].k) j = (j + 1) & (cap - 1);
            t[j] = ctx->klimits[i];
        }
        free(ctx->klimits);
        ctx->klimits = t;
        ctx->cap_klimits = cap;
    }
    size_t j = ((uintptr_t)k >> 4) & (ctx->cap_klimits - 1);
    while (ctx->klimits[j].k && ctx->klimits[j].k != k) j = (j + 1) & (ctx->cap_klimits - 1);
    struct clnn__kernel_limits *e = &ctx->klimits[j];
    if (!e->k) {
        size_t kmax = 0;
        e->k = k;
        e->max_local = ctx->info.max_work_group_size;
        if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL) ==
                CL_SUCCESS && kmax > 0 && kmax < e->max_local)
            e->max_local = kmax;
        if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof e->static_mem, &e->static_mem,
                                     NULL) != CL_SUCCESS)
            e->static_mem = 0;
        if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
                                     sizeof e->multiple, &e->multiple, NULL) != CL_SUCCESS ||
            e->multiple == 0)
            e->multiple = 1;
        ctx->n_klimits++;
    }
    return e;
}

void clnn__kernel_limits_free(clnn_context *ctx)
{
    free(ctx->klimits);
    ctx->klimits = NULL;
    ctx->n_klimits = ctx->cap_klimits = 0;
}

size_t clnn__kernel_max_local(clnn_context *ctx, cl_kernel k) { return kernel_limits(ctx, k)->max_local; }

size_t clnn__kernel_multiple(clnn_context *ctx, cl_kernel k) { return kernel_limits(ctx, k)->multiple; }

unsigned long long clnn__kernel_static_mem(clnn_context *ctx, cl_kernel k)
{
    return kernel_limits(ctx, k)->static_mem;
}

/* The generic local size: 1-D 256 and 2-D 16x16, clipped to the kernel's and
 * the device's limits. */
static void config_heuristic(clnn_context *ctx, const clnn__tunable *t, cl_kernel k, const size_t problem[2],
                             clnn__config *cfg)
{
    (void)problem;
    size_t max = clnn__kernel_max_local(ctx, k);
    if (t->dims == 1) {
        size_t local = 256;
        while (local > max || local > ctx->info.max_work_item_sizes[0]) local /= 2;
        /* A GPU whose kernel limit is no power of two (a register-bound
         * kernel: e.g. 192 of 1024) keeps whole warps / wavefronts up to it,
         * rather than falling to the power of two below. */
        size_t most = max < 256 ? max : 256, m = clnn__kernel_multiple(ctx, k);
        if (clnn__gpu_shaped(ctx) && most <= ctx->info.max_work_item_sizes[0] && m > 1 && most / m * m > local)
            local = most / m * m;
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

/* ------------------------------------------------------- the limits check */

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
    if (!why || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* The limits of a launch of k with this local size whose __local arguments
 * take args_mem bytes: sides, the kernel's work-group limit, local memory. */
static clnn__fit limits_check(clnn_context *ctx, cl_kernel k, unsigned dims, const size_t local[3],
                              unsigned long long args_mem, char *why, size_t len)
{
    size_t group = 1;
    for (unsigned d = 0; d < dims; d++) {
        if (local[d] == 0 || local[d] > ctx->info.max_work_item_sizes[d]) {
            say(why, len, "local side %u is %zu, the device allows 1..%zu (CL_DEVICE_MAX_WORK_ITEM_SIZES)", d,
                local[d], ctx->info.max_work_item_sizes[d]);
            return CLNN__OVER_GROUP;
        }
        group *= local[d];
    }
    size_t kmax = clnn__kernel_max_local(ctx, k);
    if (group > kmax) {
        say(why, len, "%zu work-items per group, the kernel allows %zu (CL_KERNEL_WORK_GROUP_SIZE)", group, kmax);
        return CLNN__OVER_GROUP;
    }
    unsigned long long lmem = clnn__kernel_static_mem(ctx, k) + args_mem;
    if (lmem > ctx->info.local_mem_size) {
        say(why, len,
            "%llu bytes of local memory (CL_KERNEL_LOCAL_MEM_SIZE and the __local arguments), the device has %llu",
            lmem, ctx->info.local_mem_size);
        return CLNN__OVER_LOCAL_MEM;
    }
    return CLNN__FITS;
}

/* A device that stops a work-item's loops after `limit` iterations in all
 * (Mesa 22.3's llvmpipe: 65535) returns partial results past it, silently. */
static clnn__fit loops_check(clnn_context *ctx, const clnn__tunable *t, const clnn__config *cfg,
                             const size_t problem[2], char *why, size_t len)
{
    if (!t->iterations) return CLNN__FITS;
    size_t limit = clnn__loop_limit(ctx);
    if (!limit) return CLNN__FITS;
    size_t need = t->iterations(problem, cfg);
    if (need <= limit) return CLNN__FITS;
    say(why, len,
        "a work-item would run about %zu loop iterations, and this device stops a work-item's loops after %zu "
        "(docs/portability.md)",
        need, limit);
    return CLNN__OVER_LOOPS;
}

clnn__fit clnn__config_check(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_kernel k,
                             const clnn__config *cfg, const size_t *problem, size_t nargs, const clnn__karg *args,
                             char *why, size_t len)
{
    size_t group = 1;
    unsigned long long args_mem = 0;
    for (unsigned d = 0; d < t->dims; d++) group *= cfg->local[d] ? cfg->local[d] : 1;
    for (size_t i = 0; args && i < nargs; i++)
        if (!args[i].ptr) args_mem += args[i].per_item ? args[i].size * group : args[i].size;
    clnn__kernel_static_mem(ctx, k); /* asked before the kernel's first arguments and launch */
    if (args && clnn__set_args(ctx, fn, k, nargs, args, group) != CLNN_OK) return CLNN__FIT_ERROR;
    clnn__fit f = limits_check(ctx, k, t->dims, cfg->local, args_mem, why, len);
    return f == CLNN__FITS && problem ? loops_check(ctx, t, cfg, problem, why, len) : f;
}

static size_t pow2_below(size_t x)
{
    size_t p = 1;
    while (2 * p < x) p *= 2;
    return p;
}

/* One step down: the larger side (the last one on a tie) to the power of two
 * below it; 0 when every side is 1 already. */
static int step_down(const clnn__tunable *t, clnn__config *c)
{
    unsigned big = 0;
    for (unsigned d = 1; d < t->dims; d++)
        if (c->local[d] >= c->local[big]) big = d;
    if (c->local[big] <= 1) return 0;
    c->local[big] = pow2_below(c->local[big]);
    return 1;
}

/* Steps c's local size down until it fits k. A local size over the group
 * limits always gets there; local memory only shrinks with the local size
 * when an argument is sized per work-item. */
static clnn__fit shrink(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_kernel k, clnn__config *c,
                        const size_t problem[2], size_t nargs, const clnn__karg *args)
{
    int per_item = 0;
    for (size_t i = 0; args && i < nargs; i++) per_item |= args[i].per_item;
    for (;;) {
        clnn__fit f = clnn__config_check(ctx, fn, t, k, c, problem, nargs, args, NULL, 0);
        if (f == CLNN__FITS || f == CLNN__FIT_ERROR || f == CLNN__OVER_LOOPS ||
            (f == CLNN__OVER_LOCAL_MEM && !per_item) || !step_down(t, c))
            return f;
    }
}

/* Over the loop limit: more work-items share the loops, so the local size
 * doubles (1-D kernels) until the launch fits or a group limit stops it. */
static clnn__fit grow(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_kernel k, clnn__config *c,
                      const size_t problem[2], size_t nargs, const clnn__karg *args)
{
    clnn__fit f = CLNN__OVER_LOOPS;
    while (f == CLNN__OVER_LOOPS && t->dims == 1) {
        clnn__config g = *c;
        g.local[0] *= 2;
        if (g.local[0] > clnn__kernel_max_local(ctx, k)) break;
        f = clnn__config_check(ctx, fn, t, k, &g, problem, nargs, args, NULL, 0);
        if (f == CLNN__FITS || f == CLNN__OVER_LOOPS) *c = g;
    }
    return f == CLNN__FITS ? f : CLNN__OVER_LOOPS;
}

/* shrink for the group and memory limits, then grow for the loop limit. */
static clnn__fit settle(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_kernel k, clnn__config *c,
                        const size_t problem[2], size_t nargs, const clnn__karg *args)
{
    clnn__fit f = shrink(ctx, fn, t, k, c, problem, nargs, args);
    return f == CLNN__OVER_LOOPS ? grow(ctx, fn, t, k, c, problem, nargs, args) : f;
}

/* t's configuration before its kernel is built: the parameters' fallback
 * values, then the tunable's heuristic (local left 0: the generic one). */
static void heuristic_start(const clnn_context *ctx, const clnn__tunable *t, const size_t problem[2],
                            clnn__config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c->param[i] = t->params[i].fallback;
    if (t->heuristic) t->heuristic(ctx, problem, c);
}

void clnn__note_fallback(clnn_context *ctx, int entry, const char *fmt, ...)
{
    if (entry) ctx->fallback_entries++;
    else ctx->fallback_launches++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->fallback_note, sizeof ctx->fallback_note, fmt, ap);
    va_end(ap);
}

clnn_status clnn__config_fit(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel *k,
                             clnn__config *cfg, const char *what, int *changed)
{
    const clnn__tunable *t = d->t;
    const size_t *problem = d->problem, nargs = d->nargs;
    const clnn__karg *args = d->args;
    char why[256], asked[128], used[128];
    if (changed) *changed = 0;
    clnn__fit f = clnn__config_check(ctx, fn, t, *k, cfg, problem, nargs, args, why, sizeof why);
    if (f == CLNN__FITS) return CLNN_OK;
    if (f == CLNN__FIT_ERROR) return CLNN_ERR_OPENCL;
    clnn__config c = *cfg;
    cl_kernel kc = *k;
    f = settle(ctx, fn, t, kc, &c, problem, nargs, args);
    /* other parameters: the heuristic's, then cfg's stepped down one value
     * at a time, the parameter furthest up its list first (larger values
     * are the larger tiles, lanes and vectors: the local memory they need
     * falls with them) */
    int idx[CLNN_MAX_TUNE_PARAMS] = {0};
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) {
        idx[i] = t->params[i].n - 1;
        while (idx[i] > 0 && t->params[i].values[idx[i]] != cfg->param[i]) idx[i]--;
    }
    for (int trial = 0; f != CLNN__FITS && f != CLNN__FIT_ERROR; trial++) {
        clnn__config p = *cfg;
        if (trial == 0) {
            clnn__config h;
            heuristic_start(ctx, t, problem, &h);
            memcpy(p.param, h.param, sizeof p.param);
        } else {
            int top = -1;
            for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++)
                if (idx[i] > 0 && (top < 0 || idx[i] > idx[top])) top = i;
            if (top < 0) break;
            idx[top]--;
            for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++)
                p.param[i] = t->params[i].values[idx[i]];
        }
        if (memcmp(p.param, cfg->param, sizeof p.param) == 0) continue; /* tried first */
        if (clnn__config_kernel(ctx, fn, t, d->variant, &p, &kc) != CLNN_OK) continue;
        f = settle(ctx, fn, t, kc, &p, problem, nargs, args);
        c = p;
    }
    clnn__config_text(t, cfg, asked, sizeof asked);
    if (f == CLNN__FIT_ERROR) return CLNN_ERR_OPENCL;
    if (f != CLNN__FITS)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "%s: kernel %s: %s does not fit this device (%s), nor does a smaller local size or "
                          "another parameter combination",
                          fn, t->id, asked, why);
    clnn__config_text(t, &c, used, sizeof used);
    if (what) clnn__note_fallback(ctx, 0, "%s: %s %s does not fit: %s; launched %s", t->id, what, asked, why, used);
    *k = kc;
    *cfg = c;
    if (changed) *changed = 1;
    return CLNN_OK;
}

/* The one place clnn enqueues a tunable kernel: k built with cfg's -D
 * options, arguments, the limits check, global size, enqueue. what NULL: cfg
 * must fit as it is (CLNN_ERR_UNSUPPORTED otherwise; the tuner's candidates);
 * else a configuration that does not fit falls back (clnn__config_fit) and
 * what names it in the note. */
static clnn_status launch_config(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel k,
                                 clnn__config *cfg, const char *what, cl_event *ev)
{
    const clnn__tunable *t = d->t;
    if (what) {
        TRY(clnn__config_fit(ctx, fn, d, &k, cfg, what, NULL));
    } else {
        char why[256], text[128];
        clnn__fit f = clnn__config_check(ctx, fn, t, k, cfg, d->problem, d->nargs, d->args, why, sizeof why);
        if (f == CLNN__FIT_ERROR) return CLNN_ERR_OPENCL;
        clnn__config_text(t, cfg, text, sizeof text);
        if (f != CLNN__FITS)
            return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED, "%s: kernel %s: %s does not fit: %s", fn, t->id, text, why);
    }
    clnn__launch l;
    clnn__launch_for(t, d->problem, cfg, &l);
    return enqueue_profiled(ctx, fn, k, &l, ev);
}

clnn_status clnn__enqueue(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l, cl_event *ev)
{
    char why[256];
    int runtime_picks = 0; /* local 0: the runtime chooses a size that fits */
    for (unsigned d = 0; d < l->dims; d++) runtime_picks |= l->local[d] == 0;
    if (!runtime_picks && limits_check(ctx, k, l->dims, l->local, 0, why, sizeof why) != CLNN__FITS)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED, "%s: a kernel launch does not fit this device: %s", fn, why);
    return enqueue_profiled(ctx, fn, k, l, ev);
}

/* ------------------------------------------------------ the launch path */

clnn_status clnn__config_default(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel *k,
                                 clnn__config *cfg)
{
    clnn__config c;
    heuristic_start(ctx, d->t, d->problem, &c);
    TRY(clnn__config_kernel(ctx, fn, d->t, d->variant, &c, k));
    if (c.local[0] == 0) config_heuristic(ctx, d->t, *k, d->problem, &c);
    /* the heuristic could not see the kernel's limits, nor the device's loop limit */
    settle(ctx, fn, d->t, *k, &c, d->problem, 0, NULL);
    *cfg = c;
    return CLNN_OK;
}

const char *clnn__match_name(clnn_tune_match m)
{
    switch (m) {
    case CLNN_TUNE_MATCH_EXACT: return "database entry (this device)";
    case CLNN_TUNE_MATCH_DEVICE_NAME: return "database entry (same device name)";
    case CLNN_TUNE_MATCH_VENDOR_TYPE: return "database entry (vendor and type default)";
    case CLNN_TUNE_MATCH_TYPE: return "database entry (type default)";
    case CLNN_TUNE_MATCH_FORCED: return "forced configuration";
    default: return "heuristic";
    }
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

clnn_status clnn__dispatch(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_event *ev)
{
    clnn__choice c = {0, {{0}, {0}}, NULL, CLNN_TUNE_MATCH_HEURISTIC, 0, CLNN_OK};
    if (d->config) { /* a candidate of the tuner: exactly as it is */
        c.cfg = *d->config;
        TRY(clnn__config_kernel(ctx, fn, d->t, d->variant, &c.cfg, &c.kernel));
        return launch_config(ctx, fn, d, c.kernel, &c.cfg, NULL, ev);
    }
    if (ctx->tuner.lookup) TRY(ctx->tuner.lookup(ctx, ctx->tuner.data, fn, d, &c));
    if (!c.found) TRY(clnn__config_default(ctx, fn, d, &c.kernel, &c.cfg));
    clnn_status st = launch_config(ctx, fn, d, c.kernel, &c.cfg, c.exact ? NULL : clnn__match_name(c.match), ev);
    return c.deferred != CLNN_OK ? c.deferred : st;
}
