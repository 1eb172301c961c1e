/* Bad input to the attention entries with options (include/clnn/attention.h):
 * each call returns the expected status with a message naming the function,
 * and changes nothing: the outputs keep their sentinel. */
#include "check.h"

#include <math.h>

static const float SENTINEL = 7.0f;
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static clnn_context *ctx, *other;

static clnn_tensor *make(clnn_context *c, clnn_dtype dtype, int ndim, size_t a, size_t b, size_t d2, size_t d3)
{
    size_t shape[4] = {a, b, d2, d3};
    clnn_tensor *t = NULL;
    CHECK_OK(c, clnn_tensor_create(c, dtype, ndim, shape, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(c, clnn_tensor_fill(t, dtype == CLNN_INT32 ? 1.0f : SENTINEL));
    return t;
}

/* q [2, 4, 3, 5], k [2, 2, 6, 5], v [2, 2, 6, 7] (GQA, Dv 7), probs [2, 4, 3, 6], out [2, 4, 3, 7] */
static clnn_tensor *q, *k, *v, *probs, *out, *dq, *dk, *dv, *kbad, *k3, *vbad, *m2, *m4, *mbad, *mbad4, *mi, *kpm,
    *kpmf, *kpmbad, *foreign, *probs_bad, *out_bad, *lse, *lse_bad, *qbig, *kbig, *vbig, *outbig, *lsebig;

static void sdpa_errors(void)
{
    clnn_attention_options ok, bad[8];
    clnn_attention_options_init(&ok);
    for (int i = 0; i < 8; i++) bad[i] = ok;
    bad[0].causal = 3;
    bad[1].causal = -1;
    bad[2].scale = NAN;
    bad[3].scale = INFINITY;
    bad[4].dropout_p = 1.0f;
    bad[5].dropout_p = -0.1f;
    bad[6].size = 0;                   /* never initialised */
    bad[7].size = sizeof ok + 8;       /* newer than the library */
    const char *fn = "clnn_attention_sdpa_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_attention_sdpa_forward(NULL, q, k, v, NULL, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_forward(ctx, NULL, k, v, NULL, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, NULL, &ok, NULL, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, NULL, &ok, probs, NULL));
    for (int i = 0; i < 8; i++)
        EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_forward(ctx, q, k, v, m2, kpm, &bad[i], probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, kbad, v, NULL, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k3, v, NULL, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, vbad, NULL, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, v, mbad, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, v, mbad4, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, kpmf, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, kpmbad, &ok, probs, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_forward(ctx, q, k, v, foreign, NULL, &ok, probs, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, NULL, &ok, probs_bad, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, NULL, &ok, probs, out_bad));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_forward(ctx, q, k, v, m4, NULL, &ok, m4, out));
    test_expect_filled(ctx, "probs", probs, SENTINEL);
    test_expect_filled(ctx, "out", out, SENTINEL);
    fn = "clnn_attention_sdpa_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_attention_sdpa_backward(NULL, q, k, v, probs, out, &ok, dq, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs, NULL, &ok, dq, dk, dv));
    for (int i = 0; i < 8; i++)
        EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out, &bad[i], dq, dk, dv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs_bad, out, &ok, dq, dk, dv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out, &ok, dq, dv, dk));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out_bad, &ok, dq, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out, &ok, q, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out, &ok, dq, k, dv));
    test_expect_filled(ctx, "dq", dq, SENTINEL);
    test_expect_filled(ctx, "dk", dk, SENTINEL);
    test_expect_filled(ctx, "dv", dv, SENTINEL);
}

