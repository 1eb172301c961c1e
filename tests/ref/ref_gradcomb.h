/* References of the gradient-combination family (tests/ref/ref_gradcomb.c),
 * in double precision on whole vectors: a list of tensors is passed as the
 * concatenation of its tensors, several lists as k rows of n values. */
#ifndef CLNN_TEST_REF_GRADCOMB_H
#define CLNN_TEST_REF_GRADCOMB_H

#include <stddef.h>
#include <stdint.h>

/* out = Σ_j c_j·g_j (g: k x n). */
void ref_weighted_sum(size_t k, size_t n, const double *g, const double *c, double *out);
/* The other tasks of task i in PCGrad's random order (k − 1 entries): the
 * Fisher-Yates shuffle documented in include/clnn/gradcomb.h. */
void ref_pcgrad_order(size_t k, size_t i, uint64_t seed, uint32_t stream, size_t *order);
/* PCGrad, Algorithm 1 of Yu et al. 2020, on the vectors themselves. */
void ref_pcgrad(size_t k, size_t n, const double *g, uint64_t seed, uint32_t stream, double *out);
/* Gradient surgery with an EMA; which 0: EMA of g_main (Bloop), 1: of g_aux. */
void ref_surgery_ema(int which, double beta, double lambda, size_t n, const double *g_main, const double *g_aux,
                     double *ema, double *out);
/* One AMP ascent step (Zheng et al. 2021, Algorithm 1) over ntensors tensors
 * of the given sizes, concatenated; per_tensor: one ball per tensor. */
void ref_amp_ascent(double epsilon, double zeta, int per_tensor, int first, size_t ntensors, const size_t *sizes,
                    double *w, const double *g, double *saved, double *delta);
/* LOBSTER shrink and prune; mask may be NULL. */
void ref_lobster(size_t n, double lr, double lambda, double s, double threshold, double *w, const double *g,
                 double *mask);
/* Kept weights per group of m at step t of the cubic schedule (Zhu & Gupta 2017). */
unsigned ref_nm_schedule(unsigned n, unsigned m, unsigned long t0, unsigned long t1, unsigned long t);

#endif
