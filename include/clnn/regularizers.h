/* Regularizers on weights and gradients: elementwise terms that the fused
 * optimizer applies (clnn/optim.h), their values and gradients, and the
 * gradient operations that feed it (global-norm clipping, perpGrad).
 * Included by clnn/clnn.h.
 *
 * Layouts: a weight tensor of any shape is a flat vector for elementwise
 * terms. Masks are fp32 tensors with the weight's element count, 1 where a
 * penalty applies and 0 where it does not. Values are written into fp32
 * device tensors so that no call waits for the device; download them when
 * needed. Every reduction is deterministic: a fixed two-stage tree whose shape
 * depends only on the sizes, never on the local size, so a device gives the
 * same bits run after run. */
#ifndef CLNN_REGULARIZERS_H
#define CLNN_REGULARIZERS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clnn_reg_kind {
    CLNN_REG_L2 = 1,          /* value λ/2·Σ k·w²; in a step: coupled, g += λ·k·w */
    CLNN_REG_DECAY = 2,       /* decoupled weight decay in a step: w -= lr·λ·k·w (no value) */
    CLNN_REG_L1 = 3,          /* value λ·Σ k·|w|; in a step: proximal soft-threshold by lr·λ·k */
    CLNN_REG_ELASTIC_NET = 4, /* value Σ k·(λ|w| + λ₂/2·w²); step: soft-threshold by lr·λ·k, then / (1 + lr·λ₂·k) */
    CLNN_REG_CLIP = 5,        /* step: g *= λ, times scalar[0] when scalar is given (a device-side
                                 factor, e.g. from clnn_grad_clip_factor) */
    CLNN_REG_PERPGRAD = 6     /* step: g -= λ·c_i·w with c_i = scalar[i] for parameter i (from
                                 clnn_grad_perp_coef: c = <g, w> / ||w||²); λ = 1 is the full projection */
} clnn_reg_kind;

/* One regularizer: kind, strength λ (finite, >= 0), the second strength λ₂
 * of the elastic net (else ignored) and, for CLIP and PERPGRAD, an optional /
 * required fp32 device tensor of scalars. k is the mask (1 where absent). */
typedef struct clnn_reg {
    clnn_reg_kind kind;
    float strength;
    float strength2;
    const clnn_tensor *scalar;
} clnn_reg;


/* ------------------------------------------------ standalone weight steps */

/* Applies one weight term to w in place, as the fused step would after its
 * update (the same kernel, without the optimizer part); k = mask or 1:
 *   L2, DECAY:   w -= lr·λ·k·w
 *   L1:          w = sign(w)·max(|w| − lr·λ·k, 0)                (proximal step of λ·||w||₁)
 *   ELASTIC_NET: w = sign(w)·max(|w| − lr·λ·k, 0) / (1 + lr·λ₂·k)
 * CLIP and PERPGRAD act on gradients and are rejected here. */
CLNN_API clnn_status clnn_reg_prox(clnn_context *ctx, const clnn_tensor *mask, const clnn_reg *reg, float lr,
                                   clnn_tensor *w);

/* ------------------------------------------------ term values, gradients */

/* value[0] = the term's value (L2, L1, ELASTIC_NET as documented at
 * clnn_reg_kind; mask optional, k = 1 without it). value: fp32, >= 1 element. */
CLNN_API clnn_status clnn_reg_value(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *mask,
                                    const clnn_reg *reg, clnn_tensor *value);
/* grad += d value / d w = k·(λ·sign(w) + λ₂·w) (L1: λ₂ = 0; L2: only λ·w;
 * sign(0) = 0, the subgradient of least norm). grad has w's element count. */
CLNN_API clnn_status clnn_reg_grad(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *mask,
                                   const clnn_reg *reg, clnn_tensor *grad);

/* Groups of a weight tensor w viewed as a matrix [rows = shape[0], cols =
 * count / shape[0]]: CLNN_GROUP_ROWS groups each row (a dense layer's output
 * unit, a conv layer's filter [out, in, kh, kw]), CLNN_GROUP_COLUMNS each
 * column (a dense layer's input feature). */
