/* Wasserstein regularization toward the initial weights
 * (clnn_reg_wasserstein) against the double reference (tests/ref/ref_sparse.c:
 * sort a copy, mean squared difference to the sorted initial weights):
 * sizes 1, 2, 3, 7, 31, 257, 4097 and 2^20 + 3 (large mode). The gradient
 * is checked against central differences of the reference on weights whose
 * values are at least 1/n apart (no reordering within h = 0.1/n, where the
 * piecewise-quadratic value makes central differences exact up to
 * rounding), and accumulates into grad. With ties, the gradient follows the
 * documented stable rule (checked against the reference's stable argsort).
 * Value-only and gradient-only calls give the same bits. */
#include "check.h"
#include "ref/ref_sparse.h"
#include "sparse_util.h"

#include <math.h>

#define LAMBDA 0.7

/* w: a random permutation of values (j + 0.25 + 0.5·u_j)·2/n − 1, at least 1/n apart */
static float *spread_weights(size_t n, unsigned seed)
{
    float *w = malloc(n * sizeof *w), *u = malloc(n * sizeof *u);
    REQUIRE(w && u, "host memory");
    test_fill_uniform(u, n, seed, 0.0f, 1.0f);
    for (size_t j = 0; j < n; j++) w[j] = (float)(((double)j + 0.25 + 0.5 * u[j]) * 2.0 / (double)n - 1.0);
    test_fill_uniform(u, n, seed + 1, 0.0f, 1.0f);
    for (size_t j = n; j > 1; j--) { /* Fisher-Yates with the test's own numbers */
        size_t r = (size_t)(u[j - 1] * (float)j) % j;
        float t = w[j - 1];
        w[j - 1] = w[r], w[r] = t;
    }
    free(u);
    return w;
}

static float read0(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

static void check_case(clnn_context *ctx, size_t n, size_t fd_points)
{
    float *w = spread_weights(n, (unsigned)n), *w0 = malloc(n * sizeof *w0), *g0 = malloc(n * sizeof *g0);
    REQUIRE(w0 && g0, "host memory");
    test_fill_uniform(w0, n, (unsigned)n + 7, -1.2f, 1.2f);
    test_fill_uniform(g0, n, (unsigned)n + 9, -1.0f / (float)n, 1.0f / (float)n);
    clnn_tensor *tw = sp_tensor(ctx, CLNN_FLOAT32, n, 0, w, 0), *tw0 = sp_tensor(ctx, CLNN_FLOAT32, n, 0, w0, 0);
    clnn_tensor *ts0 = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 0), *tg = sp_tensor(ctx, CLNN_FLOAT32, n, 0, g0, 0);
    clnn_tensor *tv = sp_tensor(ctx, CLNN_FLOAT32, 1, 0, NULL, -1.0f);
    CHECK_OK(ctx, clnn_sort(ctx, tw0, NULL, ts0, NULL));
    float *s0 = test_download(ctx, ts0);
    double *wd = malloc(n * sizeof *wd), *s0d = malloc(n * sizeof *s0d), *want = malloc(n * sizeof *want);
    REQUIRE(wd && s0d && want, "host memory");
    for (size_t i = 0; i < n; i++) wd[i] = w[i], s0d[i] = s0[i];

    CHECK_OK(ctx, clnn_reg_wasserstein(ctx, tw, ts0, (float)LAMBDA, tv, tg));
    float value = read0(ctx, tv), *g = test_download(ctx, tg);
    double ref = ref_w2(wd, s0d, n, LAMBDA);
    /* fp32 differences and sums over n terms: 1e-5 relative (+ tiny absolute) */
    CHECK(fabs(value - ref) <= 1e-5 * fabs(ref) + 1e-12, "w2 n=%zu: value %.9g, reference %.9g", n, value, ref);

    /* gradient (on top of g0) against central differences of the reference */
    double h = 0.1 / (double)n;
    size_t stride = n / fd_points ? n / fd_points : 1, count = 0;
    float *got = malloc(n * sizeof *got);
    REQUIRE(got, "host memory");
    for (size_t j = 0; j < n; j += stride) {
        double keep = wd[j];
        wd[j] = keep + h;
        double up = ref_w2(wd, s0d, n, LAMBDA);
        wd[j] = keep - h;
        double down = ref_w2(wd, s0d, n, LAMBDA);
        wd[j] = keep;
        got[count] = g[j];
        want[count++] = (double)g0[j] + (up - down) / (2 * h);
    }
    /* terms 2λ/n·d with |d| <= ~2: 1e-4 of 2λ/n absolute, 1e-4 relative */
    double err = test_max_rel_error(got, want, count, 1e-4 * 2 * LAMBDA / (double)n, 1e-4);
    CHECK(err <= 1.0, "w2 n=%zu: gradient vs finite differences: error %.3g of tolerance (%zu points)", n, err, count);

    /* value only / gradient only: the same bits */
    CHECK_OK(ctx, clnn_tensor_upload(tg, g0, n * sizeof *g0));
    CHECK_OK(ctx, clnn_tensor_fill(tv, -1.0f));
    CHECK_OK(ctx, clnn_reg_wasserstein(ctx, tw, ts0, (float)LAMBDA, NULL, tg));
    float *g2 = test_download(ctx, tg);
    CHECK(memcmp(g, g2, n * sizeof *g) == 0 && read0(ctx, tv) == -1.0f, "w2 n=%zu: gradient-only call differs", n);
    CHECK_OK(ctx, clnn_reg_wasserstein(ctx, tw, ts0, (float)LAMBDA, tv, NULL));
    float v2 = read0(ctx, tv);
    CHECK(memcmp(&v2, &value, sizeof v2) == 0, "w2 n=%zu: value-only call gives %.9g, not %.9g", n, v2, value);
    float *g3 = test_download(ctx, tg);
    CHECK(memcmp(g3, g2, n * sizeof *g) == 0, "w2 n=%zu: value-only call wrote grad", n);

    free(w), free(w0), free(g0), free(s0), free(wd), free(s0d), free(want), free(g), free(g2), free(g3), free(got);
    clnn_tensor_release(tw), clnn_tensor_release(tw0), clnn_tensor_release(ts0), clnn_tensor_release(tg);
    clnn_tensor_release(tv);
}

