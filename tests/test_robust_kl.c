/* The robust KL loss (clnn_robust_kl_loss, include/clnn/robust.h: TRADES
 * and ARoW) against double-precision code written here from the
 * definition, loss_r = −log p_y + λ w KL(p ‖ q): the value per row and
 * reduced, both gradients against central differences of that code, on
 * 1 x 1, 5 x 7, 3 x 257 (more classes than the row skeleton's lanes) and
 * rows where the adversarial logits equal the clean ones (KL 0) or are far
 * off; label weights with an ignored row; the same bits for forced local
 * sizes and for calls that ask for fewer outputs; bad arguments refused
 * with the outputs unchanged. */
#include "check.h"

#include <math.h>

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static double lse(const double *z, size_t c)
{
    double m = -INFINITY, s = 0.0;
    for (size_t j = 0; j < c; j++) m = fmax(m, z[j]);
    for (size_t j = 0; j < c; j++) s += exp(z[j] - m);
    return m + log(s);
}

/* The row's loss, in double. */
static double ref_row(const double *z, const double *a, size_t c, int y, int arow, double lambda)
{
    const double lz = lse(z, c), la = lse(a, c);
    double kl = 0.0;
    for (size_t j = 0; j < c; j++) kl += exp(z[j] - lz) * ((z[j] - lz) - (a[j] - la));
    const double w = arow ? 2.0 * (1.0 - exp(a[y] - la)) : 1.0;
    return (lz - z[y]) + lambda * w * kl;
}

static double fd(double *x, size_t j, const double *z, const double *a, size_t c, int y, int arow, double lambda)
{
    const double h = 1e-5, x0 = x[j];
    x[j] = x0 + h;
    const double up = ref_row(z, a, c, y, arow, lambda);
    x[j] = x0 - h;
    const double down = ref_row(z, a, c, y, arow, lambda);
    x[j] = x0;
    return (up - down) / (2 * h);
}

static clnn_tensor *from(clnn_context *ctx, size_t n, size_t c, const float *v)
{
    size_t shape[2] = {n, c};
    return test_tensor_from(ctx, 2, shape, v);
}

static clnn_tensor *labels_of(clnn_context *ctx, const int32_t *y, size_t n)
{
    clnn_tensor *t = test_filled(ctx, CLNN_INT32, n, 1, 0.0f);
    CHECK_OK(ctx, clnn_tensor_upload(t, y, n * sizeof *y));
    return t;
}

static const char *red_name(clnn_reduction r)
{
    return r == CLNN_REDUCE_MEAN ? "mean" : r == CLNN_REDUCE_SUM ? "sum" : "none";
}

