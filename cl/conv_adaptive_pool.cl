/* Adaptive 2-D pooling over NCHW planes (PyTorch's AdaptiveAvgPool2d and
 * AdaptiveMaxPool2d): output (i, j) of an OH x OW grid pools the rows
 * [floor(i*H/OH), ceil((i+1)*H/OH)) and the columns likewise, windows of
 * varying size that may overlap. Compiled per mode (-DMODE, the launch's
 * variant): 0 max (indices: flat h*W + w of the first maximum within the
 * plane), 1 average. The sizes come as divisors prepared on the host
 * (index.clh; .x is the size): the window bounds divide without an integer
 * division, in 32 bits, which holds while (H + 1)(OH + 1) and
 * (W + 1)(OW + 1) stay below 2^32; larger products take 64-bit divisions
 * (-DWIDE=1, also a variant).
 * VW (tuning parameter, 1 or 8): the elements of one row a work-item
 * handles, outputs (forward) or input pixels (backward), in float8 lanes
 * with VW = 8 that share the loads of the windows they have in common:
 * each lane visits what the VW = 1 form visits, in its order, so every VW
 * gives the same bits. */
#include "index.clh"

#ifndef MODE
#define MODE 0
#endif
#ifndef WIDE
#define WIDE 0
#endif
#ifndef VW
#define VW 1
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

/* The size of window i of out over a side of in. */
static inline int adaptive_len(const uint i, const uint in, const divisor out)
{
    return adaptive_ceil(i + 1, in, out) - adaptive_floor(i, in, out);
}

#if VW == 1
/* The work-item's element (plane, a, b) of a [planes, A, B] grid (rows =
 * planes * A rows of B), one per work-item, and the ranges r[0] .. r[1] - 1
 * by r[2] .. r[3] - 1 of the [X, Y] grid it maps onto: an output's window
 * (A, B = OH, OW; X, Y = H, W), or the windows holding an input pixel (the
 * roles swapped: the same bounds solved for the window). 0 past the grid. */
static inline int adaptive_item(const uint rows, const divisor A, const divisor B, const uint X, const uint Y,
                                uint *o, uint *plane, uint *a, uint *b, int r[4])
{
    *o = get_global_id(0);
    if (*o >= rows * B.x) return 0;
    uint row;
    *b = split_by(*o, B, &row);
    *a = split_by(row, A, plane);
    r[0] = adaptive_floor(*a, X, A);
    r[1] = adaptive_ceil(*a + 1, X, A);
    r[2] = adaptive_floor(*b, Y, B);
    r[3] = adaptive_ceil(*b + 1, Y, B);
    return 1;
}

/* One output (plane, i, j) per work-item, rows = planes * OH rows of OW:
 * the window's rows, then columns, in order (max: the strict maximum, the
 * first index on ties, a NaN kept only as the first, as pool_forward). */
__kernel void adaptive_pool_forward(__global const float *x, __global float *y, __global int *indices,
                                    const uint rows, const divisor H, const divisor W, const divisor OH,
                                    const divisor OW)
{
    uint o, plane, i, j;
    int r[4];
    if (!adaptive_item(rows, OH, OW, H.x, W.x, &o, &plane, &i, &j, r)) return;
    const int h0 = r[0], h1 = r[1], w0 = r[2], w1 = r[3], iW = (int)W.x;
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
    uint o, plane, h, w;
    int r[4];
    if (!adaptive_item(rows, H, W, OH.x, OW.x, &o, &plane, &h, &w, r)) return;
    const int i0 = r[0], i1 = r[1], j0 = r[2], j1 = r[3];
    const size_t base = (size_t)plane * OH.x * OW.x;
    float sum = 0.0f;
    for (int i = i0; i < i1; i++) {
#if MODE != ADAPTIVE_MAX
        const int rows_in = adaptive_len(i, H.x, OH); /* window i's height */
#endif
        for (int j = j0; j < j1; j++) {
            const size_t k = base + (size_t)i * OW.x + j;
#if MODE == ADAPTIVE_MAX
            if (indices[k] == (int)(h * W.x + w)) sum += dy[k];
#else
            sum += dy[k] / (float)(rows_in * adaptive_len(j, W.x, OW));
#endif
        }
    }
    dx[o] = sum;
}
#else
/* ---- VW = 8: eight consecutive elements of one row per work-item */

#define ADAPTIVE_LANES ((int8)(0, 1, 2, 3, 4, 5, 6, 7))

/* div_by (index.clh) lane by lane. */
static inline uint8 div_by8(const uint8 x, const divisor dv)
{
    const uint8 t = mul_hi(x, (uint8)(dv.y));
    const uint8 q = (t + ((x - t) >> (uint8)(1))) >> (uint8)(dv.z);
    return dv.x == 1u ? x : q;
}

/* adaptive_floor and adaptive_ceil lane by lane. */
static inline int8 adaptive_floor8(const uint8 i, const uint in, const divisor out)
{
#if WIDE
    return convert_int8(convert_ulong8(i) * (ulong8)(in) / (ulong8)(out.x));
#else
    return as_int8(div_by8(i * (uint8)(in), out));
#endif
}
static inline int8 adaptive_ceil8(const uint8 i, const uint in, const divisor out)
{
#if WIDE
    return convert_int8((convert_ulong8(i) * (ulong8)(in) + (ulong8)(out.x - 1)) / (ulong8)(out.x));
#else
    return as_int8(div_by8(i * (uint8)(in) + (uint8)(out.x - 1), out));
#endif
}

