/* Output regularizers in double precision, one row at a time, straight from
 * the definitions: probabilities first, then the sums of p log p terms
 * (the tests take finite differences of these, so they use no gradient
 * formula of the library). */
#include "ref.h"

#include <math.h>
#include <stdlib.h>

double ref_out_lse(const double *z, size_t c)
{
    double m = -INFINITY, s = 0.0;
    for (size_t j = 0; j < c; j++) m = z[j] > m ? z[j] : m;
    for (size_t j = 0; j < c; j++) s += exp(z[j] - m);
    return m + log(s);
}

double ref_out_entropy(const double *z, size_t c)
{
    double lse = ref_out_lse(z, c), h = 0.0;
    for (size_t j = 0; j < c; j++) {
        double lp = (z[j] - lse);
        h -= exp(lp) * lp;
    }
    return h;
}

double ref_out_kl(const double *zp, const double *zq, size_t c)
{
    double lp_sum = ref_out_lse(zp, c), lq_sum = ref_out_lse(zq, c), kl = 0.0;
    for (size_t j = 0; j < c; j++) {
        double lp = (zp[j] - lp_sum), lq = (zq[j] - lq_sum);
        kl += exp(lp) * (lp - lq);
    }
    return kl;
}

double ref_out_js(const double *zp, const double *zq, size_t c)
{
    double lp_sum = ref_out_lse(zp, c), lq_sum = ref_out_lse(zq, c), js = 0.0;
    for (size_t j = 0; j < c; j++) {
        double p = exp((zp[j] - lp_sum)), q = exp((zq[j] - lq_sum)), m = 0.5 * (p + q);
        if (p > 0.0) js += 0.5 * p * log(p / m);
        if (q > 0.0) js += 0.5 * q * log(q / m);
    }
    return js;
}

static double stablemax_s(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }

void ref_out_stablemax(const double *x, size_t c, double *y)
{
    double total = 0.0;
    for (size_t j = 0; j < c; j++) total += stablemax_s(x[j]);
    for (size_t j = 0; j < c; j++) y[j] = stablemax_s(x[j]) / total;
}

double ref_out_stablemax_ce(const double *x, size_t c, int label)
{
    double *y = malloc(c * sizeof *y);
    if (!y) return NAN;
    ref_out_stablemax(x, c, y);
    double loss = -log(y[label]);
    free(y);
    return loss;
}

void ref_out_mix(const double *y, const double *p, size_t c, double alpha, double *t)
{
    for (size_t j = 0; j < c; j++) t[j] = (1.0 - alpha) * y[j] + alpha * p[j];
}

double ref_out_prob_entropy(const double *p, size_t c)
{
    double h = 0.0;
    for (size_t j = 0; j < c; j++)
        if (p[j] != 0.0) h -= p[j] * log(p[j]);
    return h;
}
