/* Contrastive and self-supervised objectives: InfoNCE / NT-Xent (with
 * temperature, margin, decoupling, optional L2 normalisation), supervised
 * contrastive loss, a memory-efficient tiled InfoNCE, alignment and
 * uniformity, GE2E, Barlow Twins and variance penalties. Included by
 * clnn/clnn.h.
 *
 * Layouts: embeddings are fp32 tensors whose last dimension is the embedding
 * size D and whose leading dimensions together are the N samples (e.g.
 * [N, D]); the two views z1, z2 of a pair-based loss have the same shape,
 * sample i of z1 and sample i of z2 being the positive pair. Labels are int32
 * tensors of N entries. A loss is an fp32 tensor of exactly 1 element
 * (the InfoNCE family's NONE: one per anchor), written on the device (no
 * call waits). Gradients are of the loss with
 * respect to the inputs and have their shapes; pass NULL for an output you do
 * not need (at least one output must be given). Outputs must not alias
 * inputs or each other.
 *
 * Determinism: every reduction is a fixed tree or a fixed sequential order
 * (no atomics), so the same device gives the same bits on every run and
 * for any local size. Similarity matrices are GEMMs through CLBlast, except
 * in clnn_infonce_tiled, which never forms them. */
#ifndef CLNN_CONTRASTIVE_H
#define CLNN_CONTRASTIVE_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------- InfoNCE family */

/* Which pairs an InfoNCE call contrasts. With s(a, b) = a·b (cosine when
 * normalize is set), temperature τ, margin m, and l = (s − m·[positive])/τ:
 *
 * ONE_WAY (van den Oord et al. 2018, "Representation Learning with
 *   Contrastive Predictive Coding"; the cross-view form CLIP uses per
 *   direction): anchor z1_i, candidates z2_0..z2_{N−1}, positive z2_i, N − 1
 *   negatives z2_j (j ≠ i):
 *     ℓ_i = −l_ii + log Σ_j exp(l_ij)
 * SYMMETRIC (Radford et al. 2021, CLIP): ½·(ONE_WAY(z1 → z2) + ONE_WAY(z2 →
 *   z1)), each direction reduced as below.
 * NT_XENT (Chen et al. 2020, SimCLR): the 2N samples [z1; z2] are all
 *   anchors; anchor k's positive is its other view (k ± N), and its
 *   denominator runs over the 2N − 1 samples other than itself: the positive
 *   and 2N − 2 negatives (both views of every other pair):
 *     ℓ_k = −l_{k,pos(k)} + log Σ_{j ≠ k} exp(l_kj)
 * Reduction: MEAN divides the sum of ℓ over the anchors by their count (N;
 * 2N for NT_XENT); SUM adds them; NONE writes one value per anchor into a
 * loss of that many elements (N for ONE_WAY; 2N for SYMMETRIC, z1's
 * anchors then z2's, each ½ℓ; 2N for NT_XENT and SupCon; V·N for
 * clnn_supcon_views), which add up to SUM, with SUM's gradients.
 *
 * A queue of K extra negatives q_0..q_{K−1} (options' queue; MoCo, He et
 * al. 2020, "Momentum Contrast for Unsupervised Visual Representation
 * Learning") joins every anchor's candidates: ONE_WAY, SYMMETRIC and NT_XENT
 * add the K terms exp(s(anchor, q_j)/τ) to their in-batch denominators
 * (each direction of SYMMETRIC and each of NT_XENT's 2N anchors sees the
 * whole queue). MOCO is MoCo's own loss: anchors z1 (the queries),
 * positive z2_i (the key), negatives the queue alone (no in-batch
 * negatives):
 *     ℓ_i = −l_ii + log( exp(l_ii) + Σ_j exp(s(z1_i, q_j)/τ) )
 * which is MoCo's logits = cat([l_pos, l_neg]) / T with CrossEntropy(labels
 * = 0); MOCO needs a queue. The queue is a constant: no gradient flows into
 * it (MoCo's keys come from a momentum encoder); dz2 is the gradient of the
 * positive's term (pass NULL when the keys get no gradient, as in MoCo). */
typedef enum clnn_infonce_mode {
    CLNN_INFONCE_ONE_WAY = 0,
    CLNN_INFONCE_SYMMETRIC = 1,
    CLNN_INFONCE_NT_XENT = 2,
    CLNN_INFONCE_MOCO = 3
} clnn_infonce_mode;

