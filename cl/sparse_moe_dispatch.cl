/* MoE token dispatch and combine. The (token, slot) pairs p = t·k + q of
 * indices [T, k] are grouped by expert with the stable radix sort (on keys
 * = the expert as a float, out-of-range experts as E, so they go last):
 * rows[r] = the pair at row r of x_sorted [T·k, D], positions[p] = its row,
 * offsets[e] = the first row of expert e (offsets[E] = the valid pairs).
 *   moe_pair_keys   keys[p] = expert of pair p (E if outside [0, E))
 *   moe_offsets     offsets[e] = #{sorted keys < e}, a binary search each
 *   moe_gather      x_sorted[r, d] = x[rows[r] / k, d]; positions[rows[r]] = r
 *   moe_combine     y[t, d] = Σ_q g[t, q]·y_sorted[positions[t, q], d]
 *                   (no gates: g = 1, the dispatch's backward dx)
 *   moe_combine_dy  dy_sorted[positions[t, q], d] = g[t, q]·dy[t, d]
 *   moe_combine_dg  dgates[t, q] = Σ_d dy[t, d]·y_sorted[positions[t, q], d]
 * Sums run over q or d in order inside one work-item; positions is a
 * permutation (one writer per row). A position outside [0, T·k) reads as NaN. */
#include "index.clh"

__kernel void moe_pair_keys(__global const int *indices, __global float *keys, const uint pairs, const uint E)
{
    const uint p = get_global_id(0);
    if (p >= pairs) return;
    const int e = indices[p];
    keys[p] = (float)(e >= 0 && (uint)e < E ? (uint)e : E);
}

/* offsets[e] for e <= E: the first sorted position whose key is >= e */
__kernel void moe_offsets(__global const float *sorted_keys, __global int *offsets, const uint pairs, const uint E)
{
    const uint e = get_global_id(0);
    if (e > E) return;
    uint lo = 0u, hi = pairs;
    while (lo < hi) {
        const uint mid = lo + (hi - lo) / 2u;
        if (sorted_keys[mid] < (float)e) lo = mid + 1u;
        else hi = mid;
    }
    offsets[e] = (int)lo;
}

__kernel void moe_gather(__global const float *x, __global const int *rows, __global int *positions,
                         __global float *x_sorted, const uint pairs, const uint k, const uint D)
{
    uint i, r, d;
    if (!grid_item(pairs, D, &i, &r, &d)) return;
    const uint p = (uint)rows[r];
    x_sorted[i] = x[(size_t)(p / k) * D + d];
    if (d == 0u) positions[p] = (int)r;
}

/* Row pos of ys ([nrows, D]); -1 is a pair the capacity dropped (reads 0),
 * any other position outside the rows reads NaN. */
static inline float sorted_at(__global const float *ys, const int pos, const uint nrows, const uint D, const uint d)
{
    if (pos == -1) return 0.0f;
    return pos >= 0 && (uint)pos < nrows ? ys[(size_t)pos * D + d] : NAN;
}

__kernel void moe_combine(__global const float *y_sorted, __global const int *positions, __global const float *gates,
                          __global float *y, const uint T, const uint k, const uint D, const int has_gates,
                          const uint nrows)
{
    uint i, t, d;
    if (!grid_item(T, D, &i, &t, &d)) return;
    float acc = 0.0f;
    for (uint q = 0; q < k; q++) {
        const float v = sorted_at(y_sorted, positions[t * k + q], nrows, D, d);
        acc += has_gates ? gates[t * k + q] * v : v;
    }
    y[i] = acc;
}

__kernel void moe_combine_dy(__global const int *positions, __global const float *gates, __global const float *dy,
                             __global float *dy_sorted, const uint T, const uint k, const uint D, const uint nrows)
{
    const uint i = get_global_id(0);
    if (i >= T * k * D) return;
    uint p;
    const uint d = split_index(i, D, &p);
    const int pos = positions[p];
    if (pos >= 0 && (uint)pos < nrows) dy_sorted[(size_t)pos * D + d] = gates[p] * dy[(size_t)(p / k) * D + d];
}

__kernel void moe_combine_dg(__global const float *y_sorted, __global const int *positions, __global const float *dy,
                             __global float *dgates, const uint T, const uint k, const uint D, const uint nrows)
{
    const uint p = get_global_id(0);
    if (p >= T * k) return;
    const int pos = positions[p];
    float acc = 0.0f;
    for (uint d = 0; d < D; d++) acc += dy[(size_t)(p / k) * D + d] * sorted_at(y_sorted, pos, nrows, D, d);
    dgates[p] = acc;
}

/* Dispatch with a capacity (Switch / GShard): the pair at sorted row r,
 * expert e = its key, rank r - offsets[e] within the expert, goes to row
 * e·C + rank of the expert buffer [E·C, D] when its rank is below C (the
 * first C pairs of an expert in token order); otherwise it is dropped
 * (positions -1). The buffer's unused rows stay as filled (zeros). */
__kernel void moe_gather_capacity(__global const float *x, __global const int *rows, __global const float *sorted_keys,
                                  __global const int *offsets, __global int *positions, __global float *x_buf,
                                  const uint pairs, const uint k, const uint D, const uint E, const uint C)
{
    uint i, r, d;
    if (!grid_item(pairs, D, &i, &r, &d)) return;
    const uint p = (uint)rows[r], e = (uint)sorted_keys[r];
    const uint rank = e < E ? r - (uint)offsets[e] : C;
    const int keep = rank < C;
    if (keep) x_buf[((size_t)e * C + rank) * D + d] = x[(size_t)(p / k) * D + d];
    if (d == 0u) positions[p] = keep ? (int)(e * C + rank) : -1;
}

/* One work-item: counts[e] = min(load_e, C) (the rows expert e computes)
 * and dropped[0] = the pairs not kept (over capacity or expert outside
 * [0, E)), from the dispatch offsets. */
__kernel void moe_capacity_counts(__global const int *offsets, __global int *counts, __global int *dropped,
                                  const uint E, const uint C, const uint pairs, const int want_dropped)
{
    if (get_global_id(0) != 0u) return;
    uint kept = 0u;
    for (uint e = 0; e < E; e++) {
        const uint c = min((uint)(offsets[e + 1] - offsets[e]), C);
        counts[e] = (int)c;
        kept += c;
    }
    if (want_dropped) dropped[0] = (int)(pairs - kept);
}
