/* Sparsity, sorting and mixture-of-experts routing: a device sort, the
 * top-k activation, multi-sample dropout, and MoE top-k routing with its
 * load balancing.
 * Included by clnn/clnn.h.
 *
 * Order of fp32 values (sort, top-k, routing): the IEEE 754 totalOrder
 * with every NaN equal and above everything,
 *   -inf < ... < -denormals < -0.0 < +0.0 < +denormals < ... < +inf < NaN,
 * so an ascending sort puts -0.0 before +0.0 and NaNs last (in their input
 * order), and a NaN counts as the largest value in a top-k. */
#ifndef CLNN_SPARSE_H
#define CLNN_SPARSE_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------- device sort */

/* Stable ascending sort of the n fp32 keys of `keys` (any shape, flattened;
 * n < 2^32) in the order above, or of n int32 keys (sorted_keys then int32
 * too): an LSD radix sort, 4 passes of 8-bit digits over the keys'
 * order-preserving uint images. Equal keys keep their input
 * order, so the result is unique: the same bits on every device and local
 * size. Keys move as bit patterns (NaN payloads and zero signs survive).
 *   values:        NULL, or int32 with n elements carried along with the keys;
 *   sorted_keys:   keys' dtype, n elements, or NULL when only sorted_values is wanted;
 *   sorted_values: int32, n elements, or NULL. With values NULL it receives
 *                  the permutation: sorted_values[i] = the flat input index
 *                  of the key that lands at position i (argsort; n < 2^31).
 * In place is allowed (sorted_keys = keys, sorted_values = values); an
 * output sharing its buffer with any other argument is rejected. Device scratch: n keys,
 * n values when carried, and 16 counters per 4096 elements. */
CLNN_API clnn_status clnn_sort(clnn_context *ctx, const clnn_tensor *keys, const clnn_tensor *values,
                               clnn_tensor *sorted_keys, clnn_tensor *sorted_values);
/* clnn_sort in descending order, also stable (equal keys keep their input
 * order, PyTorch's stable=True); fp32 NaNs come first. */
CLNN_API clnn_status clnn_sort_descending(clnn_context *ctx, const clnn_tensor *keys, const clnn_tensor *values,
                                          clnn_tensor *sorted_keys, clnn_tensor *sorted_values);

/* Stable sort of every row of keys along the last dimension (PyTorch's
 * torch.sort(dim=-1, stable=True)): keys fp32 (the order above) or int32,
 * [N..., D]; sorted_keys (keys' shape and dtype) gets each row's keys in
 * ascending order (descending 1: descending, fp32 NaNs first), indices
 * (int32, keys' shape) the column each came from. Either may be NULL, not
 * both; in place is allowed for sorted_keys. Two whole-tensor radix sorts
 * (by key, then by row), so the cost does not depend on D; device scratch
 * of 4 n words plus clnn_sort's. */
CLNN_API clnn_status clnn_sort_rows(clnn_context *ctx, const clnn_tensor *keys, int descending,
                                    clnn_tensor *sorted_keys, clnn_tensor *indices);

/* ------------------------------------------------------ top-k activation */

/* Top-k activation along the last dimension (k-sparse autoencoders,
 * Makhzani & Frey 2013; top-k sparse autoencoders, Gao et al. 2024, "Scaling
 * and evaluating sparse autoencoders"): x is fp32 [N, D] (leading dimensions
 * flattened to N rows, D the last dimension), 1 <= k <= D. Each row keeps
 * its k largest entries in the order above and zeroes the others:
 *   y[r, j] = x[r, j] if j is among the row's k largest, else 0.
 * Ties: of equal entries the lower index wins (so exactly k are kept in
 * every row). indices: NULL, or int32 with N·k elements and last dimension
 * k (e.g. [N, k]) receiving the kept positions j of each row in ascending
 * order (for a sparse decoder). y has x's shape and must not alias it. */
