/* Sparsity, sorting and mixture-of-experts routing: a device sort, the
 * top-k activation, Wasserstein regularization toward the initial weights,
 * multi-sample dropout, and MoE top-k routing with its load balancing.
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
 * n < 2^32) in the order above: an LSD radix sort, 8 passes of 4-bit digits
 * over the keys' order-preserving uint images. Equal keys keep their input
 * order, so the result is unique: the same bits on every device and local
 * size. Keys move as bit patterns (NaN payloads and zero signs survive).
 *   values:        NULL, or int32 with n elements carried along with the keys;
 *   sorted_keys:   fp32, n elements, or NULL when only sorted_values is wanted;
 *   sorted_values: int32, n elements, or NULL. With values NULL it receives
 *                  the permutation: sorted_values[i] = the flat input index
 *                  of the key that lands at position i (argsort).
 * In place is allowed (sorted_keys = keys, sorted_values = values); any other
 * sharing of buffers between the four is rejected. Device scratch: n keys,
 * n values when carried, and 16 counters per 4096 elements. */
CLNN_API clnn_status clnn_sort(clnn_context *ctx, const clnn_tensor *keys, const clnn_tensor *values,
                               clnn_tensor *sorted_keys, clnn_tensor *sorted_values);

#ifdef __cplusplus
}
#endif

#endif
