/* clnn layers: activations, dense, softmax, losses, dropout, residual add,
 * concatenation and split. Included by clnn/clnn.h; include that instead.
 *
 * Layouts (all fp32 unless stated, row-major, last dimension contiguous):
 *   - "rows" of a tensor: its last dimension is the row (length C), every
 *     other dimension is flattened into the row count N. A [N, C] tensor and
 *     a [A, B, C] tensor with A*B = N are treated alike by softmax and losses.
 *   - Dense: x [N, in], W [out, in] (PyTorch's nn.Linear layout), b [out],
 *     y [N, out].
 *   - Channel dimension: dimension 1 of the tensor: C of NCHW, the last
 *     dimension of a 2-D [N, C] tensor, C of a 3-D [N, C, L] tensor.
 *   - A loss value is a tensor with exactly one element (any shape).
 *   - Labels are int32 tensors with one entry per row.
 * Every output may not alias an input unless the function says so.
 * Reductions (db, loss values) are deterministic: fixed-order trees that do
 * not depend on the local size, so repeated calls give identical bits.
 */
#ifndef CLNN_LAYERS_H
#define CLNN_LAYERS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ activations */

/* Element-wise activation functions; `alpha` is the parameter where one exists
 * and is ignored (but must be finite) otherwise. */
typedef enum clnn_activation {
    CLNN_ACT_NONE = 0,         /* identity: f(x) = x */
    CLNN_ACT_RELU = 1,         /* max(x, 0) */
    CLNN_ACT_LEAKY_RELU = 2,   /* x > 0 ? x : alpha*x   (alpha: negative slope, e.g. 0.01) */
    CLNN_ACT_ELU = 3,          /* x > 0 ? x : alpha*(exp(x) - 1)   (alpha > 0, e.g. 1) */
    CLNN_ACT_GELU = 4,         /* x * Phi(x) = 0.5x(1 + erf(x/sqrt 2)) */
    CLNN_ACT_GELU_TANH = 5,    /* 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))) */
    CLNN_ACT_SILU = 6,         /* x * sigmoid(x) */
    CLNN_ACT_SIGMOID = 7,      /* 1 / (1 + exp(-x)) */
    CLNN_ACT_TANH = 8,         /* tanh(x) */
    CLNN_ACT_SOFTPLUS = 9,     /* log(1 + exp(x)), computed as max(x,0) + log1p(exp(-|x|)) */
    CLNN_ACT_RELU6 = 10,       /* min(max(x, 0), 6) */
    CLNN_ACT_HARDSIGMOID = 11, /* relu6(x + 3) / 6 */
    CLNN_ACT_HARDSWISH = 12,   /* x * relu6(x + 3) / 6 */
    CLNN_ACT_SELU = 13,        /* scale * (x > 0 ? x : alpha0*(exp(x) - 1)), PyTorch's fixed alpha0 and scale */
    CLNN_ACT_MISH = 14         /* x * tanh(softplus(x)) */
} clnn_activation;
/* The highest clnn_activation value. At the kinks of RELU6, HARDSIGMOID and
 * HARDSWISH the derivative is PyTorch's one-sided one (0 at x = 0 and 6 for
 * RELU6, 0 at x = +-3 for HARDSIGMOID; HARDSWISH's is x/3 + 1/2 on
 * [-3, 3]). */
#define CLNN_ACT_LAST CLNN_ACT_MISH

/* y = f(x) element-wise; x and y have the same element count. y may be x. */
CLNN_API clnn_status clnn_activation_forward(clnn_context *ctx, const clnn_tensor *x, clnn_activation act, float alpha,
                                             clnn_tensor *y);

/* dx = dy * f'(x) element-wise. Takes the forward INPUT x for every function
 * (not the output), so one rule holds for all of them. dx may be dy. */
CLNN_API clnn_status clnn_activation_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                              clnn_activation act, float alpha, clnn_tensor *dx);

/* PReLU (He et al., "Delving Deep into Rectifiers", 2015; PyTorch's
 * nn.PReLU): y = x > 0 ? x : w_c x. weight has one element, shared by every
 * element of x (any shape), or C elements for x [N, C, ...] (c: dimension
 * 1). y has x's shape and may be x. */
CLNN_API clnn_status clnn_prelu_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *weight,
                                        clnn_tensor *y);
