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

#ifdef __cplusplus
}
#endif
#endif /* CLNN_REGULARIZERS_H */
