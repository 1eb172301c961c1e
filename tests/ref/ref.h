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

/* ---- layers (tests/ref/ref_layers.c), double precision throughout.
 * act: the clnn_activation value; rows are contiguous, last dimension fastest. */
double ref_act(int act, double alpha, double x);
double ref_act_derivative(int act, double alpha, double x);
/* z = x W^T + b (b may be NULL), y = act(z); x [rows, in], W [out, in]. */
void ref_dense_forward(const float *x, const float *w, const float *b, size_t rows, size_t in, size_t out, int act,
                       double alpha, double *z, double *y);
/* dz = dy act'(z); dx = dz W; dW = dz^T x; db = column sums of dz. */
void ref_dense_backward(const float *x, const float *w, const double *z, const float *dy, size_t rows, size_t in,
                        size_t out, int act, double alpha, double *dx, double *dw, double *db);
/* Softmax / log-softmax of each row of x [rows, cols]. */
void ref_softmax(const float *x, size_t rows, size_t cols, int log_out, double *y);
/* Cross-entropy from logits; labels (int) or soft targets; returns the
 * reduced loss and, when grad is not NULL, d loss / d logits. mean: 1 or 0. */
double ref_cross_entropy_labels(const float *logits, const int32_t *labels, size_t rows, size_t cols, double eps,
                                int32_t ignore_index, int mean, double *grad);
double ref_cross_entropy_soft(const float *logits, const float *targets, size_t rows, size_t cols, double eps,
                              int mean, double *grad);
double ref_mse(const float *p, const float *t, size_t n, int mean, double *grad);
double ref_bce_with_logits(const float *x, const float *t, size_t n, int mean, double *grad);
/* Whether dropout keeps element i: the uniform of (seed, stream, i) >= p. */
int ref_dropout_keep(uint64_t seed, uint32_t stream, uint64_t i, float p);

#endif
