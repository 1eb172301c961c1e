/* Row kernels of scaled dot-product attention; the GEMMs run in CLBlast.
 * Scores/probabilities are [rows = batch*heads*Sq, Sk] row-major; query i of
 * a row is row % Sq. The causal mask keeps keys j <= i (top-left aligned, as
 * PyTorch's is_causal), so every row keeps at least key 0. One work-group per row. */
#include "reduce.clh"

/* p = softmax_j(scale * s_j) over the unmasked keys, 0 for masked keys; in place. */
__kernel void attn_softmax_forward(__global float *p, const uint rows, const uint Sq, const uint Sk, const float scale,
                                   const int causal)
{
    __local float lanes[RED_LANES];
    const uint row = get_group_id(0);
    /* the launch has exactly `rows` work-groups: no early return before the barriers */
    __global float *pr = p + (size_t)row * Sk;
    const uint n = causal ? min(row % Sq + 1, Sk) : Sk;
    RED_FOR_LANES(lane)
    {
        float m = -INFINITY;
        RED_FOR_LANE_ELEMENTS(j, lane, n) m = fmax(m, scale * pr[j]);
        lanes[lane] = m;
    }
    const float mx = red_tree_max(lanes); /* subtracting the maximum keeps exp() <= 1 */
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(j, lane, n) s += exp(scale * pr[j] - mx);
        lanes[lane] = s;
    }
    const float inv = 1.0f / red_tree_sum(lanes);
    for (uint j = get_local_id(0); j < Sk; j += get_local_size(0))
        pr[j] = j < n ? exp(scale * pr[j] - mx) * inv : 0.0f;
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
    for (uint j = get_local_id(0); j < Sk; j += get_local_size(0)) dr[j] = scale * pr[j] * (dr[j] - dot);
}
