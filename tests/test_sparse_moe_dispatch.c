/* MoE token dispatch / combine (clnn_moe_dispatch, _dispatch_backward,
 * _combine, _combine_backward) against tests/ref/ref_sparse.c: the stable
 * grouping by expert (positions and offsets exactly, x_sorted bit for bit,
 * pairs of out-of-range experts last), combine against the double sum, and
 * both backward passes against central differences of the reference of
 * L = Σ dy·y (bilinear: exact up to rounding). Shapes (T, D, E, k): 1x1 E1
 * k1, 5x3 E4 k2, 33x7 E8 k3, 100x16 E61 k6, and 8192x64 E64 k8 (> 2^20
 * elements, large mode); a round trip through route -> dispatch -> identity
 * experts -> combine gives Σ_q g·x (= x with renormalized gates). */
#include "check.h"
#include "ref/ref_sparse.h"
#include "sparse_util.h"

#include <math.h>

typedef struct dcase {
    size_t T, D, E, k;
} dcase;

/* L(ys, g) = Σ dy·combine(ys, g): combine_backward's dys and dg (every
 * stride-th element of ys, then of g) against central differences of the reference */
static void check_combine_backward(dcase c, size_t stride, const float *ys, const float *g, const float *dy,
                                   const int32_t *pos_ref, const float *dys, const float *dg)
{
    size_t T = c.T, D = c.D, k = c.k, pairs = T * k;
    size_t count = 0, n_ys = pairs * D;
    float *got = malloc((n_ys + pairs) * sizeof *got);
    double *fd = malloc((n_ys + pairs) * sizeof *fd), h = 1e-3;
    REQUIRE(got && fd, "host memory");
    for (size_t i = 0; i < n_ys + pairs; i += stride) {
        /* element i: ys[i] for i < n_ys, else gate i - n_ys; only the token that uses it changes */
        size_t p = 0, d = 0;
        int is_gate = i >= n_ys;
        if (is_gate) p = i - n_ys;
        else {
            size_t r = i / D;
            d = i % D;
            for (p = 0; p < pairs && (size_t)pos_ref[p] != r; p++) {}
        }
        size_t t = p / k;
        double lv[2];
        for (int side = 0; side < 2; side++) {
            double l = 0.0, delta = side ? -h : h;
            for (size_t dd = 0; dd < D; dd++) {
                double s = 0.0;
                for (size_t q = 0; q < k; q++) {
                    size_t pp = t * k + q;
                    double gv = g[pp] + (is_gate && pp == p ? delta : 0.0);
                    double v = ys[(size_t)pos_ref[pp] * D + dd] + (!is_gate && pp == p && dd == d ? delta : 0.0);
                    s += gv * v;
                }
                l += dy[t * D + dd] * s;
            }
            lv[side] = l;
        }
        got[count] = is_gate ? dg[p] : dys[i];
        fd[count++] = (lv[0] - lv[1]) / (2 * h);
    }
    double err = test_max_rel_error(got, fd, count, 1e-5, 1e-4);
    CHECK(err <= 1.0, "combine_backward T=%zu D=%zu k=%zu vs finite differences: error %.3g", T, D, k, err);
    free(got), free(fd);
}

