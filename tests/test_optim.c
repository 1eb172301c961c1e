/* The fused optimizer step against the double-precision reference
 * (tests/ref/ref_optim.c) over several steps, for every optimizer and
 * regularizer combination, on awkward sizes; fused against the unfused
 * sequence of separate kernels; determinism; parameter lists.
 *
 * Tolerance: |device - reference| <= 2e-6 + 1e-5·|reference| for w, m and v
 * after 3 steps. Every quantity is O(1) (w, g in [-1, 1]); each step is a
 * handful of fp32 operations with relative error of a few ulp (sqrt and
 * division in OpenCL: <= 3 ulp), and the only cancellations (m with gradients
 * of alternating sign, the soft-threshold near its kink) lose absolute, not
 * relative, accuracy of order ulp(1) ~ 1e-7 per step. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

#define ATOL 2e-6
#define RTOL 1e-5
#define STEPS 3

typedef struct combo {
    const char *name;
    clnn_optimizer kind;
    float momentum;
    int nesterov;
    float weight_decay;
    int l2, decay, prox, clip, clip_buf, perp, mask, no_decay;
    float dampening;
    int maximize;
} combo;

static const combo combos[] = {
    {"sgd", CLNN_OPTIM_SGD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"sgd wd", CLNN_OPTIM_SGD, 0, 0, 0.05f, 0, 0, 0, 0, 0, 0, 0, 0},
    {"momentum l2 mask", CLNN_OPTIM_SGD, 0.9f, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0},
    {"nesterov decay l1", CLNN_OPTIM_SGD, 0.8f, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0},
    {"adam", CLNN_OPTIM_ADAM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"adam wd clip", CLNN_OPTIM_ADAM, 0, 0, 0.02f, 0, 0, 0, 1, 0, 0, 0, 0},
    {"adamw", CLNN_OPTIM_ADAMW, 0, 0, 0.1f, 0, 0, 0, 0, 0, 0, 0, 0},
    {"adamw l1 mask clipbuf", CLNN_OPTIM_ADAMW, 0, 0, 0.1f, 0, 0, 1, 1, 1, 0, 1, 0},
    {"adamw elastic perp", CLNN_OPTIM_ADAMW, 0, 0, 0.1f, 1, 1, 2, 0, 0, 1, 0, 0},
    {"adamw all, no_decay", CLNN_OPTIM_ADAMW, 0, 0, 0.1f, 1, 1, 1, 1, 1, 1, 1, 1},
    {"momentum everything", CLNN_OPTIM_SGD, 0.9f, 0, 0.01f, 1, 1, 2, 1, 1, 1, 1, 0},
    {"momentum dampening wd", CLNN_OPTIM_SGD, 0.9f, 0, 0.01f, 0, 0, 0, 0, 0, 0, 0, 0, 0.3f, 0},
    {"momentum dampening maximize l2 clip", CLNN_OPTIM_SGD, 0.8f, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0.5f, 1},
    {"nesterov maximize", CLNN_OPTIM_SGD, 0.8f, 1, 0.01f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {"adam maximize wd", CLNN_OPTIM_ADAM, 0, 0, 0.02f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {"adamw maximize l1 mask", CLNN_OPTIM_ADAMW, 0, 0, 0.1f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1},
};

static clnn_optim_options optim_of(const combo *c, unsigned long step)
{
    clnn_optim_options o = {sizeof(clnn_optim_options), c->kind, c->kind == CLNN_OPTIM_SGD ? 0.05f : 0.01f,
                            c->momentum, c->nesterov,
                    0.9f, 0.999f, 1e-8f, c->weight_decay, step, c->dampening, c->maximize};
    return o;
}

static void to_double(const float *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = a[i];
}

/* Host buffers of one parameter, its reference state and its device tensors. */
typedef struct param_case {
    size_t n;
    float *w, *g, *mask, *out;
    double *rw, *rm, *rv, *rg, *rmask;
    clnn_tensor *tw, *tg, *tm, *tv, *tmask;
} param_case;