typedef enum clnn_group_dim { CLNN_GROUP_ROWS = 0, CLNN_GROUP_COLUMNS = 1 } clnn_group_dim;

/* Group lasso (Yuan & Lin 2006; structured sparsity, Wen et al. 2016):
 * value[0] = λ·Σ_g ||w_g||₂; grad += λ·w_g / ||w_g|| (0 for a zero group);
 * prox: w_g ← w_g·max(0, 1 − lr·λ / ||w_g||) (block soft-threshold). */
CLNN_API clnn_status clnn_reg_group_lasso_value(clnn_context *ctx, const clnn_tensor *w, float lambda,
                                                clnn_group_dim dim, clnn_tensor *value);
CLNN_API clnn_status clnn_reg_group_lasso_grad(clnn_context *ctx, const clnn_tensor *w, float lambda,
                                               clnn_group_dim dim, clnn_tensor *grad);
CLNN_API clnn_status clnn_reg_group_lasso_prox(clnn_context *ctx, float lambda, float lr, clnn_group_dim dim,
                                               clnn_tensor *w);
/* Norm loss over rows: value[0] = λ·Σ_r (||w_r|| − 1)²;
 * grad += λ·2(||w_r|| − 1)·w_r / ||w_r|| (0 for a zero row). */
CLNN_API clnn_status clnn_reg_norm_loss_value(clnn_context *ctx, const clnn_tensor *w, float lambda,
                                              clnn_tensor *value);
CLNN_API clnn_status clnn_reg_norm_loss_grad(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *grad);
/* Soft orthogonality (Bansal et al. 2018) of W viewed as [rows, cols]:
 * value[0] = λ·||W·Wᵀ − I||²_F; grad += 4λ·(W·Wᵀ − I)·W. The rows x rows
 * Gram matrix is computed with CLBlast SGEMM. */
CLNN_API clnn_status clnn_reg_ortho_value(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *value);
CLNN_API clnn_status clnn_reg_ortho_grad(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *grad);

/* ------------------------------------------------- gradient operations */

/* Global-norm clipping over a list of gradients: norm = sqrt(Σ_i ||g_i||²),
 * factor[0] = min(1, max_norm / (norm + 1e-6)), factor[1] = norm. factor:
 * fp32 with >= 2 elements; hand it to the step as a CLNN_REG_CLIP scalar. */
CLNN_API clnn_status clnn_grad_clip_factor(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, float max_norm,
                                           clnn_tensor *factor);
/* clnn_grad_clip_factor with PyTorch's norm_type (clip_grad_norm_): norm =
 * (Σ_i Σ_j |g_ij|^p)^(1/p) for p = norm_type > 0, max_ij |g_ij| for
 * INFINITY; p = 2 gives clnn_grad_clip_factor's bits. factor as there. */
CLNN_API clnn_status clnn_grad_clip_factor_p(clnn_context *ctx, size_t n, const clnn_tensor *const *grads,
                                             float max_norm, float norm_type, clnn_tensor *factor);
/* PyTorch's clip_grad_value_: each gradient clamped to [−clip_value,
 * clip_value] in place (NaN stays NaN); clip_value >= 0; the n tensors
 * share no memory. */
CLNN_API clnn_status clnn_grad_clip_value(clnn_context *ctx, size_t n, clnn_tensor *const *grads, float clip_value);
/* perpGrad coefficients: coef[i] = <g_i, w_i> / ||w_i||² (0 when w_i = 0);
 * coef: fp32 with >= n elements; the CLNN_REG_PERPGRAD scalar of a step. */
CLNN_API clnn_status clnn_grad_perp_coef(clnn_context *ctx, size_t n, const clnn_tensor *const *w,
                                         const clnn_tensor *const *grads, clnn_tensor *coef);

/* ------------------------------------- SAM, gradient-norm penalty, EMA */

