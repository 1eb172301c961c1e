/* Classification losses from logits, from the research on losses as
 * regularizers: focal and Poly-1, squentropy, the noise-robust losses (GCE,
 * MAE, NCE, RCE, NFL and their active-passive combinations), the encouraging
 * loss, the asymmetric multi-label loss (ASL), the spherical-family Z-loss
 * and early-learning regularization (ELR). Included by clnn/clnn.h.
 *
 * Layouts: logits and gradients are fp32 tensors whose last dimension is the
 * class dimension C and whose leading dimensions together are the N rows
 * ([N, C], or [B, T, C] for N = B·T rows). Labels are int32 tensors with N
 * entries, each in [0, C); a label outside it makes that row's loss and
 * gradient NaN, unless it is the ignore_index of `weights`. Notation per row: z the
 * logits, y the label, p = softmax(z), lse = log Σ_j exp z_j,
 * log p_j = z_j − lse.
 *
 * Reductions (clnn_reduction, clnn/layers.h): SUM adds the per-row losses
 * into a 1-element loss; MEAN divides that sum by N; NONE writes the N
 * per-row losses into `loss` (any fp32 tensor of N elements). Gradients are
 * of the reduced loss (for NONE: row r of dlogits is d loss_r / d z_r, as for
 * SUM). weights: NULL (every row counts 1), or per-row weights, class
 * weights and an ignore_index (clnn_label_weights, clnn/layers.h: NONE writes
 * w_r·loss_r, MEAN is Σ w_r loss_r / Σ w_r, and the gradients follow); the
 * multi-label ASL takes row weights only. Its label_smoothing is offered by
 * the losses of log p_y (focal, Poly-1, squentropy, robust, encouraging)
 * and ELR's cross-entropy term; ASL and the spherical Z-loss refuse a
 * nonzero one. Its tensors are inputs: outputs
 * must not alias them. Pass NULL for an output you do not need (not both). Outputs must not
 * alias inputs or each other. Every value is deterministic: one work-group
 * per row with a fixed lane tree (cl/rowreduce.clh), then a fixed tree over
 * the rows; the bits never depend on the local size. No call waits for the
 * device. Hyper-parameters are checked on the host: a rejected call changes
 * nothing (the ELR state included). */
#ifndef CLNN_LOSSES_H
#define CLNN_LOSSES_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------- focal and Poly-1 */

/* Focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV
 * 2017) with the Poly-1 term of PolyLoss (Leng et al., "PolyLoss: A
 * Polynomial Expansion Perspective of Classification Loss Functions", ICLR
 * 2022):
 *   loss_r = −α_y (1 − p_y)^γ log p_y + ε (1 − p_y)^(γ+1)
 * alpha: NULL (α = 1) or fp32 per-class weights with C elements (used as
 * given; α weighs the focal term only, as in the paper's Poly-1 focal loss).
 * gamma finite and >= 0; poly_eps finite and >= −1. γ = 0, α = NULL, ε = 0
 * is cross-entropy. d loss/d z_j = φ'·([j = y] − p_j) with φ' the derivative
 * of the row loss wrt log p_y. Defined for C = 1 (loss and gradient 0). */
CLNN_API clnn_status clnn_focal_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                     const clnn_tensor *alpha, float gamma, float poly_eps,
                                     const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits);

/* Poly-1 cross-entropy (Leng et al. 2022): loss_r = −log p_y + ε (1 − p_y),
 * eps finite and >= −1 (clnn_focal_loss with γ = 0, α = NULL). */
CLNN_API clnn_status clnn_poly1_cross_entropy(clnn_context *ctx, const clnn_tensor *logits,
                                              const clnn_tensor *labels, float eps, const clnn_label_weights *weights, clnn_reduction reduction,
                                              clnn_tensor *loss, clnn_tensor *dlogits);

/* ------------------------------------------------------------ squentropy */

/* Squentropy (Hui, Belkin & Wright, "Cut your Losses with Squentropy", ICML
 * 2023): cross-entropy plus the average square loss of the logits of the
 * incorrect classes,
 *   loss_r = −log p_y + (1/(C − 1)) Σ_{j≠y} z_j²
 * d/dz_j = p_j − [j = y] + [j ≠ y]·2 z_j/(C − 1). Needs C >= 2. */
