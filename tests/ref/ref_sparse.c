/* Host references of include/clnn/sparse.h, in double where arithmetic is
 * involved, from the definitions (no code shared with the library). */
#include "ref_sparse.h"

#include <math.h>
#include <stdlib.h>

int ref_order_cmp(float a, float b)
{
    int na = isnan(a) != 0, nb = isnan(b) != 0;
    if (na || nb) return na - nb;
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == 0.0f) return (signbit(b) != 0) - (signbit(a) != 0); /* -0.0 before +0.0 */
    return 0;
}

typedef struct keyed {
    float key;
    uint32_t index;
} keyed;

static int keyed_cmp(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    int c = ref_order_cmp(a->key, b->key);
    if (c) return c;
    return (a->index > b->index) - (a->index < b->index);
}

void ref_argsort(const float *keys, size_t n, uint32_t *perm)
{
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    if (!k) abort();
    for (size_t i = 0; i < n; i++) k[i].key = keys[i], k[i].index = (uint32_t)i;
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < n; i++) perm[i] = k[i].index;
    free(k);
}

static int double_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double ref_w2(const double *w, const double *s0, size_t n, double lambda)
{
    double *s = malloc((n ? n : 1) * sizeof *s), sum = 0.0;
    if (!s) abort();
    for (size_t i = 0; i < n; i++) s[i] = w[i];
    qsort(s, n, sizeof *s, double_cmp);
    for (size_t i = 0; i < n; i++) sum += (s[i] - s0[i]) * (s[i] - s0[i]);
    free(s);
    return lambda * sum / (double)n;
}

/* descending value, then ascending index */
static int keyed_desc_cmp(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    int c = ref_order_cmp(b->key, a->key);
    if (c) return c;
    return (a->index > b->index) - (a->index < b->index);
}

void ref_topk_row(const float *x, size_t n, size_t k, unsigned char *keep)
{
    keyed *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) abort();
    for (size_t i = 0; i < n; i++) s[i].key = x[i], s[i].index = (uint32_t)i, keep[i] = 0;
    qsort(s, n, sizeof *s, keyed_desc_cmp);
    for (size_t i = 0; i < k && i < n; i++) keep[s[i].index] = 1;
    free(s);
}

void ref_topk_sorted(const float *x, size_t n, size_t k, uint32_t *idx)
{
    keyed *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) abort();
    for (size_t i = 0; i < n; i++) s[i].key = x[i], s[i].index = (uint32_t)i;
    qsort(s, n, sizeof *s, keyed_desc_cmp);
    for (size_t i = 0; i < k && i < n; i++) idx[i] = s[i].index;
    free(s);
}

void ref_moe_scores(const double *z, size_t E, int gate, double *s)
{
    double m = -INFINITY, sum = 0.0;
    for (size_t e = 0; e < E; e++) m = z[e] > m ? z[e] : m;
    for (size_t e = 0; e < E; e++) sum += exp(z[e] - m);
    for (size_t e = 0; e < E; e++) s[e] = gate == 0 ? exp(z[e] - m) / sum : 1.0 / (1.0 + exp(-z[e]));
}

void ref_moe_gates(const double *z, size_t E, const int32_t *idx, size_t k, int gate, int renormalize,
                   double *gates)
{
    double *s = malloc(E * sizeof *s), total = 0.0;
    if (!s) abort();
    ref_moe_scores(z, E, gate, s);
    for (size_t q = 0; q < k; q++) total += gates[q] = s[idx[q]];
    if (renormalize)
        for (size_t q = 0; q < k; q++) gates[q] /= total;
    free(s);
}

void ref_moe_route(const double *z, const double *bias, size_t E, size_t k, int gate, int renormalize, int32_t *idx,
                   double *gates)
{
    double *s = malloc(E * sizeof *s);
    unsigned char *taken = calloc(E, 1);
    if (!s || !taken) abort();
    ref_moe_scores(z, E, gate, s);
    for (size_t q = 0; q < k; q++) { /* the best expert not taken yet; the first of equals */
        size_t best = E;
        for (size_t e = 0; e < E; e++) {
            double v = s[e] + (bias ? bias[e] : 0.0), vb = best < E ? s[best] + (bias ? bias[best] : 0.0) : 0.0;
            if (!taken[e] && (best == E || v > vb)) best = e;
        }
        taken[best] = 1;
        idx[q] = (int32_t)best;
    }
    ref_moe_gates(z, E, idx, k, gate, renormalize, gates);
    free(s), free(taken);
}

double ref_moe_aux_loss(const double *z, const int32_t *idx, size_t T, size_t E, size_t k, double alpha)
{
    double *f = calloc(E, sizeof *f), *P = calloc(E, sizeof *P), *p = malloc(E * sizeof *p), sum = 0.0;
    if (!f || !P || !p) abort();
    for (size_t i = 0; i < T * k; i++)
        if (idx[i] >= 0 && (size_t)idx[i] < E) f[idx[i]] += 1.0 / (double)(T * k);
    for (size_t t = 0; t < T; t++) {
        ref_moe_scores(z + t * E, E, 0, p);
        for (size_t e = 0; e < E; e++) P[e] += p[e] / (double)T;
    }
    for (size_t e = 0; e < E; e++) sum += f[e] * P[e];
    free(f), free(P), free(p);
    return alpha * (double)E * sum;
}

void ref_moe_dispatch(const int32_t *idx, size_t pairs, size_t E, int32_t *positions, int32_t *offsets)
{
    size_t row = 0;
    for (size_t e = 0; e <= E; e++) { /* e = E: the pairs of no valid expert */
        offsets[e] = (int32_t)row;
        for (size_t p = 0; p < pairs; p++) {
            int valid = idx[p] >= 0 && (size_t)idx[p] < E;
            if (valid ? (size_t)idx[p] == e : e == E) positions[p] = (int32_t)row++;
        }
    }
}
