/* MoE routing (clnn_moe_route / _route_backward / _expert_load /
 * _bias_update / _aux_loss) against the double references of
 * tests/ref/ref_sparse.c. Shapes (T tokens, E experts, k): 1x1 k1, 3x2 k1
 * and k2, 17x8 k2, 7x61 k6, 33x256 k8, 1000x16 k4, and 65536x64 k8
 * (> 2^20 logits, large mode); softmax and sigmoid gates, plain and
 * renormalized, with and without the selection bias.
 *  - selection: on well-separated scores the indices equal the reference's;
 *    with a random bias, where fp32 may order nearly equal biased scores
 *    differently from double, every slot must be a best remaining expert up
 *    to 1e-6 (and exact ties go to the lower index: an all-equal case);
 *  - gates against the reference gates of the device's selection;
 *  - backward and the auxiliary loss's gradient against central
 *    differences of the reference (selection / counts held fixed);
 *  - loads (out-of-range indices not counted) and the bias update exactly;
 *  - auxiliary-loss-free balancing lowers the load imbalance of skewed
 *    logits over repeated route / load / update steps. */
#include "check.h"
#include "ref/ref_sparse.h"
#include "sparse_util.h"

#include <math.h>

typedef struct shape {
    size_t T, E, k;
} shape;

static double *to_double(const float *x, size_t n)
{
    double *d = malloc(n * sizeof *d + 8);
    REQUIRE(d, "host memory");
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

/* Logits z[t, e] = 0.05·((7t + 13e) mod E)... well separated, distinct per row when E is prime to 13. */
static float *separated_logits(size_t T, size_t E)
{
    float *z = malloc(T * E * sizeof *z);
    REQUIRE(z, "host memory");
    for (size_t t = 0; t < T; t++)
        for (size_t e = 0; e < E; e++) z[t * E + e] = 0.05f * (float)((7 * t + 13 * e) % E) - 1.0f;
    return z;
}

/* The device's slots for token t are a valid top-k of v = s + bias (double):
 * distinct, in range, non-increasing and above every unselected expert, up
 * to tol; exact double ties in slot order go to the lower index. */
static int valid_selection(const double *v, size_t E, const int32_t *idx, size_t k, double tol)
{
    unsigned char *taken = calloc(E, 1);
    REQUIRE(taken, "host memory");
    int ok = 1;
    for (size_t q = 0; q < k && ok; q++) {
        ok = idx[q] >= 0 && (size_t)idx[q] < E && !taken[idx[q]];
        if (ok) taken[idx[q]] = 1;
        if (ok && q > 0) {
            double a = v[idx[q - 1]], b = v[idx[q]];
            ok = a >= b - tol && !(a == b && idx[q - 1] > idx[q]);
        }
    }
    for (size_t e = 0; e < E && ok; e++)
        if (!taken[e]) ok = v[e] <= v[idx[k - 1]] + tol && !(v[e] == v[idx[k - 1]] && (int32_t)e < idx[k - 1]);
    free(taken);
    return ok;
}

/* Route one case; exact: compare with the reference selection itself. */
static void check_route(clnn_context *ctx, shape s, int gate, int renorm, int with_bias, int exact)
{
    size_t T = s.T, E = s.E, k = s.k, n = T * E;
    float *z = exact ? separated_logits(T, E) : NULL, *b = malloc(E * sizeof *b);
    if (!z) {
        z = malloc(n * sizeof *z);
        REQUIRE(z, "host memory");
        test_fill_uniform(z, n, (unsigned)(n + k), -3.0f, 3.0f);
    }
    REQUIRE(b, "host memory");
    test_fill_uniform(b, E, (unsigned)E, -0.02f, 0.02f);
    double *zd = to_double(z, n), *bd = to_double(b, E), *sc = malloc(E * sizeof *sc), *v = malloc(E * sizeof *v);
    double *gref = malloc(k * sizeof *gref), *want = malloc(T * k * sizeof *want);
    int32_t *iref = malloc(k * sizeof *iref);
    REQUIRE(sc && v && gref && want && iref, "host memory");
    clnn_tensor *tz = sp_tensor(ctx, CLNN_FLOAT32, T, E, z, 0), *tb = sp_tensor(ctx, CLNN_FLOAT32, E, 0, b, 0);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, T, k, NULL, -1.0f), *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, 9.0f);
    CHECK_OK(ctx, clnn_moe_route(ctx, tz, with_bias ? tb : NULL, k, (clnn_moe_gate)gate, renorm, ti, tg));
    int32_t *idx = (int32_t *)sp_words(ctx, ti);
    float *g = test_download(ctx, tg);
    size_t bad = T;
    for (size_t t = 0; t < T; t++) {
        ref_moe_scores(zd + t * E, E, gate, sc);
        for (size_t e = 0; e < E; e++) v[e] = sc[e] + (with_bias ? bd[e] : 0.0);
        int ok;
        if (exact) {
            ref_moe_route(zd + t * E, with_bias ? bd : NULL, E, k, gate, renorm, iref, gref);
            ok = memcmp(iref, idx + t * k, k * sizeof *iref) == 0;
        } else {
            ok = valid_selection(v, E, idx + t * k, k, 1e-6);
        }
        if (!ok && bad == T) bad = t;
        if (ok) ref_moe_gates(zd + t * E, E, idx + t * k, k, gate, renorm, want + t * k);
        else
            for (size_t q = 0; q < k; q++) want[t * k + q] = NAN;
    }
    CHECK(bad == T, "moe_route %zux%zu k=%zu gate %d renorm %d bias %d: token %zu selects wrongly (first slot %d)",
          T, E, k, gate, renorm, with_bias, bad, idx[(bad % T) * k]);
    /* fp32 exp and a sum over E */
    double err = test_max_rel_error(g, want, T * k, 1e-7, 2e-5);
    CHECK(err <= 1.0, "moe_route %zux%zu k=%zu gate %d renorm %d: gates error %.3g of tolerance", T, E, k, gate, renorm,
          err);
    free(z), free(b), free(zd), free(bd), free(sc), free(v), free(gref), free(want), free(iref), free(idx), free(g);
    clnn_tensor_release(tz), clnn_tensor_release(tb), clnn_tensor_release(ti), clnn_tensor_release(tg);
}

