/* The tuner's public API (include/clnn/tune.h): modes, options, tuning a
 * kernel through its family's exercise, the search space, forced
 * configurations, the limits and the fallbacks a launch met, and what the
 * lookup chain resolves. The tuner's parts: tune_internal.h. */
#include "tune_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ modes */

clnn_status clnn_tune_set_mode(clnn_context *ctx, clnn_tune_mode mode)
{
    CLNN_ENTRY(ctx);
    if (mode != CLNN_TUNE_OFF && mode != CLNN_TUNE_CACHED && mode != CLNN_TUNE_ON)
        return clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: mode %d is not a clnn_tune_mode", fn,
                          (int)mode);
    clnn__tuner_of(ctx)->mode = mode;
    return CLNN_OK;
}

clnn_status clnn_tune_get_mode(const clnn_context *ctx, clnn_tune_mode *mode)
{
    if (!ctx || !mode)
        return clnn__fail((clnn_context *)ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_get_mode: %s is NULL",
                          !ctx ? "ctx" : "mode");
    *mode = clnn__tune_mode(ctx);
    return CLNN_OK;
}

/* ------------------------------------------------------------- public API */

void clnn_tune_options_init(clnn_tune_options *opt)
{
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->strategy = CLNN_TUNE_EXHAUSTIVE;
    opt->budget_count = 32;
    opt->seed = 1;
    opt->warmup = 1;
    opt->repeats = 5;
    opt->store = 1;
}

static clnn_status check_options(clnn_context *ctx, const char *fn, const clnn_tune_options *o)
{
    CHECK_ARG(ctx, o->strategy == CLNN_TUNE_EXHAUSTIVE || o->strategy == CLNN_TUNE_RANDOM ||
                       o->strategy == CLNN_TUNE_ANNEALING, "%s: opt->strategy %d is not a clnn_tune_strategy", fn,
              (int)o->strategy);
    CHECK_ARG(ctx, o->repeats >= 1 && o->repeats <= CLNN_TUNE_MAX_REPEATS, "%s: opt->repeats %u is not in 1..%d", fn,
              o->repeats, CLNN_TUNE_MAX_REPEATS);
    CHECK_ARG(ctx, o->warmup <= 100, "%s: opt->warmup %u is above 100", fn, o->warmup);
    CHECK_ARG(ctx, o->strategy == CLNN_TUNE_EXHAUSTIVE || o->budget_count >= 1,
              "%s: opt->budget_count is 0 for a sampling strategy", fn);
    CHECK_ARG(ctx, isfinite(o->budget_seconds) && o->budget_seconds >= 0,
              "%s: opt->budget_seconds is negative or not finite", fn);
    CHECK_ARG(ctx, o->ncompare <= CLNN_TUNE_MAX_COMPARE, "%s: opt->ncompare %zu is above %d", fn, o->ncompare,
              CLNN_TUNE_MAX_COMPARE);
    return CLNN_OK;
}

static clnn_status find_kernel(clnn_context *ctx, const char *fn, const char *id, const clnn__tunable **t)
{
    CHECK_ARG(ctx, id, "%s: kernel_id is NULL", fn);
    *t = clnn__tunable_find(id);
    CHECK_ARG(ctx, *t, "%s: no tunable kernel '%s' (clnn-tune --list shows them)", fn, id);
    return CLNN_OK;
}

static clnn_status check_problem(clnn_context *ctx, const char *fn, const size_t problem[2])
{
    CHECK_ARG(ctx, problem, "%s: problem is NULL", fn);
    CHECK_ARG(ctx, problem[0] >= 1 && problem[1] >= 1 && problem[0] <= ((size_t)1 << 31) / problem[1],
              "%s: problem [%zu, %zu] is not in 1..2^31 elements", fn, problem[0], problem[1]);
    return CLNN_OK;
}

