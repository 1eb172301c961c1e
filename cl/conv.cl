/* Conv2d helpers around CLBlast GEMMs (NCHW), over a chunk of `images`
 * images at a time:
 *   col[(c*R + r)*S + s][i*P*Q + p*Q + q] = x[n0 + i][c][p*sh - ph + r*dh][q*sw - pw + s*dw]
 * where a row or column outside the image reads the padding: 0, or with
 * PyTorch's other padding modes the pixel pad_source names. ph and pw are
 * the top and left paddings, pb and pr the bottom and right ones.
 * Index arithmetic divides by prepared divisors (div_by), never with `/`.
 * Rows are channel-major, so the rows of group g are one contiguous block,
 * and one GEMM covers the chunk: y' [K, images*P*Q] = w . col, which
 * planes_from_rows puts back in NCHW order. */

#include "index.clh"

/* The sizes the two kernels share, each as a divisor (cl/index.clh): images,
 * C, H, W, R, S, P, Q, the strides sh, sw; then the paddings, dilations,
 * the bottom and right paddings and the padding mode. */
#define COLMAP_ARGS                                                                                         \
    const uint x_offset, const divisor images, const divisor C, const divisor H, const divisor W,          \
        const divisor R, const divisor S, const divisor P, const divisor Q, const divisor sh, const divisor sw, \
        const uint ph, const uint pw, const uint dh, const uint dw, const uint pb, const uint pr, const int mode

/* clnn_padding_mode (include/clnn/conv.h) */
#define PAD_ZEROS 0
#define PAD_REFLECT 1
#define PAD_REPLICATE 2
#define PAD_CIRCULAR 3

/* The pixel that position h of a padded axis of n pixels reads, or -1 for a
 * zero. The host keeps the paddings within PyTorch's limits (reflect: pad <
 * n, circular: pad <= n), so one reflection or wrap suffices. */
static inline int pad_source(const int h, const int n, const int mode)
{
    if (h >= 0 && h < n) return h;
    if (mode == PAD_REFLECT) return h < 0 ? -h : 2 * (n - 1) - h;
    if (mode == PAD_REPLICATE) return h < 0 ? 0 : n - 1;
    if (mode == PAD_CIRCULAR) return h < 0 ? h + n : h - n;
    return -1;
}

/* The positions of a padded axis (before, n pixels, after) that read pixel
 * h, as ranges [lo[k], hi[k]], the pixel itself first; returns how many
 * (1 to 3). The adjoint of pad_source. */
static inline uint pad_readers(const int h, const int n, const int before, const int after, const int mode,
                               int *lo, int *hi)
{
    uint k = 0;
    lo[k] = hi[k] = h, k++;
    if (mode == PAD_REFLECT) {
        if (h > 0 && h <= before) lo[k] = hi[k] = -h, k++;
        if (h < n - 1 && n - 1 - h <= after) lo[k] = hi[k] = 2 * (n - 1) - h, k++;
    } else if (mode == PAD_REPLICATE) {
        if (h == 0 && before > 0) lo[k] = -before, hi[k] = -1, k++;
        if (h == n - 1 && after > 0) lo[k] = n, hi[k] = n - 1 + after, k++;
    } else if (mode == PAD_CIRCULAR) {
        if (h - n >= -before) lo[k] = hi[k] = h - n, k++;
        if (h < after) lo[k] = hi[k] = h + n, k++;
    }
    return k;
}

/* One work-item per column entry (x_offset = the chunk's first image):
 * idx = ((((c·R + r)·S + s)·images + i)·P + p)·Q + q. */
__kernel void im2col(__global float *col, __global const float *x, COLMAP_ARGS)
{
    const uint idx = get_global_id(0);
    if (idx >= C.x * R.x * S.x * images.x * P.x * Q.x) return;
    uint pi, ip, rsi, rs, c;
    const uint q = split_by(idx, Q, &pi), p = split_by(pi, P, &ip), i = split_by(ip, images, &rsi);
    const uint s = split_by(rsi, S, &rs), r = split_by(rs, R, &c);
    const int h = pad_source((int)(p * sh.x + r * dh) - (int)ph, (int)H.x, mode);
    const int w = pad_source((int)(q * sw.x + s * dw) - (int)pw, (int)W.x, mode);
    float v = 0.0f;
    if (h >= 0 && w >= 0) v = x[x_offset + ((i * C.x + c) * H.x + (uint)h) * W.x + (uint)w];
    col[idx] = v;
}

