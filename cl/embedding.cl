/* Embedding lookup (include/clnn/embedding.h). */
#include "index.clh"

/* y[t, d] = weight[indices[t], d], NaN for an index outside [0, vocab); one
 * work-item per element of y (n = T * D). */
__kernel void embedding_forward(__global float *y, __global const float *weight, __global const int *indices,
                                const uint n, const divisor D, const uint vocab)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint t;
    const uint d = split_by(i, D, &t);
    const int v = indices[t];
    y[i] = v < 0 || (uint)v >= vocab ? NAN : weight[(size_t)v * D.x + d];
}

/* dweight[v, :] = Σ dy[t, :] over the run of tokens with index v, in token
 * order. sorted and perm are the indices after a stable sort (their int32
 * bits as fp32 keys: equal indices adjacent, in token order) and its
 * permutation. One work-group per sorted position p; the first position of
 * each run of a valid index other than padding walks the run, each
 * work-item its columns; the others do nothing (dweight was zeroed): O(T·D)
 * in all. */
__kernel void embedding_scatter(__global float *dweight, __global const float *dy, __global const int *sorted,
                                __global const int *perm, const uint tokens, const uint D, const uint vocab,
                                const int padding)
{
    const uint p = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const int v = sorted[p];
    if (v < 0 || (uint)v >= vocab || v == padding || (p > 0 && sorted[p - 1] == v)) return;
    uint end = p + 1;
    while (end < tokens && sorted[end] == v) end++;
    for (uint j = lid; j < D; j += nloc) {
        float acc = 0.0f;
        for (uint q = p; q < end; q++) acc += dy[(size_t)perm[q] * D + j];
        dweight[(size_t)v * D + j] = acc;
    }
}
