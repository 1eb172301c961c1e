/* Fused optimizer steps (cl/optim.cl): SGD, momentum, Nesterov, Adam, AdamW,
 * AdEMAMix with the elementwise regularizers of the list applied in the same kernel.
 * The list becomes -D options of one kernel (a variant per combination,
 * built once and cached); every strength is a kernel argument. */
#include "optim/optim_internal.h"
#include "regularizers/regularizers_internal.h"
#include "tune_family.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_NONE = 0, OPT_SGD = 1, OPT_MOMENTUM = 2, OPT_NESTEROV = 3, OPT_ADAM = 4, OPT_ADEMAMIX = 5 };

/* global = ceil(ceil(n / VW) / WPT) work-items */
static void step_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t vw = (size_t)cfg->param[1], wpt = (size_t)cfg->param[0];
    size_t nvec = (problem[0] + vw - 1) / vw;
    global[0] = (nvec + wpt - 1) / wpt;
    global[1] = 1;
}

/* Vector width when nothing better is known: float4 loads suit GPUs, but
 * PoCL vectorizes across work-items itself and runs the scalar kernel
 * faster (PoCL 3.1, 2 shared vCPUs, AdamW step on 2^24 elements: VW=1
 * 26.5 ms vs VW=4 31-46 ms; WPT=4 under 10 GB/s), so CPU devices get VW=1.
 * CLNN_OPTIM_VW=1|2|4|8 overrides the choice (the tests run the step once
 * more with VW=4 this way, to cover the vector body and the scalar tail on
 * a CPU). The tuning database, when it has an entry, comes first. */
static void step_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    (void)problem;
    cfg->param[1] = ctx->info.type == CLNN_DEVICE_CPU ? 1 : 4;
    const char *env = getenv("CLNN_OPTIM_VW");
    if (env && (!strcmp(env, "1") || !strcmp(env, "2") || !strcmp(env, "4") || !strcmp(env, "8")))
        cfg->param[1] = atoi(env);
}

/* The multi-tensor kernel: problem = {elements of its largest slot, slots}:
 * optim_step's items for the largest in dimension 0, one row per slot. */
static void multi_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    step_global(problem, cfg, global);
    global[1] = problem[1];
}

/* step_heuristic's vector width and a local size of 256 x 1: one slot per
 * work-group (dispatch shrinks it to the kernel's limits). */
static void multi_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    step_heuristic(ctx, problem, cfg);
    cfg->local[0] = 256;
    cfg->local[1] = 1;
}

#define CLNN_TABLE "optim/optim_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* One AdamW step of an optimizer object over 8 tensors of P0 * P1 elements
 * in all (one multi-tensor launch). */
static clnn_status exercise_optim_multi(clnn_context *ctx, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem), each = n / 8 + 1;
    clnn_param p[8];
    for (int k = 0; k < 8; k++) {
        size_t nk = k == 7 ? n - 7 * (n / 8) : each - 1;
        if (nk == 0) nk = 1;
        p[k] = (clnn_param){EX_RAND(&b, nk), EX_RAND(&b, nk), NULL, NULL, NULL, 0};
    }
    clnn_optimizer_state *opt = NULL;
    clnn_param_group g;
    clnn_param_group_init(&g);
    g.nparams = 8, g.params = p;
    EX_STEP(&b, clnn_optimizer_create(ctx, NULL, 0, &opt));
    EX_STEP(&b, clnn_optimizer_add_group(opt, &g));
    EX_STEP(&b, clnn_optimizer_step(opt, 0, NULL));
    clnn_optimizer_release(opt);
    return clnn__exercise_end(&b);
}

/* One AdamW step over P0 * P1 parameters (the per-tensor kernel), or the
 * object's multi-tensor step. */
