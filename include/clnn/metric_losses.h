/* Metric and overlap losses: the harmonic loss, margin losses on normalised
 * embeddings (CosFace / AM-softmax, ArcFace, AdaFace), soft Dice and soft
 * Jaccard losses, the Distance-IoU loss for boxes, and the mean absolute
 * directional loss (and its smooth generalisation) for forecasting.
 * Included by clnn/clnn.h; formulas and sources also in docs/kernels.md.
 *
 * Common rules. A loss is an fp32 tensor written on the device (no call
 * waits): exactly 1 element for MEAN and SUM, exactly one element per term
 * for NONE (any shape with that element count; another count is
 * CLNN_ERR_SHAPE). Reductions (clnn_reduction, clnn/layers.h): SUM adds
 * the per-term values, MEAN divides that sum by the number of terms
 * (rows, samples, boxes or elements, as each function says), NONE writes
 * those per-term values themselves, in order (harmonic and margin losses:
 * N rows; Dice and Jaccard: N samples; DIoU: N boxes; MADL: one per
 * element). Gradients are of the reduced loss (SUM's
 * for NONE), have the shape of their input, and are optional: pass NULL
 * for an output you do not need (not all of them). Outputs must not alias
 * an input or each other. Every reduction is deterministic (fixed lane trees,
 * fixed chunking, CLBlast GEMMs; no atomics): the same device gives the same
 * bits run after run, whatever the local size. A rejected call changes
 * nothing.
 *
 * Embedding losses (harmonic, margin): x [N, D] holds N embeddings (leading
 * dimensions are flattened: any fp32 tensor whose last dimension is D), w
 * [C, D] the C class vectors (any fp32 tensor whose last dimension is D;
 * C = count / D), labels an int32 tensor of N entries in [0, C); a label out
 * of range makes the loss NaN and, through the weight gradient's GEMM, the
 * gradients too. dx has x's shape, dw has w's shape. N·C must stay below 2^32.
 * The pairwise products x·wᵀ (and the backward products) run through CLBlast
 * SGEMM. */
#ifndef CLNN_METRIC_LOSSES_H
#define CLNN_METRIC_LOSSES_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ harmonic loss */

/* Harmonic loss (Baek, Liu, Tegmark et al. 2025, "Harmonic Loss Trains
 * Interpretable AI Models"): with d_ij = ||x_i − w_j|| and the harmonic max
 *   p_ij = d_ij^(−n) / Σ_k d_ik^(−n),   loss_i = −log p_i,label_i,
 * computed as a cross-entropy over the logits z_ij = −(n/2)·log(d_ij² + eps)
 * (so p is finite where a distance is 0). exponent = n > 0 (the paper
 * suggests n ≈ √D), eps > 0 is added to every squared distance (e.g. 1e-12
 * for data of unit scale; it bounds p where x meets a class vector).
 *
 * Squared distances come from ||x||² + ||w||² − 2·x·w (GEMM) after both x and
 * w are shifted by the mean class vector (the loss is translation invariant,
 * so data far from the origin loses nothing to the shift). Where the GEMM
 * form falls below 1/8 of ||x||² + ||w||² (cancellation; always near d → 0)
 * the pair's distance is recomputed directly as Σ_k (x_k − w_k)², so small
 * distances keep their relative precision. Gradients, with
 * A_ij = scale·n·(p_ij − [j = label_i]) / (d_ij² + eps):
 *   dx_i = Σ_j A_ij (w_j − x_i),  dw_j = Σ_i A_ij (x_i − w_j)
 * evaluated as A·W − rowsum(A)⊙X and Aᵀ·X − colsum(A)⊙W (two GEMMs).
 * weights: clnn_label_weights (clnn/layers.h; NULL: none): row i's value
 * and its row of A are scaled by w_i, MEAN divides by Σw; an ignored row
 * gives 0, but its x must be finite (it enters the GEMMs with A's zero
 * row). Its label_smoothing ε makes the loss the cross-entropy of z against
 * (1 − ε)·onehot + ε/C (A's p_ij − [j = y] becomes p_ij − q_ij). */
CLNN_API clnn_status clnn_harmonic_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                        const clnn_tensor *labels, float exponent, float eps,
                                        const clnn_label_weights *weights, clnn_reduction reduction,
                                        clnn_tensor *loss, clnn_tensor *dx, clnn_tensor *dw);

