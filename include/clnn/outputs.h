/* Regularizers on a network's outputs: soft-target mixing, confidence
 * penalty, KL and Jensen-Shannon divergences between two logit sets, z-loss,
 * StableMax and its cross-entropy. Included by clnn/clnn.h.
 *
 * Layouts: logits, probabilities, targets and gradients are fp32 tensors whose
 * last dimension is the class dimension C and whose leading dimensions
 * together are the N rows (e.g. [N, C], or [B, T, C] for N = B·T rows).
 * Labels are int32 tensors with N entries. A loss is an fp32 tensor of exactly
 * 1 element (N elements for NONE), written on the device (no call waits).
 * Reductions (clnn_reduction, clnn/layers.h): SUM adds the per-row values;
 * MEAN divides that sum by N (PyTorch's "batchmean" for KL); NONE writes the
 * N per-row values (a KL or JS row is the divergence of that row's two
 * distributions, summed over its classes). Gradients are of the reduced loss
 * (SUM's for NONE); pass NULL for an output you do not need (not both).
 * Outputs must not alias inputs. Every reduction is
 * deterministic: one work-group per row with a fixed lane tree, then a fixed
 * tree over the rows; the bits never depend on the local size.
 *
 * Label smoothing is not repeated here: clnn_cross_entropy_labels and
 * clnn_cross_entropy_soft (clnn/layers.h) take it as
 * clnn_cross_entropy_options.label_smoothing, and the targets made by
 * clnn_soft_targets_mix* below go straight into clnn_cross_entropy_soft. */
#ifndef CLNN_OUTPUTS_H
#define CLNN_OUTPUTS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------- soft-target mixing */

/* Progressive self-knowledge distillation (Kim et al. 2021, PS-KD):
 *   targets = (1 − alpha)·y + alpha·p_prev,
 * y the one-hot rows of int32 labels [N] (a label outside [0, C) makes its
 * row NaN), p_prev [N, C] the previous predictions (probabilities), alpha in
 * [0, 1]. The map is linear: d targets / d p_prev = alpha, d targets / d y =
 * 1 − alpha elementwise (p_prev is usually held constant), so no backward
 * call is needed. targets has p_prev's shape. */
CLNN_API clnn_status clnn_soft_targets_mix_labels(clnn_context *ctx, const clnn_tensor *labels,
                                                  const clnn_tensor *p_prev, float alpha, clnn_tensor *targets);
/* The same with soft rows y [N, C] (same shape as p_prev). */
CLNN_API clnn_status clnn_soft_targets_mix(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *p_prev,
                                           float alpha, clnn_tensor *targets);

/* --------------------------------------------------- confidence penalty */

/* Confidence penalty (Pereyra et al. 2017): per row −beta·H(softmax(z)),
 * H(p) = −Σ_j p_j log p_j; d/dz_j = beta·p_j·(log p_j + H). beta finite (a
 * negative beta minimizes the entropy instead). dlogits has logits' shape. */
CLNN_API clnn_status clnn_confidence_penalty(clnn_context *ctx, const clnn_tensor *logits, float beta,
                                             clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits);

/* Entropy penalty on given probability rows (e.g. attention probabilities
 * [B·H·Sq, Sk]; entropy-based attention regularization, Attanasio et al.
 * 2022): per row −beta·H(p) = beta·Σ_j p_j log p_j (0 log 0 = 0), gradient
 * wrt the probabilities dprobs_j = beta·(log p_j + 1); an entry p_j = 0 is
 * taken as FLT_MIN there (the derivative is unbounded at 0). The rows are
 * used as given (not renormalized); beta finite. */
CLNN_API clnn_status clnn_prob_entropy_penalty(clnn_context *ctx, const clnn_tensor *probs, float beta,
                                               clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dprobs);

/* ------------------------------------------------------- divergences */

typedef enum clnn_kl_direction {
    CLNN_KL_PQ = 0, /* KL(p ‖ q) = Σ p (log p − log q) */
    CLNN_KL_QP = 1  /* KL(q ‖ p) */
} clnn_kl_direction;

/* KL divergence between p = softmax(zp) and q = softmax(zq) (rows of the same
 * shape), per row, in the chosen direction, with gradients wrt both logit
 * sets (dzp, dzq: shapes of zp, zq; either may be NULL). For KL(p ‖ q):
 *   dzp_j = p_j (log p_j − log q_j − KL),   dzq_j = q_j − p_j.
 * Consistency losses and virtual adversarial training (Miyato et al. 2018)
 * are built on it. */