static clnn_status exercise_optim(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    if (t == &tune_step_multi) return exercise_optim_multi(ctx, problem);
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    clnn_param p = {EX_RAND(&b, n), EX_RAND(&b, n), EX_RAND(&b, n), EX_UNIFORM(&b, 0.0f, 1.0f, n), NULL, 0};
    clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, 1e-3f, 0.0f, 0, 0.9f, 0.999f, 1e-8f, 0.01f,
                            1};
    EX_STEP(&b, clnn_optim_step(ctx, &o, 1, &p, 0, NULL));
    return clnn__exercise_end(&b);
}

static void step_variant(const clnn__step_desc *d, char *variant, size_t len);

clnn_status clnn__step_launch(clnn_context *ctx, const char *fn, const clnn__step_desc *d)
{
    char variant[200];
    step_variant(d, variant, sizeof variant);
    cl_mem w = d->w->buffer;
    cl_mem g = d->g ? d->g->buffer : w, m = d->m ? d->m->buffer : w, v = d->v ? d->v->buffer : w;
    cl_mem m2 = d->m2 ? d->m2->buffer : w;
    cl_mem mask = d->mask ? d->mask->buffer : w, cb = d->clip_buf ? d->clip_buf->buffer : w;
    cl_mem pb = d->perp_buf ? d->perp_buf->buffer : w;
    cl_uint n = (cl_uint)d->w->count;
    clnn__karg a[] = {KARG_BUF(w),      KARG_BUF(g),   KARG_BUF(m),     KARG_BUF(v),     KARG_BUF(m2),
                      KARG_BUF(mask),   KARG_BUF(cb),  KARG_BUF(pb),    KARG(d->perp_index), KARG(n),
                      KARG(d->lr),      KARG(d->mu),   KARG(d->beta1),  KARG(d->beta2),  KARG(d->eps),
                      KARG(d->lr_m),    KARG(d->isb2), KARG(d->l2),     KARG(d->decay),  KARG(d->l1),
                      KARG(d->l2e),     KARG(d->clip), KARG(d->perp),   KARG(d->beta3),  KARG(d->amix),
                      KARG(d->damp)};
    size_t problem[2] = {n, 1};
    return clnn__run_variant(ctx, fn, &tune_step, variant, problem, sizeof a / sizeof a[0], a);
}

/* -D options of a launch's variant (the same for both kernels). */
static void step_variant(const clnn__step_desc *d, char *variant, size_t len)
{
    snprintf(variant, len,
             "-DOPT=%d -DHAS_CLIP=%d -DCLIP_BUF=%d -DHAS_PERP=%d -DHAS_L2=%d -DHAS_DECAY=%d -DPROX=%d -DHAS_MASK=%d "
             "-DMAXIMIZE=%d -DHAS_DAMP=%d -DAMSGRAD=%d",
             d->opt, d->has_clip, d->has_clip && d->clip_buf != NULL, d->has_perp, d->has_l2, d->has_decay,
             d->prox, d->mask != NULL, d->maximize, d->has_damp, d->amsgrad);
}

