/* The autotuner: search spaces filtered by the device's limits, strategies
 * (exhaustive, seeded random sampling, simulated annealing), replay of a real
 * launch with candidate configurations (buffers snapshot and restored around
 * every run), validation against the default configuration's output, and
 * noise-aware timing with profiling events. Modes and the public API. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPEATS 64
#define RETIME_ROUNDS 3
#define MIN_NOISE 0.02
/* local sizes searched: powers of two from MIN_LOCAL (or less where the limit
 * is lower) to MAX_LOCAL; 2-D: each side up to MAX_SIDE */
#define MIN_LOCAL 8
#define MAX_LOCAL 1024
#define MAX_SIDE 64

struct clnn__tune_request {
    const clnn__tunable *target;
    const clnn_tune_options *opt;
    clnn_tune_result *result;
    int done;
    clnn_status status;
};

/* ------------------------------------------------------------------ modes */

clnn_tune_mode clnn__tune_mode(clnn_context *ctx)
{
    if (!ctx->tune_mode_set) {
        const char *env = getenv("CLNN_TUNE");
        ctx->tune_mode = CLNN_TUNE_CACHED;
        if (env && strcmp(env, "off") == 0) ctx->tune_mode = CLNN_TUNE_OFF;
        else if (env && strcmp(env, "on") == 0) ctx->tune_mode = CLNN_TUNE_ON;
        ctx->tune_mode_set = 1;
    }
    return ctx->tune_mode;
}

clnn_status clnn_tuner_set_mode(clnn_context *ctx, clnn_tune_mode mode)
{
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tuner_set_mode: ctx is NULL");
    if (mode != CLNN_TUNE_OFF && mode != CLNN_TUNE_CACHED && mode != CLNN_TUNE_ON)
        return clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tuner_set_mode: mode %d is not a clnn_tune_mode",
                          (int)mode);
    ctx->tune_mode = mode;
    ctx->tune_mode_set = 1;
    return CLNN_OK;
}

clnn_status clnn_tuner_get_mode(const clnn_context *ctx, clnn_tune_mode *mode)
{
    if (!ctx || !mode)
        return clnn__fail((clnn_context *)ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tuner_get_mode: %s is NULL",
                          !ctx ? "ctx" : "mode");
    *mode = clnn__tune_mode((clnn_context *)ctx);
    return CLNN_OK;
}

/* ---------------------------------------------------------- small helpers */


static double rng_unit(uint64_t *s) { return (double)(clnn__splitmix64(s) >> 11) * (1.0 / 9007199254740992.0); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int config_equal(const clnn__config *a, const clnn__config *b)
{
    return memcmp(a->local, b->local, sizeof a->local) == 0 && memcmp(a->param, b->param, sizeof a->param) == 0;
}

static void to_public(const clnn__config *c, clnn_tune_config *p)
{
    memset(p, 0, sizeof *p);
    for (int d = 0; d < 3; d++) p->local[d] = c->local[d];
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && i < CLNN_TUNE_MAX_PARAMS; i++) p->params[i] = c->param[i];
}

static void from_public(const clnn__tunable *t, const clnn_tune_config *p, clnn__config *c)
{
    memset(c, 0, sizeof *c);
    for (int d = 0; d < 3; d++) c->local[d] = d < (int)t->dims ? p->local[d] : 1;
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c->param[i] = p->params[i];
}

/* Whether cfg's parameters are among t's candidate values and cfg fits the
 * device and the kernel built with them (clnn__config_check, with the
 * launch's arguments when args is not NULL); *k gets that kernel, why (may
 * be NULL) the reason when it does not fit. */
static int config_fits(clnn_context *ctx, const char *fn, const clnn__tunable *t, const clnn__config *cfg,
                       size_t nargs, const clnn__karg *args, cl_kernel *k, char *why, size_t len)
{
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) {
        int ok = 0;
        for (int v = 0; v < t->params[i].n; v++) ok |= t->params[i].values[v] == cfg->param[i];
        if (!ok) {
            if (why) snprintf(why, len, "%s=%d is not one of its values", t->params[i].name, cfg->param[i]);
            return 0;
        }
    }
    char options[CLNN_OPTIONS_LEN];
    clnn__config_options(ctx, t, cfg, options, sizeof options);
    if (clnn__kernel_get(ctx, fn, t->program, options, t->kernel, k) != CLNN_OK) {
        if (why) snprintf(why, len, "it does not build: %s", clnn_last_error(ctx));
        return 0;
    }
    return clnn__config_check(ctx, fn, t, *k, cfg, NULL, nargs, args, why, len) == CLNN__FITS;
}

