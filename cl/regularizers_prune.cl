/* Pruning masks (fp32 0/1 outputs) and the learnable 2:4 mask of MaskLLM.
 *
 * Magnitudes are compared by the key KEY(x) = bit pattern of |x| as a uint,
 * which orders non-negative floats like their values (NaN above +inf), so
 * ties are exact and the selection is the same on every device.
 *
 * Top-k (k largest |w| of n, ties to the lower index) without sorting:
 *   1. bisection on the key, one bit per pass from bit 30 down: topk_count
 *      counts keys >= prefix | bit over contiguous chunks (as cl/reduce_deterministic.cl:
 *      parts = f(n), chunk = ceil(n / parts)), topk_select (one work-item)
 *      sums the counts in order and keeps the bit when the count is >= k.
 *      After bit 0, T = state[0] is the k-th largest key. On GPUs
 *      (BLOCKS=1, src/regularizers/prune.c) these 31 passes count in grid-stride
 *      blocks of RED_LANES lanes instead, as many as fill the device (the
 *      counts are integers: any partition gives the same T).
 *   2. topk_count (MODE 1) counts per chunk the keys == T and > T; topk_select
 *      (MODE 1) turns the == T counts into an exclusive prefix over chunks
 *      and stores need = k − #(key > T) in state[1].
 *   3. topk_mask: chunk p walks its elements in order; key > T is kept, key
 *      == T is kept while the number of equal keys before it is < need.
 * Integer counts only: deterministic by construction. */
#define KEY(x) (as_uint(x) & 0x7fffffffu)

#ifndef MODE
#define MODE 0
#endif
#ifndef BLOCKS
#define BLOCKS 0
#endif
#define RED_LANES 256 /* lanes of a block, as in cl/reduce.clh */

static inline uint chunk_begin(const uint p, const uint n, const uint parts)
{
    return min(n, p * ((n + parts - 1) / parts));
}

#if MODE == 0 && BLOCKS
/* partial[b] = the keys >= prefix | bit of block b < parts: lane l counts
 * i = b RED_LANES + l, then + parts RED_LANES, ... (neighbouring work-items
 * read neighbouring keys); work-groups take blocks in turn, so any local
 * size and group count covers them all. */
__kernel void topk_count(__global const float *w, __global uint *partial, __global const uint *state,
                         const uint n, const uint parts, const uint bit)
{
    __local uint lanes[RED_LANES];
    const uint lid = get_local_id(0), nloc = get_local_size(0), span = parts * RED_LANES;
    const uint cand = (bit == 30 ? 0u : state[0]) | (1u << bit);
    /* the trip count is the same for the whole group: every work-item reaches every barrier */
    for (uint blk = get_group_id(0); blk < parts; blk += get_num_groups(0)) {
        for (uint lane = lid; lane < RED_LANES; lane += nloc) {
            uint ge = 0;
            for (uint i = blk * RED_LANES + lane; i < n; i += span) ge += KEY(w[i]) >= cand;
            lanes[lane] = ge;
        }
        for (uint width = RED_LANES / 2; width > 0; width >>= 1) {
            barrier(CLK_LOCAL_MEM_FENCE);
            for (uint lane = lid; lane < width; lane += nloc) lanes[lane] += lanes[lane + width];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid == 0) partial[blk] = lanes[0];
        barrier(CLK_LOCAL_MEM_FENCE); /* lanes are refilled for the next block */
    }
}
#else
__kernel void topk_count(__global const float *w, __global uint *partial, __global const uint *state,
                         const uint n, const uint parts, const uint bit)
{
    const uint p = get_global_id(0);
    if (p >= parts) return;
    const uint end = chunk_begin(p + 1, n, parts);
#if MODE == 0
    const uint cand = (bit == 30 ? 0u : state[0]) | (1u << bit);
    uint ge = 0;
    for (uint i = chunk_begin(p, n, parts); i < end; i++) ge += KEY(w[i]) >= cand;
    partial[p] = ge;
#else
    const uint t = state[0];
    uint eq = 0, gt = 0;
    for (uint i = chunk_begin(p, n, parts); i < end; i++) {
        const uint key = KEY(w[i]);
        eq += key == t;
        gt += key > t;
    }
    partial[p] = eq;
    partial[parts + p] = gt;
#endif
}
#endif

__kernel void topk_select(__global uint *partial, __global uint *state, const uint parts, const uint k,
                          const uint bit)
{
    if (get_global_id(0) != 0) return;
#if MODE == 0
    uint total = 0;
    for (uint p = 0; p < parts; p++) total += partial[p];
    const uint prefix = bit == 30 ? 0u : state[0];
    state[0] = total >= k ? prefix | (1u << bit) : prefix;
#else
    uint gt = 0, before = 0;
    for (uint p = 0; p < parts; p++) {
        gt += partial[parts + p];
        const uint eq = partial[p];
        partial[p] = before;
        before += eq;
    }
    state[1] = k - gt;
#endif
}

__kernel void topk_mask(__global const float *w, __global const uint *partial, __global const uint *state,
                        __global float *mask, const uint n, const uint parts)
{
    const uint p = get_global_id(0);
    if (p >= parts) return;
    const uint t = state[0], need = state[1];
    uint seen = partial[p];
    const uint end = chunk_begin(p + 1, n, parts);
    for (uint i = chunk_begin(p, n, parts); i < end; i++) {
        const uint key = KEY(w[i]);
        float keep = key > t ? 1.0f : 0.0f;
        if (key == t) keep = seen++ < need ? 1.0f : 0.0f;
        mask[i] = keep;
    }
}

