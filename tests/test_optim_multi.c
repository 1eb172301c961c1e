/* The optimizer object (clnn_optimizer_*): its multi-tensor step against the
 * per-tensor clnn_optim_step / clnn_amsgrad_step over the same tensors with
 * the same hyper-parameters, bit for bit (w, m, v, v_max, m2), for SGD (plain,
 * momentum with dampening, Nesterov), Adam, AdamW, AMSGrad and AdEMAMix
 * (clnn_ademamix_step; group 0's alpha and beta3 set from step 3 on), with groups
 * that override lr, weight decay, momentum and betas, masks and no_decay
 * tensors, a regularizer list (perpGrad's coefficients numbered across
 * groups), an lr change and a group added after two steps (its counter
 * starts at 0); 50 small tensors of odd sizes in one group; a checkpoint
 * restored into a second object; the bad-input table (a refused call changes
 * no counter and no buffer).
 *
 * The per-tensor path is itself checked against the double reference in
 * tests/test_optim.c; here the object must give its bits exactly. */
#include "check.h"

#include <math.h>

#define STEPS 5

typedef struct config {
    const char *name;
    clnn_optimizer kind;
    float momentum;
    int nesterov;
    float dampening;
    int amsgrad, maximize, regs;
} config;

static const config configs[] = {
    {"sgd", CLNN_OPTIM_SGD, 0, 0, 0, 0, 0, 0},
    {"sgd momentum dampening", CLNN_OPTIM_SGD, 0.9f, 0, 0.3f, 0, 0, 0},
    {"sgd nesterov maximize regs", CLNN_OPTIM_SGD, 0.8f, 1, 0, 0, 1, 1},
    {"adam", CLNN_OPTIM_ADAM, 0, 0, 0, 0, 0, 0},
    {"adamw regs", CLNN_OPTIM_ADAMW, 0, 0, 0, 0, 0, 1},
    {"adamw amsgrad", CLNN_OPTIM_ADAMW, 0, 0, 0, 1, 0, 0},
    {"adam amsgrad maximize regs", CLNN_OPTIM_ADAM, 0, 0, 0, 1, 1, 1},
    {"ademamix regs", CLNN_OPTIM_ADEMAMIX, 0, 0, 0, 0, 0, 1},
};

/* AdEMAMix's alpha and beta3 for group k at a step: the object's defaults
 * (2, 0.9999), and group 0's own values from step 3 on. */
static void ademamix_params(size_t k, unsigned long step, float *alpha, float *beta3)
{
    const int set = k == 0 && step >= 3;
    *alpha = set ? 5.0f : 2.0f;
    *beta3 = set ? 0.999f : 0.9999f;
}

/* A group of the layout: sizes, overrides (0: inherit) and the step after
 * which it is added. */
typedef struct group_spec {
    size_t n;
    const size_t *sizes;
    float lr_scale, wd, momentum_or_beta;
    int added_after;
} group_spec;

/* One tensor: the object's w, the mirror's w and state, shared g and mask. */
typedef struct tcase {
    size_t n;
    int no_decay;
    clnn_tensor *w, *g, *mask;
    clnn_tensor *rw, *rm, *rv, *rvmax;
} tcase;

static clnn_tensor *zeros(clnn_context *ctx, size_t n)
{
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t) == CLNN_OK, "tensor");
    CHECK_OK(ctx, clnn_tensor_fill(t, 0.0f));
    return t;
}

static clnn_tensor *random_tensor(clnn_context *ctx, size_t n, unsigned seed, float lo, float hi)
{
    float *x = malloc(n * sizeof *x);
    REQUIRE(x, "host memory");
    test_fill_uniform(x, n, seed, lo, hi);
    clnn_tensor *t = test_tensor_from(ctx, 1, &n, x);
    free(x);
    return t;
}

/* The hyper-parameters the test expects group s to step with (written
 * here, not read back from the object). */
