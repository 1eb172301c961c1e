/* clnn: embedding lookup (PyTorch's nn.Embedding), forward and a
 * deterministic backward. Included by clnn/clnn.h; do not include directly.
 *
 *   weight   [V, D] fp32: one row per index
 *   indices  int32, any shape of T elements
 *   y, dy    T x D fp32 elements, e.g. [..., D] with indices' shape first
 *
 * Forward: y[t, :] = weight[indices[t], :]. An index outside [0, V) gives a
 * NaN row (PyTorch raises an error; clnn would have to read the indices back
 * to the host to do so).
 * Backward: dweight[v, :] = Σ over the tokens t with indices[t] = v of
 * dy[t, :], summed in token order (the indices are sorted stably on the
 * device, so the bits never depend on timing or launch sizes); rows no token
 * names, the row padding_idx and indices outside [0, V) get 0. dweight is
 * overwritten, not accumulated. padding_idx as in PyTorch: in [-V, V), a
 * negative value counting from the end, or CLNN_EMBEDDING_NO_PADDING.
 * T < 2^31; outputs share no memory with the inputs. */
#ifndef CLNN_EMBEDDING_H
#define CLNN_EMBEDDING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLNN_EMBEDDING_NO_PADDING INT32_MIN

CLNN_API clnn_status clnn_embedding_forward(clnn_context *ctx, const clnn_tensor *weight, const clnn_tensor *indices,
                                            clnn_tensor *y);
CLNN_API clnn_status clnn_embedding_backward(clnn_context *ctx, const clnn_tensor *indices, const clnn_tensor *dy,
                                             int32_t padding_idx, clnn_tensor *dweight);

#ifdef __cplusplus
}
#endif

#endif