CLNN_API clnn_status clnn_topk_activation_forward(clnn_context *ctx, const clnn_tensor *x, size_t k, clnn_tensor *y,
                                                  clnn_tensor *indices);
/* dx = dy where the forward kept the entry, else 0: the selection is
 * recomputed from the forward's x (same k), nothing is stored. dy, dx have
 * x's element count; dx must not alias x or dy. */
CLNN_API clnn_status clnn_topk_activation_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                                   size_t k, clnn_tensor *dx);

/* The k largest entries of each row of x [N..., D] (PyTorch's
 * torch.topk(x, k, dim=-1, largest=True, sorted=True)): values fp32 and
 * indices int32, each with N·k elements and a last dimension of k (either
 * may be NULL, not both), in descending order of value (the order above:
 * NaN largest), ties lower index first, which PyTorch leaves unspecified.
 * The selection of clnn_topk_activation_forward, then clnn_sort_rows of the
 * N·k kept values; workspaces of x's size and 3 N·k words. */
CLNN_API clnn_status clnn_topk(clnn_context *ctx, const clnn_tensor *x, size_t k, clnn_tensor *values,
                               clnn_tensor *indices);

/* -------------------------------------------------- multi-sample dropout */

/* Multi-sample dropout (Inoue, "Multi-Sample Dropout for Accelerated
 * Training and Better Generalization", 2019): K = samples (1..1024) dropout
 * masks over one activation x (n elements, any shape) in one pass that reads
 * x once. y holds K·n elements, sample s at [s·n, (s+1)·n) (e.g. y [K, N, D]
 * for x [N, D]), and sample s is bit for bit clnn_dropout_forward(x, p,
 * seed, stream + s): element i kept iff clnn_philox_uniform(seed, stream + s,
 * i) >= p, kept values scaled by 1/(1 − p); p in [0, 1); stream + K − 1 must
 * not pass 2^32 − 1.
 * The shared head and the averaged loss need no op of their own: run the
 * head (e.g. clnn_dense_forward) once on y viewed as [K·N, D] and a
 * MEAN-reduced loss over its K·N rows (labels repeated K times): that is the
 * average of the K per-sample losses, and the head's backward gives dy for
 * all K samples at once. */
CLNN_API clnn_status clnn_multi_dropout_forward(clnn_context *ctx, const clnn_tensor *x, unsigned samples, float p,
                                                uint64_t seed, uint32_t stream, clnn_tensor *y);
/* dx_i = Σ_s [i kept in sample s]·dy[s·n + i]/(1 − p), summed in sample
 * order (same samples, p, seed and stream as the forward; the masks are
 * regenerated, never stored). dy has K·n elements, dx n. With K = 1 this is
 * clnn_dropout_backward bit for bit. */
CLNN_API clnn_status clnn_multi_dropout_backward(clnn_context *ctx, const clnn_tensor *dy, unsigned samples, float p,
                                                 uint64_t seed, uint32_t stream, clnn_tensor *dx);

/* ------------------------------------------------- mixture-of-experts routing */

/* Router logits z: fp32 [T, E] (E experts = the last dimension, at most
 * 4096; T tokens = the other dimensions flattened). Scores s_t,e are
 * softmax(z_t) over the experts or sigmoid(z_t,e) (DeepSeek-V3's affinity). */
typedef enum clnn_moe_gate { CLNN_MOE_SOFTMAX = 0, CLNN_MOE_SIGMOID = 1 } clnn_moe_gate;

/* Top-k routing: each token t picks the k (1 <= k <= E) experts with the
 * largest biased scores s_t,e + bias_e (the order above; ties to the lower
 * expert index) and gets the gates g_t,q = s_t,e_q, or g_t,q = s_t,e_q /
 * Σ_q' s_t,e_q' with renormalize = 1 (Mixtral; DeepSeek-V3). The bias
 * steers the selection only, never the gates: the auxiliary-loss-free load
 * balancing of Wang et al., "Auxiliary-Loss-Free Load Balancing Strategy for
 * Mixture-of-Experts" (2024), used in DeepSeek-V3. bias: fp32 [E] or NULL
 * (no bias). indices: int32 [T, k] (T·k elements, last dimension k), the
 * chosen experts in descending biased score; gates: fp32, the same shape.
 * A NaN logit makes its token's scores NaN (a NaN score counts as the
 * largest). One work-item per token, O(k·E) each. */
