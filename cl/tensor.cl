/* Basic tensor kernels: fill, copy, scale, axpy. One work-item per element;
 * n need not be a multiple of the local size (every kernel guards the tail). */

__kernel void fill_f32(__global float *x, const uint n, const float value)
{
    const uint i = get_global_id(0);
    if (i < n) x[i] = value;
}

__kernel void fill_i32(__global int *x, const uint n, const int value)
{
    const uint i = get_global_id(0);
    if (i < n) x[i] = value;
}

/* Copies 32-bit words, so it serves fp32 and int32 alike. */
__kernel void copy_u32(__global uint *dst, __global const uint *src, const uint n)
{
    const uint i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}

__kernel void scale_f32(__global float *x, const uint n, const float alpha)
{
    const uint i = get_global_id(0);
    if (i < n) x[i] *= alpha;
}

__kernel void axpy_f32(__global float *y, __global const float *x, const uint n, const float alpha)
{
    const uint i = get_global_id(0);
    if (i < n) y[i] += alpha * x[i];
}

#include "philox.clh"

/* x[i] = lo + (hi - lo) * u_i with u_i word i of stream (seed, stream).
 * Work-item b writes the four elements of Philox block b (launch: (n + 3) / 4). */
__kernel void random_uniform_f32(__global float *x, const uint n, const ulong seed, const uint stream,
                                 const float lo, const float hi)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 v = lo + (hi - lo) * philox_block_uniforms(seed, stream, b);
    if (m == 4u) vstore4(v, 0, x + base);
    else
        for (uint j = 0; j < m; j++) x[base + j] = philox_lane4(v, j);
}

/* x[i] = mean + stddev * z_i, z_i by Box-Muller on words 2i and 2i+1
 * (philox_block_normals); work-item b writes elements 4b .. 4b+3. */
__kernel void random_normal_f32(__global float *x, const uint n, const ulong seed, const uint stream,
                                const float mean, const float stddev)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 v = mean + stddev * philox_block_normals(seed, stream, b);
    if (m == 4u) vstore4(v, 0, x + base);
    else
        for (uint j = 0; j < m; j++) x[base + j] = philox_lane4(v, j);
}
