/* Bad input to the conv, pooling, norm and attention functions: each call
 * fails with the expected status and a message naming the function, and the
 * outputs keep their contents. */
#include "check.h"

#include <math.h>

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dt, int ndim, size_t a, size_t b, size_t c, size_t d,
                         float value)
{
    size_t shape[4] = {a, b, c, d};
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, dt, ndim, shape, &t) == CLNN_OK, "%s", clnn_last_error(ctx));
    REQUIRE(clnn_tensor_fill(t, value) == CLNN_OK, "%s", clnn_last_error(ctx));
    return t;
}

/* Every element of t still equals value. */
static int unchanged(clnn_tensor *t, float value)
{
    size_t n = clnn_tensor_count(t);
    float *h = malloc(n * sizeof *h);
    REQUIRE(h && clnn_tensor_download(t, h, n * sizeof *h) == CLNN_OK, "download");
    int ok = 1;
    if (clnn_tensor_dtype(t) == CLNN_INT32) {
        for (size_t i = 0; i < n; i++) ok &= ((int *)h)[i] == (int)value;
    } else {
        for (size_t i = 0; i < n; i++) ok &= h[i] == value;
    }
    free(h);
    return ok;
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const clnn_dtype F = CLNN_FLOAT32, I = CLNN_INT32;
static clnn_context *ctx, *other;
static clnn_tensor *x, *w, *b, *y, *ybad, *dx, *dw, *db, *xi, *x3, *b5, *xo, *py, *pi, *pib, *pdx, *gy, *gyb, *c4a,
    *c4b, *rm, *rv, *sm, *si, *ny, *c3, *x1, *y1, *d5a, *d5b, *m48a, *m48b, *dg5, *aq, *ak, *av, *ap, *ao, *apb, *adq,
    *adk, *adv, *akb, *pyd, *pid;

/* conv2d: forward, backward data, weights and bias */
static void conv2d_errors(void)
{
    clnn_conv2d_options cp = {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 2}, c;
    const char *fn = "clnn_conv2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv2d_forward(NULL, x, w, b, &cp, y));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, NULL, w, b, &cp, y));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, NULL, b, &cp, y));
    c = cp; c.size = 0; /* never initialised */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.size = sizeof c + 1; /* a newer header than the library */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.size = offsetof(clnn_conv2d_options, groups); /* an older caller: groups stays 1 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, NULL, y)); /* the defaults: groups 1 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &cp, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, xo, w, b, &cp, y));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, xi, w, b, &cp, y));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x3, w, b, &cp, y));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b5, &cp, y));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &cp, ybad));
    c = cp; c.stride[0] = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.dilation[1] = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad[0] = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.groups = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.groups = 3; /* does not divide C = 4 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.groups = 1; /* w has C/groups = 2 channels, x has 4 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad[0] = 0; c.dilation[0] = 4; /* dilated window 9 > 6 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    CHECK(unchanged(y, 7) && unchanged(ybad, 7), "conv2d_forward: rejected calls left y unchanged");
    fn = "clnn_conv2d_backward_data";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv2d_backward_data(NULL, y, w, &cp, dx));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_backward_data(ctx, y, w, &cp, NULL));
    c = cp; c.size = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_backward_data(ctx, y, w, &c, dx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_data(ctx, ybad, w, &cp, dx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_data(ctx, y, w, &cp, xi));
    CHECK(unchanged(dx, 7), "conv2d_backward_data: dx unchanged");
    fn = "clnn_conv2d_backward_weights";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv2d_backward_weights(NULL, x, y, &cp, dw));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_backward_weights(ctx, x, y, &cp, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_weights(ctx, x, ybad, &cp, dw));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_weights(ctx, x, y, &cp, b));
    CHECK(unchanged(dw, 7), "conv2d_backward_weights: dw unchanged");
    fn = "clnn_conv2d_backward_bias";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv2d_backward_bias(NULL, y, db));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_backward_bias(ctx, y, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_bias(ctx, y, b5));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_bias(ctx, x3, db));
    CHECK(unchanged(db, 7), "conv2d_backward_bias: db unchanged");
}

/* conv2d's padding and accumulation options (x [2, 4, 6, 5], w [6, 2, 3, 3],
 * groups 2, pad 1: y [2, 6, 6, 5]) */
static void conv2d_option_errors(void)
{
    clnn_conv2d_options cp, c;
    clnn_conv2d_options_init(&cp);
    cp.pad[0] = cp.pad[1] = 1, cp.groups = 2;
    const char *fn = "clnn_conv2d_forward";
    c = cp; c.padding_mode = 4;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.padding_mode = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad_same = 2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad[0] = c.pad[1] = 0; c.pad_same = 1; c.stride[1] = 2; /* PyTorch: no 'same' with strides */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad_same = 1; /* 'same' computes the padding: pad must be 0 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad[0] = c.pad[1] = 0; c.pad_same = 1; c.pad_extra[0] = 1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad_extra[1] = -2; /* right padding 1 - 2 < 0 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad_extra[0] = 65535;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.pad_extra[0] = 1; /* bottom padding 2: y would be [2, 6, 7, 5] */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.output_padding[1] = 1; /* transposed convolutions only */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.accumulate = 2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.padding_mode = CLNN_PAD_REFLECT; c.pad[1] = 5; c.pad_extra[1] = -4; /* reflect pad 5 = W */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    c = cp; c.padding_mode = CLNN_PAD_CIRCULAR; c.pad[0] = 0; c.pad_extra[0] = 7; /* circular pad 7 > H = 6 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_forward(ctx, x, w, b, &c, y));
    CHECK(unchanged(y, 7) && unchanged(ybad, 7), "conv2d options: rejected calls left y unchanged");
    clnn_tensor *wold = make(ctx, F, 4, 6, 2, 3, 3, 7);
    c = cp; c.size = offsetof(clnn_conv2d_options, padding_mode); /* an older caller: the new fields' defaults */
    CHECK_OK(ctx, clnn_conv2d_backward_weights(ctx, x, y, &c, wold));
    CHECK(!unchanged(wold, 7), "conv2d options: an older caller's call ran");
    clnn_tensor_release(wold);
    clnn_tensor *yy = make(ctx, F, 4, 2, 6, 6, 5, 7), *ww = make(ctx, F, 4, 6, 2, 3, 3, 7),
                *xx = make(ctx, F, 4, 2, 4, 6, 5, 7), *bb = make(ctx, F, 1, 6, 1, 1, 1, 7);
    c = cp; c.padding_mode = CLNN_PAD_REFLECT; c.pad[1] = 5; c.pad_extra[1] = -4;
    EXPECT_FAIL(ctx, SHAPE, "clnn_conv2d_backward_data", clnn_conv2d_backward_data(ctx, yy, w, &c, xx));
    c = cp; c.accumulate = -1;
    EXPECT_FAIL(ctx, INVAL, "clnn_conv2d_backward_weights", clnn_conv2d_backward_weights(ctx, x, yy, &c, ww));
    fn = "clnn_conv2d_backward_bias_accumulate";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv2d_backward_bias_accumulate(NULL, yy, 1, bb));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_backward_bias_accumulate(ctx, yy, 2, bb));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv2d_backward_bias_accumulate(ctx, NULL, 1, bb));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv2d_backward_bias_accumulate(ctx, yy, 1, b5));
    CHECK(unchanged(yy, 7) && unchanged(ww, 7) && unchanged(xx, 7) && unchanged(bb, 7),
          "conv2d options: rejected calls left the outputs unchanged");
    clnn_tensor_release(yy), clnn_tensor_release(ww), clnn_tensor_release(xx), clnn_tensor_release(bb);
}