clnn_status clnn_tune_kernel(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                             const clnn_tune_options *opt, clnn_tune_result *result)
{
    CLNN_ENTRY(ctx);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    TRY(check_problem(ctx, fn, problem));
    CHECK_ARG(ctx, result, "%s: result is NULL", fn);
    clnn_tune_options defaults;
    clnn_tune_options_init(&defaults);
    TRY(clnn__options_copy(ctx, fn, "opt", &defaults, sizeof defaults, opt));
    opt = &defaults;
    TRY(check_options(ctx, fn, opt));
    clnn__tuner *tuner = clnn__tuner_of(ctx);
    CHECK_ARG(ctx, !tuner->request && !tuner->busy, "%s: the tuner is already running on this context", fn);
    CHECK_ARG(ctx, clnn__tune_exercisable(t),
              "%s: kernel '%s' has no synthetic exercise; it is tuned on first use (CLNN_TUNE=on)", fn, kernel_id);
    CHECK_ARG(ctx, ctx->profiling_queue, "%s: the context's queue has no CL_QUEUE_PROFILING_ENABLE", fn);
    clnn_tune_result res;
    memset(&res, 0, sizeof res);
    clnn__tune_request req = {t, opt, &res, 0};
    tuner->request = &req;
    clnn_status st = clnn__tune_exercise(ctx, t, problem);
    tuner->request = NULL;
    if (st == CLNN_OK && !req.done)
        st = clnn__fail(ctx, CLNN_ERR_INTERNAL, "%s: the exercise of '%s' did not launch it", fn, kernel_id);
    if (st != CLNN_OK) return st;
    *result = res;
    return CLNN_OK;
}

clnn_status clnn_tune_candidates(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                                 const clnn_tune_options *opt, clnn_tune_config *out, size_t cap, size_t *count)
{
    CLNN_ENTRY(ctx);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    TRY(check_problem(ctx, fn, problem));
    CHECK_ARG(ctx, count, "%s: count is NULL", fn);
    CHECK_ARG(ctx, out || cap == 0, "%s: out is NULL", fn);
    clnn_tune_options defaults;
    clnn_tune_options_init(&defaults);
    TRY(clnn__options_copy(ctx, fn, "opt", &defaults, sizeof defaults, opt));
    opt = &defaults;
    TRY(check_options(ctx, fn, opt));
    cl_kernel k;
    clnn__config def;
    const clnn__launch_desc d = {t, NULL, {problem[0], problem[1]}, 0, NULL, NULL};
    TRY(clnn__config_default(ctx, fn, &d, &k, &def));
    TRY(clnn__config_fit(ctx, fn, &d, &k, &def, NULL, NULL));
    clnn__tune_space s = {0};
    clnn_status st = clnn__tune_space_build(ctx, fn, &d, &def, &s);
    if (st == CLNN_OK) {
        clnn__tune_space_order(&s, opt);
        for (size_t i = 0; i < s.n && i < cap; i++) clnn__config_to_public(&s.c[i], &out[i]);
        *count = s.n;
    }
    free(s.c);
    return st;
}

size_t clnn_tune_kernel_count(void)
{
    size_t n = 0;
    while (clnn__tunable_at(n)) n++;
    return n;
}

clnn_status clnn_tune_kernel_info_get(size_t index, clnn_tune_kernel_info *info)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!info) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: info is NULL", fn);
    const clnn__tunable *t = clnn__tunable_at(index);
    if (!t) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: index %zu is not below %zu", fn, index,
                              clnn_tune_kernel_count());
    memset(info, 0, sizeof *info);
    info->id = t->id;
    info->dims = t->dims;
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) {
        info->param_names[i] = t->params[i].name;
        info->param_counts[i] = t->params[i].n;
        info->param_fallback[i] = t->params[i].fallback;
        memcpy(info->param_values[i], t->params[i].values, sizeof info->param_values[i]);
        info->nparams++;
    }
    info->exercisable = clnn__tune_exercisable(t);
    return CLNN_OK;
}

clnn_status clnn_tune_config_string(const char *kernel_id, const clnn_tune_config *cfg, char *buf, size_t len)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!kernel_id || !cfg || !buf || !len)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s", fn,
                          !kernel_id ? "kernel_id is NULL" : !cfg ? "cfg is NULL" : !buf ? "buf is NULL" : "len is 0");
    const clnn__tunable *t = clnn__tunable_find(kernel_id);
    if (!t) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: no tunable kernel '%s'", fn, kernel_id);
    clnn__config c;
    clnn__config_from_public(t, cfg, &c);
    clnn__config_text(t, &c, buf, len);
    return CLNN_OK;
}

