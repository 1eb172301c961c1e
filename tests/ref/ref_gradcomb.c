/* Gradient combination, AMP, LOBSTER and the N:M schedule in double
 * precision, written from the papers' algorithms on whole vectors (a list of
 * tensors is its concatenation), independent of src/gradcomb/ and
 * cl/gradcomb.cl (which go through a Gram matrix and coefficients). */
#include "ref/ref_gradcomb.h"
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

void ref_weighted_sum(size_t k, size_t n, const double *g, const double *c, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < k; j++) s += c[j] * g[j * n + i];
        out[i] = s;
    }
}

void ref_pcgrad_order(size_t k, size_t i, uint64_t seed, uint32_t stream, size_t *order)
{
    size_t m = 0;
    for (size_t j = 0; j < k; j++)
        if (j != i) order[m++] = j;
    for (size_t s = m; s-- > 1;) { /* Fisher-Yates, last position first */
        size_t r = ref_philox_word(seed, stream, (uint64_t)(i * k + s)) % (s + 1);
        size_t t = order[s];
        order[s] = order[r];
        order[r] = t;
    }
}

void ref_pcgrad(size_t k, size_t n, const double *g, uint64_t seed, uint32_t stream, double *out)
{
    double *pc = malloc(n * sizeof *pc);
    size_t *order = malloc(k * sizeof *order);
    if (!pc || !order) abort();
    memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < k; i++) {
        memcpy(pc, g + i * n, n * sizeof *pc);
        ref_pcgrad_order(k, i, seed, stream, order);
        for (size_t q = 0; q + 1 < k; q++) {
            const double *gj = g + order[q] * n;
            double d = dot(pc, gj, n), nn = dot(gj, gj, n);
            if (d < 0 && nn > 0)
                for (size_t e = 0; e < n; e++) pc[e] -= d / nn * gj[e];
        }
        for (size_t e = 0; e < n; e++) out[e] += pc[e];
    }
    free(pc), free(order);
}

void ref_surgery_ema(int which, double beta, double lambda, size_t n, const double *g_main, const double *g_aux,
                     double *ema, double *out)
{
    const double *src = which == 0 ? g_main : g_aux;
    for (size_t i = 0; i < n; i++) ema[i] = beta * ema[i] + (1 - beta) * src[i];
    /* project a orthogonal to b */
    const double *a = which == 0 ? g_aux : ema, *b = which == 0 ? ema : g_main;
    double bb = dot(b, b, n), c = bb > 0 ? dot(a, b, n) / bb : 0;
    for (size_t i = 0; i < n; i++) out[i] = g_main[i] + lambda * (a[i] - c * b[i]);
}

void ref_amp_ascent(double epsilon, double zeta, int per_tensor, int first, size_t ntensors, const size_t *sizes,
                    double *w, const double *g, double *saved, double *delta)
{
    size_t total = 0;
    for (size_t t = 0; t < ntensors; t++) total += sizes[t];
    if (first) memcpy(saved, w, total * sizeof *w);
    for (size_t i = 0; i < total; i++) delta[i] = (first ? 0 : delta[i]) + zeta * g[i];
    size_t off = 0;
    for (size_t t = 0; t < ntensors; t++) { /* one ball, or one per tensor */
        size_t len = per_tensor ? sizes[t] : total;
        double norm = sqrt(dot(delta + off, delta + off, len));
        double f = norm > epsilon ? epsilon / norm : 1.0;
        for (size_t i = off; i < off + len; i++) delta[i] *= f;
        off += len;
        if (!per_tensor) break;
    }
    for (size_t i = 0; i < total; i++) w[i] = saved[i] + delta[i];
}

void ref_lobster(size_t n, double lr, double lambda, double s, double threshold, double *w, const double *g,
                 double *mask)
{
    for (size_t i = 0; i < n; i++) {
        double insensitivity = 1 - fabs(g[i]) / s;
        double w1 = w[i] - lr * lambda * w[i] * (insensitivity > 0 ? insensitivity : 0);
        int keep = fabs(w1) >= threshold && (!mask || mask[i] != 0);
        w[i] = keep ? w1 : 0;
        if (mask && !keep) mask[i] = 0;
    }
}

unsigned ref_nm_schedule(unsigned n, unsigned m, unsigned long t0, unsigned long t1, unsigned long t)
{
    /* Zhu & Gupta 2017: s_t = s_f + (s_i − s_f)(1 − (t − t0)/(t1 − t0))³, s_i = 0, s_f = 1 − n/m,
     * held at s_i before t0 and at s_f after t1; kept = m − round(m·s_t) */
    if (t <= t0 && t0 < t1) return m;
    double s_f = 1.0 - (double)n / m, s_t = s_f;
    if (t < t1) s_t = s_f - s_f * pow(1.0 - (double)(t - t0) / (double)(t1 - t0), 3);
    return m - (unsigned)floor(m * s_t + 0.5);
}
