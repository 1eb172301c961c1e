/* References for the stochastic regularizers and data augmentations, written
 * from the formulas in include/clnn/stochastic.h and the papers, in double
 * precision, drawing every random number through ref_philox_* (independent of
 * the library's generator). */
#include "ref.h"

#include <math.h>
#include <stdlib.h>

int ref_keep(uint64_t seed, uint32_t stream, uint64_t index, float p)
{
    return ref_philox_uniform(seed, stream, index) >= p;
}

void ref_group_mask(const float *in, size_t n, size_t group, uint64_t seed, uint32_t stream, float p, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = ref_keep(seed, stream, i / group, p) ? in[i] / (1.0 - p) : 0.0;
}

void ref_stochastic_depth(const float *x, const float *branch, size_t batch, size_t per_sample, uint64_t seed,
                          uint32_t stream, float p, double *y)
{
    for (size_t s = 0; s < batch; s++) {
        double m = ref_keep(seed, stream, s, p) ? 1.0 / (1.0 - p) : 0.0;
        for (size_t e = 0; e < per_sample; e++) y[s * per_sample + e] = x[s * per_sample + e] + m * branch[s * per_sample + e];
    }
}

void ref_mixout(const float *w, const float *w0, size_t n, uint64_t seed, uint32_t stream, float p, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double M = ref_keep(seed, stream, i, p) ? 1.0 : 0.0;
        out[i] = (M * w[i] + (1.0 - M) * w0[i] - (double)p * w0[i]) / (1.0 - p);
    }
}

double ref_box_muller(uint64_t seed, uint32_t stream, uint64_t i)
{
    double u1 = 1.0 - ref_philox_uniform(seed, stream, 2 * i), u2 = ref_philox_uniform(seed, stream, 2 * i + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void ref_noise(const float *x, size_t n, int kind, float scale, uint64_t seed, uint32_t stream, double *y)
{
    for (size_t i = 0; i < n; i++) {
        if (kind == 1) y[i] = x[i] + scale * (2.0 * ref_philox_uniform(seed, stream, i) - 1.0);
        else if (kind == 0) y[i] = x[i] + scale * ref_box_muller(seed, stream, i);
        else y[i] = x[i] * (1.0 + scale * ref_box_muller(seed, stream, i));
    }
}

/* Seeds on the valid region, each seed zeroes its b x b block (rows and
 * columns growing from the seed), then mask = keep * count / ones. */
void ref_dropblock(const float *x, size_t N, size_t C, size_t H, size_t W, size_t b, float keep_prob, uint64_t seed,
                   uint32_t stream, double *mask, double *y)
{
    size_t total = N * C * H * W, ones = 0;
    float gamma = (float)((1.0 - keep_prob) * (double)(H * W) /
                          ((double)(b * b) * (double)((H - b + 1) * (W - b + 1))));
    for (size_t i = 0; i < total; i++) mask[i] = 1.0;
    for (size_t plane = 0; plane < N * C; plane++)
        for (size_t r = 0; r + b <= H; r++)
            for (size_t c = 0; c + b <= W; c++) {
                size_t at = (plane * H + r) * W + c;
                if (!(ref_philox_uniform(seed, stream, at) < gamma)) continue;
                for (size_t dr = 0; dr < b; dr++)
                    for (size_t dc = 0; dc < b; dc++) mask[at + dr * W + dc] = 0.0;
            }
    for (size_t i = 0; i < total; i++) ones += mask[i] != 0.0;
    double scale = ones ? (double)total / (double)ones : 0.0;
    for (size_t i = 0; i < total; i++) {
        mask[i] *= scale;
        y[i] = x[i] * mask[i];
    }
}

/* ---- data */

typedef struct ref_draws {
    uint64_t seed;
    uint32_t stream;
    uint64_t k;
} ref_draws;

static double ref_open_uniform(ref_draws *d)
{
    return ((double)(ref_philox_word(d->seed, d->stream, d->k++) >> 8) + 0.5) / 16777216.0;
}

/* Marsaglia & Tsang (2000), "A simple method for generating gamma variables",
 * returning log X; shape < 1 via X = G(shape + 1) * U^(1/shape). */
static double ref_log_gamma(ref_draws *d, double shape)
{
    double boost = 0.0;
    int small = shape < 1.0;
    if (small) shape += 1.0;
    double dd = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * dd), result = 0.0;
    for (;;) {
        double z, v;
        do {
            double a = ref_open_uniform(d), bb = ref_open_uniform(d);
            z = sqrt(-2.0 * log(a)) * cos(6.283185307179586 * bb);
            v = 1.0 + c * z;
        } while (v <= 0.0);
        v = v * v * v;
        double u = ref_open_uniform(d);
        if (u < 1.0 - 0.0331 * pow(z, 4) || log(u) < 0.5 * z * z + dd * (1.0 - v + log(v))) {
            result = log(dd * v);
            break;
        }
    }
    if (small) boost = log(ref_open_uniform(d)) / (shape - 1.0);
    return result + boost;
}

double ref_beta_sample(double alpha, uint64_t seed, uint32_t stream)
{
    ref_draws d = {seed, stream, 0};
    double lx = ref_log_gamma(&d, alpha);
    double ly = ref_log_gamma(&d, alpha);
    return 1.0 / (1.0 + exp(ly - lx));
}

void ref_permutation(uint64_t seed, uint32_t stream, size_t n, int32_t *perm)
{
    for (size_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)(((uint64_t)ref_philox_word(seed, stream, i) * (i + 1)) >> 32);
        int32_t t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
    }
}