CLNN_API clnn_status clnn_kl_div_logits(clnn_context *ctx, const clnn_tensor *zp, const clnn_tensor *zq,
                                        clnn_kl_direction direction, clnn_reduction reduction, clnn_tensor *loss,
                                        clnn_tensor *dzp, clnn_tensor *dzq);

/* Jensen-Shannon divergence (Lin 1991) of p = softmax(zp), q = softmax(zq):
 * JS = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, natural log (so JS <= log 2),
 * with gradients wrt both logit sets (either may be NULL). */
CLNN_API clnn_status clnn_js_div_logits(clnn_context *ctx, const clnn_tensor *zp, const clnn_tensor *zq,
                                        clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dzp,
                                        clnn_tensor *dzq);

/* Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the
 * Knowledge in a Neural Network"): per row of the student's logits z [N, C]
 * and the teacher's targets (same shape), with temperature T,
 *   loss_r = T² · KL(p ‖ q) = T² Σ_j p_j (log p_j − log q_j),  q = softmax(z / T),
 *   p = softmax(teacher / T)    CLNN_KD_LOGITS    (teacher logits)
 *   p = teacher                 CLNN_KD_PROBS     (probabilities, used as given)
 *   p = softmax(teacher)        CLNN_KD_LOG_PROBS (log-probabilities; PyTorch's
 *                               kl_div(log_target=True) takes exp(teacher): the
 *                               same for normalised rows, renormalised here)
 * 0 log 0 = 0; T scales only the student (and teacher logits): PyTorch's
 * recipe kl_div(log_softmax(z/T), softmax(t/T), reduction='batchmean')·T².
 * dstudent_j = scale·T·(q_j·Σp − p_j) (the T² scaling keeps the gradients'
 * magnitude as T changes); the teacher gets no gradient. MEAN divides by
 * the N rows (PyTorch's 'batchmean'). temperature finite and > 0. Runs on
 * clnn_kl_div_logits (logits) or clnn_cross_entropy_soft plus
 * clnn_prob_entropy_penalty (probabilities), with workspaces of up to twice
 * z's size. */
typedef enum clnn_kd_target {
    CLNN_KD_LOGITS = 0,
    CLNN_KD_PROBS = 1,
    CLNN_KD_LOG_PROBS = 2
} clnn_kd_target;

CLNN_API clnn_status clnn_kd_loss(clnn_context *ctx, const clnn_tensor *student, const clnn_tensor *teacher,
                                  clnn_kd_target target, float temperature, clnn_reduction reduction,
                                  clnn_tensor *loss, clnn_tensor *dstudent);

/* -------------------------------------------------------------- z-loss */

/* z-loss (PaLM, Chowdhery et al. 2022): per row coef·(log Σ_j exp z_j)²;
 * d/dz_j = 2·coef·lse·softmax_j. coef finite and >= 0 (PaLM: 1e-4). */
CLNN_API clnn_status clnn_z_loss(clnn_context *ctx, const clnn_tensor *logits, float coef,
                                 clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits);

/* ----------------------------------------------------------- StableMax */

/* StableMax (Prieto et al. 2025), a softmax alternative without exponentials:
 * s(x) = x + 1 for x >= 0, 1/(1 − x) for x < 0;  y_j = s(x_j) / Σ_k s(x_k)
 * along each row. y has x's shape. */
CLNN_API clnn_status clnn_stablemax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y);
/* dx_j = s'(x_j)/S · (dy_j − Σ_k dy_k y_k), S = Σ_k s(x_k), s'(x) = 1 for
 * x >= 0 and 1/(1 − x)² below. Takes the forward's input x. */
CLNN_API clnn_status clnn_stablemax_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                             clnn_tensor *dx);
/* Cross-entropy of StableMax with int32 labels [N] (each in [0, C); others
 * make their row's loss and gradient NaN): per row log S − log s(x_label);
 * dlogits_j = s'(x_j)/S − [j = label]·s'(x_label)/s(x_label). */
CLNN_API clnn_status clnn_stablemax_cross_entropy(clnn_context *ctx, const clnn_tensor *logits,
                                                  const clnn_tensor *labels, clnn_reduction reduction,
                                                  clnn_tensor *loss, clnn_tensor *dlogits);

#ifdef __cplusplus
}
#endif

#endif
