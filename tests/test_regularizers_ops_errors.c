/* Bad input to SAM / gradient-norm penalty / EMA, spectral norm, pruning
 * (top-k, N:M, global, Ln-structured) and fake quantization (LSQ, channel
 * axes, the observer): every call fails with the right status and a message
 * naming the function, and changes no tensor ("output unchanged"). */
#include "check.h"

#include <math.h>

#define ROWS 4
#define COLS 8
#define N (ROWS * COLS)
static clnn_context *ctx, *other;
/* a, b, c: [4, 8] fp32; u [4], v [8], s [1]; small [31]; odd [4, 6] (last dim not a multiple of 4);
 * logits [8, 6]; labels int32 [32]; foreign: a tensor of another context */
static clnn_tensor *a, *b, *c, *u, *v, *s, *small, *odd, *logits, *labels, *foreign;
static clnn_tensor **all[] = {&a, &b, &c, &u, &v, &s, &small, &odd, &logits};
static float *initial[9];

static clnn_tensor *make(clnn_context *cx, clnn_dtype dt, int ndim, size_t d0, size_t d1, unsigned seed)
{
    size_t shape[2] = {d0, d1};
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(cx, dt, ndim, shape, &t) == CLNN_OK, "create");
    if (dt == CLNN_FLOAT32) REQUIRE(clnn_tensor_random_uniform(t, seed, 0, -1, 1) == CLNN_OK, "fill");
    else REQUIRE(clnn_tensor_fill(t, 0.0f) == CLNN_OK, "fill");
    return t;
}

static void setup(void)
{
    ctx = test_context();
    other = test_context();
    a = make(ctx, CLNN_FLOAT32, 2, ROWS, COLS, 1), b = make(ctx, CLNN_FLOAT32, 2, ROWS, COLS, 2);
    c = make(ctx, CLNN_FLOAT32, 2, ROWS, COLS, 3), u = make(ctx, CLNN_FLOAT32, 1, ROWS, 1, 4);
    v = make(ctx, CLNN_FLOAT32, 1, COLS, 1, 5), s = make(ctx, CLNN_FLOAT32, 1, 1, 1, 6);
    small = make(ctx, CLNN_FLOAT32, 1, N - 1, 1, 7), odd = make(ctx, CLNN_FLOAT32, 2, 4, 6, 8);
    logits = make(ctx, CLNN_FLOAT32, 2, N / 4, 6, 9), labels = make(ctx, CLNN_INT32, 1, N, 1, 0);
    foreign = make(other, CLNN_FLOAT32, 2, ROWS, COLS, 10);
    for (size_t i = 0; i < 9; i++) {
        size_t n = clnn_tensor_count(*all[i]);
        initial[i] = malloc(n * sizeof(float));
        REQUIRE(initial[i], "out of memory");
        CHECK_OK(ctx, clnn_tensor_download(*all[i], initial[i], n * sizeof(float)));
    }
}

static void expect_unchanged(const char *after)
{
    for (size_t i = 0; i < 9; i++) {
        size_t n = clnn_tensor_count(*all[i]);
        float *now = malloc(n * sizeof(float));
        REQUIRE(now, "out of memory");
        CHECK_OK(ctx, clnn_tensor_download(*all[i], now, n * sizeof(float)));
        CHECK(memcmp(now, initial[i], n * sizeof(float)) == 0, "tensor %zu changed after %s", i, after);
        free(now);
    }
}

static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;

