/* LOBSTER's shrink-and-prune (clnn_lobster_step) against the double
 * reference over several steps, with and without a mask, on awkward sizes;
 * the progressive N:M schedule (clnn_nm_schedule) against the Zhu & Gupta
 * formula written the other way round (tests/ref/ref_gradcomb.c), its
 * endpoints and monotonicity, and the progressive mask against the N:M
 * reference mask of the scheduled level.
 *
 * Tolerance (LOBSTER): a kept weight within 1e-6·(1 + |ref|) of the reference
 * (one fp32 multiply-add chain per step from O(1) values); the keep decision
 * must match except where the reference |w'| lies within 1e-5 of the
 * threshold, where fp32 rounding may fall on either side (counted, and
 * required to be rare). Masks and schedule levels: exact. */
#include "check.h"
#include "ref/ref.h"
#include "ref/ref_gradcomb.h"

#include <math.h>

static clnn_context *ctx;

/* ------------------------------------------------------------- LOBSTER */

static void lobster(size_t n, int masked, float lr, float lambda, float s, float threshold)
{
    float *w = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float)), *mask = malloc(n * sizeof(float));
    double *rw = malloc(n * sizeof(double)), *rg = malloc(n * sizeof(double)), *rm = malloc(n * sizeof(double));
    REQUIRE(w && g && mask && rw && rg && rm, "out of memory");
    test_fill_uniform(w, n, (unsigned)n, -1.0f, 1.0f);
    test_fill_uniform(mask, n, (unsigned)n + 1, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        mask[i] = mask[i] < 0.8f ? 1.0f : 0.0f;
        rw[i] = w[i], rm[i] = mask[i];
    }
    clnn_tensor *tw = test_tensor_from(ctx, 1, &n, w), *tg = test_tensor_from(ctx, 1, &n, w);
    clnn_tensor *tm = test_tensor_from(ctx, 1, &n, mask);
    size_t bad = 0, near = 0;
    double worst = 0;
    for (unsigned step = 0; step < 3; step++) {
        test_fill_uniform(g, n, 40u + step, -2.0f * s, 2.0f * s); /* insensitivity from 1 down to 0 (|g| >= s) */
        for (size_t i = 0; i < n; i++) rg[i] = g[i];
        CHECK_OK(ctx, clnn_tensor_upload(tg, g, n * sizeof(float)));
        CHECK_OK(ctx, clnn_lobster_step(ctx, tg, lr, lambda, s, threshold, tw, masked ? tm : NULL));
        double *prev = malloc(n * sizeof(double));
        REQUIRE(prev, "out of memory");
        memcpy(prev, rw, n * sizeof(double));
        ref_lobster(n, lr, lambda, s, threshold, rw, rg, masked ? rm : NULL);
        float *dw = test_download(ctx, tw), *dm = test_download(ctx, tm);
        for (size_t i = 0; i < n; i++) {
            double e = fabs(dw[i] - rw[i]) / (1e-6 * (1 + fabs(rw[i])));
            int mask_differs = masked && dm[i] != rm[i];
            if (e > 1 || mask_differs) { /* a keep decision differs: fine only at the threshold */
                double w1 = prev[i] - (double)lr * lambda * prev[i] * fmax(0.0, 1.0 - fabs(rg[i]) / s);
                if (fabs(fabs(w1) - threshold) <= 1e-5) near++;
                else bad++;
            } else {
                worst = fmax(worst, e);
            }
            rw[i] = dw[i], rm[i] = masked ? dm[i] : 1.0; /* each step is checked from the device's state */
        }
        free(dw), free(dm), free(prev);
    }
    CHECK(bad == 0 && worst <= 1, "lobster n=%zu masked %d: %zu keep decisions differ, value error %.3g of tolerance",
          n, masked, bad, worst);
    CHECK(near <= 1 + n / 10000, "lobster n=%zu: %zu borderline decisions", n, near);
    /* pruned weights are exactly zero and (masked) their mask is cleared */
    float *dw = test_download(ctx, tw), *dm = test_download(ctx, tm);
    size_t pruned = 0, stray = 0;
    for (size_t i = 0; i < n; i++) {
        pruned += dw[i] == 0.0f;
        if (masked) stray += (dm[i] == 0.0f) != (dw[i] == 0.0f);
    }
    CHECK(stray == 0, "lobster n=%zu: %zu mask entries disagree with the pruned weights", n, stray);
    if (n >= 1000 && threshold > 0) CHECK(pruned > 0 && pruned < n, "lobster n=%zu: %zu pruned, nothing tested", n, pruned);
    if (!masked) {
        float *m0 = test_download(ctx, tm); /* an absent mask is not touched: still the input mask */
        size_t changed = 0;
        for (size_t i = 0; i < n; i++) changed += m0[i] != mask[i];
        CHECK(changed == 0, "lobster without a mask changed the mask tensor (%zu entries)", changed);
        free(m0);
    }
    free(dw), free(dm);
    clnn_tensor_release(tw), clnn_tensor_release(tg), clnn_tensor_release(tm);
    free(w), free(g), free(mask), free(rw), free(rg), free(rm);
}