/* ---------------------------------------------------------- search space */

typedef struct space {
    clnn__config *c;
    size_t n, cap;
} space;

static int space_add(space *s, const clnn__config *c)
{
    for (size_t i = 0; i < s->n; i++)
        if (config_equal(&s->c[i], c)) return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        clnn__config *n = realloc(s->c, cap * sizeof *n);
        if (!n) return -1;
        s->c = n;
        s->cap = cap;
    }
    s->c[s->n++] = *c;
    return 0;
}

static size_t pow2_ceil(size_t x)
{
    size_t p = 1;
    while (p < x) p <<= 1;
    return p;
}

/* Local sizes worth trying along one dimension: not above the limit, and not
 * far above the work there is (a group of 1024 for 3 items only idles). */
static int local_ok(size_t l, size_t limit, size_t global)
{
    return l <= limit && (l <= MIN_LOCAL || l <= pow2_ceil(global));
}

/* The local sizes for one parameter combination (cfg->param set, kernel k)
 * that pass the limits check (with the launch's arguments when args is not
 * NULL: local memory sized per work-item counts). */
static int add_locals(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                      cl_kernel k, size_t nargs, const clnn__karg *args, clnn__config cfg, space *s)
{
    size_t kmax = clnn__kernel_max_local(ctx, k);
    clnn__launch l;
    clnn__launch_for(t, problem, &cfg, &l);
    size_t limit = kmax < MAX_LOCAL ? kmax : MAX_LOCAL;
    const char *cap = getenv("CLNN_TUNE_MAX_LOCAL"); /* simulates a device with a smaller limit */
    if (cap && strtoul(cap, NULL, 10) >= 1 && strtoul(cap, NULL, 10) < limit) limit = strtoul(cap, NULL, 10);
    size_t floor_ = limit < MIN_LOCAL ? 1 : MIN_LOCAL;
    if (t->dims == 1) {
        for (size_t lx = floor_; lx <= limit; lx *= 2) {
            if (!local_ok(lx, ctx->info.max_work_item_sizes[0], l.global[0])) continue;
            cfg.local[0] = lx;
            cfg.local[1] = cfg.local[2] = 1;
            if (clnn__config_check(ctx, fn, t, k, &cfg, problem, nargs, args, NULL, 0) == CLNN__FITS &&
                space_add(s, &cfg) != 0)
                return -1;
        }
        return 0;
    }
    size_t min_product = limit < 16 ? 1 : 16;
    for (size_t ly = 1; ly <= MAX_SIDE; ly *= 2)
        for (size_t lx = 1; lx <= MAX_SIDE; lx *= 2) {
            if (lx * ly < min_product || lx * ly > limit) continue;
            if (!local_ok(lx, ctx->info.max_work_item_sizes[0], l.global[0]) ||
                !local_ok(ly, ctx->info.max_work_item_sizes[1], l.global[1]))
                continue;
            cfg.local[0] = lx;
            cfg.local[1] = ly;
            cfg.local[2] = 1;
            if (clnn__config_check(ctx, fn, t, k, &cfg, problem, nargs, args, NULL, 0) == CLNN__FITS &&
                space_add(s, &cfg) != 0)
                return -1;
        }
    return 0;
}

/* Every configuration within the device's and the kernel's limits (the
 * check every launch passes, with the launch's arguments when args is not
 * NULL); the default, already fitted, first. Parameter combinations whose
 * kernel does not build are left out. */
