/* Activations forward and backward against the double-precision reference
 * (tests/ref/ref_layers.c) on sizes 1, 7, 257 (not a multiple of any local
 * size) and 2^20 + 7; the backward pass against central finite differences
 * of the reference forward. PReLU (per channel and shared) and softplus with
 * beta and threshold likewise, and their refusals. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static const char *names[] = {"none", "relu",     "leaky_relu", "elu",         "gelu",      "gelu_tanh", "silu", "sigmoid",
                              "tanh", "softplus", "relu6",      "hardsigmoid", "hardswish", "selu",      "mish"};
_Static_assert(sizeof names / sizeof names[0] == CLNN_ACT_LAST + 1, "a name per activation");
/* alpha per function: the slope of leaky relu, the alpha of elu, else unused */
static float alpha_of(int act) { return act == CLNN_ACT_LEAKY_RELU ? 0.1f : act == CLNN_ACT_ELU ? 1.3f : 0.0f; }

static void check_act(clnn_context *ctx, int act, size_t n)
{
    float alpha = alpha_of(act);
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy);
    double *want = malloc(n * sizeof *want);
    REQUIRE(x && dy && want, "host memory");
    test_fill_uniform(x, n, (unsigned)(n * 31 + act), -6.0f, 6.0f);
    /* keep x 1e-3 away from the kinks (relu, leaky relu, elu and relu6 at 0,
     * relu6 at 6, hardsigmoid and hardswish at -3 and 3) so that the finite
     * differences never straddle one */
    static const float kinks[] = {-3.0f, 0.0f, 3.0f, 6.0f};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof kinks / sizeof kinks[0]; k++)
            if (fabsf(x[i] - kinks[k]) < 1e-3f) x[i] = kinks[k] + (x[i] < kinks[k] ? -1e-3f : 1e-3f);
    test_fill_uniform(dy, n, (unsigned)(n * 17 + act), -1.0f, 1.0f);
    clnn_tensor *tx = test_tensor_from(ctx, 1, &n, x), *tdy = test_tensor_from(ctx, 1, &n, dy), *ty = NULL,
                *tdx = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &ty));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &tdx));

    /* forward: fp32 erf/exp/tanh are within 16 ulp (OpenCL 1.2 precision
     * table), a few more roundings follow: rtol 1e-5; atol 1e-6 covers the
     * cancellation in 1 + tanh(.) / 1 + erf(.) for x near -6, where the result
     * is about 1e-7 but its fp32 error is an ulp of 1. */
    CHECK_OK(ctx, clnn_activation_forward(ctx, tx, (clnn_activation)act, alpha, ty));
    float *y = test_download(ctx, ty);
    for (size_t i = 0; i < n; i++) want[i] = ref_act(act, alpha, x[i]);
    double e = test_max_rel_error(y, want, n, 1e-6, 1e-5);
    CHECK(e <= 1, "%s forward n=%zu: error %.3g of tolerance", names[act], n, e);

    /* backward against central differences of the double reference, step
     * h = 1e-5: truncation h^2 f''' / 6 < 1e-9, rounding 1e-16 / h = 1e-11,
     * far below fp32 noise. The device derivative is fp32 with the same
     * transcendental error as forward: rtol 1e-5, atol 2e-6. */
    CHECK_OK(ctx, clnn_activation_backward(ctx, tx, tdy, (clnn_activation)act, alpha, tdx));
    float *dx = test_download(ctx, tdx);
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++)
        want[i] = dy[i] * (ref_act(act, alpha, x[i] + h) - ref_act(act, alpha, x[i] - h)) / (2 * h);
    e = test_max_rel_error(dx, want, n, 2e-6, 1e-5);
    CHECK(e <= 1, "%s backward n=%zu: error %.3g of tolerance", names[act], n, e);

    /* in place: y = f(y) and dx = dy * f'(x) into dy give the same bits */
    if (n == 257) {
        CHECK_OK(ctx, clnn_tensor_copy(ty, tx));
        CHECK_OK(ctx, clnn_activation_forward(ctx, ty, (clnn_activation)act, alpha, ty));
        float *y2 = test_download(ctx, ty);
        CHECK(memcmp(y, y2, n * sizeof *y) == 0, "%s forward in place differs", names[act]);
        CHECK_OK(ctx, clnn_activation_backward(ctx, tx, tdy, (clnn_activation)act, alpha, tdy));
        float *dx2 = test_download(ctx, tdy);
        CHECK(memcmp(dx, dx2, n * sizeof *dx) == 0, "%s backward in place differs", names[act]);
        free(y2);
        free(dx2);
    }
    free(y);
    free(dx);
    clnn_tensor_release(tx);
    clnn_tensor_release(tdy);
    clnn_tensor_release(ty);
    clnn_tensor_release(tdx);
    free(x);
    free(dy);
    free(want);
}

