/* Regularizers on weights and gradients: elementwise terms that the fused
 * optimizer applies (clnn/optim.h), their values and gradients, and the
 * gradient operations that feed it (global-norm clipping, perpGrad).
 * Included by clnn/clnn.h.
 *
 * Layouts: a weight tensor of any shape is a flat vector for elementwise
 * terms. Masks are fp32 tensors with the weight's element count, 1 where a
 * penalty applies and 0 where it does not. Values are written into fp32
 * device tensors so that no call waits for the device; download them when
 * needed. Every reduction is deterministic: a fixed two-stage tree whose shape
 * depends only on the sizes, never on the local size, so a device gives the
 * same bits run after run. */
#ifndef CLNN_REGULARIZERS_H
#define CLNN_REGULARIZERS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clnn_reg_kind {
    CLNN_REG_L2 = 1,          /* value λ/2·Σ k·w²; in a step: coupled, g += λ·k·w */
    CLNN_REG_DECAY = 2,       /* decoupled weight decay in a step: w -= lr·λ·k·w (no value) */
    CLNN_REG_L1 = 3,          /* value λ·Σ k·|w|; in a step: proximal soft-threshold by lr·λ·k */
    CLNN_REG_ELASTIC_NET = 4, /* value Σ k·(λ|w| + λ₂/2·w²); step: soft-threshold by lr·λ·k, then / (1 + lr·λ₂·k) */
    CLNN_REG_CLIP = 5,        /* step: g *= λ, times scalar[0] when scalar is given (a device-side
                                 factor, e.g. from clnn_grad_clip_factor) */
    CLNN_REG_PERPGRAD = 6     /* step: g -= λ·c_i·w with c_i = scalar[i] for parameter i (from
                                 clnn_grad_perp_coef: c = <g, w> / ||w||²); λ = 1 is the full projection */
} clnn_reg_kind;

/* One regularizer: kind, strength λ (finite, >= 0), the second strength λ₂
 * of the elastic net (else ignored) and, for CLIP and PERPGRAD, an optional /
 * required fp32 device tensor of scalars. k is the mask (1 where absent). */
typedef struct clnn_reg {
    clnn_reg_kind kind;
    float strength;
    float strength2;
    const clnn_tensor *scalar;
} clnn_reg;


/* ------------------------------------------------ standalone weight steps */

/* Applies one weight term to w in place, as the fused step would after its
 * update (the same kernel, without the optimizer part); k = mask or 1:
 *   L2, DECAY:   w -= lr·λ·k·w
 *   L1:          w = sign(w)·max(|w| − lr·λ·k, 0)                (proximal step of λ·||w||₁)
 *   ELASTIC_NET: w = sign(w)·max(|w| − lr·λ·k, 0) / (1 + lr·λ₂·k)
 * CLIP and PERPGRAD act on gradients and are rejected here. */
CLNN_API clnn_status clnn_reg_prox(clnn_context *ctx, const clnn_reg *reg, float lr, const clnn_tensor *mask,
                                   clnn_tensor *w);

/* ------------------------------------------------ term values, gradients */

/* value[0] = the term's value (L2, L1, ELASTIC_NET as documented at
 * clnn_reg_kind; mask optional, k = 1 without it). value: fp32, >= 1 element. */
CLNN_API clnn_status clnn_reg_value(clnn_context *ctx, const clnn_reg *reg, const clnn_tensor *w,
                                    const clnn_tensor *mask, clnn_tensor *value);
/* grad += d value / d w = k·(λ·sign(w) + λ₂·w) (L1: λ₂ = 0; L2: only λ·w;
 * sign(0) = 0, the subgradient of least norm). grad has w's element count. */
CLNN_API clnn_status clnn_reg_grad(clnn_context *ctx, const clnn_reg *reg, const clnn_tensor *w,
                                   const clnn_tensor *mask, clnn_tensor *grad);

/* Groups of a weight tensor w viewed as a matrix [rows = shape[0], cols =
 * count / shape[0]]: CLNN_GROUP_ROWS groups each row (a dense layer's output
 * unit, a conv layer's filter [out, in, kh, kw]), CLNN_GROUP_COLUMNS each
 * column (a dense layer's input feature). */
typedef enum clnn_group_dim { CLNN_GROUP_ROWS = 0, CLNN_GROUP_COLUMNS = 1 } clnn_group_dim;

/* Group lasso (Yuan & Lin 2006; structured sparsity, Wen et al. 2016):
 * value[0] = λ·Σ_g ||w_g||₂; grad += λ·w_g / ||w_g|| (0 for a zero group);
 * prox: w_g ← w_g·max(0, 1 − lr·λ / ||w_g||) (block soft-threshold). */
CLNN_API clnn_status clnn_reg_group_lasso_value(clnn_context *ctx, float lambda, clnn_group_dim dim,
                                                const clnn_tensor *w, clnn_tensor *value);
CLNN_API clnn_status clnn_reg_group_lasso_grad(clnn_context *ctx, float lambda, clnn_group_dim dim,
                                               const clnn_tensor *w, clnn_tensor *grad);
CLNN_API clnn_status clnn_reg_group_lasso_prox(clnn_context *ctx, float lambda, float lr, clnn_group_dim dim,
                                               clnn_tensor *w);
/* Norm loss over rows: value[0] = λ·Σ_r (||w_r|| − 1)²;
 * grad += λ·2(||w_r|| − 1)·w_r / ||w_r|| (0 for a zero row). */
CLNN_API clnn_status clnn_reg_norm_loss_value(clnn_context *ctx, float lambda, const clnn_tensor *w,
                                              clnn_tensor *value);
CLNN_API clnn_status clnn_reg_norm_loss_grad(clnn_context *ctx, float lambda, const clnn_tensor *w,
                                             clnn_tensor *grad);
/* Soft orthogonality (Bansal et al. 2018) of W viewed as [rows, cols]:
 * value[0] = λ·||W·Wᵀ − I||²_F; grad += 4λ·(W·Wᵀ − I)·W. The rows x rows
 * Gram matrix is computed with CLBlast SGEMM. */
CLNN_API clnn_status clnn_reg_ortho_value(clnn_context *ctx, float lambda, const clnn_tensor *w,
                                          clnn_tensor *value);
CLNN_API clnn_status clnn_reg_ortho_grad(clnn_context *ctx, float lambda, const clnn_tensor *w,
                                         clnn_tensor *grad);

/* ------------------------------------------------- gradient operations */

/* Global-norm clipping over a list of gradients: norm = sqrt(Σ_i ||g_i||²),
 * factor[0] = min(1, max_norm / (norm + 1e-6)), factor[1] = norm. factor:
 * fp32 with >= 2 elements; hand it to the step as a CLNN_REG_CLIP scalar. */
CLNN_API clnn_status clnn_grad_clip_factor(clnn_context *ctx, float max_norm, size_t n,
                                           const clnn_tensor *const *grads, clnn_tensor *factor);
/* perpGrad coefficients: coef[i] = <g_i, w_i> / ||w_i||² (0 when w_i = 0);
 * coef: fp32 with >= n elements; the CLNN_REG_PERPGRAD scalar of a step. */
CLNN_API clnn_status clnn_grad_perp_coef(clnn_context *ctx, size_t n, const clnn_tensor *const *w,
                                         const clnn_tensor *const *grads, clnn_tensor *coef);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_REGULARIZERS_H */