static long long clampll(long long v, long long hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

void ref_cutmix_box(double lambda, size_t H, size_t W, uint64_t seed, uint32_t stream, size_t box[4],
                    double *lambda_adjusted)
{
    long long ch = (long long)floor(H * sqrt(1.0 - lambda)), cw = (long long)floor(W * sqrt(1.0 - lambda));
    long long cy = (long long)floor(ref_philox_uniform(seed, stream, 0) * (double)H);
    long long cx = (long long)floor(ref_philox_uniform(seed, stream, 1) * (double)W);
    box[0] = (size_t)clampll(cy - ch / 2, (long long)H);
    box[1] = (size_t)clampll(cx - cw / 2, (long long)W);
    box[2] = (size_t)clampll(cy + ch / 2, (long long)H);
    box[3] = (size_t)clampll(cx + cw / 2, (long long)W);
    *lambda_adjusted = 1.0 - (double)((box[2] - box[0]) * (box[3] - box[1])) / (double)(H * W);
}

void ref_mixup(const float *x, size_t N, size_t F, const int32_t *perm, double lambda, double *y)
{
    for (size_t s = 0; s < N; s++)
        for (size_t e = 0; e < F; e++) y[s * F + e] = lambda * x[s * F + e] + (1.0 - lambda) * x[(size_t)perm[s] * F + e];
}

void ref_cutmix(const float *x, size_t N, size_t C, size_t H, size_t W, const int32_t *perm, const size_t box[4],
                double *y)
{
    size_t F = C * H * W;
    for (size_t s = 0; s < N; s++)
        for (size_t c = 0; c < C; c++)
            for (size_t h = 0; h < H; h++)
                for (size_t w = 0; w < W; w++) {
                    size_t e = (c * H + h) * W + w;
                    int inside = h >= box[0] && h < box[2] && w >= box[1] && w < box[3];
                    y[s * F + e] = inside ? x[(size_t)perm[s] * F + e] : x[s * F + e];
                }
}

void ref_cutout(const float *x, size_t N, size_t C, size_t H, size_t W, size_t side, uint64_t seed, uint32_t stream,
                double *y)
{
    size_t F = C * H * W;
    for (size_t s = 0; s < N; s++) {
        long long cy = (long long)floor(ref_philox_uniform(seed, stream, 2 * s) * (double)H);
        long long cx = (long long)floor(ref_philox_uniform(seed, stream, 2 * s + 1) * (double)W);
        long long r0 = cy - (long long)(side / 2), c0 = cx - (long long)(side / 2);
        for (size_t e = 0; e < F; e++) {
            long long h = (long long)((e / W) % H), w = (long long)(e % W);
            int inside = h >= r0 && h < r0 + (long long)side && w >= c0 && w < c0 + (long long)side;
            y[s * F + e] = inside ? 0.0 : x[s * F + e];
        }
    }
}

void ref_mix_labels(const int32_t *labels, const int32_t *perm, size_t N, size_t K, double lambda, double *t)
{
    for (size_t s = 0; s < N; s++)
        for (size_t k = 0; k < K; k++)
            t[s * K + k] = lambda * (labels[s] == (int32_t)k) + (1.0 - lambda) * (labels[perm[s]] == (int32_t)k);
}
