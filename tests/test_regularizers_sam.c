/* SAM ascent / restore, the finite-difference gradient-norm penalty and EMA
 * weight averaging over lists of tensors, against double-precision
 * references, with determinism, exact restore, and an end-to-end check of
 * the penalty's gradient against central finite differences.
 *
 * Tolerances: the ascent w + ρ·g/||g|| against double: |dev − ref| <=
 * 1e-6 + 1e-5·|ref| (the fp32 global norm over up to 2^20 squares has a
 * relative error of at most ~1e-5 through the two-stage tree, and the add
 * one rounding). Combine and EMA are one fused multiply-add per element:
 * 1e-7 + 1e-6·|ref|. The penalty gradient (quadratic loss, so the finite
 * difference of the gradient is exact up to rounding) against central
 * differences of L + α·r·||∇L|| (h = 1e-4 in double, truncation ~1e-9):
 * |dev − fd| <= 1e-4·(1 + max|fd|), dominated by fp32 rounding of w' − w
 * (ulp(w) against r·ĝ ~ 0.03) scaled by α·a; the penalty part of the
 * gradient is ~0.02 per element, far above the tolerance. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_context *ctx;

#define NT 4
static const size_t sizes[NT] = {1, 1031, 77, ((size_t)1 << 20) + 3};
/* How many of sizes[] the list cases use: all, or without the large last one
 * in small mode (see main). */
static size_t nt = NT;

typedef struct list {
    size_t n;
    float *host[NT];
    clnn_tensor *t[NT];
} list;

static void list_make(list *l, size_t n, const size_t *sz, unsigned seed, float lo, float hi)
{
    l->n = n;
    for (size_t i = 0; i < n; i++) {
        l->host[i] = malloc(sz[i] * sizeof(float));
        REQUIRE(l->host[i], "out of memory");
        test_fill_uniform(l->host[i], sz[i], seed + (unsigned)i, lo, hi);
        l->t[i] = test_tensor_from(ctx, 1, &sz[i], l->host[i]);
    }
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->host[i]), clnn_tensor_release(l->t[i]);
}

#define CT(l) ((const clnn_tensor *const *)(l).t)

static void sam(void)
{
    list w, g, saved;
    list_make(&w, nt, sizes, 10, -1, 1);
    list_make(&g, nt, sizes, 20, -2, 2);
    list_make(&saved, nt, sizes, 30, 0, 1);
    const float rho = 0.05f;
    double sumsq = 0;
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < sizes[i]; j++) sumsq += (double)g.host[i][j] * g.host[i][j];
    double norm = sqrt(sumsq);
    CHECK_OK(ctx, clnn_sam_ascent(ctx, nt, CT(g), rho, w.t, saved.t));
    float *first[NT];
    for (size_t i = 0; i < nt; i++) {
        first[i] = test_download(ctx, w.t[i]);
        double *ref = malloc(sizes[i] * sizeof(double));
        REQUIRE(ref, "out of memory");
        for (size_t j = 0; j < sizes[i]; j++) ref[j] = w.host[i][j] + rho * g.host[i][j] / (norm + 1e-12);
        double e = test_max_rel_error(first[i], ref, sizes[i], 1e-6, 1e-5);
        CHECK(e <= 1, "SAM ascent tensor %zu (n=%zu): error %.3g of tolerance", i, sizes[i], e);
        float *s = test_download(ctx, saved.t[i]);
        CHECK(memcmp(s, w.host[i], sizes[i] * sizeof(float)) == 0, "SAM saved[%zu] is not the original w", i);
        free(s), free(ref);
    }
    /* restore gives back the original bits; a second ascent the same bits as the first */
    CHECK_OK(ctx, clnn_sam_restore(ctx, nt, CT(saved), w.t));
    for (size_t i = 0; i < nt; i++) {
        float *a = test_download(ctx, w.t[i]);
        CHECK(memcmp(a, w.host[i], sizes[i] * sizeof(float)) == 0, "SAM restore of tensor %zu is not exact", i);
        free(a);
    }
    CHECK_OK(ctx, clnn_sam_ascent(ctx, nt, CT(g), rho, w.t, saved.t));
    for (size_t i = 0; i < nt; i++) {
        float *a = test_download(ctx, w.t[i]);
        CHECK(memcmp(a, first[i], sizes[i] * sizeof(float)) == 0, "SAM ascent tensor %zu differs between runs", i);
        free(a), free(first[i]);
    }
    /* rho = 0 leaves w unchanged; a zero gradient (norm 0) too */
    CHECK_OK(ctx, clnn_sam_restore(ctx, nt, CT(saved), w.t));
    for (size_t i = 0; i < nt; i++) CHECK_OK(ctx, clnn_tensor_fill(g.t[i], 0.0f));
    CHECK_OK(ctx, clnn_sam_ascent(ctx, nt, CT(g), rho, w.t, saved.t));
    for (size_t i = 0; i < nt; i++) {
        float *a = test_download(ctx, w.t[i]);
        CHECK(memcmp(a, w.host[i], sizes[i] * sizeof(float)) == 0, "SAM with a zero gradient moved tensor %zu", i);
        free(a);
    }
    list_free(&w), list_free(&g), list_free(&saved);
}