static void param_init(clnn_context *ctx, param_case *p, size_t n, unsigned seed, int use_m, int use_v)
{
    p->n = n;
    p->w = malloc(n * sizeof(float));
    p->g = malloc(n * sizeof(float));
    p->mask = malloc(n * sizeof(float));
    p->out = malloc(n * sizeof(float));
    p->rw = malloc(n * sizeof(double));
    p->rm = calloc(n, sizeof(double));
    p->rv = calloc(n, sizeof(double));
    p->rg = malloc(n * sizeof(double));
    p->rmask = malloc(n * sizeof(double));
    REQUIRE(p->w && p->g && p->mask && p->out && p->rw && p->rm && p->rv && p->rg && p->rmask, "out of memory");
    test_fill_uniform(p->w, n, seed, -1.0f, 1.0f);
    test_fill_uniform(p->mask, n, seed + 1, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) p->mask[i] = p->mask[i] < 0.7f ? 1.0f : 0.0f;
    to_double(p->w, p->rw, n);
    to_double(p->mask, p->rmask, n);
    p->tw = test_tensor_from(ctx, 1, &n, p->w);
    p->tg = test_tensor_from(ctx, 1, &n, p->w); /* overwritten per step */
    p->tmask = test_tensor_from(ctx, 1, &n, p->mask);
    p->tm = p->tv = NULL;
    if (use_m) {
        REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &p->tm) == CLNN_OK, "m");
        CHECK_OK(ctx, clnn_tensor_fill(p->tm, 0.0f));
    }
    if (use_v) {
        REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &p->tv) == CLNN_OK, "v");
        CHECK_OK(ctx, clnn_tensor_fill(p->tv, 0.0f));
    }
}

static void param_free(param_case *p)
{
    free(p->w), free(p->g), free(p->mask), free(p->out);
    free(p->rw), free(p->rm), free(p->rv), free(p->rg), free(p->rmask);
    clnn_tensor_release(p->tw), clnn_tensor_release(p->tg), clnn_tensor_release(p->tm);
    clnn_tensor_release(p->tv), clnn_tensor_release(p->tmask);
}

/* New gradient for a step (uploaded to the device and kept in double). */
static void param_gradient(clnn_context *ctx, param_case *p, unsigned seed)
{
    test_fill_uniform(p->g, p->n, seed, -1.0f, 1.0f);
    to_double(p->g, p->rg, p->n);
    CHECK_OK(ctx, clnn_tensor_upload(p->tg, p->g, p->n * sizeof(float)));
}

/* perpGrad coefficient <g, w> / ||w||^2 of the reference state, rounded to fp32. */
static float perp_coef(const param_case *p)
{
    double gw = 0, ww = 0;
    for (size_t i = 0; i < p->n; i++) gw += p->rg[i] * p->rw[i], ww += p->rw[i] * p->rw[i];
    return ww > 0 ? (float)(gw / ww) : 0.0f;
}

static void check_param(clnn_context *ctx, const char *what, size_t n, param_case *p)
{
    CHECK_OK(ctx, clnn_tensor_download(p->tw, p->out, n * sizeof(float)));
    double e = test_max_rel_error(p->out, p->rw, n, ATOL, RTOL);
    CHECK(e <= 1, "%s n=%zu: w error %.3g of tolerance", what, n, e);
    if (p->tm) {
        CHECK_OK(ctx, clnn_tensor_download(p->tm, p->out, n * sizeof(float)));
        e = test_max_rel_error(p->out, p->rm, n, ATOL, RTOL);
        CHECK(e <= 1, "%s n=%zu: m error %.3g of tolerance", what, n, e);
    }
    if (p->tv) {
        CHECK_OK(ctx, clnn_tensor_download(p->tv, p->out, n * sizeof(float)));
        e = test_max_rel_error(p->out, p->rv, n, ATOL, RTOL);
        CHECK(e <= 1, "%s n=%zu: v error %.3g of tolerance", what, n, e);
    }
}

/* Runs STEPS steps of a combination over a list of parameters of the given
 * sizes; every parameter is checked against the reference. */