static clnn_status build_space(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                               const clnn__config *def, size_t nargs, const clnn__karg *args, space *s)
{
    if (space_add(s, def) != 0) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    int nparams = 0, idx[CLNN_MAX_TUNE_PARAMS] = {0};
    while (nparams < CLNN_MAX_TUNE_PARAMS && t->params[nparams].name) nparams++;
    for (;;) {
        clnn__config cfg = {{1, 1, 1}, {0}};
        for (int i = 0; i < nparams; i++) cfg.param[i] = t->params[i].values[idx[i]];
        char options[CLNN_OPTIONS_LEN];
        clnn__config_options(ctx, t, &cfg, options, sizeof options);
        cl_kernel k;
        if (clnn__kernel_get(ctx, fn, t->program, options, t->kernel, &k) == CLNN_OK &&
            add_locals(ctx, fn, t, problem, k, nargs, args, cfg, s) != 0)
            return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
        int i = 0; /* next combination, odometer style */
        while (i < nparams && ++idx[i] >= t->params[i].n) idx[i++] = 0;
        if (i == nparams) break;
    }
    return CLNN_OK;
}

/* The order the strategy tries candidates in (index 0, the default, first):
 * random keeps a seeded sample of budget_count; the others keep all. */
static void plan_order(space *s, const clnn_tune_options *opt)
{
    if (opt->strategy != CLNN_TUNE_RANDOM || s->n <= 1) return;
    uint64_t rng = opt->seed;
    for (size_t i = s->n - 1; i > 1; i--) { /* Fisher-Yates over 1..n-1 */
        size_t j = 1 + (size_t)(clnn__splitmix64(&rng) % i);
        clnn__config tmp = s->c[i];
        s->c[i] = s->c[j];
        s->c[j] = tmp;
    }
    if (s->n > 1 + (size_t)opt->budget_count) s->n = 1 + opt->budget_count;
}

/* --------------------------------------------------------------- replay */

typedef struct replay {
    clnn_context *ctx;
    const char *fn;
    const clnn__tunable *t;
    size_t problem[2];
    size_t nargs;
    const clnn__karg *args;
    const clnn_tune_options *opt;
    size_t nbuf;
    cl_mem *buf, *snap;
    size_t *bytes;
    unsigned char **ref; /* the default's output in every buffer */
    unsigned char *scratch;
    double default_seconds;
    int no_restore;      /* the snapshot failed: launch on the buffers as they are */
} replay;

static void replay_free(replay *r)
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

