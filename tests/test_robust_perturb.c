/* Input perturbations (include/clnn/robust.h: clnn_perturb_step and
 * clnn_perturb_random_start) against double-precision code written here
 * from the papers' definitions: every kind, with and without clipping, on
 * samples of 1, 5, 255 and 300 elements (more than the norm's 256 lanes),
 * gradients with exact zeros and one all-zero sample (no L2 step), starting
 * perturbations outside the ball (PGD's projection), and the random starts
 * against the Philox reference (uniforms exactly; normals through
 * Box-Muller in double, the kernel's log and cos builtins allowed a few
 * ulp). The same bits for forced local sizes; bad arguments refused with
 * the outputs unchanged. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static const char *const kind_names[] = {"FGSM", "PGD L-inf", "PGD L2", "VAT"};

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static clnn_tensor *from(clnn_context *ctx, size_t n, size_t d, const float *v)
{
    size_t shape[2] = {n, d};
    return test_tensor_from(ctx, 2, shape, v);
}

/* The step on the host, in double, for one sample of d elements. */
static void ref_step(const clnn_perturb_options *o, const float *x, const float *g, const float *delta0, size_t d,
                     double *delta, double *adv)
{
    double gn = 0.0;
    for (size_t j = 0; j < d; j++) gn += (double)g[j] * g[j];
    gn = sqrt(gn);
    for (size_t j = 0; j < d; j++) {
        const double s = g[j] > 0 ? 1.0 : g[j] < 0 ? -1.0 : 0.0;
        switch (o->kind) {
        case CLNN_PERTURB_FGSM: delta[j] = o->eps * s; break;
        case CLNN_PERTURB_PGD_LINF: delta[j] = fmin(fmax(delta0[j] + o->alpha * s, -o->eps), o->eps); break;
        case CLNN_PERTURB_PGD_L2: delta[j] = delta0[j] + (gn > 0 ? o->alpha * g[j] / gn : 0.0); break;
        default: delta[j] = gn > 0 ? o->eps * g[j] / gn : 0.0; break;
        }
    }
    if (o->kind == CLNN_PERTURB_PGD_L2) {
        double dn = 0.0;
        for (size_t j = 0; j < d; j++) dn += delta[j] * delta[j];
        dn = sqrt(dn);
        if (dn > o->eps)
            for (size_t j = 0; j < d; j++) delta[j] *= o->eps / dn;
    }
    for (size_t j = 0; j < d; j++) {
        adv[j] = x[j] + delta[j];
        if (o->clip) {
            adv[j] = fmin(fmax(adv[j], o->lo), o->hi);
            delta[j] = adv[j] - x[j];
        }
    }
}

/* The outputs: within a few fp32 roundings of the reference; with clipping
 * x_adv inside [lo, hi] exactly and delta = x_adv - x as fp32 computes it. */
static void check_outputs(const char *what, const clnn_perturb_options *o, const float *x, const float *delta,
                          const float *adv, const double *want_delta, const double *want_adv, size_t count)
{
    const double scale = o->eps + o->alpha + 1.0;
    double e = test_max_rel_error(delta, want_delta, count, 1e-6 * scale, 1e-5);
    CHECK(e <= 1.0, "%s: delta vs reference: error %.3g of tolerance", what, e);
    e = test_max_rel_error(adv, want_adv, count, 1e-6 * scale, 1e-5);
    CHECK(e <= 1.0, "%s: x_adv vs reference: error %.3g of tolerance", what, e);
    if (!o->clip) return;
    int inside = 1, consistent = 1;
    for (size_t i = 0; i < count; i++) {
        inside &= adv[i] >= o->lo && adv[i] <= o->hi;
        consistent &= delta[i] == adv[i] - x[i];
    }
    CHECK(inside, "%s: x_adv leaves [lo, hi]", what);
    CHECK(consistent, "%s: delta is not x_adv - x", what);
}

