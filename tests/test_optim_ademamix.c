/* AdEMAMix (clnn_ademamix_step, the OPT=5 variant of the fused optim_step
 * kernel) against the double-precision reference (ref_ademamix_step, written
 * from Algorithm 1 of Pagliardini et al. 2024) over several steps with every
 * regularizer of the list, on awkward sizes and parameter lists; alpha = 0
 * against the AdamW step bit for bit; the warm-up schedulers against an
 * independent formula (the reference code's half-life form), at their
 * endpoints and for monotonicity.
 *
 * Tolerance as tests/test_optim.c: |device − reference| <= 2e-6 + 1e-5·|ref|
 * after 4 steps. Every quantity is O(1); α·m2 adds one product and one sum
 * per element to Adam's handful of fp32 operations. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

#define ATOL 2e-6
#define RTOL 1e-5
#define STEPS 4

typedef struct combo {
    const char *name;
    float weight_decay;
    int l2, decay, prox, clip, clip_buf, perp, mask, no_decay;
} combo;

static const combo combos[] = {
    {"ademamix", 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"ademamix wd", 0.1f, 0, 0, 0, 0, 0, 0, 0, 0},
    {"ademamix l1 mask clipbuf", 0.1f, 0, 0, 1, 1, 1, 0, 1, 0},
    {"ademamix elastic perp l2 decay", 0.1f, 1, 1, 2, 0, 0, 1, 0, 0},
    {"ademamix all, no_decay", 0.1f, 1, 1, 1, 1, 1, 1, 1, 1},
};

/* One parameter: host data, reference state (double) and device tensors. */
typedef struct param_case {
    size_t n;
    float *g, *out;
    double *rw, *rm, *rv, *rm2, *rg, *rmask;
    clnn_tensor *tw, *tg, *tm, *tv, *tm2, *tmask;
} param_case;

static double *dup_double(const float *x, size_t n)
{
    double *d = malloc(n * sizeof *d);
    REQUIRE(d, "out of memory");
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static clnn_tensor *zeros(clnn_context *ctx, size_t n)
{
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t) == CLNN_OK, "tensor");
    CHECK_OK(ctx, clnn_tensor_fill(t, 0.0f));
    return t;
}

static void param_init(clnn_context *ctx, param_case *p, size_t n, unsigned seed)
{
    float *w = malloc(n * sizeof(float)), *mask = malloc(n * sizeof(float));
    p->n = n;
    p->g = malloc(n * sizeof(float));
    p->out = malloc(n * sizeof(float));
    p->rg = malloc(n * sizeof(double));
    p->rm = calloc(n, sizeof(double));
    p->rv = calloc(n, sizeof(double));
    p->rm2 = calloc(n, sizeof(double));
    REQUIRE(w && mask && p->g && p->out && p->rg && p->rm && p->rv && p->rm2, "out of memory");
    test_fill_uniform(w, n, seed, -1.0f, 1.0f);
    test_fill_uniform(mask, n, seed + 1, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) mask[i] = mask[i] < 0.7f ? 1.0f : 0.0f;
    p->rw = dup_double(w, n);
    p->rmask = dup_double(mask, n);
    p->tw = test_tensor_from(ctx, 1, &n, w);
    p->tg = test_tensor_from(ctx, 1, &n, w);
    p->tmask = test_tensor_from(ctx, 1, &n, mask);
    p->tm = zeros(ctx, n), p->tv = zeros(ctx, n), p->tm2 = zeros(ctx, n);
    free(w), free(mask);
}

static void param_free(param_case *p)
{
    free(p->g), free(p->out), free(p->rw), free(p->rm), free(p->rv), free(p->rm2), free(p->rg), free(p->rmask);
    clnn_tensor *t[] = {p->tw, p->tg, p->tm, p->tv, p->tm2, p->tmask};
    for (size_t i = 0; i < 6; i++) clnn_tensor_release(t[i]);
}

static void param_gradient(clnn_context *ctx, param_case *p, unsigned seed)
{
    test_fill_uniform(p->g, p->n, seed, -1.0f, 1.0f);
    for (size_t i = 0; i < p->n; i++) p->rg[i] = p->g[i];
    CHECK_OK(ctx, clnn_tensor_upload(p->tg, p->g, p->n * sizeof(float)));
}

