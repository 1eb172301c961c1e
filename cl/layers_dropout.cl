/* Inverted dropout (Srivastava et al., JMLR 2014). Element i is kept iff
 * philox_uniform(seed, stream, i) >= p; kept elements are scaled by
 * 1 / (1 - p). The mask is a pure function of (seed, stream, i), so the
 * backward pass regenerates it and every device and local size agree. */
#include "philox.clh"

/* Work-item b handles the four elements of Philox block b (i = 4b .. 4b+3):
 * one Philox call per four elements, float4 loads and stores for whole
 * blocks, a scalar loop for the last partial one (launch: (n + 3) / 4). */

/* y = keep ? x * scale : 0; mask[i] = keep (1 or 0) when want_mask. */
__kernel void dropout_forward(__global float *y, __global float *mask, __global const float *x, const uint n,
                              const float p, const float scale, const ulong seed, const uint stream,
                              const int want_mask)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 u = philox_block_uniforms(seed, stream, b);
    if (m == 4u) {
        const int4 keep = u >= (float4)(p);
        vstore4(select((float4)(0.0f), vload4(0, x + base) * scale, keep), 0, y + base);
        if (want_mask) vstore4(select((float4)(0.0f), (float4)(1.0f), keep), 0, mask + base);
        return;
    }
    for (uint j = 0; j < m; j++) {
        const int keep = philox_lane4(u, j) >= p;
        y[base + j] = keep ? x[base + j] * scale : 0.0f;
        if (want_mask) mask[base + j] = keep ? 1.0f : 0.0f;
    }
}

/* dx = keep ? dy * scale : 0, with the forward's mask regenerated. */
__kernel void dropout_backward(__global float *dx, __global const float *dy, const uint n, const float p,
                               const float scale, const ulong seed, const uint stream)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 u = philox_block_uniforms(seed, stream, b);
    if (m == 4u) {
        vstore4(select((float4)(0.0f), vload4(0, dy + base) * scale, u >= (float4)(p)), 0, dx + base);
        return;
    }
    for (uint j = 0; j < m; j++) dx[base + j] = philox_lane4(u, j) >= p ? dy[base + j] * scale : 0.0f;
}