CLNN_API clnn_status clnn_squentropy(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                     const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits);

/* ---------------------------------------------------- noise-robust losses */

/* Weights of the terms of clnn_robust_loss; a term with weight 0 costs
 * nothing and its parameter is not read. Weights finite and >= 0, at least
 * one of them > 0.
 *   ce:  −log p_y                                       cross-entropy
 *   nce: log p_y / Σ_j log p_j                          normalized CE (Ma et al. 2020), needs C >= 2
 *   rce: −A (1 − p_y)                                   reverse CE −Σ_j p_j log q_j of the one-hot q
 *                                                       with log 0 clipped to A = rce_log_zero (< 0,
 *                                                       finite; the papers use −4) (Wang et al. 2019)
 *   mae: Σ_j |p_j − [j = y]| = 2 (1 − p_y)              mean absolute error (Ghosh et al. 2017)
 *   gce: (1 − p_y^q)/q, q = gce_q in (0, 1]             generalized CE (Zhang & Sabuncu 2018)
 *   nfl: (1 − p_y)^γ log p_y / Σ_j (1 − p_j)^γ log p_j, normalized focal loss (Ma et al. 2020),
 *        γ = nfl_gamma finite and >= 0                  needs C >= 2 (one more pass over the row)
 * The active-passive losses of Ma et al. ("Normalized Loss Functions for Deep
 * Learning with Noisy Labels", ICML 2020) are two weights: α·NCE + β·RCE is
 * {.nce = α, .rce = β, .rce_log_zero = −4}, NCE+MAE {.nce = α, .mae = β},
 * NFL+RCE {.nfl = α, .nfl_gamma = γ, .rce = β, ...}; symmetric CE (Wang et
 * al., ICCV 2019) is {.ce = α, .rce = β, ...}; GCE alone {.gce = 1, .gce_q = 0.7}
 * (fields set after clnn_robust_loss_options_init, which sets the size). */
typedef struct clnn_robust_loss_options {
    size_t size; /* sizeof(clnn_robust_loss_options), set by the _init */
    float ce, nce, rce, mae, gce, nfl;
    float rce_log_zero; /* A < 0 when rce > 0 */
    float gce_q;        /* in (0, 1] when gce > 0 */
    float nfl_gamma;    /* >= 0 when nfl > 0 */
} clnn_robust_loss_options;

/* Every weight 0 (set at least one), rce_log_zero −4, gce_q 0.7, nfl_gamma 0. */
CLNN_API void clnn_robust_loss_options_init(clnn_robust_loss_options *opt);

/* loss_r = Σ_terms weight·term (above); d/dz_j from the same pass. opt must not be NULL. */
CLNN_API clnn_status clnn_robust_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                      const clnn_robust_loss_options *opt, const clnn_label_weights *weights, clnn_reduction reduction,
                                      clnn_tensor *loss, clnn_tensor *dlogits);

/* ------------------------------------------------------ encouraging loss */

/* Encouraging loss (Zhao et al., "Well-classified Examples are
 * Underestimated in Classification with Deep Neural Networks", AAAI 2022):
 * cross-entropy plus the bonus b(p_y) that rewards well-classified examples,
 *   loss_r = −log p_y + b(p_y),
 *   b(p) = log(max(1 − p, 1e-5))                          for p <= LE (or LE = 1)
 *   b(p) = (p − LE)/(LE − 1) + log(1 − LE)                for p > LE, LE < 1
 * LE = log_end in (0, 1]: the paper's conservative bonus, whose code
 * (lancopku/well-classified-examples-are-underestimated, EncouragingLoss)
 * ends the log curve at p = LE and continues it by its tangent there, so the
 * bonus stays finite (>= log(1 − LE) − 1) and its slope bounded; LE = 1 is
 * the plain bonus with 1 − p clamped at 1e-5 as in that code (gradient 0
 * where the clamp holds). The paper recommends LE = 0.75 (0.5 works in every
 * setting it tried). */
CLNN_API clnn_status clnn_encouraging_loss(clnn_context *ctx, const clnn_tensor *logits,
                                           const clnn_tensor *labels, float log_end, const clnn_label_weights *weights, clnn_reduction reduction,
                                           clnn_tensor *loss, clnn_tensor *dlogits);

