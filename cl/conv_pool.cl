/* 2-D pooling over NCHW planes (padding <= half the window; the host sizes
 * the output, floor or ceil mode). Compiled per mode (-DMODE, the launch's
 * variant; PoCL vectorizes a compile-time mode, not a run-time branch):
 *   MODE 0: max (indices: flat h*W + w within the plane, for backward), the
 *           window's taps dh rows and dw columns apart (dilation);
 *   MODE 1: average dividing by the window clipped to the padded input
 *           (count_include_pad; ATen's pool_size: a ceil-mode window's part
 *           past the right padding is not counted);
 *   MODE 2: average dividing by the number of in-bounds elements;
 *   MODE 3: average dividing by div (divisor_override).
 * Averages take dh = dw = 1. A window's extent is (k - 1) * d + 1.
 * Global average pooling's backward is MODE 1 with the window = the plane.
 * VW (tuning parameter, 1 or 8): the outputs q0 .. q0 + VW - 1 of one output
 * row a work-item of pool_forward and pool_backward_scatter handles, in float8
 * with VW = 8. Every form visits a window in the same order (rows, then
 * columns, in-image elements only), so every VW gives the same bits. */
#include "index.clh"

#ifndef MODE
#define MODE 0
#endif
#ifndef VW
#define VW 1
#endif

#define POOL_MAX 0
#define POOL_AVG_INCLUDE_PAD 1
#define POOL_AVG_EXCLUDE_PAD 2
#define POOL_AVG_DIVISOR 3

/* The divisor of the average window at (h0, w0); pH = H + ph, pW = W + pw
 * (the padded input's bottom and right edges). */
static inline float pool_divisor(int h0, int w0, uint kh, uint kw, uint H, uint W, uint pH, uint pW, int div)
{
    if (MODE == POOL_AVG_DIVISOR) return (float)div;
    if (MODE == POOL_AVG_INCLUDE_PAD)
        return (float)((min(h0 + (int)kh, (int)pH) - h0) * (min(w0 + (int)kw, (int)pW) - w0));
    const int h1 = min(h0 + (int)kh, (int)H), w1 = min(w0 + (int)kw, (int)W);
    return (float)((h1 - max(h0, 0)) * (w1 - max(w0, 0)));
}

/* The first tap s + i*d (i >= 0) of a window starting at s that is >= 0. */
static inline int pool_first(const int s, const uint d)
{
    return s >= 0 ? s : s + (-s + (int)d - 1) / (int)d * (int)d;
}

/* The work-item's output row (plane, p) and its first output q0 (a multiple
 * of VW); 0 past the grid of rows x ceil(Q / VW) items. */
static inline int pool_item(const uint rows, const uint P, const uint Q, uint *row, uint *plane, uint *p, uint *q0)
{
    uint item, c;
    if (!grid_item(rows, (Q + VW - 1) / VW, &item, row, &c)) return 0;
    *p = split_index(*row, P, plane);
    *q0 = c * VW;
    return 1;
}

#if VW == 1
/* One output (plane, p, q) per work-item: first in-bounds element, then the
 * strict maximum (the first index wins ties; a NaN is kept only as the first). */
__kernel void pool_forward(__global const float *x, __global float *y, __global int *indices, const uint rows,
                           const uint H, const uint W, const uint P, const uint Q, const uint kh, const uint kw,
                           const uint sh, const uint sw, const uint ph, const uint pw, const uint dh, const uint dw,
                           const int div)
{
    uint row, plane, p, q;
    if (!pool_item(rows, P, Q, &row, &plane, &p, &q)) return;
    const size_t o = (size_t)row * Q + q;
    const int h0 = (int)(p * sh) - (int)ph, w0 = (int)(q * sw) - (int)pw;
    __global const float *xp = x + (size_t)plane * H * W;
    float best = -INFINITY, sum = 0.0f;
    int arg = -1;
    const int h_end = min(h0 + (int)((kh - 1) * dh + 1), (int)H), w_end = min(w0 + (int)((kw - 1) * dw + 1), (int)W);
    for (int h = pool_first(h0, dh); h < h_end; h += (int)dh)
        for (int w = pool_first(w0, dw); w < w_end; w += (int)dw) {
            const float v = xp[h * (int)W + w];
#if MODE == POOL_MAX
            if (v > best || arg < 0) {
                best = v;
                arg = h * (int)W + w;
            }
#else
            sum += v;
#endif
        }
#if MODE == POOL_MAX
    y[o] = best;
    indices[o] = arg;
#else
    y[o] = sum / pool_divisor(h0, w0, kh, kw, H, W, H + ph, W + pw, div);
#endif
}
#else
/* The elements at columns w of image row xr where valid (lanes of one
 * window column of eight outputs), 0 elsewhere: one vload8 at stride 1, two
 * at stride 2, else element by element. */
