/* Conv2d helpers around CLBlast GEMMs (NCHW), over a chunk of `images`
 * images at a time:
 *   col[(c*R + r)*S + s][i*P*Q + p*Q + q] = x[n0 + i][c][p*sh - ph + r*dh][q*sw - pw + s*dw]  (0 outside)
 * Rows are channel-major, so the rows of group g are one contiguous block,
 * and one GEMM covers the chunk: y' [K, images*P*Q] = w . col, which
 * planes_from_rows puts back in NCHW order. */

#include "index.clh"

/* One work-item per column entry; x_offset = the chunk's first image. */
__kernel void im2col(__global float *col, __global const float *x, const uint x_offset, const uint images,
                     const uint C, const uint H, const uint W, const uint R, const uint S, const uint P, const uint Q,
                     const uint sh, const uint sw, const uint ph, const uint pw, const uint dh, const uint dw)
{
    const uint idx = get_global_id(0);
    const uint PQ = P * Q, cols = images * PQ;
    if (idx >= C * R * S * cols) return;
    uint row, i, p, rs, c;
    const uint q = split_index(split_index(split_index(idx, cols, &row), PQ, &i), Q, &p);
    const uint s = split_index(row, S, &rs), r = split_index(rs, R, &c);
    const int h = (int)(p * sh + r * dh) - (int)ph;
    const int w = (int)(q * sw + s * dw) - (int)pw;
    float v = 0.0f;
    if (h >= 0 && h < (int)H && w >= 0 && w < (int)W) v = x[x_offset + ((i * C + c) * H + (uint)h) * W + (uint)w];
    col[idx] = v;
}

/* The adjoint of im2col as a gather: each input pixel sums, in a fixed (r, s)
 * order, the column entries that im2col copied it into. No atomics. */
__kernel void col2im(__global float *dx, __global const float *col, const uint dx_offset, const uint images,
                     const uint C, const uint H, const uint W, const uint R, const uint S, const uint P, const uint Q,
                     const uint sh, const uint sw, const uint ph, const uint pw, const uint dh, const uint dw)
{
    uint idx, ic, h, w, i;
    if (!plane_item(images * C, H, W, &idx, &ic, &h, &w)) return;
    const uint c = split_index(ic, C, &i), cols = images * P * Q;
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
            sum += col[((c * R + r) * S + s) * cols + i * P * Q + p * Q + q];
        }
    }
    dx[dx_offset + idx] = sum;
}

/* y[n0 + i][k][pq] = rows[k][i*PQ + pq] (+ b[k] when has_bias): a chunk's
 * product back in NCHW order, one work-item per element of y's chunk
 * (y_offset = its first image). */
__kernel void planes_from_rows(__global float *y, __global const float *rows, __global const float *b,
                               const uint y_offset, const uint images, const uint K, const uint PQ,
                               const int has_bias)
{
    uint idx, ik, pq, i;
    if (!grid_item(images * K, PQ, &idx, &ik, &pq)) return;
    const uint k = split_index(ik, K, &i);
    const float v = rows[(k * images + i) * PQ + pq];
    y[y_offset + idx] = has_bias ? v + b[k] : v;
}

/* rows[k][i*PQ + pq] = dy[n0 + i][k][pq]: a chunk of dy in the GEMMs' order,
 * one work-item per element of rows (dy_offset = the chunk's first image). */
__kernel void rows_from_planes(__global float *rows, __global const float *dy, const uint dy_offset,
                               const uint images, const uint K, const uint PQ)
{
    uint idx, ki, pq, k;
    if (!grid_item(K * images, PQ, &idx, &ki, &pq)) return;
    const uint i = split_index(ki, images, &k);
    rows[idx] = dy[dy_offset + (i * K + k) * PQ + pq];
}

/* y[n][k][pq] += b[k] over n elements, plane = P*Q, K channels. */
__kernel void bias_add(__global float *y, __global const float *b, const uint n, const uint plane, const uint K)
{
    const uint i = get_global_id(0);
    if (i < n) y[i] += b[(i / plane) % K];
}
