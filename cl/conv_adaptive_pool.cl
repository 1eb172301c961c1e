/* Adaptive 2-D pooling over NCHW planes (PyTorch's AdaptiveAvgPool2d and
 * AdaptiveMaxPool2d): output (i, j) of an OH x OW grid pools the rows
 * [floor(i*H/OH), ceil((i+1)*H/OH)) and the columns likewise, windows of
 * varying size that may overlap. Compiled per mode (-DMODE, the launch's
 * variant): 0 max (indices: flat h*W + w of the first maximum within the
 * plane), 1 average. Window bounds in 64-bit products: i*H reaches 2^32
 * for sides near 65536. */
#include "index.clh"

#ifndef MODE
#define MODE 0
#endif

#define ADAPTIVE_MAX 0

/* floor(i * in / out) and ceil(i * in / out). */
static inline int adaptive_floor(const uint i, const uint in, const uint out)
{
    return (int)(((ulong)i * in) / out);
}
static inline int adaptive_ceil(const uint i, const uint in, const uint out)
{
    return (int)(((ulong)i * in + out - 1) / out);
}

/* One output (plane, i, j) per work-item over rows = planes * OH rows of OW:
 * the window's rows, then columns, in order (max: the strict maximum, the
 * first index on ties, a NaN kept only as the first, as pool_forward). */
__kernel void adaptive_pool_forward(__global const float *x, __global float *y, __global int *indices,
                                    const uint rows, const uint H, const uint W, const uint OH, const uint OW)
{
    uint o, row, j, plane;
    if (!grid_item(rows, OW, &o, &row, &j)) return;
    const uint i = split_index(row, OH, &plane);
    const int h0 = adaptive_floor(i, H, OH), h1 = adaptive_ceil(i + 1, H, OH);
    const int w0 = adaptive_floor(j, W, OW), w1 = adaptive_ceil(j + 1, W, OW);
    __global const float *xp = x + (size_t)plane * H * W;
    float best = -INFINITY, sum = 0.0f;
    int arg = -1;
    for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) {
            const float v = xp[h * (int)W + w];
#if MODE == ADAPTIVE_MAX
            if (v > best || arg < 0) {
                best = v;
                arg = h * (int)W + w;
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

/* One input pixel (plane, h, w) per work-item over rows = planes * H rows of
 * W: gathers, in (i, j) order, the gradient of every window that holds it
 * (max: the windows whose index is this pixel). The windows holding row h
 * are i in [floor(h*OH/H), ceil((h+1)*OH/H)) (start(i) <= h < end(i)
 * solved for i), the columns likewise. No atomics: one owner per pixel, a
 * fixed order. */
__kernel void adaptive_pool_backward(__global const float *dy, __global const int *indices, __global float *dx,
                                     const uint rows, const uint H, const uint W, const uint OH, const uint OW)
{
    uint o, row, w, plane;
    if (!grid_item(rows, W, &o, &row, &w)) return;
    const uint h = split_index(row, H, &plane);
    const int i0 = adaptive_floor(h, OH, H), i1 = adaptive_ceil(h + 1, OH, H);
    const int j0 = adaptive_floor(w, OW, W), j1 = adaptive_ceil(w + 1, OW, W);
    const size_t base = (size_t)plane * OH * OW;
    float sum = 0.0f;
    for (int i = i0; i < i1; i++) {
        const int rows_in = adaptive_ceil(i + 1, H, OH) - adaptive_floor(i, H, OH); /* window i's height */
        for (int j = j0; j < j1; j++) {
            const size_t k = base + (size_t)i * OW + j;
#if MODE == ADAPTIVE_MAX
            if (indices[k] == (int)(h * W + w)) sum += dy[k];
#else
            sum += dy[k] / (float)(rows_in * (adaptive_ceil(j + 1, W, OW) - adaptive_floor(j, W, OW)));
#endif
        }
    }
    dx[o] = sum;
}
