/* Data augmentation: Beta lambda, permutations, CutMix boxes (host samplers)
 * against the independent reference; Mixup, CutMix, Cutout and label mixing
 * against the reference on awkward shapes (one >= 2^20 elements); the
 * backwards (transposes) against central finite differences; Cutout's zeroed
 * area and Beta's moments within 5 standard deviations. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static const size_t shapes[][4] = {{1, 1, 1, 1}, {1, 3, 5, 7}, {2, 1, 13, 3}, {5, 2, 11, 11}, {17, 3, 139, 149}};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static float *download(clnn_context *ctx, const clnn_tensor *t)
{
    size_t n = clnn_tensor_count(t);
    float *h = malloc(n * sizeof *h);
    REQUIRE(h != NULL, "malloc");
    CHECK_OK(ctx, clnn_tensor_download(t, h, n * sizeof *h));
    return h;
}

static clnn_tensor *int_tensor(clnn_context *ctx, size_t n, const int32_t *v)
{
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &t) == CLNN_OK, "create: %s", clnn_last_error(ctx));
    REQUIRE(clnn_tensor_upload(t, v, n * sizeof *v) == CLNN_OK, "upload: %s", clnn_last_error(ctx));
    return t;
}

static clnn_tensor *f32_tensor(clnn_context *ctx, const size_t s[4])
{
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 4, s, &t) == CLNN_OK, "create: %s", clnn_last_error(ctx));
    return t;
}

static void test_samplers(void)
{
    const float alphas[] = {0.05f, 0.2f, 0.4f, 1.0f, 2.0f, 7.5f};
    for (int a = 0; a < 6; a++)
        for (uint64_t seed = 0; seed < 50; seed++) {
            float lam = -1;
            clnn_status st = clnn_beta_sample(alphas[a], seed, &lam);
            double want = ref_beta_sample(alphas[a], seed, CLNN_STREAM_BETA);
            /* both in double from the same draws; lambda is rounded to fp32 once */
            CHECK(st == CLNN_OK && fabs(lam - want) <= 1e-7 + 1e-6 * want,
                  "Beta(%g) seed %llu: %.9g, reference %.9g", (double)alphas[a], (unsigned long long)seed,
                  (double)lam, want);
        }
    /* moments of Beta(0.4, 0.4) over 20000 seeds: mean 1/2, variance 1/(4(2a+1)) */
    const int k = 20000;
    double m = 0, m2 = 0, m4 = 0;
    for (int i = 0; i < k; i++) {
        float lam;
        clnn_beta_sample(0.4f, 1000 + (uint64_t)i, &lam);
        double d = lam - 0.5;
        m += d;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    double var = 1.0 / (4.0 * 1.8), sd_sq = sqrt((m4 / k - (m2 / k) * (m2 / k)) / k);
    CHECK(fabs(m / k) <= 5.0 * sqrt(var / k), "Beta(0.4) mean offset %g", m / k);
    CHECK(fabs(m2 / k - var) <= 5.0 * sd_sq, "Beta(0.4) variance %g, expected %g +- 5 x %g", m2 / k, var, sd_sq);

    const size_t sizes[] = {1, 2, 7, 1000};
    for (int s = 0; s < 4; s++) {
        size_t n = sizes[s];
        int32_t *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
        unsigned char *seen = calloc(n, 1);
        CHECK(clnn_permutation_sample(99, n, p) == CLNN_OK, "permutation %zu", n);
        ref_permutation(99, CLNN_STREAM_PERMUTATION, n, q);
        CHECK(memcmp(p, q, n * sizeof *p) == 0, "permutation of %zu differs from the reference", n);
        int ok = 1;
        for (size_t i = 0; i < n; i++) ok &= p[i] >= 0 && (size_t)p[i] < n && !seen[p[i]]++;
        CHECK(ok, "permutation of %zu is a permutation", n);
        free(p);
        free(q);
        free(seen);
    }

    const size_t hw[][2] = {{1, 1}, {7, 5}, {32, 32}, {13, 211}};
    const float lams[] = {0.0f, 0.3f, 0.77f, 1.0f};
    for (int i = 0; i < 4; i++)
        for (int l = 0; l < 4; l++)
            for (uint64_t seed = 0; seed < 8; seed++) {
                clnn_box box;
                float adj;
                size_t want[4];
                double want_adj;
                CHECK(clnn_cutmix_sample_box(lams[l], hw[i][0], hw[i][1], seed, &box, &adj) == CLNN_OK, "box");
                ref_cutmix_box(lams[l], hw[i][0], hw[i][1], seed, CLNN_STREAM_CUTMIX_BOX, want, &want_adj);
                CHECK(box.y0 == want[0] && box.x0 == want[1] && box.y1 == want[2] && box.x1 == want[3] &&
                          fabs(adj - want_adj) <= 1e-7,
                      "CutMix box %zux%zu lambda %g: [%zu,%zu)x[%zu,%zu) lambda %g, reference [%zu,%zu)x[%zu,%zu) %g",
                      hw[i][0], hw[i][1], (double)lams[l], box.y0, box.y1, box.x0, box.x1, (double)adj, want[0],
                      want[2], want[1], want[3], want_adj);
            }
}

