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