/* One case; weighted: row weights in [0, 2] and row 1 ignored (label -100). */
static void check_case(clnn_context *ctx, size_t n, size_t c, clnn_robust_kl_kind kind, clnn_reduction red,
                       int weighted)
{
    const size_t count = n * c, nloss = red == CLNN_REDUCE_NONE ? n : 1;
    const double lambda = 6.0;
    const int arow = kind == CLNN_ROBUST_KL_AROW;
    float *z = malloc(count * sizeof *z), *a = malloc(count * sizeof *a), *rw = malloc(n * sizeof *rw);
    double *zd = malloc(count * sizeof *zd), *ad = malloc(count * sizeof *ad), *w = malloc(n * sizeof *w);
    int32_t *y = malloc(n * sizeof *y);
    REQUIRE(z && a && rw && zd && ad && w && y, "host memory");
    test_fill_uniform(z, count, (unsigned)(n * 7 + c), -3.0f, 3.0f);
    test_fill_uniform(a, count, (unsigned)(n * 11 + c), -0.5f, 0.5f);
    test_fill_uniform(rw, n, (unsigned)(n + 3), 0.0f, 2.0f);
    for (size_t i = 0; i < count; i++) a[i] += z[i]; /* near the clean logits */
    if (n > 2)
        for (size_t j = 0; j < c; j++) a[2 * c + j] = z[2 * c + j]; /* row 2: KL 0 */
    if (n > 3)
        for (size_t j = 0; j < c; j++) a[3 * c + j] = -2.0f * z[3 * c + j]; /* row 3: far off */
    double sum_w = 0.0;
    for (size_t r = 0; r < n; r++) {
        y[r] = (int32_t)((r * 5 + 1) % c);
        w[r] = weighted ? (r == 1 ? 0.0 : rw[r]) : 1.0;
        sum_w += w[r];
    }
    for (size_t i = 0; i < count; i++) zd[i] = z[i], ad[i] = a[i];
    int32_t *dev_y = malloc(n * sizeof *dev_y);
    REQUIRE(dev_y, "host memory");
    memcpy(dev_y, y, n * sizeof *y);
    if (weighted && n > 1) dev_y[1] = -100;
    clnn_tensor *tz = from(ctx, n, c, z), *ta = from(ctx, n, c, a), *ty = labels_of(ctx, dev_y, n);
    clnn_tensor *trw = test_tensor_from(ctx, 1, &n, rw);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, nloss, 1, 0.0f);
    clnn_tensor *gz = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f), *ga = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    lw.row_weights = trw;
    const clnn_label_weights *wp = weighted ? &lw : NULL;
    CHECK_OK(ctx, clnn_robust_kl_loss(ctx, tz, ta, ty, kind, (float)lambda, wp, red, loss, gz, ga));
    float *v = test_download(ctx, loss), *g1 = test_download(ctx, gz), *g2 = test_download(ctx, ga);
    char what[128];
    snprintf(what, sizeof what, "%s %zux%zu %s%s", arow ? "ARoW" : "TRADES", n, c, red_name(red),
             weighted ? " weighted" : "");
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / sum_w : 1.0;
    double want = 0.0, mag = 0.0;
    for (size_t r = 0; r < n; r++) {
        const double vr = w[r] * ref_row(zd + r * c, ad + r * c, c, y[r], arow, lambda);
        if (red == CLNN_REDUCE_NONE)
            CHECK(fabs(v[r] - vr) <= 2e-6 + 1e-5 * fabs(vr), "%s: row %zu loss %.9g, reference %.9g", what, r, v[r],
                  vr);
        want += vr, mag += fabs(vr);
    }
    if (red != CLNN_REDUCE_NONE)
        CHECK(fabs(v[0] - scale * want) <= 2e-6 + 1e-5 * scale * mag, "%s: loss %.9g, reference %.9g", what, v[0],
              scale * want);
    double *fz = malloc(count * sizeof *fz), *fa = malloc(count * sizeof *fa);
    REQUIRE(fz && fa, "host memory");
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < c; j++) {
            double *zr = zd + r * c, *ar = ad + r * c;
            fz[r * c + j] = scale * w[r] * fd(zr, j, zr, ar, c, y[r], arow, lambda);
            fa[r * c + j] = scale * w[r] * fd(ar, j, zr, ar, c, y[r], arow, lambda);
        }
    double e = test_max_rel_error(g1, fz, count, 2e-5 * scale, 1e-3);
    CHECK(e <= 1.0, "%s: dlogits vs finite differences: error %.3g of tolerance", what, e);
    e = test_max_rel_error(g2, fa, count, 2e-5 * scale, 1e-3);
    CHECK(e <= 1.0, "%s: dlogits_adv vs finite differences: error %.3g of tolerance", what, e);

    /* fewer outputs: the same bits; forced local sizes: the same bits */
    CHECK_OK(ctx, clnn_robust_kl_loss(ctx, tz, ta, ty, kind, (float)lambda, wp, red, NULL, NULL, ga));
    float *g3 = test_download(ctx, ga);
    CHECK(same_bits(g2, g3, count), "%s: a dlogits_adv-only call gives other bits", what);
    const size_t locals[] = {1, 3, 64, 256};
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
        clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
        if (clnn_tune_force(ctx, "robust.kl", &cfg) != CLNN_OK) {
            test_skip("robust.kl with a local size that does not fit this device");
            continue;
        }
        CHECK_OK(ctx, clnn_robust_kl_loss(ctx, tz, ta, ty, kind, (float)lambda, wp, red, loss, gz, ga));
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        float *v4 = test_download(ctx, loss), *g4 = test_download(ctx, gz), *g5 = test_download(ctx, ga);
        CHECK(same_bits(v, v4, nloss) && same_bits(g1, g4, count) && same_bits(g2, g5, count),
              "%s: local size %zu changes bits", what, locals[i]);
        free(v4), free(g4), free(g5);
    }
    free(z), free(a), free(rw), free(zd), free(ad), free(w), free(y), free(dev_y), free(v), free(g1), free(g2),
        free(g3), free(fz), free(fa);
    clnn_tensor_release(tz), clnn_tensor_release(ta), clnn_tensor_release(ty), clnn_tensor_release(trw);
    clnn_tensor_release(loss), clnn_tensor_release(gz), clnn_tensor_release(ga);
}

static void check_errors(clnn_context *ctx)
{
    const char *fn = "clnn_robust_kl_loss";
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *a = test_filled(ctx, CLNN_FLOAT32, 3, 4, 1.0f);
    clnn_tensor *y = test_filled(ctx, CLNN_INT32, 3, 1, 0.0f), *wrong = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.0f);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f), *g = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f);
    const clnn_reduction M = CLNN_REDUCE_MEAN;
    const clnn_robust_kl_kind T = CLNN_ROBUST_KL_TRADES;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_robust_kl_loss(ctx, z, a, y, 2, 6.0f, NULL, M, loss, g, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_robust_kl_loss(ctx, z, a, y, T, -1.0f, NULL, M, loss, g, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_robust_kl_loss(ctx, z, a, y, T, NAN, NULL, M, loss, g, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_robust_kl_loss(ctx, z, wrong, y, T, 6.0f, NULL, M, loss, g, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_robust_kl_loss(ctx, z, a, z, T, 6.0f, NULL, M, loss, g, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_robust_kl_loss(ctx, z, a, y, T, 6.0f, NULL, M, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_robust_kl_loss(ctx, z, a, y, T, 6.0f, NULL, M, loss, g, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_robust_kl_loss(ctx, z, a, y, T, 6.0f, NULL, M, loss, a, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn,
                clnn_robust_kl_loss(ctx, z, a, y, T, 6.0f, NULL, (clnn_reduction)7, loss, g, NULL));
    test_expect_filled(ctx, "loss", loss, -7.0f);
    test_expect_filled(ctx, "dlogits", g, -7.0f);
    clnn_tensor_release(z), clnn_tensor_release(a), clnn_tensor_release(y), clnn_tensor_release(wrong);
    clnn_tensor_release(loss), clnn_tensor_release(g);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    const size_t shapes[][2] = {{1, 1}, {5, 7}, {3, 257}};
    const int small = test_small();
    for (int kind = 0; kind < 2; kind++)
        for (size_t s = 0; s < 3; s++)
            for (int k = 0; k < 3; k++) {
                if (small && k != (int)(s + (size_t)kind) % 3) continue;
                check_case(ctx, shapes[s][0], shapes[s][1], (clnn_robust_kl_kind)kind, reds[k], 0);
                if (shapes[s][0] > 1 && (!small || s == 1))
                    check_case(ctx, shapes[s][0], shapes[s][1], (clnn_robust_kl_kind)kind, reds[k], 1);
            }
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