/* dx = x > 0 ? dy : w_c dy; dweight (weight's size) = sum over channel c's
 * elements of (x > 0 ? 0 : x dy), in a fixed order (deterministic), and
 * overwritten. dx (x's shape, may be dy) or dweight may be NULL, not both. */
CLNN_API clnn_status clnn_prelu_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *weight,
                                         const clnn_tensor *dy, clnn_tensor *dx, clnn_tensor *dweight);

/* Softplus with PyTorch's beta and threshold (nn.Softplus): y = log(1 +
 * exp(beta x)) / beta, and y = x where beta x > threshold (PyTorch: beta 1,
 * threshold 20). beta must be finite and > 0, threshold not NaN (INFINITY:
 * never linear). y may be x. */
CLNN_API clnn_status clnn_softplus_forward(clnn_context *ctx, const clnn_tensor *x, float beta, float threshold,
                                           clnn_tensor *y);
/* dx = dy sigmoid(beta x), and dy where beta x > threshold. dx may be dy. */
CLNN_API clnn_status clnn_softplus_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                            float beta, float threshold, clnn_tensor *dx);

/* ------------------------------------------------------------------ dense */

/* z = x * W^T + b;  y = act(z).
 *   x [N, in], W [out, in], b [out] or NULL, y [N, out].
 *   z [N, out] or NULL: when given, the pre-activation is stored there; the
 *   backward pass needs it for every act except CLNN_ACT_NONE.
 * The GEMM runs in CLBlast; bias and activation in one fused kernel. */
CLNN_API clnn_status clnn_dense_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                        const clnn_tensor *b, clnn_activation act, float alpha,
                                        clnn_tensor *z, clnn_tensor *y);

/* Backward of clnn_dense_forward. With dz = dy * act'(z) (dz = dy for NONE):
 *   dx = dz * W        [N, in]   (always overwritten)
 *   dW = dz^T * x      [out, in]
 *   db = sum over rows of dz  [out]
 * z is the pre-activation the forward stored (may be NULL only for
 * CLNN_ACT_NONE). dx, dW, db may each be NULL to skip that gradient.
 * accumulate = 0 overwrites dW and db; accumulate = 1 adds to them
 * (gradient accumulation over micro-batches). */
CLNN_API clnn_status clnn_dense_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                         const clnn_tensor *z, const clnn_tensor *dy, clnn_activation act, float alpha,
                                         int accumulate, clnn_tensor *dx, clnn_tensor *dw, clnn_tensor *db);

/* ---------------------------------------------------------------- softmax */

/* Along the last dimension (rows of length C >= 1, see the layout notes):
 *   softmax:     y_j = exp(x_j - m) / sum_k exp(x_k - m),  m = max_k x_k
 *   log-softmax: y_j = x_j - m - log(sum_k exp(x_k - m))
 * Stable for logits of any finite magnitude. y has x's element count. */
CLNN_API clnn_status clnn_softmax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y);
CLNN_API clnn_status clnn_log_softmax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y);

/* Backward from the forward OUTPUT y:
 *   softmax:     dx_j = y_j (dy_j - sum_k dy_k y_k)
 *   log-softmax: dx_j = dy_j - exp(y_j) sum_k dy_k
 * dx may be dy. */
CLNN_API clnn_status clnn_softmax_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy,
                                           clnn_tensor *dx);
CLNN_API clnn_status clnn_log_softmax_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy,
                                               clnn_tensor *dx);

/* The same along any dimension `dim` of x (PyTorch's dim=: in [-ndim, ndim),
 * negative counting from the end), e.g. dim 1 of an NCHW segmentation output:
 * every (n, h, w) is normalised over C, with no permute. y, dy and dx have
 * x's shape. One work-item per column of classes, reading neighbouring
 * columns together, so the sums run in class order (deterministic); the
 * last dimension gives the values of the row forms above to rounding. */
CLNN_API clnn_status clnn_softmax_dim_forward(clnn_context *ctx, const clnn_tensor *x, int dim, clnn_tensor *y);
CLNN_API clnn_status clnn_log_softmax_dim_forward(clnn_context *ctx, const clnn_tensor *x, int dim, clnn_tensor *y);
CLNN_API clnn_status clnn_softmax_dim_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy, int dim,
                                               clnn_tensor *dx);
