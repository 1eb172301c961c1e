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

/* x[i] = lo + (hi - lo) * u_i with u_i word i of stream (seed, stream). */
__kernel void random_uniform_f32(__global float *x, const uint n, const ulong seed, const uint stream,
                                 const float lo, const float hi)
{
    const uint i = get_global_id(0);
    if (i < n) x[i] = lo + (hi - lo) * philox_uniform(seed, stream, i);
}

/* Box-Muller on words 2i and 2i+1: x[i] = mean + stddev * sqrt(-2 ln u1) cos(2 pi u2),
 * with u1 in (0, 1] so the logarithm is finite. */
__kernel void random_normal_f32(__global float *x, const uint n, const ulong seed, const uint stream,
                                const float mean, const float stddev)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float u1 = 1.0f - philox_uniform(seed, stream, 2ul * i);
    const float u2 = philox_uniform(seed, stream, 2ul * i + 1);
    x[i] = mean + stddev * sqrt(-2.0f * log(u1)) * cos(6.283185307179586f * u2);
}
