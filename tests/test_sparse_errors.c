/* Every function of include/clnn/sparse.h given NULL or bad arguments
 * returns an error status and a message naming the function, and changes
 * nothing: the outputs of the rejected calls keep their sentinel. */
#include "check.h"
#include "sparse_util.h"

#include <math.h>

static const float SENTINEL = 7.0f;

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b)
{
    return sp_tensor(ctx, dtype, a, b, NULL, SENTINEL);
}

/* An int32 tensor still holds the sentinel (7) everywhere. */
static void expect_ints(clnn_context *ctx, const char *name, const clnn_tensor *t)
{
    size_t n = clnn_tensor_count(t), bad = 0;
    uint32_t *h = sp_words(ctx, t);
    for (size_t i = 0; i < n; i++) bad += h[i] != 7u;
    CHECK(bad == 0, "%s: %zu of %zu elements changed by rejected calls", name, bad, n);
    free(h);
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static clnn_context *ctx, *other;
static clnn_tensor *x, *y, *q, *small, *wide, *foreign, *i12, *i12b, *i8, *i3x2, *i2x3, *f3x2, *f2x3, *f4, *f5, *i4,
    *loss, *loss2, *y24, *y25, *wide_e, *x_as_i32, *i12_as_f32, *i5, *xs, *xs5, *pos, *i1, *xs_head;

static void sort_errors(void)
{
    const char *f = "clnn_sort";
    EXPECT_FAIL(NULL, INVAL, f, clnn_sort(NULL, x, NULL, y, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, NULL, NULL, y, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, foreign, NULL, y, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, i12, NULL, y, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, x, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, x, i12, y, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, x, i8, y, i12b));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, x, x, y, i12b));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, x, NULL, small, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, x, NULL, i12, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, x, NULL, y, i8));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort(ctx, x, NULL, y, q));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, x, NULL, foreign, NULL));
    /* cross-dtype aliasing through wrapped views of one buffer */
    CHECK_OK(ctx, clnn_tensor_wrap(ctx, clnn_tensor_buffer(x), CLNN_INT32, 2, (size_t[]){3, 4}, &x_as_i32));
    CHECK_OK(ctx, clnn_tensor_wrap(ctx, clnn_tensor_buffer(i12), CLNN_FLOAT32, 2, (size_t[]){3, 4}, &i12_as_f32));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, x, NULL, q, x_as_i32));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, q, i12, i12_as_f32, i12b));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort(ctx, q, NULL, i12_as_f32, i12));
}

static void topk_activation_errors(void)
{
    const char *f = "clnn_topk_activation_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_topk_activation_forward(NULL, x, 2, y, i3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_forward(ctx, NULL, 2, y, i3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_forward(ctx, x, 2, NULL, i3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_forward(ctx, foreign, 2, y, i3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_forward(ctx, i12, 2, y, i3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_forward(ctx, x, 0, y, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_forward(ctx, x, 5, y, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_forward(ctx, x, 2, small, i3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_forward(ctx, x, 2, x, i3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_forward(ctx, x, 2, y, i2x3));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_forward(ctx, x, 2, y, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_forward(ctx, x, 2, y, i12));
    f = "clnn_topk_activation_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_topk_activation_backward(NULL, x, q, 2, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_backward(ctx, x, NULL, 2, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_backward(ctx, x, q, 2, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_backward(ctx, x, q, 9, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_backward(ctx, x, small, 2, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_topk_activation_backward(ctx, x, q, 2, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_backward(ctx, x, q, 2, q));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_backward(ctx, x, q, 2, x));
    EXPECT_FAIL(ctx, INVAL, f, clnn_topk_activation_backward(ctx, x, foreign, 2, y));
}

static void wasserstein_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_reg_wasserstein";
    EXPECT_FAIL(NULL, INVAL, f, clnn_reg_wasserstein(NULL, x, q, 0.1f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, NULL, q, 0.1f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, NULL, 0.1f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, -0.1f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, nan, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, inf, loss, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_reg_wasserstein(ctx, x, small, 0.1f, loss, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_reg_wasserstein(ctx, i12, q, 0.1f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, 0.1f, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_reg_wasserstein(ctx, x, q, 0.1f, loss, small));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_reg_wasserstein(ctx, x, q, 0.1f, i4, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, x, 0.1f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, 0.1f, loss, q));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, 0.1f, y, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_reg_wasserstein(ctx, x, q, 0.1f, loss, foreign));
}