static float perp_coef(const param_case *p)
{
    double gw = 0, ww = 0;
    for (size_t i = 0; i < p->n; i++) gw += p->rg[i] * p->rw[i], ww += p->rw[i] * p->rw[i];
    return ww > 0 ? (float)(gw / ww) : 0.0f;
}

static void check_state(clnn_context *ctx, const char *what, param_case *p)
{
    const clnn_tensor *t[4] = {p->tw, p->tm, p->tv, p->tm2};
    const double *r[4] = {p->rw, p->rm, p->rv, p->rm2};
    static const char *names[4] = {"w", "m", "v", "m2"};
    for (int k = 0; k < 4; k++) {
        CHECK_OK(ctx, clnn_tensor_download(t[k], p->out, p->n * sizeof(float)));
        double e = test_max_rel_error(p->out, r[k], p->n, ATOL, RTOL);
        CHECK(e <= 1, "%s n=%zu: %s error %.3g of tolerance", what, p->n, names[k], e);
    }
}

/* STEPS steps with the warm-up schedulers driving alpha and beta3 (short
 * warm-ups so that the steps see changing values). */
static void run_combo(clnn_context *ctx, const combo *c, size_t np, const size_t *sizes)
{
    const float l2 = 0.03f, decay = 0.2f, l1 = 0.3f, l2e = 0.4f, clip = 0.9f, clip_dev = 0.7f, palpha = 0.8f;
    const float alpha = 5.0f, beta3 = 0.999f;
    param_case ps[4];
    clnn_param params[4];
    clnn_tensor *m2[4];
    float coefs[4];
    for (size_t i = 0; i < np; i++) {
        param_init(ctx, &ps[i], sizes[i], 21u + 5u * (unsigned)i);
        params[i] = (clnn_param){ps[i].tw, ps[i].tg, ps[i].tm, ps[i].tv, c->mask ? ps[i].tmask : NULL,
                                 c->no_decay && i == 0};
        m2[i] = ps[i].tm2;
    }
    size_t one = 1;
    clnn_tensor *tclip = test_tensor_from(ctx, 1, &one, &clip_dev), *tcoef = test_tensor_from(ctx, 1, &np, coefs);
    clnn_reg regs[6];
    size_t nregs = 0;
    if (c->l2) regs[nregs++] = (clnn_reg){CLNN_REG_L2, l2, 0, NULL};
    if (c->decay) regs[nregs++] = (clnn_reg){CLNN_REG_DECAY, decay, 0, NULL};
    if (c->prox == 1) regs[nregs++] = (clnn_reg){CLNN_REG_L1, l1, 0, NULL};
    if (c->prox == 2) regs[nregs++] = (clnn_reg){CLNN_REG_ELASTIC_NET, l1, l2e, NULL};
    if (c->clip) regs[nregs++] = (clnn_reg){CLNN_REG_CLIP, clip, 0, c->clip_buf ? tclip : NULL};
    if (c->perp) regs[nregs++] = (clnn_reg){CLNN_REG_PERPGRAD, palpha, 0, tcoef};
    for (unsigned long step = 1; step <= STEPS; step++) {
        for (size_t i = 0; i < np; i++) {
            param_gradient(ctx, &ps[i], 500u * (unsigned)step + (unsigned)i);
            coefs[i] = perp_coef(&ps[i]);
        }
        CHECK_OK(ctx, clnn_tensor_upload(tcoef, coefs, np * sizeof(float)));
        float a_t = -1, b_t = -1;
        CHECK_OK(ctx, clnn_ademamix_alpha_at(alpha, 3, step, &a_t));
        CHECK_OK(ctx, clnn_ademamix_beta3_at(0.9f, beta3, 3, step, &b_t));
        clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADEMAMIX, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f,
                                c->weight_decay, step};
        CHECK_OK(ctx, clnn_ademamix_step(ctx, &o, a_t, b_t, np, params, m2, nregs, regs));
        for (size_t i = 0; i < np; i++) {
            ref_optim r = {3, o.lr, 0, 0, o.beta1, o.beta2, o.eps, o.weight_decay, step,
                           c->l2 ? l2 : 0, c->decay ? decay : 0, c->prox, c->prox ? l1 : 0, c->prox == 2 ? l2e : 0,
                           c->clip ? (double)(c->clip_buf ? clip * clip_dev : clip) : 1.0,
                           c->perp ? (double)palpha * coefs[i] : 0.0};
            ref_ademamix_step(&r, a_t, b_t, ps[i].n, ps[i].rw, ps[i].rg, ps[i].rm, ps[i].rv, ps[i].rm2,
                              c->mask ? ps[i].rmask : NULL, params[i].no_decay);
        }
    }
    for (size_t i = 0; i < np; i++) check_state(ctx, c->name, &ps[i]);
    for (size_t i = 0; i < np; i++) param_free(&ps[i]);
    clnn_tensor_release(tclip), clnn_tensor_release(tcoef);
}

