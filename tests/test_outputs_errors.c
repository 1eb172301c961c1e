/* Every output-regularizer function (include/clnn/outputs.h) given NULL or
 * bad arguments returns an error status and a message naming the function,
 * and changes nothing: the outputs of the rejected calls keep their sentinel. */
#include "check.h"

#include <math.h>

static const float SENTINEL = 7.0f;

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b)
{
    size_t shape[2] = {a, b};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, dtype, 2, shape, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(ctx, clnn_tensor_fill(t, dtype == CLNN_INT32 ? 1.0f : SENTINEL));
    return t;
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const clnn_reduction SUM = CLNN_REDUCE_SUM, NONE = CLNN_REDUCE_NONE, BAD_RED = (clnn_reduction)9;
static clnn_context *ctx, *other;
static clnn_tensor *x, *q, *small, *wide, *ints, *labels, *labels4, *flabels, *loss, *loss2, *g1, *g2, *foreign, *one,
    *one2, *labels1, *loss3;

static void soft_targets_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_soft_targets_mix_labels";
    EXPECT_FAIL(NULL, INVAL, f, clnn_soft_targets_mix_labels(NULL, labels, x, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, NULL, x, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, NULL, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, x, 0.1f, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, foreign, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, x, 0.1f, foreign));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix_labels(ctx, flabels, x, 0.1f, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix_labels(ctx, labels4, x, 0.1f, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix_labels(ctx, labels, ints, 0.1f, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix_labels(ctx, labels, x, 0.1f, small));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix_labels(ctx, labels, x, 0.1f, wide));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, x, -0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, x, 1.5f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, x, nan, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix_labels(ctx, labels, x, 0.1f, x));

    f = "clnn_soft_targets_mix";
    EXPECT_FAIL(NULL, INVAL, f, clnn_soft_targets_mix(NULL, q, x, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix(ctx, NULL, x, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix(ctx, q, NULL, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix(ctx, foreign, x, 0.1f, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix(ctx, small, x, 0.1f, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_soft_targets_mix(ctx, ints, x, 0.1f, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix(ctx, q, x, inf, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_soft_targets_mix(ctx, g1, x, 0.1f, g1));
}

/* the two single-logit penalties share their checks; each is run through them */
static void logit_penalty_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f;
    for (int which = 0; which < 2; which++) {
        f = which ? "clnn_z_loss" : "clnn_confidence_penalty";
        clnn_status (*pen)(clnn_context *, const clnn_tensor *, float, clnn_reduction, clnn_tensor *,
                           clnn_tensor *) = which ? clnn_z_loss : clnn_confidence_penalty;
        EXPECT_FAIL(NULL, INVAL, f, pen(NULL, x, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, NULL, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, foreign, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, ints, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, BAD_RED, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, nan, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, -inf, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, SUM, NULL, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, loss2, g1));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, loss, small));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, loss, wide));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, SUM, loss, foreign));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, SUM, loss, x));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, g1, g1)); /* a 12-element loss */
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, one, 0.1f, SUM, loss, loss));
        /* NONE wants one loss per row (3); SUM and MEAN exactly 1 */
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, NONE, loss, g1));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, NONE, loss2, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, NONE, g2, g1));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, loss3, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, one, 0.1f, NONE, loss, loss));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, NONE, loss3, x));
    }
    EXPECT_FAIL(ctx, INVAL, "clnn_z_loss", clnn_z_loss(ctx, x, -0.1f, SUM, loss, g1));
    f = "clnn_prob_entropy_penalty";
    EXPECT_FAIL(NULL, INVAL, f, clnn_prob_entropy_penalty(NULL, x, 0.1f, SUM, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_prob_entropy_penalty(ctx, NULL, 0.1f, SUM, loss, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_prob_entropy_penalty(ctx, ints, 0.1f, SUM, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_prob_entropy_penalty(ctx, x, inf, SUM, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_prob_entropy_penalty(ctx, x, 0.1f, BAD_RED, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_prob_entropy_penalty(ctx, x, 0.1f, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_prob_entropy_penalty(ctx, x, 0.1f, SUM, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_prob_entropy_penalty(ctx, x, 0.1f, SUM, loss, x));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_prob_entropy_penalty(ctx, x, 0.1f, NONE, loss2, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_prob_entropy_penalty(ctx, x, 0.1f, CLNN_REDUCE_MEAN, loss3, g1));
}

static void kl_div_errors(void)
{
    const char *f = "clnn_kl_div_logits";
    EXPECT_FAIL(NULL, INVAL, f, clnn_kl_div_logits(NULL, x, q, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, NULL, q, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, NULL, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, foreign, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, small, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, wide, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, ints, CLNN_KL_PQ, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, q, (clnn_kl_direction)2, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_QP, BAD_RED, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, loss2, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, loss, g1, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, loss, g1, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, loss, q, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, loss, g1, x));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, g2, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, one, one2, CLNN_KL_PQ, SUM, loss, NULL, loss));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, NONE, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_QP, NONE, g1, NULL, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, SUM, loss3, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_kl_div_logits(ctx, one, one2, CLNN_KL_PQ, NONE, loss, loss, NULL));
}

static void js_div_errors(void)
{
    const char *f = "clnn_js_div_logits";
    EXPECT_FAIL(NULL, INVAL, f, clnn_js_div_logits(NULL, x, q, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, NULL, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_js_div_logits(ctx, small, q, SUM, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, q, BAD_RED, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, q, SUM, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, q, SUM, loss, g1, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, q, SUM, loss, g1, foreign));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, q, SUM, loss, x, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_js_div_logits(ctx, x, q, NONE, loss2, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_js_div_logits(ctx, x, q, SUM, loss3, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_js_div_logits(ctx, x, q, NONE, loss3, g1, g1));
}

static void stablemax_errors(void)
{
    const char *f = "clnn_stablemax_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_stablemax_forward(NULL, x, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_forward(ctx, NULL, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_forward(ctx, x, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_forward(ctx, foreign, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_forward(ctx, ints, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_forward(ctx, x, small));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_forward(ctx, x, wide));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_forward(ctx, x, x));
    f = "clnn_stablemax_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_stablemax_backward(NULL, x, q, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_backward(ctx, x, NULL, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_backward(ctx, x, foreign, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_backward(ctx, x, small, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_backward(ctx, x, q, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_backward(ctx, x, q, q));
    f = "clnn_stablemax_cross_entropy";
    EXPECT_FAIL(NULL, INVAL, f, clnn_stablemax_cross_entropy(NULL, x, labels, SUM, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, NULL, labels, SUM, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, x, NULL, SUM, loss, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_cross_entropy(ctx, x, flabels, SUM, loss, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_cross_entropy(ctx, x, labels4, SUM, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, x, labels, BAD_RED, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, x, labels, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_cross_entropy(ctx, x, labels, SUM, loss2, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_cross_entropy(ctx, x, labels, SUM, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, x, labels, SUM, loss, foreign));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, one, labels1, SUM, loss, loss));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_cross_entropy(ctx, x, labels, NONE, loss, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_stablemax_cross_entropy(ctx, x, labels, SUM, loss3, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_stablemax_cross_entropy(ctx, one, labels1, NONE, loss, loss));
}

int main(void)
{
    ctx = test_context(), other = test_context();
    x = make(ctx, CLNN_FLOAT32, 3, 4), q = make(ctx, CLNN_FLOAT32, 3, 4);
    small = make(ctx, CLNN_FLOAT32, 2, 4), wide = make(ctx, CLNN_FLOAT32, 4, 3);
    ints = make(ctx, CLNN_INT32, 3, 4), labels = make(ctx, CLNN_INT32, 3, 1);
    labels4 = make(ctx, CLNN_INT32, 4, 1), flabels = make(ctx, CLNN_FLOAT32, 3, 1);
    loss = make(ctx, CLNN_FLOAT32, 1, 1), loss2 = make(ctx, CLNN_FLOAT32, 1, 2);
    g1 = make(ctx, CLNN_FLOAT32, 3, 4), g2 = make(ctx, CLNN_FLOAT32, 3, 4);
    foreign = make(other, CLNN_FLOAT32, 3, 4);
    /* 1x1 inputs, whose gradient could alias the 1-element loss */
    one = make(ctx, CLNN_FLOAT32, 1, 1), one2 = make(ctx, CLNN_FLOAT32, 1, 1);
    labels1 = make(ctx, CLNN_INT32, 1, 1);
    /* NONE: one loss per row of x */
    loss3 = make(ctx, CLNN_FLOAT32, 3, 1);

    soft_targets_errors();
    logit_penalty_errors();
    kl_div_errors();
    js_div_errors();
    stablemax_errors();

    clnn_tensor *outputs[] = {x, q, small, wide, loss, loss2, g1, g2, one, one2, loss3};
    const char *names[] = {"x", "q", "small", "wide", "loss", "loss2", "g1", "g2", "one", "one2", "loss3"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) test_expect_filled(ctx, names[i], outputs[i], SENTINEL);

    clnn_tensor *all[] = {x,     q,     small, wide, ints, labels, labels4, flabels,
                          loss,  loss2, g1,    g2,   one,  one2,   labels1, loss3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