static void multi_dropout_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_multi_dropout_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_multi_dropout_forward(NULL, x, 2, 0.1f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, NULL, 2, 0.1f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 2, 0.1f, 1, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 0, 0.1f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 1025, 0.1f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 2, 1.0f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 2, -0.1f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 2, nan, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 2, 0.1f, 1, 0xFFFFFFFFu, y24));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_multi_dropout_forward(ctx, x, 2, 0.1f, 1, 0, y25));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_multi_dropout_forward(ctx, x, 2, 0.1f, 1, 0, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_multi_dropout_forward(ctx, i12, 2, 0.1f, 1, 0, y24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 2, 0.1f, 1, 0, foreign));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_forward(ctx, x, 1, 0.1f, 1, 0, x));
    f = "clnn_multi_dropout_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_multi_dropout_backward(NULL, y24, 2, 0.1f, 1, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_backward(ctx, NULL, 2, 0.1f, 1, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_backward(ctx, y24, 2, 0.1f, 1, 0, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_multi_dropout_backward(ctx, y25, 2, 0.1f, 1, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_backward(ctx, y24, 2, inf, 1, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_multi_dropout_backward(ctx, x, 1, 0.1f, 1, 0, x));
}

/* MoE: logits x [3 tokens, 4 experts], k = 2 */
static void moe_routing_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_moe_route";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_route(NULL, x, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, NULL, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 1, NULL, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, foreign, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, i12, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, wide_e, NULL, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, x, f4, 0, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, x, f4, 5, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, x, f4, 2, (clnn_moe_gate)2, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 2, i3x2, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, x, f5, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, x, i4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 1, i2x3, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 1, f3x2, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, f2x3));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route(ctx, x, f4, 2, CLNN_MOE_SOFTMAX, 1, i3x2, i3x2));
    f = "clnn_moe_route_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_route_backward(NULL, x, i3x2, f3x2, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route_backward(ctx, NULL, i3x2, f3x2, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route_backward(ctx, x, NULL, f3x2, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route_backward(ctx, x, i3x2, NULL, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route_backward(ctx, x, i3x2, f3x2, CLNN_MOE_SOFTMAX, 1, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route_backward(ctx, x, f3x2, f3x2, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route_backward(ctx, x, i2x3, f2x3, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route_backward(ctx, x, i3x2, f3x2, (clnn_moe_gate)-1, 1, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route_backward(ctx, x, i3x2, f2x3, CLNN_MOE_SOFTMAX, 1, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_route_backward(ctx, x, i3x2, f3x2, CLNN_MOE_SOFTMAX, 1, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_route_backward(ctx, x, i3x2, f3x2, CLNN_MOE_SOFTMAX, 1, x));
    f = "clnn_moe_expert_load";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_expert_load(NULL, i3x2, i4));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_expert_load(ctx, NULL, i4));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_expert_load(ctx, i3x2, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_expert_load(ctx, f3x2, i4));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_expert_load(ctx, i3x2, f4));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_expert_load(ctx, i3x2, i3x2));
    f = "clnn_moe_bias_update";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_bias_update(NULL, i4, 0.1f, f4));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_bias_update(ctx, NULL, 0.1f, f4));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_bias_update(ctx, i4, 0.1f, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_bias_update(ctx, f4, 0.1f, f5));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_bias_update(ctx, i4, 0.1f, f5));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_bias_update(ctx, i4, -0.1f, f4));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_bias_update(ctx, i4, nan, f4));
    f = "clnn_moe_aux_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_aux_loss(NULL, x, i3x2, 0.01f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, NULL, i3x2, 0.01f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, x, NULL, 0.01f, loss, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_aux_loss(ctx, x, i2x3, 0.01f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, x, i3x2, -1.0f, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, x, i3x2, inf, loss, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, x, i3x2, 0.01f, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_aux_loss(ctx, x, i3x2, 0.01f, loss2, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_aux_loss(ctx, x, i3x2, 0.01f, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, x, i3x2, 0.01f, loss, x));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_aux_loss(ctx, x, i3x2, 0.01f, loss, foreign));
}

