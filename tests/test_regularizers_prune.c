/* Pruning masks: magnitude top-k and N:M masks bit-identical to the sorting
 * reference (tests/ref/ref_reg_ops.c) on awkward sizes with many ties
 * (values on a coarse grid, +0 and −0), including >= 2^20 elements; mask
 * application; the MaskLLM Gumbel-softmax 2:4 mask against the double
 * reference, its backward against central finite differences of the
 * reference forward, and its noise stream against ref_philox_uniform.
 *
 * Tolerances: masks exact. MaskLLM forward: |dev − ref| <= 5e-5 per entry:
 * fp32 exp/log (<= 4 ulp in OpenCL) on exponents up to |logit + noise| / τ ~
 * 40 (noise −log(−log(u)) <= 16.6), so ~40·1e-7·4 relative error in each
 * p_k. Backward vs finite differences (h = 1e-5 in double, truncation
 * ~1e-10): 1e-4·(1 + max|fd|) for the same reason. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_context *ctx;

/* Values on a grid of 1/8 in [-2, 2] (many exact ties), some −0 and +0. */
static void fill_ties(float *w, size_t n, unsigned seed)
{
    test_fill_uniform(w, n, seed, -2.0f, 2.0f);
    for (size_t i = 0; i < n; i++) {
        w[i] = roundf(w[i] * 8.0f) / 8.0f;
        if (w[i] == 0.0f) w[i] = (i & 1) ? -0.0f : 0.0f;
    }
}

static void topk(size_t n)
{
    float *w = malloc(n * sizeof(float)), *ref = malloc(n * sizeof(float));
    REQUIRE(w && ref, "out of memory");
    fill_ties(w, n, (unsigned)n);
    clnn_tensor *tw = test_tensor_from(ctx, 1, &n, w), *tm = test_tensor_from(ctx, 1, &n, w);
    size_t ks[6] = {0, 1, n / 3, n / 2, n > 1 ? n - 1 : 0, n};
    for (int i = 0; i < 6; i++) {
        size_t k = ks[i];
        CHECK_OK(ctx, clnn_prune_topk_mask(ctx, tw, k, tm));
        float *mask = test_download(ctx, tm);
        ref_topk_mask(w, n, k, ref);
        size_t kept = 0, diff = 0;
        for (size_t j = 0; j < n; j++) kept += mask[j] == 1.0f, diff += memcmp(&mask[j], &ref[j], sizeof(float)) != 0;
        CHECK(diff == 0 && kept == k, "top-k n=%zu k=%zu: %zu entries differ from the reference, %zu kept", n, k, diff,
              kept);
        free(mask);
    }
    clnn_tensor_release(tw), clnn_tensor_release(tm);
    free(w), free(ref);
}

static void nm(size_t rows, size_t cols, unsigned keep, unsigned m)
{
    size_t n = rows * cols, shape[2] = {rows, cols};
    float *w = malloc(n * sizeof(float)), *ref = malloc(n * sizeof(float));
    REQUIRE(w && ref, "out of memory");
    fill_ties(w, n, (unsigned)(n + m));
    clnn_tensor *tw = test_tensor_from(ctx, 2, shape, w), *tm = test_tensor_from(ctx, 2, shape, w);
    CHECK_OK(ctx, clnn_prune_nm_mask(ctx, tw, keep, m, tm));
    float *mask = test_download(ctx, tm);
    ref_nm_mask(w, n, keep, m, ref);
    CHECK(memcmp(mask, ref, n * sizeof(float)) == 0, "%u:%u mask of [%zu, %zu] differs from the reference", keep, m,
          rows, cols);
    /* application: t * mask, exactly the products */
    float *g = malloc(n * sizeof(float));
    REQUIRE(g, "out of memory");
    test_fill_uniform(g, n, 5, -1, 1);
    clnn_tensor *tg = test_tensor_from(ctx, 2, shape, g);
    CHECK_OK(ctx, clnn_prune_apply(ctx, tm, tg));
    float *out = test_download(ctx, tg);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float e = g[i] * ref[i];
        bad += memcmp(&out[i], &e, sizeof e) != 0;
    }
    CHECK(bad == 0, "mask application on [%zu, %zu]: %zu entries differ", rows, cols, bad);
    clnn_tensor_release(tw), clnn_tensor_release(tm), clnn_tensor_release(tg);
    free(w), free(ref), free(mask), free(g), free(out);
}