/* ---------------------------------------------- asymmetric loss (ASL) */

/* Asymmetric loss for multi-label classification (Ridnik et al.,
 * "Asymmetric Loss For Multi-Label Classification", ICCV 2021): logits and
 * targets [N, C], targets 0 or 1 (fp32; any other value makes that element's
 * loss and gradient NaN), one sigmoid p_j = σ(z_j) per class,
 *   loss_r = Σ_j  t_j·(−(1 − p_j)^γ+ log p_j) + (1 − t_j)·(−p_m^γ− log(1 − p_m)),
 *   p_m = max(p_j − m, 0)   (the probability shift: negatives with p <= m count 0)
 * gamma_pos, gamma_neg finite and >= 0; clip m in [0, 1). log p and log(1 − p)
 * are computed as −softplus(∓z), so the loss stays finite at any finite z
 * (the paper's code clamps the probabilities at 1e-8 instead). The gradient
 * includes the derivative of the focusing weights (the paper's code can
 * detach them: disable_torch_grad_focal_loss). The reductions run over
 * rows: MEAN divides the sum over all rows and classes by N. Paper defaults:
 * γ+ = 0, γ− = 4, m = 0.05. */
CLNN_API clnn_status clnn_asymmetric_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *targets,
                                          float gamma_pos, float gamma_neg, float clip, const clnn_label_weights *weights, clnn_reduction reduction,
                                          clnn_tensor *loss, clnn_tensor *dlogits);

/* ---------------------------------------------- spherical-family Z-loss */

/* Z-loss of the spherical family (de Brébisson & Vincent, "An Exploration of
 * Softmax Alternatives Belonging to the Spherical Loss Family", ICLR 2016);
 * not PaLM's z-loss (clnn_z_loss in clnn/outputs.h). Each row is
 * z-normalized, u_j = (z_j − μ)/σ with μ = Σ_j z_j / C and
 * σ = sqrt(Σ_j (z_j − μ)²/C + eps) (population variance; eps >= 0 finite
 * keeps a constant row finite, eps = 0 is the paper's form and gives NaN
 * there), then
 *   loss_r = (1/a)·softplus(a·(b − u_y)),
 *   d/dz_j = −σ(a(b − u_y))·([j = y] − 1/C − u_y u_j / C)/σ   (σ(·) the sigmoid)
 * a > 0 and b finite (the paper tunes them, e.g. a = 0.1, b = 10). Needs
 * C >= 3 (CLNN_ERR_SHAPE below): with 2 classes every z-normalized row is
 * ±(1, −1) whatever the logits (up to eps), so the loss would be constant
 * and carry no gradient. The kernel needs no exponential per element, only
 * Σ z and Σ z² (one pass, with the row's first logit subtracted first so
 * that large offsets cancel exactly) and a gradient pass; the class-count
 * independence of the paper needs the loss computed from the last hidden
 * layer (O(d²) per example), which clnn_spherical_z_loss_hidden below does
 * (docs/kernels.md). */
CLNN_API clnn_status clnn_spherical_z_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                           float a, float b, float eps, const clnn_label_weights *weights, clnn_reduction reduction,
                                           clnn_tensor *loss, clnn_tensor *dlogits);