static void run_combo(clnn_context *ctx, const combo *c, size_t nparams, const size_t *sizes)
{
    const float l2 = 0.03f, decay = 0.2f, l1 = 0.3f, l2e = 0.4f, clip = 0.9f, clip_dev = 0.7f, alpha = 0.8f;
    int use_m = c->kind != CLNN_OPTIM_SGD || c->momentum > 0, use_v = c->kind != CLNN_OPTIM_SGD;
    param_case ps[4];
    clnn_param params[4];
    float coefs[4];
    size_t np = nparams;
    for (size_t i = 0; i < np; i++) {
        param_init(ctx, &ps[i], sizes[i], 11u + 7u * (unsigned)i, use_m, use_v);
        clnn_param p = {ps[i].tw, ps[i].tg, ps[i].tm, ps[i].tv, c->mask ? ps[i].tmask : NULL,
                        c->no_decay && i == 0};
        params[i] = p;
    }
    size_t one = 1;
    clnn_tensor *tclip = test_tensor_from(ctx, 1, &one, &clip_dev);
    clnn_tensor *tcoef = test_tensor_from(ctx, 1, &np, coefs);
    clnn_reg regs[6];
    size_t nregs = 0;
    if (c->l2) regs[nregs++] = (clnn_reg){CLNN_REG_L2, l2, 0, NULL};
    if (c->decay) regs[nregs++] = (clnn_reg){CLNN_REG_DECAY, decay, 0, NULL};
    if (c->prox == 1) regs[nregs++] = (clnn_reg){CLNN_REG_L1, l1, 0, NULL};
    if (c->prox == 2) regs[nregs++] = (clnn_reg){CLNN_REG_ELASTIC_NET, l1, l2e, NULL};
    if (c->clip) regs[nregs++] = (clnn_reg){CLNN_REG_CLIP, clip, 0, c->clip_buf ? tclip : NULL};
    if (c->perp) regs[nregs++] = (clnn_reg){CLNN_REG_PERPGRAD, alpha, 0, tcoef};

    for (unsigned long step = 1; step <= STEPS; step++) {
        for (size_t i = 0; i < np; i++) {
            param_gradient(ctx, &ps[i], 100u * (unsigned)step + (unsigned)i);
            coefs[i] = perp_coef(&ps[i]);
        }
        CHECK_OK(ctx, clnn_tensor_upload(tcoef, coefs, np * sizeof(float)));
        clnn_optim_options o = optim_of(c, step);
        CHECK_OK(ctx, clnn_optim_step(ctx, &o, np, params, nregs, regs));
        for (size_t i = 0; i < np; i++) {
            ref_optim r = {(int)c->kind, o.lr, o.momentum, o.nesterov, o.beta1, o.beta2, o.eps, o.weight_decay,
                           step, c->l2 ? l2 : 0, c->decay ? decay : 0, c->prox, c->prox ? l1 : 0,
                           c->prox == 2 ? l2e : 0,
                           c->clip ? (double)(c->clip_buf ? clip * clip_dev : clip) : 1.0,
                           c->perp ? (double)alpha * coefs[i] : 0.0, c->dampening, c->maximize};
            ref_optim_step(&r, ps[i].n, ps[i].rw, ps[i].rg, ps[i].rm, ps[i].rv, c->mask ? ps[i].rmask : NULL,
                           params[i].no_decay);
        }
    }
    for (size_t i = 0; i < np; i++) check_param(ctx, c->name, ps[i].n, &ps[i]);
    for (size_t i = 0; i < np; i++) param_free(&ps[i]);
    clnn_tensor_release(tclip);
    clnn_tensor_release(tcoef);
}

/* AdamW + L1 + mask + device clip factor fused, against the same work as four
 * separate kernels: scale g, masked decay, plain Adam, masked L1 prox. */