/* Options of clnn_infonce, clnn_infonce_tiled and clnn_supcon, set up by
 * clnn_contrastive_options_init (temperature 0.1, margin 0, normalize 1,
 * decoupled 0, MEAN); NULL means those defaults.
 * temperature: τ, finite and > 0 (tested from 0.01 to 1; logits are
 *   max-shifted, so small τ does not overflow).
 * margin: additive margin m on the positive similarity, finite (AM-softmax
 *   style, Wang et al. 2018, "Additive Margin Softmax"; applied to the
 *   positive in the numerator and, unless decoupled, in the denominator);
 *   0 = none.
 * normalize: 1 L2-normalises every embedding row inside the op (ẑ = z /
 *   max(‖z‖, 1e-12), as torch.nn.functional.normalize) and back-propagates
 *   through it; 0 uses the rows as given.
 * decoupled: 1 removes the positive(s) from the denominator (Yeh et al.
 *   2022, "Decoupled Contrastive Learning"): ℓ_i = −l_pos + log Σ_{negatives}
 *   exp(l). Needs N >= 2 or a queue (otherwise there are no negatives).
 * queue: NULL (the default) or fp32 [K, D] (leading dimensions together
 *   the K rows, K >= 1; D = z1's last dimension): extra negatives of every
 *   anchor (see clnn_infonce_mode), read only, no gradient. normalize
 *   applies to its rows too (s is the cosine then; MoCo's queue holds
 *   normalised keys, which it leaves as they are up to rounding). Must not
 *   share memory with an output. Refused by clnn_supcon and
 *   clnn_supcon_views (queue rows have no labels). Memory: a normalised copy
 *   (K·D floats), and the materialised path's similarity rows grow to N + K
 *   (2N + K for NT_XENT) columns. Appended to the struct (ABI). */
typedef struct clnn_contrastive_options {
    size_t size; /* sizeof(clnn_contrastive_options), set by the _init */
    float temperature;
    float margin;
    int normalize;
    int decoupled;
    clnn_reduction reduction; /* MEAN, SUM, or NONE (per anchor) over the anchors */
    const clnn_tensor *queue; /* NULL, or the K extra negatives [K, D] (MoCo's queue) */
} clnn_contrastive_options;

CLNN_API void clnn_contrastive_options_init(clnn_contrastive_options *opt);

/* InfoNCE / NT-Xent on two views z1, z2 [N, D], with gradients wrt both
 * (dz1, dz2: shapes of z1, z2; either may be NULL). The similarity matrix
 * (N x N; 2N x 2N for NT_XENT) is formed with CLBlast and held on the device
 * for the call. */
CLNN_API clnn_status clnn_infonce(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                                  clnn_infonce_mode mode, const clnn_contrastive_options *opt, clnn_tensor *loss,
                                  clnn_tensor *dz1, clnn_tensor *dz2);

/* The same loss and gradients as clnn_infonce (every mode and option), but
 * the similarity matrix is never materialised: the forward pass walks tiles
 * of anchors x candidates keeping a running max and sum per anchor (online
 * log-sum-exp), and the backward pass recomputes the tiles, once by anchor
 * blocks for the anchors' gradients and once by candidate blocks for the
 * candidates' (no atomics; each gradient element is summed by one work-item
 * in a fixed order). Device memory: O(N·D) (the stacked normalised views,
 * their gradient and a few floats per sample) instead of O(N²). The tile
 * sizes are tuning parameters (clnn-tune --family contrastive); the bits do
 * not depend on them or on the local size. Agrees with clnn_infonce (and
 * both with the exact value of their fp32 inputs) within 2e-6 relative for
 * the loss plus ~1e-6·l_max per anchor, and within 1e-5 of the largest
 * entry plus 8·ε·(1 + l_max)·G for the gradients, where l_max = max |s|/τ
 * (+ |m|/τ) is the largest logit, ε = FLT_EPSILON and G = w·max|ẑ|/(τ·min‖z‖)
 * (w·max|z|/τ without normalize; w = the reduction's weight of one anchor:
 * 1/anchors for MEAN, 1 for SUM). The second terms are the conditioning of
 * the per-anchor loss as both compute it: each anchor's lse and its logits
 * are numbers up to l_max rounded in fp32, so the loss lse − l_pos and the
 * softmax weights p − [positive] carry ~ε·l_max absolute, whatever their
 * size. Near convergence they dominate: the gradients shrink with the
 * per-anchor loss ℓ while their error does not, so relative to the largest
 * entry it is ~ε·l_max/ℓ (N = 256, τ = 0.05, ℓ ≈ 3e-6: the paths differ by
 * 4e-2 of the largest entry, each is 2.5e-2 of it from the double
 * gradient, and the loss 12% from the exact value).
 * tests/test_contrastive_infonce_tiled.c checks both bounds, on
 * near-converged batches too. */
