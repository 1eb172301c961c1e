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

#endif