/* Large arguments: no overflow to inf or NaN in sigmoid, silu, softplus, gelu. */
static void check_extremes(clnn_context *ctx)
{
    float x[] = {-1e4f, -100.0f, -30.0f, 30.0f, 100.0f, 1e4f};
    size_t n = sizeof x / sizeof x[0];
    clnn_tensor *tx = test_tensor_from(ctx, 1, &n, x), *ty = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &ty));
    for (int act = 0; act <= CLNN_ACT_LAST; act++) {
        float alpha = alpha_of(act);
        double want[6];
        CHECK_OK(ctx, clnn_activation_forward(ctx, tx, (clnn_activation)act, alpha, ty));
        float *y = test_download(ctx, ty);
        for (size_t i = 0; i < n; i++) want[i] = ref_act(act, alpha, x[i]);
        double e = test_max_rel_error(y, want, n, 1e-6, 1e-5);
        CHECK(e <= 1, "%s at large |x|: error %.3g of tolerance", names[act], e);
        CHECK_OK(ctx, clnn_activation_backward(ctx, tx, tx, (clnn_activation)act, alpha, ty));
        float *d = test_download(ctx, ty);
        for (size_t i = 0; i < n; i++) want[i] = x[i] * ref_act_derivative(act, alpha, x[i]);
        e = test_max_rel_error(d, want, n, 1e-6, 1e-5);
        CHECK(e <= 1, "%s derivative at large |x|: error %.3g of tolerance", names[act], e);
        free(y);
        free(d);
    }
    clnn_tensor_release(tx);
    clnn_tensor_release(ty);
}

/* PReLU on x of `shape` with `channels` weights (1: shared): y, dx and
 * dweight against the definition in double, dx also against central
 * differences; dweight is linear in w, so its definition is its derivative. */
