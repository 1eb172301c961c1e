/* Every layer function given NULL or bad arguments returns an error status
 * and a message naming the function, and changes nothing: the outputs of the
 * rejected calls keep their sentinel value. */
#include "check.h"

#include <math.h>

static const float SENTINEL = 7.0f;

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dtype, int ndim, size_t a, size_t b)
{
    size_t shape[2] = {a, b};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, dtype, ndim, shape, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(ctx, clnn_tensor_fill(t, dtype == CLNN_INT32 ? 1.0f : SENTINEL));
    return t;
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const clnn_activation relu = CLNN_ACT_RELU, gelu = CLNN_ACT_GELU;
static clnn_context *ctx, *other;
static clnn_tensor *x, *y, *small, *ints, *foreign, *w, *w1, *b, *b3, *yd, *zd, *dyd, *dxd, *dwd, *dbd, *labels,
    *labels4, *loss, *loss2, *grad, *grad_t, *cat, *part2, *part_rows, *vec, *loss3, *loss12,
    *dup_cat;

/* activations */
static void activation_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_activation_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_activation_forward(NULL, x, relu, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, x, (clnn_activation)42, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, x, (clnn_activation)-1, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, x, CLNN_ACT_LEAKY_RELU, nan, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, x, CLNN_ACT_ELU, -1.0f, y)); /* layers.h: alpha > 0 */
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, x, CLNN_ACT_ELU, 0.0f, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, NULL, relu, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, x, relu, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_forward(ctx, foreign, relu, 0, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_activation_forward(ctx, ints, relu, 0, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_activation_forward(ctx, small, relu, 0, y));
    f = "clnn_activation_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_activation_backward(NULL, x, x, relu, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_backward(ctx, x, x, (clnn_activation)(CLNN_ACT_LAST + 1), 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_backward(ctx, x, x, CLNN_ACT_ELU, INFINITY, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_backward(ctx, x, x, CLNN_ACT_ELU, -0.5f, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_backward(ctx, x, NULL, relu, 0, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_activation_backward(ctx, x, small, relu, 0, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_activation_backward(ctx, x, x, relu, 0, foreign));
}