/* ------------------------------------------- margin losses on the sphere */

typedef enum clnn_margin_kind {
    CLNN_MARGIN_COSFACE = 0, /* additive cosine margin: s·(cos θ_y − m) */
    CLNN_MARGIN_ARCFACE = 1, /* additive angular margin: s·cos(θ_y + m) */
    CLNN_MARGIN_ADAFACE = 2  /* feature-norm-adaptive angular + additive margin */
} clnn_margin_kind;

typedef struct clnn_margin_options {
    size_t size;     /* sizeof(clnn_margin_options), set by clnn_margin_options_init */
    clnn_margin_kind kind;
    float scale;     /* s > 0, finite (papers: 64; CosFace also 30) */
    float margin;    /* m >= 0, finite; ArcFace m <= π/2 (CosFace 0.35, ArcFace 0.5, AdaFace 0.4) */
    int easy_margin; /* ArcFace only, 0 or 1 (see below) */
    float h;         /* AdaFace only: h > 0, finite (paper 0.333) */
    float momentum;  /* AdaFace only: EMA weight of the batch statistics, in [0, 1] (paper 0.01) */
    clnn_reduction reduction;
    /* per-row and class weights, ignore_index and label smoothing
     * (clnn_label_weights, clnn/layers.h; NULL: none), as clnn_harmonic_loss
     * takes them (smoothing applies to the margin logits).
     * AdaFace's batch norm statistics still count every row. */
    const clnn_label_weights *weights;
} clnn_margin_options;

/* Sets opt->size and the papers' settings for kind (s 64; m 0.35 / 0.5 / 0.4;
 * easy margin off; h 0.333; momentum 0.01; MEAN). The defaults depend on the
 * kind, so it is an argument (and can be refused: CLNN_ERR_INVALID_ARGUMENT).
 * opt NULL in clnn_margin_loss means the CosFace defaults. */
CLNN_API clnn_status clnn_margin_options_init(clnn_margin_options *opt, clnn_margin_kind kind);

/* Margin softmax losses on L2-normalised embeddings and class vectors:
 *   x̂ = x / max(||x||, 1e-12),  ŵ_j = w_j / max(||w_j||, 1e-12)
 * (PyTorch's F.normalize), c_ij = cos θ_ij = x̂_i·ŵ_j, logits s·c_ij for
 * j ≠ y and s·φ(c_iy) for the label y; loss_i = cross-entropy of the logits.
 *   CosFace / AM-softmax (Wang et al. 2018, "CosFace: Large Margin Cosine
 *     Loss"; Wang et al. 2018, "Additive Margin Softmax"): φ(c) = c − m.
 *   ArcFace (Deng et al. 2019): φ(c) = cos(θ + m) = c·cos m − sin θ·sin m,
 *     sin θ = √(1 − c²) with c clamped to [−1 + 2^−20, 1 − 2^−20] for the
 *     derivative (which is cos m + c·sin m / sin θ, 0 outside the clamp).
 *     Where θ + m would pass π (c <= cos(π − m)) the reference code's
 *     fallback applies: φ(c) = c − m·sin m, keeping φ decreasing in θ.
 *     easy_margin = 1 instead uses φ(c) = c wherever c <= 0.
 *   AdaFace (Kim, Jain & Liu 2022): ĝ_i = clip(h·(n_i − μ)/(σ + 1e-3), −1, 1)
 *     with n_i = clip(||x_i||, 1e-3, 100) and (μ, σ) the EMA of the batch
 *     mean and standard deviation of n (divisor N − 1; 0 for N = 1), updated
 *     first: μ ← momentum·mean + (1 − momentum)·μ, the same for σ. Then
 *     θ_m = clip(acos(c̃) − m·ĝ_i, 1e-3, π − 1e-3), c̃ = clamp(c, −1 + 1e-3,
 *     1 − 1e-3), φ(c) = cos θ_m − (m + m·ĝ_i); ĝ is a constant for the
 *     gradient (as in the paper's code), and the clips have derivative 0.
 *     norm_stats is a caller-owned fp32 tensor of 2 elements {μ, σ}
 *     (the paper starts from {20, 100}) that every AdaFace call reads and
 *     updates once; compute loss and gradients in one call. It must be NULL
 *     for the other kinds.
 * Gradients flow through the normalisation to x and w:
 *   dL/dx_i = (1/||x_i||)·(v_i − (x̂_i·v_i)·x̂_i),  v_i = Σ_j (dL/dc_ij)·ŵ_j
 * (the projection drops out below the 1e-12 floor, where x̂ = x/1e-12), and
 * the same for w_j. MEAN divides by N. opt NULL: CosFace defaults. */
