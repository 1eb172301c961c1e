/* Aliasing: an output that shares memory with an input (or with another
 * output) is refused with CLNN_ERR_INVALID_ARGUMENT and nothing is written,
 * whether it is the same tensor, a second tensor wrapping the same cl_mem, or
 * a sub-buffer overlapping another one; disjoint sub-buffers of one parent
 * are accepted. Attention (forward probs = q, backward dq = q, dv = dout)
 * and the norms' backward (dx = x, dx = dy) returned CLNN_OK with wrong
 * numbers before the shared check (clnn__alias). */
#include "check.h"

static clnn_tensor *filled(clnn_context *ctx, size_t a, size_t b, size_t c, size_t d, float value)
{
    size_t shape[4] = {a, b, c, d};
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 4, shape, &t) == CLNN_OK, "%s", clnn_last_error(ctx));
    REQUIRE(clnn_tensor_fill(t, value) == CLNN_OK, "%s", clnn_last_error(ctx));
    return t;
}

/* A second tensor over t's cl_mem, same shape. */
static clnn_tensor *rewrap(clnn_context *ctx, const clnn_tensor *t)
{
    int ndim;
    size_t shape[CLNN_MAX_DIMS];
    clnn_tensor *w = NULL;
    clnn_tensor_shape(t, &ndim, shape);
    REQUIRE(clnn_tensor_wrap(ctx, clnn_tensor_buffer(t), CLNN_FLOAT32, ndim, shape, &w) == CLNN_OK, "%s",
            clnn_last_error(ctx));
    return w;
}

/* A [2, 3, 16, 16] tensor over a sub-buffer of parent starting at byte
 * offset (a multiple of the device's base address alignment). */
#define SUB_COUNT (2 * 3 * 16 * 16)
static clnn_tensor *sub_tensor(clnn_context *ctx, cl_mem parent, size_t offset, cl_mem *sub)
{
    cl_buffer_region region = {offset, SUB_COUNT * sizeof(float)};
    cl_int err;
    *sub = clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
    REQUIRE(*sub != NULL, "clCreateSubBuffer at %zu: %d", offset, err);
    size_t shape[4] = {2, 3, 16, 16};
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_wrap(ctx, *sub, CLNN_FLOAT32, 4, shape, &t) == CLNN_OK, "%s", clnn_last_error(ctx));
    return t;
}

static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT;

/* attention with Sq = Sk = D = 4, so q, k, v, probs, out, dout, dq, dk, dv share a shape */
static void attention_aliases(clnn_context *ctx)
{
    clnn_tensor *q = filled(ctx, 1, 2, 4, 4, 0.5f), *k = filled(ctx, 1, 2, 4, 4, 0.25f), *v = filled(ctx, 1, 2, 4, 4, 1);
    clnn_tensor *probs = filled(ctx, 1, 2, 4, 4, 7), *out = filled(ctx, 1, 2, 4, 4, 7);
    clnn_tensor *dout = filled(ctx, 1, 2, 4, 4, 1), *dq = filled(ctx, 1, 2, 4, 4, 7), *dk = filled(ctx, 1, 2, 4, 4, 7);
    clnn_tensor *dv = filled(ctx, 1, 2, 4, 4, 7);
    clnn_tensor *q_again = rewrap(ctx, q), *dout_again = rewrap(ctx, dout);
    const char *fn = "clnn_attention_forward";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, q, k, v, 0, q, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, q, k, v, 0, q_again, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_forward(ctx, q, k, v, 0, probs, probs));
    test_expect_filled(ctx, "q", q, 0.5f);
    test_expect_filled(ctx, "out", out, 7);
    test_expect_filled(ctx, "probs", probs, 7);
    fn = "clnn_attention_backward";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_backward(ctx, q, k, v, probs, dout, q, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_backward(ctx, q, k, v, probs, dout, q_again, dk, dv));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_backward(ctx, q, k, v, probs, dout, dq, dk, dout));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_attention_backward(ctx, q, k, v, probs, dout, dq, dk, dout_again));
    test_expect_filled(ctx, "dq", dq, 7);
    test_expect_filled(ctx, "dk", dk, 7);
    test_expect_filled(ctx, "dout", dout, 1);
    clnn_tensor *all[] = {q, k, v, probs, out, dout, dq, dk, dv, q_again, dout_again};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* the norms' backward: dx = x, dx = dy, and a wrap of either (batch norm's
 * saved statistics mean3, inv3 of 3 channels) */
