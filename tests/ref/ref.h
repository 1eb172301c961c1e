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

/* ---- conv2d, pooling, batch/layer norm, attention (tests/ref/ref_conv.c,
 * ref_norm.c, ref_attention.c). Plain loops in double over NCHW arrays;
 * backward passes written in the scatter (adjoint) form, independent of the
 * device's gather kernels. */
typedef struct ref_conv_shape {
    int N, C, H, W;   /* input */
    int K, R, S;      /* filters [K, C/G, R, S] */
    int sh, sw, ph, pw, dh, dw, G;
    int P, Q;         /* output size: filled by ref_conv_shape_init */
} ref_conv_shape;
/* Computes P and Q (floor formula); returns 0 when the window does not fit. */
int ref_conv_shape_init(ref_conv_shape *s);
/* y[N,K,P,Q]; b may be NULL. */
void ref_conv2d_forward(const ref_conv_shape *s, const double *x, const double *w, const double *b, double *y);
void ref_conv2d_backward_data(const ref_conv_shape *s, const double *dy, const double *w, double *dx);
void ref_conv2d_backward_weights(const ref_conv_shape *s, const double *x, const double *dy, double *dw);
void ref_conv2d_backward_bias(const ref_conv_shape *s, const double *dy, double *db);

/* Pooling over planes = N*C of H x W; windows kh x kw, stride, pad; mode 0 max,
 * 1 average with padding counted, 2 average over in-image pixels only. */
typedef struct ref_pool_shape {
    int planes, H, W, kh, kw, sh, sw, ph, pw, mode;
    int P, Q; /* filled by ref_pool_shape_init */
} ref_pool_shape;
void ref_pool_shape_init(ref_pool_shape *s);
/* argmax (max mode only, may be NULL): flat h*W + w of the first maximum. */
void ref_pool_forward(const ref_pool_shape *s, const double *x, double *y, int *argmax);
void ref_pool_backward(const ref_pool_shape *s, const double *x, const double *dy, double *dx);

/* Batch norm over x [N, C, HW] (HW = 1 for [N, C]); gamma/beta may be NULL.
 * training: batch statistics, running_* updated when non-NULL; else running statistics. */
void ref_batchnorm_forward(int N, int C, int HW, const double *x, const double *gamma, const double *beta,
                           double *running_mean, double *running_var, int training, double momentum, double eps,
                           double *y);
void ref_batchnorm_backward(int N, int C, int HW, const double *x, const double *dy, const double *gamma,
                            const double *running_var, int training, double eps, double *dx, double *dgamma,
                            double *dbeta);
/* Layer norm over rows of length D; gamma/beta may be NULL. */
void ref_layernorm_forward(int M, int D, const double *x, const double *gamma, const double *beta, double eps,
                           double *y);
void ref_layernorm_backward(int M, int D, const double *x, const double *dy, const double *gamma, double eps,
                            double *dx, double *dgamma, double *dbeta);

/* Attention over BH independent (q [Sq, D], k, v [Sk, D]) problems. */
void ref_attention_forward(int BH, int Sq, int Sk, int D, const double *q, const double *k, const double *v,
                           int causal, double *probs, double *out);
void ref_attention_backward(int BH, int Sq, int Sk, int D, const double *q, const double *k, const double *v,
                            int causal, const double *dout, double *dq, double *dk, double *dv);

#endif