static clnn_optim_options group_options(const config *c, const group_spec *s, unsigned long step)
{
    clnn_optim_options o;
    clnn_optim_options_init(&o);
    o.kind = c->kind, o.lr = c->kind == CLNN_OPTIM_SGD ? 0.05f : 0.01f, o.momentum = c->momentum;
    o.nesterov = c->nesterov, o.dampening = c->dampening, o.maximize = c->maximize, o.weight_decay = 0.02f;
    if (s->lr_scale != 0) o.lr *= s->lr_scale;
    if (s->wd >= 0) o.weight_decay = s->wd;
    if (s->momentum_or_beta != 0) {
        if (c->kind == CLNN_OPTIM_SGD) o.momentum = s->momentum_or_beta;
        else o.beta1 = s->momentum_or_beta, o.beta2 = 0.99f;
    }
    o.step = step;
    return o;
}

static int same_bits(clnn_context *ctx, const clnn_tensor *a, const clnn_tensor *b, size_t n)
{
    if (!a || !b) return a == b;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    REQUIRE(x && y, "host memory");
    CHECK_OK(ctx, clnn_tensor_download(a, x, n * sizeof *x));
    CHECK_OK(ctx, clnn_tensor_download(b, y, n * sizeof *y));
    int same = memcmp(x, y, n * sizeof *x) == 0;
    free(x), free(y);
    return same;
}

/* The object's buffer `which` of parameter index against the mirror's
 * (NULL: the object must refuse, having none). */
static void check_state(clnn_context *ctx, const char *name, const clnn_optimizer_state *opt, size_t index,
                        clnn_optim_buffer which, const clnn_tensor *mirror, size_t n)
{
    clnn_tensor *copy = zeros(ctx, n);
    clnn_status st = clnn_optimizer_state_save(opt, index, which, copy);
    if (!mirror) {
        CHECK(st == CLNN_ERR_INVALID_ARGUMENT, "%s: parameter %zu has buffer %d, the per-tensor call none", name,
              index, (int)which);
    } else {
        CHECK(st == CLNN_OK, "%s: saving buffer %d of parameter %zu: %s", name, (int)which, index,
              clnn_last_error(ctx));
        CHECK(same_bits(ctx, copy, mirror, n), "%s: buffer %d of parameter %zu (n=%zu) differs", name, (int)which,
              index, n);
    }
    clnn_tensor_release(copy);
}

