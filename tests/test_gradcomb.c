/* Gradient combination (include/clnn/gradcomb.h) against the double
 * references of tests/ref/ref_gradcomb.c, which run the papers' algorithms
 * on whole vectors (the device goes through a Gram matrix): weighted sums,
 * PCGrad (1 to 17 lists, so one to three Gram blocks; the random order
 * checked to matter), gradient surgery with an EMA in both forms over
 * several steps, AMP ascent steps (one ball and per-tensor balls) with SAM's
 * restore; lists of awkward tensor sizes, one large case; the same bits
 * whatever the local size of the reduction kernels.
 *
 * Tolerance: |dev − ref| <= TOL·(1 + max|ref|). Every output is a
 * combination Σ_k a_k·g_k of O(1) inputs whose coefficients come from fp32
 * inner products: chunked sums of <= 256 products, then <= 4096 chunks in
 * order (relative error ~1e-7·sqrt(terms) of Σ|products| for such pairwise-
 * like trees), a ratio of two of them per projection. Measured: <= 4e-7 on
 * 2^20 elements (K = 3) and <= 2e-7 for K = 17 on 4171; TOL = 5e-6 leaves
 * more than 10x. */
#include "check.h"
#include "ref/ref.h"
#include "ref/ref_gradcomb.h"

#include <math.h>

#define TOL 5e-6

static clnn_context *ctx;

/* k lists of np tensors (sizes[p]) on the device, and the same lists
 * concatenated in double on the host (k rows of n). */
typedef struct lists {
    size_t k, np, n;
    const size_t *sizes;
    double *g;
    clnn_tensor **t; /* t[j·np + p] */
} lists;

/* List j = c_j·u + noise_j, c_j of alternating sign: strong conflicts. */
static lists lists_make(size_t k, size_t np, const size_t *sizes, unsigned seed)
{
    lists l = {k, np, 0, sizes, NULL, NULL};
    for (size_t p = 0; p < np; p++) l.n += sizes[p];
    float *u = malloc(l.n * sizeof(float)), *e = malloc(l.n * sizeof(float));
    l.g = malloc(k * l.n * sizeof(double));
    l.t = malloc(k * np * sizeof *l.t);
    REQUIRE(u && e && l.g && l.t, "out of memory");
    test_fill_uniform(u, l.n, seed, -1.0f, 1.0f);
    for (size_t j = 0; j < k; j++) {
        float c = (j & 1 ? -0.7f : 1.0f) * (1.0f + 0.1f * (float)j);
        test_fill_uniform(e, l.n, seed + 1 + (unsigned)j, -1.0f, 1.0f);
        for (size_t i = 0; i < l.n; i++) e[i] = c * u[i] + 0.8f * e[i];
        size_t off = 0;
        for (size_t p = 0; p < np; p++) {
            l.t[j * np + p] = test_tensor_from(ctx, 1, &sizes[p], e + off);
            off += sizes[p];
        }
        for (size_t i = 0; i < l.n; i++) l.g[j * l.n + i] = e[i];
    }
    free(u), free(e);
    return l;
}

static void lists_free(lists *l)
{
    for (size_t i = 0; i < l->k * l->np; i++) clnn_tensor_release(l->t[i]);
    free(l->g), free(l->t);
}

/* np output tensors of the list's sizes, filled with a sentinel. */
static clnn_tensor **outputs(const lists *l)
{
    clnn_tensor **o = malloc(l->np * sizeof *o);
    REQUIRE(o, "out of memory");
    for (size_t p = 0; p < l->np; p++) {
        REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &l->sizes[p], &o[p]) == CLNN_OK, "tensor");
        CHECK_OK(ctx, clnn_tensor_fill(o[p], 123.0f));
    }
    return o;
}

static void outputs_free(clnn_tensor **o, size_t np)
{
    for (size_t p = 0; p < np; p++) clnn_tensor_release(o[p]);
    free(o);
}

