/* Philox4x32-10: known-answer vectors from Random123, the library's host
 * generator against the independent reference, and the device's random fills
 * bit for bit against the host. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

int main(void)
{
    /* Known-answer tests (Random123 kat_vectors, philox4x32 10 rounds) */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e,
         0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb,
         0x5001e420, 0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        uint32_t out[4], ref[4];
        clnn_philox4x32_10(kat[v], kat[v] + 4, out);
        ref_philox4x32_10(kat[v], kat[v] + 4, ref);
        CHECK(memcmp(out, kat[v] + 6, sizeof out) == 0, "library KAT %d: %08x %08x %08x %08x", v, out[0], out[1],
              out[2], out[3]);
        CHECK(memcmp(ref, kat[v] + 6, sizeof ref) == 0, "reference KAT %d", v);
    }
    int same = 1;
    for (uint64_t i = 0; i < 100000; i += 7) same &= clnn_philox_word(42, 3, i * 1000003) == ref_philox_word(42, 3, i * 1000003);
    CHECK(same, "library words match the reference");

    clnn_context *ctx = test_context();
    const size_t sizes[] = {1, 7, 4099, 1000003};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        if (n > 100000 && !test_large("random uniform/normal fills of 1000003 elements")) continue;
        float *x = malloc(n * sizeof *x);
        clnn_tensor *t = NULL;
        CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
        CHECK_OK(ctx, clnn_tensor_random_uniform(t, 0x1234567890abcdefull, 5, -2.0f, 2.0f));
        CHECK_OK(ctx, clnn_tensor_download(t, x, n * sizeof *x));
        size_t bad = 0;
        double mean = 0;
        for (size_t i = 0; i < n; i++) {
            float want = -2.0f + 4.0f * ref_philox_uniform(0x1234567890abcdefull, 5, i);
            bad += x[i] != want;
            mean += x[i];
        }
        CHECK(bad == 0, "uniform: %zu of %zu differ from the host reference", bad, n);
        if (n > 100000) CHECK(fabs(mean / (double)n) < 0.01, "uniform mean %g", mean / (double)n);

        CHECK_OK(ctx, clnn_tensor_random_normal(t, 99, 1, 1.0f, 2.0f));
        CHECK_OK(ctx, clnn_tensor_download(t, x, n * sizeof *x));
        double worst = 0, m = 0, m2 = 0;
        for (size_t i = 0; i < n; i++) {
            double u1 = 1.0 - ref_philox_uniform(99, 1, 2 * (uint64_t)i), u2 = ref_philox_uniform(99, 1, 2 * (uint64_t)i + 1);
            double want = 1.0 + 2.0 * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
            double e = fabs(x[i] - want) / (1e-5 + 1e-5 * fabs(want));
            if (e > worst) worst = e;
            m += x[i];
            m2 += (double)x[i] * x[i];
        }
        /* log/cos in fp32 on the device: a few ulp of the result */
        CHECK(worst <= 1.0, "normal: worst error %g x (1e-5 + 1e-5|x|)", worst);
        if (n > 100000) {
            double mu = m / (double)n, var = m2 / (double)n - mu * mu;
            CHECK(fabs(mu - 1.0) < 0.01 && fabs(var - 4.0) < 0.04, "normal mean %g var %g", mu, var);
        }
        clnn_tensor_release(t);
        free(x);
    }
    clnn_tensor *t = NULL;
    size_t n = 4;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    CHECK(clnn_tensor_random_uniform(t, 1, 0, 2.0f, 1.0f) == CLNN_ERR_INVALID_ARGUMENT, "lo > hi");
    CHECK(clnn_tensor_random_normal(t, 1, 0, 0.0f, -1.0f) == CLNN_ERR_INVALID_ARGUMENT, "negative stddev");
    CHECK(clnn_tensor_random_normal(t, 1, 0, NAN, 1.0f) == CLNN_ERR_INVALID_ARGUMENT, "NaN mean");
    CHECK(clnn_tensor_random_uniform(NULL, 1, 0, 0.0f, 1.0f) == CLNN_ERR_INVALID_ARGUMENT, "NULL");
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    return check_summary();
}