/* dense: x [3, 4], w [2, 4], b [2], y/z [3, 2] */
static void dense_errors(void)
{
    const char *f = "clnn_dense_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_dense_forward(NULL, x, w, b, relu, 0, zd, yd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, NULL, w, b, relu, 0, zd, yd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, x, NULL, b, relu, 0, zd, yd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, x, w, b, relu, 0, zd, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, x, w, b, CLNN_ACT_ELU, -1.0f, zd, yd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, x, w, b, (clnn_activation)99, 0, zd, yd));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_forward(ctx, x, w1, b, relu, 0, zd, yd));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_forward(ctx, dyd, w, b, relu, 0, zd, yd));
    /* the shape checks' one message format: what the tensor is, what it must be, where the sizes came from */
    CHECK(strstr(clnn_last_error(ctx), "x is [3, 2] but must be [N..., 4] with at least 2 dimensions (C = 4 from w)"),
          "message: %s", clnn_last_error(ctx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_forward(ctx, x, w, b3, relu, 0, zd, yd));
    CHECK(strstr(clnn_last_error(ctx), "b is [3] but must have 2 elements (O = 2 from w)"), "message: %s",
          clnn_last_error(ctx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_forward(ctx, x, w, b, relu, 0, zd, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_forward(ctx, x, w, b, relu, 0, x, yd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, x, w, b, relu, 0, yd, yd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_forward(ctx, x, w, foreign, relu, 0, zd, yd));
    f = "clnn_dense_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_dense_backward(NULL, x, w, zd, dyd, relu, 0, 0, dxd, dwd, dbd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_backward(ctx, x, w, NULL, dyd, gelu, 0, 0, dxd, dwd, dbd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_backward(ctx, x, w, zd, dyd, relu, 0, 2, dxd, dwd, dbd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_backward(ctx, x, w, zd, NULL, relu, 0, 0, dxd, dwd, dbd));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_backward(ctx, x, w, zd, x, relu, 0, 0, dxd, dwd, dbd));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_backward(ctx, x, w, zd, dyd, relu, 0, 0, yd, dwd, dbd));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_backward(ctx, x, w, zd, dyd, relu, 0, 0, dxd, x, dbd));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dense_backward(ctx, x, w, zd, dyd, relu, 0, 0, dxd, dwd, b3));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_backward(ctx, x, w, zd, dyd, relu, 0, 0, dxd, w, dbd));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dense_backward(ctx, x, w, zd, dyd, relu, 0, 0, dxd, dwd, foreign));
}

/* softmax: rows of x [3, 4] */
static void softmax_errors(void)
{
    const char *f = "clnn_softmax_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_softmax_forward(NULL, x, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_softmax_forward(ctx, NULL, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_softmax_forward(ctx, ints, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_softmax_forward(ctx, x, grad_t));
    f = "clnn_log_softmax_forward";
    EXPECT_FAIL(ctx, SHAPE, f, clnn_log_softmax_forward(ctx, x, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_log_softmax_forward(ctx, x, foreign));
    f = "clnn_softmax_backward";
    EXPECT_FAIL(ctx, INVAL, f, clnn_softmax_backward(ctx, x, NULL, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_softmax_backward(ctx, x, grad_t, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_softmax_backward(ctx, x, grad, x));
    f = "clnn_log_softmax_backward";
    EXPECT_FAIL(ctx, SHAPE, f, clnn_log_softmax_backward(ctx, x, grad, small));
}

/* losses: logits x [3, 4], labels [3] */
static void loss_errors(void)
{
    clnn_cross_entropy_options opt = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100}, bad_opt = opt;
    const char *f = "clnn_cross_entropy_labels";
    EXPECT_FAIL(NULL, INVAL, f, clnn_cross_entropy_labels(NULL, x, labels, &opt, loss, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &opt, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, NULL, &opt, loss, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, small, &opt, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_labels(ctx, x, labels4, &opt, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_labels(ctx, x, labels, &opt, loss2, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_labels(ctx, x, labels, &opt, loss, grad_t));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &opt, loss, x));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &opt, loss, foreign));
    bad_opt.label_smoothing = 1.0f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &bad_opt, loss, grad));
    bad_opt.label_smoothing = NAN;
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &bad_opt, loss, grad));
    bad_opt.label_smoothing = -0.1f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &bad_opt, loss, grad));
    bad_opt = opt;
    bad_opt.reduction = (clnn_reduction)5;
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &bad_opt, loss, grad));
    f = "clnn_cross_entropy_soft";
    EXPECT_FAIL(NULL, INVAL, f, clnn_cross_entropy_soft(NULL, x, y, &opt, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_soft(ctx, x, grad_t, &opt, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_soft(ctx, x, ints, &opt, loss, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_soft(ctx, x, y, &bad_opt, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_soft(ctx, x, y, &opt, loss, loss));
    f = "clnn_mse_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_mse_loss(NULL, x, y, CLNN_REDUCE_SUM, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_mse_loss(ctx, x, small, CLNN_REDUCE_SUM, loss, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_mse_loss(ctx, x, y, (clnn_reduction)-1, loss, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_SUM, loss2, NULL));
    f = "clnn_bce_with_logits";
    EXPECT_FAIL(NULL, INVAL, f, clnn_bce_with_logits(NULL, x, y, CLNN_REDUCE_MEAN, loss, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_bce_with_logits(ctx, x, NULL, CLNN_REDUCE_MEAN, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_bce_with_logits(ctx, x, y, CLNN_REDUCE_MEAN, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_bce_with_logits(ctx, x, y, CLNN_REDUCE_MEAN, loss, y));
}

/* NONE: cross-entropy keeps one loss per row (3), MSE and BCE one per
 * element (12); any other count is rejected, as is 1 element */
static void none_loss_errors(void)
{
    clnn_cross_entropy_options opt = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100}, bad_opt = opt;
    clnn_cross_entropy_options none_opt = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_NONE, 0.1f, -100};
    const char *f = "clnn_cross_entropy_labels";
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_labels(ctx, x, labels, &none_opt, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_labels(ctx, x, labels, &none_opt, loss12, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_labels(ctx, x, labels, &opt, loss3, grad));
    bad_opt.reduction = (clnn_reduction)3;
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_labels(ctx, x, labels, &bad_opt, loss3, grad));
    f = "clnn_cross_entropy_soft";
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_soft(ctx, x, y, &none_opt, loss2, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_cross_entropy_soft(ctx, x, y, &none_opt, loss12, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_cross_entropy_soft(ctx, x, y, &none_opt, loss3, x));
    f = "clnn_mse_loss";
    EXPECT_FAIL(ctx, SHAPE, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_NONE, loss, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_NONE, loss3, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_SUM, loss12, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_NONE, y, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_mse_loss(ctx, x, y, CLNN_REDUCE_NONE, grad, grad));
    f = "clnn_bce_with_logits";
    EXPECT_FAIL(ctx, SHAPE, f, clnn_bce_with_logits(ctx, x, y, CLNN_REDUCE_NONE, loss2, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_bce_with_logits(ctx, x, y, CLNN_REDUCE_NONE, loss3, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_bce_with_logits(ctx, x, y, (clnn_reduction)3, loss12, grad));
}

/* dropout */
static void dropout_errors(void)
{
    const char *f = "clnn_dropout_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_dropout_forward(NULL, x, 0.5f, 1, 0, grad, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dropout_forward(ctx, x, 1.0f, 1, 0, grad, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dropout_forward(ctx, x, -0.1f, 1, 0, grad, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dropout_forward(ctx, x, NAN, 1, 0, grad, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dropout_forward(ctx, x, 0.5f, 1, 0, small, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dropout_forward(ctx, x, 0.5f, 1, 0, grad, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dropout_forward(ctx, x, 0.5f, 1, 0, grad, grad));
    f = "clnn_dropout_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_dropout_backward(NULL, x, 0.5f, 1, 0, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dropout_backward(ctx, x, 1.5f, 1, 0, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_dropout_backward(ctx, x, 0.5f, 1, 0, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_dropout_backward(ctx, x, 0.5f, 1, 0, NULL));
}

/* residual, concat, split: cat [3, 6] = part2 [3, 2] + y [3, 4] */
static void residual_concat_split_errors(void)
{
    const char *f = "clnn_residual_add";
    EXPECT_FAIL(NULL, INVAL, f, clnn_residual_add(NULL, x, x, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_residual_add(ctx, x, small, grad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_residual_add(ctx, x, ints, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_residual_add(ctx, x, x, NULL));
    f = "clnn_residual_add_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_residual_add_backward(NULL, x, 0, grad, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_residual_add_backward(ctx, x, 3, grad, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_residual_add_backward(ctx, x, 0, grad, grad));
    EXPECT_FAIL(ctx, INVAL, f, clnn_residual_add_backward(ctx, x, 0, x, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_residual_add_backward(ctx, x, 0, grad, small));
    const clnn_tensor *good[2] = {part2, x}, *short_c[2] = {part2, part2}, *bad_rows[2] = {part_rows, x},
                      *with_null[2] = {part2, NULL};
    f = "clnn_concat";
    EXPECT_FAIL(NULL, INVAL, f, clnn_concat(NULL, 2, good, cat));
    EXPECT_FAIL(ctx, INVAL, f, clnn_concat(ctx, 0, good, cat));
    EXPECT_FAIL(ctx, INVAL, f, clnn_concat(ctx, 2, NULL, cat));
    EXPECT_FAIL(ctx, INVAL, f, clnn_concat(ctx, 2, with_null, cat));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_concat(ctx, 2, short_c, cat));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_concat(ctx, 2, bad_rows, cat));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_concat(ctx, 1, good, vec));
    EXPECT_FAIL(ctx, INVAL, f, clnn_concat(ctx, 2, good, NULL));
    clnn_tensor *outs_same[2] = {part2, part2}, *outs_short[2] = {part2, part2}, *outs_good[2] = {part2, y};
    f = "clnn_split";
    EXPECT_FAIL(NULL, INVAL, f, clnn_split(NULL, cat, 2, outs_good));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_split(ctx, cat, 2, outs_short));
    dup_cat = make(ctx, CLNN_FLOAT32, 2, 3, 4);
    EXPECT_FAIL(ctx, INVAL, f, clnn_split(ctx, dup_cat, 2, outs_same));
    EXPECT_FAIL(ctx, INVAL, f, clnn_split(ctx, cat, 2, NULL));
}

int main(void)
{
    ctx = test_context(), other = test_context();
    x = make(ctx, CLNN_FLOAT32, 2, 3, 4), y = make(ctx, CLNN_FLOAT32, 2, 3, 4);
    small = make(ctx, CLNN_FLOAT32, 1, 5, 1), ints = make(ctx, CLNN_INT32, 2, 3, 4);
    foreign = make(other, CLNN_FLOAT32, 2, 3, 4);
    w = make(ctx, CLNN_FLOAT32, 2, 2, 4), w1 = make(ctx, CLNN_FLOAT32, 1, 8, 1);
    b = make(ctx, CLNN_FLOAT32, 1, 2, 1), b3 = make(ctx, CLNN_FLOAT32, 1, 3, 1);
    yd = make(ctx, CLNN_FLOAT32, 2, 3, 2), zd = make(ctx, CLNN_FLOAT32, 2, 3, 2);
    dyd = make(ctx, CLNN_FLOAT32, 2, 3, 2), dxd = make(ctx, CLNN_FLOAT32, 2, 3, 4);
    dwd = make(ctx, CLNN_FLOAT32, 2, 2, 4), dbd = make(ctx, CLNN_FLOAT32, 1, 2, 1);
    labels = make(ctx, CLNN_INT32, 1, 3, 1), labels4 = make(ctx, CLNN_INT32, 1, 4, 1);
    loss = make(ctx, CLNN_FLOAT32, 1, 1, 1), loss2 = make(ctx, CLNN_FLOAT32, 1, 2, 1);
    grad = make(ctx, CLNN_FLOAT32, 2, 3, 4), grad_t = make(ctx, CLNN_FLOAT32, 2, 4, 3);
    cat = make(ctx, CLNN_FLOAT32, 2, 3, 6), part2 = make(ctx, CLNN_FLOAT32, 2, 3, 2);
    part_rows = make(ctx, CLNN_FLOAT32, 2, 2, 2), vec = make(ctx, CLNN_FLOAT32, 1, 6, 1);
    /* NONE losses: one per row of x (3) and one per element (12) */
    loss3 = make(ctx, CLNN_FLOAT32, 1, 3, 1), loss12 = make(ctx, CLNN_FLOAT32, 1, 12, 1);

    activation_errors();
    dense_errors();
    softmax_errors();
    loss_errors();
    none_loss_errors();
    dropout_errors();
    residual_concat_split_errors();

    /* nothing any rejected call could have written changed */
    clnn_tensor *outputs[] = {x, y, grad, grad_t, yd, zd, dxd, dwd, dbd, w, loss, loss2, small, cat, part2, dup_cat,
                              loss3, loss12};
    const char *names[] = {"x", "y", "grad", "grad_t", "yd", "zd", "dxd", "dwd", "dbd", "w",
                           "loss", "loss2", "small", "cat", "part2", "dup_cat", "loss3", "loss12"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) test_expect_filled(ctx, names[i], outputs[i], SENTINEL);

    clnn_tensor *all[] = {x, y, small, ints, w, w1, b, b3, yd, zd, dyd, dxd, dwd, dbd, labels, labels4,
                          loss, loss2, grad, grad_t, cat, part2, part_rows, vec, dup_cat, loss3, loss12};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
