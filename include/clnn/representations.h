/* Regularizers and losses on representations (embeddings): VICReg's
 * variance, covariance and invariance terms, center loss with its center
 * update, Huber and pseudo-Huber losses, and Sinkhorn normalization of score
 * matrices with its backward. Included by clnn/clnn.h.
 *
 * Layouts (all row-major fp32 unless said otherwise):
 *   embeddings z, z2   [N, D]: N samples (the batch) of D features, 2-D.
 *   center-loss x      [N, D], int32 labels [N], centers [K, D].
 *   Huber pred/target  any shape, the same element count.
 *   pseudo-Huber       rows over the last dimension: [..., C], leading
 *                      dimensions flattened to the R rows.
 *   Sinkhorn scores    [N, M] or [B, N, M] (leading dimensions flattened to B).
 * A loss is an fp32 tensor of exactly 1 element, written on the device (no
 * call waits). Gradients are of that loss; pass NULL for an output you do
 * not need (not all of them). Outputs must not alias inputs or each other.
 * The functions taking a clnn_reduction (clnn/layers.h) also accept NONE:
 * the loss then holds the unreduced terms (center loss: N, one per sample;
 * Huber: one per element, as PyTorch's reduction='none'; pseudo-Huber: one
 * per row R), and the gradients are SUM's. VICReg takes no reduction: its
 * variance and covariance terms are functions of the whole batch, not sums
 * of per-sample terms.
 *
 * Determinism: every sum is a fixed tree (fixed lanes and chunks that depend
 * on the shapes only, then fixed-order merges); no atomics. Two calls give the
 * same bits, whatever local size the tuner picks. */
#ifndef CLNN_REPRESENTATIONS_H
#define CLNN_REPRESENTATIONS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- VICReg */

/* VICReg (Bardes, Ponce & LeCun, "VICReg: Variance-Invariance-Covariance
 * Regularization for Self-Supervised Learning", ICLR 2022). Variance and
 * covariance as in the paper's equations (1)-(4), invariance as its
 * reference code (F.mse_loss), for which the paper's weights were chosen:
 *   Var_j  = 1/(N−1) Σ_i (z_ij − mean_j)²         (unbiased, as torch.var)
 *   v(Z)   = 1/D Σ_j max(0, γ − sqrt(Var_j + ε))  (mean over the D features)
 *   C(Z)   = 1/(N−1) Σ_i (z_i − mean)(z_i − mean)ᵀ (D x D, through CLBlast)
 *   c(Z)   = 1/D Σ_{i≠j} C_ij²
 *   s(Z,Z') = 1/(N·D) Σ_ij (z_ij − z'_ij)²         (mean over all elements;
 *            the paper's equation (5), 1/N Σ_i ‖z_i − z'_i‖², is D times this)
 * Gradients wrt the embeddings:
 *   dv/dz_ij = −[γ > s_j]·(z_ij − mean_j) / (D·(N−1)·s_j),  s_j = sqrt(Var_j + ε)
 *   dc/dz    = 4/(D·(N−1)) · (Z − mean)·offdiag(C)
 *   ds/dz    = 2(z − z')/(N·D),  ds/dz' = −ds/dz
 * Scratch: the covariance holds the centred embeddings (N·D floats) and C
 * (D·D floats) for the call; the statistics take 2·min(N, 64)·D floats.
 * The variance and the covariance need N >= 2: a batch of one sample has no
 * (unbiased) variance, and those calls fail with CLNN_ERR_SHAPE saying so.
 * γ finite and >= 0, ε finite and > 0 (paper: γ = 1, ε = 1e-4). */
CLNN_API clnn_status clnn_vicreg_variance(clnn_context *ctx, const clnn_tensor *z, float gamma, float eps,
                                          clnn_tensor *loss, clnn_tensor *dz);
CLNN_API clnn_status clnn_vicreg_covariance(clnn_context *ctx, const clnn_tensor *z, clnn_tensor *loss,
                                            clnn_tensor *dz);
