/* ELLE's points and penalty, and Lp-Reg (include/clnn/robust.h), against
 * double code from the definitions: the points from the Philox reference
 * (exact uniforms; x_c between x_a and x_b, all in the clip range), the
 * penalty and each branch's row scale; Lp-Reg's loss and gradient against
 * central differences at several min_p (the filtered set fixed: no logit
 * sits at its edge), with the reductions; bad input refused with the
 * outputs unchanged. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_tensor *vec(clnn_context *ctx, size_t n, const float *v) { return test_tensor_from(ctx, 1, &n, v); }

static void check_elle_points(clnn_context *ctx, size_t n, size_t d)
{
    const size_t count = n * d;
    const uint64_t seed = 77;
    const uint32_t stream = 9;
    float *x = malloc(count * sizeof *x);
    double *wa = malloc(count * sizeof *wa), *wb = malloc(count * sizeof *wb), *wc = malloc(count * sizeof *wc);
    REQUIRE(x && wa && wb && wc, "host memory");
    test_fill_uniform(x, count, 3, 0.0f, 1.0f);
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    o.eps = 0.1f;
    for (size_t e = 0; e < count; e++) {
        const double al = ref_philox_uniform(seed, stream + 2, e / d);
        wa[e] = fmin(fmax(x[e] + o.eps * (2.0 * ref_philox_uniform(seed, stream, e) - 1.0), 0.0), 1.0);
        wb[e] = fmin(fmax(x[e] + o.eps * (2.0 * ref_philox_uniform(seed, stream + 1, e) - 1.0), 0.0), 1.0);
        wc[e] = (1.0 - al) * wa[e] + al * wb[e];
    }
    size_t shape[2] = {n, d};
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *ta = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    clnn_tensor *tb = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f), *tc = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    clnn_tensor *talpha = test_filled(ctx, CLNN_FLOAT32, n, 1, 0.0f);
    CHECK_OK(ctx, clnn_elle_points(ctx, &o, seed, stream, tx, ta, tb, tc, talpha));
    float *a = test_download(ctx, ta), *b = test_download(ctx, tb), *c = test_download(ctx, tc);
    float *al = test_download(ctx, talpha);
    double e = test_max_rel_error(a, wa, count, 1e-7, 1e-6);
    CHECK(e <= 1.0, "ELLE points %zux%zu: x_a: error %.3g of tolerance", n, d, e);
    e = test_max_rel_error(b, wb, count, 1e-7, 1e-6);
    CHECK(e <= 1.0, "ELLE points %zux%zu: x_b: error %.3g of tolerance", n, d, e);
    e = test_max_rel_error(c, wc, count, 1e-6, 1e-5);
    CHECK(e <= 1.0, "ELLE points %zux%zu: x_c: error %.3g of tolerance", n, d, e);
    int alpha_ok = 1;
    for (size_t s = 0; s < n; s++) alpha_ok &= al[s] == ref_philox_uniform(seed, stream + 2, s);
    CHECK(alpha_ok, "ELLE points %zux%zu: alpha is not the Philox uniform of its sample", n, d);
    free(x), free(wa), free(wb), free(wc), free(a), free(b), free(c), free(al);
    clnn_tensor_release(tx), clnn_tensor_release(ta), clnn_tensor_release(tb), clnn_tensor_release(tc);
    clnn_tensor_release(talpha);
}

static void check_elle_penalty(clnn_context *ctx, size_t n, size_t d)
{
    const float lambda = 0.5f;
    float *la = malloc(n * sizeof *la), *lb = malloc(n * sizeof *lb), *lc = malloc(n * sizeof *lc);
    float *al = malloc(n * sizeof *al), *g = malloc(n * d * sizeof *g);
    double *w[3];
    REQUIRE(la && lb && lc && al && g, "host memory");
    test_fill_uniform(la, n, 1, 0.0f, 2.0f);
    test_fill_uniform(lb, n, 2, 0.0f, 2.0f);
    test_fill_uniform(lc, n, 3, 0.0f, 2.0f);
    test_fill_uniform(al, n, 4, 0.0f, 1.0f);
    test_fill_uniform(g, n * d, 5, -1.0f, 1.0f);
    double want = 0.0;
    for (int k = 0; k < 3; k++) {
        w[k] = malloc(n * d * sizeof *w[k]);
        REQUIRE(w[k], "host memory");
    }
    for (size_t i = 0; i < n; i++) {
        const double r = (double)lc[i] - (1.0 - al[i]) * la[i] - (double)al[i] * lb[i], k = 2.0 * lambda * r / n;
        want += lambda * r * r / (double)n;
        const double coef[3] = {-(1.0 - al[i]) * k, -(double)al[i] * k, k};
        for (int b = 0; b < 3; b++)
            for (size_t j = 0; j < d; j++) w[b][i * d + j] = coef[b] * g[i * d + j];
    }
    size_t shape[2] = {n, d};
    clnn_tensor *ta = vec(ctx, n, la), *tb = vec(ctx, n, lb), *tc = vec(ctx, n, lc), *talpha = vec(ctx, n, al);
    clnn_tensor *pen = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f), *grads[3];
    for (int k = 0; k < 3; k++) grads[k] = test_tensor_from(ctx, 2, shape, g);
    CHECK_OK(ctx, clnn_elle_penalty(ctx, ta, tb, tc, talpha, lambda, pen, grads[0], grads[1], grads[2]));
    float *v = test_download(ctx, pen);
    CHECK(fabs(v[0] - want) <= 1e-7 + 1e-5 * want, "ELLE penalty N=%zu: %.9g, want %.9g", n, (double)v[0], want);
    for (int k = 0; k < 3; k++) {
        float *got = test_download(ctx, grads[k]);
        const double e = test_max_rel_error(got, w[k], n * d, 1e-7, 1e-5);
        CHECK(e <= 1.0, "ELLE penalty N=%zu: branch %c's rows: error %.3g of tolerance", n, "abc"[k], e);
        free(got);
        free(w[k]);
        clnn_tensor_release(grads[k]);
    }
    free(la), free(lb), free(lc), free(al), free(g), free(v);
    clnn_tensor_release(ta), clnn_tensor_release(tb), clnn_tensor_release(tc), clnn_tensor_release(talpha);
    clnn_tensor_release(pen);
}

/* Lp-Reg's row loss in double with the filtered set fixed by z0. */
static double lp_row(const double *z, const double *z0, size_t c, double min_p, double beta)
{
    double m0 = -INFINITY, m = -INFINITY, s = 0.0, ss = 0.0;
    for (size_t j = 0; j < c; j++) m0 = fmax(m0, z0[j]), m = fmax(m, z[j]);
    for (size_t j = 0; j < c; j++) {
        const double e = exp(z[j] - m);
        s += e;
        if (z0[j] - m0 >= log(min_p)) ss += e;
    }
    return beta * (log(s) - log(ss));
}

