/* Independent CPU references for the tests, in double precision where the
 * arithmetic allows. One file per family under tests/ref/. */
#ifndef CLNN_TEST_REF_H
#define CLNN_TEST_REF_H

#include <stddef.h>
#include <stdint.h>

/* Philox4x32-10 written from the Random123 specification, independent of
 * src/rng.c and cl/philox.clh. */
void ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
/* Word `index` of stream (seed, stream): the layout documented in clnn.h. */
uint32_t ref_philox_word(uint64_t seed, uint32_t stream, uint64_t index);
float ref_philox_uniform(uint64_t seed, uint32_t stream, uint64_t index);

/* ---- stochastic regularizers and data augmentation (ref_stochastic.c).
 * Streams are passed in; every random draw goes through ref_philox_*. */
/* keep = u(index) >= p */
int ref_keep(uint64_t seed, uint32_t stream, uint64_t index, float p);
/* out[i] = keep(i / group) ? in[i] / (1 - p) : 0 */
void ref_group_mask(const float *in, size_t n, size_t group, uint64_t seed, uint32_t stream, float p, double *out);
void ref_stochastic_depth(const float *x, const float *branch, size_t batch, size_t per_sample, uint64_t seed,
                          uint32_t stream, float p, double *y);
void ref_mixout(const float *w, const float *w0, size_t n, uint64_t seed, uint32_t stream, float p, double *out);
/* N(0,1) by Box-Muller on words 2i, 2i+1 */
double ref_box_muller(uint64_t seed, uint32_t stream, uint64_t i);
/* kind 0 additive Gaussian, 1 additive uniform, 2 multiplicative Gaussian */
void ref_noise(const float *x, size_t n, int kind, float scale, uint64_t seed, uint32_t stream, double *y);
void ref_dropblock(const float *x, size_t N, size_t C, size_t H, size_t W, size_t b, float keep_prob, uint64_t seed,
                   uint32_t stream, double *mask, double *y);
double ref_beta_sample(double alpha, uint64_t seed, uint32_t stream);
void ref_permutation(uint64_t seed, uint32_t stream, size_t n, int32_t *perm);
/* box = {y0, x0, y1, x1} */
void ref_cutmix_box(double lambda, size_t H, size_t W, uint64_t seed, uint32_t stream, size_t box[4],
                    double *lambda_adjusted);
void ref_mixup(const float *x, size_t N, size_t F, const int32_t *perm, double lambda, double *y);
void ref_cutmix(const float *x, size_t N, size_t C, size_t H, size_t W, const int32_t *perm, const size_t box[4],
                double *y);
void ref_cutout(const float *x, size_t N, size_t C, size_t H, size_t W, size_t side, uint64_t seed, uint32_t stream,
                double *y);
void ref_mix_labels(const int32_t *labels, const int32_t *perm, size_t N, size_t K, double lambda, double *t);

#endif