/* Sharpness-aware minimization (Foret et al. 2021), ascent step over a list
 * of n parameters: norm = sqrt(Σ_i ||g_i||²) (the deterministic reduction of
 * clnn_grad_clip_factor), saved_i = w_i, then
 *   w_i ← w_i + rho·g_i / (norm + 1e-12).
 * saved: caller-owned tensors with w_i's element count that keep the
 * original weights, so that clnn_sam_restore puts back exactly the same bits
 * (subtracting the perturbation again would be off by a rounding). rho >= 0. */
CLNN_API clnn_status clnn_sam_ascent(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, float rho,
                                     clnn_tensor *const *w, clnn_tensor *const *saved);
/* w_i ← saved_i (the restore step after the gradient at the perturbed point). */
CLNN_API clnn_status clnn_sam_restore(clnn_context *ctx, size_t n, const clnn_tensor *const *saved,
                                      clnn_tensor *const *w);
/* The finite-difference gradient-norm penalty (Zhao, Zhang & Hu 2022,
 * "Penalizing gradient norm"; Karakida et al. 2022): with g = ∇L(w) and
 * g_adv = ∇L(w + r·g/||g||) (clnn_sam_ascent with rho = r, backward pass,
 * clnn_sam_restore), grads_i ← (1 − alpha)·g_i + alpha·g_adv_i, which is the
 * gradient of L + λ·||∇L|| with λ = alpha·r up to O(r²). alpha in [0, 1]. */
CLNN_API clnn_status clnn_grad_norm_penalty_combine(clnn_context *ctx, size_t n, const clnn_tensor *const *grads_adv,
                                                    float alpha, clnn_tensor *const *grads);
/* EMA / Polyak weight averaging: ema_i ← beta·ema_i + (1 − beta)·w_i, beta in [0, 1]. */
CLNN_API clnn_status clnn_ema_update(clnn_context *ctx, size_t n, const clnn_tensor *const *w, float beta,
                                     clnn_tensor *const *ema);

/* ------------------------------------------------------- spectral norm */

/* Spectral norm of W viewed as [rows = shape[0], cols = count / rows]
 * (Miyato et al. 2018). u (rows elements) and v (cols) are caller-owned and
 * persist between calls; start u from any nonzero vector (e.g. random
 * normal); v is overwritten, its input is not used. Each of `iters`
 * (1..100000) iterations does
 *   v ← Wᵀu / (||Wᵀu|| + 1e-12),  u ← W·v / (||W·v|| + 1e-12)
 * (CLBlast SGEMV, deterministic reductions), and sigma[0] = ||W·v|| = uᵀ·W·v,
 * the estimate of σ_max. w, u, v, sigma: four different buffers. */
CLNN_API clnn_status clnn_spectral_power_iteration(clnn_context *ctx, const clnn_tensor *w, unsigned iters,
                                                   clnn_tensor *u, clnn_tensor *v, clnn_tensor *sigma);
/* Spectral penalty value[0] = λ·sigma[0]². */
CLNN_API clnn_status clnn_reg_spectral_value(clnn_context *ctx, const clnn_tensor *sigma, float lambda,
                                             clnn_tensor *value);
/* grad += 2λ·σ·u·vᵀ (grad viewed as [rows, cols] like W): the gradient of λσ²
 * with u, v the singular vectors of the power iteration. */
CLNN_API clnn_status clnn_reg_spectral_grad(clnn_context *ctx, const clnn_tensor *u, const clnn_tensor *v,
                                            const clnn_tensor *sigma, float lambda, clnn_tensor *grad);
/* The spectral norm pulled toward 1 (Lewandowski et al., "Learning
 * Continually by Spectral Regularization", 2024): value[0] = λ(σ^k − 1)²,
 * and grad += 2λ(σ^k − 1)·k·σ^(k−1)·u·vᵀ, its gradient with u, v and σ of
 * clnn_spectral_power_iteration (grad viewed as W). k an integer in [1, 8]
 * (the paper: 2), lambda >= 0. */
CLNN_API clnn_status clnn_reg_spectral_target_value(clnn_context *ctx, const clnn_tensor *sigma, float lambda,
                                                    unsigned k, clnn_tensor *value);
