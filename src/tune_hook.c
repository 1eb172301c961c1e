/* The tuner's hook on a context (clnn__tuner_hook in internal.h): dispatch
 * asks it for the configuration of every launch that carries none. In
 * order: a tuning run when the tuner wants this launch (clnn_tune_kernel's
 * request for its kernel, or mode on and no entry for this exact device),
 * the configuration clnn_tune_force set for its kernel, the first database
 * entry down the lookup chain that fits, else the heuristic (dispatch's). */
#include "tune_internal.h"

#include <stdlib.h>
#include <string.h>

static clnn_tune_mode mode_from_environment(void)
{
    const char *env = getenv("CLNN_TUNE");
    if (env && strcmp(env, "off") == 0) return CLNN_TUNE_OFF;
    if (env && strcmp(env, "on") == 0) return CLNN_TUNE_ON;
    return CLNN_TUNE_CACHED;
}

clnn__tuner *clnn__tuner_of(const clnn_context *ctx) { return (clnn__tuner *)ctx->tuner.data; }

clnn_tune_mode clnn__tune_mode(const clnn_context *ctx) { return clnn__tuner_of(ctx)->mode; }

/* ------------------------------------------------------ the lookup chain */

/* The first database entry down the lookup chain whose configuration fits
 * the device and the kernel built with its parameters (1), or one that keeps
 * the heuristic (2; *match its level), else 0. Entries passed over are noted
 * when note is set. */
static int config_from_db(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel *k,
                          clnn__config *cfg, clnn_tune_match *match, int note)
{
    const clnn__tunable *t = d->t;
    for (clnn_tune_match from = CLNN_TUNE_MATCH_EXACT; from <= CLNN_TUNE_MATCH_TYPE;) {
        clnn__config c = {{1, 1, 1}, {0}};
        for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c.param[i] = t->params[i].fallback;
        clnn_tune_match m;
        int r = clnn__tune_db_find_from(&ctx->info, t, d->problem, from, &c, &m);
        if (r == 0) return 0; /* no entry further down */
        if (r == 2) {         /* the heuristic won there */
            *match = m;
            return 2;
        }
        char why[256] = "unknown parameter or value", text[128];
        if (r == 1 && clnn__config_kernel(ctx, fn, t, d->variant, &c, k) == CLNN_OK &&
            clnn__config_check(ctx, fn, t, *k, &c, d->problem, 0, NULL, why, sizeof why) == CLNN__FITS) {
            *cfg = c;
            *match = m;
            return 1;
        }
        clnn__config_text(t, &c, text, sizeof text);
        if (note) clnn__note_fallback(ctx, 1, "%s: %s %s skipped: %s", t->id, clnn__match_name(m), text, why);
        from = (clnn_tune_match)(m + 1);
    }
    return 0;
}

clnn_status clnn__tune_choose(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, int note,
                              clnn__choice *out)
{
    const clnn__tuner *tuner = clnn__tuner_of(ctx);
    memset(out, 0, sizeof *out);
    out->match = CLNN_TUNE_MATCH_HEURISTIC;
    if (tuner->forced == d->t) {
        out->found = 1;
        out->cfg = tuner->forced_config;
        out->match = CLNN_TUNE_MATCH_FORCED;
        return clnn__config_kernel(ctx, fn, d->t, d->variant, &out->cfg, &out->kernel);
    }
    if (tuner->mode != CLNN_TUNE_OFF)
        out->found = config_from_db(ctx, fn, d, &out->kernel, &out->cfg, &out->match, note) == 1;
    return CLNN_OK;
}

/* ------------------------------------------------------------ tuning runs */

/* First-use tuning (mode on) is bounded: a random sample of 16 candidates,
 * 3 repeats, so an unseen key costs a few dozen launches once. */
static void first_use_options(clnn_tune_options *o)
{
    clnn_tune_options_init(o);
    o->strategy = CLNN_TUNE_RANDOM;
    o->budget_count = 16;
    o->repeats = 3;
}

/* Mode on and no entry for this exact device: tunes the launch, remembers
 * the outcome (for this process when nothing was stored, so the key is not
 * tried again) and saves the database. */
static clnn_status tune_first_use(clnn_context *ctx, const char *fn, const clnn__launch_desc *d,
                                  clnn__choice *out)
{
    clnn_tune_options o;
    clnn_tune_result res;
    first_use_options(&o);
    clnn_status st = clnn__tune_launch(ctx, fn, d, &o, &res, out);
    if (!res.stored) clnn__tune_db_put(&ctx->info, d->t, d->problem, NULL, 0, 0, 0); /* do not try again */
    if (st == CLNN_OK && res.stored) clnn_tune_db_save(); /* a failed save leaves the entry in memory */
    return st;
}

/* Whether mode on wants this launch tuned: no entry for this exact device
 * (and not the kernel clnn_tune_force holds). */
static int unseen(clnn_context *ctx, const clnn__tuner *tuner, const clnn__launch_desc *d)
{
    if (tuner->mode != CLNN_TUNE_ON || tuner->forced == d->t) return 0;
    clnn__config probe = {{1, 1, 1}, {0}};
    clnn_tune_match match;
    return !(clnn__tune_db_find(&ctx->info, d->t, d->problem, &probe, &match) && match == CLNN_TUNE_MATCH_EXACT);
}

static clnn_status lookup(clnn_context *ctx, void *data, const char *fn, const clnn__launch_desc *d,
                          clnn__choice *out)
{
    clnn__tuner *tuner = data;
    clnn__tune_request *req = tuner->request;
    if (!tuner->busy && req && req->target == d->t && !req->done) {
        req->done = 1;
        return clnn__tune_launch(ctx, fn, d, req->opt, req->result, out);
    }
    if (!tuner->busy && unseen(ctx, tuner, d)) return tune_first_use(ctx, fn, d, out);
    return clnn__tune_choose(ctx, fn, d, 1, out);
}

static void release(void *data) { free(data); }

clnn_status clnn__tuner_install(clnn_context *ctx, const char *fn)
{
    clnn__tuner *tuner = calloc(1, sizeof *tuner);
    if (!tuner) return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    tuner->mode = mode_from_environment();
    ctx->tuner.lookup = lookup;
    ctx->tuner.release = release;
    ctx->tuner.data = tuner;
    return CLNN_OK;
}