/* Ties: w holds 5 distinct values; grad[perm[i]] = 2λ/n·(w[perm[i]] − s0_i)
 * with perm the stable argsort (lower index, lower rank). */
static void check_ties(clnn_context *ctx, size_t n)
{
    float *w = malloc(n * sizeof *w), *s0 = malloc(n * sizeof *s0);
    uint32_t *perm = malloc(n * sizeof *perm);
    double *want = malloc(n * sizeof *want);
    REQUIRE(w && s0 && perm && want, "host memory");
    for (size_t i = 0; i < n; i++) w[i] = (float)((i * 7) % 5) * 0.5f - 1.0f, s0[i] = -1.5f + 3.0f * (float)i / (float)n;
    ref_argsort(w, n, perm);
    for (size_t i = 0; i < n; i++) want[perm[i]] = 2.0 * LAMBDA / (double)n * ((double)w[perm[i]] - s0[i]);
    clnn_tensor *tw = sp_tensor(ctx, CLNN_FLOAT32, n, 0, w, 0), *ts0 = sp_tensor(ctx, CLNN_FLOAT32, n, 0, s0, 0);
    clnn_tensor *tg = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 0.0f);
    CHECK_OK(ctx, clnn_reg_wasserstein(ctx, tw, ts0, (float)LAMBDA, NULL, tg));
    float *g = test_download(ctx, tg);
    double err = test_max_rel_error(g, want, n, 1e-9, 1e-6);
    CHECK(err <= 1.0, "w2 ties n=%zu: gradient does not follow the stable rule (error %.3g)", n, err);
    free(w), free(s0), free(perm), free(want), free(g);
    clnn_tensor_release(tw), clnn_tensor_release(ts0), clnn_tensor_release(tg);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const size_t sizes[] = {1, 2, 3, 7, 31, 257};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) check_case(ctx, sizes[i], 257);
    check_ties(ctx, 101);
    if (test_large("Wasserstein on 4097 and 2^20 + 3 weights")) {
        check_case(ctx, 4097, 128);
        check_case(ctx, (1u << 20) + 3, 6);
    }
    clnn_context_release(ctx);
    return check_summary();
}