clnn_status clnn__step_launch_multi(clnn_context *ctx, const char *fn, size_t k, const clnn__step_desc *d)
{
    enum { S = CLNN__OPTIM_SLOTS };
    char variant[200];
    step_variant(&d[0], variant, sizeof variant);
    cl_mem bufs[S][6];
    cl_uint ns[S] = {0}, pidx[S] = {0};
    size_t largest = 0;
    for (size_t j = 0; j < S; j++) {
        const clnn__step_desc *e = &d[j < k ? j : 0]; /* unused slots: slot 0's buffers, n 0 */
        cl_mem w = e->w->buffer;
        bufs[j][0] = w;
        bufs[j][1] = e->g ? e->g->buffer : w;
        bufs[j][2] = e->m ? e->m->buffer : w;
        bufs[j][3] = e->v ? e->v->buffer : w;
        bufs[j][4] = e->m2 ? e->m2->buffer : w;
        bufs[j][5] = e->mask ? e->mask->buffer : w;
        if (j < k) ns[j] = (cl_uint)e->w->count, pidx[j] = e->perp_index;
        if (j < k && e->w->count > largest) largest = e->w->count;
    }
    cl_mem cb = d->clip_buf ? d->clip_buf->buffer : bufs[0][0], pb = d->perp_buf ? d->perp_buf->buffer : bufs[0][0];
    cl_uint8 vns, vpidx;
    for (size_t j = 0; j < S; j++) vns.s[j] = ns[j], vpidx.s[j] = pidx[j];
    clnn__karg a[S * 6 + 20];
    size_t na = 0;
    for (size_t j = 0; j < S; j++)
        for (size_t b = 0; b < 6; b++) a[na++] = KARG_BUF(bufs[j][b]);
    clnn__karg rest[] = {KARG_BUF(cb),     KARG_BUF(pb),    KARG(vpidx),     KARG(vns),      KARG(d->lr),
                         KARG(d->mu),      KARG(d->beta1),  KARG(d->beta2),  KARG(d->eps),   KARG(d->lr_m),
                         KARG(d->isb2),    KARG(d->l2),     KARG(d->decay),  KARG(d->l1),    KARG(d->l2e),
                         KARG(d->clip),    KARG(d->perp),   KARG(d->beta3),  KARG(d->amix),  KARG(d->damp)};
    for (size_t r = 0; r < sizeof rest / sizeof rest[0]; r++) a[na++] = rest[r];
    size_t problem[2] = {largest, k};
    return clnn__run_variant(ctx, fn, &tune_step_multi, variant, problem, na, a);
}

/* The extra state of AdEMAMix (the slow EMA m2, alpha, beta3) or of AMSGrad
 * (the running maximum of v in m2's slot); NULL for the other optimizers. */
typedef struct m2_state {
    float alpha, beta3;
    clnn_tensor *const *m2;
    int amsgrad;
} m2_state;

static clnn_status check_hparams(clnn_context *ctx, const char *fn, const clnn_optim_options *o,
                                 const m2_state *extra)
{
    CHECK_ARG(ctx, o->kind == CLNN_OPTIM_SGD || o->kind == CLNN_OPTIM_ADAM || o->kind == CLNN_OPTIM_ADAMW ||
                       o->kind == CLNN_OPTIM_ADEMAMIX,
              "%s: opt->kind %d is not a clnn_optimizer", fn, (int)o->kind);
    if (extra && extra->amsgrad) {
        CHECK_ARG(ctx, o->kind == CLNN_OPTIM_ADAM || o->kind == CLNN_OPTIM_ADAMW,
                  "%s: opt->kind must be CLNN_OPTIM_ADAM or CLNN_OPTIM_ADAMW", fn);
    } else {
        CHECK_ARG(ctx, (o->kind == CLNN_OPTIM_ADEMAMIX) == (extra != NULL),
                  extra ? "%s: opt->kind must be CLNN_OPTIM_ADEMAMIX" : "%s: opt->kind CLNN_OPTIM_ADEMAMIX needs "
                                                                    "clnn_ademamix_step (m2, alpha, beta3)", fn);
    }
    TRY(clnn__check_range(ctx, fn, "opt->lr", o->lr, 0.0f, INFINITY));
    TRY(clnn__check_range(ctx, fn, "opt->weight_decay", o->weight_decay, 0.0f, INFINITY));
    if (o->kind == CLNN_OPTIM_SGD) {
        CHECK_ARG(ctx, clnn__is_finite(o->momentum) && o->momentum >= 0 && o->momentum < 1,
                  "%s: opt->momentum = %g is outside [0, 1)", fn, (double)o->momentum);
        CHECK_ARG(ctx, !o->nesterov || o->momentum > 0, "%s: opt->nesterov needs opt->momentum > 0", fn);
        CHECK_ARG(ctx, clnn__is_finite(o->dampening) && o->dampening >= 0 && o->dampening <= 1,
                  "%s: opt->dampening = %g is outside [0, 1]", fn, (double)o->dampening);
        CHECK_ARG(ctx, !o->nesterov || o->dampening == 0, "%s: opt->nesterov needs opt->dampening = 0 (PyTorch)",
                  fn);
        CHECK_ARG(ctx, o->dampening == 0 || o->step >= 1,
                  "%s: opt->step must be >= 1 with dampening (step 1 stores the momentum undamped)", fn);
        return CLNN_OK;
    }
    CHECK_ARG(ctx, clnn__is_finite(o->beta1) && o->beta1 >= 0 && o->beta1 < 1,
              "%s: opt->beta1 = %g is outside [0, 1)", fn, (double)o->beta1);
    CHECK_ARG(ctx, clnn__is_finite(o->beta2) && o->beta2 >= 0 && o->beta2 < 1,
              "%s: opt->beta2 = %g is outside [0, 1)", fn, (double)o->beta2);
    CHECK_ARG(ctx, clnn__is_finite(o->eps) && o->eps > 0, "%s: opt->eps = %g must be finite and > 0", fn,
              (double)o->eps);
    CHECK_ARG(ctx, o->step >= 1, "%s: opt->step must be >= 1 (bias correction uses 1 - beta^step)", fn);
    if (extra && !extra->amsgrad) {
        TRY(clnn__check_range(ctx, fn, "alpha", extra->alpha, 0.0f, INFINITY));
        CHECK_ARG(ctx, clnn__is_finite(extra->beta3) && extra->beta3 >= 0 && extra->beta3 < 1,
                  "%s: beta3 = %g is outside [0, 1)", fn, (double)extra->beta3);
    }
    return CLNN_OK;
}

