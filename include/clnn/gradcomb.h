/* Gradient combination for auxiliary objectives (PCGrad, gradient surgery
 * with an EMA, weighted sums), adversarial model perturbation (AMP), and the
 * sparsity methods LOBSTER and the progressive N:M schedule. Included by
 * clnn/clnn.h. Formulas and sources: docs/kernels.md, "Gradient combination".
 *
 * Layouts: a gradient list is the gradients of one objective over all nparams
 * parameter tensors, fp32, any shapes. Several lists are passed list-major in
 * one array: grads[k·nparams + p] is tensor p of list k; every list's tensor
 * p and out[p] have the same element count. Inner products and norms are
 * over the whole list (all its tensors), summed by the deterministic two-stage
 * reduction of clnn/regularizers.h (tensor by tensor in order): a device gives
 * the same bits run after run, whatever the local size. No call waits for the
 * device; the small solves (projection coefficients) run on the device too.
 * Outputs and state tensors must not share a buffer with any input. */
#ifndef CLNN_GRADCOMB_H
#define CLNN_GRADCOMB_H

#ifdef __cplusplus
extern "C" {
#endif

/* Most lists one combination takes. */
#define CLNN_GRADCOMB_MAX_LISTS 64

/* ------------------------------------------------------ weighted sums */

/* out[p] = Σ_k c_k·grads[k·nparams + p], c_k = scales[k]·weights[k]: the
 * loss-weighted sum of nlists (1..64) gradient lists. scales: nlists finite
 * host floats, or NULL (all 1); weights: an fp32 device tensor of >= nlists
 * values (e.g. task weights computed on the device, such as a balance of the
 * per-task contributions), or NULL (all 1). The sum runs in the order of k. */
CLNN_API clnn_status clnn_grad_weighted_sum(clnn_context *ctx, size_t nlists, size_t nparams,
                                            const clnn_tensor *const *grads, const float *scales,
                                            const clnn_tensor *weights, clnn_tensor *const *out);

/* -------------------------------------------------------------- PCGrad */

/* Projecting conflicting gradients (Yu et al. 2020, "Gradient Surgery for
 * Multi-Task Learning", Algorithm 1) over ntasks (1..64) gradient lists g_i:
 *   for each task i: g_i^PC = g_i; for each task j != i in random order:
 *       if <g_i^PC, g_j> < 0: g_i^PC −= <g_i^PC, g_j> / ||g_j||²·g_j   (the original g_j)
 *   out = Σ_i g_i^PC
 * Every projected g_i^PC is a combination Σ_k A_ik g_k, so the kernels form
 * the Gram matrix G_kl = <g_k, g_l> in one pass over the lists, run the
 * projections on the K x K coefficients (one work-item), and write out =
 * Σ_k (Σ_i A_ik)·g_k in a second pass. The random order of each task i is a
 * Fisher-Yates shuffle of the other tasks drawn from Philox words (seed,
 * stream, i·ntasks + s) (docs/kernels.md): reproducible from (seed, stream);
 * use a new stream per step. */
CLNN_API clnn_status clnn_pcgrad(clnn_context *ctx, size_t ntasks, size_t nparams, const clnn_tensor *const *grads,
                                 uint64_t seed, uint32_t stream, clnn_tensor *const *out);

/* ----------------------------------------- gradient surgery with an EMA */

/* Which gradient the EMA follows, and so which one is projected. */
typedef enum clnn_surgery_ema {
    /* Bloop (Hsieh et al. 2024, "Careful with that Scalpel: Improving Gradient
     * Surgery with an EMA"): the EMA follows the main (training) gradient and
     * the auxiliary gradient is projected orthogonal to it:
     *   ema ← β·ema + (1 − β)·g_main
     *   out = g_main + λ·(g_aux − <g_aux, ema>/||ema||²·ema) */
    CLNN_SURGERY_EMA_MAIN = 0,
    /* The form of the issue text: the EMA follows the auxiliary gradient and
     * that average is projected orthogonal to the main gradient:
     *   ema ← β·ema + (1 − β)·g_aux
     *   out = g_main + λ·(ema − <ema, g_main>/||g_main||²·g_main) */
    CLNN_SURGERY_EMA_AUX = 1
} clnn_surgery_ema;

/* One step of gradient surgery with an EMA over lists of nparams tensors:
 * the EMA is updated in place (ema[p]: caller-owned, start it at zero, or
 * pass beta = 0 on the first step to start it at the gradient), then out is
 * formed; a zero direction (||·|| = 0) projects nothing. beta in [0, 1],
 * lambda finite. */
CLNN_API clnn_status clnn_grad_surgery_ema(clnn_context *ctx, size_t nparams, const clnn_tensor *const *g_main,
                                           const clnn_tensor *const *g_aux, clnn_surgery_ema which, float beta,
                                           float lambda, clnn_tensor *const *ema, clnn_tensor *const *out);

/* ------------------------------------ adversarial model perturbation */

/* Adversarial model perturbation (Zheng, Zhang & Mao 2021, "Regularizing
 * Neural Networks via Adversarial Model Perturbation", Algorithm 1): minimize
 * max_{||Δ|| <= ε} L(w + Δ), the inner maximum found by a few steps of
 * gradient ascent on Δ projected back onto the ε-ball. */
typedef struct clnn_amp_options {
    size_t size;    /* sizeof(clnn_amp_options), set by clnn_amp_options_init */
    float epsilon;  /* radius ε of the ball, finite, >= 0 */
    float inner_lr; /* ascent step ζ, finite, >= 0 */
    int per_tensor; /* 0: one ball over the whole list (the paper); nonzero: a
                       ball of radius ε per tensor (the authors' code) */
} clnn_amp_options;

/* epsilon 0, inner_lr 0 (set both), per_tensor 0. */
CLNN_API void clnn_amp_options_init(clnn_amp_options *opt);

/* Inner ascent step k (inner_step) of AMP over n parameter tensors, given
 * grads = ∇L at the current w (for k = 0 the unperturbed weights):
 *   k = 0: saved ← w, Δ = ζ·g;   k > 0: Δ ← Δ + ζ·g
 *   Δ ← Δ·min(1, ε / (||Δ|| + 1e-12))           (projection onto the ball)
 *   w ← saved + Δ
 * A training step: backward at w; clnn_amp_ascent(k = 0); backward at w + Δ;
 * ... (K ascents); clnn_sam_restore(saved, w); the optimizer step with the
 * last gradient (taken at w + Δ). saved and delta: caller-owned tensors with
 * w[i]'s element count; delta keeps Δ between inner steps. */
CLNN_API clnn_status clnn_amp_ascent(clnn_context *ctx, size_t n, const clnn_tensor *const *grads,
                                     const clnn_amp_options *amp, unsigned inner_step, clnn_tensor *const *w,
                                     clnn_tensor *const *saved, clnn_tensor *const *delta);

/* ------------------------------------------------------------ sparsity */

/* LOBSTER (Tartaglione, Bragagnolo, Fiandrotti & Grangetto 2022, "LOBSTER:
 * Loss-Based Sensitivity Regularization of Deep Neural Networks"), one fused
 * elementwise pass: parameters with small sensitivity |∂L/∂w| shrink toward
 * zero, then the small ones are pruned:
 *   w' = w − lr·λ·w·max(0, 1 − |g|/s)
 *   keep = |w'| >= threshold (and mask != 0 when a mask is given)
 *   w ← keep ? w' : 0;  mask ← keep ? mask : 0
 * Call it before the optimizer step with the same gradient g (with plain SGD,
 * w ← w − lr·g, the two give the paper's update from the same w). mask:
 * optional fp32 tensor with w's element count, updated in place so that
 * pruned weights stay pruned (clnn_prune_apply to the gradients). lr, lambda,
 * threshold finite and >= 0; s finite and > 0. g and mask: w's element count,
 * three different buffers. */
CLNN_API clnn_status clnn_lobster_step(clnn_context *ctx, const clnn_tensor *grad, float lr, float lambda, float s,
                                       float threshold, clnn_tensor *w, clnn_tensor *mask);

/* Progressive N:M sparsity: the number of weights kept per group of m at step
 * `step`, going from dense (m) at t0 to n at t1 with the cubic sparsity ramp of
 * Zhu & Gupta 2017 ("To prune, or not to prune"), realized as whole N:M levels:
 *   τ = clamp((step − t0) / (t1 − t0), 0, 1) (τ = 1 from t1 on),  r = 1 − (1 − τ)³
 *   n_t = m − floor((m − n)·r + 1/2)
 * so n_t = m up to t0, n from t1 on, and never grows: the target sparsity
 * (1 − n/m)·r rounded to whole weights per group. 1 <= m <= 64, n <= m,
 * t0 <= t1 (t0 = t1: dense before t1, n from t1 on). */
CLNN_API clnn_status clnn_nm_schedule(unsigned n, unsigned m, unsigned long t0, unsigned long t1,
                                      unsigned long step, unsigned *n_t);
/* clnn_prune_nm_mask(w, n_t, m, mask) with n_t = clnn_nm_schedule(...): the
 * N:M mask of the schedule's level at `step` (ties and layout as there). */
CLNN_API clnn_status clnn_prune_nm_progressive_mask(clnn_context *ctx, const clnn_tensor *w, unsigned n, unsigned m,
                                                    unsigned long t0, unsigned long t1, unsigned long step,
                                                    clnn_tensor *mask);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_GRADCOMB_H */