/* The window rows (or columns) that cover a pixel: t = pos + pad - r·dil
 * over r = 0, 1, ..., with t = p·stride + rem; p and rem are stepped as r
 * grows (t falls by dil = dq·stride + dr), so the loops never divide. */
typedef struct window_step {
    int p;
    uint rem, dq, dr, stride;
} window_step;

static inline window_step window_first(uint pos_padded, uint dil, divisor stride)
{
    uint p, dq;
    window_step w;
    w.rem = split_by(pos_padded, stride, &p);
    w.dr = split_by(dil, stride, &dq);
    w.p = (int)p;
    w.dq = dq;
    w.stride = stride.x;
    return w;
}

static inline void window_next(window_step *w)
{
    w->p -= (int)w->dq;
    if (w->rem < w->dr) {
        w->rem += w->stride - w->dr;
        w->p -= 1;
    } else {
        w->rem -= w->dr;
    }
}

/* The adjoint of im2col as a gather: each input pixel sums, in a fixed
 * order (the padded positions that read it, then r, s), the column entries
 * that im2col copied it into. No atomics. */
__kernel void col2im(__global float *dx, __global const float *col, COLMAP_ARGS)
{
    const uint idx = get_global_id(0);
    if (idx >= images.x * C.x * H.x * W.x) return;
    uint ich, ic, i;
    const uint w = split_by(idx, W, &ich), h = split_by(ich, H, &ic), c = split_by(ic, C, &i);
    const uint cols = images.x * P.x * Q.x;
    int hlo[3], hhi[3], wlo[3], whi[3];
    const uint nh = pad_readers((int)h, (int)H.x, (int)ph, (int)pb, mode, hlo, hhi);
    const uint nw = pad_readers((int)w, (int)W.x, (int)pw, (int)pr, mode, wlo, whi);
    float sum = 0.0f;
    for (uint a = 0; a < nh; a++)
        for (int hp = hlo[a]; hp <= hhi[a]; hp++) {
            window_step wr = window_first((uint)(hp + (int)ph), dh, sh);
            for (uint r = 0; r < R.x && wr.p >= 0; r++, window_next(&wr)) {
                if (wr.rem != 0 || wr.p >= (int)P.x) continue;
                for (uint b = 0; b < nw; b++)
                    for (int wp = wlo[b]; wp <= whi[b]; wp++) {
                        window_step ws = window_first((uint)(wp + (int)pw), dw, sw);
                        for (uint s = 0; s < S.x && ws.p >= 0; s++, window_next(&ws)) {
                            if (ws.rem != 0 || ws.p >= (int)Q.x) continue;
                            sum += col[((c * R.x + r) * S.x + s) * cols + (i * P.x + (uint)wr.p) * Q.x + (uint)ws.p];
                        }
                    }
            }
        }
    dx[x_offset + idx] = sum;
}

/* y[n0 + i][k][pq] = rows[k][i*PQ + pq] (+ b[k] when has_bias): a chunk's
 * product back in NCHW order, one work-item per element of y's chunk
 * (y_offset = its first image). */
__kernel void planes_from_rows(__global float *y, __global const float *rows, __global const float *b,
                               const uint y_offset, const divisor images, const divisor K, const divisor PQ,
                               const int has_bias)
{
    const uint idx = get_global_id(0);
    if (idx >= images.x * K.x * PQ.x) return;
    uint ik, i;
    const uint pq = split_by(idx, PQ, &ik), k = split_by(ik, K, &i);
    const float v = rows[(k * images.x + i) * PQ.x + pq];
    y[y_offset + idx] = has_bias ? v + b[k] : v;
}

/* rows[k][i*PQ + pq] = dy[n0 + i][k][pq]: a chunk of dy in the GEMMs' order,
 * one work-item per element of rows (dy_offset = the chunk's first image). */
__kernel void rows_from_planes(__global float *rows, __global const float *dy, const uint dy_offset,
                               const divisor images, const divisor K, const divisor PQ)
{
    const uint idx = get_global_id(0);
    if (idx >= K.x * images.x * PQ.x) return;
    uint ki, k;
    const uint pq = split_by(idx, PQ, &ki), i = split_by(ki, images, &k);
    rows[idx] = dy[dy_offset + (i * K.x + k) * PQ.x + pq];
}

/* y[n][k][pq] += b[k] over n elements, plane = P*Q, K channels. */
__kernel void bias_add(__global float *y, __global const float *b, const uint n, const divisor plane,
                       const divisor K)
{
    const uint i = get_global_id(0);
    uint image;
    if (i < n) y[i] += b[split_by(div_by(i, plane), K, &image)];
}