CLNN_API clnn_status clnn_margin_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                      const clnn_tensor *labels, const clnn_margin_options *opt,
                                      clnn_tensor *norm_stats, clnn_tensor *loss, clnn_tensor *dx,
                                      clnn_tensor *dw);

/* ------------------------------------------------------ overlap losses */

/* Soft Dice (Sørensen) loss per sample, for segmentation or multi-label
 * outputs: probs and targets are fp32 tensors of the same shape [N, ...];
 * each sample is everything behind the first dimension, flattened (spatial
 * and class dimensions alike; a 1-D tensor is N samples of one element).
 * With I = Σ p·t:
 *   squared = 0:  loss = 1 − (2I + smooth) / (Σp + Σt + smooth)
 *   squared = 1:  loss = 1 − (2I + smooth) / (Σp² + Σt² + smooth)
 *                 (Milletari, Navab & Ahmadi 2016, V-Net)
 * smooth finite and >= 0 (e.g. 1; with 0 an all-zero sample is 0/0 = NaN).
 * Values are not checked to lie in [0, 1]. dprobs has probs' shape. MEAN
 * divides by N. */
CLNN_API clnn_status clnn_soft_dice_loss(clnn_context *ctx, const clnn_tensor *probs, const clnn_tensor *targets,
                                         int squared, float smooth, clnn_reduction reduction, clnn_tensor *loss,
                                         clnn_tensor *dprobs);

/* Soft Jaccard (IoU) loss per sample (Rahman & Wang 2016, "Optimizing
 * Intersection-over-Union in Deep Neural Networks for Image Segmentation"):
 *   loss = 1 − (I + smooth) / (U + smooth),  I = Σ p·t,  U = Σ (p + t − p·t),
 * layouts and smooth as for clnn_soft_dice_loss. */
CLNN_API clnn_status clnn_soft_jaccard_loss(clnn_context *ctx, const clnn_tensor *probs,
                                            const clnn_tensor *targets, float smooth, clnn_reduction reduction,
                                            clnn_tensor *loss, clnn_tensor *dprobs);

/* Dice and Jaccard losses per class from logits, for segmentation
 * (segmentation_models_pytorch's DiceLoss / JaccardLoss with
 * from_logits=True, MONAI's DiceLoss with softmax or sigmoid):
 *   logits  [N, C, ...] fp32, the classes in dimension 1 (S = the positions
 *           behind it, 1 for [N, C]);
 *   labels  int32 [N, ...] (N·S entries) for one class per position
 *           (multiclass: t = one-hot(label); a label outside [0, C) marks
 *           no class at its position), or NULL;
 *   targets fp32 of logits' shape (one-hot or soft, multilabel), or NULL:
 *           exactly one of labels and targets;
 * p = softmax over C (activation CLNN_OVERLAP_SOFTMAX) or sigmoid per
 * element (CLNN_OVERLAP_SIGMOID). Each class c gets the soft Dice or
 * Jaccard loss of clnn_soft_dice_loss / clnn_soft_jaccard_loss with its
 * sums over the batch and every position (per_sample 0, smp's default), or
 * one per sample and class (per_sample 1, MONAI's batch=False). With
 * skip_empty, a class (or sample-class) whose targets sum to 0 has loss 0
 * (smp's mask of absent classes; the mean still divides by every class).
 * The loss has one term per class (per_sample 0) or per sample and class
 * (per_sample 1, sample-major): MEAN averages them (smp's and MONAI's
 * reduction), SUM adds them, NONE writes them (C or N·C elements).
 * use_ignore_index (labels only): a position whose label is ignore_index
 * counts in no sum (its p and t are 0, smp's ignore_index) and gets a zero
 * gradient. dlogits has logits' shape. Workspaces of three times the logits' size. */
typedef enum clnn_overlap_activation {
    CLNN_OVERLAP_SOFTMAX = 0,
    CLNN_OVERLAP_SIGMOID = 1
} clnn_overlap_activation;

