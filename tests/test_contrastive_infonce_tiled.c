/* The tiled InfoNCE (clnn_infonce_tiled, cl/contrastive_infonce_tiled.cl):
 *  - against the double reference (value, every gradient against central
 *    differences) on batch 1 and 2, odd d, n around the tile sizes (TR 8..32,
 *    TC 32..128) and temperatures 0.01..1, in every mode and option;
 *  - against the materialised clnn_infonce: loss within 2e-6 relative (+ the
 *    logit rounding) and gradients within 1e-5 of their largest entry (fp32
 *    sums in another order; the observed differences are printed);
 *  - the same bits for every tile size and local size (each gradient
 *    element and each online log-sum-exp runs in one fixed order), forced
 *    TR 8..128 (those past the device's local memory: SKIP);
 *  - device memory: no N x N buffer (the context's peak allocation). */
#include "contrastive_util.h"

#include <time.h>

static const nce_case cases[] = {
    {1, 1, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {1, 3, K_NT_XENT, 0.5f, 0.3f, 0, 0, CLNN_REDUCE_SUM, 1.0f},
    {2, 5, K_SYMMETRIC, 0.07f, 0.2f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
    {2, 3, K_NT_XENT, 1.0f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
    {9, 17, K_ONE_WAY, 0.01f, 0.0f, 1, 0, CLNN_REDUCE_SUM, 1.0f},
    {33, 7, K_SYMMETRIC, 0.1f, 0.1f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},  /* one past TR = 32 */
    {65, 5, K_NT_XENT, 0.2f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},    /* 130 = one past 2 x TC */
    {5, 17, K_NT_XENT, 0.01f, 0.0f, 0, 0, CLNN_REDUCE_MEAN, 3.0f},   /* logits in the thousands */
    {129, 3, K_ONE_WAY, 0.5f, -0.2f, 0, 0, CLNN_REDUCE_MEAN, 1.0f},  /* one past TC = 128 */
};

/* Tiled vs materialised on one case: the differences, printed and bounded. */
static void check_against_materialised(clnn_context *ctx, const nce_case *c)
{
    char what[200];
    nce_describe(c, what, sizeof what);
    nce_data v = nce_data_make(ctx, c, (unsigned)(c->n + 3 * c->d), 3);
    clnn_tensor *loss[2], *g1[2], *g2[2];
    float val[2], *h1[2], *h2[2];
    for (int tiled = 0; tiled < 2; tiled++) {
        loss[tiled] = util_tensor(ctx, 1, 1, 1, 1, 1);
        g1[tiled] = like(ctx, v.t1);
        g2[tiled] = like(ctx, v.t2);
        CHECK_OK(ctx, nce_run(ctx, &v, tiled, loss[tiled], g1[tiled], g2[tiled]));
        val[tiled] = util_scalar(ctx, loss[tiled]);
        h1[tiled] = util_download(ctx, g1[tiled]);
        h2[tiled] = util_download(ctx, g2[tiled]);
    }
    size_t m = c->n * c->d;
    double gmax = fmax(util_max_abs(h1[0], m), util_max_abs(h2[0], m)), gdiff = 0.0;
    for (size_t i = 0; i < m; i++) gdiff = fmax(gdiff, fmax(fabs(h1[0][i] - h1[1][i]), fabs(h2[0][i] - h2[1][i])));
    double vdiff = fabs((double)val[0] - val[1]), lmax = nce_max_logit(&v);
    double anchors = c->red == CLNN_REDUCE_SUM ? nce_anchors(c) : 1.0;
    printf("tiled vs materialised, %s: loss %.9g vs %.9g (|diff| %.3g), gradients |diff| <= %.3g of max %.3g\n", what,
           val[1], val[0], vdiff, gdiff, gmax);
    CHECK(vdiff <= 2e-6 * (1.0 + fabs(val[0])) + 1e-6 * lmax * anchors, "%s: tiled loss %.9g, materialised %.9g",
          what, val[1], val[0]);
    CHECK(gdiff <= 1e-5 * gmax + 2e-7 * lmax * gmax + 1e-7, "%s: tiled gradients differ by %.3g (largest %.3g)", what,
          gdiff, gmax);
    for (int k = 0; k < 2; k++) {
        free(h1[k]), free(h2[k]);
        clnn_tensor_release(loss[k]), clnn_tensor_release(g1[k]), clnn_tensor_release(g2[k]);
    }
    nce_data_free(&v);
}

/* The bits of loss, dz1 and dz2 with kernel_id forced to each configuration.
 * The device says what fits (clnn_tune_limits_get, the kernel built with
 * the configuration's TR, TC, DK): a local size above the kernel's limit
 * becomes the largest it takes; a configuration whose kernel needs more
 * local memory than the device has is skipped, with a SKIP line (TR 128,
 * TC 128, DK 16 needs 80 KiB for tiled_grad, 88.5 KiB for tiled_lse, more
 * than most GPUs; clnn_tune_force would refuse it). */
static void check_config_bits(clnn_context *ctx, const nce_case *c, const char *kernel_id)
{
    static const clnn_tune_config configs[] = {
        {{1, 1, 1}, {8, 32, 4}},     {{64, 1, 1}, {32, 64, 16}},  {{7, 1, 1}, {16, 128, 8}},
        {{128, 1, 1}, {8, 128, 16}}, {{64, 1, 1}, {64, 64, 8}},   {{3, 1, 1}, {64, 32, 4}},
        {{32, 1, 1}, {128, 32, 4}},  {{128, 1, 1}, {128, 128, 16}}};
    const size_t nconf = sizeof configs / sizeof configs[0];
    nce_data v = nce_data_make(ctx, c, 77, 3);
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v.t1), *g2 = like(ctx, v.t2);
    float first_val = 0.0f, *first1 = NULL, *first2 = NULL;
    size_t m = c->n * c->d;
    int same = 1;
    for (size_t k = 0; k < nconf; k++) {
        clnn_tune_limits lim;
        CHECK_OK(ctx, clnn_tune_limits_get(ctx, kernel_id, &configs[k], &lim));
        if (lim.local_mem > lim.device_local_mem) {
            char why[200];
            snprintf(why, sizeof why, "%s TR %d TC %d DK %d: needs %llu bytes of local memory, the device has %llu",
                     kernel_id, configs[k].params[0], configs[k].params[1], configs[k].params[2], lim.local_mem,
                     lim.device_local_mem);
            test_skip(why);
            continue;
        }
        clnn_tune_config cfg = configs[k];
        cfg.local[0] = test_local_fit(ctx, kernel_id, &cfg, cfg.local[0]);
        CHECK_OK(ctx, clnn_tune_force(ctx, kernel_id, &cfg));
        CHECK_OK(ctx, nce_run(ctx, &v, 1, loss, g1, g2));
        float val = util_scalar(ctx, loss), *h1 = util_download(ctx, g1), *h2 = util_download(ctx, g2);
        if (k == 0) {
            first_val = val, first1 = h1, first2 = h2;
            continue;
        }
        same &= memcmp(&val, &first_val, sizeof val) == 0 && util_same_bits(h1, first1, m) &&
                util_same_bits(h2, first2, m);
        free(h1), free(h2);
    }
    CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
    char what[200];
    nce_describe(c, what, sizeof what);
    CHECK(same, "%s: %s gives other bits under other tile and local sizes", what, kernel_id);
    free(first1), free(first2);
    clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
    nce_data_free(&v);
}

/* The bytes live once the runtime has freed what it is going to free: the
 * destructor callbacks may run on a runtime thread shortly after
 * clnn_finish returns, so wait until two reads 5 ms apart agree (1 s at most). */
static size_t settled_live(clnn_context *ctx)
{
    size_t live = 0, prev = (size_t)-1;
    for (int i = 0; i < 200; i++) {
        CHECK_OK(ctx, clnn_finish(ctx));
        CHECK_OK(ctx, clnn_context_memory_stats(ctx, &live, NULL));
        if (live == prev) break;
        prev = live;
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    return live;
}

/* The context's memory counters follow a tensor's life: its bytes while it
 * lives, back to the earlier figure once it is freed; the peak keeps the most.
 * Returns 0 when the runtime never reports the free (Oclgrind 21.10 does not
 * call memory-object destructor callbacks): a SKIP, and the peak checks
 * below cannot run either. */
static int check_memory_stats(clnn_context *ctx)
{
    size_t live0, peak0, live1, peak1, live2, peak2, n = 1000;
    settled_live(ctx);
    CHECK_OK(ctx, clnn_context_memory_reset_peak(ctx));
    CHECK_OK(ctx, clnn_context_memory_stats(ctx, &live0, &peak0));
    clnn_tensor *t = util_tensor(ctx, n, 1, 1, 1, 1);
    CHECK_OK(ctx, clnn_context_memory_stats(ctx, &live1, &peak1));
    clnn_tensor_release(t);
    live2 = settled_live(ctx);
    CHECK_OK(ctx, clnn_context_memory_stats(ctx, NULL, &peak2));
    if (live2 == live1 && live1 == live0 + 4 * n) {
        test_skip("memory statistics: this OpenCL runtime does not report freed buffers (no destructor callbacks)");
        return 0;
    }
    CHECK(peak0 == live0 && live1 == live0 + 4 * n && peak1 == live1 && live2 == live0 && peak2 == peak1,
          "memory stats: live %zu -> %zu -> %zu, peak %zu -> %zu -> %zu around a %zu-byte tensor", live0, live1,
          live2, peak0, peak1, peak2, 4 * n);
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_context_memory_stats",
                clnn_context_memory_stats(NULL, &live0, &peak0));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_context_memory_reset_peak", clnn_context_memory_reset_peak(NULL));
    return 1;
}

/* The peak device memory of a call above what was live before it, against
 * the allocation formulas: the materialised call holds the N x N similarity
 * matrix, the tiled one O(N d) only. */
static void check_peak_memory(clnn_context *ctx)
{
    nce_case c = {150, 4, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    nce_data v = nce_data_make(ctx, &c, 3, 3);
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v.t1), *g2 = like(ctx, v.t2);
    size_t extra[2], nn = c.n * c.n * sizeof(float);
    for (int tiled = 0; tiled < 2; tiled++) {
        size_t live, peak;
        settled_live(ctx);
        CHECK_OK(ctx, clnn_context_memory_reset_peak(ctx));
        CHECK_OK(ctx, nce_run(ctx, &v, tiled, loss, g1, g2));
        live = settled_live(ctx);
        CHECK_OK(ctx, clnn_context_memory_stats(ctx, NULL, &peak));
        extra[tiled] = peak - live;
    }
    /* both: stacked views and their gradient (2 x 2n x d), 1/norms (2n), one
     * loss partial per anchor (n); then the n x n matrix, or the per-anchor lse (n) */
    size_t common = sizeof(float) * (4 * c.n * c.d + 2 * c.n + c.n);
    printf("peak scratch of one call, n=%zu d=%zu: materialised %zu bytes, tiled %zu bytes (N x N floats: %zu)\n",
           c.n, c.d, extra[0], extra[1], nn);
    CHECK(extra[0] == common + nn && extra[1] == common + sizeof(float) * c.n,
          "peak scratch: materialised %zu (want %zu), tiled %zu (want %zu) bytes", extra[0], common + nn, extra[1],
          common + sizeof(float) * c.n);
    clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
    nce_data_free(&v);
}

int main(void)
{
    clnn_context *ctx = test_context();
    /* On the simulator (small mode) the cases past the default tiles (n > 9)
     * are left out; the forced small tiles (TR 8, TC 32) below still put
     * several tiles and ragged edges under Oclgrind. */
    int medium = test_large("tiled InfoNCE on more than 9 pairs at the default tile sizes");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!medium && cases[i].n > 9) continue;
        check_nce(ctx, &cases[i], 3, 300, 1);
        check_against_materialised(ctx, &cases[i]);
    }
    /* 19 pairs: 38 NT-Xent candidates, past one TC = 32 tile; 11: past TR = 8 */
    nce_case bits[] = {{19, 9, K_NT_XENT, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                       {11, 6, K_SYMMETRIC, 0.05f, 0.1f, 0, 1, CLNN_REDUCE_SUM, 1.0f}};
    for (int i = 0; i < 2; i++) {
        check_config_bits(ctx, &bits[i], "contrastive.tiled_lse");
        check_config_bits(ctx, &bits[i], "contrastive.tiled_grad");
    }
    if (check_memory_stats(ctx)) check_peak_memory(ctx);
    else test_skip("peak memory of the tiled and materialised calls (no memory statistics here)");
    if (test_large("tiled InfoNCE on >= 2^16 elements")) {
        nce_case big[] = {{1031, 67, K_SYMMETRIC, 0.05f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                          {521, 129, K_NT_XENT, 0.1f, 0.1f, 1, 1, CLNN_REDUCE_MEAN, 1.0f}};
        for (int i = 0; i < 2; i++) {
            check_nce(ctx, &big[i], 3, 8, 1);
            check_against_materialised(ctx, &big[i]);
        }
    }
    clnn_context_release(ctx);
    return check_summary();
}
