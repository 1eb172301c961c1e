/* The Jacobian penalty by random projections (include/clnn/robust.h): the
 * projections against the Philox reference (unit rows of Box-Muller normals
 * in double; the kernel's log and cos builtins allowed a few ulp); one step
 * (penalty written and accumulated, shifted inputs with a zero-gradient
 * sample, the finite-difference dlogits) against double code; and the
 * documented recipe end to end on z = W tanh(x): the parameter gradient from
 * the step's outputs against the exact gradient of the penalty, with the
 * error falling about tenfold from h = 1e-2 to 1e-3 (first order in h);
 * bad input refused with the outputs unchanged. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static void check_projections(clnn_context *ctx, size_t n, size_t c)
{
    const uint64_t seed = 5;
    const uint32_t stream = 2;
    clnn_tensor *v = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    CHECK_OK(ctx, clnn_jacobian_projections(ctx, seed, stream, v));
    float *got = test_download(ctx, v);
    double *want = malloc(n * c * sizeof *want);
    REQUIRE(want, "host memory");
    for (size_t i = 0; i < n; i++) {
        double norm = 0.0;
        for (size_t j = 0; j < c; j++) want[i * c + j] = ref_box_muller(seed, stream, i * c + j);
        for (size_t j = 0; j < c; j++) norm += want[i * c + j] * want[i * c + j];
        for (size_t j = 0; j < c; j++) want[i * c + j] /= sqrt(norm);
    }
    const double e = test_max_rel_error(got, want, n * c, 1e-5, 1e-4);
    CHECK(e <= 1.0, "projections %zux%zu vs the Philox reference: error %.3g of tolerance", n, c, e);
    free(got), free(want);
    clnn_tensor_release(v);
}

static void check_step(clnn_context *ctx, size_t n, size_t d, size_t c)
{
    const float lambda = 0.3f, h = 0.01f;
    const unsigned nproj = 2;
    float *x = malloc(n * d * sizeof *x), *g = malloc(n * d * sizeof *g), *v = malloc(n * c * sizeof *v);
    REQUIRE(x && g && v, "host memory");
    test_fill_uniform(x, n * d, 1, -1.0f, 1.0f);
    test_fill_uniform(g, n * d, 2, -1.0f, 1.0f);
    test_fill_uniform(v, n * c, 3, -1.0f, 1.0f);
    for (size_t j = 0; j < d; j++) g[d + j] = 0.0f; /* sample 1: no gradient */
    size_t xs[2] = {n, d}, vs[2] = {n, c};
    clnn_tensor *tx = test_tensor_from(ctx, 2, xs, x), *tg = test_tensor_from(ctx, 2, xs, g);
    clnn_tensor *tv = test_tensor_from(ctx, 2, vs, v), *pen = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.25f);
    clnn_tensor *xsh = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f), *dz = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    CHECK_OK(ctx, clnn_jacobian_penalty_step(ctx, tx, tv, tg, lambda, nproj, h, 1, pen, xsh, dz));
    float *p = test_download(ctx, pen), *gx = test_download(ctx, xsh), *gz = test_download(ctx, dz);
    const double k = (double)lambda * (double)c / ((double)nproj * (double)n);
    double want = 0.25, *wx = malloc(n * d * sizeof *wx), *wz = malloc(n * c * sizeof *wz);
    REQUIRE(wx && wz, "host memory");
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) s += (double)g[i * d + j] * g[i * d + j];
        const double norm = sqrt(s);
        want += k * s;
        for (size_t j = 0; j < d; j++) wx[i * d + j] = x[i * d + j] + (norm > 0 ? h * g[i * d + j] / norm : 0.0);
        for (size_t j = 0; j < c; j++) wz[i * c + j] = 2.0 * k * norm / h * v[i * c + j];
    }
    CHECK(fabs(p[0] - want) <= 1e-6 + 1e-5 * want, "Jacobian step %zux%zu: accumulated penalty %.9g, want %.9g", n, d,
          (double)p[0], want);
    double e = test_max_rel_error(gx, wx, n * d, 1e-7, 1e-6);
    CHECK(e <= 1.0, "Jacobian step %zux%zu: x_shift error %.3g of tolerance", n, d, e);
    e = test_max_rel_error(gz, wz, n * c, 1e-6, 1e-5);
    CHECK(e <= 1.0, "Jacobian step %zux%zu: dlogits_shift error %.3g of tolerance", n, d, e);
    free(x), free(g), free(v), free(p), free(gx), free(gz), free(wx), free(wz);
    clnn_tensor_release(tx), clnn_tensor_release(tg), clnn_tensor_release(tv), clnn_tensor_release(pen);
    clnn_tensor_release(xsh), clnn_tensor_release(dz);
}

/* The recipe on z = W tanh(x), W [C, D]: returns the largest error of the
 * finite-difference gradient of the penalty wrt W against the exact one,
 * relative to the gradient's largest entry. */