static void check_case(clnn_context *ctx, dcase c, size_t stride)
{
    size_t T = c.T, D = c.D, E = c.E, k = c.k, pairs = T * k;
    float *x = malloc(T * D * sizeof *x), *ys = malloc(pairs * D * sizeof *ys), *g = malloc(pairs * sizeof *g);
    float *dy = malloc(T * D * sizeof *dy);
    int32_t *idx = malloc(pairs * sizeof *idx), *pos_ref = malloc(pairs * sizeof *pos_ref);
    int32_t *off_ref = malloc((E + 1) * sizeof *off_ref);
    REQUIRE(x && ys && g && dy && idx && pos_ref && off_ref, "host memory");
    test_fill_uniform(x, T * D, (unsigned)(T + D), -1.0f, 1.0f);
    test_fill_uniform(ys, pairs * D, (unsigned)(T * 3 + D), -1.0f, 1.0f);
    test_fill_uniform(g, pairs, (unsigned)(T + 5), 0.0f, 1.0f);
    test_fill_uniform(dy, T * D, (unsigned)(T + 9), -1.0f, 1.0f);
    for (size_t p = 0; p < pairs; p++) idx[p] = (int32_t)((p * 7 + p / 3) % E);
    if (pairs > 3) idx[3] = (int32_t)E, idx[pairs - 1] = -1; /* two pairs of no expert */
    ref_moe_dispatch(idx, pairs, E, pos_ref, off_ref);

    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, T, D, x, 0), *ti = sp_tensor(ctx, CLNN_INT32, T, k, idx, 0);
    clnn_tensor *toff = sp_tensor(ctx, CLNN_INT32, E + 1, 0, NULL, -1.0f), *tpos = sp_tensor(ctx, CLNN_INT32, T, k, NULL, -1.0f);
    clnn_tensor *txs = sp_tensor(ctx, CLNN_FLOAT32, pairs, D, NULL, 9.0f), *tys = sp_tensor(ctx, CLNN_FLOAT32, pairs, D, ys, 0);
    clnn_tensor *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, g, 0), *ty = sp_tensor(ctx, CLNN_FLOAT32, T, D, NULL, 9.0f);
    clnn_tensor *tdy = sp_tensor(ctx, CLNN_FLOAT32, T, D, dy, 0), *tdys = sp_tensor(ctx, CLNN_FLOAT32, pairs, D, NULL, 9.0f);
    clnn_tensor *tdg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, 9.0f), *tdx = sp_tensor(ctx, CLNN_FLOAT32, T, D, NULL, 9.0f);

    CHECK_OK(ctx, clnn_moe_dispatch(ctx, tx, ti, toff, tpos, txs));
    int32_t *off = (int32_t *)sp_words(ctx, toff), *pos = (int32_t *)sp_words(ctx, tpos);
    uint32_t *xs = sp_words(ctx, txs);
    CHECK(memcmp(off, off_ref, (E + 1) * 4) == 0, "dispatch T=%zu E=%zu k=%zu: offsets differ", T, E, k);
    CHECK(memcmp(pos, pos_ref, pairs * 4) == 0, "dispatch T=%zu E=%zu k=%zu: positions differ", T, E, k);
    size_t bad = pairs * D;
    for (size_t p = 0; p < pairs && bad == pairs * D; p++)
        for (size_t d = 0; d < D; d++)
            if (xs[(size_t)pos_ref[p] * D + d] != sp_bits(x[(p / k) * D + d])) bad = p;
    CHECK(bad == pairs * D, "dispatch T=%zu E=%zu k=%zu: x_sorted row of pair %zu differs", T, E, k, bad);

    /* combine and the two backward passes */
    CHECK_OK(ctx, clnn_moe_combine(ctx, tys, tpos, tg, ty));
    CHECK_OK(ctx, clnn_moe_combine_backward(ctx, tys, tpos, tg, tdy, tdys, tdg));
    CHECK_OK(ctx, clnn_moe_dispatch_backward(ctx, tys, tpos, tdx));
    float *y = test_download(ctx, ty), *dys = test_download(ctx, tdys), *dg = test_download(ctx, tdg);
    float *dx = test_download(ctx, tdx);
    double *want = malloc(T * D * sizeof *want), *wdx = malloc(T * D * sizeof *wdx);
    REQUIRE(want && wdx, "host memory");
    for (size_t t = 0; t < T; t++)
        for (size_t d = 0; d < D; d++) {
            double s = 0.0, s1 = 0.0;
            for (size_t q = 0; q < k; q++) {
                double v = ys[(size_t)pos_ref[t * k + q] * D + d];
                s += (double)g[t * k + q] * v, s1 += v;
            }
            want[t * D + d] = s, wdx[t * D + d] = s1;
        }
    double err = test_max_rel_error(y, want, T * D, 1e-6, 1e-6);
    CHECK(err <= 1.0, "combine T=%zu D=%zu k=%zu: error %.3g of tolerance", T, D, k, err);
    err = test_max_rel_error(dx, wdx, T * D, 1e-6, 1e-6);
    CHECK(err <= 1.0, "dispatch_backward T=%zu D=%zu k=%zu: error %.3g of tolerance", T, D, k, err);

    check_combine_backward(c, stride, ys, g, dy, pos_ref, dys, dg);

    free(x), free(ys), free(g), free(dy), free(idx), free(pos_ref), free(off_ref), free(off), free(pos), free(xs);
    free(y), free(dys), free(dg), free(dx), free(want), free(wdx);
    clnn_tensor *all[] = {tx, ti, toff, tpos, txs, tys, tg, ty, tdy, tdys, tdg, tdx};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* route -> dispatch -> identity experts -> combine = Σ_q g·x = x (renormalized gates) */
static void check_round_trip(clnn_context *ctx)
{
    size_t T = 37, D = 5, E = 6, k = 3;
    float *x = malloc(T * D * sizeof *x), *z = malloc(T * E * sizeof *z);
    REQUIRE(x && z, "host memory");
    test_fill_uniform(x, T * D, 1, -1.0f, 1.0f);
    test_fill_uniform(z, T * E, 2, -2.0f, 2.0f);
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, T, D, x, 0), *tz = sp_tensor(ctx, CLNN_FLOAT32, T, E, z, 0);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, T, k, NULL, 0), *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, 0);
    clnn_tensor *toff = sp_tensor(ctx, CLNN_INT32, E + 1, 0, NULL, 0), *tpos = sp_tensor(ctx, CLNN_INT32, T, k, NULL, 0);
    clnn_tensor *txs = sp_tensor(ctx, CLNN_FLOAT32, T * k, D, NULL, 0), *ty = sp_tensor(ctx, CLNN_FLOAT32, T, D, NULL, 0);
    CHECK_OK(ctx, clnn_moe_route(ctx, tz, NULL, k, CLNN_MOE_SOFTMAX, 1, ti, tg));
    CHECK_OK(ctx, clnn_moe_dispatch(ctx, tx, ti, toff, tpos, txs));
    CHECK_OK(ctx, clnn_moe_combine(ctx, txs, tpos, tg, ty));
    float *y = test_download(ctx, ty);
    double *want = malloc(T * D * sizeof *want);
    REQUIRE(want, "host memory");
    for (size_t i = 0; i < T * D; i++) want[i] = x[i];
    double err = test_max_rel_error(y, want, T * D, 1e-6, 1e-5);
    CHECK(err <= 1.0, "route -> dispatch -> combine round trip: error %.3g of tolerance", err);
    free(x), free(z), free(y), free(want);
    clnn_tensor *all[] = {tx, tz, ti, tg, toff, tpos, txs, ty};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const dcase cases[] = {{1, 1, 1, 1}, {5, 3, 4, 2}, {33, 7, 8, 3}, {100, 16, 61, 6}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(ctx, cases[i], 1);
    check_round_trip(ctx);
    if (test_large("dispatch / combine of 8192 tokens x 64 features, 64 experts, k = 8")) {
        dcase big = {8192, 64, 64, 8};
        check_case(ctx, big, 997);
    }
    clnn_context_release(ctx);
    return check_summary();
}
