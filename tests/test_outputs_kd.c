/* Knowledge distillation (clnn_kd_loss) against a double reference written
 * from Hinton et al.'s definition: T²·KL(p ‖ softmax(z/T)) per row with
 * teacher logits, probabilities (zeros included) and log-probabilities;
 * temperatures 1, 2 and 4; every reduction; gradients against the closed
 * form and central differences of the reference; bad input that leaves
 * every output alone. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL -7.0f

/* The teacher's distribution p of one row (double) from its values. */
static void ref_teacher(const float *t, size_t C, clnn_kd_target kind, double T, double *p)
{
    if (kind == CLNN_KD_PROBS) {
        for (size_t j = 0; j < C; j++) p[j] = t[j];
        return;
    }
    double scale = kind == CLNN_KD_LOGITS ? 1.0 / T : 1.0, m = -INFINITY, s = 0.0;
    for (size_t j = 0; j < C; j++) m = fmax(m, scale * t[j]);
    for (size_t j = 0; j < C; j++) s += exp(scale * t[j] - m);
    for (size_t j = 0; j < C; j++) p[j] = exp(scale * t[j] - m) / s;
}

/* T² Σ p (log p − log q) of one row, q = softmax(z / T); q returned. */
static double ref_kd_row(const double *z, const double *p, size_t C, double T, double *q)
{
    double m = -INFINITY, s = 0.0, kl = 0.0;
    for (size_t j = 0; j < C; j++) m = fmax(m, z[j] / T);
    for (size_t j = 0; j < C; j++) s += exp(z[j] / T - m);
    for (size_t j = 0; j < C; j++) {
        double log_q = z[j] / T - m - log(s);
        q[j] = exp(log_q);
        if (p[j] > 0) kl += p[j] * (log(p[j]) - log_q);
    }
    return T * T * kl;
}