CLNN_API clnn_status clnn_reg_spectral_target_grad(clnn_context *ctx, const clnn_tensor *u, const clnn_tensor *v,
                                                   const clnn_tensor *sigma, float lambda, unsigned k,
                                                   clnn_tensor *grad);
/* Spectral normalization for the forward pass: out = w / (sigma[0] + 1e-12);
 * out may be w. */
CLNN_API clnn_status clnn_spectral_normalize(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *sigma,
                                             clnn_tensor *out);

/* ------------------------------------------------------------- pruning */

/* Masks are fp32 with the weight's element count: 1 keeps, 0 prunes.
 * Magnitudes compare exactly (by the bit pattern of |w|; NaN counts as
 * largest); ties go to the lower flat index. */

/* Magnitude pruning: mask = 1 at the k (0..count) largest |w| of the tensor. */
CLNN_API clnn_status clnn_prune_topk_mask(clnn_context *ctx, const clnn_tensor *w, size_t k, clnn_tensor *mask);
/* N:M structured sparsity (Mishra et al. 2021; Zhou et al. 2021): in every
 * group of m consecutive elements along the last (input) dimension, which
 * must be a multiple of m, keep the n largest |w|. 1 <= m <= 64, n <= m
 * (2:4 is n = 2, m = 4). */
CLNN_API clnn_status clnn_prune_nm_mask(clnn_context *ctx, const clnn_tensor *w, unsigned n, unsigned m,
                                        clnn_tensor *mask);
/* How many of total elements (or slices) an amount prunes, as PyTorch's
 * torch.nn.utils.prune: by_count: amount is the count itself, an integer in
 * [0, total]; else a fraction in [0, 1] and the count is amount·total
 * rounded half to even (Python's round). */
/* Global magnitude pruning over n (1..65536) tensors
 * (torch.nn.utils.prune.global_unstructured with L1Unstructured): the
 * amount (of the elements of all tensors together) with the smallest |w|
 * get mask 0, the rest 1. Ties go as one flat index over w[0], w[1], ...
 * in order: among equal |w| the higher positions are pruned first (PyTorch
 * leaves ties unspecified). mask[i] has w[i]'s element count; at most
 * 2^32 − 1 elements in all. */
CLNN_API clnn_status clnn_prune_global_mask(clnn_context *ctx, size_t n, const clnn_tensor *const *w, double amount,
                                            int by_count, clnn_tensor *const *mask);
/* Structured Ln pruning (torch.nn.utils.prune.ln_structured): the slices of
 * w along dim (negative counts from the end) with the smallest Ln norm,
 * p = 1, 2 or INFINITY, get mask 0 (every element of the slice), the rest
 * 1; the amount counts slices (w->shape[dim] of them). Norms accumulate in
 * fp32 in a fixed order; ties keep the lower slice index; a NaN norm
 * counts as largest. */
CLNN_API clnn_status clnn_prune_ln_structured_mask(clnn_context *ctx, const clnn_tensor *w, double amount,
                                                   int by_count, float p, int dim, clnn_tensor *mask);
/* t ← t·mask. To keep pruned weights at zero while training, apply the mask
 * to the gradients before clnn_optim_step and to w after it (clnn_param.mask
 * of a step selects where weight penalties act, not which weights move). */
CLNN_API clnn_status clnn_prune_apply(clnn_context *ctx, const clnn_tensor *mask, clnn_tensor *t);

/* Learnable 2:4 mask of MaskLLM (Fang et al. 2024). Group g is 4 consecutive
 * weights (the last dimension of mask must be a multiple of 4); logits
 * [groups, 6] score the 6 patterns that keep 2 of 4, in the order {0,1}
 * {0,2} {0,3} {1,2} {1,3} {2,3}. With gumbel nonzero the noise
 * n_gk = −log(−log(max(clnn_philox_uniform(seed, stream, 6g + k), 2^-24)))
 * is added (Gumbel-softmax, Jang et al. 2017), else n = 0;
 * p_g = softmax((logits_g + n_g) / tau), tau > 0, and
 *   forward:  mask[4g + j] = Σ_k p_gk·[pattern k keeps j]   (a soft mask in [0, 1])
 *   backward: dlogits[g, k] = p_gk·(s_k − Σ_l p_gl·s_l) / tau,
 *             s_k = Σ_j dmask[4g + j]·[pattern k keeps j]  (written, not accumulated)
 * The backward call must use the forward's tau, gumbel, seed and stream. */