static inline float8 pool_load8(__global const float *xr, const int8 w, const int8 valid, const uint sw)
{
    if (all(valid)) {
        if (sw == 1) return vload8(0, xr + w.s0);
        if (sw == 2) { /* columns w0 .. w0 + 14, the even ones (from two halves: Oclgrind 21.10 reports
                        * a vector literal of single components as uninitialized) */
            const float8 a = vload8(0, xr + w.s0), b = vload8(0, xr + w.s0 + 7);
            return (float8)(a.even, b.odd);
        }
    }
    int wi[8], vi[8];
    float t[8];
    vstore8(w, 0, wi);
    vstore8(valid, 0, vi);
    for (uint i = 0; i < 8; i++) t[i] = vi[i] ? xr[wi[i]] : 0.0f;
    return vload8(0, t);
}

/* One window element of eight outputs: v at flat in-plane indices at, in the
 * lanes where valid (as the VW = 1 form's loop body). */
static inline void pool_take(float8 *best, int8 *arg, float8 *sum, const float8 v, const int8 at, const int8 valid)
{
#if MODE == POOL_MAX
    const int8 take = valid & (isgreater(v, *best) | (*arg < 0));
    *best = select(*best, v, take);
    *arg = select(*arg, at, take);
#else
    *sum = select(*sum, *sum + v, valid);
#endif
}

/* Eight outputs q0 .. q0 + 7 of one output row per work-item, each lane as
 * the VW = 1 form. Windows two columns wide at stride 2 inside the image
 * (2x2/2 away from the padding and the row's last outputs) read each row of
 * the eight windows in one vload16. */
__kernel void pool_forward(__global const float *x, __global float *y, __global int *indices, const uint rows,
                           const uint H, const uint W, const uint P, const uint Q, const uint kh, const uint kw,
                           const uint sh, const uint sw, const uint ph, const uint pw, const uint dh, const uint dw,
                           const int div)
{
    uint row, plane, p, q0;
    if (!pool_item(rows, P, Q, &row, &plane, &p, &q0)) return;
    const int8 q = (int)q0 + (int8)(0, 1, 2, 3, 4, 5, 6, 7), w0 = q * (int)sw - (int)pw, live = q < (int)Q;
    const int h0 = (int)(p * sh) - (int)ph;
    __global const float *xp = x + (size_t)plane * H * W;
    float8 best = (float8)(-INFINITY), sum = (float8)(0.0f);
    int8 arg = (int8)(-1);
    const int pairs = sw == 2 && kw == 2 && dw == 1 && q0 + 8 <= Q && w0.s0 >= 0 && w0.s7 + 1 < (int)W;
    const int h_end = min(h0 + (int)((kh - 1) * dh + 1), (int)H);
    for (int h = pool_first(h0, dh); h < h_end; h += (int)dh) {
        if (pairs) {
            const float16 v = vload16(0, xp + h * (int)W + w0.s0);
            pool_take(&best, &arg, &sum, v.even, h * (int)W + w0, (int8)(-1));
            /* shuffle, not .odd: Oclgrind 21.10 reports .odd of a float16 as uninitialized */
            pool_take(&best, &arg, &sum, shuffle(v, (uint8)(1, 3, 5, 7, 9, 11, 13, 15)), h * (int)W + w0 + 1,
                      (int8)(-1));
            continue;
        }
        for (int s = 0; s < (int)kw; s++) {
            const int8 w = w0 + s * (int)dw, valid = live & (w >= 0) & (w < (int)W);
            pool_take(&best, &arg, &sum, pool_load8(xp + h * (int)W, w, valid, sw), h * (int)W + w, valid);
        }
    }
#if MODE == POOL_MAX
    const float8 out = best;
#elif MODE == POOL_AVG_DIVISOR
    const float8 out = sum / (float)div;
#elif MODE == POOL_AVG_INCLUDE_PAD /* pool_divisor per lane */
    const int hp = min(h0 + (int)kh, (int)(H + ph)) - h0;
    const float8 out = sum / convert_float8(hp * (min(w0 + (int)kw, (int8)((int)(W + pw))) - w0));
#else
    const int hn = min(h0 + (int)kh, (int)H) - max(h0, 0);
    const float8 out = sum / convert_float8(hn * (min(w0 + (int)kw, (int8)((int)W)) - max(w0, (int8)(0))));
#endif
    const size_t o = (size_t)row * Q + q0;
    if (q0 + 8 <= Q) {
        vstore8(out, 0, y + o);
        if (MODE == POOL_MAX) vstore8(arg, 0, indices + o);
        return;
    }
    float t[8];
    int a[8];
    vstore8(out, 0, t);
    vstore8(arg, 0, a);
    for (uint i = 0; q0 + i < Q; i++) {
        y[o + i] = t[i];
        if (MODE == POOL_MAX) indices[o + i] = a[i];
    }
}
#endif