static void check_step(clnn_context *ctx, clnn_perturb_kind kind, int clip, size_t n, size_t d)
{
    const size_t count = n * d;
    float *x = malloc(count * sizeof *x), *g = malloc(count * sizeof *g), *d0 = malloc(count * sizeof *d0);
    double *wd = malloc(count * sizeof *wd), *wa = malloc(count * sizeof *wa);
    REQUIRE(x && g && d0 && wd && wa, "host memory");
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    o.kind = kind;
    o.clip = clip;
    o.eps = kind == CLNN_PERTURB_PGD_L2 || kind == CLNN_PERTURB_VAT ? 0.5f : 0.1f;
    o.alpha = 0.04f;
    test_fill_uniform(x, count, (unsigned)(n * 31 + d), 0.0f, 1.0f);
    test_fill_uniform(g, count, (unsigned)(n * 37 + d), -2.0f, 2.0f);
    test_fill_uniform(d0, count, (unsigned)(n * 41 + d), -1.5f * o.eps, 1.5f * o.eps);
    for (size_t i = 0; i < count; i += 7) g[i] = 0.0f; /* sign(0) = 0 */
    if (n > 1)
        for (size_t j = 0; j < d; j++) g[d + j] = 0.0f; /* sample 1: no gradient at all */
    if (kind == CLNN_PERTURB_PGD_LINF) /* PGD starts inside the ball */
        for (size_t i = 0; i < count; i++) d0[i] = fminf(fmaxf(d0[i], -o.eps), o.eps);
    for (size_t s = 0; s < n; s++)
        ref_step(&o, x + s * d, g + s * d, d0 + s * d, d, wd + s * d, wa + s * d);
    clnn_tensor *tx = from(ctx, n, d, x), *tg = from(ctx, n, d, g), *td = from(ctx, n, d, d0);
    clnn_tensor *ta = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    CHECK_OK(ctx, clnn_perturb_step(ctx, &o, tx, tg, td, ta));
    float *delta = test_download(ctx, td), *adv = test_download(ctx, ta);
    char what[128];
    snprintf(what, sizeof what, "%s%s on %zu x %zu", kind_names[kind], clip ? " clipped" : "", n, d);
    check_outputs(what, &o, x, delta, adv, wd, wa, count);

    /* the same bits under forced local sizes */
    const size_t locals[] = {1, 3, 64, 256};
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
        clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
        if (clnn_tune_force(ctx, "robust.perturb_step", &cfg) != CLNN_OK) {
            test_skip("robust.perturb_step with a local size that does not fit this device");
            continue;
        }
        CHECK_OK(ctx, clnn_tensor_upload(td, d0, count * sizeof *d0));
        CHECK_OK(ctx, clnn_perturb_step(ctx, &o, tx, tg, td, ta));
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        float *d2 = test_download(ctx, td), *a2 = test_download(ctx, ta);
        CHECK(same_bits(delta, d2, count) && same_bits(adv, a2, count), "%s: local size %zu changes bits", what,
              locals[i]);
        free(d2), free(a2);
    }
    free(x), free(g), free(d0), free(wd), free(wa), free(delta), free(adv);
    clnn_tensor_release(tx), clnn_tensor_release(tg), clnn_tensor_release(td), clnn_tensor_release(ta);
}