CLNN_API clnn_status clnn_maskllm_forward(clnn_context *ctx, const clnn_tensor *logits, float tau, int gumbel,
                                          uint64_t seed, uint32_t stream, clnn_tensor *mask);
CLNN_API clnn_status clnn_maskllm_backward(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *dmask,
                                           float tau, int gumbel, uint64_t seed, uint32_t stream, clnn_tensor *dlogits);

/* -------------------------------------------------- fake quantization */

/* Quantization-aware training (Jacob et al. 2018). bits in [2, 8].
 * symmetric: integers in [−(2^(b−1) − 1), 2^(b−1) − 1], zero point 0;
 * else [0, 2^b − 1] with a zero point. per_channel: one scale (and zero
 * point) per index of dimension `axis` of x (PyTorch's ch_axis; 0, the
 * output channel, by default; negative counts from the end); else one for
 * the tensor. scale and zero are fp32
 * tensors of that many values (zero points are integers stored as floats);
 * scales must be > 0. For symmetric quantization zero is not used and may
 * be NULL. */
typedef struct clnn_quant_options {
    size_t size; /* sizeof(clnn_quant_options), set by clnn_quant_options_init */
    int bits;
    int symmetric;
    int per_channel;
    int axis; /* the channel dimension when per_channel (default 0) */
} clnn_quant_options;

/* 8 bits, symmetric, per tensor (axis 0). q must not be NULL in the calls below. */
CLNN_API void clnn_quant_options_init(clnn_quant_options *opt);

/* Scale and zero point from the range [lo, hi] = [min(0, min x), max(0, max x)]
 * of the tensor or channel (deterministic max reductions):
 *   symmetric: s = max(−lo, hi) / qmax, z = 0;  asymmetric: s = (hi − lo) / (2^b − 1),
 *   z = clamp(rint(−lo / s), 0, 2^b − 1); a channel of zeros gets s = 1, z = 0. */
CLNN_API clnn_status clnn_quant_params(clnn_context *ctx, const clnn_tensor *x, const clnn_quant_options *q,
                                       clnn_tensor *scale, clnn_tensor *zero);
/* y = (clamp(rint(x / s) + z, qmin, qmax) − z)·s  (quantize, dequantize; y may be x). */
CLNN_API clnn_status clnn_fake_quant_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                             const clnn_tensor *zero, const clnn_quant_options *q, clnn_tensor *y);
/* Straight-through estimator (Bengio et al. 2013): dx = dy where
 * qmin <= rint(x / s) + z <= qmax (x inside the clamp range), else 0 (dx may be dy). */
CLNN_API clnn_status clnn_fake_quant_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                              const clnn_tensor *zero, const clnn_tensor *dy,
                                              const clnn_quant_options *q, clnn_tensor *dx);
/* Learned step size quantization, LSQ (Esser et al. 2020): the forward is
 * clnn_fake_quant_forward with the learnable scale s; the backward is that of
 * PyTorch's torch._fake_quantize_learnable_per_tensor_affine (and
 * _per_channel_affine) for a fixed zero point z. With r = x/s, q = rint(r) + z:
 *   dx = dy where qmin <= q <= qmax, else 0 (dx may be dy);
 *   dscale[c] = g·Σ_{i in c} dy_i·t_i,  t = (q − z) − r inside, qmin − z below,
 *   qmax − z above (LSQ's −v/s + ⌊v/s⌉, −Q_N, Q_P for z = 0);
 * g = grad_factor, or for grad_factor = 0 LSQ's gradient scale
 * 1/sqrt(count(x)·qmax) (PyTorch's LearnableFakeQuantize with
 * use_grad_scaling). The sums are deterministic (fixed-order reduction). */