/* N:4 (2:4 sparsity): the same ranks from one uint4 of keys, compares
 * written out (element j beats i when its key is larger, or equal at a
 * lower index): a vector load and store, no loops. */
static inline void nm_mask4(__global const float *w, __global float *mask, const uint g, const uint keep_n)
{
    const uint4 k = as_uint4(vload4(g, w)) & (uint4)(0x7fffffffu);
    const uint r0 = (k.y > k.x) + (k.z > k.x) + (k.w > k.x);
    const uint r1 = (k.x >= k.y) + (k.z > k.y) + (k.w > k.y);
    const uint r2 = (k.x >= k.z) + (k.y >= k.z) + (k.w > k.z);
    const uint r3 = (k.x >= k.w) + (k.y >= k.w) + (k.z >= k.w);
    vstore4(select((float4)(0.0f), (float4)(1.0f), (int4)(r0 < keep_n, r1 < keep_n, r2 < keep_n, r3 < keep_n) != 0),
            g, mask);
}

/* N:M: in each group of m consecutive elements keep the keep_n largest |w|,
 * ties to the lower index (rank = number of elements that beat it). One
 * work-item per group; O(m²) compares, m <= 64 (m = 4: nm_mask4). */
__kernel void nm_mask(__global const float *w, __global float *mask, const uint groups, const uint keep_n,
                      const uint m)
{
    const uint g = get_global_id(0);
    if (g >= groups) return;
    if (m == 4u) {
        nm_mask4(w, mask, g, keep_n);
        return;
    }
    const uint base = g * m;
    for (uint j = 0; j < m; j++) {
        const uint kj = KEY(w[base + j]);
        uint rank = 0;
        for (uint l = 0; l < m; l++) {
            const uint kl = KEY(w[base + l]);
            rank += kl > kj || (kl == kj && l < j);
        }
        mask[base + j] = rank < keep_n ? 1.0f : 0.0f;
    }
}

/* MaskLLM (Fang et al. 2024): each group of 4 weights has logits over the 6
 * patterns with 2 of 4 kept, in the order {0,1} {0,2} {0,3} {1,2} {1,3} {2,3}
 * (bit j of PATTERN(k) = position j kept). With Gumbel noise
 * n_k = −log(−log(u_k)) (logexp.clh's log), u_k = max(philox_uniform(seed, stream, 6g + k), 2^-24)
 * (GUMBEL, else n = 0), p = softmax((logit + n) / τ) and
 *   forward  (MODE 0): mask[4g + j] = Σ_k p_k·PATTERN(k)_j
 *   backward (MODE 1): dlogit_k = p_k·(s_k − Σ_l p_l s_l) / τ, s_k = Σ_j dmask_j·PATTERN(k)_j */
#include "philox.clh"

#ifndef GUMBEL
#define GUMBEL 1
#endif
#define PATTERN(k) ((0xCA6953u >> (4u * (k))) & 0xFu) /* 0x3, 0x5, 0x9, 0x6, 0xA, 0xC */

__kernel void maskllm(__global const float *logits, __global const float *din, __global float *out,
                      const uint groups, const float tau, const ulong seed, const uint stream)
{
    const uint g = get_global_id(0);
    if (g >= groups) return;
    float y[6], mx = -INFINITY, sum = 0.0f;
    /* words 6g .. 6g+5 lie in Philox blocks 6g/4 and 6g/4 + 1 (6g mod 4 is
     * 0 or 2): two calls instead of six, the same uniforms */
    float u[8];
    if (GUMBEL) {
        const uint b = (uint)((6ul * g) >> 2);
        vstore4(philox_block_uniforms(seed, stream, b), 0, u);
        vstore4(philox_block_uniforms(seed, stream, b + 1u), 1, u);
    }
    const uint first = (6u * g) & 3u;
    for (uint k = 0; k < 6; k++) {
        float noise = 0.0f;
        if (GUMBEL) noise = -clnn_logf(-clnn_logf(fmax(u[first + k], 1.0f / 16777216.0f)));
        y[k] = (logits[6 * g + k] + noise) / tau;
        mx = fmax(mx, y[k]);
    }
    for (uint k = 0; k < 6; k++) sum += y[k] = exp(y[k] - mx);
    for (uint k = 0; k < 6; k++) y[k] /= sum; /* y is now p */
#if MODE == 0
    for (uint j = 0; j < 4; j++) {
        float m = 0.0f;
        for (uint k = 0; k < 6; k++) m += (PATTERN(k) >> j & 1u) ? y[k] : 0.0f;
        out[4 * g + j] = m;
    }
#else
    float s[6], mean = 0.0f;
    for (uint k = 0; k < 6; k++) {
        s[k] = 0.0f;
        for (uint j = 0; j < 4; j++) s[k] += (PATTERN(k) >> j & 1u) ? din[4 * g + j] : 0.0f;
        mean += y[k] * s[k];
    }
    for (uint k = 0; k < 6; k++) out[6 * g + k] = y[k] * (s[k] - mean) / tau;
#endif
}