/* Exact ties: equal logits and no bias select experts 0..k-1 in order; equal
 * logits with a bias select by the bias. */
static void check_ties(clnn_context *ctx)
{
    size_t T = 2, E = 9, k = 4;
    float z[18], b[9];
    for (size_t i = 0; i < 18; i++) z[i] = 0.5f;
    for (size_t e = 0; e < E; e++) b[e] = e == 7 ? 0.25f : e == 3 ? 0.125f : 0.0f;
    clnn_tensor *tz = sp_tensor(ctx, CLNN_FLOAT32, T, E, z, 0), *tb = sp_tensor(ctx, CLNN_FLOAT32, E, 0, b, 0);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, T, k, NULL, -1.0f), *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, 9.0f);
    for (int gate = 0; gate < 2; gate++) {
        CHECK_OK(ctx, clnn_moe_route(ctx, tz, NULL, k, (clnn_moe_gate)gate, 1, ti, tg));
        int32_t *idx = (int32_t *)sp_words(ctx, ti);
        float *g = test_download(ctx, tg);
        CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 2 && idx[3] == 3 && idx[4] == 0 && idx[7] == 3,
              "moe ties gate %d: %d %d %d %d, expected 0 1 2 3", gate, idx[0], idx[1], idx[2], idx[3]);
        CHECK(g[0] == 0.25f && g[3] == 0.25f, "moe ties gate %d: renormalized gates %g %g, expected 1/4", gate, g[0], g[3]);
        free(idx), free(g);
        CHECK_OK(ctx, clnn_moe_route(ctx, tz, tb, k, (clnn_moe_gate)gate, 0, ti, tg));
        idx = (int32_t *)sp_words(ctx, ti);
        CHECK(idx[0] == 7 && idx[1] == 3 && idx[2] == 0 && idx[3] == 1, "moe ties with bias gate %d: %d %d %d %d", gate,
              idx[0], idx[1], idx[2], idx[3]);
        free(idx);
    }
    clnn_tensor_release(tz), clnn_tensor_release(tb), clnn_tensor_release(ti), clnn_tensor_release(tg);
}