CLNN_API clnn_status clnn_lsq_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                       const clnn_tensor *zero, const clnn_tensor *dy, const clnn_quant_options *q,
                                       float grad_factor, clnn_tensor *dx, clnn_tensor *dscale);
/* Moving-average min/max observer (torch.ao.quantization's
 * MovingAverageMinMaxObserver, or MovingAveragePerChannelMinMaxObserver
 * when q->per_channel, channels along q->axis). running holds 2·C values
 * (C channels, 1 per tensor): the minima at [0, C), the maxima at [C, 2C).
 * Fill it with +INFINITY (minima) and −INFINITY (maxima) before the first
 * update, which takes the batch's min and max; later updates move them,
 * m ← m + c·(batch − m), c = averaging_constant in (0, 1]. NaN in x is
 * ignored (PyTorch propagates it). q->bits and q->symmetric are not used. */
CLNN_API clnn_status clnn_quant_observer_update(clnn_context *ctx, const clnn_tensor *x, const clnn_quant_options *q,
                                                float averaging_constant, clnn_tensor *running);
/* Scale and zero point from running (C = running's count / 2 channels) as
 * PyTorch's calculate_qparams, for clnn's integer range of q->bits and
 * q->symmetric: lo = min(min, 0), hi = max(max, 0);
 *   symmetric: s = max(−lo, hi) / ((qmax − qmin) / 2), z = 0 (zero may be NULL);
 *   affine: s = (hi − lo) / (qmax − qmin), z = clamp(qmin − rint(lo / s), qmin, qmax);
 * s = max(s, 2^-23) (PyTorch's eps, float32 epsilon; clnn_quant_params uses
 * s = 1 for a range of zeros instead). */
CLNN_API clnn_status clnn_quant_observer_params(clnn_context *ctx, const clnn_tensor *running,
                                                const clnn_quant_options *q, clnn_tensor *scale, clnn_tensor *zero);
/* Additive uniform quantization noise, the training-time alternative
 * (Défossez et al. 2021; Fan et al. 2020): y = x + s·(u − 1/2),
 * u = clnn_philox_uniform(seed, stream, i); q->bits and q->symmetric are
 * not used; the gradient is the identity. y may be x. */
CLNN_API clnn_status clnn_quant_noise(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                      const clnn_quant_options *q, uint64_t seed, uint32_t stream, clnn_tensor *y);

/* ------------------------------------------- Wasserstein regularization */

/* Wasserstein regularization toward the initial weight distribution: the
 * 1-D squared 2-Wasserstein distance between the empirical distributions of
 * the current weights w (n elements, any shape) and the initial ones, which
 * in one dimension is the mean squared difference of the sorted values
 * (the quantile functions):
 *   value[0] = λ·W2² = λ·(1/n)·Σ_i (sort(w)_i − w0_sorted_i)²,
 *   grad[perm[i]] += 2λ/n·(sort(w)_i − w0_sorted_i),
 * perm the stable argsort of w (clnn_sort), so the gradient of each weight
 * is its difference to the initial weight of the same rank. At ties of w the
 * distance is not differentiable; the stable sort's choice is taken (of
 * equal weights, the lower index gets the lower rank). w0_sorted (fp32, n
 * elements) is the initial weights sorted ascending, made once by the caller
 * with clnn_sort (clnn/sparse.h): clnn_sort(ctx, w0, NULL, w0_sorted, NULL) and kept. value (fp32,
 * >= 1 element) or grad (fp32, n elements, accumulated into) may be NULL,
 * not both; λ finite and >= 0. Device scratch: 2n + the sort's.
 * Source: the Wasserstein regularizer of Lewandowski et al., "Directions
 * of Curvature as an Explanation for Loss of Plasticity" (2023), which keeps
 * the weight distribution near its initialization for plasticity; the 1-D
 * closed form by sorting: Villani, "Topics in Optimal Transportation"
 * (2003), §2.2. */
CLNN_API clnn_status clnn_reg_wasserstein(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *w0_sorted,
                                          float lambda, clnn_tensor *value, clnn_tensor *grad);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_REGULARIZERS_H */