/* STEPS steps of the object over the layout, against per-tensor calls. */
static void run_layout(clnn_context *ctx, const config *c, size_t ngroups, const group_spec *gs)
{
    size_t total = 0;
    for (size_t k = 0; k < ngroups; k++) total += gs[k].n;
    tcase *t = calloc(total, sizeof *t);
    clnn_param *objp = calloc(total, sizeof *objp), *mirp = calloc(total, sizeof *mirp);
    clnn_tensor **vmax = calloc(total, sizeof *vmax);
    float *coefs = malloc(total * sizeof *coefs);
    REQUIRE(t && objp && mirp && vmax && coefs, "host memory");
    test_fill_uniform(coefs, total, 5, -0.5f, 0.5f);
    size_t one = 1;
    float clip_dev = 0.7f;
    clnn_tensor *tclip = test_tensor_from(ctx, 1, &one, &clip_dev), *tcoef = test_tensor_from(ctx, 1, &total, coefs);
    clnn_tensor **gcoef = calloc(ngroups, sizeof *gcoef);
    REQUIRE(gcoef, "host memory");

    clnn_optimizer_state *opt = NULL;
    clnn_optim_options d = group_options(c, &(group_spec){0, NULL, 0, -1, 0, 0}, 1);
    CHECK_OK(ctx, clnn_optimizer_create(ctx, &d, c->amsgrad ? CLNN_OPTIMIZER_AMSGRAD : 0, &opt));
    REQUIRE(opt, "optimizer");
    size_t first = 0;
    for (size_t k = 0; k < ngroups; k++) {
        clnn_optim_options o = group_options(c, &gs[k], 1);
        int use_m = c->kind != CLNN_OPTIM_SGD || o.momentum > 0, use_v = c->kind != CLNN_OPTIM_SGD;
        for (size_t j = 0; j < gs[k].n; j++) {
            size_t i = first + j, n = gs[k].sizes[j];
            tcase *p = &t[i];
            p->n = n;
            p->no_decay = i % 4 == 3;
            p->w = random_tensor(ctx, n, 100u + (unsigned)i, -1.0f, 1.0f);
            p->rw = random_tensor(ctx, n, 100u + (unsigned)i, -1.0f, 1.0f);
            p->g = random_tensor(ctx, n, 1u, -1.0f, 1.0f);
            if (i % 3 == 1) {
                p->mask = random_tensor(ctx, n, 200u + (unsigned)i, 0.0f, 1.0f);
            }
            p->rm = use_m ? zeros(ctx, n) : NULL;
            p->rv = use_v ? zeros(ctx, n) : NULL;
            p->rvmax = c->amsgrad || c->kind == CLNN_OPTIM_ADEMAMIX ? zeros(ctx, n) : NULL; /* v_max or m2 */
            objp[i] = (clnn_param){p->w, p->g, NULL, NULL, p->mask, p->no_decay};
            mirp[i] = (clnn_param){p->rw, p->g, p->rm, p->rv, p->mask, p->no_decay};
            vmax[i] = p->rvmax;
        }
        gcoef[k] = test_tensor_from(ctx, 1, &gs[k].n, coefs + first);
        first += gs[k].n;
    }

    for (unsigned long step = 1; step <= STEPS; step++) {
        /* groups join the object after their step */
        first = 0;
        for (size_t k = 0; k < ngroups; k++) {
            if ((unsigned long)gs[k].added_after == step - 1) {
                clnn_param_group g;
                clnn_param_group_init(&g);
                g.nparams = gs[k].n, g.params = objp + first;
                if (gs[k].lr_scale != 0) g.lr = group_options(c, &gs[k], 1).lr;
                if (gs[k].wd >= 0) g.weight_decay = gs[k].wd;
                if (gs[k].momentum_or_beta != 0) {
                    if (c->kind == CLNN_OPTIM_SGD) g.momentum = gs[k].momentum_or_beta;
                    else g.beta1 = gs[k].momentum_or_beta, g.beta2 = 0.99f;
                }
                CHECK_OK(ctx, clnn_optimizer_add_group(opt, &g));
            }
            first += gs[k].n;
        }
        /* new gradients */
        for (size_t i = 0; i < total; i++) {
            float *x = malloc(t[i].n * sizeof *x);
            REQUIRE(x, "host memory");
            test_fill_uniform(x, t[i].n, 1000u * (unsigned)step + (unsigned)i, -1.0f, 1.0f);
            CHECK_OK(ctx, clnn_tensor_upload(t[i].g, x, t[i].n * sizeof *x));
            free(x);
        }
        /* lr changed for group 0 from step 4 on (a scheduler) */
        const float lr_factor = step >= 4 ? 0.3f : 1.0f;
        if (step == 4) {
            clnn_optim_options o0 = group_options(c, &gs[0], 1);
            CHECK_OK(ctx, clnn_optimizer_set_lr(opt, 0, o0.lr * lr_factor));
        }
        if (c->kind == CLNN_OPTIM_ADEMAMIX && step == 3) {
            float alpha, beta3;
            ademamix_params(0, step, &alpha, &beta3);
            CHECK_OK(ctx, clnn_optimizer_set_ademamix(opt, 0, alpha, beta3));
        }
        clnn_reg regs[3] = {{CLNN_REG_L1, 0.01f, 0, NULL}, {CLNN_REG_CLIP, 0.9f, 0, tclip},
                            {CLNN_REG_PERPGRAD, 0.5f, 0, tcoef}};
        size_t nregs = c->regs ? 3 : 0;
        CHECK_OK(ctx, clnn_optimizer_step(opt, nregs, regs));
        first = 0;
        size_t gi = 0; /* the group's index in the object */
        for (size_t k = 0; k < ngroups; k++) {
            if ((unsigned long)gs[k].added_after < step) {
                unsigned long gstep = step - (unsigned long)gs[k].added_after;
                clnn_optim_options o = group_options(c, &gs[k], gstep);
                if (k == 0) o.lr *= lr_factor;
                clnn_reg gregs[3] = {regs[0], regs[1], {CLNN_REG_PERPGRAD, 0.5f, 0, gcoef[k]}};
                float alpha, beta3;
                ademamix_params(k, step, &alpha, &beta3);
                if (c->amsgrad) CHECK_OK(ctx, clnn_amsgrad_step(ctx, &o, gs[k].n, mirp + first, vmax + first, nregs, gregs));
                else if (c->kind == CLNN_OPTIM_ADEMAMIX)
                    CHECK_OK(ctx, clnn_ademamix_step(ctx, &o, alpha, beta3, gs[k].n, mirp + first, vmax + first, nregs,
                                                     gregs));
                else CHECK_OK(ctx, clnn_optim_step(ctx, &o, gs[k].n, mirp + first, nregs, gregs));
                clnn_optim_options got;
                CHECK_OK(ctx, clnn_optimizer_group_options(opt, gi, &got));
                CHECK(got.step == gstep + 1 && got.lr == o.lr && got.weight_decay == o.weight_decay &&
                          got.momentum == o.momentum && got.beta1 == o.beta1 && got.beta2 == o.beta2,
                      "%s: group %zu's options after step %lu", c->name, k, step);
                unsigned long counted = 0;
                CHECK_OK(ctx, clnn_optimizer_get_step(opt, gi, &counted));
                CHECK(counted == gstep, "%s: group %zu counted %lu steps, expected %lu", c->name, k, counted, gstep);
                gi++;
            }
            first += gs[k].n;
        }
    }
    /* the object's bits are the per-tensor call's; the object's tensors are
     * numbered in the order groups were added */
    size_t index = 0;
    for (int pass = 0; pass <= STEPS; pass++) {
        first = 0;
        for (size_t k = 0; k < ngroups; k++) {
            if (gs[k].added_after == pass)
                for (size_t j = 0; j < gs[k].n; j++, index++) {
                    tcase *p = &t[first + j];
                    CHECK(same_bits(ctx, p->w, p->rw, p->n), "%s: w of group %zu tensor %zu (n=%zu) differs",
                          c->name, k, j, p->n);
                    check_state(ctx, c->name, opt, index, CLNN_OPTIM_BUF_M, p->rm, p->n);
                    check_state(ctx, c->name, opt, index, CLNN_OPTIM_BUF_V, p->rv, p->n);
                    check_state(ctx, c->name, opt, index, CLNN_OPTIM_BUF_VMAX, c->amsgrad ? p->rvmax : NULL, p->n);
                    check_state(ctx, c->name, opt, index, CLNN_OPTIM_BUF_M2, c->amsgrad ? NULL : p->rvmax, p->n);
                }
            first += gs[k].n;
        }
    }
    size_t ng = 0, np = 0;
    CHECK_OK(ctx, clnn_optimizer_counts(opt, &ng, &np));
    CHECK(ng == ngroups && np == total, "%s: counts %zu groups %zu parameters", c->name, ng, np);
    clnn_optimizer_release(opt);
    for (size_t i = 0; i < total; i++) {
        clnn_tensor_release(t[i].w), clnn_tensor_release(t[i].g), clnn_tensor_release(t[i].mask);
        clnn_tensor_release(t[i].rw), clnn_tensor_release(t[i].rm), clnn_tensor_release(t[i].rv);
        clnn_tensor_release(t[i].rvmax);
    }
    for (size_t k = 0; k < ngroups; k++) clnn_tensor_release(gcoef[k]);
    clnn_tensor_release(tclip), clnn_tensor_release(tcoef);
    free(t), free(objp), free(mirp), free(vmax), free(coefs), free(gcoef);
}