/* alpha = 0 leaves m + 0·m2 = m: the step must equal AdamW's bit for bit
 * (w, m, v), with a regularizer list, and m2 must still follow its EMA. */
static void alpha_zero_is_adamw(clnn_context *ctx, size_t n)
{
    param_case a, b;
    param_init(ctx, &a, n, 3);
    param_init(ctx, &b, n, 3);
    clnn_param pa = {a.tw, a.tg, a.tm, a.tv, a.tmask, 0}, pb = {b.tw, b.tg, b.tm, b.tv, b.tmask, 0};
    clnn_tensor *m2[1] = {a.tm2};
    clnn_reg regs[2] = {{CLNN_REG_L1, 0.05f, 0, NULL}, {CLNN_REG_CLIP, 0.8f, 0, NULL}};
    for (unsigned long step = 1; step <= 3; step++) {
        param_gradient(ctx, &a, 70u + (unsigned)step);
        param_gradient(ctx, &b, 70u + (unsigned)step);
        clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADEMAMIX, 0.01f, 0, 0, 0.9f, 0.99f, 1e-7f,
                                0.05f, step};
        CHECK_OK(ctx, clnn_ademamix_step(ctx, &o, 0.0f, 0.99f, 1, &pa, m2, 2, regs));
        o.kind = CLNN_OPTIM_ADAMW;
        CHECK_OK(ctx, clnn_optim_step(ctx, &o, 1, &pb, 2, regs));
    }
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    REQUIRE(x && y, "out of memory");
    const clnn_tensor *ta[3] = {a.tw, a.tm, a.tv}, *tb[3] = {b.tw, b.tm, b.tv};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(ctx, clnn_tensor_download(ta[k], x, n * sizeof(float)));
        CHECK_OK(ctx, clnn_tensor_download(tb[k], y, n * sizeof(float)));
        CHECK(memcmp(x, y, n * sizeof(float)) == 0, "alpha 0 vs AdamW n=%zu: tensor %d differs", n, k);
    }
    CHECK_OK(ctx, clnn_tensor_download(a.tm2, x, n * sizeof(float)));
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero |= x[i] != 0.0f;
    CHECK(nonzero, "alpha 0: m2 was not updated (n=%zu)", n);
    free(x), free(y);
    param_free(&a), param_free(&b);
}

/* The reference code's form of the beta3 warm-up (linear interpolation of
 * the half-life f(β) = ln(1/2)/ln β − 1, inverted by f⁻¹(h) = (1/2)^(1/(h + 1))),
 * capped at β3 as in the paper: an independent way to the same value. */
static double ref_beta3(double b1, double b3, double t, double T)
{
    double a = T == 0 || t >= T ? 1.0 : t / T;
    double f1 = log(0.5) / log(b1) - 1, f3 = log(0.5) / log(b3) - 1;
    double b = pow(0.5, 1.0 / ((1 - a) * f1 + a * f3 + 1));
    return b < b3 ? b : b3;
}