/* ------------------------------------------------------- N:M schedule */

static void schedule(unsigned n, unsigned m, unsigned long t0, unsigned long t1)
{
    unsigned prev = m, got = 0;
    int mono = 1, match = 1;
    for (unsigned long t = 0; t <= t1 + 10; t++) {
        CHECK_OK(NULL, clnn_nm_schedule(n, m, t0, t1, t, &got));
        mono &= got <= prev && got >= n && got <= m;
        match &= got == ref_nm_schedule(n, m, t0, t1, t);
        prev = got;
    }
    CHECK(mono, "nm schedule %u:%u [%lu, %lu] not monotone or out of [n, m]", n, m, t0, t1);
    CHECK(match, "nm schedule %u:%u [%lu, %lu] differs from the reference", n, m, t0, t1);
    CHECK_OK(NULL, clnn_nm_schedule(n, m, t0, t1, t1, &got));
    CHECK(got == n, "nm schedule %u:%u at t1: %u", n, m, got);
    CHECK_OK(NULL, clnn_nm_schedule(n, m, t0, t1, t1 + 1000000, &got));
    CHECK(got == n, "nm schedule %u:%u after t1: %u", n, m, got);
    if (t0 > 0 && t0 < t1) {
        CHECK_OK(NULL, clnn_nm_schedule(n, m, t0, t1, t0, &got));
        CHECK(got == m, "nm schedule %u:%u at t0: %u (dense expected)", n, m, got);
        CHECK_OK(NULL, clnn_nm_schedule(n, m, t0, t1, 0, &got));
        CHECK(got == m, "nm schedule %u:%u at 0: %u (dense expected)", n, m, got);
    }
    if (t0 == t1 && t0 > 0) {
        CHECK_OK(NULL, clnn_nm_schedule(n, m, t0, t1, t0 - 1, &got));
        CHECK(got == m, "nm schedule %u:%u just before t0 = t1: %u", n, m, got);
    }
}

/* Every level of a 2:8 schedule passes through the progressive mask: the
 * device mask equals the reference N:M mask of the scheduled level. */
static void progressive_mask(size_t rows, size_t cols, unsigned n, unsigned m)
{
    size_t count = rows * cols, shape[2] = {rows, cols};
    float *w = malloc(count * sizeof(float)), *ref = malloc(count * sizeof(float));
    REQUIRE(w && ref, "out of memory");
    test_fill_uniform(w, count, (unsigned)count, -2.0f, 2.0f);
    for (size_t i = 0; i < count; i += 5) w[i] = roundf(w[i]); /* some ties */
    clnn_tensor *tw = test_tensor_from(ctx, 2, shape, w), *tm = test_tensor_from(ctx, 2, shape, w);
    const unsigned long t0 = 10, t1 = 50;
    unsigned levels = 0, last = m + 1;
    for (unsigned long t = 0; t <= 60; t += 2) {
        CHECK_OK(ctx, clnn_prune_nm_progressive_mask(ctx, tw, n, m, t0, t1, t, tm));
        unsigned keep = ref_nm_schedule(n, m, t0, t1, t);
        levels += keep != last;
        last = keep;
        ref_nm_mask(w, count, keep, m, ref);
        float *mask = test_download(ctx, tm);
        size_t diff = 0, kept = 0;
        for (size_t i = 0; i < count; i++) diff += mask[i] != ref[i], kept += mask[i] == 1.0f;
        CHECK(diff == 0 && kept == count / m * keep, "progressive %u:%u [%zu, %zu] step %lu: %zu entries differ",
              n, m, rows, cols, t, diff);
        free(mask);
    }
    CHECK(levels == m - n + 1, "progressive %u:%u: %u levels seen, expected %u", n, m, levels, m - n + 1);
    clnn_tensor_release(tw), clnn_tensor_release(tm);
    free(w), free(ref);
}

int main(void)
{
    ctx = test_context();
    static const size_t sizes[] = {1, 2, 7, 257, 4099};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int masked = 0; masked < 2; masked++) {
            lobster(sizes[i], masked, 0.1f, 2.0f, 0.5f, 0.05f);
            lobster(sizes[i], masked, 1.0f, 0.5f, 2.0f, 0.0f);
        }
    if (test_large("LOBSTER on 2^20 + 3 elements")) lobster(((size_t)1 << 20) + 3, 1, 0.1f, 2.0f, 0.5f, 0.05f);
    schedule(2, 4, 100, 1100);
    schedule(1, 8, 0, 37);
    schedule(2, 8, 5, 6);
    schedule(4, 4, 3, 9);
    schedule(0, 64, 2, 500);
    schedule(2, 4, 20, 20);
    progressive_mask(3, 8, 2, 8);
    progressive_mask(1, 8, 2, 8);
    progressive_mask(5, 12, 1, 4);
    progressive_mask(7, 128, 2, 4);
    if (test_large("progressive 2:4 mask of [1024, 1028]")) progressive_mask(1024, 1028, 2, 4);
    clnn_context_release(ctx);
    return check_summary();
}