/* Three groups: defaults (10 tensors: two launches of one class, masks and
 * no_decay mixed in), overrides of lr, weight decay and momentum / betas,
 * and one without weight decay added after step 2. */
static void three_groups(clnn_context *ctx, const config *c)
{
    static const size_t s0[] = {1, 7, 33, 4, 257, 9, 2, 65, 1031, 3};
    static const size_t s1[] = {5, 129, 1, 16};
    static const size_t s2[] = {3, 31, 8};
    const group_spec gs[3] = {{10, s0, 0, -1, 0, 0}, {4, s1, 0.5f, 0.05f, 0.5f, 0}, {3, s2, 2.0f, 0.0f, 0, 2}};
    run_layout(ctx, c, 3, gs);
}

/* 50 tensors of odd sizes (1 included) in one group. */
static void many_small(clnn_context *ctx, const config *c)
{
    size_t sizes[50];
    for (size_t i = 0; i < 50; i++) sizes[i] = i == 0 ? 1 : (i * 37) % 61 + (i % 5 == 0 ? 1 : 2);
    const group_spec gs[1] = {{50, sizes, 0, -1, 0, 0}};
    run_layout(ctx, c, 1, gs);
}

/* Forced configurations of the multi-tensor kernel (work-groups across
 * slots, vector widths and work per item) against the per-tensor kernel at
 * its default; the tuner's replays of it match the default bit for bit. */