static void schedulers(void)
{
    const float alpha = 8.0f, b1 = 0.9f, b3 = 0.9999f;
    const unsigned long T = 1000;
    float prev_a = -1, prev_b = 0, x = -1;
    int mono_a = 1, mono_b = 1;
    double worst = 0;
    for (unsigned long t = 0; t <= 1500; t++) {
        float a_t = -1, b_t = -1;
        CHECK_OK(NULL, clnn_ademamix_alpha_at(alpha, T, t, &a_t));
        CHECK_OK(NULL, clnn_ademamix_beta3_at(b1, b3, T, t, &b_t));
        mono_a &= a_t >= prev_a;
        mono_b &= b_t >= prev_b;
        prev_a = a_t, prev_b = b_t;
        double ra = alpha * (t >= T ? 1.0 : (double)t / T), rb = ref_beta3(b1, b3, (double)t, (double)T);
        double e = fmax(fabs(a_t - ra) / (1e-6 + 1e-6 * ra), fabs(b_t - rb) / (1e-7 + 1e-7 * rb));
        worst = fmax(worst, e);
    }
    CHECK(mono_a && mono_b, "schedules not monotone (alpha %d, beta3 %d)", mono_a, mono_b);
    CHECK(worst <= 1, "scheduler vs reference: %.3g of tolerance", worst);
    /* endpoints: alpha 0 and beta1 at t = 0; the final values from t = T on */
    CHECK_OK(NULL, clnn_ademamix_alpha_at(alpha, T, 0, &x));
    CHECK(x == 0.0f, "alpha_0 = %g", (double)x);
    CHECK_OK(NULL, clnn_ademamix_alpha_at(alpha, T, T, &x));
    CHECK(x == alpha, "alpha_T = %g", (double)x);
    CHECK_OK(NULL, clnn_ademamix_beta3_at(b1, b3, T, 0, &x));
    CHECK(fabs(x - b1) <= 1e-7, "beta3_0 = %.9g, expected beta1 %.9g", (double)x, (double)b1);
    CHECK_OK(NULL, clnn_ademamix_beta3_at(b1, b3, T, T, &x));
    CHECK(x == b3, "beta3_T = %.9g", (double)x);
    CHECK_OK(NULL, clnn_ademamix_beta3_at(b1, b3, T, 5 * T, &x));
    CHECK(x == b3, "beta3 after T = %.9g", (double)x);
    /* no warm-up (T = 0): the final values at once */
    CHECK_OK(NULL, clnn_ademamix_alpha_at(alpha, 0, 1, &x));
    CHECK(x == alpha, "alpha without warm-up = %g", (double)x);
    CHECK_OK(NULL, clnn_ademamix_beta3_at(b1, b3, 0, 1, &x));
    CHECK(x == b3, "beta3 without warm-up = %.9g", (double)x);
    /* beta3 below beta1: capped at beta3 throughout */
    CHECK_OK(NULL, clnn_ademamix_beta3_at(0.99f, 0.95f, T, T / 2, &x));
    CHECK(x == 0.95f, "beta3 < beta1: %.9g, expected 0.95", (double)x);
    /* the half-life halfway: 1/ln β is linear in t */
    CHECK_OK(NULL, clnn_ademamix_beta3_at(b1, b3, T, T / 2, &x));
    double mid = 0.5 / log((double)b1) + 0.5 / log((double)b3);
    CHECK(fabs(1.0 / log((double)x) - mid) <= 1e-3 * fabs(mid), "beta3 at T/2 = %.9g: 1/ln = %g, expected %g",
          (double)x, 1.0 / log((double)x), mid);
}

/* Same inputs twice: the same bits. */
static void determinism(clnn_context *ctx, size_t n)
{
    float *out[2];
    for (int run = 0; run < 2; run++) {
        param_case p;
        param_init(ctx, &p, n, 9);
        clnn_param cp = {p.tw, p.tg, p.tm, p.tv, p.tmask, 0};
        clnn_tensor *m2[1] = {p.tm2};
        clnn_reg regs[1] = {{CLNN_REG_ELASTIC_NET, 0.1f, 0.2f, NULL}};
        for (unsigned long step = 1; step <= 2; step++) {
            param_gradient(ctx, &p, 800u + (unsigned)step);
            clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADEMAMIX, 0.01f, 0, 0, 0.9f, 0.99f, 1e-6f,
                                    0.05f, step};
            CHECK_OK(ctx, clnn_ademamix_step(ctx, &o, 6.0f, 0.9999f, 1, &cp, m2, 1, regs));
        }
        out[run] = test_download(ctx, p.tw);
        param_free(&p);
    }
    CHECK(memcmp(out[0], out[1], n * sizeof(float)) == 0, "two runs differ n=%zu", n);
    free(out[0]), free(out[1]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    static const size_t sizes[] = {1, 2, 7, 257, 4099};
    for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) run_combo(ctx, &combos[c], 1, &sizes[s]);
    static const size_t list[4] = {5, 64, 131, 1};
    for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++) run_combo(ctx, &combos[c], 4, list);
    size_t big = ((size_t)1 << 20) + 3;
    if (test_large("AdEMAMix, every regularizer, on 2^20 + 3 elements")) run_combo(ctx, &combos[4], 1, &big);
    alpha_zero_is_adamw(ctx, 1);
    alpha_zero_is_adamw(ctx, 1031);
    schedulers();
    determinism(ctx, test_small() ? 4099 : big);
    clnn_context_release(ctx);
    return check_summary();
}