/* dlogits against central differences of L(z) = Σ dg·g(z) with the
 * selection fixed (the device's own route of the same logits). */
static void check_backward(clnn_context *ctx, shape s, int gate, int renorm, size_t stride)
{
    size_t T = s.T, E = s.E, k = s.k, n = T * E;
    float *z = malloc(n * sizeof *z), *dg = malloc(T * k * sizeof *dg);
    REQUIRE(z && dg, "host memory");
    test_fill_uniform(z, n, (unsigned)(n * 3 + 1), -2.0f, 2.0f);
    test_fill_uniform(dg, T * k, (unsigned)(n + 3), -1.0f, 1.0f);
    clnn_tensor *tz = sp_tensor(ctx, CLNN_FLOAT32, T, E, z, 0), *tdg = sp_tensor(ctx, CLNN_FLOAT32, T, k, dg, 0);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, T, k, NULL, 0), *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, 0);
    clnn_tensor *tdz = sp_tensor(ctx, CLNN_FLOAT32, T, E, NULL, 9.0f);
    CHECK_OK(ctx, clnn_moe_route(ctx, tz, NULL, k, (clnn_moe_gate)gate, renorm, ti, tg));
    CHECK_OK(ctx, clnn_moe_route_backward(ctx, tz, ti, tdg, (clnn_moe_gate)gate, renorm, tdz));
    int32_t *idx = (int32_t *)sp_words(ctx, ti);
    float *dz = test_download(ctx, tdz), *got = malloc(n * sizeof *got);
    double *zd = to_double(z, n), *fd = malloc(n * sizeof *fd), *gt = malloc(k * sizeof *gt), h = 1e-4;
    REQUIRE(got && fd && gt, "host memory");
    size_t count = 0;
    for (size_t i = 0; i < n; i += stride) {
        size_t t = i / E;
        double keep = zd[i], lv[2];
        for (int side = 0; side < 2; side++) {
            zd[i] = keep + (side ? -h : h);
            ref_moe_gates(zd + t * E, E, idx + t * k, k, gate, renorm, gt);
            lv[side] = 0.0;
            for (size_t q = 0; q < k; q++) lv[side] += dg[t * k + q] * gt[q];
        }
        zd[i] = keep;
        got[count] = dz[i];
        fd[count++] = (lv[0] - lv[1]) / (2 * h);
    }
    double err = test_max_rel_error(got, fd, count, 1e-6, 1e-4);
    CHECK(err <= 1.0, "moe_route_backward %zux%zu k=%zu gate %d renorm %d vs finite differences: error %.3g", T, E, k,
          gate, renorm, err);
    /* an index outside [0, E) makes its token's row NaN, the others stay finite */
    if (T > 1) {
        idx[k] = (int32_t)E;
        CHECK_OK(ctx, clnn_tensor_upload(ti, idx, T * k * 4));
        CHECK_OK(ctx, clnn_moe_route_backward(ctx, tz, ti, tdg, (clnn_moe_gate)gate, renorm, tdz));
        float *d2 = test_download(ctx, tdz);
        CHECK(isnan(d2[E]) && isnan(d2[2 * E - 1]) && !isnan(d2[0]), "moe_route_backward: bad index row not NaN");
        free(d2);
    }
    free(z), free(dg), free(idx), free(dz), free(got), free(zd), free(fd), free(gt);
    clnn_tensor_release(tz), clnn_tensor_release(tdg), clnn_tensor_release(ti), clnn_tensor_release(tg);
    clnn_tensor_release(tdz);
}