static void norm_backward_aliases(clnn_context *ctx, clnn_tensor *mean3, clnn_tensor *inv3)
{
    clnn_tensor *x = filled(ctx, 2, 3, 2, 2, 1), *dy = filled(ctx, 2, 3, 2, 2, 1), *dx = filled(ctx, 2, 3, 2, 2, 7);
    clnn_tensor *x_again = rewrap(ctx, x), *dy_again = rewrap(ctx, dy);
    size_t rows = 12;
    clnn_tensor *mean12 = NULL, *inv12 = NULL, *g2 = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &rows, &mean12));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &rows, &inv12));
    size_t two = 2;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &two, &g2));
    CHECK_OK(ctx, clnn_tensor_fill(mean12, 0));
    CHECK_OK(ctx, clnn_tensor_fill(inv12, 1));
    CHECK_OK(ctx, clnn_tensor_fill(g2, 7));
    const char *fn = "clnn_batchnorm_backward";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, dy, NULL, mean3, inv3, 1, x, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, dy, NULL, mean3, inv3, 1, dy, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, dy, NULL, mean3, inv3, 1, x_again, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, x, dy, NULL, mean3, inv3, 1, dx, mean3, NULL));
    fn = "clnn_layernorm_backward";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_backward(ctx, x, dy, NULL, mean12, inv12, x, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_backward(ctx, x, dy, NULL, mean12, inv12, dy, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_backward(ctx, x, dy, NULL, mean12, inv12, dy_again, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_layernorm_backward(ctx, x, dy, NULL, mean12, inv12, dx, g2, g2));
    test_expect_filled(ctx, "x", x, 1);
    test_expect_filled(ctx, "dy", dy, 1);
    test_expect_filled(ctx, "dx", dx, 7);
    test_expect_filled(ctx, "dgamma", g2, 7);
    test_expect_filled(ctx, "save_mean", mean3, 0);
    clnn_tensor *all[] = {x, dy, dx, x_again, dy_again, mean12, inv12, g2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* sub-buffers of one parent: a dx overlapping x is refused, a disjoint one
 * accepted (batch norm's saved statistics mean3, inv3 of 3 channels) */
static void sub_buffer_aliases(clnn_context *ctx, clnn_tensor *mean3, clnn_tensor *inv3)
{
    cl_context clctx;
    cl_device_id dev;
    CHECK_OK(ctx, clnn_context_cl(ctx, &clctx, NULL, &dev));
    cl_uint align_bits = 0;
    clGetDeviceInfo(dev, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits, NULL);
    size_t align = align_bits >= 8 ? align_bits / 8 : 128, bytes = SUB_COUNT * sizeof(float);
    size_t step = (bytes + align - 1) / align * align; /* the first aligned offset past one tensor */
    cl_int err;
    cl_mem parent = clCreateBuffer(clctx, CL_MEM_READ_WRITE, step + bytes, NULL, &err);
    REQUIRE(parent, "clCreateBuffer: %d", err);
    cl_mem s_x, s_overlap = NULL, s_disjoint;
    clnn_tensor *sx = sub_tensor(ctx, parent, 0, &s_x), *sdisjoint = sub_tensor(ctx, parent, step, &s_disjoint);
    clnn_tensor *sdy = filled(ctx, 2, 3, 16, 16, 1), *soverlap = NULL;
    CHECK_OK(ctx, clnn_tensor_fill(sx, 1));
    const char *fn = "clnn_batchnorm_backward";
    if (align < bytes) { /* a tensor can start inside another one */
        soverlap = sub_tensor(ctx, parent, align, &s_overlap);
        EXPECT_FAIL(ctx, INVAL, fn, clnn_batchnorm_backward(ctx, sx, sdy, NULL, mean3, inv3, 1, soverlap, NULL, NULL));
        test_expect_filled(ctx, "x under an overlapping dx", sx, 1);
    } else {
        test_skip("overlapping sub-buffers: the device's base address alignment is larger than a tensor");
    }
    CHECK_OK(ctx, clnn_batchnorm_backward(ctx, sx, sdy, NULL, mean3, inv3, 1, sdisjoint, NULL, NULL));
    clnn_tensor *all[] = {sx, sdy, soverlap, sdisjoint};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clReleaseMemObject(s_x);
    if (s_overlap) clReleaseMemObject(s_overlap);
    clReleaseMemObject(s_disjoint);
    clReleaseMemObject(parent);
}

int main(void)
{
    clnn_context *ctx = test_context();
    size_t c3 = 3;
    clnn_tensor *mean3 = NULL, *inv3 = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &c3, &mean3));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &c3, &inv3));
    CHECK_OK(ctx, clnn_tensor_fill(mean3, 0));
    CHECK_OK(ctx, clnn_tensor_fill(inv3, 1));
    attention_aliases(ctx);
    norm_backward_aliases(ctx, mean3, inv3);
    sub_buffer_aliases(ctx, mean3, inv3);
    clnn_tensor_release(mean3);
    clnn_tensor_release(inv3);
    clnn_context_release(ctx);
    return check_summary();
}