static void check_prelu(clnn_context *ctx, int ndim, const size_t *shape, size_t channels)
{
    size_t n = 1, inner = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    for (int d = 2; d < ndim && channels > 1; d++) inner *= shape[d];
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy), w[16];
    double *want = malloc(n * sizeof *want), dw_want[16] = {0};
    REQUIRE(x && dy && want && channels <= 16, "host memory");
    test_fill_uniform(x, n, (unsigned)n, -3.0f, 3.0f);
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) < 1e-3f) x[i] = 1e-3f; /* away from the kink */
    test_fill_uniform(dy, n, (unsigned)n + 1, -1.0f, 1.0f);
    test_fill_uniform(w, channels, (unsigned)channels, -0.5f, 0.5f);
    clnn_tensor *tx = test_tensor_from(ctx, ndim, shape, x), *tdy = test_tensor_from(ctx, ndim, shape, dy);
    clnn_tensor *tw = test_tensor_from(ctx, 1, &channels, w), *ty = NULL, *tdx = NULL, *tdw = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &ty));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &tdx));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &channels, &tdw));
    CHECK_OK(ctx, clnn_prelu_forward(ctx, tx, tw, ty));
    CHECK_OK(ctx, clnn_prelu_backward(ctx, tx, tw, tdy, tdx, tdw));
    float *y = test_download(ctx, ty), *dx = test_download(ctx, tdx), *dw = test_download(ctx, tdw);
    for (size_t i = 0; i < n; i++) {
        const size_t c = channels > 1 ? i / inner % channels : 0;
        want[i] = x[i] > 0 ? x[i] : (double)w[c] * x[i];
        if (x[i] <= 0) dw_want[c] += (double)x[i] * dy[i];
    }
    double e = test_max_rel_error(y, want, n, 1e-7, 1e-6);
    CHECK(e <= 1, "prelu forward n=%zu C=%zu: error %.3g of tolerance", n, channels, e);
    const double h = 1e-4;
    for (size_t i = 0; i < n; i++) {
        const size_t c = channels > 1 ? i / inner % channels : 0;
        const double xp = x[i] + h, xm = x[i] - h;
        want[i] = dy[i] * ((xp > 0 ? xp : w[c] * xp) - (xm > 0 ? xm : w[c] * xm)) / (2 * h);
    }
    e = test_max_rel_error(dx, want, n, 1e-6, 1e-5);
    CHECK(e <= 1, "prelu backward dx n=%zu C=%zu: error %.3g of tolerance", n, channels, e);
    /* a sum of up to n / C fp32 products: rtol 1e-5 plus n * 1e-7 absolute */
    e = test_max_rel_error(dw, dw_want, channels, 1e-7 * (double)n, 1e-5);
    CHECK(e <= 1, "prelu backward dweight n=%zu C=%zu: error %.3g of tolerance", n, channels, e);
    /* one gradient alone gives the same bits; dx in place over dy */
    CHECK_OK(ctx, clnn_prelu_backward(ctx, tx, tw, tdy, NULL, tdw));
    float *dw2 = test_download(ctx, tdw);
    CHECK(memcmp(dw, dw2, channels * sizeof *dw) == 0, "prelu dweight alone differs (C=%zu)", channels);
    CHECK_OK(ctx, clnn_prelu_backward(ctx, tx, tw, tdy, tdy, NULL));
    float *dx2 = test_download(ctx, tdy);
    CHECK(memcmp(dx, dx2, n * sizeof *dx) == 0, "prelu dx in place over dy differs (C=%zu)", channels);
    free(y), free(dx), free(dw), free(dw2), free(dx2), free(x), free(dy), free(want);
    clnn_tensor_release(tx), clnn_tensor_release(tdy), clnn_tensor_release(tw);
    clnn_tensor_release(ty), clnn_tensor_release(tdx), clnn_tensor_release(tdw);
}

/* Bad PReLU and softplus calls fail with the function's name and leave
 * their outputs alone. */
static void check_param_errors(clnn_context *ctx)
{
    const size_t shape[3] = {2, 3, 4}, three = 3, two = 2, n = 24;
    float x[24], w[3] = {0.1f, 0.2f, 0.3f}, sentinel[24];
    for (size_t i = 0; i < n; i++) x[i] = (float)i - 12.0f, sentinel[i] = 42.0f;
    clnn_tensor *tx = test_tensor_from(ctx, 3, shape, x), *tw = test_tensor_from(ctx, 1, &three, w);
    clnn_tensor *tw2 = test_tensor_from(ctx, 1, &two, w), *ty = test_tensor_from(ctx, 3, shape, sentinel);
    clnn_tensor *tdw = test_tensor_from(ctx, 1, &three, sentinel);
    const char *f = "clnn_prelu_forward", *b = "clnn_prelu_backward";
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_prelu_forward(ctx, tx, tw2, ty));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_prelu_forward(ctx, tx, tw, tw)); /* y not x's shape */
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, b, clnn_prelu_backward(ctx, tx, tw, tx, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, b, clnn_prelu_backward(ctx, tx, tw2, tx, ty, tdw));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, b, clnn_prelu_backward(ctx, tx, tw, tx, ty, tw));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_softplus_forward", clnn_softplus_forward(ctx, tx, 0.0f, 20.0f, ty));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_softplus_forward", clnn_softplus_forward(ctx, tx, 1.0f, NAN, ty));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_softplus_backward",
                clnn_softplus_backward(ctx, tx, tx, INFINITY, 20.0f, ty));
    float *y = test_download(ctx, ty), *dw = test_download(ctx, tdw);
    CHECK(memcmp(y, sentinel, n * sizeof *y) == 0 && memcmp(dw, sentinel, 3 * sizeof *dw) == 0,
          "a refused PReLU or softplus call wrote its output");
    free(y), free(dw);
    clnn_tensor_release(tx), clnn_tensor_release(tw), clnn_tensor_release(tw2), clnn_tensor_release(ty);
    clnn_tensor_release(tdw);
}