#if VW == 1
/* One work-item per input element: gathers, in a fixed (p, q) order, the
 * gradient of every window that contains it. No atomics. For overlapping
 * windows (pool_backward_scatter takes the others); rows = planes * H. */
__kernel void pool_backward(__global const float *dy, __global const int *indices, __global float *dx,
                            const uint rows, const uint H, const uint W, const uint P, const uint Q, const uint kh,
                            const uint kw, const uint sh, const uint sw, const uint ph, const uint pw, const uint dh,
                            const uint dw, const int div)
{
    uint row, plane, h, w;
    if (!pool_item(rows, H, W, &row, &plane, &h, &w)) return;
    /* windows p with p*sh - ph <= h < p*sh - ph + eh */
    const int hh = (int)(h + ph), ww = (int)(w + pw);
    const int eh = (int)((kh - 1) * dh + 1), ew = (int)((kw - 1) * dw + 1); /* the windows' extents */
    const int p_lo = hh - eh + 1 > 0 ? (hh - eh + (int)sh) / (int)sh : 0;
    const int p_hi = min(hh / (int)sh, (int)P - 1);
    const int q_lo = ww - ew + 1 > 0 ? (ww - ew + (int)sw) / (int)sw : 0;
    const int q_hi = min(ww / (int)sw, (int)Q - 1);
    const size_t base = (size_t)plane * P * Q;
    float sum = 0.0f;
    for (int p = p_lo; p <= p_hi; p++)
        for (int q = q_lo; q <= q_hi; q++) {
            const size_t o = base + (size_t)p * Q + q;
#if MODE == POOL_MAX
            if (indices[o] == (int)(h * W + w)) sum += dy[o];
#else
            sum += dy[o] /
                   pool_divisor(p * (int)sh - (int)ph, q * (int)sw - (int)pw, kh, kw, H, W, H + ph, W + pw, div);
#endif
        }
    dx[(size_t)row * W + w] = sum;
}
#else
/* The gather for eight input elements w0 .. w0 + 7 of one image row: the
 * windows that contain any of them, in (p, q) order, each added to the
 * lanes it contains (max: the lane its index names), so every lane sums
 * what the VW = 1 form sums, in its order. */