static void combine_and_ema(void)
{
    list a, b;
    list_make(&a, nt, sizes, 40, -1, 1);
    list_make(&b, nt, sizes, 50, -1, 1);
    const float alpha = 0.3f, beta = 0.9f;
    CHECK_OK(ctx, clnn_grad_norm_penalty_combine(ctx, nt, CT(b), alpha, a.t));
    for (size_t i = 0; i < nt; i++) {
        float *d = test_download(ctx, a.t[i]);
        double *ref = malloc(sizes[i] * sizeof(double));
        REQUIRE(ref, "out of memory");
        for (size_t j = 0; j < sizes[i]; j++)
            ref[j] = (1.0 - (double)alpha) * a.host[i][j] + (double)alpha * b.host[i][j];
        double e = test_max_rel_error(d, ref, sizes[i], 1e-7, 1e-6);
        CHECK(e <= 1, "penalty combine tensor %zu: error %.3g of tolerance", i, e);
        /* EMA of a (now the combine's result, as the device has it) toward b, twice */
        for (size_t j = 0; j < sizes[i]; j++) ref[j] = d[j];
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < sizes[i]; j++) ref[j] = beta * ref[j] + (1.0 - (double)beta) * b.host[i][j];
        CHECK_OK(ctx, clnn_ema_update(ctx, 1, CT(b) + i, beta, &a.t[i]));
        CHECK_OK(ctx, clnn_ema_update(ctx, 1, CT(b) + i, beta, &a.t[i]));
        free(d);
        d = test_download(ctx, a.t[i]);
        e = test_max_rel_error(d, ref, sizes[i], 1e-7, 1e-6);
        CHECK(e <= 1, "EMA tensor %zu (n=%zu): error %.3g of tolerance", i, sizes[i], e);
        free(d), free(ref);
    }
    /* beta = 1 keeps the average; beta = 0 copies w */
    float *keep = test_download(ctx, a.t[1]);
    CHECK_OK(ctx, clnn_ema_update(ctx, 1, CT(b) + 1, 1.0f, &a.t[1]));
    float *d = test_download(ctx, a.t[1]);
    CHECK(memcmp(d, keep, sizes[1] * sizeof(float)) == 0, "EMA with beta 1 changed the average");
    free(d);
    CHECK_OK(ctx, clnn_ema_update(ctx, 1, CT(b) + 1, 0.0f, &a.t[1]));
    d = test_download(ctx, a.t[1]);
    CHECK(memcmp(d, b.host[1], sizes[1] * sizeof(float)) == 0, "EMA with beta 0 is not w");
    free(d), free(keep);
    list_free(&a), list_free(&b);
}

/* L(w) = Σ a_j w_j²/2 + b_j w_j over the whole list (flattened); F = L + λ||∇L||. */
typedef struct quad {
    size_t n;
    const double *a, *b;
    double lambda;
} quad;