static void check_close(const char *what, const size_t s[4], const float *got, const double *want, size_t n)
{
    /* lambda a + (1 - lambda) b: two fp32 products and a sum */
    double e = test_max_rel_error(got, want, n, 1e-6, 1e-6);
    CHECK(e <= 1.0, "%s [%zu,%zu,%zu,%zu]: worst error %g x tolerance", what, s[0], s[1], s[2], s[3], e);
}

static void test_forwards_on_shape(clnn_context *ctx, const size_t s[4])
{
    const size_t N = s[0], n = s[0] * s[1] * s[2] * s[3];
    float *xh = malloc(n * sizeof *xh);
    double *want = malloc(n * sizeof *want);
    int32_t *perm = malloc(N * sizeof *perm), *labels = malloc(N * sizeof *labels);
    test_fill_uniform(xh, n, (unsigned)n, -2.0f, 2.0f);
    CHECK_OK(NULL, clnn_permutation_sample(n, N, perm));
    clnn_tensor *x = test_tensor_from(ctx, 4, s, xh), *y = f32_tensor(ctx, s), *p = int_tensor(ctx, N, perm);
    float *yh;

    const float lambda = 0.3125f;
    CHECK_OK(ctx, clnn_mixup_forward(ctx, x, p, lambda, y));
    ref_mixup(xh, N, n / N, perm, lambda, want);
    yh = download(ctx, y);
    check_close("Mixup", s, yh, want, n);
    free(yh);

    clnn_box box;
    float adj;
    CHECK_OK(NULL, clnn_cutmix_sample_box(0.6f, s[2], s[3], n, &box, &adj));
    size_t b[4] = {box.y0, box.x0, box.y1, box.x1};
    CHECK_OK(ctx, clnn_cutmix_forward(ctx, x, p, box, y));
    ref_cutmix(xh, N, s[1], s[2], s[3], perm, b, want);
    yh = download(ctx, y);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += yh[i] != (float)want[i]; /* a pure selection: exact */
    CHECK(bad == 0, "CutMix: %zu of %zu differ", bad, n);
    free(yh);

    const size_t sides[2] = {1, 4};
    for (int k = 0; k < 2; k++) {
        CHECK_OK(ctx, clnn_cutout_forward(ctx, x, sides[k], n + 3, y));
        ref_cutout(xh, N, s[1], s[2], s[3], sides[k], n + 3, CLNN_STREAM_CUTOUT, want);
        yh = download(ctx, y);
        bad = 0;
        for (size_t i = 0; i < n; i++) bad += yh[i] != (float)want[i];
        CHECK(bad == 0, "Cutout side %zu: %zu of %zu differ", sides[k], bad, n);
        free(yh);
    }

    /* labels: K classes, some samples sharing a label with their partner */
    const size_t K = s[1] * s[2] + 1;
    for (size_t i = 0; i < N; i++) labels[i] = (int32_t)((i * 7) % K);
    size_t ts[2] = {N, K};
    clnn_tensor *lab = int_tensor(ctx, N, labels), *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, ts, &t));
    CHECK_OK(ctx, clnn_mix_labels(ctx, lab, p, adj, t));
    double *tw = malloc(N * K * sizeof *tw);
    ref_mix_labels(labels, perm, N, K, adj, tw);
    float *th = download(ctx, t);
    double e = test_max_rel_error(th, tw, N * K, 1e-7, 1e-6);
    CHECK(e <= 1.0, "label mixing [%zu, %zu]: worst %g", N, K, e);
    free(th);
    free(tw);
    clnn_tensor_release(lab);
    clnn_tensor_release(t);

    free(xh);
    free(want);
    free(perm);
    free(labels);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    clnn_tensor_release(p);
}

/* The transposes against central finite differences of the device forward:
 * every map is linear in x, so the quotient is exact up to fp32 rounding of y
 * (~1e-7 per element, <= 210 elements, divided by 2h = 0.5): tolerance 2e-4. */
