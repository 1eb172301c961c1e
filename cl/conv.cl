/* Conv2d helpers around CLBlast GEMMs (NCHW, one image at a time).
 *   col[(c*R + r)*S + s][p*Q + q] = x[c][p*sh - ph + r*dh][q*sw - pw + s*dw]  (0 outside)
 * Rows are channel-major, so the rows of group g are one contiguous block. */

#include "index.clh"

__kernel void im2col(__global float *col, __global const float *x, const uint x_offset, const uint C,
                     const uint H, const uint W, const uint R, const uint S, const uint P, const uint Q,
                     const uint sh, const uint sw, const uint ph, const uint pw, const uint dh, const uint dw)
{
    const uint idx = get_global_id(0);
    const uint PQ = P * Q;
    if (idx >= C * R * S * PQ) return;
    uint row, p, rs, c;
    const uint q = split_index(split_index(idx, PQ, &row), Q, &p);
    const uint s = split_index(row, S, &rs), r = split_index(rs, R, &c);
    const int h = (int)(p * sh + r * dh) - (int)ph;
    const int w = (int)(q * sw + s * dw) - (int)pw;
    float v = 0.0f;
    if (h >= 0 && h < (int)H && w >= 0 && w < (int)W) v = x[x_offset + (c * H + (uint)h) * W + (uint)w];
    col[idx] = v;
}

/* The adjoint of im2col as a gather: each input pixel sums, in a fixed (r, s)
 * order, the column entries that im2col copied it into. No atomics. */
__kernel void col2im(__global float *dx, __global const float *col, const uint dx_offset, const uint C,
                     const uint H, const uint W, const uint R, const uint S, const uint P, const uint Q,
                     const uint sh, const uint sw, const uint ph, const uint pw, const uint dh, const uint dw)
{
    uint idx, c, h, w;
    if (!plane_item(C, H, W, &idx, &c, &h, &w)) return;
    float sum = 0.0f;
    for (uint r = 0; r < R; r++) {
        const int hp = (int)(h + ph) - (int)(r * dh); /* = p*sh */
        uint p;
        if (hp < 0 || split_index((uint)hp, sh, &p) != 0) continue;
        if (p >= P) continue;
        for (uint s = 0; s < S; s++) {
            const int wq = (int)(w + pw) - (int)(s * dw);
            uint q;
            if (wq < 0 || split_index((uint)wq, sw, &q) != 0) continue;
            if (q >= Q) continue;
            sum += col[((c * R + r) * S + s) * P * Q + p * Q + q];
        }
    }
    dx[dx_offset + idx] = sum;
}

/* y[n][k][pq] += b[k] over n elements, plane = P*Q, K channels. */
__kernel void bias_add(__global float *y, __global const float *b, const uint n, const uint plane, const uint K)
{
    const uint i = get_global_id(0);
    if (i < n) y[i] += b[(i / plane) % K];
}