static void check_lp_reg(clnn_context *ctx, size_t n, size_t c, float min_p, clnn_reduction red)
{
    const float beta = 0.7f;
    const size_t count = n * c, nloss = red == CLNN_REDUCE_NONE ? n : 1;
    float *z = malloc(count * sizeof *z);
    double *zd = malloc(count * sizeof *zd), *z0 = malloc(count * sizeof *z0), *fd = malloc(count * sizeof *fd);
    REQUIRE(z && zd && z0 && fd, "host memory");
    test_fill_uniform(z, count, (unsigned)(n + c), -4.0f, 4.0f);
    /* no logit within 1e-3 of the filter's edge (fp32 rounding must not flip it) */
    for (size_t r = 0; r < n; r++) {
        float m = -INFINITY;
        for (size_t j = 0; j < c; j++) m = fmaxf(m, z[r * c + j]);
        for (size_t j = 0; j < c; j++)
            if (fabs(z[r * c + j] - m - log(min_p)) < 1e-3) z[r * c + j] -= 0.01f;
    }
    for (size_t i = 0; i < count; i++) zd[i] = z0[i] = z[i];
    clnn_tensor *tz = test_tensor_from(ctx, 2, (size_t[2]){n, c}, z);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, nloss, 1, 0.0f), *dz = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    CHECK_OK(ctx, clnn_lp_reg(ctx, tz, min_p, beta, red, loss, dz));
    float *v = test_download(ctx, loss), *g = test_download(ctx, dz);
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    double want = 0.0, mag = 0.0;
    for (size_t r = 0; r < n; r++) {
        const double vr = lp_row(zd + r * c, z0 + r * c, c, min_p, beta);
        if (red == CLNN_REDUCE_NONE)
            CHECK(fabs(v[r] - vr) <= 1e-6 + 1e-5 * fabs(vr), "Lp-Reg %zux%zu min_p %g: row %zu %.9g, want %.9g", n, c,
                  (double)min_p, r, (double)v[r], vr);
        want += vr, mag += fabs(vr);
    }
    if (red != CLNN_REDUCE_NONE)
        CHECK(fabs(v[0] - scale * want) <= 1e-6 + 1e-5 * scale * mag, "Lp-Reg %zux%zu: %.9g, want %.9g", n, c,
              (double)v[0], scale * want);
    for (size_t i = 0; i < count; i++) {
        const size_t r = i / c;
        const double x0 = zd[i], h = 1e-5;
        zd[i] = x0 + h;
        const double up = lp_row(zd + r * c, z0 + r * c, c, min_p, beta);
        zd[i] = x0 - h;
        const double down = lp_row(zd + r * c, z0 + r * c, c, min_p, beta);
        zd[i] = x0;
        fd[i] = scale * (up - down) / (2 * h);
    }
    const double e = test_max_rel_error(g, fd, count, 2e-6 * scale, 1e-3);
    CHECK(e <= 1.0, "Lp-Reg %zux%zu min_p %g: dlogits vs finite differences: error %.3g of tolerance", n, c,
          (double)min_p, e);
    free(z), free(zd), free(z0), free(fd), free(v), free(g);
    clnn_tensor_release(tz), clnn_tensor_release(loss), clnn_tensor_release(dz);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *x = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *o[3], *al = test_filled(ctx, CLNN_FLOAT32, 3, 1, -7.0f);
    for (int k = 0; k < 3; k++) o[k] = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f);
    clnn_tensor *l = test_filled(ctx, CLNN_FLOAT32, 3, 1, 1.0f), *l4 = test_filled(ctx, CLNN_FLOAT32, 4, 1, 1.0f);
    clnn_tensor *pen = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    clnn_perturb_options opt;
    clnn_perturb_options_init(&opt);
    opt.kind = CLNN_PERTURB_PGD_L2;
    const char *pts = "clnn_elle_points", *pe = "clnn_elle_penalty", *lp = "clnn_lp_reg";
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, pts, clnn_elle_points(ctx, &opt, 1, 0, x, o[0], o[1], o[2], al));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, pts, clnn_elle_points(ctx, NULL, 1, UINT32_MAX - 1, x, o[0], o[1], o[2], al));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, pts, clnn_elle_points(ctx, NULL, 1, 0, x, o[0], o[0], o[2], al));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, pts, clnn_elle_points(ctx, NULL, 1, 0, x, o[0], o[1], o[2], l4));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, pe, clnn_elle_penalty(ctx, l, l4, l, l, 1.0f, pen, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, pe, clnn_elle_penalty(ctx, l, l, l, l, -1.0f, pen, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, pe, clnn_elle_penalty(ctx, l, l, l, l, 1.0f, NULL, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, pe, clnn_elle_penalty(ctx, l, l, l, l, 1.0f, pen, o[0], o[0], NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, lp, clnn_lp_reg(ctx, x, 0.0f, 1.0f, CLNN_REDUCE_MEAN, pen, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, lp, clnn_lp_reg(ctx, x, 0.5f, NAN, CLNN_REDUCE_MEAN, pen, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, lp, clnn_lp_reg(ctx, x, 0.5f, 1.0f, CLNN_REDUCE_MEAN, NULL, x));
    for (int k = 0; k < 3; k++) {
        test_expect_filled(ctx, "ELLE outputs", o[k], -7.0f);
        clnn_tensor_release(o[k]);
    }
    test_expect_filled(ctx, "alpha", al, -7.0f);
    test_expect_filled(ctx, "penalty", pen, -7.0f);
    clnn_tensor_release(x), clnn_tensor_release(al), clnn_tensor_release(l), clnn_tensor_release(l4);
    clnn_tensor_release(pen);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_elle_points(ctx, 1, 1);
    check_elle_points(ctx, 5, 37);
    check_elle_penalty(ctx, 1, 1);
    check_elle_penalty(ctx, 33, 7);
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    const float min_ps[] = {1.0f, 0.1f, 0.01f};
    for (int k = 0; k < 3; k++) {
        check_lp_reg(ctx, 4, 17, min_ps[k], reds[k]);
        if (!test_small()) check_lp_reg(ctx, 3, 300, min_ps[(k + 1) % 3], reds[k]);
    }
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
