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

/* ------------------------------------------------------------- flooding */

/* Flooding (Ishida et al., "Do We Need Zero Training Loss After Achieving
 * Zero Training Error?", ICML 2020) on a device scalar loss L (1 element):
 * flooded = |L − b| + b, and each gradient tensor grads[0..ngrads) of L is
 * scaled in place by sign(L − b) (0 at L = b, as torch's abs), so a descent
 * step becomes an ascent below the flood level b. b finite. flooded (1
 * element) must not alias loss or a gradient; the gradients must be fp32,
 * distinct, and not alias loss. ngrads may be 0 (grads then unread). */
CLNN_API clnn_status clnn_flooding(clnn_context *ctx, const clnn_tensor *loss, float b, clnn_tensor *flooded,
                                   clnn_tensor *const *grads, size_t ngrads);

/* iFlood (Xie et al., "iFlood: A Stable and Effective Regularizer", ICLR
 * 2022), the per-sample form: row_losses [N] are a loss's per-row values
 * (its reduction NONE), and grad the matching per-row gradients (what that
 * call writes for NONE: N rows of any length, grad->count a multiple of N;
 * NULL: none). loss gets the reduction of |ℓ_i − b| + b (1 element; N for
 * NONE); row i of grad is scaled in place by sign(ℓ_i − b), times 1/N for
 * MEAN. */
CLNN_API clnn_status clnn_iflood(clnn_context *ctx, const clnn_tensor *row_losses, float b, clnn_reduction reduction,
                                 clnn_tensor *loss, clnn_tensor *grad);

/* ------------------------------------------------- pseudo-labels, DINO */

/* Confidence-thresholded pseudo-labels (FixMatch: Sohn et al., NeurIPS
 * 2020): per row of logits [N, C], p = softmax(z / temperature), labels[r] =
 * argmax_j p_j (the first, as torch.max) when max p >= threshold, else
 * ignore_index, ready for cross-entropy with that ignore_index on the
 * strong view. confidence (fp32 [N] or NULL) gets max p. threshold in
 * [0, 1], temperature finite and > 0. A row with a NaN gets ignore_index. */
CLNN_API clnn_status clnn_pseudo_labels(clnn_context *ctx, const clnn_tensor *logits, float threshold,
                                        float temperature, int32_t ignore_index, clnn_tensor *labels,
                                        clnn_tensor *confidence);

/* DINO's loss (Caron et al., "Emerging Properties in Self-Supervised Vision
 * Transformers", ICCV 2021): per row of student and teacher logits [N, C]
 * with the centre c [C],
 *   t = softmax((z_t − c)/τ_t),  loss_r = −Σ_j t_j log softmax(z_s/τ_s)_j,
 *   d loss_r/d z_s = (softmax(z_s/τ_s) − t)/τ_s   (the teacher is not differentiated).
 * tau_student, tau_teacher finite and > 0 (the paper: 0.1 and 0.04 to
 * 0.07). loss 1 element (N for NONE) and dstudent [N, C]: either may be
 * NULL, not both. */
CLNN_API clnn_status clnn_dino_loss(clnn_context *ctx, const clnn_tensor *student, const clnn_tensor *teacher,
                                    const clnn_tensor *center, float tau_student, float tau_teacher,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dstudent);

/* DINO's centre update: c ← m·c + (1 − m)·mean over the N rows of teacher
 * [N, C], in place; the mean is summed in row order (deterministic).
 * momentum in [0, 1] (the paper: 0.9). */
CLNN_API clnn_status clnn_dino_center_update(clnn_context *ctx, const clnn_tensor *teacher, float momentum,
                                             clnn_tensor *center);

/* -------------------------------------------------------------- the VAE */

/* The VAE's KL term to the standard normal (Kingma & Welling, "Auto-Encoding
 * Variational Bayes", ICLR 2014), per sample row of mu and logvar (the same
 * shape, first dimension N, D = count / N latent elements):
 *   loss_r = ½ Σ_j (μ_j² + e^(lv_j) − lv_j − 1),
 *   dμ = μ,  dlv = ½(e^(lv) − 1)   (times the reduction's scale).
 * e^lv − 1 is expm1: exact as lv → 0. loss 1 element (N for NONE), dmu and
 * dlogvar like mu: the gradients both or neither; not all NULL. */
CLNN_API clnn_status clnn_vae_kl(clnn_context *ctx, const clnn_tensor *mu, const clnn_tensor *logvar,
                                 clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dmu,
                                 clnn_tensor *dlogvar);

/* The reparameterisation step z = μ + e^(lv/2)·ε with ε_e the standard
 * normal of element e of (seed, stream) (as clnn_tensor_random_normal). z
 * like mu; eps (like mu, or NULL) gets ε. */
CLNN_API clnn_status clnn_vae_reparameterize(clnn_context *ctx, const clnn_tensor *mu, const clnn_tensor *logvar,
                                             uint64_t seed, uint32_t stream, clnn_tensor *z, clnn_tensor *eps);

