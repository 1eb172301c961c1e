/* IsoScore* (clnn_isoscore_penalty, include/clnn/representations.h) against
 * double code from the definition: the unbiased covariance, its shrunk form
 * with a target c0, ι* = (t²/f − 1)/(d − 1) from the trace and the
 * Frobenius norm, the penalty λ(1 − ι*), and dz against central differences
 * of that code. Isotropic and strongly anisotropic batches (ι* near 1 and
 * near 0), d = 2, 7 and 70 (d² > 256 lanes of the sum), shrinkage 0 and
 * 0.3; the same bits for forced local sizes of the sum; bad input refused
 * with the outputs unchanged. */
#include "check.h"

#include <math.h>

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* λ(1 − ι*) of z [n, d] in double, C = (1 − ζ)Σ + ζ c0. */
static double ref_penalty(const double *z, size_t n, size_t d, const double *c0, double zeta, double lambda)
{
    double *mean = calloc(d, sizeof *mean), t = 0.0, f = 0.0;
    REQUIRE(mean, "host memory");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += z[i * d + j] / (double)n;
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++) s += (z[i * d + a] - mean[a]) * (z[i * d + b] - mean[b]);
            double c = (1.0 - zeta) * s / (double)(n - 1) + (c0 ? zeta * c0[a * d + b] : 0.0);
            f += c * c;
            if (a == b) t += c;
        }
    free(mean);
    return lambda * (1.0 - (t * t / f - 1.0) / (double)(d - 1));
}

static void check_case(clnn_context *ctx, size_t n, size_t d, int anisotropic, float zeta, float lambda)
{
    const size_t count = n * d;
    float *z = malloc(count * sizeof *z), *c0 = malloc(d * d * sizeof *c0);
    double *zd = malloc(count * sizeof *zd), *c0d = malloc(d * d * sizeof *c0d), *fd = malloc(count * sizeof *fd);
    REQUIRE(z && c0 && zd && c0d && fd, "host memory");
    test_fill_uniform(z, count, (unsigned)(n * 3 + d), -1.0f, 1.0f);
    if (anisotropic) /* most variance along the first dimension */
        for (size_t i = 0; i < n; i++) z[i * d] *= 10.0f;
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) c0[a * d + b] = a == b ? 0.5f : 0.05f;
    for (size_t i = 0; i < count; i++) zd[i] = z[i];
    for (size_t i = 0; i < d * d; i++) c0d[i] = c0[i];
    const double *c0p = zeta > 0.0f ? c0d : NULL;
    size_t shape[2] = {n, d}, cshape[2] = {d, d};
    clnn_tensor *tz = test_tensor_from(ctx, 2, shape, z), *tc0 = test_tensor_from(ctx, 2, cshape, c0);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f), *dz = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    CHECK_OK(ctx, clnn_isoscore_penalty(ctx, tz, zeta > 0.0f ? tc0 : NULL, zeta, lambda, loss, dz));
    float *v = test_download(ctx, loss), *g = test_download(ctx, dz);
    char what[96];
    snprintf(what, sizeof what, "IsoScore* %zux%zu%s zeta %g", n, d, anisotropic ? " anisotropic" : "", (double)zeta);
    const double want = ref_penalty(zd, n, d, c0p, zeta, lambda);
    CHECK(fabs(v[0] - want) <= 1e-5 * (1.0 + fabs(want)), "%s: penalty %.9g, reference %.9g", what, (double)v[0],
          want);
    double big = 0.0;
    for (size_t i = 0; i < count; i++) {
        const double x0 = zd[i], h = 1e-5;
        zd[i] = x0 + h;
        const double up = ref_penalty(zd, n, d, c0p, zeta, lambda);
        zd[i] = x0 - h;
        const double down = ref_penalty(zd, n, d, c0p, zeta, lambda);
        zd[i] = x0;
        fd[i] = (up - down) / (2 * h);
        big = fmax(big, fabs(fd[i]));
    }
    const double e = test_max_rel_error(g, fd, count, 1e-6 + 1e-4 * big, 1e-3);
    CHECK(e <= 1.0, "%s: dz vs finite differences: error %.3g of tolerance", what, e);
    const size_t locals[] = {1, 3, 64, 256};
    for (size_t i = 0; i < 4; i++) {
        clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
        if (clnn_tune_force(ctx, "representations.isoscore_stats", &cfg) != CLNN_OK) {
            test_skip("representations.isoscore_stats with a local size that does not fit this device");
            continue;
        }
        CHECK_OK(ctx, clnn_isoscore_penalty(ctx, tz, zeta > 0.0f ? tc0 : NULL, zeta, lambda, loss, dz));
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        float *v2 = test_download(ctx, loss), *g2 = test_download(ctx, dz);
        CHECK(same_bits(v, v2, 1) && same_bits(g, g2, count), "%s: local size %zu changes bits", what, locals[i]);
        free(v2), free(g2);
    }
    free(z), free(c0), free(zd), free(c0d), free(fd), free(v), free(g);
    clnn_tensor_release(tz), clnn_tensor_release(tc0), clnn_tensor_release(loss), clnn_tensor_release(dz);
}

static void check_errors(clnn_context *ctx)
{
    const char *fn = "clnn_isoscore_penalty";
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.5f), *one_row = test_filled(ctx, CLNN_FLOAT32, 1, 3, 0.0f);
    clnn_tensor *c0 = test_filled(ctx, CLNN_FLOAT32, 3, 3, 0.0f), *bad_c0 = test_filled(ctx, CLNN_FLOAT32, 2, 2, 0.0f);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f), *dz = test_filled(ctx, CLNN_FLOAT32, 4, 3, -7.0f);
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_isoscore_penalty(ctx, one_row, NULL, 0.0f, 1.0f, loss, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_isoscore_penalty(ctx, z, NULL, 0.5f, 1.0f, loss, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_isoscore_penalty(ctx, z, c0, 1.5f, 1.0f, loss, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_isoscore_penalty(ctx, z, bad_c0, 0.5f, 1.0f, loss, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_isoscore_penalty(ctx, z, NULL, 0.0f, NAN, loss, dz));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_isoscore_penalty(ctx, z, NULL, 0.0f, 1.0f, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_isoscore_penalty(ctx, z, NULL, 0.0f, 1.0f, loss, z));
    test_expect_filled(ctx, "loss", loss, -7.0f);
    test_expect_filled(ctx, "dz", dz, -7.0f);
    clnn_tensor_release(z), clnn_tensor_release(one_row), clnn_tensor_release(c0), clnn_tensor_release(bad_c0);
    clnn_tensor_release(loss), clnn_tensor_release(dz);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_case(ctx, 5, 2, 0, 0.0f, 1.0f);
    check_case(ctx, 16, 7, 0, 0.0f, 0.5f);
    check_case(ctx, 16, 7, 1, 0.3f, 0.5f);
    check_case(ctx, 33, 7, 1, 0.0f, -1.0f);
    if (!test_small()) check_case(ctx, 40, 70, 1, 0.3f, 1.0f);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