/* Invariance: z and z2 of the same shape [N, D] (N = 1 allowed). */
CLNN_API clnn_status clnn_vicreg_invariance(clnn_context *ctx, const clnn_tensor *z, const clnn_tensor *z2,
                                            clnn_tensor *loss, clnn_tensor *dz, clnn_tensor *dz2);

/* Set up by clnn_vicreg_options_init (the paper's values below); NULL
 * means those. */
typedef struct clnn_vicreg_options {
    size_t size;  /* sizeof(clnn_vicreg_options), set by the _init */
    float lambda; /* invariance weight λ (paper: 25) */
    float mu;     /* variance weight μ (paper: 25) */
    float nu;     /* covariance weight ν (paper: 1) */
    float gamma;  /* variance target γ (paper: 1) */
    float eps;    /* ε under the square root (paper: 1e-4) */
} clnn_vicreg_options;

CLNN_API void clnn_vicreg_options_init(clnn_vicreg_options *opt);

/* The whole VICReg loss of two branches, the paper's equation (6):
 *   ℓ = λ·s(Z, Z') + μ·[v(Z) + v(Z')] + ν·[c(Z) + c(Z')]
 * (the reference code halves its variance term, i.e. uses μ/2 here). opt
 * NULL means the paper's values {25, 25, 1, 1, 1e-4}; the weights are finite
 * and >= 0. dz and dz2 receive dℓ/dz and dℓ/dz'. N >= 2. */
CLNN_API clnn_status clnn_vicreg_loss(clnn_context *ctx, const clnn_tensor *z, const clnn_tensor *z2,
                                      const clnn_vicreg_options *opt, clnn_tensor *loss, clnn_tensor *dz,
                                      clnn_tensor *dz2);

/* ------------------------------------------------- IsoScore* (I-STAR) */

/* I-STAR's penalty (Rudman & Eickhoff, "Stable Anisotropic Regularization",
 * ICLR 2024) on representations z [N, d] (N >= 2, d >= 2): with the
 * unbiased covariance Σ of z's columns and its shrunk form
 *   C = (1 − ζ) Σ + ζ C0        (C0 [d, d] a constant, e.g. the covariance of
 *                                a larger sample; NULL: ζ must be 0),
 * t = tr C and f = ‖C‖_F², IsoScore* is ι* = (t²/f − 1)/(d − 1) (the
 * participation ratio of C's eigenvalues rescaled to [0, 1], exact and
 * without an SVD), and
 *   loss = λ (1 − ι*)   (isotropy encouraged; λ < 0 encourages anisotropy),
 *   dz = 2(1 − ζ)/(N − 1) · Zc · G,   G = dloss/dC = −λ/(d − 1) (2t/f I − 2t²/f² C),
 * Zc the centred z. zeta in [0, 1], lambda finite. loss 1 element and dz
 * like z; either may be NULL, not both. Deterministic (fixed-order column
 * statistics, CLBlast GEMMs, a fixed-lane sum for t and f). */
CLNN_API clnn_status clnn_isoscore_penalty(clnn_context *ctx, const clnn_tensor *z, const clnn_tensor *c0, float zeta,
                                           float lambda, clnn_tensor *loss, clnn_tensor *dz);

/* ----------------------------------------------------------- center loss */

/* Center loss (Wen, Zhang, Li & Qiao, "A Discriminative Feature Learning
 * Approach for Deep Face Recognition", ECCV 2016):
 *   per sample ½‖x_i − c_{y_i}‖²,  dx_i = scale·(x_i − c_{y_i})
 * SUM adds the samples (the paper's L_C), MEAN divides by N, NONE keeps the
 * N per-sample values. labels int32 [N];
 * a label outside [0, K) makes its sample's loss and gradient NaN. The
 * centers get no gradient here: they follow clnn_center_loss_update. */
CLNN_API clnn_status clnn_center_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *labels,
                                      const clnn_tensor *centers, clnn_reduction reduction, clnn_tensor *loss,
                                      clnn_tensor *dx);