static clnn_status check_param(clnn_context *ctx, const char *fn, const clnn_optim_options *o, size_t i,
                               const clnn_param *p, const m2_state *extra)
{
    char name[64];
    snprintf(name, sizeof name, "params[%zu].w", i);
    TRY(clnn__check_f32(ctx, fn, name, p->w, 0));
    size_t n = p->w->count;
    snprintf(name, sizeof name, "params[%zu].g", i);
    TRY(clnn__check_f32(ctx, fn, name, p->g, n));
    int needs_m = o->kind != CLNN_OPTIM_SGD || o->momentum > 0, needs_v = o->kind != CLNN_OPTIM_SGD;
    CHECK_ARG(ctx, needs_m == (p->m != NULL), "%s: params[%zu].m must be %s", fn, i,
              needs_m ? "given (momentum / first moment)" : "NULL for plain SGD");
    CHECK_ARG(ctx, needs_v == (p->v != NULL), "%s: params[%zu].v must be %s", fn, i,
              needs_v ? "given (second moment)" : "NULL for SGD");
    if (p->m) {
        snprintf(name, sizeof name, "params[%zu].m", i);
        TRY(clnn__check_f32(ctx, fn, name, p->m, n));
    }
    if (p->v) {
        snprintf(name, sizeof name, "params[%zu].v", i);
        TRY(clnn__check_f32(ctx, fn, name, p->v, n));
    }
    const clnn_tensor *m2 = extra ? extra->m2[i] : NULL;
    if (extra) {
        snprintf(name, sizeof name, extra->amsgrad ? "v_max[%zu]" : "m2[%zu]", i);
        TRY(clnn__check_f32(ctx, fn, name, m2, n));
    }
    if (p->mask) {
        snprintf(name, sizeof name, "params[%zu].mask", i);
        TRY(clnn__check_f32(ctx, fn, name, p->mask, n));
    }
    /* w, m and v are written: none may share a buffer with another operand */
    cl_mem wb = p->w->buffer, gb = p->g->buffer, mb = p->m ? p->m->buffer : NULL, vb = p->v ? p->v->buffer : NULL;
    cl_mem kb = p->mask ? p->mask->buffer : NULL;
    CHECK_ARG(ctx, wb != gb && wb != mb && wb != vb && wb != kb, "%s: params[%zu].w shares its buffer with g, m, v or mask", fn, i);
    CHECK_ARG(ctx, !mb || (mb != gb && mb != vb && mb != kb), "%s: params[%zu].m shares its buffer with g, v or mask", fn, i);
    CHECK_ARG(ctx, !vb || (vb != gb && vb != kb), "%s: params[%zu].v shares its buffer with g or mask", fn, i);
    cl_mem m2b = m2 ? m2->buffer : NULL;
    CHECK_ARG(ctx, !m2b || (m2b != wb && m2b != gb && m2b != mb && m2b != vb && m2b != kb),
              "%s: m2[%zu] shares its buffer with params[%zu].w, g, m, v or mask", fn, i, i);
    return CLNN_OK;
}