/* Concatenated download of np tensors. */
static float *download_list(clnn_tensor *const *t, size_t np, size_t n)
{
    float *x = malloc(n * sizeof(float));
    REQUIRE(x, "out of memory");
    size_t off = 0;
    for (size_t p = 0; p < np; p++) {
        size_t c = clnn_tensor_count(t[p]);
        CHECK_OK(ctx, clnn_tensor_download(t[p], x + off, c * sizeof(float)));
        off += c;
    }
    return x;
}

static double max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* Device list against a reference vector; returns the error in tolerances. */
static double list_error(clnn_tensor *const *t, size_t np, const double *ref, size_t n)
{
    float *x = download_list(t, np, n);
    double e = test_max_rel_error(x, ref, n, TOL * (1 + max_abs(ref, n)), 0);
    free(x);
    return e;
}

/* -------------------------------------------------------- weighted sum */

static void weighted_sum(size_t k, size_t np, const size_t *sizes)
{
    lists l = lists_make(k, np, sizes, 100u + (unsigned)k);
    clnn_tensor **out = outputs(&l);
    float scales[CLNN_GRADCOMB_MAX_LISTS], w[CLNN_GRADCOMB_MAX_LISTS];
    test_fill_uniform(scales, k, 3, -2.0f, 2.0f);
    test_fill_uniform(w, k, 4, 0.0f, 1.0f);
    clnn_tensor *tw = test_tensor_from(ctx, 1, &k, w);
    double c[CLNN_GRADCOMB_MAX_LISTS], *ref = malloc(l.n * sizeof(double));
    REQUIRE(ref, "out of memory");
    for (int form = 0; form < 3; form++) { /* scales only, device weights only, both */
        for (size_t j = 0; j < k; j++) c[j] = (form != 1 ? scales[j] : 1.0) * (form != 0 ? w[j] : 1.0);
        CHECK_OK(ctx, clnn_grad_weighted_sum(ctx, k, np, (const clnn_tensor *const *)l.t, form != 1 ? scales : NULL,
                                             form != 0 ? tw : NULL, out));
        ref_weighted_sum(k, l.n, l.g, c, ref);
        double e = list_error(out, np, ref, l.n);
        CHECK(e <= 1, "weighted sum k=%zu np=%zu form %d: %.3g of tolerance", k, np, form, e);
    }
    free(ref);
    clnn_tensor_release(tw);
    outputs_free(out, np);
    lists_free(&l);
}

/* -------------------------------------------------------------- PCGrad */

static void pcgrad(size_t k, size_t np, const size_t *sizes)
{
    lists l = lists_make(k, np, sizes, 7u * (unsigned)k + (unsigned)np);
    clnn_tensor **out = outputs(&l);
    double *ref = malloc(l.n * sizeof(double)), *ref2 = malloc(l.n * sizeof(double));
    double *sum = calloc(l.n, sizeof(double));
    REQUIRE(ref && ref2 && sum, "out of memory");
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < l.n; i++) sum[i] += l.g[j * l.n + i];
    /* streams 0..3: four draws of the random order */
    double reorder = 0;
    for (uint32_t stream = 0; stream < 4; stream++) {
        double *r = stream ? ref2 : ref;
        CHECK_OK(ctx, clnn_pcgrad(ctx, k, np, (const clnn_tensor *const *)l.t, 42, stream, out));
        ref_pcgrad(k, l.n, l.g, 42, stream, r);
        double e = list_error(out, np, r, l.n);
        CHECK(e <= 1, "pcgrad k=%zu np=%zu n=%zu stream %u: %.3g of tolerance", k, np, l.n, stream, e);
        for (size_t i = 0; stream && i < l.n; i++) reorder = fmax(reorder, fabs(ref[i] - r[i]));
    }
    /* the inputs conflict (the projections change the sum) and, from 3 tasks
     * on, the order matters: so the checks above could fail (for vectors of
     * 64 elements or more, where the built-in correlation dominates) */
    double moved = 0;
    for (size_t i = 0; i < l.n; i++) moved = fmax(moved, fabs(ref[i] - sum[i]));
    if (k >= 2 && l.n >= 64) CHECK(moved > 0.05 * max_abs(sum, l.n), "pcgrad k=%zu: no conflict was projected", k);
    if (k >= 3 && l.n >= 64) CHECK(reorder > 1e-3 * max_abs(ref, l.n), "pcgrad k=%zu: the order did not matter", k);
    if (k == 1) CHECK(moved <= 1e-12, "pcgrad of one task changed it");
    free(ref), free(ref2), free(sum);
    outputs_free(out, np);
    lists_free(&l);
}