/* Softplus with beta and threshold against its definition in double, the
 * derivative against central differences (x kept 1e-3 from the switch to
 * the identity, where the function jumps by log1p(e^-threshold) / beta). */
static void check_softplus_param(clnn_context *ctx, float beta, float threshold, size_t n)
{
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy);
    double *want = malloc(n * sizeof *want);
    REQUIRE(x && dy && want, "host memory");
    test_fill_uniform(x, n, (unsigned)n + 5, -8.0f, 8.0f);
    const float edge = threshold / beta;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i] - edge) < 1e-3f) x[i] = edge + 1e-3f;
    test_fill_uniform(dy, n, (unsigned)n + 6, -1.0f, 1.0f);
    clnn_tensor *tx = test_tensor_from(ctx, 1, &n, x), *tdy = test_tensor_from(ctx, 1, &n, dy), *ty = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &ty));
    CHECK_OK(ctx, clnn_softplus_forward(ctx, tx, beta, threshold, ty));
    float *y = test_download(ctx, ty);
    for (size_t i = 0; i < n; i++) {
        const double bx = (double)beta * x[i];
        want[i] = bx > threshold ? x[i] : ref_act(CLNN_ACT_SOFTPLUS, 0, bx) / beta;
    }
    double e = test_max_rel_error(y, want, n, 1e-6, 1e-5);
    CHECK(e <= 1, "softplus(beta %g, threshold %g) forward: error %.3g of tolerance", beta, threshold, e);
    CHECK_OK(ctx, clnn_softplus_backward(ctx, tx, tdy, beta, threshold, ty));
    float *dx = test_download(ctx, ty);
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        const double bp = (double)beta * (x[i] + h), bm = (double)beta * (x[i] - h);
        const double fp = bp > threshold ? x[i] + h : ref_act(CLNN_ACT_SOFTPLUS, 0, bp) / beta;
        const double fm = bm > threshold ? x[i] - h : ref_act(CLNN_ACT_SOFTPLUS, 0, bm) / beta;
        want[i] = dy[i] * (fp - fm) / (2 * h);
    }
    e = test_max_rel_error(dx, want, n, 2e-6, 1e-5);
    CHECK(e <= 1, "softplus(beta %g, threshold %g) backward: error %.3g of tolerance", beta, threshold, e);
    free(y), free(dx), free(x), free(dy), free(want);
    clnn_tensor_release(tx), clnn_tensor_release(tdy), clnn_tensor_release(ty);
}

int main(void)
{
    clnn_context *ctx = test_context();
    static const size_t sizes[] = {1, 7, 257, 4099, ((size_t)1 << 20) + 7};
    for (int act = 0; act <= CLNN_ACT_LAST; act++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char what[64];
            snprintf(what, sizeof what, "activation %d on %zu elements", act, sizes[s]);
            if (sizes[s] < ((size_t)1 << 20) || test_large(what)) check_act(ctx, act, sizes[s]);
        }
    check_extremes(ctx);
    static const size_t nchw[4] = {3, 5, 4, 3}, rows[2] = {7, 5}, flat[1] = {257};
    check_prelu(ctx, 4, nchw, 5);
    check_prelu(ctx, 2, rows, 5);
    check_prelu(ctx, 1, flat, 1);
    check_prelu(ctx, 4, nchw, 1);
    check_softplus_param(ctx, 1.0f, 20.0f, 4099);
    check_softplus_param(ctx, 2.0f, 1.0f, 4099);
    check_softplus_param(ctx, 0.5f, INFINITY, 257);
    check_param_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
