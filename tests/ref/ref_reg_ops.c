/* References for the gradient operations, spectral norm, pruning masks and
 * fake quantization, written from the papers' definitions in double
 * precision, independent of src/reg and cl/. */
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>

static double norm_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

double ref_power_iteration(const double *w, size_t rows, size_t cols, unsigned iters, double *u, double *v)
{
    double sigma = 0;
    for (unsigned it = 0; it < iters; it++) {
        for (size_t c = 0; c < cols; c++) {
            v[c] = 0;
            for (size_t r = 0; r < rows; r++) v[c] += w[r * cols + c] * u[r];
        }
        double nv = norm_of(v, cols);
        for (size_t c = 0; c < cols; c++) v[c] /= nv + 1e-12;
        for (size_t r = 0; r < rows; r++) {
            u[r] = 0;
            for (size_t c = 0; c < cols; c++) u[r] += w[r * cols + c] * v[c];
        }
        sigma = norm_of(u, rows);
        for (size_t r = 0; r < rows; r++) u[r] /= sigma + 1e-12;
    }
    return sigma;
}

/* Sorting by magnitude, larger first, then by index. */
typedef struct ranked {
    double mag;
    size_t index;
} ranked;

static int by_magnitude(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->mag != y->mag) return x->mag > y->mag ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void keep_largest(const float *w, size_t n, size_t k, float *mask)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) abort();
    for (size_t i = 0; i < n; i++) r[i] = (ranked){fabs((double)w[i]), i}, mask[i] = 0.0f;
    qsort(r, n, sizeof *r, by_magnitude);
    for (size_t i = 0; i < k && i < n; i++) mask[r[i].index] = 1.0f;
    free(r);
}

void ref_topk_mask(const float *w, size_t n, size_t k, float *mask)
{
    keep_largest(w, n, k, mask);
}

void ref_nm_mask(const float *w, size_t n, unsigned keep, unsigned m, float *mask)
{
    for (size_t g = 0; g + m <= n; g += m) keep_largest(w + g, m, keep, mask + g);
}

/* The 6 patterns keeping 2 of 4, in lexicographic order of the kept pair. */
static const int pairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};

void ref_maskllm(const double *logits, size_t groups, double tau, int gumbel, uint64_t seed, uint32_t stream,
                 double *mask, const double *dmask, double *dlogits)
{
    for (size_t g = 0; g < groups; g++) {
        double y[6], mx = -INFINITY, sum = 0;
        for (int k = 0; k < 6; k++) {
            double noise = 0;
            if (gumbel) {
                double u = ref_philox_uniform(seed, stream, 6 * (uint64_t)g + (uint64_t)k);
                if (u < 1.0 / 16777216.0) u = 1.0 / 16777216.0;
                noise = -log(-log(u));
            }
            y[k] = (logits[6 * g + k] + noise) / tau;
            if (y[k] > mx) mx = y[k];
        }
        for (int k = 0; k < 6; k++) sum += y[k] = exp(y[k] - mx);
        for (int k = 0; k < 6; k++) y[k] /= sum;
        for (int j = 0; j < 4; j++) mask[4 * g + j] = 0;
        for (int k = 0; k < 6; k++) mask[4 * g + pairs[k][0]] += y[k], mask[4 * g + pairs[k][1]] += y[k];
        if (!dmask) continue;
        /* d mask_j / d logit_k = p_k (P_kj − mask_j) / tau */
        for (int k = 0; k < 6; k++) {
            double d = 0;
            for (int j = 0; j < 4; j++) {
                double pkj = (pairs[k][0] == j || pairs[k][1] == j) ? 1.0 : 0.0;
                d += dmask[4 * g + j] * y[k] * (pkj - mask[4 * g + j]) / tau;
            }
            dlogits[6 * g + k] = d;
        }
    }
}

void ref_quant_range(int bits, int symmetric, double *qmin, double *qmax)
{
    if (symmetric) {
        *qmax = pow(2, bits - 1) - 1;
        *qmin = -*qmax;
    } else {
        *qmin = 0;
        *qmax = pow(2, bits) - 1;
    }
}

void ref_quant_params(const float *x, size_t n, size_t channels, int bits, int symmetric, double *scale,
                      double *zero)
{
    double qmin, qmax;
    ref_quant_range(bits, symmetric, &qmin, &qmax);
    size_t len = n / channels;
    for (size_t c = 0; c < channels; c++) {
        double lo = 0, hi = 0;
        for (size_t i = c * len; i < (c + 1) * len; i++) {
            if (x[i] < lo) lo = x[i];
            if (x[i] > hi) hi = x[i];
        }
        double s = symmetric ? fmax(-lo, hi) / qmax : (hi - lo) / (qmax - qmin);
        if (s == 0) s = 1;
        double z = symmetric ? 0 : nearbyint(qmin - lo / s);
        scale[c] = s;
        zero[c] = z < qmin ? qmin : z > qmax ? qmax : z;
    }
}