__kernel void pool_backward(__global const float *dy, __global const int *indices, __global float *dx,
                            const uint rows, const uint H, const uint W, const uint P, const uint Q, const uint kh,
                            const uint kw, const uint sh, const uint sw, const uint ph, const uint pw, const uint dh,
                            const uint dw, const int div)
{
    uint row, plane, h, w0;
    if (!pool_item(rows, H, W, &row, &plane, &h, &w0)) return;
    const uint n = min(8u, W - w0);
    const int hh = (int)(h + ph), wa = (int)(w0 + pw), wb = (int)(w0 + n - 1 + pw);
    const int eh = (int)((kh - 1) * dh + 1), ew = (int)((kw - 1) * dw + 1); /* the windows' extents */
    const int p_lo = hh - eh + 1 > 0 ? (hh - eh + (int)sh) / (int)sh : 0;
    const int p_hi = min(hh / (int)sh, (int)P - 1);
    const int q_lo = wa - ew + 1 > 0 ? (wa - ew + (int)sw) / (int)sw : 0; /* windows of column w0 on */
    const int q_hi = min(wb / (int)sw, (int)Q - 1);                         /* up to the last column's */
    const int8 col = (int)w0 + (int8)(0, 1, 2, 3, 4, 5, 6, 7);
    const size_t base = (size_t)plane * P * Q;
    float8 sum = (float8)(0.0f);
    for (int p = p_lo; p <= p_hi; p++)
        for (int q = q_lo; q <= q_hi; q++) {
            const size_t o = base + (size_t)p * Q + q;
            const int qs = q * (int)sw - (int)pw;
            const int8 in = (col >= qs) & (col < qs + ew);
#if MODE == POOL_MAX
            sum = select(sum, sum + dy[o], in & (indices[o] == (int)(h * W) + col));
#else
            sum = select(sum, sum + dy[o] / pool_divisor(p * (int)sh - (int)ph, qs, kh, kw, H, W, H + ph, W + pw, div),
                         in);
#endif
        }
    const size_t i = (size_t)row * W + w0;
    if (n == 8) {
        vstore8(sum, 0, dx + i);
        return;
    }
    float t[8];
    vstore8(sum, 0, t);
    for (uint j = 0; j < n; j++) dx[i + j] = t[j];
}
#endif

/* dx[at .. at + n) = +0. */
static inline void pool_zero(__global float *dx, const int at, const int n)
{
    int j = 0;
#if VW == 8
    for (; j + 8 <= n; j += 8) vstore8((float8)(0.0f), 0, dx + at + j);
#endif
    for (; j < n; j++) dx[at + j] = 0.0f;
}

/* The VW lanes of the scatter: one value per output q0 + j. */
#if VW == 8
typedef int8 pool_int;
typedef float8 pool_float;
#define POOL_LANES ((int8)(0, 1, 2, 3, 4, 5, 6, 7))
/* p[0 .. n) (n <= 8), the lanes past n 0 */
static inline int8 pool_ints(__global const int *p, const uint n)
{
    if (n == 8) return vload8(0, p);
    int t[8];
    for (uint i = 0; i < 8; i++) t[i] = i < n ? p[i] : 0;
    return vload8(0, t);
}
static inline float8 pool_floats(__global const float *p, const uint n)
{
    if (n == 8) return vload8(0, p);
    float t[8];
    for (uint i = 0; i < 8; i++) t[i] = i < n ? p[i] : 0.0f;
    return vload8(0, t);
}
/* dx[at[j]] = v[j] for the lanes j < n, in lane order */
static inline void pool_put(__global float *dx, const int8 at, const float8 v, const uint n)
{
    int a[8];
    float t[8];
    vstore8(at, 0, a);
    vstore8(v, 0, t);
    for (uint j = 0; j < n; j++) dx[a[j]] = t[j];
}
#else
typedef int pool_int;
typedef float pool_float;
#define POOL_LANES 0
static inline int pool_ints(__global const int *p, const uint n) { return p[0]; }
static inline float pool_floats(__global const float *p, const uint n) { return p[0]; }
static inline void pool_put(__global float *dx, const int at, const float v, const uint n) { dx[at] = v; }
#endif

#if VW == 8
/* The scatter's rows of tiles of eight windows at column stride 2 that fill
 * exactly 16 in-image columns from w (no remainder, no padding column):
 * each tile row in one vstore16, no zeroing first. g: the lanes' gradients
 * (0 + dy, or 0 + dy / divisor), written where a cell is the index (max) or
 * in the window (average), +0 elsewhere. */
static inline void pool_scatter_stride2(__global float *dxp, const int8 at, const float8 g, const int w, const int hs,
                                       const int he, const int h1, const int iW, const uint kw)
{
    const int8 col = w + 2 * (int8)(0, 1, 2, 3, 4, 5, 6, 7);
    for (int h = hs; h < he; h++) {
        const int8 cell = h * iW + col, in_row = (int8)(h < h1 ? -1 : 0), two = (int8)(kw > 1 ? -1 : 0);
#if MODE == POOL_MAX
        const int8 even = in_row & (at == cell), odd = in_row & two & (at == cell + 1);
#else
        const int8 even = in_row, odd = in_row & two;
#endif
        const float8 e = select((float8)(0.0f), g, even), d = select((float8)(0.0f), g, odd);
        /* interleaved by shuffle2 (a vector literal of single components: see pool_load8) */
        vstore16(shuffle2(e, d, (uint16)(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15)), 0, dxp + h * iW + w);
    }
}
#endif