CLNN_API clnn_status clnn_log_softmax_dim_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy,
                                                   int dim, clnn_tensor *dx);

/* ----------------------------------------------------------------- losses */

/* How a loss reduces its per-term values (one per row, sample, box or
 * element: each function says which). MEAN and SUM give a 1-element loss;
 * NONE writes the terms themselves into a loss tensor of exactly that many
 * elements (any shape), and the gradients are SUM's: term t's gradient is
 * d loss_t / d input. Every loss that takes a clnn_reduction accepts all
 * three, except the contrastive family (clnn/contrastive.h: MEAN or SUM). */
typedef enum clnn_reduction {
    CLNN_REDUCE_MEAN = 0, /* the sum divided by the number of terms that count */
    CLNN_REDUCE_SUM = 1,
    CLNN_REDUCE_NONE = 2  /* the terms, unreduced */
} clnn_reduction;

/* Per-row weights of a loss with labels (cross-entropy through its
 * options, the losses of clnn/losses.h through their `weights` argument;
 * PyTorch's weight= and ignore_index= and per-sample weights). Row i of N
 * gets the weight
 *   w_i = [y_i != ignore_index] · row_weights[i] · class_weights[y_i]
 * (a NULL tensor counts 1; both are fp32, used as given, so 0 drops a row).
 * NONE writes w_i·loss_i; SUM is Σ w_i·loss_i; MEAN is Σ w_i·loss_i / Σ w_i
 * (PyTorch's weighted mean; 0, with a zero gradient, when Σ w_i = 0, where
 * PyTorch gives NaN). Row i's gradient is w_i times its unweighted one (and
 * 1/Σ w for MEAN). An ignored row's value and gradient are exactly 0
 * whatever its logits (padding may hold anything); ignore_index may be a
 * class in [0, C), which is then dropped. A label outside [0, C) that is not
 * ignore_index still makes its row NaN (and MEAN's divisor, with class
 * weights). Σ w is summed in a fixed order, so the bits stay deterministic.
 * label_smoothing eps in [0, 1) (the losses of log p_y in clnn/losses.h:
 * focal, Poly-1, squentropy, the robust losses and the encouraging loss,
 * and ELR's cross-entropy term; the harmonic and margin losses of
 * clnn/metric_losses.h; cross-entropy takes its own option. The others
 * refuse a nonzero eps: ASL has 0/1 targets, not labels; the spherical
 * Z-loss scores z-normalized logits, with no distribution over the
 * classes to smooth; the robust KL compares two predictions)
 * gives the expected loss over the smoothed label distribution
 * (1 − eps)·onehot(y) + eps/C:
 *   loss_i = (1 − eps)·loss_i(y_i) + (eps/C)·Σ_j loss_i(j),
 * loss_i(j) the row's loss had its label been j (alpha_j for focal's α).
 * It is PyTorch's label_smoothing for cross-entropy and PolyLoss's for
 * Poly-1 (CE and 1 − p_t on the smoothed target); the row weight w_i stays
 * the label's (PyTorch's cross-entropy weighs each class's smoothing term
 * by that class's weight instead).
 * Set up with clnn_label_weights_init: no tensors, ignore_index -100, no
 * smoothing. */
typedef struct clnn_label_weights {
    size_t size;                      /* sizeof(clnn_label_weights), set by the _init */
    const clnn_tensor *row_weights;   /* NULL or fp32 with N elements (per-sample weights) */
    const clnn_tensor *class_weights; /* NULL or fp32 with C elements (PyTorch's weight=) */
    int32_t ignore_index;             /* label value whose rows count nothing */
    float label_smoothing;            /* eps in [0, 1); 0 (the default) is none */
} clnn_label_weights;

CLNN_API void clnn_label_weights_init(clnn_label_weights *w);

/* Options of the cross-entropy losses (set up with
 * clnn_cross_entropy_options_init: MEAN, no smoothing, ignore_index -100, no
 * weights, classes in the last dimension; NULL means those defaults). */