static double penalized(const quad *q, const double *w)
{
    double l = 0, gg = 0;
    for (size_t j = 0; j < q->n; j++) {
        double g = q->a[j] * w[j] + q->b[j];
        l += 0.5 * q->a[j] * w[j] * w[j] + q->b[j] * w[j];
        gg += g * g;
    }
    return l + q->lambda * sqrt(gg);
}

static void penalty_fd(void)
{
    const size_t sz[3] = {1, 7, 300};
    const size_t total = 308;
    const float r = 0.5f, alpha = 0.5f; /* the quadratic makes the difference exact for any r */
    double a[308], b[308], wd[308];
    float af[308], bf[308];
    test_fill_uniform(af, total, 61, 0.5f, 2.0f);
    test_fill_uniform(bf, total, 62, -0.5f, 0.5f);
    list w, g, gadv, saved;
    list_make(&w, 3, sz, 70, -1, 1);
    list_make(&g, 3, sz, 80, 0, 1);
    list_make(&gadv, 3, sz, 90, 0, 1);
    list_make(&saved, 3, sz, 95, 0, 1);
    for (size_t i = 0, o = 0; i < 3; o += sz[i], i++)
        for (size_t j = 0; j < sz[i]; j++) {
            a[o + j] = af[o + j], b[o + j] = bf[o + j], wd[o + j] = w.host[i][j];
            g.host[i][j] = af[o + j] * w.host[i][j] + bf[o + j]; /* ∇L(w) in fp32 */
        }
    for (size_t i = 0; i < 3; i++) CHECK_OK(ctx, clnn_tensor_upload(g.t[i], g.host[i], sz[i] * sizeof(float)));
    /* g_adv = ∇L at the SAM point w + r·g/||g||, computed from the device's perturbed weights */
    CHECK_OK(ctx, clnn_sam_ascent(ctx, 3, CT(g), r, w.t, saved.t));
    for (size_t i = 0, o = 0; i < 3; o += sz[i], i++) {
        float *wp = test_download(ctx, w.t[i]);
        for (size_t j = 0; j < sz[i]; j++) gadv.host[i][j] = af[o + j] * wp[j] + bf[o + j];
        CHECK_OK(ctx, clnn_tensor_upload(gadv.t[i], gadv.host[i], sz[i] * sizeof(float)));
        free(wp);
    }
    CHECK_OK(ctx, clnn_sam_restore(ctx, 3, CT(saved), w.t));
    CHECK_OK(ctx, clnn_grad_norm_penalty_combine(ctx, 3, CT(gadv), alpha, g.t));
    quad q = {total, a, b, (double)alpha * r};
    const double h = 1e-4;
    double worst = 0, maxfd = 0;
    for (size_t i = 0, o = 0; i < 3; o += sz[i], i++) {
        float *dev = test_download(ctx, g.t[i]);
        for (size_t j = 0; j < sz[i]; j++) {
            double w0 = wd[o + j];
            wd[o + j] = w0 + h;
            double fp = penalized(&q, wd);
            wd[o + j] = w0 - h;
            double fm = penalized(&q, wd);
            wd[o + j] = w0;
            double fd = (fp - fm) / (2 * h);
            worst = fmax(worst, fabs(dev[j] - fd));
            maxfd = fmax(maxfd, fabs(fd));
        }
        free(dev);
    }
    CHECK(worst <= 1e-4 * (1 + maxfd), "gradient-norm penalty vs finite differences off by %.3g (max |fd| %.3g)",
          worst, maxfd);
    list_free(&w), list_free(&g), list_free(&gadv), list_free(&saved);
}

int main(void)
{
    ctx = test_context();
    if (!test_large("SAM, penalty combine and EMA with a tensor of 2^20 + 3 elements in the list")) nt = NT - 1;
    sam();
    combine_and_ema();
    penalty_fd();
    clnn_context_release(ctx);
    return check_summary();
}
