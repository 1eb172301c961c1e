/* Fused optimizer steps: SGD (momentum, Nesterov), Adam and AdamW with bias
 * correction, applying a list of elementwise regularizers (clnn_reg, see
 * clnn/regularizers.h) inside the same kernel that updates the parameters:
 * w, g, m, v (and an optional mask) are read once and w, m, v written once,
 * whatever the list holds. Included by clnn/clnn.h. */
#ifndef CLNN_OPTIM_H
#define CLNN_OPTIM_H

#include "clnn/regularizers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clnn_optimizer {
    CLNN_OPTIM_SGD = 0,   /* momentum 0: w -= lr·g; else m = μ·m + g, w -= lr·m (Nesterov: lr·(g + μ·m)) */
    CLNN_OPTIM_ADAM = 1,  /* Kingma & Ba 2015; weight_decay is coupled L2 (added to g) */
    CLNN_OPTIM_ADAMW = 2  /* Loshchilov & Hutter 2019; weight_decay is decoupled: w -= lr·wd·w */
} clnn_optimizer;

/* Hyper-parameters of one step. All must be finite. */
typedef struct clnn_optim {
    clnn_optimizer kind;
    float lr;           /* >= 0 */
    float momentum;     /* SGD: in [0, 1); 0 means plain SGD (no m buffer) */
    int nesterov;       /* SGD: nonzero for Nesterov momentum (needs momentum > 0) */
    float beta1, beta2; /* Adam/AdamW: in [0, 1) */
    float eps;          /* Adam/AdamW: > 0 */
    float weight_decay; /* >= 0; SGD and Adam: coupled L2 (g += wd·w); AdamW: decoupled */
    unsigned long step; /* Adam/AdamW: 1-based step number t for the bias corrections 1 − βᵗ */
} clnn_optim;

/* One parameter tensor and its state. All fp32 with the same element count
 * (shapes may differ). m is the momentum buffer (SGD with momentum) or the
 * first moment (Adam/AdamW) and must be NULL for plain SGD; v is the second
 * moment for Adam/AdamW and must be NULL for SGD. m and v start at zero. */
typedef struct clnn_param {
    clnn_tensor *w;           /* updated in place */
    const clnn_tensor *g;     /* gradient; not modified */
    clnn_tensor *m;
    clnn_tensor *v;
    const clnn_tensor *mask;  /* optional per-element mask (0/1, or any weight in [0, 1]):
                                 weight penalties (weight_decay, L2, DECAY, L1, ELASTIC_NET)
                                 act only where it is 1: "selective decay" */
    int no_decay;             /* per-tensor mask: nonzero exempts the tensor from every weight
                                 penalty (biases, normalization gains) */
} clnn_param;

/* Steps every parameter. The order inside the step, per element, with
 * c = clip factor, p = perpGrad coefficient of this tensor, k = mask:
 *   g' = c·(g − p·w) + λ₂·k·w                     (CLIP, PERPGRAD, L2 / coupled weight_decay)
 *   SGD:  u = g'; momentum: m = μm + g', u = m; Nesterov: u = g' + μm
 *   Adam: m = β₁m + (1−β₁)g', v = β₂v + (1−β₂)g'², u = (m/(1−β₁ᵗ)) / (sqrt(v/(1−β₂ᵗ)) + ε)
 *   w ← w − lr·u − lr·λ_d·k·w                     (DECAY / AdamW weight_decay, on the old w)
 *   w ← sign(w)·max(|w| − lr·λ₁·k, 0) / (1 + lr·λ_e·k)   (L1: λ_e = 0; ELASTIC_NET)
 * regs may hold each kind at most once (nregs 0: regs may be NULL). One
 * kernel launch per parameter tensor. */
CLNN_API clnn_status clnn_optim_step(clnn_context *ctx, const clnn_optim *opt, size_t nparams,
                                     const clnn_param *params, size_t nregs, const clnn_reg *regs);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_OPTIM_H */