static void fused_vs_unfused(clnn_context *ctx, size_t n)
{
    const float wd = 0.1f, l1 = 0.3f, clip = 0.6f;
    param_case f, u;
    param_init(ctx, &f, n, 5, 1, 1);
    param_init(ctx, &u, n, 5, 1, 1);
    size_t one = 1;
    clnn_tensor *tclip = test_tensor_from(ctx, 1, &one, &clip), *gc = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &gc) == CLNN_OK, "gc");
    clnn_param pf = {f.tw, f.tg, f.tm, f.tv, f.tmask, 0}, pu = {u.tw, gc, u.tm, u.tv, NULL, 0};
    clnn_reg regs[2] = {{CLNN_REG_L1, l1, 0, NULL}, {CLNN_REG_CLIP, 1.0f, 0, tclip}};
    clnn_reg decay = {CLNN_REG_DECAY, wd, 0, NULL}, prox = {CLNN_REG_L1, l1, 0, NULL};
    for (unsigned long step = 1; step <= STEPS; step++) {
        param_gradient(ctx, &f, 50u + (unsigned)step);
        param_gradient(ctx, &u, 50u + (unsigned)step);
        clnn_optim_options ow = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, wd,
                                 step};
        clnn_optim_options oa = ow;
        oa.kind = CLNN_OPTIM_ADAM;
        oa.weight_decay = 0;
        CHECK_OK(ctx, clnn_optim_step(ctx, &ow, 1, &pf, 2, regs));
        CHECK_OK(ctx, clnn_tensor_copy(gc, u.tg));
        CHECK_OK(ctx, clnn_scale(gc, clip));
        CHECK_OK(ctx, clnn_reg_prox(ctx, u.tmask, &decay, oa.lr, u.tw));
        CHECK_OK(ctx, clnn_optim_step(ctx, &oa, 1, &pu, 0, NULL));
        CHECK_OK(ctx, clnn_reg_prox(ctx, u.tmask, &prox, oa.lr, u.tw));
    }
    /* compare fused with unfused (as the "reference", in double) */
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    double *bd = malloc(n * sizeof(double));
    REQUIRE(a && b && bd, "out of memory");
    clnn_tensor *pairs[3][2] = {{f.tw, u.tw}, {f.tm, u.tm}, {f.tv, u.tv}};
    const char *names[3] = {"w", "m", "v"};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(ctx, clnn_tensor_download(pairs[k][0], a, n * sizeof(float)));
        CHECK_OK(ctx, clnn_tensor_download(pairs[k][1], b, n * sizeof(float)));
        to_double(b, bd, n);
        double e = test_max_rel_error(a, bd, n, ATOL, RTOL);
        CHECK(e <= 1, "fused vs unfused n=%zu: %s error %.3g of tolerance", n, names[k], e);
    }
    free(a), free(b), free(bd);
    clnn_tensor_release(tclip), clnn_tensor_release(gc);
    param_free(&f), param_free(&u);
}

/* The standalone proximal / decay steps against the reference step with lr
 * and strengths but no optimizer update (g = 0, SGD). */
static void standalone_prox(clnn_context *ctx, size_t n)
{
    clnn_reg regs[3] = {{CLNN_REG_DECAY, 0.5f, 0, NULL}, {CLNN_REG_L1, 2.0f, 0, NULL},
                        {CLNN_REG_ELASTIC_NET, 1.5f, 3.0f, NULL}};
    for (int k = 0; k < 3; k++)
        for (int masked = 0; masked < 2; masked++) {
            param_case p;
            param_init(ctx, &p, n, 77u + (unsigned)k, 0, 0);
            float lr = 0.1f;
            CHECK_OK(ctx, clnn_reg_prox(ctx, masked ? p.tmask : NULL, &regs[k], lr, p.tw));
            for (size_t i = 0; i < n; i++) p.rg[i] = 0;
            ref_optim r = {0};
            r.lr = lr, r.clip = 1, r.step = 1;
            if (k == 0) r.decay = regs[k].strength;
            else r.prox = k, r.l1 = regs[k].strength, r.l2e = regs[k].strength2;
            ref_optim_step(&r, n, p.rw, p.rg, p.rm, p.rv, masked ? p.rmask : NULL, 0);
            check_param(ctx, "prox", n, &p);
            param_free(&p);
        }
}

/* Same inputs twice: identical bits (the step is elementwise and its
 * arithmetic fixed by the variant). */
static void determinism(clnn_context *ctx, size_t n)
{
    float *out[2];
    for (int run = 0; run < 2; run++) {
        param_case p;
        param_init(ctx, &p, n, 9, 1, 1);
        clnn_param cp = {p.tw, p.tg, p.tm, p.tv, p.tmask, 0};
        clnn_reg regs[2] = {{CLNN_REG_ELASTIC_NET, 0.1f, 0.2f, NULL}, {CLNN_REG_CLIP, 0.5f, 0, NULL}};
        for (unsigned long step = 1; step <= 2; step++) {
            param_gradient(ctx, &p, 300u + (unsigned)step);
            clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.99f, 1e-6f,
                                    0.05f, step};
            CHECK_OK(ctx, clnn_optim_step(ctx, &o, 1, &cp, 2, regs));
        }
        out[run] = malloc(n * sizeof(float));
        REQUIRE(out[run], "out of memory");
        CHECK_OK(ctx, clnn_tensor_download(p.tw, out[run], n * sizeof(float)));
        param_free(&p);
    }
    CHECK(memcmp(out[0], out[1], n * sizeof(float)) == 0, "two runs differ n=%zu", n);
    free(out[0]), free(out[1]);
}