/* Copies every distinct buffer argument aside, as the launch must see it. */
static clnn_status replay_init(replay *r)
{
    clnn_context *ctx = r->ctx;
    size_t n = r->nargs ? r->nargs : 1, biggest = 0;
    r->buf = calloc(n, sizeof *r->buf);
    r->snap = calloc(n, sizeof *r->snap);
    r->bytes = calloc(n, sizeof *r->bytes);
    r->ref = calloc(n, sizeof *r->ref);
    if (!r->buf || !r->snap || !r->bytes || !r->ref) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: tuner: out of host memory", r->fn);
    for (size_t a = 0; a < r->nargs; a++) {
        if (!r->args[a].is_buffer) continue;
        cl_mem m = *(const cl_mem *)r->args[a].ptr;
        int seen = 0;
        for (size_t i = 0; i < r->nbuf; i++) seen |= r->buf[i] == m;
        if (seen || !m) continue;
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

static clnn_status restore(replay *r)
{
    for (size_t i = 0; i < r->nbuf && !r->no_restore; i++) {
        cl_int err = clEnqueueCopyBuffer(r->ctx->queue, r->snap[i], r->buf[i], 0, 0, r->bytes[i], 0, NULL, NULL);
        if (err != CL_SUCCESS) return clnn__fail_cl(r->ctx, r->fn, "clEnqueueCopyBuffer (tuner restore)", err);
    }
    return CLNN_OK;
}

/* Restores the inputs and runs cfg once, exactly as it is (the space holds
 * only configurations that fit); *ev (if not NULL) gets its event. */
static clnn_status run_config(replay *r, const clnn__config *cfg, cl_event *ev)
{
    cl_kernel k;
    char options[CLNN_OPTIONS_LEN];
    clnn__config c = *cfg;
    clnn__config_options(r->ctx, r->t, cfg, options, sizeof options);
    TRY(restore(r));
    TRY(clnn__kernel_get(r->ctx, r->fn, r->t->program, options, r->t->kernel, &k));
    return clnn__launch_config(r->ctx, r->fn, r->t, r->problem, k, &c, r->nargs, r->args, NULL, ev);
}

static int planted(const replay *r, const clnn__config *cfg, int is_default)
{
    return !is_default && r->opt->test_wrong_local && cfg->local[0] == r->opt->test_wrong_local;
}

/* Runs cfg once and compares every buffer with the default's output (or
 * records it, for the default). 1: same output; 0: differs; <0: error. */
static int check_output(replay *r, const clnn__config *cfg, int is_default)
{
    clnn_context *ctx = r->ctx;
    if (run_config(r, cfg, NULL) != CLNN_OK) return -1;
    if (planted(r, cfg, is_default) && r->nbuf) { /* the test hook: a wrong kernel */
        uint32_t word = 0;
        clEnqueueReadBuffer(ctx->queue, r->buf[0], CL_TRUE, 0, sizeof word, &word, 0, NULL, NULL);
        word ^= 0x00400000u;
        clEnqueueWriteBuffer(ctx->queue, r->buf[0], CL_TRUE, 0, sizeof word, &word, 0, NULL, NULL);
    }
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

/* Median device time of cfg over opt->repeats runs after opt->warmup runs.
 * Zero or negative times (a coarse or broken clock) are discarded; times[]
 * (if not NULL) gets the kept ones sorted, *kept their number. <0: failed. */
static double time_config(replay *r, const clnn__config *cfg, double *times, size_t *kept)
{
    double local_times[MAX_REPEATS];
    double *t = times ? times : local_times;
    size_t n = 0;
    unsigned total = r->opt->warmup + r->opt->repeats;
    /* without a real device clock, the host's around each launch */
    const int device_clock = clnn__device_clock_real(r->ctx);
    for (unsigned i = 0; i < total; i++) {
        cl_event ev = NULL;
        double host0 = clnn__now_seconds();
        if (run_config(r, cfg, &ev) != CLNN_OK) return -1;
        if (!ev) return -1;
        cl_ulong t0 = 0, t1 = 0;
        cl_int err = clWaitForEvents(1, &ev);
        double host = clnn__now_seconds() - host0;
        if (err == CL_SUCCESS && device_clock)
            err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        if (err == CL_SUCCESS && device_clock)
            err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(ev);
        if (err != CL_SUCCESS) return -1;
        double seconds = device_clock ? (t1 > t0 ? 1e-9 * (double)(t1 - t0) : 0.0) : host;
        if (i >= r->opt->warmup && seconds > 0) t[n++] = seconds;
    }
    if (kept) *kept = n;
    if (n == 0) return -1;
    qsort(t, n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* ---------------------------------------------------------------- search */

typedef struct search {
    replay *r;
    space *s;
    double *seconds;       /* per candidate: NAN not yet run, -1 rejected or failed */
    clnn_tune_result *res;
    size_t done, total;
    double start;
} search;

static void note_rejected(search *se, const clnn__config *cfg)
{
    char text[96];
    clnn__config_text(se->r->t, cfg, text, sizeof text);
    size_t len = strlen(se->res->rejected_text);
    snprintf(se->res->rejected_text + len, sizeof se->res->rejected_text - len, "%s%s", len ? "; " : "", text);
}

/* Checks and times candidate i once (cached); returns its time or -1. */
static double evaluate(search *se, size_t i)
{
    if (!isnan(se->seconds[i])) return se->seconds[i];
    replay *r = se->r;
    const clnn__config *cfg = &se->s->c[i];
    cl_kernel k;
    double t = -1;
    int same = config_fits(r->ctx, r->fn, r->t, cfg, r->nargs, r->args, &k, NULL, 0) ? check_output(r, cfg, 0) : -1;
    if (same == 0) {
        se->res->rejected++;
        note_rejected(se, cfg);
    } else if (same < 0) {
        se->res->failed++;
    } else {
        t = time_config(r, cfg, NULL, NULL);
        if (t > 0 && planted(r, cfg, 0)) t = r->default_seconds / 10; /* would win if it got through */
        if (t > 0) se->res->timed++;
        else se->res->failed++;
    }
    se->seconds[i] = t > 0 ? t : -1;
    se->done++;
    if (r->opt->progress) r->opt->progress(r->opt->progress_user, se->done, se->total);
    return se->seconds[i];
}

static int over_time(const search *se)
{
    return se->r->opt->budget_seconds > 0 && clnn__now_seconds() - se->start > se->r->opt->budget_seconds;
}

/* Coordinates of a candidate: log2 of each local side, index of each parameter value. */
static void coords(const clnn__tunable *t, const clnn__config *c, int out[2 + CLNN_MAX_TUNE_PARAMS])
{
    for (int d = 0; d < 2; d++) {
        int lg = 0;
        while (((size_t)1 << lg) < c->local[d]) lg++;
        out[d] = lg;
    }
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS; i++) {
        out[2 + i] = 0;
        for (int v = 0; t->params[i].name && i < CLNN_MAX_TUNE_PARAMS && v < t->params[i].n; v++)
            if (t->params[i].values[v] == c->param[i]) out[2 + i] = v;
    }
}

/* Neighbours differ by one step in one coordinate. */
static int neighbours(const clnn__tunable *t, const space *s, size_t cur, size_t *out)
{
    int a[2 + CLNN_MAX_TUNE_PARAMS], b[2 + CLNN_MAX_TUNE_PARAMS], n = 0;
    coords(t, &s->c[cur], a);
    for (size_t j = 0; j < s->n; j++) {
        coords(t, &s->c[j], b);
        int diff = 0, step = 1;
        for (int d = 0; d < 2 + CLNN_MAX_TUNE_PARAMS; d++)
            if (a[d] != b[d]) {
                diff++;
                step &= abs(a[d] - b[d]) == 1;
            }
        if (diff == 1 && step) out[n++] = j;
    }
    return n;
}

/* Simulated annealing from the default: propose a random neighbour, accept
 * it when faster or with probability exp(-(slowdown)/T), T cooling by 0.85
 * a step; budget_count distinct candidates at most. */
static void anneal(search *se, const clnn_tune_options *opt)
{
    uint64_t rng = opt->seed;
    size_t *nb = malloc(se->s->n * sizeof *nb), cur = 0, evaluated = 0;
    if (!nb) return;
    double t_cur = se->seconds[0], temperature = 0.2;
    for (unsigned step = 0; step < 8 * opt->budget_count && evaluated < opt->budget_count && !over_time(se);
         step++) {
        int n = neighbours(se->r->t, se->s, cur, nb);
        if (n == 0) break;
        size_t j = nb[clnn__splitmix64(&rng) % (uint64_t)n];
        double accept_draw = rng_unit(&rng); /* drawn every step: same seed, same proposals */
        int fresh = isnan(se->seconds[j]);
        double t = evaluate(se, j);
        evaluated += fresh;
        if (t > 0 && (t < t_cur || accept_draw < exp(-(t / t_cur - 1.0) / temperature))) {
            cur = j;
            t_cur = t;
        }
        temperature *= 0.85;
    }
    free(nb);
}

/* Times cfg against the default in alternating rounds (a clock change or a
 * busy neighbour hits both alike); medians of the round medians. */
static void retime(replay *r, const clnn__config *def, const clnn__config *best, double *t_def, double *t_best)
{
    double a[RETIME_ROUNDS], b[RETIME_ROUNDS];
    size_t na = 0, nb = 0;
    for (int i = 0; i < RETIME_ROUNDS; i++) {
        double x = time_config(r, def, NULL, NULL), y = time_config(r, best, NULL, NULL);
        if (x > 0) a[na++] = x;
        if (y > 0) b[nb++] = y;
    }
    qsort(a, na, sizeof *a, cmp_double);
    qsort(b, nb, sizeof *b, cmp_double);
    if (na) *t_def = a[na / 2];
    if (nb) *t_best = b[nb / 2];
}

/* Searches, validates and times; res gets the outcome. The buffers are left
 * as they were before (the caller makes the real launch). */
static clnn_status search_launch(replay *r, const clnn__config *def, clnn_tune_result *res, clnn__config *chosen)
{
    clnn_context *ctx = r->ctx;
    const clnn_tune_options *opt = r->opt;
    space s = {0};
    clnn_status st = build_space(ctx, r->fn, r->t, r->problem, def, r->nargs, r->args, &s);
    if (st != CLNN_OK) return free(s.c), st;
    res->space = s.n;
    plan_order(&s, opt);
    search se = {r, &s, malloc(s.n * sizeof(double)), res, 0, 0, clnn__now_seconds()};
    if (!se.seconds) return free(s.c), clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: tuner: out of host memory", r->fn);
    for (size_t i = 0; i < s.n; i++) se.seconds[i] = NAN;
    se.total = (opt->strategy == CLNN_TUNE_ANNEALING && s.n > 1 + opt->budget_count ? 1 + opt->budget_count : s.n) +
               opt->ncompare;

    /* the default: its output is the reference, its spread the noise */
    double times[MAX_REPEATS];
    size_t kept = 0;
    if (check_output(r, def, 1) < 0 || (r->default_seconds = time_config(r, def, times, &kept)) <= 0) {
        free(s.c);
        free(se.seconds);
        return clnn__fail(ctx, CLNN_ERR_OPENCL, "%s: tuner: the default configuration of %s failed to run or time: %s",
                          r->fn, r->t->id, clnn_last_error(ctx));
    }
    se.seconds[0] = r->default_seconds;
    res->timed = 1;
    se.done = 1;
    double spread = kept >= 4 ? (times[(3 * kept) / 4] - times[kept / 4]) / r->default_seconds : MIN_NOISE;
    res->noise = spread > MIN_NOISE ? spread : MIN_NOISE;

    if (opt->strategy == CLNN_TUNE_ANNEALING) anneal(&se, opt);
    else
        for (size_t i = 1; i < s.n && !over_time(&se); i++) evaluate(&se, i);

    size_t best = 0;
    for (size_t i = 1; i < s.n; i++)
        if (se.seconds[i] > 0 && se.seconds[i] < se.seconds[best]) best = i;
    double t_def = r->default_seconds, t_best = se.seconds[best];
    if (best != 0) retime(r, def, &s.c[best], &t_def, &t_best);
    res->default_seconds = t_def;
    res->best_seconds = t_best;
    res->improved = best != 0 && t_best < t_def * (1.0 - res->noise);
    *chosen = res->improved ? s.c[best] : *def;
    to_public(def, &res->default_config);
    to_public(chosen, &res->best_config);
    if (!res->improved) res->best_seconds = t_def;

    for (size_t i = 0; i < opt->ncompare && i < CLNN_TUNE_MAX_COMPARE; i++) {
        clnn__config c;
        cl_kernel k;
        from_public(r->t, &opt->compare[i], &c);
        int same = config_fits(ctx, r->fn, r->t, &c, r->nargs, r->args, &k, NULL, 0) ? check_output(r, &c, 0) : -1;
        res->compare_seconds[i] = same == 1 ? time_config(r, &c, NULL, NULL) : -1;
        if (++se.done && opt->progress) opt->progress(opt->progress_user, se.done, se.total);
    }
    free(s.c);
    free(se.seconds);
    return CLNN_OK;
}

/* Tunes one real launch and then makes it with the chosen configuration. */
static clnn_status tune_launch(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                               size_t nargs, const clnn__karg *args, const clnn_tune_options *opt,
                               clnn_tune_result *res)
{
    memset(res, 0, sizeof *res);
    snprintf(res->kernel, sizeof res->kernel, "%s", t->id);
    res->problem[0] = problem[0];
    res->problem[1] = problem[1];
    clnn__tune_bucket(problem, res->bucket);
    cl_kernel k;
    clnn__config def, chosen;
    TRY(clnn__config_default(ctx, fn, t, problem, &k, &def));
    /* the default is candidate 0: checked like any launch, with its arguments */
    TRY(clnn__config_fit(ctx, fn, t, problem, nargs, args, &k, &def, "heuristic", NULL));
    chosen = def;
    replay r = {ctx, fn, t, {problem[0], problem[1]}, nargs, args, opt, 0, NULL, NULL, NULL, NULL, NULL, 0, 0};
    ctx->tune_busy = 1;
    clnn_status st = replay_init(&r);
    int snapshots_ok = st == CLNN_OK;
    if (st == CLNN_OK) st = search_launch(&r, &def, res, &chosen);
    if (st == CLNN_OK && opt->store)
        st = clnn__tune_db_put(&ctx->info, t, problem, res->improved ? &chosen : NULL, res->best_seconds,
                               res->default_seconds, 1);
    res->stored = st == CLNN_OK && opt->store;
    /* the real launch: from the inputs it was given, with the chosen configuration */
    r.no_restore = !snapshots_ok; /* then no candidate ran: the buffers are untouched */
    clnn_status run = run_config(&r, &chosen, NULL);
    clFinish(ctx->queue); /* the snapshots are released next */
    replay_free(&r);
    ctx->tune_busy = 0;
    return st != CLNN_OK ? st : run;
}

/* First-use tuning (mode on) is bounded: a random sample of 16 candidates,
 * 3 repeats, so an unseen key costs a few dozen launches once. */
static void first_use_options(clnn_tune_options *o)
{
    clnn_tune_options_init(o);
    o->strategy = CLNN_TUNE_RANDOM;
    o->budget_count = 16;
    o->repeats = 3;
}

clnn_status clnn__tune_intercept(clnn_context *ctx, const char *fn, const clnn__tunable *t, const size_t problem[2],
                                 size_t nargs, const clnn__karg *args, int *handled)
{
    *handled = 0;
    if (ctx->tune_busy) return CLNN_OK;
    struct clnn__tune_request *req = ctx->tune_request;
    if (req && req->target == t && !req->done) {
        req->done = 1;
        *handled = 1;
        req->status = tune_launch(ctx, fn, t, problem, nargs, args, req->opt, req->result);
        return req->status;
    }
    if (clnn__tune_mode(ctx) != CLNN_TUNE_ON || ctx->forced_tunable == t) return CLNN_OK;
    clnn__config probe = {{1, 1, 1}, {0}};
    clnn_tune_match match;
    if (clnn__tune_db_find(&ctx->info, t, problem, &probe, &match) && match == CLNN_TUNE_MATCH_EXACT)
        return CLNN_OK;
    clnn_tune_options o;
    clnn_tune_result res;
    first_use_options(&o);
    *handled = 1;
    clnn_status st = tune_launch(ctx, fn, t, problem, nargs, args, &o, &res);
    if (!res.stored) clnn__tune_db_put(&ctx->info, t, problem, NULL, 0, 0, 0); /* do not try again */
    if (st == CLNN_OK && res.stored) clnn_tune_db_save(); /* a failed save leaves the entry in memory */
    return st;
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
    CHECK_ARG(ctx, o->repeats >= 1 && o->repeats <= MAX_REPEATS, "%s: opt->repeats %u is not in 1..%d", fn,
              o->repeats, MAX_REPEATS);
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
    static const char *fn = "clnn_tune_kernel";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    TRY(check_problem(ctx, fn, problem));
    CHECK_ARG(ctx, result, "%s: result is NULL", fn);
    clnn_tune_options defaults;
    clnn_tune_options_init(&defaults);
    TRY(clnn__options_copy(ctx, fn, "opt", &defaults, sizeof defaults, opt));
    opt = &defaults;
    TRY(check_options(ctx, fn, opt));
    CHECK_ARG(ctx, !ctx->tune_request && !ctx->tune_busy, "%s: the tuner is already running on this context", fn);
    CHECK_ARG(ctx, clnn__tune_exercisable(t),
              "%s: kernel '%s' has no synthetic exercise; it is tuned on first use (CLNN_TUNE=on)", fn, kernel_id);
    CHECK_ARG(ctx, ctx->profiling_queue, "%s: the context's queue has no CL_QUEUE_PROFILING_ENABLE", fn);
    clnn_tune_result res;
    memset(&res, 0, sizeof res);
    struct clnn__tune_request req = {t, opt, &res, 0, CLNN_OK};
    ctx->tune_request = &req;
    clnn_status st = clnn__tune_exercise(ctx, t, problem);
    ctx->tune_request = NULL;
    if (st == CLNN_OK && !req.done)
        st = clnn__fail(ctx, CLNN_ERR_INTERNAL, "%s: the exercise of '%s' did not launch it", fn, kernel_id);
    if (st != CLNN_OK) return st;
    *result = res;
    return CLNN_OK;
}

clnn_status clnn_tune_candidates(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                                 const clnn_tune_options *opt, clnn_tune_config *out, size_t cap, size_t *count)
{
    static const char *fn = "clnn_tune_candidates";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
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
    TRY(clnn__config_default(ctx, fn, t, problem, &k, &def));
    TRY(clnn__config_fit(ctx, fn, t, problem, 0, NULL, &k, &def, NULL, NULL));
    space s = {0};
    clnn_status st = build_space(ctx, fn, t, problem, &def, 0, NULL, &s);
    if (st == CLNN_OK) {
        plan_order(&s, opt);
        for (size_t i = 0; i < s.n && i < cap; i++) to_public(&s.c[i], &out[i]);
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
    static const char *fn = "clnn_tune_kernel_info_get";
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
    static const char *fn = "clnn_tune_config_string";
    if (!kernel_id || !cfg || !buf || !len)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s", fn,
                          !kernel_id ? "kernel_id is NULL" : !cfg ? "cfg is NULL" : !buf ? "buf is NULL" : "len is 0");
    const clnn__tunable *t = clnn__tunable_find(kernel_id);
    if (!t) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: no tunable kernel '%s'", fn, kernel_id);
    clnn__config c;
    from_public(t, cfg, &c);
    clnn__config_text(t, &c, buf, len);
    return CLNN_OK;
}

clnn_status clnn_tune_force(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg)
{
    static const char *fn = "clnn_tune_force";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    if (!kernel_id && !cfg) {
        ctx->forced_tunable = NULL;
        return CLNN_OK;
    }
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    CHECK_ARG(ctx, cfg, "%s: cfg is NULL", fn);
    clnn__config c;
    cl_kernel k;
    from_public(t, cfg, &c);
    char text[128], why[256];
    clnn__config_text(t, &c, text, sizeof text);
    CHECK_ARG(ctx, config_fits(ctx, fn, t, &c, 0, NULL, &k, why, sizeof why),
              "%s: %s does not fit kernel %s on this device: %s", fn, text, kernel_id, why);
    ctx->forced_tunable = t;
    ctx->forced_config = c;
    return CLNN_OK;
}

clnn_status clnn_tune_limits_get(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg,
                                 clnn_tune_limits *limits)
{
    static const char *fn = "clnn_tune_limits_get";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
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
    char options[CLNN_OPTIONS_LEN];
    cl_kernel k;
    clnn__config_options(ctx, t, &c, options, sizeof options);
    TRY(clnn__kernel_get(ctx, fn, t->program, options, t->kernel, &k));
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
    static const char *fn = "clnn_tune_fallbacks_get";
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
    static const char *fn = "clnn_tune_resolve";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    const clnn__tunable *t;
    TRY(find_kernel(ctx, fn, kernel_id, &t));
    TRY(check_problem(ctx, fn, problem));
    CHECK_ARG(ctx, cfg, "%s: cfg is NULL", fn);
    cl_kernel k;
    clnn__config c;
    clnn_tune_match m;
    int changed = 0;
    TRY(clnn__tuned_kernel(ctx, fn, t, problem, &k, &c, &m, 0));
    /* the check a launch makes (its __local arguments aside) */
    TRY(clnn__config_fit(ctx, fn, t, problem, 0, NULL, &k, &c, NULL, &changed));
    if (changed) m = CLNN_TUNE_MATCH_FALLBACK;
    to_public(&c, cfg);
    if (match) *match = m;
    return CLNN_OK;
}

clnn_status clnn_tune_bench_lookup(clnn_context *ctx, const char *kernel_id, size_t iterations, double *ns)
{
    static const char *fn = "clnn_tune_bench_lookup";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
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
