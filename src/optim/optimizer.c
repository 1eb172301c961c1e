/* The optimizer object (clnn_optimizer_state): parameter groups with
 * per-group hyper-parameters, the state tensors and step counters it owns,
 * and the multi-tensor step. Each tensor is described exactly as
 * clnn_optim_step describes it (optim.c's clnn__optim_param_desc); tensors of
 * one group with the same kernel variant go up to CLNN__OPTIM_SLOTS a launch
 * through optim_step_multi, a lone one through optim_step. AdEMAMix's
 * slow EMA and AMSGrad's v_max share the per-parameter `extra` slot (the
 * kernels' m2 argument). */
#include "optim/optim_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opt_group {
    clnn_optim_options o; /* the defaults with the group's overrides; o.step unused */
    size_t first, n;      /* its parameters: params[first .. first + n) */
    unsigned long step;   /* steps taken */
    float alpha, beta3;   /* AdEMAMix (clnn_optimizer_set_ademamix) */
} opt_group;

/* A new group's AdEMAMix alpha and beta3 until set. */
#define ADEMAMIX_ALPHA 2.0f
#define ADEMAMIX_BETA3 0.9999f

struct clnn_optimizer_state {
    clnn_context *ctx;
    clnn_optim_options defaults;
    int amsgrad;
    opt_group *groups;
    size_t ngroups;
    clnn_param *params;  /* m and v owned by the object */
    clnn_tensor **extra; /* AMSGrad's running maxima or AdEMAMix's slow EMAs (owned), else NULL entries */
    size_t *order;      /* each group's parameters, largest first (launches of similar sizes) */
    size_t nparams;
};

/* The entry of a function on an optimizer: refuses a NULL handle, declares
 * fn and ctx. */
#define ENTRY_OPT(opt)                                                                               \
    CLNN_ENTRY_NO_CONTEXT();                                                                         \
    if (!(opt)) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, #opt);      \
    clnn_context *const ctx = (opt)->ctx;                                                            \
    (void)ctx

void clnn_param_group_init(clnn_param_group *g)
{
    if (!g) return;
    *g = (clnn_param_group){sizeof *g, 0, NULL, NAN, NAN, NAN, NAN, NAN, NAN, NAN, -1, -1};
}

static clnn_status check_group_index(clnn_context *ctx, const char *fn, const clnn_optimizer_state *opt,
                                     size_t group)
{
    CHECK_ARG(ctx, group < opt->ngroups, "%s: group %zu does not exist (the optimizer has %zu)", fn, group,
              opt->ngroups);
    return CLNN_OK;
}

clnn_status clnn_optimizer_create(clnn_context *ctx, const clnn_optim_options *defaults, unsigned flags,
                                  clnn_optimizer_state **out)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, out != NULL, "%s: out is NULL", fn);
    CLNN_OPTIONS_ARG(clnn_optim_options, defaults);
    CHECK_ARG(ctx, (flags & ~CLNN_OPTIMIZER_AMSGRAD) == 0, "%s: flags 0x%x hold bits other than "
              "CLNN_OPTIMIZER_AMSGRAD", fn, flags);
    int amsgrad = (flags & CLNN_OPTIMIZER_AMSGRAD) != 0;
    clnn_optim_options d = *defaults;
    d.step = 1; /* not used: checked as the first step */
    TRY(clnn__optim_check_hparams(ctx, fn, &d, amsgrad, ADEMAMIX_ALPHA, ADEMAMIX_BETA3));
    clnn_optimizer_state *o = calloc(1, sizeof *o);
    if (!o) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    o->ctx = ctx;
    o->defaults = d;
    o->amsgrad = amsgrad;
    *out = o;
    return CLNN_OK;
}