/* conv_transpose2d: x [2, 4, 3, 3], w [4, 3, 3, 3] (groups 2: K = 6),
 * stride 2, pad 1, output_padding 1 -> y [2, 6, 6, 6] */
static void conv_transpose2d_errors(void)
{
    clnn_tensor *tx = make(ctx, F, 4, 2, 4, 3, 3, 1), *tw = make(ctx, F, 4, 4, 3, 3, 3, 1),
                *tb = make(ctx, F, 1, 6, 1, 1, 1, 1), *ty = make(ctx, F, 4, 2, 6, 6, 6, 7),
                *tyb = make(ctx, F, 4, 2, 6, 5, 6, 7), *tdx = make(ctx, F, 4, 2, 4, 3, 3, 7),
                *tdw = make(ctx, F, 4, 4, 3, 3, 3, 7);
    clnn_conv2d_options cp, c;
    clnn_conv2d_options_init(&cp);
    cp.stride[0] = cp.stride[1] = 2, cp.pad[0] = cp.pad[1] = 1, cp.output_padding[0] = cp.output_padding[1] = 1;
    cp.groups = 2;
    const char *fn = "clnn_conv_transpose2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv_transpose2d_forward(NULL, tx, tw, tb, &cp, ty));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, NULL, tw, tb, &cp, ty));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &cp, NULL));
    c = cp; c.size = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &cp, tyb));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, b5, &cp, ty));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_forward(ctx, xi, tw, tb, &cp, ty));
    c = cp; c.output_padding[0] = 2; /* not below stride 2 or dilation 1 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.output_padding[1] = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.padding_mode = CLNN_PAD_REFLECT; /* PyTorch: zeros only */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.pad[0] = c.pad[1] = 0; c.stride[0] = c.stride[1] = 1; c.output_padding[0] = c.output_padding[1] = 0;
    c.pad_same = 1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.pad_extra[0] = 1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.groups = 3; /* does not divide C = 4 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.groups = 1; /* K = 3: y has 6 channels */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, NULL, &c, ty));
    c = cp; c.pad[0] = 4; c.output_padding[0] = 0; /* (3-1)*2 - 8 + 2 + 1 < 1 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.accumulate = 2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &c, ty));
    CHECK(unchanged(ty, 7) && unchanged(tyb, 7), "conv_transpose2d_forward: rejected calls left y unchanged");
    fn = "clnn_conv_transpose2d_backward_data";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv_transpose2d_backward_data(NULL, ty, tw, &cp, tdx));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_backward_data(ctx, ty, tw, &cp, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_backward_data(ctx, tyb, tw, &cp, tdx));
    c = cp; c.output_padding[0] = 0; /* y would be [2, 6, 5, 6] */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_backward_data(ctx, ty, tw, &c, tdx));
    CHECK(unchanged(tdx, 7), "conv_transpose2d_backward_data: dx unchanged");
    fn = "clnn_conv_transpose2d_backward_weights";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv_transpose2d_backward_weights(NULL, tx, ty, &cp, tdw));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_backward_weights(ctx, tx, ty, &cp, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_backward_weights(ctx, tx, tyb, &cp, tdw));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv_transpose2d_backward_weights(ctx, tx, ty, &cp, w));
    c = cp; c.accumulate = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv_transpose2d_backward_weights(ctx, tx, ty, &c, tdw));
    CHECK(unchanged(tdw, 7), "conv_transpose2d_backward_weights: dw unchanged");
    CHECK_OK(ctx, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &cp, ty)); /* the table's shapes are right */
    clnn_tensor *all[] = {tx, tw, tb, ty, tyb, tdx, tdw};
    for (int i = 0; i < 7; i++) clnn_tensor_release(all[i]);
}

