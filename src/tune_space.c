/* Search spaces: every configuration of a kernel that fits the device and
 * the kernel's limits (the check every launch passes), parameter
 * combinations times local sizes, and the order a strategy tries them in. */
#include "tune_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* local sizes searched: powers of two from MIN_LOCAL (or less where the limit
 * is lower) to MAX_LOCAL; 2-D: each side up to MAX_SIDE */
#define MIN_LOCAL 8
#define MAX_LOCAL 1024
#define MAX_SIDE 64

void clnn__config_to_public(const clnn__config *c, clnn_tune_config *p)
{
    memset(p, 0, sizeof *p);
    for (int d = 0; d < 3; d++) p->local[d] = c->local[d];
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && i < CLNN_TUNE_MAX_PARAMS; i++) p->params[i] = c->param[i];
}

void clnn__config_from_public(const clnn__tunable *t, const clnn_tune_config *p, clnn__config *c)
{
    memset(c, 0, sizeof *c);
    for (int d = 0; d < 3; d++) c->local[d] = d < (int)t->dims ? p->local[d] : 1;
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c->param[i] = p->params[i];
}

int clnn__tune_config_fits(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, const clnn__config *cfg,
                           cl_kernel *k, char *why, size_t len)
{
    const clnn__tunable *t = d->t;
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) {
        int ok = 0;
        for (int v = 0; v < t->params[i].n; v++) ok |= t->params[i].values[v] == cfg->param[i];
        if (!ok) {
            if (why) snprintf(why, len, "%s=%d is not one of its values", t->params[i].name, cfg->param[i]);
            return 0;
        }
    }
    if (clnn__config_kernel(ctx, fn, t, d->variant, cfg, k) != CLNN_OK) {
        if (why) snprintf(why, len, "it does not build: %s", clnn_last_error(ctx));
        return 0;
    }
    return clnn__config_check(ctx, fn, t, *k, cfg, NULL, d->nargs, d->args, why, len) == CLNN__FITS;
}

static int config_equal(const clnn__config *a, const clnn__config *b)
{
    return memcmp(a->local, b->local, sizeof a->local) == 0 && memcmp(a->param, b->param, sizeof a->param) == 0;
}

static int space_add(clnn__tune_space *s, const clnn__config *c)
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

/* Adds cfg when it passes the launch's limits check. */
static int add_if_fits(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel k,
                       const clnn__config *cfg, clnn__tune_space *s)
{
    if (clnn__config_check(ctx, fn, d->t, k, cfg, d->problem, d->nargs, d->args, NULL, 0) != CLNN__FITS) return 0;
    return space_add(s, cfg);
}

/* The local sizes for one parameter combination (cfg->param set, kernel k)
 * that pass the limits check (with the launch's arguments when d->args is
 * not NULL: local memory sized per work-item counts). */
static int add_locals(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel k, clnn__config cfg,
                      clnn__tune_space *s)
{
    size_t kmax = clnn__kernel_max_local(ctx, k);
    clnn__launch l;
    clnn__launch_for(d->t, d->problem, &cfg, &l);
    size_t limit = kmax < MAX_LOCAL ? kmax : MAX_LOCAL;
    const char *cap = getenv("CLNN_TUNE_MAX_LOCAL"); /* simulates a device with a smaller limit */
    if (cap && strtoul(cap, NULL, 10) >= 1 && strtoul(cap, NULL, 10) < limit) limit = strtoul(cap, NULL, 10);
    size_t floor_ = limit < MIN_LOCAL ? 1 : MIN_LOCAL;
    if (d->t->dims == 1) {
        for (size_t lx = floor_; lx <= limit; lx *= 2) {
            if (!local_ok(lx, ctx->info.max_work_item_sizes[0], l.global[0])) continue;
            cfg.local[0] = lx;
            cfg.local[1] = cfg.local[2] = 1;
            if (add_if_fits(ctx, fn, d, k, &cfg, s) != 0) return -1;
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
            if (add_if_fits(ctx, fn, d, k, &cfg, s) != 0) return -1;
        }
    return 0;
}

clnn_status clnn__tune_space_build(clnn_context *ctx, const char *fn, const clnn__launch_desc *d,
                                   const clnn__config *def, clnn__tune_space *s)
{
    const clnn__tunable *t = d->t;
    if (space_add(s, def) != 0) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    int nparams = 0, idx[CLNN_MAX_TUNE_PARAMS] = {0};
    while (nparams < CLNN_MAX_TUNE_PARAMS && t->params[nparams].name) nparams++;
    for (;;) {
        clnn__config cfg = {{1, 1, 1}, {0}};
        for (int i = 0; i < nparams; i++) cfg.param[i] = t->params[i].values[idx[i]];
        cl_kernel k;
        if (clnn__config_kernel(ctx, fn, t, d->variant, &cfg, &k) == CLNN_OK && add_locals(ctx, fn, d, k, cfg, s) != 0)
            return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
        int i = 0; /* next combination, odometer style */
        while (i < nparams && ++idx[i] >= t->params[i].n) idx[i++] = 0;
        if (i == nparams) break;
    }
    return CLNN_OK;
}

void clnn__tune_space_order(clnn__tune_space *s, const clnn_tune_options *opt)
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