typedef struct clnn_cross_entropy_options {
    size_t size;           /* sizeof(clnn_cross_entropy_options), set by the _init */
    clnn_reduction reduction;
    float label_smoothing; /* eps in [0, 1): target = (1-eps)*target + eps/C */
    int32_t ignore_index;  /* label value that contributes nothing (labels only); e.g. -100 */
    /* clnn_label_weights' tensors: class weights (labels only) and per-row
     * weights (labels or soft targets), with its weighted MEAN */
    const clnn_tensor *class_weights;
    const clnn_tensor *row_weights;
    /* the dimension of logits that holds the classes: 0 (the default) is the
     * last; k >= 1 or k < 0 is dimension k, PyTorch's dim= (negative counts
     * from the end; dimension 0, a batch, is never the class dimension
     * unless it is the last). PyTorch's CrossEntropyLoss takes dim 1 of
     * [N, C, d1, ...]: set class_dim = 1; labels then hold [N, d1, ...] in
     * that order (NONE's losses too), soft targets and dlogits have logits'
     * shape. Any dimension but the last: the logits (and soft targets) are
     * moved to [rows, C] in a workspace and the gradient moved back, two
     * more passes over each. */
    int class_dim;
} clnn_cross_entropy_options;

CLNN_API void clnn_cross_entropy_options_init(clnn_cross_entropy_options *opt);

/* Cross-entropy from logits [N, C] (rows as in the layout notes) with int32
 * labels (N entries, each in [0, C) or equal to ignore_index):
 *   loss_r = lse(x_r) - sum_j t_rj x_rj,  t_r = (1-eps) onehot(label_r) + eps/C
 * Mean divides by the number of rows whose label is not ignore_index (the loss
 * and gradient are 0 when every row is ignored); with class_weights or
 * row_weights it is clnn_label_weights' weighted mean (with class weights
 * alone, PyTorch's weight=). A label outside [0, C) that
 * is not ignore_index makes that row's loss and gradient NaN.
 * loss: 1-element tensor (N elements for NONE: loss_r per row, 0 for an
 * ignored row, as PyTorch's reduction='none') or NULL; dlogits: [N, C] or
 * NULL (at least one of the two). With both, one pass computes the value and
 * d loss / d logits:
 *   dlogits_rj = scale * (softmax(x_r)_j - t_rj), scale 1 (SUM, NONE) or 1/count.
 * opt NULL means {MEAN, 0, -100}. */
CLNN_API clnn_status clnn_cross_entropy_labels(clnn_context *ctx, const clnn_tensor *logits,
                                               const clnn_tensor *labels, const clnn_cross_entropy_options *opt,
                                               clnn_tensor *loss, clnn_tensor *dlogits);

/* The same with soft targets [N, C] (any non-negative weights; usually rows
 * summing to 1): loss_r = sum_j t_rj (lse(x_r) - x_rj) with t smoothed as
 * above; dlogits_rj = scale * (softmax_j * sum_k t_rk - t_rj). Mean divides by
 * N, NONE keeps the N row losses; ignore_index is unused, and so are class
 * weights (rejected); row_weights give clnn_label_weights' weighted MEAN. */
CLNN_API clnn_status clnn_cross_entropy_soft(clnn_context *ctx, const clnn_tensor *logits,
                                             const clnn_tensor *targets, const clnn_cross_entropy_options *opt,
                                             clnn_tensor *loss, clnn_tensor *dgrad);

/* Mean squared error: sum_i (p_i - t_i)^2, divided by the element count for
 * MEAN; NONE keeps each element's (p_i - t_i)^2 (a loss of pred's element
 * count, as PyTorch's reduction='none'); dpred_i = scale * 2 (p_i - t_i),
 * scale 1/count for MEAN, else 1. pred and target have the same count. */
CLNN_API clnn_status clnn_mse_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                                   clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred);

/* Binary cross-entropy with logits, in the stable form
 *   l_i = max(x_i, 0) - x_i t_i + log1p(exp(-|x_i|)),
 * dlogits_i = scale * (sigmoid(x_i) - t_i); targets in [0, 1] (not checked on
 * the device). MEAN divides by the element count; NONE keeps each l_i (a
 * loss of the logits' element count). */
CLNN_API clnn_status clnn_bce_with_logits(clnn_context *ctx, const clnn_tensor *logits,
                                          const clnn_tensor *targets, clnn_reduction reduction,
                                          clnn_tensor *loss, clnn_tensor *dlogits);

/* Options of clnn_sigmoid_loss (set up with clnn_sigmoid_loss_options_init:
 * MEAN, no weights, gamma 0, no alpha: plain BCE with logits). */
