/* Adaptive 2-D pooling over NCHW planes (PyTorch's AdaptiveAvgPool2d and
 * AdaptiveMaxPool2d): output (i, j) of an OH x OW grid pools the rows
 * [floor(i*H/OH), ceil((i+1)*H/OH)) and the columns likewise, windows of
 * varying size that may overlap. Compiled per mode (-DMODE, the launch's
 * variant): 0 max (indices: flat h*W + w of the first maximum within the
 * plane), 1 average. The sizes come as divisors prepared on the host
 * (index.clh; .x is the size): the window bounds divide without an integer
 * division, in 32 bits, which holds while (H + 1)(OH + 1) and
 * (W + 1)(OW + 1) stay below 2^32; larger products take 64-bit divisions
 * (-DWIDE=1, also a variant). */
#include "index.clh"

#ifndef MODE
#define MODE 0
#endif
#ifndef WIDE
#define WIDE 0
#endif

#define ADAPTIVE_MAX 0

/* floor(i * in / out.x) and ceil(i * in / out.x). */
static inline int adaptive_floor(const uint i, const uint in, const divisor out)
{
#if WIDE
    return (int)(((ulong)i * in) / out.x);
#else
    return (int)div_by(i * in, out);
#endif
}
static inline int adaptive_ceil(const uint i, const uint in, const divisor out)
{
#if WIDE
    return (int)(((ulong)i * in + out.x - 1) / out.x);
#else
    return (int)div_by(i * in + out.x - 1, out);
#endif
}

/* One output (plane, i, j) per work-item, rows = planes * OH rows of OW:
 * the window's rows, then columns, in order (max: the strict maximum, the
 * first index on ties, a NaN kept only as the first, as pool_forward). */
__kernel void adaptive_pool_forward(__global const float *x, __global float *y, __global int *indices,
                                    const uint rows, const divisor H, const divisor W, const divisor OH,
                                    const divisor OW)
{
    const uint o = get_global_id(0);
    if (o >= rows * OW.x) return;
    uint row, plane;
    const uint j = split_by(o, OW, &row), i = split_by(row, OH, &plane);
    const int h0 = adaptive_floor(i, H.x, OH), h1 = adaptive_ceil(i + 1, H.x, OH);
    const int w0 = adaptive_floor(j, W.x, OW), w1 = adaptive_ceil(j + 1, W.x, OW);
    const int iW = (int)W.x;
    __global const float *xp = x + (size_t)plane * H.x * W.x;
    float best = -INFINITY, sum = 0.0f;
    int arg = -1;
    for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) {
            const float v = xp[h * iW + w];
#if MODE == ADAPTIVE_MAX
            if (v > best || arg < 0) {
                best = v;
                arg = h * iW + w;
            }
#else
            sum += v;
#endif
        }
#if MODE == ADAPTIVE_MAX
    y[o] = best;
    indices[o] = arg;
#else
    y[o] = sum / (float)((h1 - h0) * (w1 - w0));
#endif
}

/* One input pixel (plane, h, w) per work-item, rows = planes * H rows of W:
 * gathers, in (i, j) order, the gradient of every window that holds it
 * (max: the windows whose index is this pixel). The windows holding row h
 * are i in [floor(h*OH/H), ceil((h+1)*OH/H)) (start(i) <= h < end(i)
 * solved for i), the columns likewise. No atomics: one owner per pixel, a
 * fixed order. */
__kernel void adaptive_pool_backward(__global const float *dy, __global const int *indices, __global float *dx,
                                     const uint rows, const divisor H, const divisor W, const divisor OH,
                                     const divisor OW)
{
    const uint o = get_global_id(0);
    if (o >= rows * W.x) return;
    uint row, plane;
    const uint w = split_by(o, W, &row), h = split_by(row, H, &plane);
    const int i0 = adaptive_floor(h, OH.x, H), i1 = adaptive_ceil(h + 1, OH.x, H);
    const int j0 = adaptive_floor(w, OW.x, W), j1 = adaptive_ceil(w + 1, OW.x, W);
    const size_t base = (size_t)plane * OH.x * OW.x;
    float sum = 0.0f;
    for (int i = i0; i < i1; i++) {
#if MODE != ADAPTIVE_MAX
        const int rows_in = adaptive_ceil(i + 1, H.x, OH) - adaptive_floor(i, H.x, OH); /* window i's height */
#endif
        for (int j = j0; j < j1; j++) {
            const size_t k = base + (size_t)i * OW.x + j;
#if MODE == ADAPTIVE_MAX
            if (indices[k] == (int)(h * W.x + w)) sum += dy[k];
#else
            sum += dy[k] / (float)(rows_in * (adaptive_ceil(j + 1, W.x, OW) - adaptive_floor(j, W.x, OW)));
#endif
        }
    }
    dx[o] = sum;
}