static void check_kd(clnn_context *ctx, size_t N, size_t C, clnn_kd_target kind, float T, clnn_reduction red,
                     unsigned seed)
{
    size_t n = N * C, shape[2] = {N, C};
    float *z = malloc(n * sizeof *z), *t = malloc(n * sizeof *t);
    double *p = malloc(C * sizeof *p), *q = malloc(C * sizeof *q), *zd = malloc(C * sizeof *zd);
    double *want_g = malloc(n * sizeof *want_g), *want_l = malloc(N * sizeof *want_l);
    REQUIRE(z && t && p && q && zd && want_g && want_l, "host memory");
    test_fill_uniform(z, n, seed, -6.0f, 6.0f);
    test_fill_uniform(t, n, seed + 1, -6.0f, 6.0f);
    if (kind == CLNN_KD_PROBS) { /* rows of probabilities with a few exact zeros */
        for (size_t r = 0; r < N; r++) {
            double s = 0.0;
            for (size_t j = 0; j < C; j++) t[r * C + j] = (j % 5 == 3) ? 0.0f : expf(t[r * C + j]);
            for (size_t j = 0; j < C; j++) s += t[r * C + j];
            for (size_t j = 0; j < C; j++) t[r * C + j] = (float)(t[r * C + j] / s);
        }
    } else if (kind == CLNN_KD_LOG_PROBS) { /* normalised log-probabilities */
        for (size_t r = 0; r < N; r++) {
            double m = -INFINITY, s = 0.0;
            for (size_t j = 0; j < C; j++) m = fmax(m, t[r * C + j]);
            for (size_t j = 0; j < C; j++) s += exp(t[r * C + j] - m);
            for (size_t j = 0; j < C; j++) t[r * C + j] = (float)(t[r * C + j] - m - log(s));
        }
    }
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)N : 1.0, total = 0.0, mag = 0.0;
    for (size_t r = 0; r < N; r++) {
        ref_teacher(t + r * C, C, kind, T, p);
        for (size_t j = 0; j < C; j++) zd[j] = z[r * C + j];
        want_l[r] = ref_kd_row(zd, p, C, T, q);
        total += want_l[r], mag += fabs(want_l[r]);
        double sp = 0.0;
        for (size_t j = 0; j < C; j++) sp += p[j];
        for (size_t j = 0; j < C; j++) want_g[r * C + j] = scale * T * (q[j] * sp - p[j]);
    }
    clnn_tensor *tz = test_tensor_from(ctx, 2, shape, z), *tt = test_tensor_from(ctx, 2, shape, t);
    clnn_tensor *g = test_tensor_from(ctx, 2, shape, z), *loss = NULL;
    size_t nloss = red == CLNN_REDUCE_NONE ? N : 1;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &nloss, &loss));
    static const char *const kinds[] = {"logits", "probs", "log-probs"};
    char what[128];
    snprintf(what, sizeof what, "kd %s %zux%zu T %g %s", kinds[kind], N, C, (double)T,
             red == CLNN_REDUCE_MEAN ? "mean" : red == CLNN_REDUCE_SUM ? "sum" : "none");
    CHECK_OK(ctx, clnn_kd_loss(ctx, tz, tt, kind, T, red, loss, g));
    float *l = test_download(ctx, loss), *gd = test_download(ctx, g);
    /* fp32 logits of magnitude 6/T: terms within ~1e-6 relative, plus the
     * cancellation of −Σp log q against Σp log p: absolute 1e-6·T²·C·ln C */
    double atol = 2e-6 * T * T * (double)C * (1.0 + log((double)C));
    if (red == CLNN_REDUCE_NONE) {
        double err = test_max_rel_error(l, want_l, N, atol, 1e-5);
        CHECK(err <= 1.0, "%s: per-row losses %.3g of the tolerance", what, err);
    } else {
        double want = scale * total, tol = scale * (atol * (double)N + 1e-5 * mag);
        CHECK(fabs(l[0] - want) <= tol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", what, l[0], want, tol);
    }
    double err = test_max_rel_error(gd, want_g, n, 1e-6 * scale * T, 2e-5);
    CHECK(err <= 1.0, "%s: gradient %.3g of the tolerance", what, err);

    /* central differences of the reference loss (the closed form above is checked against them) */
    double worst = 0.0;
    for (size_t e = 0; e < n; e += n / 5 + 1) {
        size_t r = e / C;
        ref_teacher(t + r * C, C, kind, T, p);
        for (size_t j = 0; j < C; j++) zd[j] = z[r * C + j];
        double h = 1e-4, keep = zd[e % C], f[2];
        for (int s = 0; s < 2; s++) {
            zd[e % C] = keep + (s ? -h : h);
            f[s] = ref_kd_row(zd, p, C, T, q);
        }
        double fd = scale * (f[0] - f[1]) / (2 * h), d = fabs(fd - want_g[e]) / (1e-7 + 1e-5 * fabs(fd));
        if (d > worst) worst = d;
    }
    CHECK(worst <= 1.0, "%s: closed-form gradient vs central differences %.3g of the tolerance", what, worst);
    free(z), free(t), free(p), free(q), free(zd), free(want_g), free(want_l), free(l), free(gd);
    clnn_tensor_release(tz), clnn_tensor_release(tt), clnn_tensor_release(g), clnn_tensor_release(loss);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 4, 6, 0.5f), *t = test_filled(ctx, CLNN_FLOAT32, 4, 6, 0.5f);
    clnn_tensor *t5 = test_filled(ctx, CLNN_FLOAT32, 4, 5, 0.5f), *g = test_filled(ctx, CLNN_FLOAT32, 4, 6, SENTINEL);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, SENTINEL), *loss3 = test_filled(ctx, CLNN_FLOAT32, 3, 0, SENTINEL);
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const clnn_reduction MEAN = CLNN_REDUCE_MEAN;
    const char *f = "clnn_kd_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_kd_loss(NULL, z, t, CLNN_KD_LOGITS, 2.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, NULL, t, CLNN_KD_LOGITS, 2.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, NULL, CLNN_KD_LOGITS, 2.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, (clnn_kd_target)3, 2.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, 0.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, -1.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, NAN, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, INFINITY, MEAN, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kd_loss(ctx, z, t5, CLNN_KD_PROBS, 2.0f, MEAN, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, 2.0f, (clnn_reduction)9, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, 2.0f, MEAN, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, 2.0f, CLNN_REDUCE_NONE, loss3, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, 2.0f, MEAN, loss, (clnn_tensor *)t));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kd_loss(ctx, z, t, CLNN_KD_LOGITS, 2.0f, MEAN, loss, t5));
    test_expect_filled(ctx, "loss", loss, SENTINEL);
    test_expect_filled(ctx, "loss3", loss3, SENTINEL);
    test_expect_filled(ctx, "dstudent", g, SENTINEL);
    test_expect_filled(ctx, "teacher", t, 0.5f);
    clnn_tensor *all[] = {z, t, t5, g, loss, loss3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction reds[3] = {CLNN_REDUCE_MEAN, CLNN_REDUCE_SUM, CLNN_REDUCE_NONE};
    const float temps[3] = {1.0f, 2.0f, 4.0f};
    unsigned seed = 1;
    for (int kind = 0; kind < 3; kind++)
        for (int ti = 0; ti < 3; ti++)
            for (int ri = 0; ri < 3; ri++) {
                check_kd(ctx, 5, 10, (clnn_kd_target)kind, temps[ti], reds[ri], seed++);
                if (ri == 0) check_kd(ctx, 3, 1000, (clnn_kd_target)kind, temps[ti], reds[ri], seed++);
            }
    check_kd(ctx, 1, 1, CLNN_KD_LOGITS, 2.0f, CLNN_REDUCE_MEAN, seed++);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