static double recipe_error(clnn_context *ctx, size_t n, size_t d, size_t c, float h)
{
    const float lambda = 0.5f;
    float *x = malloc(n * d * sizeof *x), *w = malloc(c * d * sizeof *w), *g = malloc(n * d * sizeof *g);
    REQUIRE(x && w && g, "host memory");
    test_fill_uniform(x, n * d, 11, -1.5f, 1.5f);
    test_fill_uniform(w, c * d, 13, -1.0f, 1.0f);
    size_t xs[2] = {n, d};
    clnn_tensor *tv = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    CHECK_OK(ctx, clnn_jacobian_projections(ctx, 9, 0, tv));
    float *v = test_download(ctx, tv);
    /* the caller's backward with dlogits = v: g_i = (Wᵀ v_i) ⊙ (1 − tanh²(x_i)) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t r = 0; r < c; r++) s += (double)w[r * d + j] * v[i * c + r];
            const double t = tanh(x[i * d + j]);
            g[i * d + j] = (float)(s * (1.0 - t * t));
        }
    clnn_tensor *tx = test_tensor_from(ctx, 2, xs, x), *tg = test_tensor_from(ctx, 2, xs, g);
    clnn_tensor *xsh = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f), *dz = test_filled(ctx, CLNN_FLOAT32, n, c, 0.0f);
    CHECK_OK(ctx, clnn_jacobian_penalty_step(ctx, tx, tv, tg, lambda, 1, h, 0, NULL, xsh, dz));
    float *xs_h = test_download(ctx, xsh), *dz_h = test_download(ctx, dz);
    /* the recipe: Σ_i dz_i (tanh(x_shift_i) − tanh(x_i))ᵀ, in double */
    double *fd = calloc(c * d, sizeof *fd), *exact = calloc(c * d, sizeof *exact), big = 0.0, worst = 0.0;
    REQUIRE(fd && exact, "host memory");
    const double k = (double)lambda * (double)c / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < c; r++)
            for (size_t j = 0; j < d; j++)
                fd[r * d + j] += dz_h[i * c + r] * (tanh(xs_h[i * d + j]) - tanh(x[i * d + j]));
    /* exact: P = k Σ_i Σ_j (s_ij a_ij)², s = Wᵀ v, a = 1 − tanh²: dP/dW[r, j] = k Σ_i 2 s_ij a_ij² v_ir */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t r = 0; r < c; r++) s += (double)w[r * d + j] * v[i * c + r];
            const double t = tanh(x[i * d + j]), a = 1.0 - t * t;
            for (size_t r = 0; r < c; r++) exact[r * d + j] += k * 2.0 * s * a * a * v[i * c + r];
        }
    for (size_t e = 0; e < c * d; e++) big = fmax(big, fabs(exact[e]));
    for (size_t e = 0; e < c * d; e++) worst = fmax(worst, fabs(fd[e] - exact[e]));
    free(x), free(w), free(g), free(v), free(xs_h), free(dz_h), free(fd), free(exact);
    clnn_tensor_release(tv), clnn_tensor_release(tx), clnn_tensor_release(tg), clnn_tensor_release(xsh);
    clnn_tensor_release(dz);
    return worst / big;
}

static void check_recipe(clnn_context *ctx)
{
    const double coarse = recipe_error(ctx, 6, 9, 4, 1e-2f), fine = recipe_error(ctx, 6, 9, 4, 1e-3f);
    printf("Jacobian recipe on W tanh(x): relative error %.3g at h = 1e-2, %.3g at h = 1e-3\n", coarse, fine);
    CHECK(fine <= 5e-3, "Jacobian recipe, h = 1e-3: relative error %.3g of the exact gradient", fine);
    CHECK(coarse > 3.0 * fine && coarse < 30.0 * fine,
          "Jacobian recipe: error %.3g at h = 1e-2 and %.3g at 1e-3 is not first order in h", coarse, fine);
}

static void check_errors(clnn_context *ctx)
{
    const char *fn = "clnn_jacobian_penalty_step";
    clnn_tensor *x = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *v = test_filled(ctx, CLNN_FLOAT32, 3, 2, 0.5f);
    clnn_tensor *v4 = test_filled(ctx, CLNN_FLOAT32, 4, 2, 0.5f), *pen = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    clnn_tensor *xs = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f), *dz = test_filled(ctx, CLNN_FLOAT32, 3, 2, -7.0f);
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_jacobian_penalty_step(ctx, x, v4, x, 1.0f, 1, 0.01f, 0, pen, xs, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_jacobian_penalty_step(ctx, x, v, x, 1.0f, 0, 0.01f, 0, pen, xs, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_jacobian_penalty_step(ctx, x, v, x, 1.0f, 1, 0.0f, 0, pen, xs, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_jacobian_penalty_step(ctx, x, v, x, -1.0f, 1, 0.01f, 0, pen, xs, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_jacobian_penalty_step(ctx, x, v, x, 1.0f, 1, 0.01f, 2, pen, xs, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_jacobian_penalty_step(ctx, x, v, x, 1.0f, 1, 0.01f, 0, pen, x, dz));
    test_expect_filled(ctx, "penalty", pen, -7.0f);
    test_expect_filled(ctx, "x_shift", xs, -7.0f);
    test_expect_filled(ctx, "dlogits_shift", dz, -7.0f);
    clnn_tensor_release(x), clnn_tensor_release(v), clnn_tensor_release(v4), clnn_tensor_release(pen);
    clnn_tensor_release(xs), clnn_tensor_release(dz);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_projections(ctx, 1, 1);
    check_projections(ctx, 5, 10);
    check_projections(ctx, 3, 300);
    check_step(ctx, 4, 7, 3);
    check_step(ctx, 2, 300, 10);
    check_recipe(ctx);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