/* ------------------------------------------------------------- MaskLLM */

typedef struct mllm_user {
    size_t groups;
    double tau;
    int gumbel;
    const double *dmask;
} mllm_user;

static double mllm_objective(const double *logits, const mllm_user *u)
{
    double *mask = malloc(4 * u->groups * sizeof(double)), s = 0;
    REQUIRE(mask, "out of memory");
    ref_maskllm(logits, u->groups, u->tau, u->gumbel, 1234, 5, mask, NULL, NULL);
    for (size_t i = 0; i < 4 * u->groups; i++) s += u->dmask[i] * mask[i];
    free(mask);
    return s;
}

static void maskllm(size_t rows, size_t cols, float tau, int gumbel, int fd)
{
    size_t n = rows * cols, groups = n / 4, shape[2] = {rows, cols}, lshape[2] = {groups, 6};
    float *logits = malloc(6 * groups * sizeof(float)), *dm = malloc(n * sizeof(float));
    double *ld = malloc(6 * groups * sizeof(double)), *dmd = malloc(n * sizeof(double));
    double *mref = malloc(n * sizeof(double)), *gref = malloc(6 * groups * sizeof(double));
    REQUIRE(logits && dm && ld && dmd && mref && gref, "out of memory");
    test_fill_uniform(logits, 6 * groups, (unsigned)n, -3.0f, 3.0f);
    test_fill_uniform(dm, n, (unsigned)n + 1, -1.0f, 1.0f);
    for (size_t i = 0; i < 6 * groups; i++) ld[i] = logits[i];
    for (size_t i = 0; i < n; i++) dmd[i] = dm[i];
    clnn_tensor *tl = test_tensor_from(ctx, 2, lshape, logits), *tm = test_tensor_from(ctx, 2, shape, dm);
    clnn_tensor *tdm = test_tensor_from(ctx, 2, shape, dm), *tdl = test_tensor_from(ctx, 2, lshape, logits);
    char what[80];
    snprintf(what, sizeof what, "MaskLLM [%zu, %zu] tau %g gumbel %d", rows, cols, (double)tau, gumbel);
    CHECK_OK(ctx, clnn_maskllm_forward(ctx, tl, tau, gumbel, 1234, 5, tm));
    float *mask = test_download(ctx, tm);
    ref_maskllm(ld, groups, tau, gumbel, 1234, 5, mref, dmd, gref);
    double e = test_max_rel_error(mask, mref, n, 5e-5, 0);
    CHECK(e <= 1, "%s: forward error %.3g of tolerance", what, e);
    double worst_sum = 0;
    for (size_t g = 0; g < groups; g++)
        worst_sum = fmax(worst_sum, fabs(mask[4 * g] + mask[4 * g + 1] + mask[4 * g + 2] + mask[4 * g + 3] - 2.0));
    CHECK(worst_sum <= 1e-5, "%s: a group's mask sums to 2 ± %.3g", what, worst_sum);
    CHECK_OK(ctx, clnn_maskllm_forward(ctx, tl, tau, gumbel, 1234, 5, tm));
    float *again = test_download(ctx, tm);
    CHECK(memcmp(mask, again, n * sizeof(float)) == 0, "%s: two runs differ", what);
    CHECK_OK(ctx, clnn_maskllm_backward(ctx, tl, tdm, tau, gumbel, 1234, 5, tdl));
    float *dl = test_download(ctx, tdl);
    e = test_max_rel_error(dl, gref, 6 * groups, 5e-5, 0);
    CHECK(e <= 1, "%s: backward error %.3g of tolerance against the analytic reference", what, e);
    if (fd) {
        mllm_user u = {groups, tau, gumbel, dmd};
        const double h = 1e-5;
        double worst = 0, maxfd = 0;
        size_t stride = 6 * groups > 300 ? 6 * groups / 300 : 1;
        for (size_t i = 0; i < 6 * groups; i += stride) {
            double l0 = ld[i];
            ld[i] = l0 + h;
            double fp = mllm_objective(ld, &u);
            ld[i] = l0 - h;
            double fm = mllm_objective(ld, &u);
            ld[i] = l0;
            double g = (fp - fm) / (2 * h);
            worst = fmax(worst, fabs(dl[i] - g));
            maxfd = fmax(maxfd, fabs(g));
        }
        CHECK(worst <= 1e-4 * (1 + maxfd), "%s: backward vs finite differences off by %.3g (max |fd| %.3g)", what,
              worst, maxfd);
    }
    clnn_tensor_release(tl), clnn_tensor_release(tm), clnn_tensor_release(tdm), clnn_tensor_release(tdl);
    free(logits), free(dm), free(ld), free(dmd), free(mref), free(gref), free(mask), free(again), free(dl);
}