static clnn_status check_regs(clnn_context *ctx, const char *fn, size_t nregs, const clnn_reg *regs,
                              size_t nparams, clnn__reg_set *set)
{
    CHECK_ARG(ctx, nregs == 0 || regs != NULL, "%s: regs is NULL but nregs is %zu", fn, nregs);
    for (size_t r = 0; r < nregs; r++) {
        const clnn_reg *g = &regs[r];
        CHECK_ARG(ctx, g->kind >= CLNN_REG_L2 && g->kind <= CLNN_REG_PERPGRAD,
                  "%s: regs[%zu].kind %d is not a clnn_reg_kind", fn, r, (int)g->kind);
        CHECK_ARG(ctx, set->by_kind[g->kind] == NULL, "%s: regs[%zu] repeats kind %d", fn, r, (int)g->kind);
        char name[64];
        snprintf(name, sizeof name, "regs[%zu].strength", r);
        TRY(clnn__check_range(ctx, fn, name, g->strength, 0.0f, INFINITY));
        if (g->kind == CLNN_REG_ELASTIC_NET) {
            snprintf(name, sizeof name, "regs[%zu].strength2", r);
            TRY(clnn__check_range(ctx, fn, name, g->strength2, 0.0f, INFINITY));
        }
        snprintf(name, sizeof name, "regs[%zu].scalar", r);
        if (g->kind == CLNN_REG_CLIP && g->scalar) TRY(clnn__check_f32(ctx, fn, name, g->scalar, 0));
        if (g->kind == CLNN_REG_PERPGRAD) {
            TRY(clnn__check_f32(ctx, fn, name, g->scalar, 0));
            CHECK_SHAPE(ctx, g->scalar->count >= nparams, "%s: %s has %zu elements, fewer than %zu parameters",
                        fn, name, g->scalar->count, nparams);
        }
        set->by_kind[g->kind] = g;
    }
    CHECK_ARG(ctx, !set->by_kind[CLNN_REG_L1] || !set->by_kind[CLNN_REG_ELASTIC_NET],
              "%s: regs hold both L1 and ELASTIC_NET (use one proximal term)", fn);
    return CLNN_OK;
}