/* Its backward, ε regenerated from (seed, stream): dμ = dz and dlv = dz·½
 * e^(lv/2)·ε, written, or added to dmu and dlogvar with accumulate (e.g.
 * onto clnn_vae_kl's gradients). Either output may be NULL, not both. */
CLNN_API clnn_status clnn_vae_reparameterize_backward(clnn_context *ctx, const clnn_tensor *logvar, uint64_t seed,
                                                      uint32_t stream, const clnn_tensor *dz, int accumulate,
                                                      clnn_tensor *dmu, clnn_tensor *dlogvar);

/* ------------------------------------------------- group DRO, fairret */

/* Group DRO (Sagawa et al., "Distributionally Robust Neural Networks for
 * Group Shifts", ICLR 2020), the online algorithm of the paper's code: from
 * per-sample losses row_losses [N] (a loss's reduction NONE) and int32
 * group_ids [N] in [0, G), G = q->count:
 *   ℓ_g = Σ_{i in g} ℓ_i / max(n_g, 1)        (an empty group's loss is 0)
 *   q_g ← q_g e^(η ℓ_g) / Σ_h q_h e^(η ℓ_h)    (q [G] fp32, the caller's state: start at 1/G)
 *   loss = Σ_g q_g ℓ_g                        (with the updated q)
 * and each row i of grad (the per-row gradients a NONE call writes: N rows
 * of any length; NULL: none) is scaled in place by q_g(i) / n_g(i), q held
 * constant. The sums run in row order (deterministic); the update is
 * computed with the largest exponent subtracted, so it cannot overflow.
 * eta finite and >= 0. A group id outside [0, G) makes loss and q NaN. */
CLNN_API clnn_status clnn_group_dro(clnn_context *ctx, const clnn_tensor *row_losses, const clnn_tensor *group_ids,
                                    float eta, clnn_tensor *q, clnn_tensor *loss, clnn_tensor *grad);

/* fairret's norm loss (Buyl et al., "fairret: a Framework for Differentiable
 * Fairness Regularization Terms", ICLR 2024) of predictions h [N] and
 * sensitive features s [N, K] (fp32, e.g. one-hot groups):
 *   γ_k = Σ_i s_ik h_i / Σ_i s_ik,  γ̄ = Σ_i h_i / N,  loss = Σ_k |γ_k/γ̄ − 1|
 *   dh_i = Σ_k sign(γ_k/γ̄ − 1) (s_ik/(S_k γ̄) − γ_k/(γ̄² N)),  S_k = Σ_i s_ik
 * (the statistic is the positive rate when h are probabilities). Sums in row
 * order. loss 1 element, dh with h's element count; either may be NULL, not
 * both. */
CLNN_API clnn_status clnn_fairret_loss(clnn_context *ctx, const clnn_tensor *h, const clnn_tensor *s,
                                       clnn_tensor *loss, clnn_tensor *dh);

/* ---------------------------------------------------- ELLE, Lp-Reg */

/* ELLE's points (Abad Rocamora et al., "Efficient local linearity
 * regularization to overcome catastrophic overfitting", ICLR 2024): per
 * sample of x (first dimension N), x_a and x_b uniform in the L∞ ε-ball
 * (Philox streams stream and stream + 1, as clnn_perturb_random_start),
 * α_i the uniform of word i of stream + 2, and
 *   x_c = (1 − α_i) x_a + α_i x_b,
 * each clipped to [lo, hi] with opt->clip. opt: eps, clip, lo, hi of
 * clnn_perturb_options (kind must be FGSM or PGD_LINF); stream below
 * 2^32 − 2. alpha [N] gets α. */
CLNN_API clnn_status clnn_elle_points(clnn_context *ctx, const clnn_perturb_options *opt, uint64_t seed,
                                      uint32_t stream, const clnn_tensor *x, clnn_tensor *x_a, clnn_tensor *x_b,
                                      clnn_tensor *x_c, clnn_tensor *alpha);

/* ELLE's penalty from the three branches' per-sample losses [N] (reduction
 * NONE) at x_a, x_b, x_c and α [N]:
 *   r_i = ℓ_c − (1 − α_i) ℓ_a − α_i ℓ_b,  E = λ mean_i r_i²,
 * and the gradients to the branches: each row i of grad_a, grad_b, grad_c
 * (per-row gradients as a NONE call writes them, N rows; any may be NULL)
 * is scaled in place by dE/dℓ: −2λ(1 − α_i) r_i/N, −2λ α_i r_i/N and
 * 2λ r_i/N. lambda finite and >= 0. penalty 1 element (or NULL). */
CLNN_API clnn_status clnn_elle_penalty(clnn_context *ctx, const clnn_tensor *loss_a, const clnn_tensor *loss_b,
                                       const clnn_tensor *loss_c, const clnn_tensor *alpha, float lambda,
                                       clnn_tensor *penalty, clnn_tensor *grad_a, clnn_tensor *grad_b,
                                       clnn_tensor *grad_c);