/* conv1d: x [2, 4, 9], w [6, 2, 3] (groups 2), pad 1 -> y [2, 6, 9] */
static void conv1d_errors(void)
{
    clnn_tensor *tx = make(ctx, F, 3, 2, 4, 9, 1, 1), *tw = make(ctx, F, 3, 6, 2, 3, 1, 1),
                *tb = make(ctx, F, 1, 6, 1, 1, 1, 1), *ty = make(ctx, F, 3, 2, 6, 9, 1, 7),
                *tyb = make(ctx, F, 3, 2, 6, 8, 1, 7), *tdx = make(ctx, F, 3, 2, 4, 9, 1, 7),
                *tdw = make(ctx, F, 3, 6, 2, 3, 1, 7);
    clnn_conv1d_options cp, c;
    clnn_conv1d_options_init(&cp);
    cp.pad = 1, cp.groups = 2;
    const char *fn = "clnn_conv1d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_conv1d_forward(NULL, tx, tw, tb, &cp, ty));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, NULL, tb, &cp, ty));
    c = cp; c.size = sizeof c + 1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, tb, NULL, ty)); /* groups 1 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, x, tw, tb, &cp, ty));   /* 4-D x */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &cp, tyb));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, b5, &cp, ty));
    c = cp; c.stride = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.dilation = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.pad = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.pad_extra = -2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.padding_mode = 5;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.pad = 0; c.pad_same = 1; c.stride = 2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.padding_mode = CLNN_PAD_REFLECT; c.pad = 9; c.pad_extra = -8; /* reflect pad 9 = L */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.padding_mode = CLNN_PAD_CIRCULAR; c.pad_extra = 9; /* circular pad 10 > L */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.pad = 0; c.dilation = 5; /* window 11 > 9 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    c = cp; c.groups = 3;
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_forward(ctx, tx, tw, tb, &c, ty));
    CHECK(unchanged(ty, 7) && unchanged(tyb, 7), "conv1d_forward: rejected calls left y unchanged");
    fn = "clnn_conv1d_backward_data";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_backward_data(ctx, ty, tw, &cp, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_backward_data(ctx, tyb, tw, &cp, tdx));
    CHECK(unchanged(tdx, 7), "conv1d_backward_data: dx unchanged");
    fn = "clnn_conv1d_backward_weights";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_backward_weights(ctx, tx, ty, &cp, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_conv1d_backward_weights(ctx, tx, tyb, &cp, tdw));
    c = cp; c.accumulate = 3;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_conv1d_backward_weights(ctx, tx, ty, &c, tdw));
    CHECK(unchanged(tdw, 7), "conv1d_backward_weights: dw unchanged");
    CHECK_OK(ctx, clnn_conv1d_forward(ctx, tx, tw, tb, &cp, ty)); /* the table's shapes are right */
    clnn_tensor *all[] = {tx, tw, tb, ty, tyb, tdx, tdw};
    for (int i = 0; i < 7; i++) clnn_tensor_release(all[i]);
}