CLNN_API clnn_status clnn_infonce_tiled(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                                        clnn_infonce_mode mode, const clnn_contrastive_options *opt,
                                        clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2);

/* clnn_infonce (tiled 0) or clnn_infonce_tiled (tiled 1), and also the
 * gradient of the loss wrt the temperature τ into dtemperature (fp32, 1
 * element), for a learned temperature (CLIP learns t = log(1/τ):
 * dL/dt = −τ·dL/dτ). With G = dL/ds, dL/dτ = −(1/τ)·Σ G·s, computed as
 * −1/(2τ)·Σ ẑ·dL/dẑ over the stacked views (each pass adds G·B to its
 * anchors and Gᵀ·A to its candidates), one deterministic reduction after
 * the usual call. Needs margin 0. loss, dz1 and dz2 may be NULL, not all three.
 * With a queue the queue's terms count too (its rows' gradient, which the
 * loss calls never form, is formed in a K x D workspace for the sum). */
CLNN_API clnn_status clnn_infonce_temperature_grad(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                                                   clnn_infonce_mode mode, const clnn_contrastive_options *opt,
                                                   int tiled, clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2,
                                                   clnn_tensor *dtemperature);

/* MoCo's queue update (dequeue_and_enqueue): copies the N rows of keys
 * [N, D] into the ring buffer queue [K, D] at rows ptr, ptr + 1, ... (mod K:
 * past row K − 1 it wraps to row 0) and sets *next_ptr = (ptr + N) mod K.
 * Both fp32 with the same last dimension D (leading dimensions together the
 * rows); N <= K (a push never overwrites its own rows); ptr < K; keys and
 * queue must not share memory. The keys are copied as given (MoCo enqueues
 * normalised keys). One launch, no wait. PyTorch (MoCo's code, which needs
 * K % N == 0 and never wraps): queue[ptr:ptr + N] = keys; ptr = (ptr + N) % K. */
CLNN_API clnn_status clnn_moco_queue_push(clnn_context *ctx, const clnn_tensor *keys, size_t ptr, clnn_tensor *queue,
                                          size_t *next_ptr);

/* Supervised contrastive loss (Khosla et al. 2020, "Supervised Contrastive
 * Learning", L_out form) on two views z1, z2 [N, D] of N samples with int32
 * labels [N] (any values; equal values are one class). The 2N samples
 * [z1; z2] are the anchors; P(k) = the other samples with k's label (at least
 * k's other view), A(k) = all samples but k:
 *   ℓ_k = −1/|P(k)| Σ_{p ∈ P(k)} log( exp(l_kp) / Σ_{a ∈ A(k)} exp(l_ka) )
 * with l as above (the margin on every positive). decoupled removes all of
 * P(k) from the denominator; an anchor whose denominator is then empty (every
 * sample shares its label) gets ℓ = −inf. With N distinct labels this is
 * NT_XENT. MEAN divides by 2N. Khosla's base_temperature factor (τ/τ_base) is
 * not applied: scale the loss if you want it. */
CLNN_API clnn_status clnn_supcon(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                                 const clnn_tensor *labels, const clnn_contrastive_options *opt, clnn_tensor *loss,
                                 clnn_tensor *dz1, clnn_tensor *dz2);

/* clnn_supcon with any number of views V >= 1 (Khosla et al.'s n_views):
 * z [V·N, D] holds the views stacked view-major (rows v·N .. v·N + N − 1
 * are view v of the N samples: Khosla's torch.cat(torch.unbind(features,
 * dim=1)) of features [N, V, D]), labels int32 [N]. Every row is an anchor
 * against the V·N − 1 others; P(k) = the rows with k's label but k (the
 * other views of its sample and every view of its class; with V = 1 an
 * anchor alone in its class has none and gets ℓ = NaN, 0/0). MEAN divides
 * by V·N. V = 2 gives clnn_supcon on [z1; z2]. dz has z's shape. */
CLNN_API clnn_status clnn_supcon_views(clnn_context *ctx, const clnn_tensor *z, size_t views,
                                       const clnn_tensor *labels, const clnn_contrastive_options *opt,
                                       clnn_tensor *loss, clnn_tensor *dz);

/* ------------------------------------------------ alignment and uniformity */