/* The paper's center update (its equation (4)), in place:
 *   c_j ← c_j − α·Δc_j,  Δc_j = Σ_{i: y_i = j} (c_j − x_i) / (1 + n_j)
 * n_j the number of samples of class j in the batch; classes without samples
 * keep their center. Samples with labels outside [0, K) are ignored. α in
 * [0, 1]. Deterministic: each class present in the batch is updated by the
 * work-items of its first sample, which walk the class's samples in batch
 * order (a link to the next sample of the same label, found by scanning the
 * labels: O(N²) label reads in the worst case, all labels distinct, and
 * O(N·D) reads of x). x must not alias centers. */
CLNN_API clnn_status clnn_center_loss_update(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *labels,
                                             float alpha, clnn_tensor *centers);

/* --------------------------------------------------- Huber, pseudo-Huber */

/* Huber loss (Huber, "Robust Estimation of a Location Parameter", 1964),
 * elementwise on r = pred − target:
 *   h(r) = ½r² for |r| <= δ,  δ(|r| − ½δ) above;  dpred = scale·clamp(r, −δ, δ)
 * (PyTorch's HuberLoss). MEAN divides the sum by the element count; NONE
 * keeps each element's h(r) (a loss of pred's element count). δ finite and
 * > 0. d/dtarget = −dpred. */
CLNN_API clnn_status clnn_huber_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                     float delta, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred);

/* Pseudo-Huber loss per row, the vector form (Charbonnier et al. 1997;
 * used for consistency models by Song & Dhariwal, "Improved Techniques for
 * Training Consistency Models", 2023):
 *   ℓ_r = sqrt(‖x_r − y_r‖² + c²) − c,  dx_r = scale·(x_r − y_r) / sqrt(‖x_r − y_r‖² + c²)
 * with the norm over the last dimension; MEAN divides by the number of rows,
 * NONE keeps the R row values.
 * c finite and > 0. The elementwise form δ²(sqrt(1 + (r/δ)²) − 1) is δ times
 * this with rows of one element (view the tensors as [count, 1]) and c = δ.
 * d/dtarget = −dpred. */
CLNN_API clnn_status clnn_pseudo_huber_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                            float c, clnn_reduction reduction, clnn_tensor *loss,
                                            clnn_tensor *dpred);

/* -------------------------------------------------------------- Sinkhorn */

/* Sinkhorn normalization in the log domain (Cuturi, "Sinkhorn Distances",
 * NeurIPS 2013; log-domain iterations as in Peyré & Cuturi, "Computational
 * Optimal Transport", 2019, §4.4), for each of the B score matrices S [N, M]:
 *   K = S/τ,  g_0 = 0, for t = 1..iters:
 *     f_t,i = log a − LSE_j(K_ij + g_{t−1,j})       (rows sum to a = 1)
 *     g_t,j = log b − LSE_i(K_ij + f_t,i)           (columns sum to b = N/M)
 *   P = exp(K + f_iters + g_iters)
 * For N = M, P converges to a doubly-stochastic matrix; the last step is a
 * column step, so columns sum to N/M up to rounding and rows approach 1 as
 * the iterations grow. τ finite and > 0, iters in [1, 10000].
 *
 * potentials (optional, for the backward): fp32 with exactly
 * iters·B·(N + M) elements; iteration t (0-based) holds f_{t+1} [B, N] at
 * t·B·(N+M) and g_{t+1} [B, M] right after it. P has the scores' shape. */
CLNN_API clnn_status clnn_sinkhorn_forward(clnn_context *ctx, const clnn_tensor *scores, float tau,
                                           unsigned iters, clnn_tensor *p, clnn_tensor *potentials);
/* dscores = dL/dS given dL/dP (dp, the scores' shape), by backpropagating
 * through every iteration (not the implicit fixed-point gradient): each
 * iteration's row and column weights are recomputed from the stored
 * potentials, so the memory is the potentials (iters·B·(N+M) floats) plus
 * B·(N+M) floats of scratch; no N x M intermediate per iteration. potentials
 * NULL: the forward is run again into scratch of that size first. The same
 * tau and iters as the forward. */
CLNN_API clnn_status clnn_sinkhorn_backward(clnn_context *ctx, const clnn_tensor *scores, const clnn_tensor *potentials,
                                            const clnn_tensor *dp, float tau, unsigned iters, clnn_tensor *dscores);

#ifdef __cplusplus
}
#endif

#endif