/* The defaults with g's overrides. */
static clnn_optim_options merged(const clnn_optim_options *d, const clnn_param_group *g)
{
    clnn_optim_options o = *d;
#define INHERIT_F(f) if (!isnan(g->f)) o.f = g->f
    INHERIT_F(lr);
    INHERIT_F(weight_decay);
    INHERIT_F(momentum);
    INHERIT_F(beta1);
    INHERIT_F(beta2);
    INHERIT_F(eps);
    INHERIT_F(dampening);
#undef INHERIT_F
    if (g->nesterov != -1) o.nesterov = g->nesterov;
    if (g->maximize != -1) o.maximize = g->maximize;
    o.step = 1;
    return o;
}

/* Tensor i of the group (number `index` across groups) against what the
 * object holds and the group's earlier tensors. */
static clnn_status check_group_param(clnn_context *ctx, const char *fn, const clnn_optimizer_state *opt,
                                     const clnn_param_group *g, size_t i)
{
    const clnn_param *p = &g->params[i];
    char name[64];
    snprintf(name, sizeof name, "g->params[%zu].w", i);
    TRY(clnn__check_f32(ctx, fn, name, p->w, 0));
    TRY(clnn__check_count32(ctx, fn, name, p->w));
    size_t n = p->w->count;
    snprintf(name, sizeof name, "g->params[%zu].g", i);
    TRY(clnn__check_f32(ctx, fn, name, p->g, n));
    CHECK_ARG(ctx, p->m == NULL && p->v == NULL, "%s: g->params[%zu].m and .v must be NULL (the optimizer owns "
              "its state)", fn, i);
    if (p->mask) {
        snprintf(name, sizeof name, "g->params[%zu].mask", i);
        TRY(clnn__check_f32(ctx, fn, name, p->mask, n));
    }
    CHECK_ARG(ctx, !clnn__alias(p->w, p->g) && (!p->mask || !clnn__alias(p->w, p->mask)),
              "%s: g->params[%zu].w shares memory with its g or mask", fn, i);
    for (size_t j = 0; j < i; j++)
        CHECK_ARG(ctx, !clnn__alias(p->w, g->params[j].w), "%s: g->params[%zu].w and g->params[%zu].w share memory",
                  fn, j, i);
    for (size_t j = 0; j < opt->nparams; j++)
        CHECK_ARG(ctx, !clnn__alias(p->w, opt->params[j].w),
                  "%s: g->params[%zu].w shares memory with parameter %zu of the optimizer", fn, i, j);
    return CLNN_OK;
}

/* A parameter's element count and number, for the launch order. */
typedef struct by_size {
    size_t count, index;
} by_size;