static void forced_configs(clnn_context *ctx)
{
    static const clnn_tune_config cfgs[] = {
        {{1, 1, 1}, {1, 1}}, {{3, 2, 1}, {2, 4}}, {{64, 1, 1}, {8, 8}}, {{5, 3, 1}, {4, 2}}};
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        char why[128];
        snprintf(why, sizeof why, "optim.step_multi local %zux%zu WPT %d VW %d (does not fit this device)",
                 cfgs[i].local[0], cfgs[i].local[1], cfgs[i].params[0], cfgs[i].params[1]);
        if (clnn_tune_force(ctx, "optim.step_multi", &cfgs[i]) != CLNN_OK) {
            test_skip(why);
            continue;
        }
        three_groups(ctx, &configs[i % 2 ? 6 : 2]);
    }
    CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
    test_tuner_replays(ctx, "optim.step_multi", (const size_t[2]){test_small() ? 99 : 1001, 1});
}

/* A checkpoint (state tensors and step counter) restored into a second
 * object over copies of the parameters: the next steps agree bit for bit. */
static void checkpoint(clnn_context *ctx)
{
    enum { N = 3 };
    const size_t sizes[N] = {17, 1, 130};
    clnn_tensor *wa[N], *wb[N], *g[N];
    clnn_param pa[N], pb[N];
    for (int i = 0; i < N; i++) {
        wa[i] = random_tensor(ctx, sizes[i], 7u + (unsigned)i, -1.0f, 1.0f);
        wb[i] = zeros(ctx, sizes[i]);
        g[i] = random_tensor(ctx, sizes[i], 9u + (unsigned)i, -1.0f, 1.0f);
        pa[i] = (clnn_param){wa[i], g[i], NULL, NULL, NULL, i == 1};
        pb[i] = (clnn_param){wb[i], g[i], NULL, NULL, NULL, i == 1};
    }
    clnn_optimizer_state *a = NULL, *b = NULL;
    clnn_param_group ga, gb;
    clnn_param_group_init(&ga);
    ga.nparams = N, ga.params = pa;
    gb = ga;
    gb.params = pb;
    CHECK_OK(ctx, clnn_optimizer_create(ctx, NULL, CLNN_OPTIMIZER_AMSGRAD, &a));
    CHECK_OK(ctx, clnn_optimizer_create(ctx, NULL, CLNN_OPTIMIZER_AMSGRAD, &b));
    REQUIRE(a && b, "optimizers");
    CHECK_OK(ctx, clnn_optimizer_add_group(a, &ga));
    CHECK_OK(ctx, clnn_optimizer_add_group(b, &gb));
    for (int s = 0; s < 3; s++) CHECK_OK(ctx, clnn_optimizer_step(a, 0, NULL));
    /* save a, restore into b */
    unsigned long step = 0;
    CHECK_OK(ctx, clnn_optimizer_get_step(a, 0, &step));
    CHECK(step == 3, "checkpoint: %lu steps counted", step);
    CHECK_OK(ctx, clnn_optimizer_set_step(b, 0, step));
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 3; k++) { /* through a caller's tensor, as a checkpoint file would */
            clnn_tensor *saved = zeros(ctx, sizes[i]);
            CHECK_OK(ctx, clnn_optimizer_state_save(a, (size_t)i, (clnn_optim_buffer)k, saved));
            CHECK_OK(ctx, clnn_optimizer_state_load(b, (size_t)i, (clnn_optim_buffer)k, saved));
            clnn_tensor_release(saved);
        }
        float *x = test_download(ctx, wa[i]);
        CHECK_OK(ctx, clnn_tensor_upload(wb[i], x, sizes[i] * sizeof *x));
        free(x);
    }
    for (int s = 0; s < 2; s++) {
        CHECK_OK(ctx, clnn_optimizer_step(a, 0, NULL));
        CHECK_OK(ctx, clnn_optimizer_step(b, 0, NULL));
    }
    for (int i = 0; i < N; i++) CHECK(same_bits(ctx, wa[i], wb[i], sizes[i]), "checkpoint: w[%d] differs", i);
    clnn_optimizer_release(a), clnn_optimizer_release(b);
    for (int i = 0; i < N; i++) clnn_tensor_release(wa[i]), clnn_tensor_release(wb[i]), clnn_tensor_release(g[i]);
}