/* Lp-Reg (Huang et al., "Low-probability Tokens Sustain Exploration in
 * Reinforcement Learning with Verifiable Reward", 2025) per row of logits
 * [N, C]: π = softmax(z), the min-p filter keeps S = {j : π_j >= min_p·max π},
 * proxy = π on S renormalised, and
 *   loss_r = β KL(proxy ‖ π) = −β log Σ_{j in S} π_j,   dz = β (π − proxy)
 * (exact for a fixed S). min_p in (0, 1], beta finite and >= 0. loss 1
 * element (N for NONE), dlogits like logits; either may be NULL, not both. */
CLNN_API clnn_status clnn_lp_reg(clnn_context *ctx, const clnn_tensor *logits, float min_p, float beta,
                                 clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits);

/* ------------------------------------------------------------------ AAER */

/* AAER (Lin et al., "Eliminating Catastrophic Overfitting Via Abnormal
 * Adversarial Examples Regularization", NeurIPS 2023), from per-sample
 * losses [N] at the perturbation's start x_0 and after it x_adv (a loss's
 * reduction NONE) and their logits z_0, z_adv [N, C]:
 *   A = {i : ℓ_adv,i < ℓ_0,i}    (the abnormal examples: the loss fell)
 *   V_i = ‖z_adv,i − z_0,i‖²,  V_A, V_¬A their means over A and the rest (0 if empty)
 *   P = λ₁ |A|/N · [λ₂ mean_A (ℓ_0 − ℓ_adv) + λ₃ max(V_A − V_¬A, 0)]
 * A's membership is held constant in the gradient. grad_0 and grad_adv
 * (each [N, C] or NULL) come in holding the per-row gradients of ℓ_0 wrt z_0
 * and of ℓ_adv wrt z_adv (what a NONE call writes) and go out holding
 * dP/dz_0 and dP/dz_adv: row i scaled by ±λ₁λ₂/N for i in A (0 otherwise),
 * plus the V term's ∓2λ₁λ₃/N (z_adv − z_0) for i in A and
 * ±2λ₁λ₃|A|/(N|¬A|) (z_adv − z_0) for the rest when V_A > V_¬A. lambdas
 * finite and >= 0. penalty: 1 element (or NULL; not all outputs NULL).
 * Sums over rows and classes in fixed order (deterministic). */
CLNN_API clnn_status clnn_aaer_penalty(clnn_context *ctx, const clnn_tensor *loss_0, const clnn_tensor *loss_adv,
                                       const clnn_tensor *z_0, const clnn_tensor *z_adv, float lambda1, float lambda2,
                                       float lambda3, clnn_tensor *penalty, clnn_tensor *grad_0,
                                       clnn_tensor *grad_adv);

/* ------------------------------------------------- Jacobian penalty */

/* The Jacobian penalty by random projections (Hoffman, Roberts & Yaida,
 * "Robust Learning with Jacobian Regularization", 2019): for a model z(x)
 * with C outputs, ‖J‖_F² ≈ (C/n_proj) Σ_v ‖∂(vᵀz)/∂x‖² over n_proj random
 * unit vectors v. clnn has no double backward, so the parameter gradient
 * takes a finite difference along the input gradient, one projection at a
 * time:
 *   1. clnn_jacobian_projections: v [N, C], a random unit vector per sample;
 *   2. the caller's backward pass with dlogits = v gives g = ∂(vᵀz)/∂x;
 *   3. clnn_jacobian_penalty_step: per sample i, with n_i = ‖g_i‖,
 *        penalty (+)= λ C/(n_proj N) Σ_i n_i²,
 *        x_shift_i = x_i + h g_i/n_i   (x_i where n_i = 0),
 *        dlogits_shift_i = 2λ C/(n_proj N) · (n_i/h) · v_i;
 *   4. the caller adds the backward of dlogits_shift at x_shift and of
 *      −dlogits_shift at x to its parameter gradients: their difference is
 *      ∇_θ penalty up to O(h) (exact when z is linear in x; the error is
 *      h·n_i times the second derivative of vᵀz along g/n, per sample).
 * x, g and x_shift share a shape whose first dimension is N; v and
 * dlogits_shift are [N, C]. lambda finite and >= 0, h finite and > 0,
 * nproj >= 1; accumulate 0 writes penalty (1 element; NULL: none), 1 adds to
 * it. Per-sample norms in a fixed tree (deterministic). */
CLNN_API clnn_status clnn_jacobian_projections(clnn_context *ctx, uint64_t seed, uint32_t stream, clnn_tensor *v);
CLNN_API clnn_status clnn_jacobian_penalty_step(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *v,
                                                const clnn_tensor *g, float lambda, unsigned nproj, float h,
                                                int accumulate, clnn_tensor *penalty, clnn_tensor *x_shift,
                                                clnn_tensor *dlogits_shift);

#ifdef __cplusplus
}
#endif

#endif