/* pooling: x [2, 4, 6, 5], 3x3 stride 2 pad 1 -> [2, 4, 3, 3] */
static void pooling_errors(void)
{
    py = make(ctx, F, 4, 2, 4, 3, 3, 7), pi = make(ctx, I, 4, 2, 4, 3, 3, 7), pib = make(ctx, I, 4, 2, 4, 3, 2, 7);
    pyd = make(ctx, F, 4, 2, 4, 1, 3, 7), pid = make(ctx, I, 4, 2, 4, 1, 3, 7);
    pdx = make(ctx, F, 4, 2, 4, 6, 5, 7), gy = make(ctx, F, 2, 2, 4, 1, 1, 7), gyb = make(ctx, F, 2, 2, 3, 1, 1, 7);
    clnn_pool2d_options pp = {sizeof(clnn_pool2d_options), {3, 3}, {2, 2}, {1, 1}, 1}, q;
    const char *fn = "clnn_maxpool2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_maxpool2d_forward(NULL, x, &pp, py, pi));
    q = pp; q.size = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, NULL, py, pi)); /* defaults: 2x2 stride 2 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &pp, py, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &pp, py, py));   /* indices must be int32 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &pp, py, pib));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &pp, y, pi));
    q = pp; q.kernel[0] = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.stride[1] = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.pad[0] = 2; /* more than half the window */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.kernel[0] = 9; q.pad[0] = 0; /* window larger than the image */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.ceil_mode = 2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.dilation[1] = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.divisor_override = 4; /* average pooling's */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.dilation[0] = 4; /* the dilated window (9 rows) larger than the padded image (8) */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    q = pp; q.kernel[0] = 9; q.pad[0] = 0; q.ceil_mode = 1; /* ceil mode: still no window starts in the image */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &q, py, pi));
    /* the 2-row window at pad 1, dilation 7, taps rows -1 and 6 of 6: padding only (PyTorch: -inf) */
    q = pp; q.kernel[0] = 2; q.dilation[0] = 7;
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_forward(ctx, x, &q, pyd, pid));
    CHECK(unchanged(pyd, 7) && unchanged(pid, 7), "maxpool2d_forward: y and indices unchanged (dilation)");
    CHECK(unchanged(py, 7) && unchanged(pi, 7), "maxpool2d_forward: y and indices unchanged");
    fn = "clnn_maxpool2d_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_maxpool2d_backward(NULL, py, pi, &pp, pdx));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_maxpool2d_backward(ctx, py, NULL, &pp, pdx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_backward(ctx, py, pib, &pp, pdx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_maxpool2d_backward(ctx, py, pi, &pp, y));
    CHECK(unchanged(pdx, 7), "maxpool2d_backward: dx unchanged");
    fn = "clnn_avgpool2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_avgpool2d_forward(NULL, x, &pp, py));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_avgpool2d_forward(ctx, x, &pp, NULL));
    q = pp; q.count_include_pad = 2;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_avgpool2d_forward(ctx, x, &q, py));
    q = pp; q.dilation[0] = 2; /* PyTorch's average pooling has no dilation */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_avgpool2d_forward(ctx, x, &q, py));
    q = pp; q.ceil_mode = -1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_avgpool2d_forward(ctx, x, &q, py));
    q = pp; q.ceil_mode = 1; /* 4 x 3 outputs (the last rows' windows start in the image), not y's 3 x 3 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_avgpool2d_forward(ctx, x, &q, py));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_avgpool2d_forward(ctx, xi, &pp, py));
    CHECK(unchanged(py, 7), "avgpool2d_forward: y unchanged");
    fn = "clnn_avgpool2d_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_avgpool2d_backward(NULL, py, &pp, pdx));
    q = pp; q.size = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_avgpool2d_backward(ctx, py, &q, pdx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_avgpool2d_backward(ctx, y, &pp, pdx));
    CHECK(unchanged(pdx, 7), "avgpool2d_backward: dx unchanged");
    fn = "clnn_global_avgpool2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_global_avgpool2d_forward(NULL, x, gy));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_global_avgpool2d_forward(ctx, x, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_global_avgpool2d_forward(ctx, x, gyb));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_global_avgpool2d_forward(ctx, x3, gy));
    CHECK(unchanged(gy, 7), "global_avgpool2d_forward: y unchanged");
    fn = "clnn_global_avgpool2d_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_global_avgpool2d_backward(NULL, gy, pdx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_global_avgpool2d_backward(ctx, gyb, pdx));
    CHECK(unchanged(pdx, 7), "global_avgpool2d_backward: dx unchanged");
}

/* adaptive pooling: x [2, 4, 6, 5] -> [2, 4, 4, 3] */
static void adaptive_pooling_errors(void)
{
    clnn_tensor *ay = make(ctx, F, 4, 2, 4, 4, 3, 7), *ai = make(ctx, I, 4, 2, 4, 4, 3, 7);
    clnn_tensor *aib = make(ctx, I, 4, 2, 4, 4, 2, 7), *ayc = make(ctx, F, 4, 2, 3, 4, 3, 7);
    clnn_tensor *adx = make(ctx, F, 4, 2, 4, 6, 5, 7), *ay3 = make(ctx, F, 3, 2, 4, 12, 1, 7);
    const char *fn = "clnn_adaptive_avgpool2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_adaptive_avgpool2d_forward(NULL, x, ay));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_avgpool2d_forward(ctx, NULL, ay));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_avgpool2d_forward(ctx, x, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_avgpool2d_forward(ctx, xo, ay)); /* another context's */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_forward(ctx, xi, ay));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_forward(ctx, x3, ay));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_forward(ctx, x, ayc)); /* 3 channels, not 4 */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_forward(ctx, x, ay3)); /* 3-D */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_forward(ctx, x, ai));  /* int32 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_avgpool2d_forward(ctx, adx, adx)); /* y is x */
    CHECK(unchanged(ay, 7) && unchanged(adx, 7), "adaptive_avgpool2d_forward: y unchanged");
    fn = "clnn_adaptive_avgpool2d_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_adaptive_avgpool2d_backward(NULL, ay, adx));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_avgpool2d_backward(ctx, ay, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_backward(ctx, ayc, adx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_avgpool2d_backward(ctx, ay, x3));
    CHECK(unchanged(adx, 7), "adaptive_avgpool2d_backward: dx unchanged");
    fn = "clnn_adaptive_maxpool2d_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_adaptive_maxpool2d_forward(NULL, x, ay, ai));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_maxpool2d_forward(ctx, x, ay, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_maxpool2d_forward(ctx, x, ay, ay));  /* fp32 indices */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_maxpool2d_forward(ctx, x, ay, aib)); /* not y's shape */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_maxpool2d_forward(ctx, x, ayc, ai));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_maxpool2d_forward(ctx, xi, ay, ai));
    CHECK(unchanged(ay, 7) && unchanged(ai, 7), "adaptive_maxpool2d_forward: y and indices unchanged");
    fn = "clnn_adaptive_maxpool2d_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_adaptive_maxpool2d_backward(NULL, ay, ai, adx));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_maxpool2d_backward(ctx, ay, NULL, adx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_maxpool2d_backward(ctx, ay, aib, adx));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_adaptive_maxpool2d_backward(ctx, ay, ai, x3));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_adaptive_maxpool2d_backward(ctx, ay, ai, NULL));
    CHECK(unchanged(adx, 7), "adaptive_maxpool2d_backward: dx unchanged");
    clnn_tensor_release(ay), clnn_tensor_release(ai), clnn_tensor_release(aib), clnn_tensor_release(ayc);
    clnn_tensor_release(adx), clnn_tensor_release(ay3);
}

