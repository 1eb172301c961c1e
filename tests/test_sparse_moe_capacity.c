/* MoE dispatch with a capacity (clnn_moe_dispatch_capacity, clnn_moe_capacity)
 * against a host reference written from Switch's definition: pairs taken in
 * token order, the first C of each expert kept at row e·C + rank, the rest
 * dropped (-1); the expert buffer's bits, its zero padding, the counts and
 * the dropped count exactly; combine and its backward on those positions
 * (dropped pairs add 0, unreached rows of dy_sorted are 0); bad input that
 * leaves the outputs alone. */
#include "sparse_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_capacity(clnn_context *ctx, size_t T, size_t k, size_t E, size_t C, size_t D, unsigned seed)
{
    size_t P = T * k;
    float *x = malloc(T * D * 4), *g = malloc(P * 4), *dy = malloc(T * D * 4), *u = malloc(P * 4);
    int32_t *idx = malloc(P * 4), *want_pos = malloc(P * 4), *want_counts = calloc(E, 4);
    REQUIRE(x && g && dy && u && idx && want_pos && want_counts, "host memory");
    test_fill_uniform(x, T * D, seed, -2.0f, 2.0f);
    test_fill_uniform(g, P, seed + 1, 0.0f, 1.0f);
    test_fill_uniform(dy, T * D, seed + 2, -1.0f, 1.0f);
    test_fill_uniform(u, P, seed + 3, 0.0f, 1.0f);
    for (size_t p = 0; p < P; p++) /* skewed toward expert 0 so that it overflows; one in 17 outside [0, E) */
        idx[p] = p % 17 == 5 ? (int32_t)E : (int32_t)(u[p] * u[p] * (float)E);
    size_t dropped = 0;
    for (size_t p = 0; p < P; p++) {
        int32_t e = idx[p];
        if (e < 0 || (size_t)e >= E || (size_t)want_counts[e] >= C) {
            want_pos[p] = -1, dropped++;
            continue;
        }
        want_pos[p] = (int32_t)((size_t)e * C + (size_t)want_counts[e]++);
    }
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, T, D, x, 0), *ti = sp_tensor(ctx, CLNN_INT32, T, k, idx, 0);
    clnn_tensor *counts = sp_tensor(ctx, CLNN_INT32, E, 0, NULL, -7), *drop = sp_tensor(ctx, CLNN_INT32, 1, 0, NULL, -7);
    clnn_tensor *pos = sp_tensor(ctx, CLNN_INT32, T, k, NULL, -7), *xb = sp_tensor(ctx, CLNN_FLOAT32, E * C, D, NULL, -7);
    CHECK_OK(ctx, clnn_moe_dispatch_capacity(ctx, tx, ti, C, counts, drop, pos, xb));
    uint32_t *gp = sp_words(ctx, pos), *gc = sp_words(ctx, counts), *gd = sp_words(ctx, drop), *gx = sp_words(ctx, xb);
    char what[96];
    snprintf(what, sizeof what, "capacity T %zu k %zu E %zu C %zu D %zu", T, k, E, C, D);
    size_t bad = 0;
    for (size_t p = 0; p < P; p++) bad += gp[p] != (uint32_t)want_pos[p];
    for (size_t e = 0; e < E; e++) bad += gc[e] != (uint32_t)want_counts[e];
    CHECK(bad == 0 && gd[0] == (uint32_t)dropped, "%s: %zu positions or counts differ, dropped %u (want %zu)", what,
          bad, gd[0], dropped);
    /* the buffer: kept rows are x's rows, the rest 0 */
    float *want_x = calloc(E * C * D, 4);
    REQUIRE(want_x, "host memory");
    for (size_t p = 0; p < P; p++)
        if (want_pos[p] >= 0) memcpy(want_x + (size_t)want_pos[p] * D, x + (p / k) * D, D * 4);
    CHECK(!memcmp(gx, want_x, E * C * D * 4), "%s: the expert buffer differs", what);

    /* combine with gates, and its backward, on the buffer as the experts' output */
    clnn_tensor *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, g, 0), *y = sp_tensor(ctx, CLNN_FLOAT32, T, D, NULL, -7);
    clnn_tensor *tdy = sp_tensor(ctx, CLNN_FLOAT32, T, D, dy, 0), *dys = sp_tensor(ctx, CLNN_FLOAT32, E * C, D, NULL, -7);
    clnn_tensor *dg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, -7);
    CHECK_OK(ctx, clnn_moe_combine(ctx, xb, pos, tg, y));
    CHECK_OK(ctx, clnn_moe_combine_backward(ctx, xb, pos, tg, tdy, dys, dg));
    uint32_t *gy = sp_words(ctx, y), *gdys = sp_words(ctx, dys), *gdg = sp_words(ctx, dg);
    double worst = 0.0;
    float *want_dys = calloc(E * C * D, 4);
    REQUIRE(want_dys, "host memory");
    for (size_t t = 0; t < T; t++)
        for (size_t d = 0; d < D; d++) {
            double acc = 0.0;
            for (size_t q = 0; q < k; q++)
                if (want_pos[t * k + q] >= 0) acc += (double)g[t * k + q] * want_x[(size_t)want_pos[t * k + q] * D + d];
            worst = fmax(worst, fabs(sp_float(gy[t * D + d]) - acc) / (1e-6 + 1e-6 * fabs(acc)));
        }
    for (size_t p = 0; p < P; p++) {
        double acc = 0.0;
        if (want_pos[p] >= 0)
            for (size_t d = 0; d < D; d++) {
                acc += (double)dy[(p / k) * D + d] * want_x[(size_t)want_pos[p] * D + d];
                want_dys[(size_t)want_pos[p] * D + d] = g[p] * dy[(p / k) * D + d];
            }
        worst = fmax(worst, fabs(sp_float(gdg[p]) - acc) / (1e-5 + 1e-5 * fabs(acc)));
    }
    CHECK(worst <= 1.0, "%s: combine or dgates %.3g of the tolerance", what, worst);
    CHECK(!memcmp(gdys, want_dys, E * C * D * 4), "%s: dy_sorted differs (unreached rows must be 0)", what);
    free(x), free(g), free(dy), free(u), free(idx), free(want_pos), free(want_counts), free(want_x), free(want_dys);
    free(gp), free(gc), free(gd), free(gx), free(gy), free(gdys), free(gdg);
    clnn_tensor *all[] = {tx, ti, counts, drop, pos, xb, tg, y, tdy, dys, dg};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