/* PCGrad's order: every task's order is a permutation of the others, and the
 * (seed, stream) pairs give different orders. */
static void pcgrad_order(void)
{
    size_t order[CLNN_GRADCOMB_MAX_LISTS], firsts[8] = {0};
    int perm_ok = 1;
    for (size_t i = 0; i < 9; i++) {
        ref_pcgrad_order(9, i, 5, (uint32_t)i, order);
        int seen[9] = {0};
        for (size_t q = 0; q < 8; q++) perm_ok &= order[q] != i && !seen[order[q]]++;
        firsts[order[0] % 8]++;
    }
    size_t distinct = 0;
    for (size_t q = 0; q < 8; q++) distinct += firsts[q] > 0;
    CHECK(perm_ok, "ref_pcgrad_order is not a permutation of the other tasks");
    CHECK(distinct >= 3, "PCGrad orders hardly vary (%zu distinct first tasks)", distinct);
}

/* ------------------------------------------- gradient surgery with an EMA */

static void surgery(clnn_surgery_ema which, size_t np, const size_t *sizes, float beta, float lambda)
{
    lists l = lists_make(2, np, sizes, 900u + (unsigned)np);
    clnn_tensor **out = outputs(&l), **ema = outputs(&l);
    double *rema = calloc(l.n, sizeof(double)), *ref = malloc(l.n * sizeof(double));
    REQUIRE(rema && ref, "out of memory");
    for (size_t p = 0; p < np; p++) CHECK_OK(ctx, clnn_tensor_fill(ema[p], 0.0f));
    const clnn_tensor *const *gm = (const clnn_tensor *const *)l.t, *const *ga = gm + np;
    for (int step = 0; step < 3; step++) {
        /* a new auxiliary gradient each step: g_aux ← −g_aux + 0.3·g_main */
        if (step > 0) {
            float *x = malloc(l.n * sizeof(float));
            REQUIRE(x, "out of memory");
            for (size_t i = 0; i < l.n; i++) l.g[l.n + i] = x[i] = (float)(-l.g[l.n + i] + 0.3 * l.g[i]);
            size_t off = 0;
            for (size_t p = 0; p < np; p++) {
                CHECK_OK(ctx, clnn_tensor_upload(l.t[np + p], x + off, sizes[p] * sizeof(float)));
                off += sizes[p];
            }
            free(x);
        }
        float b = step == 0 ? 0.0f : beta; /* the first step starts the EMA at the gradient */
        CHECK_OK(ctx, clnn_grad_surgery_ema(ctx, np, gm, ga, which, b, lambda, ema, out));
        ref_surgery_ema(which, b, lambda, l.n, l.g, l.g + l.n, rema, ref);
        double e = list_error(out, np, ref, l.n), ee = list_error(ema, np, rema, l.n);
        CHECK(e <= 1 && ee <= 1, "surgery %d np=%zu step %d: out %.3g, ema %.3g of tolerance", (int)which, np, step,
              e, ee);
    }
    free(rema), free(ref);
    outputs_free(out, np), outputs_free(ema, np);
    lists_free(&l);
}

