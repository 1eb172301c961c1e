/* A tuning run: the strategies (exhaustive, seeded random sampling,
 * simulated annealing) over a launch's search space, each candidate
 * validated and timed by replay (tune_replay.c), the winner re-timed against
 * the default and kept only when it beats it by more than the noise, the
 * outcome stored, and the chosen configuration handed back for the real
 * launch. */
#include "tune_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETIME_ROUNDS 3
#define MIN_NOISE 0.02

typedef struct search {
    clnn__replay *r;
    clnn__tune_space *s;
    double *seconds;       /* per candidate: NAN not yet run, -1 rejected or failed */
    clnn_tune_result *res;
    size_t done, total;
    double start;
} search;

static double rng_unit(uint64_t *s) { return (double)(clnn__splitmix64(s) >> 11) * (1.0 / 9007199254740992.0); }

static void note_rejected(search *se, const clnn__config *cfg)
{
    char text[96];
    clnn__config_text(se->r->d->t, cfg, text, sizeof text);
    size_t len = strlen(se->res->rejected_text);
    snprintf(se->res->rejected_text + len, sizeof se->res->rejected_text - len, "%s%s", len ? "; " : "", text);
}

static void progressed(search *se)
{
    const clnn_tune_options *opt = se->r->opt;
    if (opt->progress) opt->progress(opt->progress_user, se->done, se->total);
}