CLNN_API clnn_status clnn_moe_route(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *bias, size_t k,
                                    clnn_moe_gate gate, int renormalize, clnn_tensor *indices, clnn_tensor *gates);

/* Gradient of the gates wrt the logits, the selection held fixed (it is
 * piecewise constant): dlogits [T, E] (written) from dgates [T, k] and the
 * forward's indices (distinct experts in [0, E) per token; a token with an
 * index outside gets a NaN row), with the forward's gate and renormalize.
 * With g the gates and A_t = Σ_q g_t,q·dg_t,q:
 *   softmax, renormalized: dz_e_q = g_q (dg_q − A), other experts 0;
 *   softmax, plain:        dz_e = p_e (dg_e − A), dg_e = 0 off the selection;
 *   sigmoid, renormalized: dz_e_q = (dg_q − A)/S·s_q(1 − s_q), S = Σ_q s_e_q;
 *   sigmoid, plain:        dz_e_q = dg_q·s_q(1 − s_q). */
CLNN_API clnn_status clnn_moe_route_backward(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *indices,
                                             const clnn_tensor *dgates, clnn_moe_gate gate, int renormalize,
                                             clnn_tensor *dlogits);

/* Expert loads: load[e] = the number of entries of indices (int32, any
 * shape, e.g. [T, k]) equal to e, for e < E = load's element count (int32,
 * at most 4096); other values are not counted. Integer counts: exact. */
CLNN_API clnn_status clnn_moe_expert_load(clnn_context *ctx, const clnn_tensor *indices, clnn_tensor *load);

/* The bias update of auxiliary-loss-free load balancing (Wang et al. 2024):
 * bias_e += rate·sign(mean load − load_e), mean = Σ_e load_e / E, decided
 * exactly in integers (sign(0) = 0); rate (u in the paper, e.g. 1e-3)
 * finite and >= 0. load: int32 [E] from clnn_moe_expert_load; bias: fp32,
 * E elements, updated in place. */
CLNN_API clnn_status clnn_moe_bias_update(clnn_context *ctx, const clnn_tensor *load, float rate, clnn_tensor *bias);

/* The classic load-balancing auxiliary loss (Switch Transformer, Fedus et
 * al. 2022), the alternative to the bias: with p_t = softmax(z_t) over all
 * experts, f_e = load_e / (T·k) the fraction of routed (token, slot) pairs
 * that went to expert e (from indices [T, k], counted on the device) and
 * P_e = (1/T)·Σ_t p_t,e,
 *   loss = alpha·E·Σ_e f_e·P_e        (= alpha when perfectly balanced),
 *   dlogits_t,j = alpha·E/T·p_t,j·(f_j − Σ_e f_e·p_t,e),
 * f held constant (counts are not differentiable). alpha finite and >= 0
 * (Switch: 1e-2). loss: fp32, 1 element; dlogits: logits' shape, written;
 * either may be NULL, not both. For k = 1 this is Switch's loss exactly;
 * for k > 1 f is normalized by T·k (GShard-style). Deterministic: integer
 * loads, per-token sums in a fixed order, then clnn's fixed-tree sum. */
CLNN_API clnn_status clnn_moe_aux_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *indices,
                                       float alpha, clnn_tensor *loss, clnn_tensor *dlogits);