/* A zero direction projects nothing: EMA of zeros kept at zero (beta = 1). */
static void surgery_zero_direction(void)
{
    size_t sizes[1] = {300};
    lists l = lists_make(2, 1, sizes, 31);
    clnn_tensor **out = outputs(&l), **ema = outputs(&l);
    CHECK_OK(ctx, clnn_tensor_fill(ema[0], 0.0f));
    double *ref = malloc(l.n * sizeof(double));
    REQUIRE(ref, "out of memory");
    const clnn_tensor *const *g = (const clnn_tensor *const *)l.t;
    CHECK_OK(ctx, clnn_grad_surgery_ema(ctx, 1, g, g + 1, CLNN_SURGERY_EMA_MAIN, 1.0f, 0.5f, ema, out));
    for (size_t i = 0; i < l.n; i++) ref[i] = l.g[i] + 0.5 * l.g[l.n + i];
    double e = list_error(out, 1, ref, l.n);
    CHECK(e <= 1, "surgery with a zero EMA: %.3g of tolerance", e);
    free(ref);
    outputs_free(out, 1), outputs_free(ema, 1);
    lists_free(&l);
}

/* ------------------------------------------------------------------ AMP */

static void amp(size_t np, const size_t *sizes, int per_tensor)
{
    lists wl = lists_make(1, np, sizes, 61), gl = lists_make(3, np, sizes, 62);
    size_t n = wl.n;
    clnn_tensor **saved = outputs(&wl), **delta = outputs(&wl);
    double *w = malloc(n * sizeof(double)), *rs = malloc(n * sizeof(double)), *rd = malloc(n * sizeof(double));
    REQUIRE(w && rs && rd, "out of memory");
    memcpy(w, wl.g, n * sizeof(double));
    float *w0 = download_list(wl.t, np, n);
    /* ε = 1.3·|ζ·g_0|: the steps sum gradients with u-components 1, −0.77, 1.2
     * (lists_make), so the ball binds at the last step only (|Δ| ≈ 0.9, then
     * 1.55 times |ζ·g_0|) */
    double gnorm = 0;
    for (size_t i = 0; i < n; i++) gnorm += gl.g[i] * gl.g[i];
    clnn_amp_options a = {sizeof(clnn_amp_options), (float)(1.3 * 0.5 * sqrt(gnorm)), 0.5f, per_tensor};
    if (per_tensor) a.epsilon /= (float)sqrt((double)np);
    for (unsigned k = 0; k < 3; k++) {
        CHECK_OK(ctx, clnn_amp_ascent(ctx, np, (const clnn_tensor *const *)gl.t + k * np, &a, k, wl.t, saved, delta));
        ref_amp_ascent(a.epsilon, a.inner_lr, per_tensor, k == 0, np, sizes, w, gl.g + k * n, rs, rd);
        double ew = list_error(wl.t, np, w, n), ed = list_error(delta, np, rd, n), es = list_error(saved, np, rs, n);
        CHECK(ew <= 1 && ed <= 1 && es <= 1, "amp np=%zu per_tensor %d step %u: w %.3g, delta %.3g, saved %.3g", np,
              per_tensor, k, ew, ed, es);
    }
    /* the ball was reached (so the projection was exercised) */
    double dn = 0;
    for (size_t i = 0; i < n; i++) dn += rd[i] * rd[i];
    dn = sqrt(dn);
    if (!per_tensor) CHECK(fabs(dn - a.epsilon) <= 1e-6 * a.epsilon, "amp: |delta| %.6g, epsilon %.6g", dn, (double)a.epsilon);
    /* SAM's restore puts back exactly the original bits */
    CHECK_OK(ctx, clnn_sam_restore(ctx, np, (const clnn_tensor *const *)saved, wl.t));
    float *w1 = download_list(wl.t, np, n);
    CHECK(memcmp(w0, w1, n * sizeof(float)) == 0, "amp: restored weights differ from the originals");
    free(w0), free(w1), free(w), free(rs), free(rd);
    outputs_free(saved, np), outputs_free(delta, np);
    lists_free(&wl), lists_free(&gl);
}

