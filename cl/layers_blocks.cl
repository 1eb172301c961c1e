/* Small building blocks: residual add and its backward, and the strided
 * block copy behind concatenation and split along dimension 1. */

#ifndef WPT
#define WPT 1
#endif

/* y = a + b */
__kernel void residual_add(__global float *y, __global const float *a, __global const float *b, const uint n)
{
    const uint base = get_global_id(0) * WPT;
    for (uint k = 0; k < WPT; k++)
        if (base + k < n) y[base + k] = a[base + k] + b[base + k];
}

/* out (+)= dy: the gradient a residual add routes to one of its inputs. */
__kernel void residual_route(__global float *out, __global const float *dy, const uint n, const int accumulate)
{
    const uint base = get_global_id(0) * WPT;
    for (uint k = 0; k < WPT; k++)
        if (base + k < n) out[base + k] = accumulate ? out[base + k] + dy[base + k] : dy[base + k];
}

/* dst[r * dst_stride + dst_off + c] = src[r * src_stride + src_off + c] for
 * r < rows, c < cols. Concat copies each input into its column range of the
 * output (viewed as [dim 0, rest]); split copies the ranges back out. */
__kernel void copy_block(__global float *dst, __global const float *src, const uint rows, const uint cols,
                         const uint dst_stride, const uint dst_off, const uint src_stride, const uint src_off)
{
    const uint c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    dst[(size_t)r * dst_stride + dst_off + c] = src[(size_t)r * src_stride + src_off + c];
}