/* Windows that do not overlap (stride >= window on both axes): the work-item
 * of outputs q0 .. q0 + VW - 1 of row (plane, p) owns their stride tiles,
 * rows [p*sh - ph, +sh) and columns [q*sw - pw, +sw) clipped to the image,
 * the last row and column of tiles reaching to the image's end (the floor
 * size's remainder; the first tiles start at 0). It zeroes them, then writes
 * each window's gradient: max, 0 + dy at the index when it lies in the
 * window (else +0 at the window's first cell: no branch per output); average,
 * 0 + dy / divisor over the in-image window. Every cell has one owner and
 * gets what pool_backward would sum for it (one window at most), bit for
 * bit. No atomics. */
__kernel void pool_backward_scatter(__global const float *dy, __global const int *indices, __global float *dx,
                                    const uint rows, const uint H, const uint W, const uint P, const uint Q,
                                    const uint kh, const uint kw, const uint sh, const uint sw, const uint ph,
                                    const uint pw, const uint dh, const uint dw, const int div)
{
    uint row, plane, p, q0;
    if (!pool_item(rows, P, Q, &row, &plane, &p, &q0)) return;
    const uint qn = min((uint)VW, Q - q0);
    const int h0 = (int)(p * sh) - (int)ph, iH = (int)H, iW = (int)W;
    const int eh = (int)((kh - 1) * dh + 1), ew = (int)((kw - 1) * dw + 1); /* the windows' extents */
    const int hs = max(h0, 0), he = p + 1 == P ? iH : min(h0 + (int)sh, iH), h1 = min(h0 + eh, iH);
    const int ws = max((int)(q0 * sw) - (int)pw, 0),
              we = q0 + qn == Q ? iW : min((int)((q0 + qn) * sw) - (int)pw, iW);
    __global float *dxp = dx + (size_t)plane * H * W;
    const size_t o = (size_t)row * Q + q0;
#if MODE == POOL_MAX
    const pool_int at = pool_ints(indices + o, qn);
    const pool_float g = 0.0f + pool_floats(dy + o, qn);
#endif
#if VW == 8
    if (sw == 2 && qn == 8 && ws == (int)(q0 * sw) - (int)pw && we - ws == 16) {
#if MODE == POOL_MAX
        pool_scatter_stride2(dxp, at, g, ws, hs, he, h1, iW, (uint)ew);
#else /* every window of the row of tiles is in the image: one divisor */
        const float8 g = 0.0f + vload8(0, dy + o) / pool_divisor(h0, ws, kh, kw, H, W, H + ph, W + pw, div);
        pool_scatter_stride2(dxp, (int8)(0), g, ws, hs, he, h1, iW, (uint)ew);
#endif
        return;
    }
#endif
#if MODE == POOL_MAX
    for (int h = hs; h < he; h++) pool_zero(dxp, h * iW + ws, we - ws);
    /* max and min of vector and vector: Oclgrind 21.10 misreads the (vector, scalar) forms */
    const pool_int w0 = ((int)q0 + POOL_LANES) * (int)sw - (int)pw, wlo = max(w0, (pool_int)(0)),
                   whi = min(w0 + ew, (pool_int)(iW));
    pool_int hit = (pool_int)(0);
    for (int h = hs; h < h1; h++) {
        const pool_int c = at - h * iW; /* the column, when the index lies in row h */
        hit |= (c >= wlo) & (c < whi);
    }
    pool_put(dxp, select(hs * iW + wlo, at, hit), select((pool_float)(0.0f), g, hit), qn);
#else
    for (int h = hs; h < he; h++) pool_zero(dxp, h * iW + ws, we - ws);
    for (uint j = 0; j < qn; j++) {
        const int w0 = (int)((q0 + j) * sw) - (int)pw, wlo = max(w0, 0), whi = min(w0 + (int)kw, iW);
        const float g = 0.0f + dy[o + j] / pool_divisor(h0, w0, kh, kw, H, W, H + ph, W + pw, div);
        for (int h = hs; h < h1; h++)
            for (int w = wlo; w < whi; w++) dxp[h * iW + w] = g;
    }
#endif
}