clnn_status clnn_tune_force(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg)
{
    CLNN_ENTRY(ctx);
    clnn__tuner *tuner = clnn__tuner_of(ctx);
    if (!kernel_id && !cfg) {
        tuner->forced = NULL;
        return CLNN_OK;
    }
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    CHECK_ARG(ctx, cfg, "%s: cfg is NULL", fn);
    clnn__config c;
    cl_kernel k;
    clnn__config_from_public(t, cfg, &c);
    char text[128], why[256];
    clnn__config_text(t, &c, text, sizeof text);
    const clnn__launch_desc d = {t, NULL, {1, 1}, 0, NULL, NULL};
    CHECK_ARG(ctx, clnn__tune_config_fits(ctx, fn, &d, &c, &k, why, sizeof why),
              "%s: %s does not fit kernel %s on this device: %s", fn, text, kernel_id, why);
    tuner->forced = t;
    tuner->forced_config = c;
    return CLNN_OK;
}

clnn_status clnn_tune_limits_get(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg,
                                 clnn_tune_limits *limits)
{
    CLNN_ENTRY(ctx);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    CHECK_ARG(ctx, limits, "%s: limits is NULL", fn);
    clnn__config c = {{1, 1, 1}, {0}};
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) {
        c.param[i] = cfg ? cfg->params[i] : t->params[i].fallback;
        int ok = 0;
        for (int v = 0; v < t->params[i].n; v++) ok |= t->params[i].values[v] == c.param[i];
        CHECK_ARG(ctx, ok, "%s: %s=%d is not one of kernel %s's values", fn, t->params[i].name, c.param[i], kernel_id);
    }
    cl_kernel k;
    TRY(clnn__config_kernel(ctx, fn, t, NULL, &c, &k));
    memset(limits, 0, sizeof *limits);
    limits->max_local = clnn__kernel_max_local(ctx, k);
    for (int d = 0; d < 3; d++) limits->max_sides[d] = ctx->info.max_work_item_sizes[d];
    limits->local_mem = clnn__kernel_static_mem(ctx, k);
    limits->device_local_mem = ctx->info.local_mem_size;
    limits->preferred_multiple = clnn__kernel_multiple(ctx, k);
    limits->loop_limit = clnn__loop_limit(ctx);
    return CLNN_OK;
}

clnn_status clnn_tune_fallbacks_get(const clnn_context *ctx, clnn_tune_fallbacks *fallbacks)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!ctx || !fallbacks)
        return clnn__fail((clnn_context *)ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !ctx ? "ctx" : "fallbacks");
    memset(fallbacks, 0, sizeof *fallbacks);
    fallbacks->launches = ctx->fallback_launches;
    fallbacks->entries_skipped = ctx->fallback_entries;
    snprintf(fallbacks->last, sizeof fallbacks->last, "%s", ctx->fallback_note);
    return CLNN_OK;
}

clnn_status clnn_tune_resolve(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                              clnn_tune_config *cfg, clnn_tune_match *match)
{
    CLNN_ENTRY(ctx);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    TRY(check_problem(ctx, fn, problem));
    CHECK_ARG(ctx, cfg, "%s: cfg is NULL", fn);
    const clnn__launch_desc d = {t, NULL, {problem[0], problem[1]}, 0, NULL, NULL};
    clnn__choice c;
    int changed = 0;
    TRY(clnn__tune_choose(ctx, fn, &d, 0, &c));
    if (!c.found) TRY(clnn__config_default(ctx, fn, &d, &c.kernel, &c.cfg));
    /* the check a launch makes (its __local arguments aside) */
    TRY(clnn__config_fit(ctx, fn, &d, &c.kernel, &c.cfg, NULL, &changed));
    if (changed) c.match = CLNN_TUNE_MATCH_FALLBACK;
    clnn__config_to_public(&c.cfg, cfg);
    if (match) *match = c.match;
    return CLNN_OK;
}

clnn_status clnn_tune_bench_lookup(clnn_context *ctx, const char *kernel_id, size_t iterations, double *ns)
{
    CLNN_ENTRY(ctx);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    CHECK_ARG(ctx, iterations >= 1, "%s: iterations is 0", fn);
    CHECK_ARG(ctx, ns, "%s: ns_per_lookup is NULL", fn);
    size_t problem[2] = {1000, 1};
    clnn__config c = {{1, 1, 1}, {0}};
    clnn_tune_match m;
    clnn__tune_db_find(&ctx->info, t, problem, &c, &m); /* loads the files outside the timing */
    double t0 = clnn__now_seconds();
    for (size_t i = 0; i < iterations; i++) {
        problem[0] = 1000 + (i & 1023); /* a few buckets, like real launches */
        clnn__tune_db_find(&ctx->info, t, problem, &c, &m);
    }
    *ns = (clnn__now_seconds() - t0) * 1e9 / (double)iterations;
    return CLNN_OK;
}