/* The scalars of a step shared by every tensor (opt, extra and set checked). */
static void base_desc(const clnn_optim_options *opt, const m2_state *extra, const clnn__reg_set *set,
                      clnn__step_desc *out)
{
    /* the step's scalars, shared by every tensor */
    clnn__step_desc base = {0};
    base.lr = opt->lr;
    base.maximize = opt->maximize != 0;
    if (opt->kind == CLNN_OPTIM_SGD) {
        base.opt = opt->momentum == 0 ? OPT_SGD : opt->nesterov ? OPT_NESTEROV : OPT_MOMENTUM;
        base.mu = opt->momentum;
        /* PyTorch's first step stores m = g undamped (its buffer starts as a copy of g) */
        base.has_damp = opt->momentum > 0 && opt->dampening > 0;
        base.damp = opt->step == 1 ? 1.0f : 1.0f - opt->dampening;
    } else {
        base.opt = extra && !extra->amsgrad ? OPT_ADEMAMIX : OPT_ADAM;
        base.amsgrad = extra && extra->amsgrad;
        base.beta1 = opt->beta1;
        base.beta2 = opt->beta2;
        base.eps = opt->eps;
        double t = (double)opt->step;
        base.lr_m = (cl_float)((double)opt->lr / (1.0 - pow(opt->beta1, t)));
        base.isb2 = (cl_float)(1.0 / sqrt(1.0 - pow(opt->beta2, t)));
        if (extra && !extra->amsgrad) { /* lr_m·(m + amix·m2) = lr·(m̂ + α·m2) */
            base.beta3 = extra->beta3;
            base.amix = (cl_float)((double)extra->alpha * (1.0 - pow(opt->beta1, t)));
        }
    }
    const clnn_reg *r;
    int decoupled = opt->kind == CLNN_OPTIM_ADAMW || opt->kind == CLNN_OPTIM_ADEMAMIX;
    double l2 = decoupled ? 0 : opt->weight_decay;
    double decay = decoupled ? opt->weight_decay : 0;
    if ((r = set->by_kind[CLNN_REG_L2])) l2 += r->strength;
    if ((r = set->by_kind[CLNN_REG_DECAY])) decay += r->strength;
    if ((r = set->by_kind[CLNN_REG_L1])) base.l1 = r->strength, base.prox = 1;
    if ((r = set->by_kind[CLNN_REG_ELASTIC_NET])) base.l1 = r->strength, base.l2e = r->strength2, base.prox = 2;
    if ((r = set->by_kind[CLNN_REG_CLIP])) base.has_clip = 1, base.clip = r->strength, base.clip_buf = r->scalar;
    if ((r = set->by_kind[CLNN_REG_PERPGRAD])) base.has_perp = 1, base.perp = r->strength, base.perp_buf = r->scalar;
    base.l2 = (cl_float)l2;
    base.decay = (cl_float)decay;
    base.has_l2 = l2 > 0;
    base.has_decay = decay > 0;

    *out = base;
}

/* The extra state of a kind: AdEMAMix's alpha and beta3 (no buffers here),
 * AMSGrad's flag, or none. */
static const m2_state *extra_of(const clnn_optim_options *o, int amsgrad, m2_state *e, float alpha, float beta3)
{
    *e = (m2_state){alpha, beta3, NULL, amsgrad};
    return amsgrad || o->kind == CLNN_OPTIM_ADEMAMIX ? e : NULL;
}

void clnn__optim_base(const clnn_optim_options *o, int amsgrad, float alpha, float beta3, const clnn__reg_set *set,
                      clnn__step_desc *base)
{
    m2_state e;
    base_desc(o, extra_of(o, amsgrad, &e, alpha, beta3), set, base);
}

void clnn__optim_param_desc(const clnn__step_desc *base, const clnn_param *p, clnn_tensor *m2, cl_uint index,
                            clnn__step_desc *d)
{
    *d = *base;
    d->w = p->w, d->g = p->g, d->m = p->m, d->v = p->v, d->m2 = m2;
    d->perp_index = index;
    if (p->no_decay) { /* per-tensor mask: no weight penalty at all */
        d->has_l2 = d->has_decay = d->prox = 0;
        d->l2 = d->decay = d->l1 = d->l2e = 0;
    } else {
        d->mask = p->mask;
    }
    if (!d->has_l2 && !d->has_decay && !d->prox) d->mask = NULL; /* nothing to mask: do not read it */
}

clnn_status clnn__optim_check_hparams(clnn_context *ctx, const char *fn, const clnn_optim_options *o, int amsgrad,
                                      float alpha, float beta3)
{
    m2_state e;
    return check_hparams(ctx, fn, o, extra_of(o, amsgrad, &e, alpha, beta3));
}

