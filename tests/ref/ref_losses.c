/* Classification losses in double precision, from the definitions in the
 * papers (see ref_losses.h): probabilities first (softmax through the row's
 * log-sum-exp, sigmoid in its two stable forms), then each term literally
 * (RCE and MAE as sums over the classes, NCE and NFL as ratios of sums). */
#include "ref_losses.h"

#include <math.h>
#include <stdlib.h>

static double lse_of(const double *z, size_t c)
{
    double m = -INFINITY, s = 0.0;
    for (size_t j = 0; j < c; j++) m = z[j] > m ? z[j] : m;
    for (size_t j = 0; j < c; j++) s += exp(z[j] - m);
    return m + log(s);
}

/* -(1 - p)^g log p from log p */
static double focal_of(double logp, double g) { return -pow(-expm1(logp), g) * logp; }

double ref_loss_terms_row(const double *z, size_t c, int y, const ref_loss_terms *w)
{
    double lse = lse_of(z, c), lpy = z[y] - lse, py = exp(lpy), one_minus = -expm1(lpy);
    double sum_logp = 0.0, sum_fl = 0.0, sum_sq = 0.0, rce = 0.0, mae = 0.0;
    for (size_t j = 0; j < c; j++) {
        double lp = z[j] - lse, p = exp(lp), q = (int)j == y ? 1.0 : 0.0;
        sum_logp += lp;
        if (w->nfl) sum_fl += focal_of(lp, w->nfl_gamma);
        if ((int)j != y) sum_sq += z[j] * z[j];
        rce -= p * (q > 0.0 ? log(q) : w->rce_log_zero);
        mae += fabs(p - q);
    }
    double v = 0.0;
    if (w->ce) v += w->ce * -lpy;
    if (w->focal) v += w->focal * (w->alpha ? w->alpha[y] : 1.0) * focal_of(lpy, w->focal_gamma);
    if (w->poly) v += w->poly * pow(one_minus, w->focal_gamma + 1.0);
    if (w->sq) v += w->sq * sum_sq / (double)(c - 1);
    if (w->nce) v += w->nce * (-lpy) / (-sum_logp);
    if (w->rce) v += w->rce * rce;
    if (w->mae) v += w->mae * mae;
    if (w->gce) v += w->gce * (1.0 - pow(py, w->gce_q)) / w->gce_q;
    if (w->nfl) v += w->nfl * focal_of(lpy, w->nfl_gamma) / sum_fl;
    if (w->enc) { /* the paper's code: bonus log(max(1 - p, 1e-5)), tangent beyond log_end */
        double le = w->log_end, bonus = log(fmax(1.0 - py, 1e-5));
        if (le != 1.0 && py > le) bonus = (py - le) / (le - 1.0) + log(1.0 - le);
        v += w->enc * bonus;
    }
    return v;
}

/* log sigmoid(x) without overflow */
static double log_sigmoid(double x) { return x >= 0.0 ? -log1p(exp(-x)) : x - log1p(exp(x)); }

double ref_loss_asl_row(const double *z, const double *t, size_t c, double gamma_pos, double gamma_neg, double clip)
{
    double v = 0.0;
    for (size_t j = 0; j < c; j++) {
        double p = exp(log_sigmoid(z[j])), one_minus_p = exp(log_sigmoid(-z[j]));
        if (t[j] == 1.0) {
            v += -pow(one_minus_p, gamma_pos) * log_sigmoid(z[j]);
        } else {
            double pm = fmax(p - clip, 0.0);
            double log_1m = clip == 0.0 ? log_sigmoid(-z[j]) : log(fmin(one_minus_p + clip, 1.0));
            v += -pow(pm, gamma_neg) * log_1m;
        }
    }
    return v;
}

double ref_loss_spherical_z_row(const double *z, size_t c, int y, double a, double b, double eps)
{
    double mean = 0.0, var = 0.0;
    for (size_t j = 0; j < c; j++) mean += z[j];
    mean /= (double)c;
    for (size_t j = 0; j < c; j++) var += (z[j] - mean) * (z[j] - mean);
    var /= (double)c;
    double u = (z[y] - mean) / sqrt(var + eps), x = a * (b - u);
    double softplus = x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    return softplus / a;
}

void ref_loss_spherical_z_hidden(const double *h, const double *w, const double *bias, const int *labels, size_t n,
                                 size_t d, size_t c, double a, double b, double eps, double *values)
{
    double *o = malloc(c * sizeof *o);
    if (!o) abort();
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < c; j++) {
            double v = bias ? bias[j] : 0.0;
            for (size_t k = 0; k < d; k++) v += w[j * d + k] * h[r * d + k];
            o[j] = v;
        }
        values[r] = ref_loss_spherical_z_row(o, c, labels[r], a, b, eps);
    }
    free(o);
}

static double clamp_p(double p) { return p < 1e-4 ? 1e-4 : p > 1.0 - 1e-4 ? 1.0 - 1e-4 : p; }

double ref_loss_elr_fixed_row(const double *z, size_t c, int y, const double *t, double lambda)
{
    double lse = lse_of(z, c), dot = 0.0;
    for (size_t j = 0; j < c; j++) dot += t[j] * clamp_p(exp(z[j] - lse));
    return (y >= 0 ? -(z[y] - lse) : 0.0) + lambda * log(1.0 - dot);
}

double ref_loss_elr_row(const double *z, size_t c, int y, double *t, double lambda, double beta)
{
    double lse = lse_of(z, c), total = 0.0;
    for (size_t j = 0; j < c; j++) total += clamp_p(exp(z[j] - lse));
    for (size_t j = 0; j < c; j++) t[j] = beta * t[j] + (1.0 - beta) * clamp_p(exp(z[j] - lse)) / total;
    return ref_loss_elr_fixed_row(z, c, y, t, lambda);
}