/* v's first n lanes to out[0 .. n) (n <= 8). */
static inline void adaptive_store8(__global float *out, const float8 v, const uint n)
{
    if (n == 8) {
        vstore8(v, 0, out);
        return;
    }
    float t[8];
    vstore8(v, 0, t);
    for (uint l = 0; l < n; l++) out[l] = t[l];
}

/* Outputs j0 .. j0 + 7 of output row (plane, i) per work-item, rows =
 * planes * OH rows of ceil(OW / 8) items: the window rows shared, then the
 * columns of the lanes' windows together, each pixel loaded once and taken
 * by the lanes whose window holds it, so each lane sees its window in the
 * VW = 1 order. */
__kernel void adaptive_pool_forward(__global const float *x, __global float *y, __global int *indices,
                                    const uint rows, const divisor H, const divisor W, const divisor OH,
                                    const divisor OW)
{
    uint item, row, c, plane;
    if (!grid_item(rows, (OW.x + 7) / 8, &item, &row, &c)) return;
    const uint i = split_by(row, OH, &plane), j0 = c * 8, n = min(8u, OW.x - j0);
    const int h0 = adaptive_floor(i, H.x, OH), h1 = adaptive_ceil(i + 1, H.x, OH), iW = (int)W.x;
    const uint8 j = j0 + as_uint8(ADAPTIVE_LANES);
    const int8 live = ADAPTIVE_LANES < (int)n, ws = adaptive_floor8(j, W.x, OW), we = adaptive_ceil8(j + 1, W.x, OW);
    const int c0 = adaptive_floor(j0, W.x, OW), c1 = adaptive_ceil(j0 + n, W.x, OW); /* the live lanes' columns */
    __global const float *xp = x + (size_t)plane * H.x * W.x;
    float8 best = (float8)(-INFINITY), sum = (float8)(0.0f);
    int8 arg = (int8)(-1);
    for (int h = h0; h < h1; h++)
        for (int w = c0; w < c1; w++) {
            const float v = xp[h * iW + w];
            const int8 in = live & (w >= ws) & (w < we);
#if MODE == ADAPTIVE_MAX
            const int8 take = in & (isgreater((float8)(v), best) | (arg < 0));
            best = select(best, (float8)(v), take);
            arg = select(arg, (int8)(h * iW + w), take);
#else
            sum = select(sum, sum + v, in);
#endif
        }
    const size_t o = (size_t)row * OW.x + j0;
#if MODE == ADAPTIVE_MAX
    adaptive_store8(y + o, best, n);
    int t[8];
    vstore8(arg, 0, t);
    for (uint l = 0; l < n; l++) indices[o + l] = t[l];
#else
    const int hn = h1 - h0;
    adaptive_store8(y + o, sum / convert_float8(hn * (we - ws)), n);
#endif
}

/* Input pixels w0 .. w0 + 7 of image row (plane, h) per work-item, rows =
 * planes * H rows of ceil(W / 8) items: the windows holding any of them in
 * (i, j) order, each gradient loaded once and added to the lanes its window
 * holds (max: the lane its index names), so each lane sums what the VW = 1
 * form sums, in its order. */
__kernel void adaptive_pool_backward(__global const float *dy, __global const int *indices, __global float *dx,
                                     const uint rows, const divisor H, const divisor W, const divisor OH,
                                     const divisor OW)
{
    uint item, row, c, plane;
    if (!grid_item(rows, (W.x + 7) / 8, &item, &row, &c)) return;
    const uint h = split_by(row, H, &plane), w0 = c * 8, n = min(8u, W.x - w0);
    const int i0 = adaptive_floor(h, OH.x, H), i1 = adaptive_ceil(h + 1, OH.x, H);
    const int j0 = adaptive_floor(w0, OW.x, W), j1 = adaptive_ceil(w0 + n, OW.x, W); /* any lane's windows */
    const int8 col = (int)w0 + ADAPTIVE_LANES;
    const size_t base = (size_t)plane * OH.x * OW.x;
    float8 sum = (float8)(0.0f);
    for (int i = i0; i < i1; i++) {
#if MODE != ADAPTIVE_MAX
        const int rows_in = adaptive_len(i, H.x, OH); /* window i's height */
#endif
        for (int j = j0; j < j1; j++) {
            const size_t k = base + (size_t)i * OW.x + j;
            const int ws = adaptive_floor(j, W.x, OW), we = adaptive_ceil(j + 1, W.x, OW);
            const int8 in = (col >= ws) & (col < we);
#if MODE == ADAPTIVE_MAX
            sum = select(sum, sum + dy[k], in & (indices[k] == (int)(h * W.x) + col));
#else
            sum = select(sum, sum + dy[k] / (float)(rows_in * (we - ws)), in);
#endif
        }
    }
    adaptive_store8(dx + (size_t)row * W.x + w0, sum, n);
}
#endif