static void check_random_start(clnn_context *ctx, clnn_perturb_kind kind, size_t n, size_t d)
{
    const size_t count = n * d;
    const uint64_t seed = 0x1234567890ull;
    const uint32_t stream = 5;
    float *x = malloc(count * sizeof *x);
    double *wd = malloc(count * sizeof *wd), *wa = malloc(count * sizeof *wa);
    REQUIRE(x && wd && wa, "host memory");
    test_fill_uniform(x, count, (unsigned)(n * 43 + d), 0.0f, 1.0f);
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    o.kind = kind;
    o.eps = 0.3f;
    const int l2 = kind == CLNN_PERTURB_PGD_L2 || kind == CLNN_PERTURB_VAT;
    for (size_t s = 0; s < n; s++) {
        double norm = 0.0;
        for (size_t j = 0; j < d; j++) {
            const size_t e = s * d + j;
            wd[e] = l2 ? ref_box_muller(seed, stream, e) : o.eps * (2.0 * ref_philox_uniform(seed, stream, e) - 1.0);
            norm += wd[e] * wd[e];
        }
        if (l2) {
            const double radius = o.eps * pow(ref_philox_uniform(seed, stream + 1, s), 1.0 / (double)d);
            for (size_t j = 0; j < d; j++) wd[s * d + j] *= radius / sqrt(norm);
        }
        for (size_t j = 0; j < d; j++) {
            const size_t e = s * d + j;
            wa[e] = fmin(fmax(x[e] + wd[e], o.lo), o.hi);
            wd[e] = wa[e] - x[e];
        }
    }
    clnn_tensor *tx = from(ctx, n, d, x), *td = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    clnn_tensor *ta = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    CHECK_OK(ctx, clnn_perturb_random_start(ctx, &o, seed, stream, tx, td, ta));
    float *delta = test_download(ctx, td), *adv = test_download(ctx, ta);
    char what[128];
    snprintf(what, sizeof what, "random start (%s) on %zu x %zu", l2 ? "L2" : "L-inf", n, d);
    /* the normals' log and cos builtins: a few ulp each, 1e-5 relative in all */
    check_outputs(what, &o, x, delta, adv, wd, wa, count);
    free(x), free(wd), free(wa), free(delta), free(adv);
    clnn_tensor_release(tx), clnn_tensor_release(td), clnn_tensor_release(ta);
}

static void check_errors(clnn_context *ctx)
{
    const char *step = "clnn_perturb_step", *start = "clnn_perturb_random_start";
    clnn_tensor *x = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *g = test_filled(ctx, CLNN_FLOAT32, 3, 4, 1.0f);
    clnn_tensor *d = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f), *a = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f);
    clnn_tensor *wrong = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.0f), *ints = test_filled(ctx, CLNN_INT32, 3, 4, 0.0f);
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    o.kind = (clnn_perturb_kind)4;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, &o, x, g, d, a));
    clnn_perturb_options_init(&o);
    o.eps = -1.0f;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, &o, x, g, d, a));
    clnn_perturb_options_init(&o);
    o.alpha = NAN;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, &o, x, g, d, a));
    clnn_perturb_options_init(&o);
    o.lo = 2.0f;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, start, clnn_perturb_random_start(ctx, &o, 1, 0, x, d, a));
    o.clip = 2;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, &o, x, g, d, a));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, step, clnn_perturb_step(ctx, NULL, x, wrong, d, a));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, step, clnn_perturb_step(ctx, NULL, x, g, d, ints));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, NULL, x, NULL, d, a));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, NULL, x, g, d, d));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, step, clnn_perturb_step(ctx, NULL, x, g, g, a));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, start, clnn_perturb_random_start(ctx, NULL, 1, UINT32_MAX, x, d, a));
    test_expect_filled(ctx, "delta", d, -7.0f);
    test_expect_filled(ctx, "x_adv", a, -7.0f);
    clnn_tensor_release(x), clnn_tensor_release(g), clnn_tensor_release(d), clnn_tensor_release(a);
    clnn_tensor_release(wrong), clnn_tensor_release(ints);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const size_t shapes[][2] = {{1, 1}, {3, 5}, {2, 255}, {4, 300}};
    const int small = test_small();
    for (int kind = CLNN_PERTURB_FGSM; kind <= CLNN_PERTURB_VAT; kind++)
        for (size_t s = 0; s < 4; s++)
            for (int clip = 0; clip <= 1; clip++) {
                if (small && (s == 3 || clip != (int)(s + (size_t)kind) % 2)) continue;
                check_step(ctx, (clnn_perturb_kind)kind, clip, shapes[s][0], shapes[s][1]);
            }
    for (size_t s = 0; s < 4; s++) {
        if (small && s == 3) continue;
        check_random_start(ctx, CLNN_PERTURB_PGD_LINF, shapes[s][0], shapes[s][1]);
        check_random_start(ctx, CLNN_PERTURB_PGD_L2, shapes[s][0], shapes[s][1]);
    }
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
