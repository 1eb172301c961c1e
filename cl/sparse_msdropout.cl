/* Multi-sample dropout (Inoue 2019): K dropout samples of one activation x
 * (n elements) into y [K, n] in one pass. Sample s is exactly clnn's
 * dropout (cl/layers_dropout.cl) with stream + s: element i is kept iff
 * philox_uniform(seed, stream + s, i) >= p, and scaled by 1/(1 − p).
 * Work-item b handles the four elements of Philox block b (i = 4b .. 4b+3,
 * which share one counter), so x is read once and each (sample, block)
 * costs one Philox call instead of four; whole blocks use float4 loads and
 * stores (2x on PoCL), the last partial block a scalar loop. */
#include "philox.clh"

__kernel void msdropout_forward(__global float *y, __global const float *x, const uint n, const uint samples,
                                const float p, const float scale, const ulong seed, const uint stream)
{
    const uint b = get_global_id(0);
    if (b > (n - 1u) / 4u) return;
    const uint base = 4u * b, m = min(4u, n - base);
    if (m == 4u) { /* a whole block: vector loads and stores */
        const float4 xv = vload4(0, x + base);
        for (uint s = 0; s < samples; s++) {
            const float4 u = philox_block_uniforms(seed, stream + s, b);
            vstore4(select((float4)(0.0f), xv * scale, u >= (float4)(p)), 0, y + (size_t)s * n + base);
        }
        return;
    }
    float xv[4];
    for (uint j = 0; j < m; j++) xv[j] = x[base + j];
    for (uint s = 0; s < samples; s++) {
        const float4 u = philox_block_uniforms(seed, stream + s, b);
        for (uint j = 0; j < m; j++) y[(size_t)s * n + base + j] = philox_lane4(u, j) >= p ? xv[j] * scale : 0.0f;
    }
}

/* dx_i = Σ_s [kept in sample s]·dy[s, i]/(1 − p), summed in sample order
 * (starting from sample 0's term, so K = 1 is clnn_dropout_backward bit for bit). */
__kernel void msdropout_backward(__global float *dx, __global const float *dy, const uint n, const uint samples,
                                 const float p, const float scale, const ulong seed, const uint stream)
{
    const uint b = get_global_id(0);
    if (b > (n - 1u) / 4u) return;
    const uint base = 4u * b, m = min(4u, n - base);
    if (m == 4u) { /* a whole block: vector loads and stores */
        float4 acc4 = (float4)(0.0f);
        for (uint s = 0; s < samples; s++) {
            const float4 u = philox_block_uniforms(seed, stream + s, b);
            const float4 t = select((float4)(0.0f), vload4(0, dy + (size_t)s * n + base) * scale, u >= (float4)(p));
            acc4 = s == 0 ? t : acc4 + t;
        }
        vstore4(acc4, 0, dx + base);
        return;
    }
    float acc[4];
    for (uint s = 0; s < samples; s++) {
        const float4 u = philox_block_uniforms(seed, stream + s, b);
        for (uint j = 0; j < m; j++) {
            const float t = philox_lane4(u, j) >= p ? dy[(size_t)s * n + base + j] * scale : 0.0f;
            acc[j] = s == 0 ? t : acc[j] + t;
        }
    }
    for (uint j = 0; j < m; j++) dx[base + j] = acc[j];
}