/* batch norm on x [2, 4, 6, 5] (C = 4) and layer norm (D = 5, M = 48) */
static void norm_errors(void)
{
    c4a = make(ctx, F, 1, 4, 1, 1, 1, 1), c4b = make(ctx, F, 1, 4, 1, 1, 1, 0);
    rm = make(ctx, F, 1, 4, 1, 1, 1, 7), rv = make(ctx, F, 1, 4, 1, 1, 1, 7);
    sm = make(ctx, F, 1, 4, 1, 1, 1, 7), si = make(ctx, F, 1, 4, 1, 1, 1, 7);
    ny = make(ctx, F, 4, 2, 4, 6, 5, 7), c3 = make(ctx, F, 1, 3, 1, 1, 1, 7);
    x1 = make(ctx, F, 4, 1, 4, 1, 1, 1), y1 = make(ctx, F, 4, 1, 4, 1, 1, 7);
    const char *fn = "clnn_batchnorm_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_batchnorm_forward(NULL, x, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, NULL, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, NULL, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, NULL, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, NULL, NULL, 0, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 2, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, NAN, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, 1.5f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, 0.1f, 0.0f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, 0.1f, INFINITY, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, NULL, sm, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_forward(ctx, x, c3, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, c3, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_forward(ctx, x, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, dw, sm, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_forward(ctx, x3, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_forward(ctx, xi, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_forward(ctx, x1, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, y1, sm, si)); /* 1 value per channel */
    CHECK(unchanged(ny, 7) && unchanged(rm, 7) && unchanged(rv, 7) && unchanged(sm, 7) && unchanged(si, 7) &&
              unchanged(y1, 7),
          "batchnorm_forward: outputs and running statistics unchanged");
    fn = "clnn_batchnorm_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_batchnorm_backward(NULL, x, ny, c4a, sm, si, 1, dx, rm, rv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, NULL, c4a, sm, si, 1, dx, rm, rv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, ny, c4a, NULL, si, 1, dx, rm, rv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, ny, c4a, sm, si, 1, NULL, rm, rv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, ny, c4a, sm, si, -1, dx, rm, rv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_backward(ctx, x, ybad, c4a, sm, si, 1, dx, rm, rv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_backward(ctx, x, ny, c4a, sm, si, 1, dx, c3, rv));
    CHECK(unchanged(dx, 7) && unchanged(rm, 7) && unchanged(rv, 7), "batchnorm_backward: outputs unchanged");
    fn = "clnn_batchnorm_relu_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_batchnorm_relu_forward(NULL, x, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_relu_forward(ctx, x, c4a, c4b, rm, rv, 2, 0.1f, 1e-5f, ny, sm, si));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_relu_forward(ctx, x, c4a, c4b, rm, rv, 1, 0.1f, 1e-5f, dw, sm, si));
    CHECK(unchanged(ny, 7) && unchanged(rm, 7) && unchanged(sm, 7), "batchnorm_relu_forward: outputs unchanged");
    fn = "clnn_batchnorm_relu_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_batchnorm_relu_backward(NULL, x, ny, ny, c4a, sm, si, 1, dx, rm, rv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_relu_backward(ctx, x, NULL, ny, c4a, sm, si, 1, dx, rm, rv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_relu_backward(ctx, x, dx, ny, c4a, sm, si, 1, dx, rm, rv)); /* y = dx */
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_batchnorm_relu_backward(ctx, x, ybad, ny, c4a, sm, si, 1, dx, rm, rv));
    CHECK(unchanged(dx, 7) && unchanged(rm, 7) && unchanged(rv, 7), "batchnorm_relu_backward: outputs unchanged");
    d5a = make(ctx, F, 1, 5, 1, 1, 1, 1), d5b = make(ctx, F, 1, 5, 1, 1, 1, 0);
    m48a = make(ctx, F, 1, 48, 1, 1, 1, 7), m48b = make(ctx, F, 1, 48, 1, 1, 1, 7);
    dg5 = make(ctx, F, 1, 5, 1, 1, 1, 7);
    fn = "clnn_layernorm_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_layernorm_forward(NULL, x, d5a, d5b, 1e-5f, ny, m48a, m48b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_forward(ctx, x, NULL, d5b, 1e-5f, ny, m48a, m48b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_forward(ctx, x, d5a, d5b, -1.0f, ny, m48a, m48b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_forward(ctx, x, d5a, d5b, NAN, ny, m48a, m48b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_layernorm_forward(ctx, x, c4a, c4b, 1e-5f, ny, m48a, m48b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_layernorm_forward(ctx, x, d5a, d5b, 1e-5f, ny, sm, m48b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_layernorm_forward(ctx, x, d5a, d5b, 1e-5f, ybad, m48a, m48b));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_layernorm_forward(ctx, xi, d5a, d5b, 1e-5f, ny, m48a, m48b));
    CHECK(unchanged(ny, 7) && unchanged(m48a, 7) && unchanged(m48b, 7), "layernorm_forward: outputs unchanged");
    fn = "clnn_layernorm_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_layernorm_backward(NULL, x, ny, d5a, m48a, m48b, dx, dg5, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_backward(ctx, x, ny, d5a, m48a, m48b, NULL, dg5, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_layernorm_backward(ctx, x, ny, d5a, sm, m48b, dx, dg5, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_layernorm_backward(ctx, x, ny, d5a, m48a, m48b, dx, c4a, NULL));
    CHECK(unchanged(dx, 7) && unchanged(dg5, 7), "layernorm_backward: outputs unchanged");
}

