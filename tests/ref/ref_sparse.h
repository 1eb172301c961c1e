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
/* The positions of those k entries in descending order of value, ties to
 * the lower index (torch.topk with sorted=True, ties made definite). */
void ref_topk_sorted(const float *x, size_t n, size_t k, uint32_t *idx);

/* MoE scores of one token's logits z[0..E): softmax (gate 0) or sigmoid (1). */
void ref_moe_scores(const double *z, size_t E, int gate, double *s);
/* Top-k experts of one token by s_e + bias_e (bias NULL: 0), descending, ties
 * to the lower expert; gates s_e (renormalize: divided by their sum). */
void ref_moe_route(const double *z, const double *bias, size_t E, size_t k, int gate, int renormalize, int32_t *idx,
                   double *gates);
/* The gates of one token for a fixed selection idx[0..k). */
void ref_moe_gates(const double *z, size_t E, const int32_t *idx, size_t k, int gate, int renormalize,
                   double *gates);
/* alpha·E·Σ_e f_e·P_e, f_e = #{idx = e}/(T·k), P_e = mean_t softmax(z_t)_e; z [T, E], idx [T, k]. */
double ref_moe_aux_loss(const double *z, const int32_t *idx, size_t T, size_t E, size_t k, double alpha);

/* Stable grouping of the pairs p = t·k + q of idx [T, k] by expert (pairs
 * outside [0, E) last): positions[p] = the pair's row, offsets[0..E]. */
void ref_moe_dispatch(const int32_t *idx, size_t pairs, size_t E, int32_t *positions, int32_t *offsets);

#endif
