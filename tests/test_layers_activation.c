/* Activations forward and backward against the double-precision reference
 * (tests/ref/ref_layers.c) on sizes 1, 7, 257 (not a multiple of any local
 * size) and 2^20 + 7; the backward pass against central finite differences
 * of the reference forward. */
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
    clnn_context_release(ctx);
    return check_summary();
}