/* attention: q [1, 2, 3, 4], k, v [1, 2, 5, 4], probs [1, 2, 3, 5] */
static void attention_errors(void)
{
    aq = make(ctx, F, 4, 1, 2, 3, 4, 1), ak = make(ctx, F, 4, 1, 2, 5, 4, 1), av = make(ctx, F, 4, 1, 2, 5, 4, 1);
    ap = make(ctx, F, 4, 1, 2, 3, 5, 7), ao = make(ctx, F, 4, 1, 2, 3, 4, 7), apb = make(ctx, F, 4, 1, 2, 5, 3, 7);
    adq = make(ctx, F, 4, 1, 2, 3, 4, 7), adk = make(ctx, F, 4, 1, 2, 5, 4, 7), adv = make(ctx, F, 4, 1, 2, 5, 4, 7);
    akb = make(ctx, F, 4, 1, 2, 5, 3, 1);
    const char *fn = "clnn_attention_forward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_attention_forward(NULL, aq, ak, av, 0, ap, ao));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, NULL, ak, av, 0, ap, ao));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, aq, ak, av, 0, NULL, ao));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, aq, ak, av, 0, ap, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, aq, ak, av, 3, ap, ao));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, aq, ak, av, 0, ap, aq));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_forward(ctx, aq, akb, av, 0, ap, ao));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_forward(ctx, aq, ak, av, 0, apb, ao));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_forward(ctx, aq, ak, av, 0, ap, adk));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_forward(ctx, x3, ak, av, 0, ap, ao));
    CHECK(unchanged(ap, 7) && unchanged(ao, 7), "attention_forward: outputs unchanged");
    fn = "clnn_attention_backward";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_attention_backward(NULL, aq, ak, av, ap, ao, adq, adk, adv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_backward(ctx, aq, ak, av, ap, NULL, adq, adk, adv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_backward(ctx, aq, ak, av, ap, ao, adq, adk, adk));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_backward(ctx, aq, ak, av, apb, ao, adq, adk, adv));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_attention_backward(ctx, aq, ak, av, ap, ao, adk, adk, adv));
    CHECK(unchanged(adq, 7) && unchanged(adk, 7) && unchanged(adv, 7), "attention_backward: outputs unchanged");
}