/* AMSGrad (clnn_amsgrad_step) against ref_amsgrad_step over 6 steps whose
 * gradients shrink, so that v falls below its running maximum; Adam and
 * AdamW (decoupled decay), plain and with maximize. */
static void check_amsgrad(clnn_context *ctx, size_t n, clnn_optimizer kind, int maximize)
{
    param_case p;
    param_init(ctx, &p, n, 91u + (unsigned)n, 1, 1);
    clnn_tensor *tvmax = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &tvmax));
    CHECK_OK(ctx, clnn_tensor_fill(tvmax, 0.0f));
    double *rvmax = calloc(n, sizeof *rvmax);
    float *got = malloc(n * sizeof *got);
    REQUIRE(rvmax && got, "host memory");
    clnn_param prm = {p.tw, p.tg, p.tm, p.tv, NULL, 0};
    for (unsigned long step = 1; step <= 6; step++) {
        param_gradient(ctx, &p, 300u + (unsigned)step);
        const float shrink = 1.0f / (float)(step * step);
        for (size_t i = 0; i < n; i++) p.g[i] *= shrink, p.rg[i] = p.g[i];
        CHECK_OK(ctx, clnn_tensor_upload(p.tg, p.g, n * sizeof(float)));
        clnn_optim_options o;
        clnn_optim_options_init(&o);
        o.kind = kind, o.lr = 0.01f, o.weight_decay = 0.05f, o.step = step, o.maximize = maximize;
        clnn_tensor *const vmax[1] = {tvmax};
        CHECK_OK(ctx, clnn_amsgrad_step(ctx, &o, 1, &prm, vmax, 0, NULL));
        ref_optim r = {(int)kind, o.lr, 0, 0, o.beta1, o.beta2, o.eps, o.weight_decay, step, 0, 0, 0, 0, 0, 1.0, 0.0,
                       0.0, maximize};
        ref_amsgrad_step(&r, n, p.rw, p.rg, p.rm, p.rv, rvmax);
    }
    check_param(ctx, maximize ? "amsgrad maximize" : "amsgrad", n, &p);
    CHECK_OK(ctx, clnn_tensor_download(tvmax, got, n * sizeof *got));
    const double e = test_max_rel_error(got, rvmax, n, ATOL, RTOL);
    CHECK(e <= 1, "amsgrad n=%zu: v_max error %.3g of tolerance", n, e);
    /* SGD has no second moment: refused, nothing written */
    clnn_optim_options sgd;
    clnn_optim_options_init(&sgd);
    sgd.kind = CLNN_OPTIM_SGD;
    clnn_tensor *const vmax[1] = {tvmax};
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_amsgrad_step", clnn_amsgrad_step(ctx, &sgd, 1, &prm, vmax, 0, NULL));
    free(rvmax), free(got);
    clnn_tensor_release(tvmax);
    param_free(&p);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_amsgrad(ctx, 7, CLNN_OPTIM_ADAM, 0);
    check_amsgrad(ctx, 4099, CLNN_OPTIM_ADAMW, 0);
    check_amsgrad(ctx, 257, CLNN_OPTIM_ADAMW, 1);
    static const size_t sizes[] = {1, 2, 7, 257, 4099};
    for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) run_combo(ctx, &combos[c], 1, &sizes[s]);
    /* lists: a no_decay / masked / plain mixture in one call */
    static const size_t list[4] = {5, 64, 131, 1};
    for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++) run_combo(ctx, &combos[c], 4, list);
    /* one large case: 2^20 + 3 elements, every regularizer */
    size_t big = ((size_t)1 << 20) + 3;
    if (test_large("optimizer combo 9 on 2^20 + 3 elements")) run_combo(ctx, &combos[9], 1, &big);
    if (test_large("optimizer combo 7 on 2^20 + 3 elements")) run_combo(ctx, &combos[7], 1, &big);
    fused_vs_unfused(ctx, 1);
    fused_vs_unfused(ctx, 1031);
    if (test_large("fused vs unfused on 2^20 + 3 elements")) fused_vs_unfused(ctx, big);
    standalone_prox(ctx, 1);
    standalone_prox(ctx, 997);
    determinism(ctx, test_small() ? 4099 : big);
    clnn_context_release(ctx);
    return check_summary();
}
