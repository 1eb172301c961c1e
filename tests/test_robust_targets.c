/* Pseudo-labels and DINO (include/clnn/robust.h) against double code from
 * the definitions: pseudo-labels with ties (the first index wins), rows
 * just above and below the threshold (kept away from it by more than the
 * kernel's rounding), a temperature, a NaN row and 300 classes; DINO's loss
 * per row and reduced with its gradient against central differences, at
 * the paper's temperatures, and the centre update; forced local sizes;
 * bad input refused with the outputs unchanged. */
#include "check.h"

#include <math.h>

static int same_bits(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

static clnn_tensor *from(clnn_context *ctx, size_t n, size_t c, const float *v)
{
    size_t shape[2] = {n, c};
    return test_tensor_from(ctx, 2, shape, v);
}

/* The first argmax of a row and its softmax(z/T) probability, in double. */
static int ref_argmax(const float *z, size_t c, double inv_t, double *p)
{
    size_t best = 0;
    for (size_t j = 1; j < c; j++)
        if (z[j] > z[best]) best = j;
    double s = 0.0;
    for (size_t j = 0; j < c; j++) s += exp(((double)z[j] - z[best]) * inv_t);
    *p = 1.0 / s;
    return (int)best;
}

static void check_pseudo(clnn_context *ctx, size_t n, size_t c, float threshold, float temperature)
{
    float *z = malloc(n * c * sizeof *z);
    REQUIRE(z, "host memory");
    test_fill_uniform(z, n * c, (unsigned)(n + c), -3.0f, 3.0f);
    for (size_t r = 0; r < n; r++) z[r * c + (r * 3) % c] += (float)r; /* confident rows further down */
    if (n > 2 && c > 3) z[2 * c + 3] = z[2 * c + 1] = 50.0f;      /* a tie: index 1 wins */
    if (n > 2 && c > 261) z[2 * c + 261] = z[2 * c + 5] = 60.0f;  /* a tie in one lane of 256: 5 wins */
    if (n > 4) z[4 * c + c / 2] = NAN;
    /* keep every row's max p away from the threshold by more than rounding */
    for (size_t r = 0; r < n; r++) {
        double p;
        ref_argmax(z + r * c, c, 1.0 / temperature, &p);
        if (fabs(p - threshold) < 1e-4) z[r * c] -= 0.5f;
    }
    const int32_t ignore = -7;
    clnn_tensor *tz = from(ctx, n, c, z), *labels = test_filled(ctx, CLNN_INT32, n, 1, 0.0f);
    clnn_tensor *conf = test_filled(ctx, CLNN_FLOAT32, n, 1, 0.0f);
    CHECK_OK(ctx, clnn_pseudo_labels(ctx, tz, threshold, temperature, ignore, labels, conf));
    int32_t *got = malloc(n * sizeof *got);
    REQUIRE(got, "host memory");
    CHECK_OK(ctx, clnn_tensor_download(labels, got, n * sizeof *got));
    float *p = test_download(ctx, conf);
    int kept = 0, dropped = 0;
    for (size_t r = 0; r < n; r++) {
        double want_p;
        int want = ref_argmax(z + r * c, c, 1.0 / temperature, &want_p);
        const int nan_row = n > 4 && r == 4;
        if (nan_row) {
            CHECK(got[r] == ignore, "pseudo-labels %zux%zu: the NaN row got %d", n, c, got[r]);
            continue;
        }
        if (want_p < threshold) want = ignore;
        kept += want != ignore, dropped += want == ignore;
        CHECK(got[r] == want, "pseudo-labels %zux%zu T %g: row %zu label %d, want %d (p %.6f, threshold %g)", n, c,
              (double)temperature, r, got[r], want, want_p, (double)threshold);
        CHECK(fabs(p[r] - want_p) <= 1e-6 + 1e-5 * want_p, "pseudo-labels: row %zu confidence %.9g, want %.9g", r,
              (double)p[r], want_p);
    }
    if (n >= 8) CHECK(kept > 0 && dropped > 0, "pseudo-labels %zux%zu: the case keeps %d and drops %d rows", n, c, kept,
                      dropped);
    const size_t locals[] = {1, 3, 64, 256};
    for (size_t i = 0; i < 4; i++) {
        clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
        if (clnn_tune_force(ctx, "robust.pseudo_labels", &cfg) != CLNN_OK) {
            test_skip("robust.pseudo_labels with a local size that does not fit this device");
            continue;
        }
        CHECK_OK(ctx, clnn_pseudo_labels(ctx, tz, threshold, temperature, ignore, labels, conf));
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        int32_t *got2 = malloc(n * sizeof *got2);
        REQUIRE(got2, "host memory");
        CHECK_OK(ctx, clnn_tensor_download(labels, got2, n * sizeof *got2));
        float *p2 = test_download(ctx, conf);
        CHECK(same_bits(got, got2, n * sizeof *got) && same_bits(p, p2, n * sizeof *p),
              "pseudo-labels: local size %zu changes the result", locals[i]);
        free(got2), free(p2);
    }
    free(z), free(got), free(p);
    clnn_tensor_release(tz), clnn_tensor_release(labels), clnn_tensor_release(conf);
}

/* DINO's row loss in double. */
static double dino_row(const double *s, const double *t, const double *c, size_t n, double ts, double tt)
{
    double mt = -INFINITY, ms = -INFINITY, st = 0.0, ss = 0.0, loss = 0.0;
    for (size_t j = 0; j < n; j++) mt = fmax(mt, (t[j] - c[j]) / tt), ms = fmax(ms, s[j] / ts);
    for (size_t j = 0; j < n; j++) st += exp((t[j] - c[j]) / tt - mt), ss += exp(s[j] / ts - ms);
    const double lse_s = ms + log(ss);
    for (size_t j = 0; j < n; j++) loss -= exp((t[j] - c[j]) / tt - mt) / st * (s[j] / ts - lse_s);
    return loss;
}

static void check_dino(clnn_context *ctx, size_t n, size_t c, clnn_reduction red)
{
    const size_t count = n * c, nloss = red == CLNN_REDUCE_NONE ? n : 1;
    const float ts = 0.1f, tt = 0.04f;
    float *s = malloc(count * sizeof *s), *t = malloc(count * sizeof *t), *cen = malloc(c * sizeof *cen);
    double *sd = malloc(count * sizeof *sd), *td = malloc(count * sizeof *td), *cd = malloc(c * sizeof *cd);
    double *fd = malloc(count * sizeof *fd);
    REQUIRE(s && t && cen && sd && td && cd && fd, "host memory");
    test_fill_uniform(s, count, 21, -0.5f, 0.5f);
    test_fill_uniform(t, count, 23, -0.2f, 0.2f);
    test_fill_uniform(cen, c, 29, -0.05f, 0.05f);
    for (size_t i = 0; i < count; i++) sd[i] = s[i], td[i] = t[i];
    for (size_t j = 0; j < c; j++) cd[j] = cen[j];
    clnn_tensor *tsd = from(ctx, n, c, s), *ttd = from(ctx, n, c, t), *tc = test_tensor_from(ctx, 1, &c, cen);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, nloss, 1, 0.0f), *g = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    CHECK_OK(ctx, clnn_dino_loss(ctx, tsd, ttd, tc, ts, tt, red, loss, g));
    float *v = test_download(ctx, loss), *gv = test_download(ctx, g);
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    double want = 0.0, mag = 0.0;
    for (size_t r = 0; r < n; r++) {
        const double vr = dino_row(sd + r * c, td + r * c, cd, c, ts, tt);
        if (red == CLNN_REDUCE_NONE)
            CHECK(fabs(v[r] - vr) <= 1e-5 + 1e-5 * fabs(vr), "DINO %zux%zu: row %zu %.9g, want %.9g", n, c, r,
                  (double)v[r], vr);
        want += vr, mag += fabs(vr);
    }
    if (red != CLNN_REDUCE_NONE)
        CHECK(fabs(v[0] - scale * want) <= 1e-5 + 1e-5 * scale * mag, "DINO %zux%zu: %.9g, want %.9g", n, c,
              (double)v[0], scale * want);
    for (size_t i = 0; i < count; i++) {
        const size_t r = i / c;
        const double x0 = sd[i], h = 1e-6;
        sd[i] = x0 + h;
        const double up = dino_row(sd + r * c, td + r * c, cd, c, ts, tt);
        sd[i] = x0 - h;
        const double down = dino_row(sd + r * c, td + r * c, cd, c, ts, tt);
        sd[i] = x0;
        fd[i] = scale * (up - down) / (2 * h);
    }
    /* 1/τ_s = 10 amplifies the fp32 rounding of the probabilities */
    const double e = test_max_rel_error(gv, fd, count, 1e-5 * scale, 1e-3);
    CHECK(e <= 1.0, "DINO %zux%zu: dstudent vs finite differences: error %.3g of tolerance", n, c, e);

    /* the centre update: c ← 0.9 c + 0.1 mean */
    CHECK_OK(ctx, clnn_dino_center_update(ctx, ttd, 0.9f, tc));
    float *nc = test_download(ctx, tc);
    double *wc = malloc(c * sizeof *wc);
    REQUIRE(wc, "host memory");
    for (size_t j = 0; j < c; j++) {
        double m = 0.0;
        for (size_t r = 0; r < n; r++) m += td[r * c + j];
        wc[j] = 0.9 * cd[j] + 0.1 * m / (double)n;
    }
    const double ec = test_max_rel_error(nc, wc, c, 1e-7, 1e-5);
    CHECK(ec <= 1.0, "DINO centre update %zux%zu: error %.3g of tolerance", n, c, ec);
    free(s), free(t), free(cen), free(sd), free(td), free(cd), free(fd), free(v), free(gv), free(nc), free(wc);
    clnn_tensor_release(tsd), clnn_tensor_release(ttd), clnn_tensor_release(tc), clnn_tensor_release(loss);
    clnn_tensor_release(g);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *y = test_filled(ctx, CLNN_INT32, 3, 1, -7.0f);
    clnn_tensor *c = test_filled(ctx, CLNN_FLOAT32, 4, 1, 0.0f), *bad_c = test_filled(ctx, CLNN_FLOAT32, 3, 1, 0.0f);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f), *g = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f);
    clnn_tensor *y4 = test_filled(ctx, CLNN_INT32, 4, 1, -7.0f);
    const char *ps = "clnn_pseudo_labels", *dl = "clnn_dino_loss", *cu = "clnn_dino_center_update";
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ps, clnn_pseudo_labels(ctx, z, 1.5f, 1.0f, -1, y, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ps, clnn_pseudo_labels(ctx, z, 0.5f, 0.0f, -1, y, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ps, clnn_pseudo_labels(ctx, z, 0.5f, 1.0f, -1, y4, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ps, clnn_pseudo_labels(ctx, z, 0.5f, 1.0f, -1, z, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, dl, clnn_dino_loss(ctx, z, z, bad_c, 0.1f, 0.04f, CLNN_REDUCE_MEAN, loss, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, dl, clnn_dino_loss(ctx, z, z, c, 0.0f, 0.04f, CLNN_REDUCE_MEAN, loss, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, dl, clnn_dino_loss(ctx, z, z, c, 0.1f, NAN, CLNN_REDUCE_MEAN, loss, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, dl, clnn_dino_loss(ctx, z, z, c, 0.1f, 0.04f, CLNN_REDUCE_MEAN, loss, z));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, cu, clnn_dino_center_update(ctx, z, 1.5f, c));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, cu, clnn_dino_center_update(ctx, z, 0.9f, bad_c));
    test_expect_filled(ctx, "loss", loss, -7.0f);
    test_expect_filled(ctx, "dstudent", g, -7.0f);
    test_expect_filled(ctx, "center", c, 0.0f);
    int32_t labels[3];
    CHECK_OK(ctx, clnn_tensor_download(y, labels, sizeof labels));
    CHECK(labels[0] == -7 && labels[1] == -7 && labels[2] == -7, "pseudo-labels changed by a rejected call");
    clnn_tensor_release(z), clnn_tensor_release(y), clnn_tensor_release(c), clnn_tensor_release(bad_c);
    clnn_tensor_release(loss), clnn_tensor_release(g), clnn_tensor_release(y4);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_pseudo(ctx, 1, 1, 0.5f, 1.0f);
    check_pseudo(ctx, 16, 10, 0.6f, 1.0f);
    check_pseudo(ctx, 16, 10, 0.95f, 0.5f);
    check_pseudo(ctx, 9, 300, 0.3f, 1.0f);
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    for (int k = 0; k < 3; k++) {
        check_dino(ctx, 4, 17, reds[k]);
        if (!test_small() || k == 2) check_dino(ctx, 3, 300, reds[k]);
    }
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
