/* Representation losses in double precision, straight from the papers'
 * formulas (the tests take finite differences of these values, so nothing
 * here uses a gradient formula of the library). Layouts as in
 * include/clnn/representations.h, row-major. */
#include "ref_representations.h"

#include <math.h>
#include <stdlib.h>

/* mean and unbiased variance of column j of z [n, d], two-pass */
static void column_moments(const double *z, size_t n, size_t d, size_t j, double *mean, double *var)
{
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < n; i++) m += z[i * d + j];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) v += (z[i * d + j] - m) * (z[i * d + j] - m);
    *mean = m;
    *var = v / (double)(n - 1);
}

double ref_vicreg_variance(const double *z, size_t n, size_t d, double gamma, double eps)
{
    double sum = 0.0;
    for (size_t j = 0; j < d; j++) {
        double mean, var;
        column_moments(z, n, d, j, &mean, &var);
        double hinge = gamma - sqrt(var + eps);
        sum += hinge > 0.0 ? hinge : 0.0;
    }
    return sum / (double)d;
}

double ref_vicreg_covariance(const double *z, size_t n, size_t d)
{
    double *mean = malloc(d * sizeof *mean), sum = 0.0;
    if (!mean) return NAN;
    for (size_t j = 0; j < d; j++) {
        double var;
        column_moments(z, n, d, j, &mean[j], &var);
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            if (a == b) continue;
            double c = 0.0;
            for (size_t i = 0; i < n; i++) c += (z[i * d + a] - mean[a]) * (z[i * d + b] - mean[b]);
            c /= (double)(n - 1);
            sum += c * c;
        }
    free(mean);
    return sum / (double)d;
}

double ref_vicreg_invariance(const double *z, const double *z2, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) sum += (z[i] - z2[i]) * (z[i] - z2[i]);
    return sum / (double)count;
}

double ref_vicreg_loss(const double *z, const double *z2, size_t n, size_t d, double lambda, double mu, double nu,
                       double gamma, double eps)
{
    return lambda * ref_vicreg_invariance(z, z2, n * d) +
           mu * (ref_vicreg_variance(z, n, d, gamma, eps) + ref_vicreg_variance(z2, n, d, gamma, eps)) +
           nu * (ref_vicreg_covariance(z, n, d) + ref_vicreg_covariance(z2, n, d));
}

double ref_center_loss(const double *x, const int32_t *labels, const double *centers, size_t n, size_t d, size_t k,
                       int mean)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || (size_t)labels[i] >= k) return NAN;
        const double *c = centers + (size_t)labels[i] * d;
        for (size_t j = 0; j < d; j++) sum += 0.5 * (x[i * d + j] - c[j]) * (x[i * d + j] - c[j]);
    }
    return mean ? sum / (double)n : sum;
}

void ref_center_update(const double *x, const int32_t *labels, size_t n, size_t d, size_t k, double alpha,
                       double *centers)
{
    for (size_t c = 0; c < k; c++) {
        size_t count = 0;
        for (size_t i = 0; i < n; i++) count += labels[i] == (int32_t)c;
        for (size_t j = 0; j < d; j++) {
            double delta = 0.0;
            for (size_t i = 0; i < n; i++)
                if (labels[i] == (int32_t)c) delta += centers[c * d + j] - x[i * d + j];
            centers[c * d + j] -= alpha * delta / (1.0 + (double)count);
        }
    }
}

double ref_huber(const double *p, const double *t, size_t count, double delta, int mean)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double r = fabs(p[i] - t[i]);
        sum += r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta);
    }
    return mean ? sum / (double)count : sum;
}

double ref_pseudo_huber(const double *p, const double *t, size_t rows, size_t cols, double c, int mean)
{
    double sum = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double q = 0.0;
        for (size_t j = 0; j < cols; j++) q += (p[r * cols + j] - t[r * cols + j]) * (p[r * cols + j] - t[r * cols + j]);
        sum += sqrt(q + c * c) - c;
    }
    return mean ? sum / (double)rows : sum;
}

/* log of the sum of exp(v[k * stride]) over k < len */
static double lse(const double *v, size_t len, size_t stride)
{
    double m = -INFINITY, s = 0.0;
    for (size_t k = 0; k < len; k++) m = v[k * stride] > m ? v[k * stride] : m;
    for (size_t k = 0; k < len; k++) s += exp(v[k * stride] - m);
    return m + log(s);
}

/* The classic matrix form (normalize the rows of log P to log 1, then the
 * columns to log(N/M)), not the potentials of the library. */
void ref_sinkhorn(const double *s, size_t batch, size_t n, size_t m, double tau, unsigned iters, double *p)
{
    double log_b = log((double)n / (double)m);
    for (size_t b = 0; b < batch; b++) {
        double *l = p + b * n * m;
        for (size_t e = 0; e < n * m; e++) l[e] = s[b * n * m + e] / tau;
        for (unsigned t = 0; t < iters; t++) {
            for (size_t i = 0; i < n; i++) {
                double v = lse(l + i * m, m, 1);
                for (size_t j = 0; j < m; j++) l[i * m + j] -= v;
            }
            for (size_t j = 0; j < m; j++) {
                double v = lse(l + j, n, m) - log_b;
                for (size_t i = 0; i < n; i++) l[i * m + j] -= v;
            }
        }
        for (size_t e = 0; e < n * m; e++) l[e] = exp(l[e]);
    }
}