/* The spherical Z-loss of clnn_spherical_z_loss computed from the last
 * hidden layer, at a cost per row independent of the class count (the
 * paper's point). The output layer is o = W h + b, never formed:
 *   h      [N, d] fp32, row-major (any shape whose last dimension is d:
 *          N = count / d rows)
 *   W      [C, d] fp32, row-major (exactly 2-D; class c's weights are row c)
 *   bias   [C] fp32, or NULL (b = 0)
 *   labels int32, N entries (an entry outside [0, C) makes its row's loss
 *          and dh NaN, and dW and db NaN, as W and b are shared by all rows)
 * a, b, eps and the reduction as clnn_spherical_z_loss (C >= 3), whose value
 * this is on the logits W h + b up to fp32 rounding:
 *   μ = Σo/C, σ = sqrt(Σo²/C − μ² + eps), u_y = (o_y − μ)/σ,
 *   loss_r = (1/a)·softplus(a·(b − u_y)),
 * with, from the per-call statistics s = Wᵀ1, u = Wᵀb, Q = WᵀW (d x d,
 * CLBlast GEMM), Σb and Σb²:
 *   Σo = s·h + Σb,  Σo² = hᵀQh + 2u·h + Σb²,  o_y = w_y·h + b_y.
 * Outputs (each may be NULL, not all of them; none may alias an input or
 * another output):
 *   loss   1 element (MEAN, SUM) or N (NONE)
 *   dh     h's shape
 *   dW     W's shape [C, d]
 *   db     [C] (needs bias)
 * The gradients are the scaled sums over rows of those of
 * clnn_spherical_z_loss's dlogits taken through o = W h + b, formed without
 * any row x class work: with dL/do_c = k[c = y] + α + β o_c per row,
 *   dh = k w_y + α s + β (Q h + u),
 *   dW = W·M + 1 (Σ_n α_n h_n)ᵀ + b (Σ_n β_n h_n)ᵀ + Σ_n k_n e_{y_n} h_nᵀ,
 *   db = W (Σ_n β_n h_n) + Σα + (Σβ) b + Σ_n k_n e_{y_n},
 * M = Σ_n β_n h_n h_nᵀ (a GEMM). Cost: O(C d²) per call for Q and W·M
 * (GEMMs) and O(C d) for the statistics and db; O(d²) per row (the rows' Q h
 * as one GEMM, then O(d) per row); no row x class work; the label terms
 * of dW and db in O(N d) after a stable device sort of the labels (the
 * radix sort of clnn_sort, so the rows of a label add up in row order). Every
 * reduction is deterministic (fixed trees, no atomics): the same inputs give
 * the same bits. Accuracy: Σo²/C − μ² is formed in fp32 from moments, so σ²
 * loses relative accuracy ~ε·(1 + μ²/σ²) when the logits share a large
 * common offset (clnn_spherical_z_loss subtracts the row's first logit
 * first and does not). Device scratch per call: d² + N d floats for Q and
 * the rows' Q h, and with dW or db another d² + N d + 5 N (M, β h, the rows'
 * coefficients, the sorted labels and their permutation) plus the sort's. */
CLNN_API clnn_status clnn_spherical_z_loss_hidden(clnn_context *ctx, const clnn_tensor *h, const clnn_tensor *W,
                                                  const clnn_tensor *bias, const clnn_tensor *labels, float a,
                                                  float b, float eps, const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss,
                                                  clnn_tensor *dh, clnn_tensor *dW, clnn_tensor *db);

/* ----------------------------------- early-learning regularization (ELR) */

/* Early-learning regularization for noisy labels (Liu et al., "Early-Learning
 * Regularization Prevents Memorization of Noisy Labels", NeurIPS 2020), as in
 * the paper's code:
 *   p̃ = clamp(softmax(z), 1e-4, 1 − 1e-4)
 *   t_i ← β t_i + (1 − β) p̃ / Σ_j p̃_j          (the EMA row of sample i; p̃ detached)
 *   loss_r = [−log p_y] + λ log(1 − ⟨t_i, p̃⟩)    (with the updated t_i)
 * The cross-entropy term is there when labels is not NULL (the paper's total
 * loss); with labels NULL only the regularizer is computed. targets: the
 * caller's EMA state [S, C] for S samples (fp32, start it at 0), updated in
 * place at the rows sample_ids[r] (int32, N entries in [0, S); the ids of
 * one call must be distinct; an id outside [0, S) makes its row NaN and
 * updates nothing). The gradient treats t as a constant and the clamp as
 * flat where it holds:
 *   d/dz_j = [p_j − [j = y]] − λ/(1 − ⟨t, p̃⟩)·([p_j unclamped] t_j p_j − p_j Σ_{k unclamped} t_k p_k)
 * lambda finite (paper: 3 for CIFAR-10, 7 for CIFAR-100), beta in [0, 1)
 * (paper: 0.7, 0.9). The state is updated whether or not loss and dlogits
 * are asked for (at least one must be). */
CLNN_API clnn_status clnn_elr_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                   const clnn_tensor *sample_ids, clnn_tensor *targets, float lambda, float beta,
                                   const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits);

#ifdef __cplusplus
}
#endif

#endif