/* Larger first; equal sizes in the order added. */
static int larger_first(const void *a, const void *b)
{
    const by_size *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* A zeroed fp32 tensor shaped like w. */
static clnn_status zeros_like(clnn_context *ctx, const clnn_tensor *w, clnn_tensor **out)
{
    TRY(clnn_tensor_create(ctx, CLNN_FLOAT32, w->ndim, w->shape, out));
    clnn_status st = clnn_tensor_fill(*out, 0.0f);
    if (st != CLNN_OK) {
        clnn_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

clnn_status clnn_optimizer_add_group(clnn_optimizer_state *opt, const clnn_param_group *g)
{
    ENTRY_OPT(opt);
    CHECK_ARG(ctx, g != NULL, "%s: g is NULL", fn);
    CLNN_OPTIONS_ARG(clnn_param_group, g);
    CHECK_ARG(ctx, g->nparams >= 1 && g->params != NULL, "%s: g->nparams is %zu and g->params %s: a group needs "
              "at least one parameter", fn, g->nparams, g->params ? "set" : "NULL");
    CHECK_ARG(ctx, (g->nesterov == -1 || g->nesterov == 0 || g->nesterov == 1) &&
                       (g->maximize == -1 || g->maximize == 0 || g->maximize == 1),
              "%s: g->nesterov (%d) and g->maximize (%d) must be -1 (inherit), 0 or 1", fn, g->nesterov,
              g->maximize);
    clnn_optim_options o = merged(&opt->defaults, g);
    TRY(clnn__optim_check_hparams(ctx, fn, &o, opt->amsgrad, ADEMAMIX_ALPHA, ADEMAMIX_BETA3));
    for (size_t i = 0; i < g->nparams; i++) TRY(check_group_param(ctx, fn, opt, g, i));

    size_t total = opt->nparams + g->nparams;
    CHECK_ARG(ctx, total <= UINT_MAX, "%s: more than %u parameters", fn, UINT_MAX);
    clnn_param *params = realloc(opt->params, total * sizeof *params);
    if (params) opt->params = params;
    clnn_tensor **extra = params ? realloc(opt->extra, total * sizeof *extra) : NULL;
    if (extra) opt->extra = extra;
    size_t *order = extra ? realloc(opt->order, total * sizeof *order) : NULL;
    if (order) opt->order = order;
    opt_group *groups = order ? realloc(opt->groups, (opt->ngroups + 1) * sizeof *groups) : NULL;
    if (!groups) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    opt->groups = groups;
    /* the state, all or nothing */
    int needs_m = o.kind != CLNN_OPTIM_SGD || o.momentum > 0, needs_v = o.kind != CLNN_OPTIM_SGD;
    int needs_extra = opt->amsgrad || o.kind == CLNN_OPTIM_ADEMAMIX;
    clnn_status st = CLNN_OK;
    size_t made = 0;
    for (; made < g->nparams && st == CLNN_OK; made++) {
        clnn_param *p = &opt->params[opt->nparams + made];
        *p = g->params[made];
        p->m = p->v = NULL;
        opt->extra[opt->nparams + made] = NULL;
        if (needs_m) st = zeros_like(ctx, p->w, &p->m);
        if (st == CLNN_OK && needs_v) st = zeros_like(ctx, p->w, &p->v);
        if (st == CLNN_OK && needs_extra) st = zeros_like(ctx, p->w, &opt->extra[opt->nparams + made]);
    }
    if (st != CLNN_OK) {
        for (size_t i = 0; i < made; i++) {
            clnn_tensor_release(opt->params[opt->nparams + i].m);
            clnn_tensor_release(opt->params[opt->nparams + i].v);
            clnn_tensor_release(opt->extra[opt->nparams + i]);
        }
        return st;
    }
    by_size *sorted = malloc(g->nparams * sizeof *sorted);
    if (!sorted) {
        for (size_t i = 0; i < made; i++) {
            clnn_tensor_release(opt->params[opt->nparams + i].m);
            clnn_tensor_release(opt->params[opt->nparams + i].v);
            clnn_tensor_release(opt->extra[opt->nparams + i]);
        }
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    for (size_t i = 0; i < g->nparams; i++) sorted[i] = (by_size){g->params[i].w->count, opt->nparams + i};
    qsort(sorted, g->nparams, sizeof *sorted, larger_first);
    for (size_t i = 0; i < g->nparams; i++) opt->order[opt->nparams + i] = sorted[i].index;
    free(sorted);
    opt->groups[opt->ngroups++] = (opt_group){o, opt->nparams, g->nparams, 0, ADEMAMIX_ALPHA, ADEMAMIX_BETA3};
    opt->nparams = total;
    return CLNN_OK;
}

/* Launches desc[0..k) together (a lone tensor through the per-tensor kernel). */
static clnn_status flush(clnn_context *ctx, const char *fn, clnn__step_desc *batch, size_t *k)
{
    clnn_status st = CLNN_OK;
    if (*k == 1) st = clnn__step_launch(ctx, fn, &batch[0]);
    else if (*k > 1) st = clnn__step_launch_multi(ctx, fn, *k, batch);
    *k = 0;
    return st;
}

/* The launches of one group's step: its tensors by variant class (plain,
 * masked, no_decay), largest first, up to CLNN__OPTIM_SLOTS a launch (a
 * launch is sized for its largest tensor, so neighbours in size share one). */
static clnn_status step_group(clnn_optimizer_state *opt, const char *fn, const opt_group *gr,
                              const clnn__step_desc *base)
{
    clnn_context *ctx = opt->ctx;
    clnn__step_desc batch[CLNN__OPTIM_SLOTS];
    for (int cls = 0; cls < 3; cls++) {
        size_t k = 0;
        for (size_t r = gr->first; r < gr->first + gr->n; r++) {
            size_t i = opt->order[r];
            clnn__step_desc d;
            clnn__optim_param_desc(base, &opt->params[i], opt->extra[i], (cl_uint)i, &d);
            int c = opt->params[i].no_decay ? 2 : d.mask ? 1 : 0;
            if (c != cls) continue;
            if (k == CLNN__OPTIM_SLOTS) TRY(flush(ctx, fn, batch, &k));
            batch[k++] = d;
        }
        TRY(flush(ctx, fn, batch, &k));
    }
    return CLNN_OK;
}

clnn_status clnn_optimizer_step(clnn_optimizer_state *opt, size_t nregs, const clnn_reg *regs)
{
    ENTRY_OPT(opt);
    CHECK_ARG(ctx, opt->ngroups > 0, "%s: the optimizer has no parameter groups (clnn_optimizer_add_group)", fn);
    clnn__reg_set set = {{NULL}};
    TRY(clnn__optim_check_regs(ctx, fn, nregs, regs, opt->nparams, &set));
    for (size_t gi = 0; gi < opt->ngroups; gi++)
        CHECK_ARG(ctx, opt->groups[gi].step < ULONG_MAX, "%s: group %zu's step counter is at its maximum", fn, gi);
    for (size_t gi = 0; gi < opt->ngroups; gi++) {
        const opt_group *gr = &opt->groups[gi];
        clnn_optim_options o = gr->o;
        o.step = gr->step + 1;
        clnn__step_desc base;
        clnn__optim_base(&o, opt->amsgrad, gr->alpha, gr->beta3, &set, &base);
        TRY(step_group(opt, fn, gr, &base));
    }
    for (size_t gi = 0; gi < opt->ngroups; gi++) opt->groups[gi].step++;
    return CLNN_OK;
}

clnn_status clnn_optimizer_set_lr(clnn_optimizer_state *opt, size_t group, float lr)
{
    ENTRY_OPT(opt);
    TRY(check_group_index(ctx, fn, opt, group));
    TRY(clnn__check_range(ctx, fn, "lr", lr, 0.0f, INFINITY));
    opt->groups[group].o.lr = lr;
    return CLNN_OK;
}

clnn_status clnn_optimizer_set_ademamix(clnn_optimizer_state *opt, size_t group, float alpha, float beta3)
{
    ENTRY_OPT(opt);
    TRY(check_group_index(ctx, fn, opt, group));
    CHECK_ARG(ctx, opt->defaults.kind == CLNN_OPTIM_ADEMAMIX, "%s: the optimizer's kind is %d, not "
              "CLNN_OPTIM_ADEMAMIX", fn, (int)opt->defaults.kind);
    TRY(clnn__check_range(ctx, fn, "alpha", alpha, 0.0f, INFINITY));
    CHECK_ARG(ctx, clnn__is_finite(beta3) && beta3 >= 0.0f && beta3 < 1.0f, "%s: beta3 = %g is outside [0, 1)", fn,
              (double)beta3);
    opt->groups[group].alpha = alpha;
    opt->groups[group].beta3 = beta3;
    return CLNN_OK;
}

clnn_status clnn_optimizer_group_options(const clnn_optimizer_state *opt, size_t group, clnn_optim_options *out)
{
    ENTRY_OPT(opt);
    TRY(check_group_index(ctx, fn, opt, group));
    CHECK_ARG(ctx, out != NULL, "%s: out is NULL", fn);
    *out = opt->groups[group].o;
    out->step = opt->groups[group].step + 1;
    return CLNN_OK;
}

clnn_status clnn_optimizer_get_step(const clnn_optimizer_state *opt, size_t group, unsigned long *step)
{
    ENTRY_OPT(opt);
    TRY(check_group_index(ctx, fn, opt, group));
    CHECK_ARG(ctx, step != NULL, "%s: step is NULL", fn);
    *step = opt->groups[group].step;
    return CLNN_OK;
}

clnn_status clnn_optimizer_set_step(clnn_optimizer_state *opt, size_t group, unsigned long step)
{
    ENTRY_OPT(opt);
    TRY(check_group_index(ctx, fn, opt, group));
    opt->groups[group].step = step;
    return CLNN_OK;
}

/* Buffer `which` of parameter index (NULL with a message when it has none). */
static clnn_status state_buffer(clnn_context *ctx, const char *fn, const clnn_optimizer_state *opt, size_t index,
                                clnn_optim_buffer which, clnn_tensor **out)
{
    CHECK_ARG(ctx, index < opt->nparams, "%s: parameter %zu does not exist (the optimizer has %zu)", fn, index,
              opt->nparams);
    CHECK_ARG(ctx, which == CLNN_OPTIM_BUF_M || which == CLNN_OPTIM_BUF_V || which == CLNN_OPTIM_BUF_VMAX ||
                       which == CLNN_OPTIM_BUF_M2,
              "%s: which = %d is not a clnn_optim_buffer", fn, (int)which);
    static const char *const names[4] = {"m", "v", "v_max", "m2"};
    static const char *const why[4] = {"plain SGD", "SGD", "no CLNN_OPTIMIZER_AMSGRAD", "not AdEMAMix"};
    /* the extra slot holds v_max with AMSGrad and m2 with AdEMAMix */
    const int is_extra = which == (opt->amsgrad ? CLNN_OPTIM_BUF_VMAX : CLNN_OPTIM_BUF_M2);
    clnn_tensor *t = which == CLNN_OPTIM_BUF_M   ? opt->params[index].m
                     : which == CLNN_OPTIM_BUF_V ? opt->params[index].v
                     : is_extra                  ? opt->extra[index]
                                                 : NULL;
    CHECK_ARG(ctx, t != NULL, "%s: parameter %zu has no %s buffer (%s)", fn, index, names[which], why[which]);
    *out = t;
    return CLNN_OK;
}

clnn_status clnn_optimizer_state_save(const clnn_optimizer_state *opt, size_t index, clnn_optim_buffer which,
                                      clnn_tensor *dst)
{
    ENTRY_OPT(opt);
    clnn_tensor *t = NULL;
    TRY(state_buffer(ctx, fn, opt, index, which, &t));
    TRY(clnn__check_f32(ctx, fn, "dst", dst, t->count));
    CHECK_ARG(ctx, !clnn__alias(dst, t), "%s: dst is the optimizer's own buffer", fn);
    return clnn_tensor_copy(dst, t);
}

clnn_status clnn_optimizer_state_load(clnn_optimizer_state *opt, size_t index, clnn_optim_buffer which,
                                      const clnn_tensor *src)
{
    ENTRY_OPT(opt);
    clnn_tensor *t = NULL;
    TRY(state_buffer(ctx, fn, opt, index, which, &t));
    TRY(clnn__check_f32(ctx, fn, "src", src, t->count));
    CHECK_ARG(ctx, !clnn__alias(src, t), "%s: src is the optimizer's own buffer", fn);
    return clnn_tensor_copy(t, src);
}

clnn_status clnn_optimizer_counts(const clnn_optimizer_state *opt, size_t *ngroups, size_t *nparams)
{
    ENTRY_OPT(opt);
    if (ngroups) *ngroups = opt->ngroups;
    if (nparams) *nparams = opt->nparams;
    return CLNN_OK;
}

void clnn_optimizer_release(clnn_optimizer_state *opt)
{
    if (!opt) return;
    for (size_t i = 0; i < opt->nparams; i++) {
        clnn_tensor_release(opt->params[i].m);
        clnn_tensor_release(opt->params[i].v);
        clnn_tensor_release(opt->extra[i]);
    }
    free(opt->params);
    free(opt->extra);
    free(opt->order);
    free(opt->groups);
    free(opt);
}
