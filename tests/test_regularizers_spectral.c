/* Spectral norm: power iteration (u, v, σ) against the same iteration in
 * double (tests/ref/ref_reg_ops.c) on awkward shapes, including a 4-D
 * filter bank and one >= 2^20 elements; determinism; the penalty value λσ²;
 * its gradient 2λσ·u·vᵀ against central finite differences of the
 * reference σ_max; the spectral target λ(σ^k − 1)² (k = 1, 2, 3) and its
 * gradient the same way; spectral normalization W/σ.
 *
 * Tolerances: σ, u, v after k iterations: |dev − ref| <= 1e-5·(1 + |ref|)
 * for σ and 2e-5 for the unit vectors' entries (fp32 GEMV sums of at most
 * 1027 products per entry, relative error ~1e-6, and power iteration damps
 * earlier errors rather than amplifying them). Gradient vs finite
 * differences (h = 1e-6 in double on a matrix with a clear spectral gap, so
 * the reference σ converges to double precision): 1e-4·(1 + max|fd|), the
 * device's u and v being fp32 vectors. Normalization: one division, 1e-6
 * relative. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_context *ctx;

/* W with a dominant rank-one part (a clear gap between σ1 and σ2). */
static void make_w(float *w, size_t rows, size_t cols, unsigned seed)
{
    float *a = malloc(rows * sizeof(float)), *b = malloc(cols * sizeof(float));
    REQUIRE(a && b, "out of memory");
    test_fill_uniform(w, rows * cols, seed, -0.5f, 0.5f);
    test_fill_uniform(a, rows, seed + 1, 0.5f, 1.0f);
    test_fill_uniform(b, cols, seed + 2, 0.5f, 1.0f);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) w[r * cols + c] += a[r] * b[c];
    free(a), free(b);
}

typedef struct sigma_user {
    size_t rows, cols;
} sigma_user;

static double converged_sigma(const double *w, size_t rows, size_t cols)
{
    double *u = malloc(rows * sizeof(double)), *v = malloc(cols * sizeof(double));
    REQUIRE(u && v, "out of memory");
    for (size_t r = 0; r < rows; r++) u[r] = 1.0 + 0.01 * (double)r;
    double s = ref_power_iteration(w, rows, cols, 400, u, v);
    free(u), free(v);
    return s;
}

