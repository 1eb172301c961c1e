/* Contrastive objectives in double precision, each written from its paper's
 * formula (include/clnn/contrastive.h cites them), independent of the
 * library's kernels: no stacked views, no pass plans, no Gram-matrix tricks;
 * similarities and distances are summed directly. */
#include "ref/ref_contrastive.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Row-normalised copy of x [n, d] (x / max(|x|, 1e-12)), or a plain copy. */
static double *ref_rows(const double *x, size_t n, size_t d, int normalize)
{
    double *y = malloc(n * d * sizeof *y);
    if (!y) abort();
    for (size_t i = 0; i < n; i++) {
        double ss = 0.0;
        for (size_t k = 0; k < d; k++) ss += x[i * d + k] * x[i * d + k];
        double nrm = sqrt(ss), inv = normalize ? 1.0 / (nrm > 1e-12 ? nrm : 1e-12) : 1.0;
        for (size_t k = 0; k < d; k++) y[i * d + k] = x[i * d + k] * inv;
    }
    return y;
}

static double dot(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t k = 0; k < d; k++) s += a[k] * b[k];
    return s;
}

/* log Σ exp(v[i]) over the entries with use[i] (max-shifted); -inf when none. */
static double lse_masked(const double *v, const int *use, size_t n)
{
    double m = -INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (use[i] && v[i] > m) m = v[i];
    if (m == -INFINITY) return -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (use[i]) s += exp(v[i] - m);
    return m + log(s);
}

/* One direction of the cross-view InfoNCE, summed over anchors a_i against candidates b_j. */
static double one_way(const double *a, const double *b, size_t n, size_t d, double tau, double margin, int decoupled)
{
    double *l = malloc(n * sizeof *l), total = 0.0;
    int *use = malloc(n * sizeof *use);
    if (!l || !use) abort();
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            l[j] = (dot(a + i * d, b + j * d, d) - (i == j ? margin : 0.0)) / tau;
            use[j] = !(decoupled && i == j);
        }
        total += lse_masked(l, use, n) - l[i];
    }
    free(l);
    free(use);
    return total;
}

double ref_infonce(const double *z1, const double *z2, size_t n, size_t d, int mode, double tau, double margin,
                   int normalize, int decoupled, int mean)
{
    double *a = ref_rows(z1, n, d, normalize), *b = ref_rows(z2, n, d, normalize), loss;
    if (mode == 0) {
        loss = one_way(a, b, n, d, tau, margin, decoupled) / (mean ? (double)n : 1.0);
    } else if (mode == 1) {
        loss = 0.5 * (one_way(a, b, n, d, tau, margin, decoupled) + one_way(b, a, n, d, tau, margin, decoupled)) /
               (mean ? (double)n : 1.0);
    } else { /* NT-Xent (SimCLR): 2n samples; denominator over the 2n - 1 others (minus the positive when decoupled) */
        size_t m = 2 * n;
        double *l = malloc(m * sizeof *l);
        int *use = malloc(m * sizeof *use);
        if (!l || !use) abort();
        loss = 0.0;
        for (size_t k = 0; k < m; k++) {
            const double *zk = k < n ? a + k * d : b + (k - n) * d;
            size_t pos = k < n ? k + n : k - n;
            for (size_t j = 0; j < m; j++) {
                const double *zj = j < n ? a + j * d : b + (j - n) * d;
                l[j] = (dot(zk, zj, d) - (j == pos ? margin : 0.0)) / tau;
                use[j] = j != k && !(decoupled && j == pos);
            }
            loss += lse_masked(l, use, m) - l[pos];
        }
        loss /= mean ? (double)m : 1.0;
        free(l);
        free(use);
    }
    free(a);
    free(b);
    return loss;
}

