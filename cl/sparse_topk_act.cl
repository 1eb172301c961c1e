/* Top-k activation along the last dimension (k-sparse autoencoders,
 * Makhzani & Frey 2013; top-k sparse autoencoders, Gao et al. 2024): each
 * row keeps its k largest entries in the order of cl/orderkey.clh (NaN
 * largest, +0.0 above -0.0) and zeroes the rest; of equal entries the lower
 * index wins. The backward pass recomputes the same selection from x and
 * passes dy through the kept entries only.
 *
 * One work-group per row (every barrier reached by all its work-items):
 *   1. radix select of the k-th largest key T, 8 bits per pass from the top:
 *      a 256-bin histogram (local integer atomics; 256 bins keep contention
 *      low, and 4 passes beat 8 of 16 bins on PoCL) of the keys that match
 *      the prefix chosen so far, then the digit where the count from the top
 *      reaches the remaining rank; after 4 passes, T and need = the number
 *      of entries equal to T that are kept;
 *   2. the row is split into `lanes` contiguous pieces (lanes = min(256, n),
 *      virtual, taken by work-items in turn); exclusive scans over the
 *      pieces of the counts of keys == T, then of kept entries, give each
 *      piece its first tie rank and first output slot;
 *   3. each piece is walked in order: key > T kept, key == T kept while its
 *      tie rank < need; y (or dx) written, and the kept positions go to the
 *      int32 indices in ascending order.
 * Integer counts only: the selection, and so every output bit, is the same
 * on every device and local size. */
#include "index.clh"
#include "orderkey.clh"
#include "scan.clh"

#define RADIX 256
#define TOPK_LANES 256

__kernel void topk_rows(__global const float *x, __global const float *dy, __global float *out,
                        __global int *indices, const uint n, const uint k, const int backward, const int want_idx)
{
    __local uint hist[RADIX], pick[2];
    __local uint eq[TOPK_LANES], ties[TOPK_LANES], kept[TOPK_LANES], part[SCAN_LANES];
    const uint lid = get_local_id(0), nl = get_local_size(0), row = get_group_id(0);
    __global const float *xr = x + (size_t)row * n;

    /* 1. radix select */
    uint prefix = 0u, mask = 0u, rem = k;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (uint d = lid; d < RADIX; d += nl) hist[d] = 0u;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint j = lid; j < n; j += nl) {
            const uint key = order_key(xr[j]);
            if ((key & mask) == prefix) atomic_inc(&hist[(key >> shift) & (RADIX - 1u)]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid == 0) { /* one work-item walks the bins down; the group reads its choice */
            uint above = 0u, d = RADIX - 1u;
            while (d > 0u && above + hist[d] < rem) above += hist[d--];
            pick[0] = d;
            pick[1] = rem - above;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        rem = pick[1];
        prefix |= pick[0] << shift;
        mask |= (RADIX - 1u) << shift;
        barrier(CLK_LOCAL_MEM_FENCE); /* hist and pick are rewritten next pass */
    }
    const uint t = prefix, need = rem;

    /* 2. tie ranks and output slots per piece */
    const uint lanes = min((uint)TOPK_LANES, n), per = (n + lanes - 1) / lanes;
    for (uint lane = lid; lane < lanes; lane += nl) {
        const uint end = min(n, (lane + 1) * per);
        uint e = 0u, g = 0u;
        for (uint j = min(n, lane * per); j < end; j++) {
            const uint key = order_key(xr[j]);
            e += key == t;
            g += key > t;
        }
        eq[lane] = ties[lane] = e;
        kept[lane] = g; /* for now: the entries above T */
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    scan_local(eq, lanes, part); /* eq[lane] = ties before the piece */
    /* ties kept here: those with tie rank in [eq, eq + ties) below need.
     * Written as a difference of two min()s: Oclgrind cannot run the
     * unsigned saturating subtract clang makes of max(need - eq, 0) */
    for (uint lane = lid; lane < lanes; lane += nl)
        kept[lane] += min(need, eq[lane] + ties[lane]) - min(need, eq[lane]);
    barrier(CLK_LOCAL_MEM_FENCE);
    scan_local(kept, lanes, part); /* kept[lane] = output slots before the piece */

    /* 3. outputs */
    __global const float *src = backward ? dy + (size_t)row * n : xr;
    __global float *dst = out + (size_t)row * n;
    for (uint lane = lid; lane < lanes; lane += nl) {
        const uint end = min(n, (lane + 1) * per);
        uint tie = eq[lane], slot = kept[lane];
        for (uint j = min(n, lane * per); j < end; j++) {
            const uint key = order_key(xr[j]);
            int keep = key > t;
            if (key == t) keep = tie++ < need;
            dst[j] = keep ? src[j] : 0.0f;
            if (keep && want_idx) indices[(size_t)row * k + slot] = (int)j;
            slot += keep;
        }
    }
}

/* clnn_topk's gathers, element-wise over [rows, k] (the row and slot by a
 * prepared divisor). values[r, q] = x[r, idx[r, q]] (x rows of n). */
__kernel void topk_gather_values(__global float *values, __global const float *x, __global const int *idx,
                                 const uint count, const divisor k, const uint n)
{
    const uint i = get_global_id(0);
    if (i >= count) return;
    uint row;
    split_by(i, k, &row);
    values[i] = x[(size_t)row * n + (uint)idx[i]];
}

/* out[r, q] = idx[r, order[r, q]]: the positions in the order of the sorted values. */
__kernel void topk_reorder(__global int *out, __global const int *idx, __global const int *order, const uint count,
                           const divisor k)
{
    const uint i = get_global_id(0);
    if (i >= count) return;
    uint row;
    split_by(i, k, &row);
    out[i] = idx[(size_t)row * k.x + (uint)order[i]];
}