typedef struct clnn_sigmoid_loss_options {
    size_t size; /* sizeof(clnn_sigmoid_loss_options), set by the _init */
    clnn_reduction reduction;
    const clnn_tensor *weight;     /* NULL, fp32 [C] (per class: the logits' last dimension) or the logits' count */
    const clnn_tensor *pos_weight; /* NULL or fp32 [C]: BCE's weight of the positive term (gamma 0, no alpha) */
    float gamma;                   /* focal exponent, finite and >= 0; 0: BCE */
    float alpha;                   /* focal class balance in [0, 1], or < 0: none (torchvision: 0.25) */
} clnn_sigmoid_loss_options;

CLNN_API void clnn_sigmoid_loss_options_init(clnn_sigmoid_loss_options *opt);

/* Element-wise losses of logits x and targets t in [0, 1] (the same count;
 * classes C = the logits' last dimension), p = sigmoid(x):
 *   BCE with logits, PyTorch's weight= and pos_weight= (gamma 0, alpha < 0):
 *     l = w (pw t softplus(−x) + (1 − t) softplus(x))
 *   sigmoid focal loss (torchvision.ops.sigmoid_focal_loss; gamma > 0 or
 *   alpha >= 0): with ce the BCE above (pw = 1) and p_t = p t + (1 − p)(1 − t),
 *     l = w a_t (1 − p_t)^gamma ce,   a_t = alpha t + (1 − alpha)(1 − t) (1 without alpha)
 * w: weight (1 without), pw: pos_weight (1 without; refused with focal).
 * MEAN divides the sum by the element count (as both PyTorch functions do,
 * weights or not); NONE writes each element's l. dlogits = scale dl/dx. The
 * sums are chunked in a fixed order (deterministic); opt NULL: plain BCE,
 * MEAN. */
CLNN_API clnn_status clnn_sigmoid_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *targets,
                                       const clnn_sigmoid_loss_options *opt, clnn_tensor *loss,
                                       clnn_tensor *dlogits);

/* ---------------------------------------------------------------- dropout */

/* Inverted dropout: element i is kept iff clnn_philox_uniform(seed, stream, i)
 * >= p, and kept values are scaled by 1/(1-p); p in [0, 1), p = 0 is the
 * identity. The mask depends only on (seed, stream, i): every device and
 * local size gives the same one, and the backward pass regenerates it from
 * the same seed and stream instead of storing it.
 * mask: NULL, or an fp32 tensor of x's count that receives 1 (kept) or 0. */
CLNN_API clnn_status clnn_dropout_forward(clnn_context *ctx, const clnn_tensor *x, float p, uint64_t seed,
                                          uint32_t stream, clnn_tensor *y, clnn_tensor *mask);
/* dx_i = dy_i / (1-p) where kept, else 0 (same seed, stream and p as forward). */
CLNN_API clnn_status clnn_dropout_backward(clnn_context *ctx, const clnn_tensor *dy, float p, uint64_t seed,
                                           uint32_t stream, clnn_tensor *dx);

/* --------------------------------------------------- residual, concat, split */

/* y = a + b (same element count); y may be a or b. */
CLNN_API clnn_status clnn_residual_add(clnn_context *ctx, const clnn_tensor *a, const clnn_tensor *b,
                                       clnn_tensor *y);
/* The backward of y = a + b routes dy to both: da = dy, db = dy (either may be
 * NULL; accumulate = 1 adds instead of overwriting). */
CLNN_API clnn_status clnn_residual_add_backward(clnn_context *ctx, const clnn_tensor *dy, int accumulate,
                                                clnn_tensor *da, clnn_tensor *db);

/* Concatenation along dimension 1 (the channel dimension, see the layout
 * notes): every input has out's number of dimensions (2 to 4) and the same
 * sizes except dimension 1, whose sizes add up to out's. The backward of
 * concat is clnn_split with the same tensors, and the other way round. */
CLNN_API clnn_status clnn_concat(clnn_context *ctx, size_t count, const clnn_tensor *const *inputs,
                                 clnn_tensor *out);
/* Splits x along dimension 1 into outputs[0..count) (sizes as for concat). */
CLNN_API clnn_status clnn_split(clnn_context *ctx, const clnn_tensor *x, size_t count,
                                clnn_tensor *const *outputs);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_LAYERS_H */
