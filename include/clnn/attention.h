/* clnn: scaled dot-product attention (Vaswani et al. 2017), fp32.
 * Included by clnn/clnn.h; do not include directly.
 *
 *   q, dq      [B, Hd, Sq, D]   queries (B batch, Hd heads)
 *   k, v, dk, dv [B, Hd, Sk, D] keys and values
 *   probs      [B, Hd, Sq, Sk]  attention probabilities (written by forward)
 *   out, dout  [B, Hd, Sq, D]
 *   probs = softmax_j(q . k_j / sqrt(D)) per query row, out = probs . v
 * With causal = 1, query i attends to keys j <= i only (top-left aligned like
 * PyTorch's is_causal; masked probabilities are exactly 0).
 * The score and output GEMMs run in CLBlast (strided-batched over B*Hd); the
 * scale, mask and softmax are one kernel. The backward pass needs q, k, v and
 * the probs of the forward pass; it allocates a [B, Hd, Sq, Sk] workspace.
 * Aliasing: the outputs (forward: probs and out; backward: dq, dk and dv)
 * share memory with no input and with no other output; two tensors share
 * memory when they wrap one cl_mem or overlapping sub-buffers of one. Such a
 * call fails with CLNN_ERR_INVALID_ARGUMENT and writes nothing. */
#ifndef CLNN_ATTENTION_H
#define CLNN_ATTENTION_H

CLNN_API clnn_status clnn_attention_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                            const clnn_tensor *v, int causal, clnn_tensor *probs,
                                            clnn_tensor *out);
/* dq, dk, dv from dout (each overwritten). */
CLNN_API clnn_status clnn_attention_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                             const clnn_tensor *v, const clnn_tensor *probs,
                                             const clnn_tensor *dout, clnn_tensor *dq, clnn_tensor *dk,
                                             clnn_tensor *dv);

/* ------------------------------------------------ options (PyTorch's SDPA)
 *
 * torch.nn.functional.scaled_dot_product_attention's options. Shapes:
 *   q, dq        [B, Hd, Sq, D]
 *   k, dk        [B, Hkv, Sk, D]   Hd % Hkv == 0: grouped-query attention,
 *                                  query head h uses kv head h / (Hd / Hkv)
 *                                  (PyTorch's enable_gqa=True)
 *   v, dv        [B, Hkv, Sk, Dv]  Dv may differ from D
 *   out, dout    [B, Hd, Sq, Dv]
 *   probs        [B, Hd, Sq, Sk]   softmax probabilities before dropout
 *   lse          [B, Hd, Sq]       log-sum-exp of each row's scores
 *   mask         NULL, [Sq, Sk] or [B or 1, Hd or 1, Sq, Sk] (broadcast over
 *                the dimensions of size 1): float32 is added to the scaled
 *                scores (PyTorch's float attn_mask, -inf allowed); int32 is a
 *                boolean mask, nonzero = takes part (PyTorch's bool attn_mask)
 *   key_padding  NULL or int32 [B, Sk], nonzero = padding, never attended
 *                (nn.MultiheadAttention's key_padding_mask)
 * Score s_ij = scale * q_i . k_j (+ float mask), -inf where the boolean mask,
 * key_padding or the causal mask exclude j; p_i = softmax_j(s_ij).
 * A row whose scores are all -inf (fully masked) has p = 0, out = 0, zero
 * gradients and lse = -inf; PyTorch gives NaN there.
 * Dropout: p_ij is kept iff clnn_philox_uniform(seed, CLNN_STREAM_ATTENTION_DROPOUT,
 * offset + ((b Hd + h) Sq + i) Sk + j) >= dropout_p and then scaled by
 * 1 / (1 - dropout_p); out = dropped(p) . v. The backward call must be given
 * the forward's options to use the same mask. */
#define CLNN_ATTN_CAUSAL_NONE 0
#define CLNN_ATTN_CAUSAL_TOP_LEFT 1     /* j <= i (PyTorch's is_causal=True) */
#define CLNN_ATTN_CAUSAL_BOTTOM_RIGHT 2 /* j <= i + Sk - Sq (decoding with a KV cache; causal_lower_right) */
#define CLNN_STREAM_ATTENTION_DROPOUT 0x5D000201u

typedef struct clnn_attention_options {
    size_t size;       /* sizeof(clnn_attention_options), set by the _init */
    int causal;        /* CLNN_ATTN_CAUSAL_*; default NONE */
    float scale;       /* multiplies q . k; 0 (default) = 1 / sqrt(D) */
    float dropout_p;   /* in [0, 1); default 0 */
    uint64_t seed;     /* Philox key of the dropout mask; default 0 */
    uint64_t offset;   /* first Philox index of the dropout mask; default 0 */
} clnn_attention_options;

CLNN_API void clnn_attention_options_init(clnn_attention_options *opt);

/* Standard path: probs and out as above (opt NULL: the defaults). Workspace
 * [B, Hd, Sq, Sk] with dropout. */
CLNN_API clnn_status clnn_attention_sdpa_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                                 const clnn_tensor *v, const clnn_tensor *mask,
                                                 const clnn_tensor *key_padding,
                                                 const clnn_attention_options *opt, clnn_tensor *probs,
                                                 clnn_tensor *out);
/* dq, dk, dv (overwritten) from the forward's probs and the same options
 * (the masks live in probs' zeros). Workspace [B, Hd, Sq, Sk], two with dropout. */
CLNN_API clnn_status clnn_attention_sdpa_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                                  const clnn_tensor *v, const clnn_tensor *probs,
                                                  const clnn_tensor *dout, const clnn_attention_options *opt,
                                                  clnn_tensor *dq, clnn_tensor *dk, clnn_tensor *dv);

/* Memory-efficient path (flash-attention style: Dao et al. 2022, Dao 2023),
 * the same options and results as the standard path within float rounding,
 * without the [B, Hd, Sq, Sk] matrix: the forward writes out and lse, the
 * backward recomputes the probabilities from q, k, lse (with the forward's
 * out, lse and options) and needs B*Hd*Sq floats of workspace. Deterministic
 * (no atomics). D and Dv at most 256 (CLNN_ERR_UNSUPPORTED above, or where a
 * work-item's loops would pass a device's loop limit, docs/portability.md);
 * each head size pair is a kernel built on first use. */
CLNN_API clnn_status clnn_attention_flash_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                                  const clnn_tensor *v, const clnn_tensor *mask,
                                                  const clnn_tensor *key_padding,
                                                  const clnn_attention_options *opt, clnn_tensor *out,
                                                  clnn_tensor *lse);
CLNN_API clnn_status clnn_attention_flash_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                                   const clnn_tensor *v, const clnn_tensor *mask,
                                                   const clnn_tensor *key_padding, const clnn_tensor *out,
                                                   const clnn_tensor *lse, const clnn_tensor *dout,
                                                   const clnn_attention_options *opt, clnn_tensor *dq,
                                                   clnn_tensor *dk, clnn_tensor *dv);

#endif