/* Token dispatch and combine around the experts. x: fp32 [T, D] (token
 * rows), indices: int32 [T, k] from clnn_moe_route, E experts. Dispatch
 * groups the T·k (token, slot) pairs by expert, stably (within an expert
 * by token, then slot), with the device radix sort:
 *   x_sorted [T·k, D]: row r is x[t] of the pair at position r;
 *   positions int32 [T, k]: the row of pair (t, q) in x_sorted;
 *   offsets int32 [E + 1] (E = its count − 1): expert e owns rows
 *     [offsets[e], offsets[e + 1]); pairs whose expert is outside [0, E)
 *     come after offsets[E].
 * Each expert runs on its contiguous rows (the caller reads the E + 1
 * offsets to size its GEMMs) and writes y_sorted [T·k, D'] in the same row
 * order. Combine scatters back weighted:
 *   y[t] = Σ_q gates[t, q]·y_sorted[positions[t, q]]   (y [T, D']),
 * summed over q in order. positions must be dispatch's (a permutation of
 * [0, T·k)) or clnn_moe_dispatch_capacity's (y_sorted then [E·C, D']): a
 * position of -1 (a dropped pair) reads as 0, any other outside y_sorted's
 * rows as NaN. */
CLNN_API clnn_status clnn_moe_dispatch(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *indices,
                                       clnn_tensor *offsets, clnn_tensor *positions, clnn_tensor *x_sorted);
/* Dispatch with a capacity factor and token dropping (Switch Transformer,
 * Fedus et al. 2022; GShard, Lepikhin et al. 2021): every expert computes
 * exactly C = capacity rows, so its GEMMs have a fixed shape. x, indices and
 * positions as clnn_moe_dispatch; E = counts' element count (int32, 1 to
 * 2^24):
 *   x_buf [E·C, D]: expert e's rows are [e·C, (e + 1)·C); the first
 *     counts[e] = min(load_e, C) hold its pairs in token order (then slot),
 *     the rest are 0;
 *   positions [T, k]: the row of pair (t, q) in x_buf, or -1 when the pair
 *     was dropped: the expert already had C pairs from earlier tokens
 *     (Switch's first-come order), or its expert is outside [0, E);
 *   dropped: NULL or int32, 1 element: the number of dropped pairs.
 * clnn_moe_combine and its backward take these positions (a dropped pair
 * adds 0: the token keeps only its residual, as in Switch); the backward
 * zeroes dy_sorted's rows no pair reaches. capacity >= 1 (from
 * clnn_moe_capacity). */
CLNN_API clnn_status clnn_moe_dispatch_capacity(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *indices,
                                                size_t capacity, clnn_tensor *counts, clnn_tensor *dropped,
                                                clnn_tensor *positions, clnn_tensor *x_buf);
/* Switch's expert capacity, ceil(factor·tokens·k / experts) (factor finite
 * and > 0, e.g. 1.25 for training, 2 for evaluation; counts >= 1), in
 * *capacity (unchanged on error). */
CLNN_API clnn_status clnn_moe_capacity(size_t tokens, size_t k, size_t experts, float factor, size_t *capacity);
/* dx[t] = Σ_q dx_sorted[positions[t, q]] (the transpose of the gather). */
CLNN_API clnn_status clnn_moe_dispatch_backward(clnn_context *ctx, const clnn_tensor *dx_sorted,
                                                const clnn_tensor *positions, clnn_tensor *dx);
CLNN_API clnn_status clnn_moe_combine(clnn_context *ctx, const clnn_tensor *y_sorted, const clnn_tensor *positions,
                                      const clnn_tensor *gates, clnn_tensor *y);
/* dy_sorted[positions[t, q]] = gates[t, q]·dy[t] and dgates[t, q] =
 * Σ_d dy[t, d]·y_sorted[positions[t, q], d] (either may be NULL, not both). */
CLNN_API clnn_status clnn_moe_combine_backward(clnn_context *ctx, const clnn_tensor *y_sorted,
                                               const clnn_tensor *positions, const clnn_tensor *gates,
                                               const clnn_tensor *dy, clnn_tensor *dy_sorted, clnn_tensor *dgates);

#ifdef __cplusplus
}
#endif

#endif
