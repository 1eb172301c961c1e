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
    int kind;                  /* 0 SGD, 1 Adam, 2 AdamW */
    double lr, momentum;
    int nesterov;
    double beta1, beta2, eps, weight_decay;
    unsigned long step;
    double l2, decay;          /* extra coupled L2 and decoupled decay */
    int prox;                  /* 0 none, 1 L1, 2 elastic net */
    double l1, l2e;
    double clip;               /* gradient factor (1 = none) */
    double perp;               /* perpGrad coefficient alpha * <g,w>/||w||^2 of this tensor (0 = none) */
} ref_optim;
void ref_optim_step(const ref_optim *o, size_t n, double *w, const double *g, double *m, double *v,
                    const double *mask, int no_decay);

/* Regularizer values in double, from their definitions (ref_reg.c).
 * Elementwise: Σ k·(l1·|w| + l2/2·w²), k = mask[i] or 1. */
double ref_reg_elementwise(size_t n, const double *w, const double *mask, double l1, double l2);
/* Euclidean norms of the rows (by_cols 0) or columns of w [rows, cols]. */
void ref_group_norms(const double *w, size_t rows, size_t cols, int by_cols, double *norms);
double ref_group_lasso(const double *w, size_t rows, size_t cols, int by_cols, double lambda);
double ref_norm_loss(const double *w, size_t rows, size_t cols, double lambda);
/* λ·||W·Wᵀ − I||²_F, W [rows, cols]. */
double ref_ortho(const double *w, size_t rows, size_t cols, double lambda);

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

#endif