static void sam_ema_errors(void)
{
    clnn_tensor *w1[1] = {a}, *s1[1] = {c}, *w2[2] = {a, a}, *s2[2] = {c, u}, *sm1[1] = {small}, *f1[1] = {foreign};
    const clnn_tensor *g1[1] = {b}, *g2[2] = {b, b}, *lab[1] = {labels}, *gsame[1] = {a}, *gnull[1] = {NULL};
    const char *fn = "clnn_sam_ascent";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_sam_ascent(NULL, 1, g1, 0.05f, w1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 1, g1, NAN, w1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 1, g1, -0.1f, w1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 0, g1, 0.05f, w1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 1, g1, 0.05f, NULL, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 1, gnull, 0.05f, w1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 1, g1, 0.05f, f1, s1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_ascent(ctx, 1, lab, 0.05f, w1, s1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_ascent(ctx, 1, g1, 0.05f, w1, sm1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 1, gsame, 0.05f, w1, s1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_ascent(ctx, 2, g2, 0.05f, w2, s2)); /* u has 4 elements */
    fn = "clnn_sam_restore";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_sam_restore(NULL, 1, g1, w1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_restore(ctx, 1, g1, sm1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_restore(ctx, 1, gsame, w1));
    fn = "clnn_grad_norm_penalty_combine";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_grad_norm_penalty_combine(NULL, 1, g1, 0.5f, w1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_norm_penalty_combine(ctx, 1, g1, 1.5f, w1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_norm_penalty_combine(ctx, 1, g1, INFINITY, w1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_norm_penalty_combine(ctx, 1, lab, 0.5f, w1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_norm_penalty_combine(ctx, 1, gsame, 0.5f, w1));
    fn = "clnn_ema_update";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ema_update(NULL, 1, g1, 0.9f, w1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ema_update(ctx, 1, g1, -0.1f, w1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ema_update(ctx, 1, g1, NAN, w1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ema_update(ctx, 70000, g1, 0.9f, w1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_ema_update(ctx, 1, g1, 0.9f, sm1));
    expect_unchanged("SAM / penalty / EMA errors");
}

static void spectral_errors(void)
{
    const char *fn = "clnn_spectral_power_iteration";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_spectral_power_iteration(NULL, a, 1, u, v, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_spectral_power_iteration(ctx, NULL, 1, u, v, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_spectral_power_iteration(ctx, a, 0, u, v, s));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_spectral_power_iteration(ctx, a, 1, v, u, s));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_spectral_power_iteration(ctx, labels, 1, u, v, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_spectral_power_iteration(ctx, a, 1, u, v, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_spectral_power_iteration(ctx, a, 1, u, v, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_spectral_power_iteration(ctx, foreign, 1, u, v, s));
    fn = "clnn_reg_spectral_value";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_value(ctx, s, -1.0f, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_value(ctx, NULL, 0.1f, u));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_spectral_value(ctx, s, 0.1f, labels));
    fn = "clnn_reg_spectral_grad";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_grad(ctx, u, v, s, NAN, a));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_spectral_grad(ctx, v, u, s, 0.1f, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_grad(ctx, u, v, s, 0.1f, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_grad(ctx, u, v, u, 0.1f, a));
    fn = "clnn_spectral_normalize";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_spectral_normalize(NULL, a, s, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_spectral_normalize(ctx, a, s, small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_spectral_normalize(ctx, a, b, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_spectral_normalize(ctx, a, labels, b));
    expect_unchanged("spectral errors");
}

static void prune_errors(void)
{
    const char *fn = "clnn_prune_topk_mask";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_prune_topk_mask(NULL, a, 3, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_topk_mask(ctx, a, N + 1, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_topk_mask(ctx, a, 3, small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_topk_mask(ctx, a, 3, a));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_topk_mask(ctx, labels, 3, b));
    fn = "clnn_prune_nm_mask";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_prune_nm_mask(NULL, a, 2, 4, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_mask(ctx, a, 5, 4, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_mask(ctx, a, 0, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_mask(ctx, a, 2, 65, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_nm_mask(ctx, a, 2, 3, b)); /* 8 columns are not groups of 3 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_mask(ctx, a, 2, 4, foreign));
    fn = "clnn_prune_global_mask";
    {
        const clnn_tensor *w2[2] = {a, u}, *w1[1] = {a}, *wl[1] = {labels};
        clnn_tensor *m2[2] = {b, c}, *m1[1] = {b}, *ms[2] = {b, s}, *ma[2] = {a, v};
        EXPECT_FAIL(NULL, INVAL, fn, clnn_prune_global_mask(NULL, 2, w2, 0.5, 0, m2));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 0, w2, 0.5, 0, m2));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 2, NULL, 0.5, 0, m2));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 2, w2, 0.5, 0, NULL));
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_global_mask(ctx, 2, w2, 0.5, 0, ms)); /* s is [1], u [4] */
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_global_mask(ctx, 2, w2, 0.5, 0, m2)); /* c is [4, 8] */
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 2, w2, 0.5, 0, ma)); /* mask[0] is w[0] */
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_global_mask(ctx, 1, wl, 0.5, 0, m2));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 1, w1, 1.5, 0, m1));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 1, w1, -0.1, 0, m1));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 1, w1, NAN, 0, m1));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 1, w1, N + 1, 1, m1));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 1, w1, 2.5, 1, m1));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_global_mask(ctx, 1, w1, -1, 1, m1));
    }
    fn = "clnn_prune_ln_structured_mask";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_prune_ln_structured_mask(NULL, a, 0.5, 0, 2.0f, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, 3.0f, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, -INFINITY, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, NAN, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, 2.0f, 2, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, 2.0f, -3, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 5, 1, 2.0f, 0, b)); /* 4 rows */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 1.01, 0, 2.0f, 0, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, 2.0f, 0, small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, 2.0f, 0, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_ln_structured_mask(ctx, a, 0.5, 0, 2.0f, 0, foreign));
    fn = "clnn_prune_apply";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_prune_apply(NULL, a, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_apply(ctx, small, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_apply(ctx, b, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_apply(ctx, a, NULL));
    fn = "clnn_maskllm_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_maskllm_forward(NULL, logits, 1.0f, 1, 1, 0, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_forward(ctx, logits, 0.0f, 1, 1, 0, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_forward(ctx, logits, NAN, 1, 1, 0, a));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_forward(ctx, logits, 1.0f, 1, 1, 0, small));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_forward(ctx, small, 1.0f, 1, 1, 0, a)); /* 31 logits */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_forward(ctx, u, 1.0f, 1, 1, 0, a));
    fn = "clnn_maskllm_backward";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_backward(ctx, logits, a, 1.0f, 1, 1, 0, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_backward(ctx, logits, a, 1.0f, 1, 1, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_backward(ctx, logits, a, 1.0f, 1, 1, 0, logits));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_backward(ctx, logits, a, -2.0f, 1, 1, 0, c));
    /* a [24]-element dmask whose rows of 6 split the groups of 4 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_backward(ctx, v, odd, 1.0f, 1, 1, 0, c));
    expect_unchanged("pruning errors");
}

static void quant_errors(void)
{
    const size_t QS = sizeof(clnn_quant_options);
    const clnn_quant_options good = {QS, 8, 0, 1}, sym = {QS, 4, 1, 0}, bits1 = {QS, 1, 0, 0}, bits9 = {QS, 9, 1, 1};
    const clnn_quant_options tensor = {QS, 8, 0, 0}, unsized = {0, 8, 0, 1};
    const char *fn = "clnn_quant_params";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_quant_params(NULL, a, &good, u, v));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, NULL, u, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, &bits1, s, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, &bits9, u, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, &unsized, u, u));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, a, &good, s, u)); /* per channel: 4 scales */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, a, &tensor, u, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, &good, u, NULL)); /* asymmetric needs zero */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, &good, u, u));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, labels, &good, u, u));
    fn = "clnn_fake_quant_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_fake_quant_forward(NULL, a, s, NULL, &sym, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_fake_quant_forward(ctx, a, s, NULL, &sym, small));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_fake_quant_forward(ctx, a, s, NULL, &sym, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_forward(ctx, a, u, NULL, &good, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_forward(ctx, foreign, s, NULL, &sym, b));
    fn = "clnn_fake_quant_backward";
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_fake_quant_backward(ctx, a, s, NULL, small, &sym, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_backward(ctx, a, s, NULL, b, &sym, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_backward(ctx, a, s, NULL, b, &sym, NULL));
    fn = "clnn_lsq_backward";
    {
        const clnn_quant_options ax1 = {QS, 8, 1, 1, 1}, ax2 = {QS, 8, 1, 1, 2}, axm3 = {QS, 8, 1, 1, -3};
        EXPECT_FAIL(NULL, INVAL, fn, clnn_lsq_backward(NULL, a, s, NULL, b, &sym, 0.0f, c, u));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, NULL, 0.0f, c, s));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, -1.0f, c, s));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, NAN, c, s));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, INFINITY, c, s));
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, 0.0f, c, u)); /* dscale: 1 value */
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, 0.0f, c, s)); /* dscale is scale */
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_lsq_backward(ctx, a, s, NULL, small, &sym, 0.0f, c, s));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, 0.0f, a, s));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, s, NULL, b, &sym, 0.0f, NULL, s));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, u, NULL, b, &good, 0.0f, c, v)); /* asymmetric: zero */
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_lsq_backward(ctx, a, u, NULL, b, &ax1, 0.0f, c, v)); /* axis 1: 8 scales */
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, v, NULL, b, &ax2, 0.0f, c, u));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_lsq_backward(ctx, a, v, NULL, b, &axm3, 0.0f, c, u));
        fn = "clnn_quant_params";
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, a, &ax2, v, NULL));
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, a, &ax1, u, NULL)); /* axis 1 of [4, 8]: 8 channels */
        fn = "clnn_fake_quant_forward";
        EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_forward(ctx, a, v, NULL, &axm3, b));
    }
    fn = "clnn_quant_observer_update";
    {
        const clnn_quant_options ax1 = {QS, 8, 0, 1, 1}, ax2 = {QS, 8, 0, 1, 2};
        EXPECT_FAIL(NULL, INVAL, fn, clnn_quant_observer_update(NULL, a, &tensor, 0.01f, small));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, NULL, 0.01f, v));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, &unsized, 0.01f, v));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, &bits9, 0.01f, v));
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_observer_update(ctx, a, &tensor, 0.01f, v)); /* per tensor: 2 */
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_observer_update(ctx, a, &ax1, 0.01f, v)); /* axis 1: 16 */
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, &ax2, 0.01f, v));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, &good, 0.0f, v));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, &good, 1.5f, v));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_update(ctx, a, &good, NAN, v));
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_observer_update(ctx, labels, &good, 0.1f, v));
        fn = "clnn_quant_observer_params";
        EXPECT_FAIL(NULL, INVAL, fn, clnn_quant_observer_params(NULL, v, &good, u, c));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_params(ctx, v, NULL, u, b));
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_observer_params(ctx, small, &good, u, b)); /* 31 values */
        EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_observer_params(ctx, v, &good, s, u)); /* 4 channels */
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_params(ctx, v, &good, u, NULL));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_params(ctx, v, &good, u, u));
        EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_observer_params(ctx, v, &bits1, u, u));
    }
    fn = "clnn_quant_noise";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_quant_noise(NULL, a, s, &sym, 1, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_noise(ctx, a, s, NULL, 1, 0, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_noise(ctx, a, s, &good, 1, 0, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_noise(ctx, a, s, &sym, 1, 0, s));
    expect_unchanged("quantization errors");
}

int main(void)
{
    setup();
    sam_ema_errors();
    spectral_errors();
    prune_errors();
    quant_errors();
    for (size_t i = 0; i < 9; i++) clnn_tensor_release(*all[i]), free(initial[i]);
    clnn_tensor_release(labels), clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
