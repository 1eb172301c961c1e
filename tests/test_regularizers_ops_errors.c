/* Bad input to SAM / gradient-norm penalty / EMA, spectral norm, pruning and
 * fake quantization: every call fails with the right status and a message
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
    EXPECT_FAIL(NULL, INVAL, fn, clnn_sam_ascent(NULL, 0.05f, 1, w1, g1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, NAN, 1, w1, g1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, -0.1f, 1, w1, g1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 0.05f, 0, w1, g1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 0.05f, 1, NULL, g1, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 0.05f, 1, w1, gnull, s1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 0.05f, 1, f1, g1, s1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_ascent(ctx, 0.05f, 1, w1, lab, s1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_ascent(ctx, 0.05f, 1, w1, g1, sm1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_ascent(ctx, 0.05f, 1, w1, gsame, s1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_ascent(ctx, 0.05f, 2, w2, g2, s2)); /* u has 4 elements */
    fn = "clnn_sam_restore";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_sam_restore(NULL, 1, w1, g1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_sam_restore(ctx, 1, sm1, g1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_sam_restore(ctx, 1, w1, gsame));
    fn = "clnn_grad_norm_penalty_combine";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_grad_norm_penalty_combine(NULL, 0.5f, 1, w1, g1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_norm_penalty_combine(ctx, 1.5f, 1, w1, g1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_norm_penalty_combine(ctx, INFINITY, 1, w1, g1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_norm_penalty_combine(ctx, 0.5f, 1, w1, lab));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_norm_penalty_combine(ctx, 0.5f, 1, w1, gsame));
    fn = "clnn_ema_update";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ema_update(NULL, 0.9f, 1, w1, g1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ema_update(ctx, -0.1f, 1, w1, g1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ema_update(ctx, NAN, 1, w1, g1));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ema_update(ctx, 0.9f, 70000, w1, g1));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_ema_update(ctx, 0.9f, 1, sm1, g1));
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
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_value(ctx, -1.0f, s, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_value(ctx, 0.1f, NULL, u));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_spectral_value(ctx, 0.1f, s, labels));
    fn = "clnn_reg_spectral_grad";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_grad(ctx, NAN, u, v, s, a));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_spectral_grad(ctx, 0.1f, v, u, s, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_grad(ctx, 0.1f, u, v, s, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_spectral_grad(ctx, 0.1f, u, v, u, a));
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
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_backward(ctx, logits, 1.0f, 1, 1, 0, a, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_backward(ctx, logits, 1.0f, 1, 1, 0, a, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_backward(ctx, logits, 1.0f, 1, 1, 0, a, logits));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maskllm_backward(ctx, logits, -2.0f, 1, 1, 0, a, c));
    /* a [24]-element dmask whose rows of 6 split the groups of 4 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maskllm_backward(ctx, v, 1.0f, 1, 1, 0, odd, c));
    expect_unchanged("pruning errors");
}

static void quant_errors(void)
{
    const size_t QS = sizeof(clnn_quant_options);
    const clnn_quant_options good = {QS, 8, 0, 1}, sym = {QS, 4, 1, 0}, bits1 = {QS, 1, 0, 0}, bits9 = {QS, 9, 1, 1};
    const clnn_quant_options tensor = {QS, 8, 0, 0}, unsized = {0, 8, 0, 1};
    const char *fn = "clnn_quant_params";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_quant_params(NULL, &good, a, u, v));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, NULL, a, u, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, &bits1, a, s, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, &bits9, a, u, u));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, &unsized, a, u, u));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, &good, a, s, u)); /* per channel: 4 scales */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, &tensor, a, u, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, &good, a, u, NULL)); /* asymmetric needs zero */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_params(ctx, &good, a, u, u));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_params(ctx, &good, labels, u, u));
    fn = "clnn_fake_quant_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_fake_quant_forward(NULL, &sym, a, s, NULL, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_fake_quant_forward(ctx, &sym, a, s, NULL, small));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_fake_quant_forward(ctx, &sym, a, s, NULL, s));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_forward(ctx, &good, a, u, NULL, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_forward(ctx, &sym, foreign, s, NULL, b));
    fn = "clnn_fake_quant_backward";
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_fake_quant_backward(ctx, &sym, a, s, NULL, small, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_backward(ctx, &sym, a, s, NULL, b, a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_fake_quant_backward(ctx, &sym, a, s, NULL, b, NULL));
    fn = "clnn_quant_noise";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_quant_noise(NULL, &sym, a, s, 1, 0, b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_quant_noise(ctx, NULL, a, s, 1, 0, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_noise(ctx, &good, a, s, 1, 0, b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_quant_noise(ctx, &sym, a, s, 1, 0, s));
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
