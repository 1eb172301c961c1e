/* Robust and adversarial training: the input perturbation steps every
 * adversarial method is built from (FGSM, PGD in L∞ and L2, VAT's
 * direction, random starts), the TRADES / ARoW robust KL loss, flooding,
 * confidence-thresholded pseudo-labels, and the VAE's KL term and
 * reparameterisation step. Included by clnn/clnn.h.
 *
 * Samples: the perturbation functions take inputs of any shape whose first
 * dimension is the batch N; each sample is the D = count / N elements after
 * it, and per-sample norms run over them (a fixed tree per sample: the bits
 * never depend on the local size). Logits are [N, C] rows (class dimension
 * last), labels int32 with N entries. Reductions as in clnn/layers.h. No
 * call waits for the device; every argument is checked on the host and a
 * rejected call changes nothing. */
#ifndef CLNN_ROBUST_H
#define CLNN_ROBUST_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- input perturbations */

/* The step of clnn_perturb_step (g: the loss gradient wrt the input x, δ:
 * the perturbation, per sample):
 *   FGSM      δ = ε·sign(g)                               (Goodfellow et al., ICLR 2015)
 *   PGD_LINF  δ ← clamp(δ + α·sign(g), −ε, ε)             (Madry et al., ICLR 2018)
 *   PGD_L2    δ ← δ + α·g/‖g‖, then δ ← δ·min(1, ε/‖δ‖)   (‖g‖ = 0: no step)
 *   VAT       δ = ε·g/‖g‖                                  (Miyato et al., TPAMI 2018; ‖g‖ = 0: δ = 0)
 * sign(0) = 0, as torch.sign. */
typedef enum clnn_perturb_kind {
    CLNN_PERTURB_FGSM = 0,
    CLNN_PERTURB_PGD_LINF = 1,
    CLNN_PERTURB_PGD_L2 = 2,
    CLNN_PERTURB_VAT = 3
} clnn_perturb_kind;

/* Set up with clnn_perturb_options_init: PGD_LINF, ε = 8/255, α = 2/255,
 * clipping to [0, 1] (images). */
typedef struct clnn_perturb_options {
    size_t size; /* sizeof(clnn_perturb_options), set by the _init */
    clnn_perturb_kind kind;
    float eps;    /* the radius: finite and >= 0 */
    float alpha;  /* the PGD step: finite and >= 0 (unused by FGSM and VAT) */
    int clip;     /* 1: x_adv = clamp(x + δ, lo, hi) and δ ← x_adv − x; 0: x_adv = x + δ */
    float lo, hi; /* the valid input range with clip: finite, lo <= hi */
} clnn_perturb_options;

CLNN_API void clnn_perturb_options_init(clnn_perturb_options *opt);

/* One step: reads x and g (fp32, the same shape, first dimension N), updates
 * delta in place (x's shape; FGSM and VAT overwrite it, the PGD steps start
 * from it: zeros, or clnn_perturb_random_start's) and writes x_adv (x's
 * shape). opt NULL: the defaults. delta and x_adv must not alias x, g or
 * each other. */
CLNN_API clnn_status clnn_perturb_step(clnn_context *ctx, const clnn_perturb_options *opt, const clnn_tensor *x,
                                       const clnn_tensor *g, clnn_tensor *delta, clnn_tensor *x_adv);

/* A random start in the ε-ball of opt->kind's norm, from Philox (seed,
 * stream), then clipped as clnn_perturb_step does, writing delta and x_adv:
 *   L∞ (FGSM, PGD_LINF): δ_e = ε(2u_e − 1), u_e the uniform of word e (the
 *     element's index in the whole tensor, as clnn_tensor_random_uniform);
 *   L2 (PGD_L2, VAT): δ = ε·r^(1/D)·n/‖n‖ per sample, n_e the normal of
 *     element e (as clnn_tensor_random_normal) and r the uniform of word s
 *     of stream + 1 for sample s: uniform in the ball (stream must then be
 *     below 2^32 − 1). */
CLNN_API clnn_status clnn_perturb_random_start(clnn_context *ctx, const clnn_perturb_options *opt, uint64_t seed,
                                               uint32_t stream, const clnn_tensor *x, clnn_tensor *delta,
                                               clnn_tensor *x_adv);

/* ------------------------------------------------ robust KL (TRADES, ARoW) */

/* The per-row weight of the KL term of clnn_robust_kl_loss. */
typedef enum clnn_robust_kl_kind {
    CLNN_ROBUST_KL_TRADES = 0, /* w = 1 (Zhang et al., "Theoretically Principled Trade-off between
                                * Robustness and Accuracy", ICML 2019) */
    CLNN_ROBUST_KL_AROW = 1    /* w = 2(1 − q_y), not detached (Park et al., "Putting More
                                * Regularizations on Less Robust Samples", 2023) */
} clnn_robust_kl_kind;

/* The robust KL loss of adversarial training, per row of clean logits z and
 * adversarial logits z_adv ([N, C] each, the same shape), p = softmax(z),
 * q = softmax(z_adv), y the label:
 *   loss_r = −log p_y + λ·w·KL(p ‖ q),   KL(p ‖ q) = Σ_j p_j (log p_j − log q_j),
 * with the gradients to both logit sets (r_j = log p_j − log q_j, D = KL):
 *   d/dz_j     = p_j − [j = y] + λ w p_j (r_j − D)
 *   d/dz_adv_j = λ (w (q_j − p_j) − [ARoW] 2 D q_y ([j = y] − q_j)).
 * lambda finite and >= 0 (TRADES' 1/β: the paper uses 6). D is formed as
 * Σ p (z − z_adv) − (lse z − lse z_adv): its absolute error is a few fp32
 * ulps of the log-sum-exps. weights: clnn_label_weights as for the losses
 * of clnn/losses.h (NULL: none). Outputs: loss (1 element, N for NONE),
 * dlogits and dlogits_adv (the logits' shape); any may be NULL, not all;
 * none may alias an input or another output. Deterministic: one
 * work-group per row, fixed lane trees. */
CLNN_API clnn_status clnn_robust_kl_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *logits_adv,
                                         const clnn_tensor *labels, clnn_robust_kl_kind kind, float lambda,
                                         const clnn_label_weights *weights, clnn_reduction reduction,
                                         clnn_tensor *loss, clnn_tensor *dlogits, clnn_tensor *dlogits_adv);

#ifdef __cplusplus
}
#endif

#endif
