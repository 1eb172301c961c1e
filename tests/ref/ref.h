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

/* ---- regularizers and optimizers (tests/ref/ref_reg.c, tests/ref/ref_optim.c) ---- */

/* One optimizer step in double precision, written from the papers' update
 * rules: SGD (momentum, Nesterov as in Sutskever et al. 2013 / PyTorch), Adam
 * (Kingma & Ba 2015, bias-corrected), AdamW (Loshchilov & Hutter 2019), with
 * the regularizers of clnn_optim_step. mask may be NULL (all ones). */
typedef struct ref_optim {
    int kind;                  /* 0 SGD, 1 Adam, 2 AdamW, 3 AdEMAMix (ref_ademamix_step) */
    double lr, momentum;
    int nesterov;
    double beta1, beta2, eps, weight_decay;
    unsigned long step;
    double l2, decay;          /* extra coupled L2 and decoupled decay */
    int prox;                  /* 0 none, 1 L1, 2 elastic net */
    double l1, l2e;
    double clip;               /* gradient factor (1 = none) */
    double perp;               /* perpGrad coefficient alpha * <g,w>/||w||^2 of this tensor (0 = none) */
    double dampening;          /* SGD momentum (PyTorch: the first step's buffer is g itself) */
    int maximize;              /* ascend: the gradient is negated first (PyTorch) */
} ref_optim;
void ref_optim_step(const ref_optim *o, size_t n, double *w, const double *g, double *m, double *v,
                    const double *mask, int no_decay);
/* AMSGrad (Reddi, Kale & Kumar 2018, PyTorch's amsgrad=True): Adam/AdamW
 * (o->kind 1 or 2, no regularizers) with the running maximum vmax of v in
 * the denominator. */
void ref_amsgrad_step(const ref_optim *o, size_t n, double *w, const double *g, double *m, double *v, double *vmax);
/* AdEMAMix with the same regularizers; o->kind must be 3 (weight_decay
 * decoupled as in AdamW); m2 the slow EMA (tests/ref/ref_optim.c). */
void ref_ademamix_step(const ref_optim *o, double alpha, double beta3, size_t n, double *w, const double *g,
                       double *m, double *v, double *m2, const double *mask, int no_decay);

/* Regularizer values in double, from their definitions (ref_reg.c).
 * Elementwise: Σ k·(l1·|w| + l2/2·w²), k = mask[i] or 1. */
double ref_reg_elementwise(size_t n, const double *w, const double *mask, double l1, double l2);
/* Euclidean norms of the rows (by_cols 0) or columns of w [rows, cols]. */
void ref_group_norms(const double *w, size_t rows, size_t cols, int by_cols, double *norms);
double ref_group_lasso(const double *w, size_t rows, size_t cols, int by_cols, double lambda);
double ref_norm_loss(const double *w, size_t rows, size_t cols, double lambda);
/* λ·||W·Wᵀ − I||²_F, W [rows, cols]. */
double ref_ortho(const double *w, size_t rows, size_t cols, double lambda);
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
 * 1 average with padding counted, 2 average over in-image pixels only.
 * ceil_mode: PyTorch's ceil output size; dh, dw: max pooling's dilation (0
 * reads as 1); divisor: average pooling's divisor_override (0: none). From
 * PyTorch's docs of MaxPool2d / AvgPool2d and ATen's AvgPool2d kernel (its
 * pool_size: the window clipped to the padded input). */
typedef struct ref_pool_shape {
    int planes, H, W, kh, kw, sh, sw, ph, pw, mode;
    int P, Q; /* filled by ref_pool_shape_init */
    int ceil_mode, dh, dw, divisor;
} ref_pool_shape;
/* Computes P and Q; returns 0 when one of them is below 1. */
int ref_pool_shape_init(ref_pool_shape *s);
/* argmax (max mode only, may be NULL): flat h*W + w of the first maximum. */
void ref_pool_forward(const ref_pool_shape *s, const double *x, double *y, int *argmax);
void ref_pool_backward(const ref_pool_shape *s, const double *x, const double *dy, double *dx);
/* Adaptive pooling of planes of H x W to OH x OW (PyTorch's
 * AdaptiveAvgPool2d / AdaptiveMaxPool2d): window i covers
 * [floor(i*H/OH), ceil((i+1)*H/OH)); max (argmax as above, may be NULL) or
 * average. dx in the scatter form. */
void ref_adaptive_pool_forward(int planes, int H, int W, int OH, int OW, int max, const double *x, double *y,
                               int *argmax);
void ref_adaptive_pool_backward(int planes, int H, int W, int OH, int OW, int max, const double *x,
                                const double *dy, double *dx);

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

/* ---- gradient operations, spectral norm, pruning, quantization (tests/ref/ref_reg_ops.c) ---- */

/* Power iteration from u (rows), as in Miyato et al. 2018: v = Wᵀu/||Wᵀu||,
 * u = Wv/||Wv||, `iters` times; returns σ = ||Wv||. */
double ref_power_iteration(const double *w, size_t rows, size_t cols, unsigned iters, double *u, double *v);
/* Magnitude top-k mask (1/0): the k largest |w|, ties to the lower index (by sorting). */
void ref_topk_mask(const float *w, size_t n, size_t k, float *mask);
/* N:M mask: in each group of m consecutive entries the keep largest |w|, ties to the lower index. */
void ref_nm_mask(const float *w, size_t n, unsigned keep, unsigned m, float *mask);
/* MaskLLM soft 2:4 mask over groups of 4: forward into mask (4 per group)
 * and, when dmask is not NULL, backward into dlogits (6 per group). */
void ref_maskllm(const double *logits, size_t groups, double tau, int gumbel, uint64_t seed, uint32_t stream,
                 double *mask, const double *dmask, double *dlogits);
/* Scale and zero point from the range of each of `channels` equal slices of x. */
void ref_quant_params(const float *x, size_t n, size_t channels, int bits, int symmetric, double *scale,
                      double *zero);
/* Integer range of b bits. */
void ref_quant_range(int bits, int symmetric, double *qmin, double *qmax);
/* ---- output regularizers (tests/ref/ref_outputs.c): one row of C classes in
 * double, written from the papers' formulas (natural logs). ---- */
double ref_out_lse(const double *z, size_t c);
/* H(softmax(z)) = -sum p log p */
double ref_out_entropy(const double *z, size_t c);
/* -sum p log p of the given entries (0 log 0 = 0) */
double ref_out_prob_entropy(const double *p, size_t c);
/* KL(softmax(zp) || softmax(zq)) */
double ref_out_kl(const double *zp, const double *zq, size_t c);
/* Jensen-Shannon divergence of softmax(zp), softmax(zq) */
double ref_out_js(const double *zp, const double *zq, size_t c);
/* StableMax probabilities y of x (s(x) = x + 1 for x >= 0, 1/(1 - x) below) */
void ref_out_stablemax(const double *x, size_t c, double *y);
/* t = (1 - alpha) y + alpha p (soft-target mixing) */
void ref_out_mix(const double *y, const double *p, size_t c, double alpha, double *t);
/* -log stablemax(x)[label] */
double ref_out_stablemax_ce(const double *x, size_t c, int label);

#endif