static void flash_errors(void)
{
    clnn_attention_options ok, bad[4];
    clnn_attention_options_init(&ok);
    for (int i = 0; i < 4; i++) bad[i] = ok;
    bad[0].causal = 3;
    bad[1].scale = NAN;
    bad[2].dropout_p = 1.0f;
    bad[3].size = 0;
    const char *fn = "clnn_attention_flash_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_attention_flash_forward(NULL, q, k, v, NULL, NULL, &ok, out, lse));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_forward(ctx, q, NULL, v, NULL, NULL, &ok, out, lse));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_forward(ctx, q, k, v, NULL, NULL, &ok, out, NULL));
    for (int i = 0; i < 4; i++)
        EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_forward(ctx, q, k, v, m2, kpm, &bad[i], out, lse));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_forward(ctx, q, kbad, v, NULL, NULL, &ok, out, lse));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_forward(ctx, q, k, vbad, NULL, NULL, &ok, out, lse));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_forward(ctx, q, k, v, mbad, NULL, &ok, out, lse));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_forward(ctx, q, k, v, NULL, kpmf, &ok, out, lse));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_forward(ctx, q, k, v, NULL, NULL, &ok, out_bad, lse));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_forward(ctx, q, k, v, NULL, NULL, &ok, out, lse_bad));
    EXPECT_FAIL(ctx, CLNN_ERR_UNSUPPORTED, fn, clnn_attention_flash_forward(ctx, qbig, kbig, vbig, NULL, NULL, &ok,
                                                                           outbig, lsebig));
    test_expect_filled(ctx, "out", out, SENTINEL);
    test_expect_filled(ctx, "lse", lse, SENTINEL);
    test_expect_filled(ctx, "out (D 257)", outbig, SENTINEL);
    fn = "clnn_attention_flash_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_attention_flash_backward(NULL, q, k, v, NULL, NULL, out, lse, out, &ok, dq, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_backward(ctx, q, k, v, NULL, NULL, out, NULL, out, &ok, dq, dk, dv));
    for (int i = 0; i < 4; i++)
        EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_backward(ctx, q, k, v, m2, kpm, out, lse, out, &bad[i], dq, dk,
                                                                 dv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_backward(ctx, q, k, v, NULL, NULL, out, lse_bad, out, &ok, dq, dk,
                                                             dv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_backward(ctx, q, k, v, NULL, NULL, out, lse, out_bad, &ok, dq,
                                                             dk, dv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_flash_backward(ctx, q, k, v, mbad4, NULL, out, lse, out, &ok, dq, dk,
                                                             dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_backward(ctx, q, k, v, NULL, NULL, out, lse, out, &ok, q, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_flash_backward(ctx, q, k, v, NULL, NULL, out, lse, out, &ok, dq, k, dv));
    test_expect_filled(ctx, "dq", dq, SENTINEL);
    test_expect_filled(ctx, "dk", dk, SENTINEL);
    test_expect_filled(ctx, "dv", dv, SENTINEL);
}

int main(void)
{
    ctx = test_context();
    CHECK_OK(ctx, clnn_context_create(NULL, &other));
    const clnn_dtype F = CLNN_FLOAT32, I = CLNN_INT32;
    q = make(ctx, F, 4, 2, 4, 3, 5), k = make(ctx, F, 4, 2, 2, 6, 5), v = make(ctx, F, 4, 2, 2, 6, 7);
    probs = make(ctx, F, 4, 2, 4, 3, 6), out = make(ctx, F, 4, 2, 4, 3, 7);
    dq = make(ctx, F, 4, 2, 4, 3, 5), dk = make(ctx, F, 4, 2, 2, 6, 5), dv = make(ctx, F, 4, 2, 2, 6, 7);
    kbad = make(ctx, F, 4, 2, 3, 6, 5);   /* 4 query heads, 3 kv heads */
    k3 = make(ctx, F, 3, 2, 2, 6, 1);
    vbad = make(ctx, F, 4, 2, 2, 5, 7);   /* 5 keys against k's 6 */
    m2 = make(ctx, F, 2, 3, 6, 1, 1), m4 = make(ctx, F, 4, 2, 4, 3, 6);
    mbad = make(ctx, F, 2, 6, 3, 1, 1);   /* [Sk, Sq] */
    mbad4 = make(ctx, I, 4, 2, 2, 3, 6);  /* 2 heads: neither 1 nor 4 */
    mi = make(ctx, I, 2, 3, 6, 1, 1);
    kpm = make(ctx, I, 2, 2, 6, 1, 1), kpmf = make(ctx, F, 2, 2, 6, 1, 1), kpmbad = make(ctx, I, 2, 2, 5, 1, 1);
    foreign = make(other, F, 2, 3, 6, 1, 1);
    probs_bad = make(ctx, F, 4, 2, 4, 3, 5), out_bad = make(ctx, F, 4, 2, 4, 3, 5); /* out with D, not Dv */
    lse = make(ctx, F, 3, 2, 4, 3, 1), lse_bad = make(ctx, F, 3, 2, 4, 4, 1);
    /* D = 257: above the memory-efficient path's head sizes */
    qbig = make(ctx, F, 4, 1, 1, 2, 257), kbig = make(ctx, F, 4, 1, 1, 3, 257), vbig = make(ctx, F, 4, 1, 1, 3, 4);
    outbig = make(ctx, F, 4, 1, 1, 2, 4), lsebig = make(ctx, F, 3, 1, 1, 2, 1);
    sdpa_errors();
    flash_errors();
    /* the checks pass good input: one call of each with every option goes through */
    clnn_attention_options o;
    clnn_attention_options_init(&o);
    o.causal = CLNN_ATTN_CAUSAL_BOTTOM_RIGHT, o.dropout_p = 0.2f, o.scale = 0.5f;
    CHECK_OK(ctx, clnn_attention_sdpa_forward(ctx, q, k, v, mi, kpm, &o, probs, out));
    CHECK_OK(ctx, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out, &o, dq, dk, dv));
    CHECK_OK(ctx, clnn_attention_flash_forward(ctx, q, k, v, mi, kpm, &o, out, lse));
    CHECK_OK(ctx, clnn_attention_flash_backward(ctx, q, k, v, mi, kpm, out, lse, out, &o, dq,
                                                dk, dv));
    clnn_tensor *all[] = {q, k, v, probs, out, dq, dk, dv, kbad, k3, vbad, m2, m4, mbad, mbad4, mi, kpm, kpmf, kpmbad,
                          foreign, probs_bad, out_bad, lse, lse_bad, qbig, kbig, vbig, outbig, lsebig};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
