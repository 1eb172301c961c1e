/* Row kernels of scaled dot-product attention; the GEMMs run in CLBlast.
 * Scores/probabilities are [rows = batch*heads*Sq, Sk] row-major; query i of
 * a row is row % Sq, its head row / Sq. Masks: cl/attention_mask.clh. A row
 * with every key excluded gets p = 0. One work-group per row. */
#include "attention_mask.clh"
#include "philox.clh"
#include "reduce.clh"

/* p = softmax_j(scale * s_j + mask) over the keys not excluded, 0 for
 * excluded keys (and for the whole row when every key is); in place. */
__kernel void attn_softmax_forward(__global float *p, const uint rows, const uint Sq, const uint Sk, const float scale,
                                   const int causal, const uint Hd, __global const uint *mask, const uint msb,
                                   const uint msh, __global const int *kpm)
{
    __local float lanes[RED_LANES];
    const uint row = get_group_id(0);
    uint bh;
    const uint i = split_index(row, Sq, &bh);
    /* the launch has exactly `rows` work-groups: no early return before the barriers */
    __global float *pr = p + (size_t)row * Sk;
    const long last = attn_last_key(causal, i, Sq, Sk);
    RED_FOR_LANES(lane)
    {
        float m = -INFINITY;
        RED_FOR_LANE_ELEMENTS(j, lane, Sk)
        m = fmax(m, attn_mask_score(scale * pr[j], bh, i, j, Sk, Hd, last, mask, msb, msh, kpm));
        lanes[lane] = m;
    }
    const float mx = red_tree_max(lanes); /* subtracting the maximum keeps exp() <= 1 */
    /* every key excluded: exp(-inf - 0) = 0 gives p = 0 and a sum of 0 */
    const float shift = mx == -INFINITY ? 0.0f : mx;
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(j, lane, Sk)
        s += exp(attn_mask_score(scale * pr[j], bh, i, j, Sk, Hd, last, mask, msb, msh, kpm) - shift);
        lanes[lane] = s;
    }
    const float sum = red_tree_sum(lanes);
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    /* each element written by the work-item that read it above: the barriers
     * of the trees fence local memory only */
    RED_FOR_LANES(lane)
    RED_FOR_LANE_ELEMENTS(j, lane, Sk)
    pr[j] = exp(attn_mask_score(scale * pr[j], bh, i, j, Sk, Hd, last, mask, msb, msh, kpm) - shift) * inv;
}

/* ds = scale * p * (dp - sum_j dp_j p_j); in place over dp. Masked keys have
 * p = 0, so their ds is 0 without looking at the mask. */
__kernel void attn_softmax_backward(__global float *dp, __global const float *p, const uint rows, const uint Sk,
                                    const float scale)
{
    __local float lanes[RED_LANES];
    const uint row = get_group_id(0);
    /* the launch has exactly `rows` work-groups: no early return before the barriers */
    __global float *dr = dp + (size_t)row * Sk;
    __global const float *pr = p + (size_t)row * Sk;
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(j, lane, Sk) s += dr[j] * pr[j];
        lanes[lane] = s;
    }
    const float dot = red_tree_sum(lanes);
    RED_FOR_LANES(lane)
    RED_FOR_LANE_ELEMENTS(j, lane, Sk) dr[j] = scale * pr[j] * (dr[j] - dot); /* by the reader, as above */
}

/* Attention dropout: dst_i = src_i * keep_scale when philox_uniform(seed,
 * stream, offset + i) >= p, else 0 (dst may be src: each item reads its
 * element before writing it). */
__kernel void attn_dropout(__global float *dst, __global const float *src, const uint n, const float p,
                           const float keep_scale, const ulong seed, const uint stream, const ulong offset)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float x = src[i];
    dst[i] = philox_uniform(seed, stream, offset + i) >= p ? x * keep_scale : 0.0f;
}