enum { MIXUP, CUTMIX, CUTOUT };
static void test_backward(clnn_context *ctx, int which)
{
    const size_t s[4] = {3, 2, 5, 7}, N = 3, n = 210;
    const double h = 0.25;
    const int32_t perm[3] = {2, 0, 1};
    const clnn_box box = {1, 2, 4, 6};
    float xh[210], dyh[210], dxh[210], yh[210];
    test_fill_uniform(xh, n, 3, -1.0f, 1.0f);
    test_fill_uniform(dyh, n, 4, -1.0f, 1.0f);
    clnn_tensor *x = test_tensor_from(ctx, 4, s, xh), *dy = test_tensor_from(ctx, 4, s, dyh);
    clnn_tensor *dx = f32_tensor(ctx, s), *y = f32_tensor(ctx, s), *p = int_tensor(ctx, N, perm);
    if (which == MIXUP) CHECK_OK(ctx, clnn_mixup_backward(ctx, dy, p, 0.3f, dx));
    if (which == CUTMIX) CHECK_OK(ctx, clnn_cutmix_backward(ctx, dy, p, box, dx));
    if (which == CUTOUT) CHECK_OK(ctx, clnn_cutout_backward(ctx, dy, 3, 17, dx));
    CHECK_OK(ctx, clnn_tensor_download(dx, dxh, sizeof dxh));
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double L[2];
        for (int side = 0; side < 2; side++) {
            float keep = xh[i];
            xh[i] = (float)(keep + (side ? -h : h));
            CHECK_OK(ctx, clnn_tensor_upload(x, xh, sizeof xh));
            xh[i] = keep;
            if (which == MIXUP) CHECK_OK(ctx, clnn_mixup_forward(ctx, x, p, 0.3f, y));
            if (which == CUTMIX) CHECK_OK(ctx, clnn_cutmix_forward(ctx, x, p, box, y));
            if (which == CUTOUT) CHECK_OK(ctx, clnn_cutout_forward(ctx, x, 3, 17, y));
            CHECK_OK(ctx, clnn_tensor_download(y, yh, sizeof yh));
            L[side] = 0;
            for (size_t j = 0; j < n; j++) L[side] += (double)dyh[j] * yh[j];
        }
        double e = fabs((L[0] - L[1]) / (2 * h) - dxh[i]) / (1.0 + fabs(dxh[i]));
        if (!(e <= worst)) worst = e;
    }
    const char *name = which == MIXUP ? "Mixup" : which == CUTMIX ? "CutMix" : "Cutout";
    CHECK(worst <= 2e-4, "%s backward vs finite differences: worst %g", name, worst);
    clnn_tensor_release(x);
    clnn_tensor_release(dy);
    clnn_tensor_release(dx);
    clnn_tensor_release(y);
    clnn_tensor_release(p);
}

/* Cutout's zeroed area: with the centre uniform, E[rows covered] =
 * (1/H) sum_cy |[cy - s/2, cy - s/2 + s) n [0, H)|, columns alike and
 * independent; the mean over 8192 samples is within 5 standard errors. */
static void test_cutout_area(clnn_context *ctx)
{
    const size_t s[4] = {8192, 1, 9, 14}, side = 5, N = 8192, F = 9 * 14;
    float *ones = malloc(N * F * sizeof *ones);
    for (size_t i = 0; i < N * F; i++) ones[i] = 1.0f;
    clnn_tensor *x = test_tensor_from(ctx, 4, s, ones), *y = f32_tensor(ctx, s);
    CHECK_OK(ctx, clnn_cutout_forward(ctx, x, side, 2024, y));
    float *yh = download(ctx, y);
    double expect[2];
    const size_t dims[2] = {9, 14};
    for (int d = 0; d < 2; d++) {
        double sum = 0;
        for (long long c = 0; c < (long long)dims[d]; c++) {
            long long lo = c - (long long)side / 2, hi = lo + (long long)side;
            sum += (double)((hi < (long long)dims[d] ? hi : (long long)dims[d]) - (lo > 0 ? lo : 0));
        }
        expect[d] = sum / (double)dims[d];
    }
    double m = 0, m2 = 0;
    for (size_t i = 0; i < N; i++) {
        double z = 0;
        for (size_t e = 0; e < F; e++) z += yh[i * F + e] == 0.0f;
        m += z;
        m2 += z * z;
    }
    double mean = m / N, se = sqrt((m2 / N - mean * mean) / N);
    CHECK(fabs(mean - expect[0] * expect[1]) <= 5 * se, "Cutout zeroed %g per sample, expected %g +- 5 x %g", mean,
          expect[0] * expect[1], se);
    free(ones);
    free(yh);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
}

int main(void)
{
    clnn_context *ctx = test_context();
    test_samplers();
    for (size_t i = 0; i < NSHAPES; i++)
        if (shapes[i][0] * shapes[i][1] * shapes[i][2] * shapes[i][3] < ((size_t)1 << 20) ||
            test_large("forwards on 17 x 3 x 139 x 149"))
            test_forwards_on_shape(ctx, shapes[i]);
    test_backward(ctx, MIXUP);
    test_backward(ctx, CUTMIX);
    test_backward(ctx, CUTOUT);
    if (test_large("cutout area statistics on 8192 x 1 x 9 x 14")) test_cutout_area(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
