/* Independent host references of the sparsity / sorting / MoE family
 * (include/clnn/sparse.h), written from the definitions. */
#ifndef CLNN_TEST_REF_SPARSE_H
#define CLNN_TEST_REF_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* The documented order of fp32 values, by value (not by bits): -1, 0, 1 for
 * a < b, a = b, a > b, where -0.0 < +0.0 and every NaN is equal to every
 * other NaN and above +inf. */
int ref_order_cmp(float a, float b);
/* Stable ascending sort with qsort (ties broken by input index): perm[i] =
 * the input index of the key that lands at position i. */
void ref_argsort(const float *keys, size_t n, uint32_t *perm);

/* λ·(1/n)·Σ_i (sort(w)_i − s0_i)², sorting a double copy of w by value. */
double ref_w2(const double *w, const double *s0, size_t n, double lambda);

/* keep[j] = 1 for the k largest of x[0..n) in the documented order, ties
 * to the lower index (a stable qsort by descending value), else 0. */
void ref_topk_row(const float *x, size_t n, size_t k, unsigned char *keep);

#endif