double ref_infonce_queue(const double *z1, const double *z2, const double *q, size_t n, size_t d, size_t k, int mode,
                         double tau, double margin, int normalize, int decoupled, int mean, double *per_anchor)
{
    double *a = ref_rows(z1, n, d, normalize), *b = ref_rows(z2, n, d, normalize), *qn = ref_rows(q, k, d, normalize);
    const size_t m = 2 * n, ncand = m + k; /* candidate slots: the 2n samples, then the queue */
    double *l = malloc(ncand * sizeof *l), total = 0.0;
    int *use = malloc(ncand * sizeof *use);
    if (!l || !use) abort();
    const size_t anchors = mode == 1 || mode == 2 ? m : n;
    for (size_t t = 0; t < anchors; t++) {
        /* anchor row x (sample t of [a; b]) and its positive's slot */
        const double *x = t < n ? a + t * d : b + (t - n) * d;
        const size_t pos = t < n ? t + n : t - n;
        for (size_t j = 0; j < ncand; j++) {
            const double *y = j < n ? a + j * d : j < m ? b + (j - n) * d : qn + (j - m) * d;
            int cand; /* slot j is a candidate of this anchor */
            if (j >= m) cand = 1;                                /* the queue: always */
            else if (mode == 2) cand = j != t;                   /* NT-Xent: every other sample */
            else if (mode == 3) cand = j == pos;                 /* MoCo: the positive only */
            else cand = (t < n) ? j >= n : j < n;                /* cross-view: the other view */
            l[j] = cand ? (dot(x, y, d) - (j == pos ? margin : 0.0)) / tau : 0.0;
            use[j] = cand && !(decoupled && j == pos);
        }
        double v = lse_masked(l, use, ncand) - l[pos];
        if (mode == 1) v *= 0.5;
        if (per_anchor) per_anchor[t] = v;
        total += v;
    }
    free(l), free(use), free(a), free(b), free(qn);
    return total / (mean ? (double)(mode == 2 ? m : n) : 1.0);
}

double ref_supcon_views(const double *z, size_t views, const int32_t *labels, size_t n, size_t d, double tau,
                        double margin, int normalize, int decoupled, int mean)
{
    size_t m = views * n;
    double *a = ref_rows(z, m, d, normalize), loss = 0.0;
    double *l = malloc(m * sizeof *l);
    int *use = malloc(m * sizeof *use);
    if (!l || !use) abort();
    for (size_t k = 0; k < m; k++) {
        int32_t lk = labels[k % n];
        size_t npos = 0;
        for (size_t j = 0; j < m; j++) {
            int positive = j != k && labels[j % n] == lk;
            l[j] = (dot(a + k * d, a + j * d, d) - (positive ? margin : 0.0)) / tau;
            use[j] = j != k && !(decoupled && positive);
            npos += (size_t)positive;
        }
        double lse = lse_masked(l, use, m), acc = 0.0;
        for (size_t j = 0; j < m; j++)
            if (j != k && labels[j % n] == lk) acc += l[j] - lse;
        loss += -acc / (double)npos;
    }
    free(l), free(use), free(a);
    return loss / (mean ? (double)m : 1.0);
}

double ref_supcon(const double *z1, const double *z2, const int32_t *labels, size_t n, size_t d, double tau,
                  double margin, int normalize, int decoupled, int mean)
{
    double *z = malloc(2 * n * d * sizeof *z);
    if (!z) abort();
    memcpy(z, z1, n * d * sizeof *z);
    memcpy(z + n * d, z2, n * d * sizeof *z);
    double loss = ref_supcon_views(z, 2, labels, n, d, tau, margin, normalize, decoupled, mean);
    free(z);
    return loss;
}

double ref_alignment(const double *x, const double *y, size_t n, size_t d, double alpha)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double ss = 0.0;
        for (size_t k = 0; k < d; k++) ss += (x[i * d + k] - y[i * d + k]) * (x[i * d + k] - y[i * d + k]);
        total += pow(sqrt(ss), alpha);
    }
    return total / (double)n;
}