/* Loads, the bias update and the auxiliary loss (value + gradient). */
static void check_load_aux(clnn_context *ctx, shape s, size_t stride)
{
    size_t T = s.T, E = s.E, k = s.k, n = T * E;
    const double alpha = 0.01;
    float *z = malloc(n * sizeof *z), *b = malloc(E * sizeof *b);
    int32_t *idx = malloc(T * k * sizeof *idx);
    REQUIRE(z && b && idx, "host memory");
    test_fill_uniform(z, n, (unsigned)(n + 11), -2.0f, 2.0f);
    test_fill_uniform(b, E, 5, -1.0f, 1.0f);
    for (size_t i = 0; i < T * k; i++) idx[i] = (int32_t)((i * i + 3 * i) % (E + 1)) - (i % 5 == 4); /* some -1 and E */
    clnn_tensor *tz = sp_tensor(ctx, CLNN_FLOAT32, T, E, z, 0), *ti = sp_tensor(ctx, CLNN_INT32, T, k, idx, 0);
    clnn_tensor *tl = sp_tensor(ctx, CLNN_INT32, E, 0, NULL, -5.0f), *tb = sp_tensor(ctx, CLNN_FLOAT32, E, 0, b, 0);
    clnn_tensor *loss = sp_tensor(ctx, CLNN_FLOAT32, 1, 0, NULL, 9.0f), *tdz = sp_tensor(ctx, CLNN_FLOAT32, T, E, NULL, 9.0f);
    CHECK_OK(ctx, clnn_moe_expert_load(ctx, ti, tl));
    CHECK_OK(ctx, clnn_moe_bias_update(ctx, tl, 0.125f, tb));
    CHECK_OK(ctx, clnn_moe_aux_loss(ctx, tz, ti, (float)alpha, loss, tdz));
    int32_t *load = (int32_t *)sp_words(ctx, tl);
    float *bn = test_download(ctx, tb), *dz = test_download(ctx, tdz), value = NAN;
    CHECK_OK(ctx, clnn_tensor_download(loss, &value, 4));
    long total = 0, *want = calloc(E, sizeof *want);
    REQUIRE(want, "host memory");
    for (size_t i = 0; i < T * k; i++)
        if (idx[i] >= 0 && (size_t)idx[i] < E) want[idx[i]]++;
    size_t bad_load = E, bad_bias = E;
    for (size_t e = 0; e < E; e++) total += want[e];
    for (size_t e = 0; e < E; e++) {
        double mean = (double)total / (double)E, sign = mean > want[e] ? 1.0 : mean < want[e] ? -1.0 : 0.0;
        if (load[e] != want[e] && bad_load == E) bad_load = e;
        if (bn[e] != (float)(b[e] + 0.125 * sign) && bad_bias == E) bad_bias = e;
    }
    CHECK(bad_load == E, "moe_expert_load %zux%zu k=%zu: expert %zu has %d, expected %ld", T, E, k, bad_load,
          load[bad_load % E], want[bad_load % E]);
    CHECK(bad_bias == E, "moe_bias_update E=%zu: bias %zu is %g", E, bad_bias, bn[bad_bias % E]);

    double *zd = to_double(z, n), ref = ref_moe_aux_loss(zd, idx, T, E, k, alpha), h = 1e-4;
    CHECK(fabs(value - ref) <= 1e-5 * fabs(ref) + 1e-9, "moe_aux_loss %zux%zu k=%zu: %.9g, reference %.9g", T, E, k,
          value, ref);
    float *got = malloc(n * sizeof *got);
    double *fd = malloc(n * sizeof *fd);
    REQUIRE(got && fd, "host memory");
    size_t count = 0;
    for (size_t i = 0; i < n; i += stride) {
        double keep = zd[i];
        zd[i] = keep + h;
        double up = ref_moe_aux_loss(zd, idx, T, E, k, alpha);
        zd[i] = keep - h;
        double down = ref_moe_aux_loss(zd, idx, T, E, k, alpha);
        zd[i] = keep;
        got[count] = dz[i];
        fd[count++] = (up - down) / (2 * h);
    }
    double err = test_max_rel_error(got, fd, count, 1e-4 * alpha * (double)E / (double)T, 1e-3);
    CHECK(err <= 1.0, "moe_aux_loss %zux%zu k=%zu gradient vs finite differences: error %.3g", T, E, k, err);
    /* loss only and gradient only give the same bits */
    float v2 = NAN;
    CHECK_OK(ctx, clnn_moe_aux_loss(ctx, tz, ti, (float)alpha, loss, NULL));
    CHECK_OK(ctx, clnn_tensor_download(loss, &v2, 4));
    CHECK_OK(ctx, clnn_moe_aux_loss(ctx, tz, ti, (float)alpha, NULL, tdz));
    float *dz2 = test_download(ctx, tdz);
    CHECK(memcmp(&v2, &value, 4) == 0 && memcmp(dz2, dz, n * 4) == 0, "moe_aux_loss: partial calls differ");
    free(z), free(b), free(idx), free(load), free(bn), free(dz), free(dz2), free(want), free(zd), free(got), free(fd);
    clnn_tensor_release(tz), clnn_tensor_release(ti), clnn_tensor_release(tl), clnn_tensor_release(tb);
    clnn_tensor_release(loss), clnn_tensor_release(tdz);
}