static void check_errors(clnn_context *ctx)
{
    int32_t idx[8] = {0, 1, 2, 3, 0, 1, 2, 3};
    clnn_tensor *x = sp_tensor(ctx, CLNN_FLOAT32, 4, 3, NULL, 1.0f), *ti = sp_tensor(ctx, CLNN_INT32, 4, 2, idx, 0);
    clnn_tensor *counts = sp_tensor(ctx, CLNN_INT32, 4, 0, NULL, -7), *drop = sp_tensor(ctx, CLNN_INT32, 1, 0, NULL, -7);
    clnn_tensor *pos = sp_tensor(ctx, CLNN_INT32, 4, 2, NULL, -7), *xb = sp_tensor(ctx, CLNN_FLOAT32, 8, 3, NULL, -7);
    clnn_tensor *xb_small = sp_tensor(ctx, CLNN_FLOAT32, 7, 3, NULL, -7), *drop2 = sp_tensor(ctx, CLNN_INT32, 2, 0, NULL, -7);
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const char *f = "clnn_moe_dispatch_capacity";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_dispatch_capacity(NULL, x, ti, 2, counts, drop, pos, xb));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch_capacity(ctx, NULL, ti, 2, counts, drop, pos, xb));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch_capacity(ctx, x, ti, 0, counts, drop, pos, xb));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch_capacity(ctx, x, ti, 2, counts, drop, pos, xb_small));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch_capacity(ctx, x, ti, 2, counts, drop2, pos, xb));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch_capacity(ctx, x, ti, 2, xb, drop, pos, xb));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch_capacity(ctx, x, ti, 2, counts, drop, (clnn_tensor *)ti, xb));
    uint32_t *w[] = {sp_words(ctx, counts), sp_words(ctx, drop), sp_words(ctx, pos), sp_words(ctx, xb)};
    size_t n[] = {4, 1, 8, 24};
    int unchanged = 1;
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < n[i]; j++) unchanged &= i == 3 ? w[i][j] == sp_bits(-7.0f) : w[i][j] == (uint32_t)-7;
        free(w[i]);
    }
    CHECK(unchanged, "%s: a rejected call changed an output", f);
    size_t cap = 99;
    const char *fc = "clnn_moe_capacity";
    EXPECT_FAIL(NULL, INVAL, fc, clnn_moe_capacity(0, 2, 4, 1.25f, &cap));
    EXPECT_FAIL(NULL, INVAL, fc, clnn_moe_capacity(8, 2, 0, 1.25f, &cap));
    EXPECT_FAIL(NULL, INVAL, fc, clnn_moe_capacity(8, 2, 4, 0.0f, &cap));
    EXPECT_FAIL(NULL, INVAL, fc, clnn_moe_capacity(8, 2, 4, NAN, &cap));
    EXPECT_FAIL(NULL, INVAL, fc, clnn_moe_capacity(8, 2, 4, 1.0f, NULL));
    CHECK(cap == 99, "clnn_moe_capacity: a rejected call changed *capacity");
    CHECK_OK(NULL, clnn_moe_capacity(10, 2, 4, 1.25f, &cap));
    CHECK(cap == 7, "clnn_moe_capacity(10, 2, 4, 1.25) = %zu, want ceil(6.25) = 7", cap);
    clnn_tensor *all[] = {x, ti, counts, drop, pos, xb, xb_small, drop2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_capacity(ctx, 1, 1, 1, 1, 1, 1);
    check_capacity(ctx, 37, 2, 4, 5, 7, 2);   /* most experts overflow */
    check_capacity(ctx, 64, 1, 8, 64, 3, 3);  /* nothing dropped but the outside expert */
    check_capacity(ctx, 300, 2, 16, 30, 17, 4);
    if (!test_small()) check_capacity(ctx, 5000, 2, 64, 160, 33, 5);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