int main(void)
{
    ctx = test_context(), other = test_context();

    /* ---- conv2d: x [2, 4, 6, 5], w [6, 2, 3, 3] (groups 2), y [2, 6, 6, 5] with pad 1 */
    x = make(ctx, F, 4, 2, 4, 6, 5, 1), w = make(ctx, F, 4, 6, 2, 3, 3, 1), b = make(ctx, F, 1, 6, 1, 1, 1, 1);
    y = make(ctx, F, 4, 2, 6, 6, 5, 7), ybad = make(ctx, F, 4, 2, 6, 5, 5, 7);
    dx = make(ctx, F, 4, 2, 4, 6, 5, 7), dw = make(ctx, F, 4, 6, 2, 3, 3, 7), db = make(ctx, F, 1, 6, 1, 1, 1, 7);
    xi = make(ctx, I, 4, 2, 4, 6, 5, 1), x3 = make(ctx, F, 3, 2, 4, 30, 1, 1), b5 = make(ctx, F, 1, 5, 1, 1, 1, 1);
    xo = make(other, F, 4, 2, 4, 6, 5, 1);

    conv2d_errors();
    conv2d_option_errors();
    conv_transpose2d_errors();
    conv1d_errors();
    pooling_errors();
    adaptive_pooling_errors();
    norm_errors();
    attention_errors();

    clnn_tensor *all[] = {x, w, b, y, ybad, dx, dw, db, xi, x3, b5, py, pi, pib, pyd, pid, pdx, gy, gyb, c4a,
                          c4b, rm, rv, sm, si, ny, c3, x1, y1, d5a, d5b, m48a, m48b, dg5, aq, ak, av, ap, ao,
                          apb, adq, adk, adv, akb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(xo);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