/* At a tiny temperature the soft mask is the pattern of argmax(logit + noise):
 * it matches the reference's choice only if the noise stream is the same. */
static void maskllm_noise_stream(void)
{
    const size_t groups = 2000, shape[2] = {groups, 4}, lshape[2] = {groups, 6};
    const int pairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
    float *logits = calloc(6 * groups, sizeof(float)); /* all logits 0: the choice is the noise alone */
    REQUIRE(logits, "out of memory");
    clnn_tensor *tl = test_tensor_from(ctx, 2, lshape, logits), *tm = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &tm) == CLNN_OK, "mask");
    CHECK_OK(ctx, clnn_maskllm_forward(ctx, tl, 1e-4f, 1, 99, 3, tm));
    float *mask = test_download(ctx, tm);
    size_t checked = 0, wrong = 0;
    for (size_t g = 0; g < groups; g++) {
        double y[6];
        int best = 0;
        for (int k = 0; k < 6; k++) {
            double u = ref_philox_uniform(99, 3, 6 * g + (size_t)k);
            y[k] = -log(-log(u < 1.0 / 16777216.0 ? 1.0 / 16777216.0 : u));
            if (y[k] > y[best]) best = k;
        }
        double second = -INFINITY;
        for (int k = 0; k < 6; k++)
            if (k != best) second = fmax(second, y[k]);
        if (y[best] - second < 1e-2) continue; /* near ties: fp32 may pick either */
        checked++;
        for (int j = 0; j < 4; j++) {
            int kept = pairs[best][0] == j || pairs[best][1] == j;
            wrong += (mask[4 * g + j] > 0.5f) != kept;
        }
    }
    CHECK(checked > groups * 9 / 10 && wrong == 0, "MaskLLM noise stream: %zu of %zu groups pick another pattern", wrong,
          checked);
    clnn_tensor_release(tl), clnn_tensor_release(tm);
    free(logits), free(mask);
}

int main(void)
{
    ctx = test_context();
    static const size_t sizes[] = {1, 2, 3, 13, 257, 1000, 4099};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) topk(sizes[i]);
    if (test_large("top-k pruning of 2^20 + 7 weights")) topk(((size_t)1 << 20) + 7);
    nm(1, 4, 2, 4), nm(3, 8, 2, 4), nm(7, 12, 1, 4), nm(5, 24, 3, 8), nm(2, 6, 2, 6), nm(13, 16, 5, 16);
    nm(1, 1, 1, 1), nm(3, 4, 4, 4), nm(3, 4, 0, 4), nm(11, 64, 7, 64);
    if (test_large("N:M pruning of 1024 x 1028 weights")) nm(1024, 1028, 2, 4); /* >= 2^20 */
    maskllm(1, 4, 1.0f, 1, 1);
    maskllm(7, 4, 0.5f, 1, 1);
    maskllm(3, 20, 2.0f, 0, 1);
    maskllm(5, 12, 0.7f, 1, 1);
    if (test_large("MaskLLM on 256 x 4096 weights")) maskllm(256, 4096, 0.5f, 1, 0); /* 2^20 mask entries */
    maskllm_noise_stream();
    clnn_context_release(ctx);
    return check_summary();
}