/* Refused calls: a message naming the function, and nothing changed. */
static void bad_input(clnn_context *ctx)
{
    const float sentinel = 0.25f;
    clnn_tensor *w = test_filled(ctx, CLNN_FLOAT32, 6, 0, sentinel), *g = test_filled(ctx, CLNN_FLOAT32, 6, 0, 1.0f);
    clnn_tensor *w5 = test_filled(ctx, CLNN_FLOAT32, 5, 0, sentinel), *m = test_filled(ctx, CLNN_FLOAT32, 6, 0, 0);
    clnn_tensor *i32 = test_filled(ctx, CLNN_INT32, 6, 0, 0), *coef = test_filled(ctx, CLNN_FLOAT32, 1, 0, 0.1f);
    clnn_optimizer_state *opt = NULL;
    clnn_optim_options o;
    clnn_optim_options_init(&o);
    const char *cr = "clnn_optimizer_create";
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(NULL, &o, 0, &opt));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(ctx, &o, 0, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(ctx, &o, 2, &opt));
    clnn_optim_options bad = o;
    bad.lr = -1;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(ctx, &bad, 0, &opt));
    bad = o, bad.kind = CLNN_OPTIM_ADEMAMIX; /* AdEMAMix has no AMSGrad form */
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(ctx, &bad, CLNN_OPTIMIZER_AMSGRAD, &opt));
    bad = o, bad.kind = CLNN_OPTIM_SGD;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(ctx, &bad, CLNN_OPTIMIZER_AMSGRAD, &opt));
    bad = o, bad.size = 0;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cr, clnn_optimizer_create(ctx, &bad, 0, &opt));
    CHECK(opt == NULL, "a refused create set *out");

    CHECK_OK(ctx, clnn_optimizer_create(ctx, &o, 0, &opt));
    REQUIRE(opt, "optimizer");
    const char *st = "clnn_optimizer_step";
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(opt, 0, NULL)); /* no groups */
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(NULL, 0, NULL));

    const char *ad = "clnn_optimizer_add_group";
    clnn_param p = {w, g, NULL, NULL, NULL, 0};
    clnn_param_group gr;
    clnn_param_group_init(&gr);
    gr.nparams = 1, gr.params = &p;
    clnn_param_group bg = gr;
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(NULL, &gr));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, NULL));
    bg.size = 0;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bg = gr, bg.nparams = 0;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bg = gr, bg.params = NULL;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bg = gr, bg.lr = -0.5f;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bg = gr, bg.beta2 = 1.0f;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bg = gr, bg.maximize = 2;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bg = gr, bg.eps = INFINITY;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    clnn_param bp = p;
    bg = gr, bg.params = &bp;
    bp.m = m;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bp = p, bp.g = w5;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ad, clnn_optimizer_add_group(opt, &bg));
    bp = p, bp.mask = w5;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ad, clnn_optimizer_add_group(opt, &bg));
    bp = p, bp.g = i32;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ad, clnn_optimizer_add_group(opt, &bg));
    bp = p, bp.g = w;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    bp = p, bp.w = NULL;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    clnn_param twice[2] = {p, p};
    bg = gr, bg.params = twice, bg.nparams = 2;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &bg));
    size_t ng = 9, np = 9;
    CHECK_OK(ctx, clnn_optimizer_counts(opt, &ng, &np));
    CHECK(ng == 0 && np == 0, "refused groups were added: %zu groups, %zu parameters", ng, np);

    CHECK_OK(ctx, clnn_optimizer_add_group(opt, &gr));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ad, clnn_optimizer_add_group(opt, &gr)); /* w again */
    CHECK_OK(ctx, clnn_optimizer_counts(opt, &ng, &np));
    CHECK(ng == 1 && np == 1, "after one group: %zu groups, %zu parameters", ng, np);

    /* refused steps: no counter, no buffer */
    clnn_reg l1 = {CLNN_REG_L1, 0.1f, 0, NULL}, en = {CLNN_REG_ELASTIC_NET, 0.1f, 0.1f, NULL};
    clnn_reg regs_rep[2] = {l1, l1}, regs_both[2] = {l1, en};
    clnn_reg perp_short = {CLNN_REG_PERPGRAD, 0.5f, 0, NULL}, neg = {CLNN_REG_L2, -1.0f, 0, NULL};
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(opt, 1, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(opt, 2, regs_rep));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(opt, 2, regs_both));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(opt, 1, &perp_short));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, st, clnn_optimizer_step(opt, 1, &neg));
    unsigned long step = 7;
    CHECK_OK(ctx, clnn_optimizer_get_step(opt, 0, &step));
    CHECK(step == 0, "refused steps counted: %lu", step);
    test_expect_filled(ctx, "w after refused steps", w, sentinel);
    clnn_tensor *saved = test_filled(ctx, CLNN_FLOAT32, 6, 0, sentinel);
    CHECK_OK(ctx, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_M, saved));
    test_expect_filled(ctx, "m after refused steps", saved, 0.0f);
    CHECK_OK(ctx, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_V, saved));
    test_expect_filled(ctx, "v after refused steps", saved, 0.0f);
    CHECK_OK(ctx, clnn_tensor_fill(saved, sentinel));
    const char *sv = "clnn_optimizer_state_save", *ld = "clnn_optimizer_state_load";
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_VMAX, saved));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(opt, 1, CLNN_OPTIM_BUF_M, saved));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_M2, saved));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(opt, 0, (clnn_optim_buffer)4, saved));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, sv, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_M, w5));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_M, NULL));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(NULL, 0, CLNN_OPTIM_BUF_M, saved));
    test_expect_filled(ctx, "dst of refused saves", saved, sentinel);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ld, clnn_optimizer_state_load(opt, 0, CLNN_OPTIM_BUF_VMAX, saved));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ld, clnn_optimizer_state_load(opt, 0, CLNN_OPTIM_BUF_V, w5));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ld, clnn_optimizer_state_load(opt, 0, CLNN_OPTIM_BUF_V, i32));
    CHECK_OK(ctx, clnn_optimizer_state_save(opt, 0, CLNN_OPTIM_BUF_V, saved));
    test_expect_filled(ctx, "v after refused loads", saved, 0.0f);
    clnn_tensor_release(saved);

    /* AdEMAMix's alpha and beta3: only on an AdEMAMix object, in range */
    const char *sa = "clnn_optimizer_set_ademamix";
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sa, clnn_optimizer_set_ademamix(opt, 0, 5.0f, 0.999f));
    clnn_optimizer_state *amix = NULL;
    clnn_optim_options ao = o;
    ao.kind = CLNN_OPTIM_ADEMAMIX;
    CHECK_OK(ctx, clnn_optimizer_create(ctx, &ao, 0, &amix));
    REQUIRE(amix, "AdEMAMix optimizer");
    CHECK_OK(ctx, clnn_optimizer_add_group(amix, &gr));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sa, clnn_optimizer_set_ademamix(amix, 1, 5.0f, 0.999f));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sa, clnn_optimizer_set_ademamix(amix, 0, -1.0f, 0.999f));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sa, clnn_optimizer_set_ademamix(amix, 0, 5.0f, 1.0f));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sa, clnn_optimizer_set_ademamix(amix, 0, NAN, 0.999f));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, sa, clnn_optimizer_set_ademamix(NULL, 0, 5.0f, 0.999f));
    clnn_tensor *m2 = test_filled(ctx, CLNN_FLOAT32, 6, 0, sentinel);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sv, clnn_optimizer_state_save(amix, 0, CLNN_OPTIM_BUF_VMAX, m2));
    CHECK_OK(ctx, clnn_optimizer_state_save(amix, 0, CLNN_OPTIM_BUF_M2, m2));
    test_expect_filled(ctx, "a new group's m2", m2, 0.0f);
    clnn_tensor_release(m2);
    clnn_optimizer_release(amix);

    const char *sl = "clnn_optimizer_set_lr";
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sl, clnn_optimizer_set_lr(opt, 1, 0.1f));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sl, clnn_optimizer_set_lr(opt, 0, NAN));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, sl, clnn_optimizer_set_lr(opt, 0, -1.0f));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, sl, clnn_optimizer_set_lr(NULL, 0, 0.1f));
    clnn_optim_options got;
    CHECK_OK(ctx, clnn_optimizer_group_options(opt, 0, &got));
    CHECK(got.lr == o.lr && got.step == 1, "refused set_lr changed lr to %g (step %lu)", (double)got.lr, got.step);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_optimizer_group_options",
                clnn_optimizer_group_options(opt, 0, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_optimizer_get_step", clnn_optimizer_get_step(opt, 0, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_optimizer_get_step", clnn_optimizer_get_step(opt, 3, &step));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_optimizer_set_step", clnn_optimizer_set_step(opt, 1, 2));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_optimizer_counts", clnn_optimizer_counts(NULL, &ng, &np));

    /* the step that is accepted moves w and counts */
    CHECK_OK(ctx, clnn_optimizer_step(opt, 0, NULL));
    CHECK_OK(ctx, clnn_optimizer_get_step(opt, 0, &step));
    CHECK(step == 1, "one step counted as %lu", step);
    clnn_optimizer_release(opt);
    clnn_optimizer_release(NULL);
    clnn_tensor_release(w), clnn_tensor_release(g), clnn_tensor_release(w5), clnn_tensor_release(m);
    clnn_tensor_release(i32), clnn_tensor_release(coef);
}

int main(void)
{
    clnn_context *ctx = test_context();
    bad_input(ctx);
    /* the simulator (small mode) leaves out plain SGD, Adam and AdamW+AMSGrad:
     * their kernel variants also run in the configurations with regs */
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++)
        if (!test_small() || (c != 0 && c != 3 && c != 5)) three_groups(ctx, &configs[c]);
    many_small(ctx, &configs[4]);
    if (!test_small()) {
        many_small(ctx, &configs[1]);
        many_small(ctx, &configs[6]);
    }
    checkpoint(ctx);
    forced_configs(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
