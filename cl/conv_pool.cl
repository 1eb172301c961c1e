/* 2-D pooling over NCHW planes (floor output size, padding <= half the window).
 * mode 0: max (indices: flat h*W + w within the plane, for backward);
 * mode 1: average dividing by kh*kw (count_include_pad);
 * mode 2: average dividing by the number of in-bounds elements.
 * Global average pooling is mode 1 with the window = the plane. */
#include "index.clh"

#define POOL_MAX 0
#define POOL_AVG_INCLUDE_PAD 1

static inline float pool_divisor(int mode, int h0, int w0, uint kh, uint kw, uint H, uint W)
{
    if (mode == POOL_AVG_INCLUDE_PAD) return (float)(kh * kw);
    const int h1 = min(h0 + (int)kh, (int)H), w1 = min(w0 + (int)kw, (int)W);
    return (float)((h1 - max(h0, 0)) * (w1 - max(w0, 0)));
}

/* One work-item per output element (plane, p, q). */
__kernel void pool_forward(__global const float *x, __global float *y, __global int *indices, const uint planes,
                           const uint H, const uint W, const uint P, const uint Q, const uint kh, const uint kw,
                           const uint sh, const uint sw, const uint ph, const uint pw, const int mode)
{
    uint o, plane, p, q;
    if (!plane_item(planes, P, Q, &o, &plane, &p, &q)) return;
    const int h0 = (int)(p * sh) - (int)ph, w0 = (int)(q * sw) - (int)pw;
    __global const float *xp = x + (size_t)plane * H * W;
    float best = -INFINITY, sum = 0.0f;
    int arg = -1;
    for (int h = max(h0, 0); h < min(h0 + (int)kh, (int)H); h++)
        for (int w = max(w0, 0); w < min(w0 + (int)kw, (int)W); w++) {
            const float v = xp[h * (int)W + w];
            if (v > best || arg < 0) { /* first in-bounds element, then strict maximum: first index wins ties */
                best = v;
                arg = h * (int)W + w;
            }
            sum += v;
        }
    if (mode == POOL_MAX) {
        y[o] = best;
        indices[o] = arg;
    } else {
        y[o] = sum / pool_divisor(mode, h0, w0, kh, kw, H, W);
    }
}

/* One work-item per input element: gathers, in a fixed (p, q) order, the
 * gradient of every window that contains it. No atomics. */
__kernel void pool_backward(__global const float *dy, __global const int *indices, __global float *dx,
                            const uint planes, const uint H, const uint W, const uint P, const uint Q, const uint kh,
                            const uint kw, const uint sh, const uint sw, const uint ph, const uint pw, const int mode)
{
    uint i, plane, h, w;
    if (!plane_item(planes, H, W, &i, &plane, &h, &w)) return;
    /* windows p with p*sh - ph <= h < p*sh - ph + kh */
    const int hh = (int)(h + ph), ww = (int)(w + pw);
    const int p_lo = hh - (int)kh + 1 > 0 ? (hh - (int)kh + (int)sh) / (int)sh : 0;
    const int p_hi = min(hh / (int)sh, (int)P - 1);
    const int q_lo = ww - (int)kw + 1 > 0 ? (ww - (int)kw + (int)sw) / (int)sw : 0;
    const int q_hi = min(ww / (int)sw, (int)Q - 1);
    const size_t base = (size_t)plane * P * Q;
    float sum = 0.0f;
    for (int p = p_lo; p <= p_hi; p++)
        for (int q = q_lo; q <= q_hi; q++) {
            const size_t o = base + (size_t)p * Q + q;
            if (mode == POOL_MAX) {
                if (indices[o] == (int)(h * W + w)) sum += dy[o];
            } else {
                sum += dy[o] / pool_divisor(mode, p * (int)sh - (int)ph, q * (int)sw - (int)pw, kh, kw, H, W);
            }
        }
    dx[i] = sum;
}