/* Alignment (Wang & Isola 2020, "Understanding Contrastive Representation
 * Learning through Alignment and Uniformity on the Hypersphere"):
 *   L = 1/N Σ_i ‖x_i − y_i‖^alpha,   x, y [N, D]
 * dx_i = alpha/N ‖δ‖^(alpha−2) δ, δ = x_i − y_i, dy_i = −dx_i (0 where δ = 0).
 * alpha finite and > 0 (the paper uses 2). */
CLNN_API clnn_status clnn_alignment_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *y, float alpha,
                                         clnn_tensor *loss, clnn_tensor *dx, clnn_tensor *dy);

/* Uniformity (same paper) over the N(N−1)/2 distinct pairs of x [N, D]:
 *   L = log( 2/(N(N−1)) Σ_{i<j} exp(−t‖x_i − x_j‖²) )
 * computed as a log-sum-exp (no underflow for large t·distance), distances
 * from a CLBlast Gram matrix (N x N, held for the call). t finite and > 0
 * (the paper uses 2); N >= 2. Apply it to each view and add as you like. */
CLNN_API clnn_status clnn_uniformity_loss(clnn_context *ctx, const clnn_tensor *x, float t, clnn_tensor *loss,
                                          clnn_tensor *dx);

/* --------------------------------------------------------------- GE2E */

/* Generalized end-to-end loss, softmax form (Wan et al. 2018, "Generalized
 * End-to-End Loss for Speaker Verification"). e [S, U, D]: U >= 2
 * utterance embeddings of each of S speakers (S >= 1); w, b: 1-element fp32
 * tensors holding the learnable scale and bias (the paper keeps w > 0; any
 * finite values are accepted here). Centroids c_k = 1/U Σ_i e_ki; for the
 * utterance's own speaker the centroid excludes it, c_j^(−i) = 1/(U−1)
 * Σ_{m≠i} e_jm. Similarities S_ji,k = w·cos(e_ji, c) + b and
 *   L(e_ji) = −S_ji,j + log Σ_k exp(S_ji,k),
 * summed (SUM, as in the paper) or averaged (MEAN) over the S·U utterances.
 * Gradients wrt e (through the cosines and the centroids), w and b (de: e's
 * shape; dw, db: 1 element; any may be NULL). dL/db is identically 0 in the
 * softmax form (b shifts every logit of a row equally); it is computed, not
 * assumed, so it shows as ~1e-7. Cosines need nonzero embeddings and
 * centroids (a zero one gives NaN). */
CLNN_API clnn_status clnn_ge2e_loss(clnn_context *ctx, const clnn_tensor *e, const clnn_tensor *w,
                                    const clnn_tensor *b, clnn_reduction reduction, clnn_tensor *loss,
                                    clnn_tensor *de, clnn_tensor *dw, clnn_tensor *db);

/* -------------------------------------------------------- Barlow Twins */

/* Barlow Twins (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning
 * via Redundancy Reduction"). z1, z2 [N, D], N >= 2: each column is batch-
 * normalised (batch mean, biased variance, eps 1e-5, no affine: PyTorch's
 * BatchNorm1d(affine=False) in training mode, as the paper's code), C =
 * ẑ1ᵀ ẑ2 / N (D x D, CLBlast), and
 *   L = Σ_i (1 − C_ii)² + lambda · Σ_{i≠j} C_ij²
 * with gradients through C and the batch statistics. lambda finite and >= 0
 * (the paper: 0.0051). */
CLNN_API clnn_status clnn_barlow_twins(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                                       float lambda, clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2);

/* ------------------------------------------------ variance regularisation */

/* Multi-task balance: x [R, T] holds per-row vectors of T per-task losses or
 * contributions (a single vector: R = 1). Per row coef·Var(x_r) with the
 * population variance Var = 1/T Σ_t (x_rt − mean_r)²; SUM adds the rows,
 * MEAN averages them. dx_rt = scale·coef·2/T·(x_rt − mean_r). coef finite
 * (a negative coef rewards spread). */
CLNN_API clnn_status clnn_task_variance_penalty(clnn_context *ctx, const clnn_tensor *x, float coef,
                                                clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dx);

/* Per-dimension output variance: y [N, D]; per column d coef·Var_n(y_nd)
 * (population variance over the N rows); SUM adds the D columns, MEAN
 * averages them. dy_nd = scale·coef·2/N·(y_nd − mean_d). coef finite. The
 * complement of VICReg's variance hinge, which pushes the spread up. */
CLNN_API clnn_status clnn_output_variance_penalty(clnn_context *ctx, const clnn_tensor *y, float coef,
                                                  clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dy);

#ifdef __cplusplus
}
#endif

#endif
