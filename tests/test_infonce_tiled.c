/* The tiled InfoNCE (clnn_infonce_tiled, cl/infonce_tiled.cl):
 *  - against the double reference (value, every gradient against central
 *    differences) on batch 1 and 2, odd d, n around the tile sizes (TR 8..32,
 *    TC 32..128) and temperatures 0.01..1, in every mode and option;
 *  - against the materialised clnn_infonce: loss within 2e-6 relative (+ the
 *    logit rounding) and gradients within 1e-5 of their largest entry (fp32
 *    sums in another order; the observed differences are printed);
 *  - the same bits for every tile size and local size (each gradient
 *    element and each online log-sum-exp runs in one fixed order);
 *  - device memory: no N x N buffer (the context's peak allocation). */
#include "contrastive_util.h"

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

/* The bits of loss, dz1 and dz2 with kernel_id forced to each configuration. */
static void check_config_bits(clnn_context *ctx, const nce_case *c, const char *kernel_id)
{
    static const clnn_tune_config configs[] = {
        {{1, 1, 1}, {8, 32}}, {{64, 1, 1}, {32, 64}}, {{7, 1, 1}, {16, 128}}, {{128, 1, 1}, {8, 128}}};
    const size_t nconf = sizeof configs / sizeof configs[0];
    nce_data v = nce_data_make(ctx, c, 77, 3);
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v.t1), *g2 = like(ctx, v.t2);
    float first_val = 0.0f, *first1 = NULL, *first2 = NULL;
    size_t m = c->n * c->d;
    int same = 1;
    for (size_t k = 0; k < nconf; k++) {
        CHECK_OK(ctx, clnn_tune_force(ctx, kernel_id, &configs[k]));
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

int main(void)
{
    clnn_context *ctx = test_context();
    const size_t ncases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < ncases; i++) {
        check_nce(ctx, &cases[i], 3, 300, 1);
        check_against_materialised(ctx, &cases[i]);
    }
    nce_case bits[] = {{37, 19, K_NT_XENT, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                       {45, 6, K_SYMMETRIC, 0.05f, 0.1f, 0, 1, CLNN_REDUCE_SUM, 1.0f}};
    for (int i = 0; i < 2; i++) {
        check_config_bits(ctx, &bits[i], "contrastive.tiled_lse");
        check_config_bits(ctx, &bits[i], "contrastive.tiled_grad");
    }
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