/* ------------------------------------------------ local-size independence */

/* PCGrad of 10 lists with each reduction kernel forced to several local
 * sizes (1, 7, and 64 or the largest below it the kernel takes on this
 * device): the same bits every time. */
static void local_sizes(void)
{
    size_t sizes[2] = {test_small() ? 131 : 4099, 37};
    lists l = lists_make(10, 2, sizes, 77);
    clnn_tensor **out = outputs(&l);
    const clnn_tensor *const *g = (const clnn_tensor *const *)l.t;
    CHECK_OK(ctx, clnn_pcgrad(ctx, 10, 2, g, 9, 1, out));
    float *ref = download_list(out, 2, l.n);
    static const char *kernels[3] = {"gradcomb.gram_partial", "gradcomb.gram_final", "gradcomb.combine"};
    static const size_t locals[3] = {1, 7, 64};
    for (int kk = 0; kk < 3; kk++)
        for (int li = 0; li < 3; li++) {
            clnn_tune_config cfg;
            memset(&cfg, 0, sizeof cfg);
            const size_t local = test_local_fit(ctx, kernels[kk], NULL, locals[li]);
            cfg.local[0] = local, cfg.local[1] = cfg.local[2] = 1;
            CHECK_OK(ctx, clnn_tune_force(ctx, kernels[kk], &cfg));
            for (size_t p = 0; p < 2; p++) CHECK_OK(ctx, clnn_tensor_fill(out[p], 0.0f));
            CHECK_OK(ctx, clnn_pcgrad(ctx, 10, 2, g, 9, 1, out));
            float *x = download_list(out, 2, l.n);
            CHECK(memcmp(x, ref, l.n * sizeof(float)) == 0, "%s with local %zu: other bits", kernels[kk], local);
            free(x);
        }
    CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
    free(ref);
    outputs_free(out, 2);
    lists_free(&l);
}

int main(void)
{
    ctx = test_context();
    /* under Oclgrind (small mode) the long tensor of the mixed list shrinks */
    static const size_t one[1] = {1}, two[1] = {2}, prime[1] = {257};
    const size_t mixed[4] = {7, 1, test_small() ? 131 : 4099, 64};
    static const size_t ks[6] = {1, 2, 3, 8, 9, 17};
    for (size_t i = 0; i < 6; i++) {
        pcgrad(ks[i], 4, mixed);
        weighted_sum(ks[i], 4, mixed);
    }
    pcgrad(2, 1, one);
    pcgrad(3, 1, two);
    pcgrad(5, 1, prime);
    weighted_sum(2, 1, one);
    pcgrad_order();
    for (int which = 0; which < 2; which++) {
        surgery((clnn_surgery_ema)which, 4, mixed, 0.9f, 0.5f);
        surgery((clnn_surgery_ema)which, 1, prime, 0.5f, -1.5f);
        surgery((clnn_surgery_ema)which, 1, one, 0.9f, 2.0f);
    }
    surgery_zero_direction();
    amp(4, mixed, 0);
    amp(4, mixed, 1);
    amp(1, prime, 0);
    local_sizes();
    size_t big[2] = {((size_t)1 << 20) + 3, 5};
    if (test_large("PCGrad of 3 lists of 2^20 + 8 elements")) pcgrad(3, 2, big);
    if (test_large("surgery (EMA of the main gradient) on 2^20 + 8 elements"))
        surgery(CLNN_SURGERY_EMA_MAIN, 2, big, 0.9f, 0.5f);
    if (test_large("AMP on 2^20 + 8 elements")) amp(2, big, 0);
    clnn_context_release(ctx);
    return check_summary();
}
