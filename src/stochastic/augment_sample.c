/* Host samplers of the data augmentations, deterministic in the seed:
 * Beta(alpha, alpha) for Mixup/CutMix, permutations for pairing, the CutMix
 * box. The methods are documented in include/clnn/stochastic.h. */
#include "internal.h"

#include <math.h>

/* Draws uniforms in (0, 1) from consecutive Philox words of one stream. */
typedef struct draw_stream {
    uint64_t seed;
    uint64_t next;
} draw_stream;

static double open_uniform(draw_stream *d)
{
    uint32_t w = clnn_philox_word(d->seed, CLNN_STREAM_BETA, d->next++);
    return ((double)(w >> 8) + 0.5) / 16777216.0;
}

static double normal(draw_stream *d)
{
    double u1 = open_uniform(d), u2 = open_uniform(d);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* log of a Gamma(a, 1) sample, a >= 1 (Marsaglia & Tsang, ACM TOMS 2000);
 * returns 0 with *ok = 0 only after an absurd number of rejections. */
static double log_gamma_ge1(draw_stream *d, double a, int *ok)
{
    const double dd = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * dd);
    for (int tries = 0; tries < 10000; tries++) {
        double z, v;
        do {
            z = normal(d);
            v = 1.0 + c * z;
        } while (v <= 0.0);
        v = v * v * v;
        double u = open_uniform(d);
        if (u < 1.0 - 0.0331 * z * z * z * z || log(u) < 0.5 * z * z + dd * (1.0 - v + log(v))) {
            *ok = 1;
            return log(dd * v);
        }
    }
    *ok = 0;
    return 0.0;
}

/* log Gamma(a) sample for any a > 0: a < 1 boosts to a + 1 and multiplies by
 * u^(1/a), in logs so that tiny alphas do not underflow. */
static double log_gamma_sample(draw_stream *d, double a, int *ok)
{
    if (a >= 1.0) return log_gamma_ge1(d, a, ok);
    double g = log_gamma_ge1(d, a + 1.0, ok);
    return g + log(open_uniform(d)) / a;
}

clnn_status clnn_beta_sample(float alpha, uint64_t seed, float *lambda)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!lambda) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: lambda is NULL", fn);
    if (!clnn__is_finite(alpha) || alpha <= 0.0f)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: alpha = %g must be finite and > 0", fn,
                          (double)alpha);
    draw_stream d = {seed, 0};
    int ok_x = 0, ok_y = 0;
    double lx = log_gamma_sample(&d, alpha, &ok_x);
    double ly = log_gamma_sample(&d, alpha, &ok_y);
    if (!ok_x || !ok_y) return clnn__fail(NULL, CLNN_ERR_INTERNAL, "%s: the Gamma sampler did not accept", fn);
    /* X / (X + Y) = 1 / (1 + Y / X) */
    *lambda = (float)(1.0 / (1.0 + exp(ly - lx)));
    return CLNN_OK;
}

clnn_status clnn_permutation_sample(uint64_t seed, size_t n, int32_t *perm)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!perm) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: perm is NULL", fn);
    if (n == 0 || n > (size_t)INT32_MAX)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: n = %zu is outside [1, 2^31 - 1]", fn, n);
    for (size_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        uint64_t w = clnn_philox_word(seed, CLNN_STREAM_PERMUTATION, i);
        size_t j = (size_t)((w * (uint64_t)(i + 1)) >> 32);
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    return CLNN_OK;
}

/* clip(v, 0, hi) for a signed v. */
static size_t clip_index(long long v, size_t hi)
{
    return v < 0 ? 0 : (size_t)v > hi ? hi : (size_t)v;
}

clnn_status clnn_cutmix_sample_box(float lambda, size_t height, size_t width, uint64_t seed, clnn_box *box,
                                   float *lambda_adjusted)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!box || !lambda_adjusted)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, box ? "lambda_adjusted" : "box");
    if (!clnn__is_finite(lambda) || lambda < 0.0f || lambda > 1.0f)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: lambda = %g is outside [0, 1]", fn, (double)lambda);
    if (height == 0 || width == 0 || height > (size_t)INT32_MAX || width > (size_t)INT32_MAX)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: image %zu x %zu must be 1 .. 2^31 - 1 on each side",
                          fn, height, width);
    double cut = sqrt(1.0 - (double)lambda);
    long long cut_h = (long long)floor((double)height * cut), cut_w = (long long)floor((double)width * cut);
    /* exact floor(u * size) for the 24-bit uniform u */
    long long cy = (long long)(((uint64_t)(clnn_philox_word(seed, CLNN_STREAM_CUTMIX_BOX, 0) >> 8) * height) >> 24);
    long long cx = (long long)(((uint64_t)(clnn_philox_word(seed, CLNN_STREAM_CUTMIX_BOX, 1) >> 8) * width) >> 24);
    clnn_box b = {clip_index(cy - cut_h / 2, height), clip_index(cx - cut_w / 2, width),
                  clip_index(cy + cut_h / 2, height), clip_index(cx + cut_w / 2, width)};
    *box = b;
    *lambda_adjusted =
        (float)(1.0 - (double)(b.y1 - b.y0) * (double)(b.x1 - b.x0) / ((double)height * (double)width));
    return CLNN_OK;
}
