/* Inverted dropout: the mask reproduced bit for bit by the independent host
 * Philox (tests/ref), the keep rate within 5 standard deviations on 2^20 + 7
 * elements, kept values scaled by exactly 1/(1-p), p = 0 is the identity,
 * and the backward pass regenerates the same mask (checked as the Jacobian
 * of the forward by central differences through the device). */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static void check_dropout(clnn_context *ctx, size_t n, float p, uint64_t seed, uint32_t stream)
{
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy);
    REQUIRE(x && dy, "host memory");
    test_fill_uniform(x, n, (unsigned)n, -2.0f, 2.0f);
    test_fill_uniform(dy, n, (unsigned)n + 1, -2.0f, 2.0f);
    clnn_tensor *tx = test_tensor_from(ctx, 1, &n, x), *tdy = test_tensor_from(ctx, 1, &n, dy), *ty = NULL,
                *tm = NULL, *tdx = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &ty));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &tm));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &tdx));
    CHECK_OK(ctx, clnn_dropout_forward(ctx, tx, p, seed, stream, ty, tm));
    CHECK_OK(ctx, clnn_dropout_backward(ctx, tdy, p, seed, stream, tdx));
    float *y = test_download(ctx, ty), *m = test_download(ctx, tm), *dx = test_download(ctx, tdx);
    const float scale = 1.0f / (1.0f - p); /* fp32, as the API documents */
    size_t bad_mask = 0, bad_y = 0, bad_dx = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        int keep = ref_dropout_keep(seed, stream, i, p);
        kept += keep;
        bad_mask += m[i] != (keep ? 1.0f : 0.0f);
        bad_y += y[i] != (keep ? x[i] * scale : 0.0f);
        bad_dx += dx[i] != (keep ? dy[i] * scale : 0.0f);
    }
    CHECK(bad_mask == 0 && bad_y == 0 && bad_dx == 0,
          "n=%zu p=%g: %zu mask, %zu forward, %zu backward values differ from the host Philox mask", n, (double)p,
          bad_mask, bad_y, bad_dx);
    if (p == 0.0f) CHECK(memcmp(x, y, n * sizeof *x) == 0, "p = 0 must be the identity");
    if (n >= 100000) { /* keep rate: binomial, 5 standard deviations */
        double rate = (double)kept / (double)n, sd = sqrt((double)p * (1.0 - p) / (double)n);
        CHECK(fabs(rate - (1.0 - p)) <= 5 * sd + 1e-12, "n=%zu p=%g: keep rate %.6f, expected %.6f +- %.6f", n,
              (double)p, rate, 1.0 - p, 5 * sd);
    }
    /* a different seed or stream gives a different mask */
    if (n >= 1000 && p > 0) {
        CHECK_OK(ctx, clnn_dropout_forward(ctx, tx, p, seed + 1, stream, ty, tm));
        float *m2 = test_download(ctx, tm);
        size_t same = 0;
        for (size_t i = 0; i < n; i++) same += m2[i] == m[i];
        CHECK(same < n, "seed + 1 gave the same mask");
        free(m2);
    }
    /* backward = Jacobian of forward (diagonal): central differences through
     * the device forward, step 0.5 (exact in fp32; the map is linear) */
    if (n <= 1000) {
        float *xp = malloc(n * sizeof *xp);
        REQUIRE(xp, "host memory");
        for (size_t i = 0; i < n; i++) xp[i] = x[i] + 0.5f;
        CHECK_OK(ctx, clnn_tensor_upload(tx, xp, n * sizeof *xp));
        CHECK_OK(ctx, clnn_dropout_forward(ctx, tx, p, seed, stream, ty, NULL));
        float *yp = test_download(ctx, ty);
        for (size_t i = 0; i < n; i++) xp[i] = x[i] - 0.5f;
        CHECK_OK(ctx, clnn_tensor_upload(tx, xp, n * sizeof *xp));
        CHECK_OK(ctx, clnn_dropout_forward(ctx, tx, p, seed, stream, ty, NULL));
        float *ym = test_download(ctx, ty);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            double fd = ((double)yp[i] - ym[i]) / 1.0; /* (f(x+h) - f(x-h)) / 2h, h = 0.5 */
            bad += fabs(dx[i] - dy[i] * fd) > 1e-6 * fabs(dy[i] * fd) + 1e-7;
        }
        CHECK(bad == 0, "n=%zu p=%g: %zu backward values disagree with finite differences", n, (double)p, bad);
        free(xp);
        free(yp);
        free(ym);
    }
    free(y); free(m); free(dx); free(x); free(dy);
    clnn_tensor_release(tx); clnn_tensor_release(tdy); clnn_tensor_release(ty);
    clnn_tensor_release(tm); clnn_tensor_release(tdx);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_dropout(ctx, 1, 0.5f, 1, 0);
    check_dropout(ctx, 7, 0.3f, 42, 3);
    check_dropout(ctx, 1000, 0.0f, 7, 0);
    check_dropout(ctx, 1000, 0.9f, 0xFFFFFFFFFFull, 1);
    check_dropout(ctx, 4099, 0.3f, 0x0123456789ABCDEFull, 5); /* many work-groups, ragged tail */
    if (test_large("dropout on 2^20 + 7 elements, p = 0.3")) check_dropout(ctx, ((size_t)1 << 20) + 7, 0.3f, 0x0123456789ABCDEFull, 5);
    if (test_large("dropout on 2^20 + 7 elements, p = 0.5")) check_dropout(ctx, ((size_t)1 << 20) + 7, 0.5f, 2024, 0);
    clnn_context_release(ctx);
    return check_summary();
}