/* Skewed router (expert e's logit + 0.3·(E − e)): repeated route / load /
 * bias update steps must bring the largest load much closer to the mean. */
static void check_balancing(clnn_context *ctx)
{
    size_t T = 256, E = 8, k = 2, steps = 60;
    float *z = malloc(T * E * sizeof *z);
    REQUIRE(z, "host memory");
    test_fill_uniform(z, T * E, 21, -0.5f, 0.5f);
    for (size_t i = 0; i < T * E; i++) z[i] += 0.3f * (float)(E - i % E);
    clnn_tensor *tz = sp_tensor(ctx, CLNN_FLOAT32, T, E, z, 0), *tb = sp_tensor(ctx, CLNN_FLOAT32, E, 0, NULL, 0.0f);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, T, k, NULL, 0), *tg = sp_tensor(ctx, CLNN_FLOAT32, T, k, NULL, 0);
    clnn_tensor *tl = sp_tensor(ctx, CLNN_INT32, E, 0, NULL, 0);
    int first_max = 0, last_max = 0;
    for (size_t step = 0; step <= steps; step++) {
        CHECK_OK(ctx, clnn_moe_route(ctx, tz, tb, k, CLNN_MOE_SIGMOID, 1, ti, tg));
        CHECK_OK(ctx, clnn_moe_expert_load(ctx, ti, tl));
        CHECK_OK(ctx, clnn_moe_bias_update(ctx, tl, 0.01f, tb));
        if (step == 0 || step == steps) {
            int32_t *load = (int32_t *)sp_words(ctx, tl), mx = 0;
            for (size_t e = 0; e < E; e++) mx = load[e] > mx ? load[e] : mx;
            *(step ? &last_max : &first_max) = mx;
            free(load);
        }
    }
    int mean = (int)(T * k / E);
    CHECK(first_max > 3 * mean && last_max < mean + mean / 2,
          "aux-free balancing: max load %d -> %d after %zu steps (mean %d)", first_max, last_max, steps, mean);
    free(z);
    clnn_tensor_release(tz), clnn_tensor_release(tb), clnn_tensor_release(ti), clnn_tensor_release(tg);
    clnn_tensor_release(tl);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const shape shapes[] = {{1, 1, 1}, {3, 2, 1}, {3, 2, 2}, {17, 8, 2}, {7, 61, 6}, {33, 256, 8}, {1000, 16, 4}};
    /* the simulator stops at 7 x 61 (33 x 256 and 1000 x 16 take minutes there) */
    size_t nshapes = test_large("MoE routing on 33 x 256 and 1000 x 16 tokens") ? 7 : 5;
    for (size_t i = 0; i < nshapes; i++)
        for (int gate = 0; gate < 2; gate++)
            for (int renorm = 0; renorm < 2; renorm++) {
                check_route(ctx, shapes[i], gate, renorm, 0, 1);
                check_route(ctx, shapes[i], gate, renorm, 1, 0);
                check_backward(ctx, shapes[i], gate, renorm, shapes[i].T * shapes[i].E > 2000 ? 7 : 1);
            }
    check_ties(ctx);
    for (size_t i = 0; i < nshapes; i++) check_load_aux(ctx, shapes[i], shapes[i].T * shapes[i].E > 2000 ? 13 : 1);
    check_balancing(ctx);
    if (test_large("MoE routing on 65536 tokens x 64 experts, k = 8")) {
        shape big = {65536, 64, 8};
        check_route(ctx, big, 1, 1, 1, 0);
        check_route(ctx, big, 0, 0, 0, 1);
        check_backward(ctx, big, 0, 1, 40009);
        check_load_aux(ctx, big, 400009);
    }
    clnn_context_release(ctx);
    return check_summary();
}
