/* Every stochastic and data-augmentation function given NULL or bad
 * arguments returns an error status naming the function, and changes
 * nothing (the output tensors keep their contents). */
#include "check.h"

#include <math.h>

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dt, int nd, const size_t *s, float v)
{
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, dt, nd, s, &t) == CLNN_OK, "create: %s", clnn_last_error(ctx));
    REQUIRE(clnn_tensor_fill(t, v) == CLNN_OK, "fill");
    return t;
}

static int all_equal(clnn_context *ctx, const clnn_tensor *t, float v)
{
    size_t n = clnn_tensor_count(t);
    float *h = malloc(n * sizeof *h);
    int ok = clnn_tensor_download(t, h, n * sizeof *h) == CLNN_OK;
    for (size_t i = 0; ok && i < n; i++) ok = h[i] == v;
    free(h);
    return ok;
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const size_t s4[4] = {2, 3, 4, 5}, s4b[4] = {2, 3, 4, 6}, s2[2] = {2, 60}, n2 = 2, n3 = 3;
static const float bad_p[] = {-0.1f, 1.0f, 1.5f, NAN, INFINITY};
static clnn_context *ctx, *other_ctx;
static clnn_tensor *x, *y, *mask, *big, *flat, *xi, *foreign, *perm, *perm3, *perm_bad, *perm_f, *perm_ok, *targets,
    *labels, *labels_bad;

/* DropConnect, spatial dropout */
static void dropconnect_spatial_errors(void)
{
    EXPECT_FAIL(NULL, INVAL, "clnn_dropconnect_forward", clnn_dropconnect_forward(NULL, x, 0.5f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_forward", clnn_dropconnect_forward(ctx, NULL, 0.5f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_forward", clnn_dropconnect_forward(ctx, x, 0.5f, 1, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_forward", clnn_dropconnect_forward(ctx, foreign, 0.5f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_forward", clnn_dropconnect_forward(ctx, xi, 0.5f, 1, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_dropconnect_forward", clnn_dropconnect_forward(ctx, x, 0.5f, 1, big));
    for (int i = 0; i < 5; i++) {
        EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_forward", clnn_dropconnect_forward(ctx, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_backward", clnn_dropconnect_backward(ctx, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_spatial_dropout_forward", clnn_spatial_dropout_forward(ctx, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_spatial_dropout_backward",
                    clnn_spatial_dropout_backward(ctx, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_stochastic_depth_forward",
                    clnn_stochastic_depth_forward(ctx, x, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_stochastic_depth_backward",
                    clnn_stochastic_depth_backward(ctx, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_mixout_forward", clnn_mixout_forward(ctx, x, x, bad_p[i], 1, y));
        EXPECT_FAIL(ctx, INVAL, "clnn_mixout_backward", clnn_mixout_backward(ctx, x, bad_p[i], 1, y));
    }
    EXPECT_FAIL(ctx, INVAL, "clnn_dropconnect_backward", clnn_dropconnect_backward(ctx, NULL, 0.5f, 1, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_spatial_dropout_forward", clnn_spatial_dropout_forward(ctx, flat, 0.5f, 1, flat));
    EXPECT_FAIL(ctx, SHAPE, "clnn_spatial_dropout_backward", clnn_spatial_dropout_backward(ctx, x, 0.5f, 1, big));
    EXPECT_FAIL(NULL, INVAL, "clnn_spatial_dropout_forward", clnn_spatial_dropout_forward(NULL, x, 0.5f, 1, y));
}

/* DropBlock: block larger than the map, keep_prob range, aliasing, layout */
static void dropblock_errors(void)
{
    EXPECT_FAIL(NULL, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(NULL, x, 2, 0.9f, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, NULL, 2, 0.9f, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.9f, 1, NULL, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.9f, 1, mask, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 5, 0.9f, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 0, 0.9f, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.0f, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 1.01f, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, NAN, 1, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.9f, 1, mask, x));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.9f, 1, y, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.9f, 1, big, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, flat, 1, 0.9f, 1, flat, flat));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_forward", clnn_dropblock_forward(ctx, x, 2, 0.9f, 1, foreign, y));
    EXPECT_FAIL(NULL, INVAL, "clnn_dropblock_backward", clnn_dropblock_backward(NULL, x, mask, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_backward", clnn_dropblock_backward(ctx, x, NULL, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_dropblock_backward", clnn_dropblock_backward(ctx, x, big, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_dropblock_backward", clnn_dropblock_backward(ctx, xi, mask, y));
}

/* stochastic depth, noise, Mixout */
static void depth_noise_mixout_errors(void)
{
    EXPECT_FAIL(ctx, SHAPE, "clnn_stochastic_depth_forward", clnn_stochastic_depth_forward(ctx, x, big, 0.5f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_stochastic_depth_forward", clnn_stochastic_depth_forward(ctx, x, NULL, 0.5f, 1, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_stochastic_depth_backward", clnn_stochastic_depth_backward(ctx, x, 0.5f, 1, big));
    EXPECT_FAIL(NULL, INVAL, "clnn_noise_forward", clnn_noise_forward(NULL, x, CLNN_NOISE_GAUSSIAN, 1.0f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_noise_forward", clnn_noise_forward(ctx, x, (clnn_noise_kind)3, 1.0f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_noise_forward", clnn_noise_forward(ctx, x, CLNN_NOISE_GAUSSIAN, -1.0f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_noise_forward", clnn_noise_forward(ctx, x, CLNN_NOISE_UNIFORM, NAN, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_noise_backward", clnn_noise_backward(ctx, x, CLNN_NOISE_GAUSSIAN, INFINITY, 1, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_noise_backward", clnn_noise_backward(ctx, x, CLNN_NOISE_GAUSSIAN, 1.0f, 1, big));
    EXPECT_FAIL(ctx, SHAPE, "clnn_mixout_forward", clnn_mixout_forward(ctx, x, big, 0.5f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixout_forward", clnn_mixout_forward(ctx, x, NULL, 0.5f, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixout_backward", clnn_mixout_backward(ctx, x, 0.5f, 1, NULL));
}

/* host samplers */
static void sampler_errors(void)
{
    float lam = 7.0f;
    clnn_box box = {0, 0, 0, 0};
    int32_t pbuf[3] = {7, 7, 7};
    EXPECT_FAIL(NULL, INVAL, "clnn_beta_sample", clnn_beta_sample(0.5f, 1, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_beta_sample", clnn_beta_sample(0.0f, 1, &lam));
    EXPECT_FAIL(NULL, INVAL, "clnn_beta_sample", clnn_beta_sample(-1.0f, 1, &lam));
    EXPECT_FAIL(NULL, INVAL, "clnn_beta_sample", clnn_beta_sample(NAN, 1, &lam));
    EXPECT_FAIL(NULL, INVAL, "clnn_beta_sample", clnn_beta_sample(INFINITY, 1, &lam));
    CHECK(lam == 7.0f, "rejected Beta calls leave lambda unchanged");
    EXPECT_FAIL(NULL, INVAL, "clnn_permutation_sample", clnn_permutation_sample(1, 3, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_permutation_sample", clnn_permutation_sample(1, 0, pbuf));
    CHECK(pbuf[0] == 7 && pbuf[2] == 7, "rejected permutation leaves the array unchanged");
    EXPECT_FAIL(NULL, INVAL, "clnn_cutmix_sample_box", clnn_cutmix_sample_box(0.5f, 4, 4, 1, NULL, &lam));
    EXPECT_FAIL(NULL, INVAL, "clnn_cutmix_sample_box", clnn_cutmix_sample_box(0.5f, 4, 4, 1, &box, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_cutmix_sample_box", clnn_cutmix_sample_box(1.5f, 4, 4, 1, &box, &lam));
    EXPECT_FAIL(NULL, INVAL, "clnn_cutmix_sample_box", clnn_cutmix_sample_box(NAN, 4, 4, 1, &box, &lam));
    EXPECT_FAIL(NULL, INVAL, "clnn_cutmix_sample_box", clnn_cutmix_sample_box(0.5f, 0, 4, 1, &box, &lam));
    CHECK(lam == 7.0f && box.y1 == 0, "rejected box calls leave the outputs unchanged");
}

/* Mixup / CutMix / Cutout / labels */
static void mix_errors(void)
{
    EXPECT_FAIL(NULL, INVAL, "clnn_mixup_forward", clnn_mixup_forward(NULL, x, perm, 0.5f, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, NULL, 0.5f, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm_f, 0.5f, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm3, 0.5f, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm_bad, 0.5f, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm, 1.5f, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm, NAN, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm, 0.5f, x));
    EXPECT_FAIL(ctx, SHAPE, "clnn_mixup_forward", clnn_mixup_forward(ctx, x, perm, 0.5f, big));
    EXPECT_FAIL(ctx, INVAL, "clnn_mixup_backward", clnn_mixup_backward(ctx, x, perm, 0.5f, y)); /* not a permutation */
    EXPECT_FAIL(ctx, INVAL, "clnn_cutmix_forward", clnn_cutmix_forward(ctx, x, perm_ok, (clnn_box){0, 0, 5, 2}, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_cutmix_forward", clnn_cutmix_forward(ctx, x, perm_ok, (clnn_box){0, 3, 2, 2}, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_cutmix_forward", clnn_cutmix_forward(ctx, flat, perm_ok, (clnn_box){0, 0, 1, 1}, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_cutmix_backward", clnn_cutmix_backward(ctx, x, perm, (clnn_box){0, 0, 1, 1}, y));
    EXPECT_FAIL(NULL, INVAL, "clnn_cutout_forward", clnn_cutout_forward(NULL, x, 2, 1, y));
    EXPECT_FAIL(ctx, INVAL, "clnn_cutout_forward", clnn_cutout_forward(ctx, x, 0, 1, y));
    EXPECT_FAIL(ctx, SHAPE, "clnn_cutout_forward", clnn_cutout_forward(ctx, flat, 2, 1, flat));
    EXPECT_FAIL(ctx, SHAPE, "clnn_cutout_backward", clnn_cutout_backward(ctx, x, 2, 1, big));
    EXPECT_FAIL(ctx, INVAL, "clnn_mix_labels", clnn_mix_labels(ctx, labels_bad, perm_ok, 0.5f, targets));
    EXPECT_FAIL(ctx, INVAL, "clnn_mix_labels", clnn_mix_labels(ctx, labels, perm_bad, 0.5f, targets));
    EXPECT_FAIL(ctx, INVAL, "clnn_mix_labels", clnn_mix_labels(ctx, labels, perm_ok, -0.5f, targets));
    EXPECT_FAIL(ctx, INVAL, "clnn_mix_labels", clnn_mix_labels(ctx, NULL, perm_ok, 0.5f, targets));
    EXPECT_FAIL(ctx, INVAL, "clnn_mix_labels", clnn_mix_labels(ctx, labels, perm_ok, 0.5f, NULL));
    EXPECT_FAIL(ctx, SHAPE, "clnn_mix_labels", clnn_mix_labels(ctx, labels, perm_ok, 0.5f, x));
    EXPECT_FAIL(ctx, SHAPE, "clnn_mix_labels", clnn_mix_labels(ctx, perm3, perm_ok, 0.5f, targets));
    EXPECT_FAIL(NULL, INVAL, "clnn_mix_labels", clnn_mix_labels(NULL, labels, perm_ok, 0.5f, targets));
}

int main(void)
{
    ctx = test_context(), other_ctx = test_context();
    x = make(ctx, CLNN_FLOAT32, 4, s4, 1.0f), y = make(ctx, CLNN_FLOAT32, 4, s4, 7.0f);
    mask = make(ctx, CLNN_FLOAT32, 4, s4, 7.0f), big = make(ctx, CLNN_FLOAT32, 4, s4b, 7.0f);
    flat = make(ctx, CLNN_FLOAT32, 2, s2, 7.0f), xi = make(ctx, CLNN_INT32, 4, s4, 1.0f);
    foreign = make(other_ctx, CLNN_FLOAT32, 4, s4, 1.0f);
    perm = make(ctx, CLNN_INT32, 1, &n2, 0.0f), perm3 = make(ctx, CLNN_INT32, 1, &n3, 0.0f);
    perm_bad = make(ctx, CLNN_INT32, 1, &n2, 2.0f), perm_f = make(ctx, CLNN_FLOAT32, 1, &n2, 0.0f);
    int32_t pv[2] = {1, 0};
    perm_ok = make(ctx, CLNN_INT32, 1, &n2, 0.0f);
    CHECK_OK(ctx, clnn_tensor_upload(perm_ok, pv, sizeof pv));
    size_t ts[2] = {2, 4};
    targets = make(ctx, CLNN_FLOAT32, 2, ts, 7.0f), labels = make(ctx, CLNN_INT32, 1, &n2, 1.0f);
    labels_bad = make(ctx, CLNN_INT32, 1, &n2, 4.0f);

    dropconnect_spatial_errors();
    dropblock_errors();
    depth_noise_mixout_errors();
    sampler_errors();
    mix_errors();

    /* nothing above wrote an output */
    CHECK(all_equal(ctx, y, 7.0f) && all_equal(ctx, mask, 7.0f) && all_equal(ctx, big, 7.0f) &&
              all_equal(ctx, flat, 7.0f) && all_equal(ctx, targets, 7.0f) && all_equal(ctx, x, 1.0f),
          "rejected calls left every tensor unchanged");

    clnn_tensor *all[] = {x, y, mask, big, flat, xi, perm, perm3, perm_bad, perm_f, perm_ok, targets, labels,
                          labels_bad};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(ctx);
    clnn_context_release(other_ctx);
    return check_summary();
}