/* Checks and times candidate i once (cached); returns its time or -1. */
static double evaluate(search *se, size_t i)
{
    if (!isnan(se->seconds[i])) return se->seconds[i];
    clnn__replay *r = se->r;
    const clnn__config *cfg = &se->s->c[i];
    cl_kernel k;
    double t = -1;
    int same = clnn__tune_config_fits(r->ctx, r->fn, r->d, cfg, &k, NULL, 0) ? clnn__replay_check(r, cfg, 0) : -1;
    if (same == 0) {
        se->res->rejected++;
        note_rejected(se, cfg);
    } else if (same < 0) {
        se->res->failed++;
    } else {
        t = clnn__replay_time(r, cfg, NULL, NULL);
        if (t > 0 && clnn__replay_planted(r, cfg, 0)) t = r->default_seconds / 10; /* would win if it got through */
        if (t > 0) se->res->timed++;
        else se->res->failed++;
    }
    se->seconds[i] = t > 0 ? t : -1;
    se->done++;
    progressed(se);
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
static int neighbours(const clnn__tunable *t, const clnn__tune_space *s, size_t cur, size_t *out)
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
        int n = neighbours(se->r->d->t, se->s, cur, nb);
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
static void retime(clnn__replay *r, const clnn__config *def, const clnn__config *best, double *t_def, double *t_best)
{
    double a[RETIME_ROUNDS], b[RETIME_ROUNDS];
    size_t na = 0, nb = 0;
    for (int i = 0; i < RETIME_ROUNDS; i++) {
        double x = clnn__replay_time(r, def, NULL, NULL), y = clnn__replay_time(r, best, NULL, NULL);
        if (x > 0) a[na++] = x;
        if (y > 0) b[nb++] = y;
    }
    qsort(a, na, sizeof *a, clnn__tune_cmp_double);
    qsort(b, nb, sizeof *b, clnn__tune_cmp_double);
    if (na) *t_def = a[na / 2];
    if (nb) *t_best = b[nb / 2];
}

/* The default first: its output is the reference, its spread the noise. */
static clnn_status time_default(search *se, const clnn__config *def)
{
    clnn__replay *r = se->r;
    double times[CLNN_TUNE_MAX_REPEATS];
    size_t kept = 0;
    if (clnn__replay_check(r, def, 1) < 0 || (r->default_seconds = clnn__replay_time(r, def, times, &kept)) <= 0)
        return clnn__fail(r->ctx, CLNN_ERR_OPENCL,
                          "%s: tuner: the default configuration of %s failed to run or time: %s", r->fn,
                          r->d->t->id, clnn_last_error(r->ctx));
    se->seconds[0] = r->default_seconds;
    se->res->timed = 1;
    se->done = 1;
    double spread = kept >= 4 ? (times[(3 * kept) / 4] - times[kept / 4]) / r->default_seconds : MIN_NOISE;
    se->res->noise = spread > MIN_NOISE ? spread : MIN_NOISE;
    return CLNN_OK;
}

/* The fastest valid candidate, re-timed against the default; it is chosen
 * only when it beats the default by more than the noise. */
static void choose_winner(search *se, const clnn__config *def, clnn__config *chosen)
{
    clnn__replay *r = se->r;
    clnn_tune_result *res = se->res;
    size_t best = 0;
    for (size_t i = 1; i < se->s->n; i++)
        if (se->seconds[i] > 0 && se->seconds[i] < se->seconds[best]) best = i;
    double t_def = r->default_seconds, t_best = se->seconds[best];
    if (best != 0) retime(r, def, &se->s->c[best], &t_def, &t_best);
    res->default_seconds = t_def;
    res->best_seconds = t_best;
    res->improved = best != 0 && t_best < t_def * (1.0 - res->noise);
    *chosen = res->improved ? se->s->c[best] : *def;
    clnn__config_to_public(def, &res->default_config);
    clnn__config_to_public(chosen, &res->best_config);
    if (!res->improved) res->best_seconds = t_def;
}

/* The fixed configurations the caller asked to compare (opt->compare). */
static void time_compared(search *se)
{
    clnn__replay *r = se->r;
    const clnn_tune_options *opt = r->opt;
    for (size_t i = 0; i < opt->ncompare && i < CLNN_TUNE_MAX_COMPARE; i++) {
        clnn__config c;
        cl_kernel k;
        clnn__config_from_public(r->d->t, &opt->compare[i], &c);
        int same = clnn__tune_config_fits(r->ctx, r->fn, r->d, &c, &k, NULL, 0) ? clnn__replay_check(r, &c, 0) : -1;
        se->res->compare_seconds[i] = same == 1 ? clnn__replay_time(r, &c, NULL, NULL) : -1;
        se->done++;
        progressed(se);
    }
}

/* Searches, validates and times; res gets the outcome. The buffers are left
 * as they were before (the caller makes the real launch). */
static clnn_status search_launch(clnn__replay *r, const clnn__config *def, clnn_tune_result *res,
                                 clnn__config *chosen)
{
    const clnn_tune_options *opt = r->opt;
    clnn__tune_space s = {0};
    clnn_status st = clnn__tune_space_build(r->ctx, r->fn, r->d, def, &s);
    if (st != CLNN_OK) return free(s.c), st;
    res->space = s.n;
    clnn__tune_space_order(&s, opt);
    search se = {r, &s, malloc(s.n * sizeof(double)), res, 0, 0, clnn__now_seconds()};
    if (!se.seconds)
        return free(s.c), clnn__fail(r->ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: tuner: out of host memory", r->fn);
    for (size_t i = 0; i < s.n; i++) se.seconds[i] = NAN;
    se.total = (opt->strategy == CLNN_TUNE_ANNEALING && s.n > 1 + opt->budget_count ? 1 + opt->budget_count : s.n) +
               opt->ncompare;
    st = time_default(&se, def);
    if (st == CLNN_OK) {
        if (opt->strategy == CLNN_TUNE_ANNEALING) anneal(&se, opt);
        else
            for (size_t i = 1; i < s.n && !over_time(&se); i++) evaluate(&se, i);
        choose_winner(&se, def, chosen);
        time_compared(&se);
    }
    free(s.c);
    free(se.seconds);
    return st;
}

clnn_status clnn__tune_launch(clnn_context *ctx, const char *fn, const clnn__launch_desc *d,
                              const clnn_tune_options *opt, clnn_tune_result *res, clnn__choice *out)
{
    memset(res, 0, sizeof *res);
    snprintf(res->kernel, sizeof res->kernel, "%s", d->t->id);
    res->problem[0] = d->problem[0];
    res->problem[1] = d->problem[1];
    clnn__tune_bucket(d->problem, res->bucket);
    cl_kernel k;
    clnn__config def, chosen;
    TRY(clnn__config_default(ctx, fn, d, &k, &def));
    /* the default is candidate 0: checked like any launch, with its arguments */
    TRY(clnn__config_fit(ctx, fn, d, &k, &def, "heuristic", NULL));
    chosen = def;
    clnn__tuner *tuner = clnn__tuner_of(ctx);
    clnn__replay r = {ctx, fn, d, opt, 0, NULL, NULL, NULL, NULL, NULL, 0, 0};
    tuner->busy = 1;
    clnn_status st = clnn__replay_init(&r);
    int snapshots_ok = st == CLNN_OK;
    if (st == CLNN_OK) st = search_launch(&r, &def, res, &chosen);
    if (st == CLNN_OK && opt->store)
        st = clnn__tune_db_put(&ctx->info, d->t, d->problem, res->improved ? &chosen : NULL, res->best_seconds,
                               res->default_seconds, 1);
    res->stored = st == CLNN_OK && opt->store;
    /* the real launch (dispatch makes it): from the inputs it was given, with
     * the chosen configuration as it is */
    r.no_restore = !snapshots_ok; /* then no candidate ran: the buffers are untouched */
    clnn_status ready = clnn__replay_restore(&r);
    if (ready == CLNN_OK) ready = clnn__config_kernel(ctx, fn, d->t, d->variant, &chosen, &out->kernel);
    clFinish(ctx->queue); /* the snapshots are released next */
    clnn__replay_free(&r);
    tuner->busy = 0;
    if (ready != CLNN_OK) return st != CLNN_OK ? st : ready;
    out->found = 1;
    out->exact = 1;
    out->cfg = chosen;
    out->match = res->improved ? CLNN_TUNE_MATCH_EXACT : CLNN_TUNE_MATCH_HEURISTIC;
    out->deferred = st;
    return CLNN_OK;
}