double ref_uniformity(const double *x, size_t n, size_t d, double t)
{
    size_t pairs = n * (n - 1) / 2, p = 0;
    double *u = malloc(pairs * sizeof *u);
    int *use = malloc(pairs * sizeof *use);
    if (!u || !use) abort();
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, p++) {
            double ss = 0.0;
            for (size_t k = 0; k < d; k++) ss += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]);
            u[p] = -t * ss;
            use[p] = 1;
        }
    double v = lse_masked(u, use, pairs) - log((double)pairs);
    free(u);
    free(use);
    return v;
}

static double cosine(const double *a, const double *b, size_t d)
{
    return dot(a, b, d) / (sqrt(dot(a, a, d)) * sqrt(dot(b, b, d)));
}

double ref_ge2e(const double *e, size_t spk, size_t utt, size_t d, double w, double b, int mean)
{
    double *c = calloc(spk * d, sizeof *c), *cx = malloc(d * sizeof *cx), *logit = malloc(spk * sizeof *logit);
    int *use = malloc(spk * sizeof *use);
    if (!c || !cx || !logit || !use) abort();
    for (size_t k = 0; k < spk; k++)
        for (size_t i = 0; i < utt; i++)
            for (size_t q = 0; q < d; q++) c[k * d + q] += e[(k * utt + i) * d + q] / (double)utt;
    double total = 0.0;
    for (size_t j = 0; j < spk; j++)
        for (size_t i = 0; i < utt; i++) {
            const double *eji = e + (j * utt + i) * d;
            for (size_t q = 0; q < d; q++) { /* the centroid of speaker j without utterance i */
                double s = 0.0;
                for (size_t m = 0; m < utt; m++)
                    if (m != i) s += e[(j * utt + m) * d + q];
                cx[q] = s / (double)(utt - 1);
            }
            for (size_t k = 0; k < spk; k++) {
                logit[k] = w * cosine(eji, k == j ? cx : c + k * d, d) + b;
                use[k] = 1;
            }
            total += lse_masked(logit, use, spk) - logit[j];
        }
    free(c);
    free(cx);
    free(logit);
    free(use);
    return total / (mean ? (double)(spk * utt) : 1.0);
}

double ref_barlow(const double *z1, const double *z2, size_t n, size_t d, double lambda)
{
    double *y[2] = {malloc(n * d * sizeof(double)), malloc(n * d * sizeof(double))};
    const double *z[2] = {z1, z2};
    if (!y[0] || !y[1]) abort();
    for (int v = 0; v < 2; v++)
        for (size_t q = 0; q < d; q++) { /* batch norm of column q: biased variance, eps 1e-5 */
            double mu = 0.0, var = 0.0;
            for (size_t i = 0; i < n; i++) mu += z[v][i * d + q] / (double)n;
            for (size_t i = 0; i < n; i++) var += (z[v][i * d + q] - mu) * (z[v][i * d + q] - mu) / (double)n;
            for (size_t i = 0; i < n; i++) y[v][i * d + q] = (z[v][i * d + q] - mu) / sqrt(var + 1e-5);
        }
    double loss = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double c = 0.0;
            for (size_t s = 0; s < n; s++) c += y[0][s * d + i] * y[1][s * d + j];
            c /= (double)n;
            loss += i == j ? (1.0 - c) * (1.0 - c) : lambda * c * c;
        }
    free(y[0]);
    free(y[1]);
    return loss;
}

double ref_variance(const double *x, size_t rows, size_t cols, double coef, int by_columns, int mean)
{
    size_t groups = by_columns ? cols : rows, count = by_columns ? rows : cols;
    double total = 0.0;
    for (size_t g = 0; g < groups; g++) {
        double mu = 0.0, var = 0.0;
        for (size_t i = 0; i < count; i++) mu += x[by_columns ? i * cols + g : g * cols + i] / (double)count;
        for (size_t i = 0; i < count; i++) {
            double dv = x[by_columns ? i * cols + g : g * cols + i] - mu;
            var += dv * dv / (double)count;
        }
        total += coef * var;
    }
    return total / (mean ? (double)groups : 1.0);
}