clnn_status clnn__optim_check_regs(clnn_context *ctx, const char *fn, size_t nregs, const clnn_reg *regs,
                                   size_t nparams, clnn__reg_set *set)
{
    return check_regs(ctx, fn, nregs, regs, nparams, set);
}

/* clnn_optim_step, and clnn_ademamix_step / clnn_amsgrad_step (extra given). */
static clnn_status step_all(clnn_context *ctx, const char *fn, const clnn_optim_options *opt,
                            const m2_state *extra, size_t nparams, const clnn_param *params, size_t nregs,
                            const clnn_reg *regs)
{
    CHECK_ARG(ctx, opt != NULL, "%s: opt is NULL", fn);
    CLNN_OPTIONS_ARG(clnn_optim_options, opt);
    CHECK_ARG(ctx, nparams == 0 || params != NULL, "%s: params is NULL but nparams is %zu", fn, nparams);
    TRY(check_hparams(ctx, fn, opt, extra));
    CHECK_ARG(ctx, !extra || extra->m2 != NULL, extra && extra->amsgrad ? "%s: v_max is NULL" : "%s: m2 is NULL", fn);
    for (size_t i = 0; i < nparams; i++) TRY(check_param(ctx, fn, opt, i, &params[i], extra));
    for (size_t i = 0; i < nparams; i++)
        for (size_t j = 0; j < i; j++) {
            CHECK_ARG(ctx, !clnn__alias(params[i].w, params[j].w),
                      "%s: params[%zu].w and params[%zu].w are the same buffer", fn, j, i);
            CHECK_ARG(ctx, !extra || !clnn__alias(extra->m2[i], extra->m2[j]),
                      "%s: m2[%zu] and m2[%zu] are the same buffer", fn, j, i);
        }
    clnn__reg_set set = {{NULL}};
    TRY(check_regs(ctx, fn, nregs, regs, nparams, &set));

    clnn__step_desc base;
    base_desc(opt, extra, &set, &base);
    for (size_t i = 0; i < nparams; i++) {
        clnn__step_desc d;
        clnn__optim_param_desc(&base, &params[i], extra ? extra->m2[i] : NULL, (cl_uint)i, &d);
        TRY(clnn__step_launch(ctx, fn, &d));
    }
    return CLNN_OK;
}

void clnn_optim_options_init(clnn_optim_options *opt)
{
    if (!opt) return;
    *opt = (clnn_optim_options){sizeof *opt, CLNN_OPTIM_ADAMW, 1e-3f, 0.0f, 0, 0.9f, 0.999f, 1e-8f, 0.01f, 1, 0.0f, 0};
}

clnn_status clnn_optim_step(clnn_context *ctx, const clnn_optim_options *opt, size_t nparams, const clnn_param *params,
                            size_t nregs, const clnn_reg *regs)
{
    CLNN_ENTRY(ctx);
    return step_all(ctx, fn, opt, NULL, nparams, params, nregs, regs);
}

clnn_status clnn_ademamix_step(clnn_context *ctx, const clnn_optim_options *opt, float alpha, float beta3,
                               size_t nparams, const clnn_param *params, clnn_tensor *const *m2, size_t nregs,
                               const clnn_reg *regs)
{
    CLNN_ENTRY(ctx);
    m2_state extra = {alpha, beta3, m2, 0};
    return step_all(ctx, fn, opt, &extra, nparams, params, nregs, regs);
}

clnn_status clnn_amsgrad_step(clnn_context *ctx, const clnn_optim_options *opt, size_t nparams,
                              const clnn_param *params, clnn_tensor *const *v_max, size_t nregs, const clnn_reg *regs)
{
    CLNN_ENTRY(ctx);
    m2_state extra = {0.0f, 0.0f, v_max, 1};
    return step_all(ctx, fn, opt, &extra, nparams, params, nregs, regs);
}