static void spectral(int ndim, const size_t *shape, unsigned iters, int fd)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    size_t rows = shape[0], cols = n / rows, one = 1;
    float *w = malloc(n * sizeof(float)), *u0 = malloc(rows * sizeof(float)), *nanv = malloc(cols * sizeof(float));
    double *wd = malloc(n * sizeof(double)), *ur = malloc(rows * sizeof(double)), *vr = malloc(cols * sizeof(double));
    REQUIRE(w && u0 && nanv && wd && ur && vr, "out of memory");
    make_w(w, rows, cols, (unsigned)(rows * 7 + cols));
    test_fill_uniform(u0, rows, (unsigned)rows + 3, -1.0f, 1.0f);
    for (size_t c = 0; c < cols; c++) nanv[c] = NAN; /* v's input must not matter */
    for (size_t i = 0; i < n; i++) wd[i] = w[i];
    for (size_t r = 0; r < rows; r++) ur[r] = u0[r];
    double sref = ref_power_iteration(wd, rows, cols, iters, ur, vr);
    clnn_tensor *tw = test_tensor_from(ctx, ndim, shape, w), *tu = test_tensor_from(ctx, 1, &rows, u0);
    clnn_tensor *tv = test_tensor_from(ctx, 1, &cols, nanv), *ts = test_tensor_from(ctx, 1, &one, u0);
    char what[64];
    snprintf(what, sizeof what, "spectral %zux%zu (%d-D), %u iterations", rows, cols, ndim, iters);
    CHECK_OK(ctx, clnn_spectral_power_iteration(ctx, tw, iters, tu, tv, ts));
    float *u = test_download(ctx, tu), *v = test_download(ctx, tv), *s = test_download(ctx, ts);
    CHECK(fabs(s[0] - sref) <= 1e-5 * (1 + sref), "%s: sigma %.9g, reference %.9g", what, (double)s[0], sref);
    double eu = test_max_rel_error(u, ur, rows, 2e-5, 0), ev = test_max_rel_error(v, vr, cols, 2e-5, 0);
    CHECK(eu <= 1 && ev <= 1, "%s: u error %.3g, v error %.3g of tolerance", what, eu, ev);
    /* determinism: from the same start, the same bits */
    CHECK_OK(ctx, clnn_tensor_upload(tu, u0, rows * sizeof(float)));
    CHECK_OK(ctx, clnn_spectral_power_iteration(ctx, tw, iters, tu, tv, ts));
    float *u2 = test_download(ctx, tu), *s2 = test_download(ctx, ts);
    CHECK(memcmp(u, u2, rows * sizeof(float)) == 0 && s[0] == s2[0], "%s: two runs differ", what);

    /* value λσ² and normalization W/σ with the device's σ */
    const float lambda = 0.3f;
    float zero = 0;
    clnn_tensor *tval = test_tensor_from(ctx, 1, &one, &zero), *tout = test_tensor_from(ctx, ndim, shape, w);
    CHECK_OK(ctx, clnn_reg_spectral_value(ctx, ts, lambda, tval));
    float *val = test_download(ctx, tval);
    double vref = (double)lambda * s[0] * s[0];
    CHECK(fabs(val[0] - vref) <= 1e-6 * vref, "%s: value %.9g, reference %.9g", what, (double)val[0], vref);
    CHECK_OK(ctx, clnn_spectral_normalize(ctx, tw, ts, tout));
    float *out = test_download(ctx, tout);
    double *nref = malloc(n * sizeof(double));
    REQUIRE(nref, "out of memory");
    for (size_t i = 0; i < n; i++) nref[i] = wd[i] / ((double)s[0] + 1e-12);
    double en = test_max_rel_error(out, nref, n, 1e-12, 1e-6);
    CHECK(en <= 1, "%s: W/sigma error %.3g of tolerance", what, en);

    if (fd) { /* d(λσ²)/dW = 2λσ·u·vᵀ against finite differences of the converged σ */
        CHECK_OK(ctx, clnn_tensor_fill(tout, 0.0f));
        CHECK_OK(ctx, clnn_reg_spectral_grad(ctx, tu, tv, ts, lambda, tout));
        float *grad = test_download(ctx, tout);
        const double h = 1e-6;
        double worst = 0, maxfd = 0;
        size_t stride = n > 200 ? n / 200 : 1;
        for (size_t i = 0; i < n; i += stride) {
            double w0 = wd[i];
            wd[i] = w0 + h;
            double sp = converged_sigma(wd, rows, cols);
            wd[i] = w0 - h;
            double sm = converged_sigma(wd, rows, cols);
            wd[i] = w0;
            double g = (double)lambda * (sp * sp - sm * sm) / (2 * h);
            worst = fmax(worst, fabs(grad[i] - g));
            maxfd = fmax(maxfd, fabs(g));
        }
        CHECK(worst <= 1e-4 * (1 + maxfd), "%s: gradient vs finite differences off by %.3g (max |fd| %.3g)", what,
              worst, maxfd);
        free(grad);
        /* the spectral target λ(σ^k − 1)², k = 1, 2, 3: value, and its gradient against FD */
        for (unsigned k = 1; k <= 3; k++) {
            CHECK_OK(ctx, clnn_reg_spectral_target_value(ctx, ts, lambda, k, tval));
            float *tv_val = test_download(ctx, tval);
            const double want = (double)lambda * pow(pow(s[0], k) - 1.0, 2.0);
            CHECK(fabs(tv_val[0] - want) <= 1e-6 * (1 + want), "%s: target value (k %u) %.9g, reference %.9g", what, k,
                  (double)tv_val[0], want);
            free(tv_val);
            CHECK_OK(ctx, clnn_tensor_fill(tout, 0.0f));
            CHECK_OK(ctx, clnn_reg_spectral_target_grad(ctx, tu, tv, ts, lambda, k, tout));
            float *tg = test_download(ctx, tout);
            double tworst = 0, tmax = 0;
            for (size_t i = 0; i < n; i += stride) {
                const double w0 = wd[i];
                wd[i] = w0 + h;
                const double sp = converged_sigma(wd, rows, cols);
                wd[i] = w0 - h;
                const double sm = converged_sigma(wd, rows, cols);
                wd[i] = w0;
                const double g = (double)lambda * (pow(pow(sp, k) - 1.0, 2.0) - pow(pow(sm, k) - 1.0, 2.0)) / (2 * h);
                tworst = fmax(tworst, fabs(tg[i] - g));
                tmax = fmax(tmax, fabs(g));
            }
            CHECK(tworst <= 1e-4 * (1 + tmax), "%s: target gradient (k %u) vs finite differences off by %.3g (max %.3g)",
                  what, k, tworst, tmax);
            free(tg);
        }
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_reg_spectral_target_grad",
                    clnn_reg_spectral_target_grad(ctx, tu, tv, ts, lambda, 0, tout));
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_reg_spectral_target_value",
                    clnn_reg_spectral_target_value(ctx, ts, -1.0f, 2, tval));
    }
    clnn_tensor_release(tw), clnn_tensor_release(tu), clnn_tensor_release(tv), clnn_tensor_release(ts);
    clnn_tensor_release(tval), clnn_tensor_release(tout);
    free(w), free(u0), free(nanv), free(wd), free(ur), free(vr), free(u), free(v), free(s), free(u2), free(s2);
    free(val), free(out), free(nref);
}

int main(void)
{
    ctx = test_context();
    static const size_t shapes[][2] = {{1, 1}, {1, 7}, {7, 1}, {13, 11}, {31, 4}, {2, 257}};
    /* 300 power iterations are thousands of launches: on the simulator
     * (small mode) the converged finite-difference case runs for 1x1, 13x11
     * and 2x257 only (single element, odd 2-D, more columns than a lane
     * count); the single-iteration case runs for every shape. */
    static const int converged_in_small_mode[] = {1, 0, 0, 1, 0, 1};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        spectral(2, shapes[i], 1, 0);
        char what[96];
        snprintf(what, sizeof what, "spectral %zux%zu, 300 iterations with finite differences", shapes[i][0],
                 shapes[i][1]);
        if (converged_in_small_mode[i] || test_large(what)) spectral(2, shapes[i], 300, 1);
    }
    const size_t filters[4] = {5, 3, 3, 3}; /* a conv filter bank, viewed as [5, 27] */
    spectral(4, filters, 200, 1);
    const size_t large[2] = {1027, 1021};
    if (test_large("spectral norm of a 1027 x 1021 matrix")) spectral(2, large, 3, 0);
    clnn_context_release(ctx);
    return check_summary();
}