typedef struct clnn_class_overlap_options {
    size_t size;                        /* sizeof(clnn_class_overlap_options), set by the _init */
    int jaccard;                        /* 0: Dice, 1: Jaccard (IoU) */
    int squared;                        /* Dice only: V-Net's squared denominator (0 or 1) */
    clnn_overlap_activation activation; /* default softmax */
    int per_sample;                     /* 0 (default) or 1, above */
    int skip_empty;                     /* 0 (default) or 1, above */
    float smooth;                       /* finite, >= 0; default 0 (smp's smooth; MONAI adds 1e-5) */
    clnn_reduction reduction;           /* default MEAN */
    int use_ignore_index;               /* 0 (default) or 1: labels equal to ignore_index drop their position */
    int32_t ignore_index;               /* default -100 (any value; may be a class in [0, C)) */
} clnn_class_overlap_options;

CLNN_API void clnn_class_overlap_options_init(clnn_class_overlap_options *opt);

CLNN_API clnn_status clnn_class_overlap_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                             const clnn_tensor *targets, const clnn_class_overlap_options *opt,
                                             clnn_tensor *loss, clnn_tensor *dlogits);

/* IoU losses for axis-aligned boxes (x1, y1, x2, y2), torchvision's
 * generalized_box_iou_loss, distance_box_iou_loss and complete_box_iou_loss:
 * pred and target are fp32 tensors of the same shape whose last dimension is
 * 4 (N = count / 4 boxes). With eps = 1e-7 (torchvision's), per box
 *   IoU = inter / (union + eps),
 *   GIoU: loss = 1 − IoU + (C − union) / (C + eps), C the area of the
 *         smallest box enclosing both (Rezatofighi et al. 2019,
 *         "Generalized Intersection over Union", CVPR);
 *   DIoU: loss = 1 − IoU + ρ² / (c² + eps), ρ the distance between the box
 *         centres, c the diagonal of the enclosing box (Zheng et al. 2020,
 *         "Distance-IoU Loss: Faster and Better Learning for Bounding Box
 *         Regression", AAAI);
 *   CIoU: the DIoU loss + α·v, v = (4/π²)(atan(w_t/h_t) − atan(w_p/h_p))²,
 *         α = v / (1 − IoU + v + eps) (same paper). α is held constant in the
 *         gradient, as torchvision computes it under no_grad.
 * Gradients wrt pred only (dpred has pred's shape). Degenerate boxes: a
 * width or height x2 − x1 (y2 − y1) below 0 counts as 0 (an inverted box has
 * no area; its corners still enter ρ and c; torchvision does not clamp);
 * a zero-area box has IoU 0 with anything (its intersection is empty); two
 * identical points give DIoU loss 1 (0/1e-7 for both ratios). CIoU takes the
 * angle as atan2(w, h), so h = 0 gives π/2 (w > 0) or 0 (w = h = 0) where
 * torchvision's w/h gives NaN. At the kinks of min/max (equal coordinates,
 * touching boxes) the gradient takes the predicted box's side: a tie in the
 * intersection or the enclosing box moves with pred. MEAN divides by N. */
CLNN_API clnn_status clnn_giou_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred);
CLNN_API clnn_status clnn_diou_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred);
CLNN_API clnn_status clnn_ciou_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred);

/* ------------------------------------------------ directional loss */

/* Mean absolute directional loss for return forecasts, pred R̂ and target R
 * of the same element count (any shapes), per element:
 *   steepness a = 0 (MADL, Michańków, Sakowski & Ślepaczuk 2023):
 *     loss = −sign(R·R̂)·|R|^b  (b = 1 in the paper)
 *     d/dR̂ = 0: the sign has no useful gradient (0 almost everywhere, and
 *     0 is returned at R·R̂ = 0 too) — use a > 0 to train with it.
 *   steepness a > 0 (GMADL, Michańków, Kwiatkowski & Morajda 2024):
 *     loss = −(σ(a·R·R̂) − ½)·|R|^b,  σ the logistic function,
 *     d/dR̂ = −a·R·σ(1 − σ)·|R|^b; as a → ∞ it tends to MADL / 2.
 * a finite and >= 0, power b finite and >= 0 (0^0 = 1). dpred has pred's
 * shape. MEAN divides by the element count. */
CLNN_API clnn_status clnn_madl_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                    float steepness, float power, clnn_reduction reduction, clnn_tensor *loss,
                                    clnn_tensor *dpred);

#ifdef __cplusplus
}
#endif

#endif