/* dispatch / combine: x [3, 4] tokens, indices i3x2 [3, 2], 4 experts (offsets i5), 6 pairs */
static void moe_dispatch_combine_errors(void)
{
    i5 = make(ctx, CLNN_INT32, 5, 0), xs = make(ctx, CLNN_FLOAT32, 6, 4), xs5 = make(ctx, CLNN_FLOAT32, 5, 4);
    pos = make(ctx, CLNN_INT32, 3, 2), i1 = make(ctx, CLNN_INT32, 1, 0);
    const char *f = "clnn_moe_dispatch";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_dispatch(NULL, x, i3x2, i5, pos, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, NULL, i3x2, i5, pos, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, x, NULL, i5, pos, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, x, i3x2, NULL, pos, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, x, i3x2, i5, NULL, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, x, i3x2, i5, pos, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, i12, i3x2, i5, pos, xs));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, x, f3x2, i5, pos, xs));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, x, i2x3, i5, pos, xs));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, x, i3x2, i1, pos, xs));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, x, i3x2, f5, pos, xs));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, x, i3x2, i5, i2x3, xs));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, x, i3x2, i5, pos, xs5));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch(ctx, small, i3x2, i5, pos, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, x, i3x2, i5, i3x2, xs));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch(ctx, x, i3x2, i5, pos, foreign));
    f = "clnn_moe_combine";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_combine(NULL, xs, pos, f3x2, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine(ctx, NULL, pos, f3x2, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine(ctx, xs, NULL, f3x2, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine(ctx, xs, pos, NULL, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine(ctx, xs, pos, f3x2, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine(ctx, i5, pos, f3x2, y)); /* int32; any row count is fine (E·C) */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine(ctx, xs, pos, f2x3, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine(ctx, xs, pos, f3x2, small));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine(ctx, xs, f3x2, f3x2, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine(ctx, xs, pos, f3x2, foreign));
    /* the first 12 floats of xs, viewed as [3, 4]: y aliasing y_sorted */
    CHECK_OK(ctx, clnn_tensor_wrap(ctx, clnn_tensor_buffer(xs), CLNN_FLOAT32, 2, (size_t[]){3, 4}, &xs_head));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine(ctx, xs, pos, f3x2, xs_head));
    f = "clnn_moe_dispatch_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_dispatch_backward(NULL, xs, pos, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_dispatch_backward(ctx, xs, NULL, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch_backward(ctx, i5, pos, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_dispatch_backward(ctx, xs, pos, wide));
    f = "clnn_moe_combine_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_moe_combine_backward(NULL, xs, pos, f3x2, q, xs5, f2x3));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, q, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine_backward(ctx, xs, pos, NULL, q, NULL, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, NULL, NULL, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, small, NULL, f3x2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, q, xs5, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, q, NULL, f2x3));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, q, NULL, f3x2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_moe_combine_backward(ctx, xs, pos, f3x2, q, xs, NULL));
}

int main(void)
{
    ctx = test_context(), other = test_context();
    x = make(ctx, CLNN_FLOAT32, 3, 4), y = make(ctx, CLNN_FLOAT32, 3, 4);
    q = make(ctx, CLNN_FLOAT32, 3, 4), small = make(ctx, CLNN_FLOAT32, 2, 4);
    wide = make(ctx, CLNN_FLOAT32, 4, 3), foreign = make(other, CLNN_FLOAT32, 3, 4);
    i12 = make(ctx, CLNN_INT32, 3, 4), i12b = make(ctx, CLNN_INT32, 3, 4);
    i8 = make(ctx, CLNN_INT32, 2, 4), i3x2 = make(ctx, CLNN_INT32, 3, 2), i2x3 = make(ctx, CLNN_INT32, 2, 3);
    f3x2 = make(ctx, CLNN_FLOAT32, 3, 2), f2x3 = make(ctx, CLNN_FLOAT32, 2, 3);
    f4 = make(ctx, CLNN_FLOAT32, 4, 0), f5 = make(ctx, CLNN_FLOAT32, 5, 0), i4 = make(ctx, CLNN_INT32, 4, 0);
    loss = make(ctx, CLNN_FLOAT32, 1, 0), loss2 = make(ctx, CLNN_FLOAT32, 2, 0);
    y24 = make(ctx, CLNN_FLOAT32, 2, 12), y25 = make(ctx, CLNN_FLOAT32, 25, 0);
    wide_e = make(ctx, CLNN_FLOAT32, 1, 5000);

    sort_errors();
    topk_activation_errors();
    wasserstein_errors();
    multi_dropout_errors();
    moe_routing_errors();
    moe_dispatch_combine_errors();

    clnn_tensor *floats[] = {y, q, small, wide, f3x2, f2x3, f4, f5, loss, loss2, y24, y25, xs, xs5};
    const char *fnames[] = {"y", "q", "small", "wide", "f3x2", "f2x3", "f4", "f5", "loss", "loss2", "y24", "y25", "xs", "xs5"};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) test_expect_filled(ctx, fnames[i], floats[i], SENTINEL);
    clnn_tensor *ints[] = {i12, i12b, i8, i3x2, i2x3, i4, i5, pos, i1};
    const char *inames[] = {"i12", "i12b", "i8", "i3x2", "i2x3", "i4", "i5", "pos", "i1"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) expect_ints(ctx, inames[i], ints[i]);

    clnn_tensor *all[] = {x,  y,    q,  small, wide, i12, i12b, i8,    i3x2, i2x3,  f3x2,
                          f2x3, f4, f5, i4,    loss, loss2, y24, y25, wide_e};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(x_as_i32), clnn_tensor_release(i12_as_f32), clnn_tensor_release(xs_head);
    clnn_tensor_release(i5), clnn_tensor_release(xs), clnn_tensor_release(xs5), clnn_tensor_release(pos);
    clnn_tensor_release(i1);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
