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
