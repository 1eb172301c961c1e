/* Generic deterministic group sum: out[g] = scale * sum of the count elements
 * of group g (addressing in reduce.clh), or out[g] += that with accumulate. Serves the conv2d bias gradient
 * (channels over N, H, W) and global average pooling (planes over H, W).
 * One work-group per group. */
#include "reduce.clh"

__kernel void group_sum(__global const float *in, __global float *out, const uint groups, const uint count,
                        const uint group_stride, const uint inner, const uint outer_stride, const float scale,
                        const int accumulate)
{
    __local float lanes[RED_LANES];
    const uint g = get_group_id(0);
    /* the launch has exactly `groups` work-groups: no early return before the barriers */
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, count) s += in[red_addr(g, i, group_stride, inner, outer_stride)];
        lanes[lane] = s;
    }
    const float total = red_tree_sum(lanes);
    if (get_local_id(0) == 0) out[g] = accumulate ? out[g] + scale * total : scale * total;
}
