/* Batch norm and layer norm references in double, from the formulas of
 * Ioffe & Szegedy (2015) and Ba, Kiros & Hinton (2016). */
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>

/* Element i of channel c of [N, C, HW]. */
static size_t bn_at(int C, int HW, int c, int i)
{
    return ((size_t)(i / HW) * C + c) * HW + i % HW;
}

static void channel_stats(int N, int C, int HW, const double *x, int c, double *mean, double *var)
{
    int M = N * HW;
    double s = 0, s2 = 0;
    for (int i = 0; i < M; i++) s += x[bn_at(C, HW, c, i)];
    *mean = s / M;
    for (int i = 0; i < M; i++) {
        double d = x[bn_at(C, HW, c, i)] - *mean;
        s2 += d * d;
    }
    *var = s2 / M;
}

void ref_batchnorm_forward(int N, int C, int HW, const double *x, const double *gamma, const double *beta,
                           double *running_mean, double *running_var, int training, double momentum, double eps,
                           double *y)
{
    int M = N * HW;
    for (int c = 0; c < C; c++) {
        double mean, var;
        if (training) {
            channel_stats(N, C, HW, x, c, &mean, &var);
            if (running_mean) {
                running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean;
                running_var[c] = (1 - momentum) * running_var[c] + momentum * var * M / (M - 1);
            }
        } else {
            mean = running_mean[c];
            var = running_var[c];
        }
        for (int i = 0; i < M; i++) {
            size_t a = bn_at(C, HW, c, i);
            double xh = (x[a] - mean) / sqrt(var + eps);
            y[a] = gamma ? gamma[c] * xh + beta[c] : xh;
        }
    }
}

void ref_batchnorm_backward(int N, int C, int HW, const double *x, const double *dy, const double *gamma,
                            const double *running_var, int training, double eps, double *dx, double *dgamma,
                            double *dbeta)
{
    int M = N * HW;
    for (int c = 0; c < C; c++) {
        double mean, var, sdy = 0, sdyx = 0, g = gamma ? gamma[c] : 1.0;
        channel_stats(N, C, HW, x, c, &mean, &var);
        if (!training) var = running_var[c]; /* mean is irrelevant below when not training */
        double inv = 1 / sqrt(var + eps);
        for (int i = 0; i < M; i++) {
            size_t a = bn_at(C, HW, c, i);
            sdy += dy[a];
            sdyx += dy[a] * (x[a] - mean) * inv;
        }
        for (int i = 0; i < M; i++) {
            size_t a = bn_at(C, HW, c, i);
            double xh = (x[a] - mean) * inv;
            dx[a] = training ? g * inv * (dy[a] - sdy / M - xh * sdyx / M) : g * inv * dy[a];
        }
        if (dgamma) dgamma[c] = sdyx; /* training only: the caller compares dgamma in that mode */
        if (dbeta) dbeta[c] = sdy;
    }
}

void ref_layernorm_forward(int M, int D, const double *x, const double *gamma, const double *beta, double eps,
                           double *y)
{
    ref_batchnorm_forward(1, M, D, x, NULL, NULL, NULL, NULL, 1, 0, eps, y); /* a row = a channel of [1, M, D] */
    if (gamma)
        for (size_t i = 0; i < (size_t)M * D; i++) y[i] = gamma[i % D] * y[i] + beta[i % D];
}

void ref_layernorm_backward(int M, int D, const double *x, const double *dy, const double *gamma, double eps,
                            double *dx, double *dgamma, double *dbeta)
{
    for (int d = 0; d < D; d++) dgamma[d] = dbeta[d] = 0;
    for (int r = 0; r < M; r++) {
        const double *xr = x + (size_t)r * D, *dyr = dy + (size_t)r * D;
        double mean = 0, var = 0;
        for (int d = 0; d < D; d++) mean += xr[d];
        mean /= D;
        for (int d = 0; d < D; d++) var += (xr[d] - mean) * (xr[d] - mean);
        double inv = 1 / sqrt(var / D + eps), s1 = 0, s2 = 0;
        for (int d = 0; d < D; d++) {
            double gdy = (gamma ? gamma[d] : 1.0) * dyr[d];
            s1 += gdy;
            s2 += gdy * (xr[d] - mean) * inv;
            dgamma[d] += dyr[d] * (xr[d] - mean) * inv;
            dbeta[d] += dyr[d];
        }
        for (int d = 0; d < D; d++) {
            double gdy = (gamma ? gamma[d] : 1.0) * dyr[d];
            dx[(size_t)r * D + d] = inv * (gdy - s1 / D - (xr[d] - mean) * inv * s2 / D);
        }
    }
}
