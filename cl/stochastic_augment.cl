/* Batch-level data augmentation on [N, C, H, W] (Mixup treats any [N, ...]
 * as [N, 1, 1, F]): pair mixing through a permutation (Mixup, CutMix),
 * Cutout squares, and one-hot label mixing. One work-item per element;
 * every kernel guards its tail. Sizes that index arithmetic divides by come
 * as prepared divisors (cl/index.clh). */
#include "index.clh"
#include "philox.clh"

/* Sample n's element i lies in the box rows [y0, y1), columns [x0, x1)? */
static inline bool in_box(uint h, uint w, uint y0, uint x0, uint y1, uint x1)
{
    return h >= y0 && h < y1 && w >= x0 && w < x1;
}

/* y[n, i] = a x[n, i] + b x[perm[n], i] with (a, b) = (a_in, b_in) inside the
 * box and (a_out, b_out) outside. Mixup: box covers all, (lambda, 1 - lambda);
 * CutMix: inside (0, 1), outside (1, 0). sample = C H W. */
__kernel void pair_mix_f32(__global float *y, __global const float *x, __global const int *perm, const uint n,
                           const divisor sample, const divisor H, const divisor W, const uint y0, const uint x0,
                           const uint y1, const uint x1, const float a_in, const float b_in, const float a_out,
                           const float b_out)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint s, eh, planes;
    const uint e = split_by(i, sample, &s), w = split_by(e, W, &eh), h = split_by(eh, H, &planes);
    const bool inside = in_box(h, w, y0, x0, y1, x1);
    const float a = inside ? a_in : a_out, b = inside ? b_in : b_out;
    const float self = x[i], other = x[(uint)perm[s] * sample.x + e];
    /* a zero weight drops its term outright (no 0 * inf) */
    y[i] = (a != 0.0f ? a * self : 0.0f) + (b != 0.0f ? b * other : 0.0f);
}

/* The transpose, first part: dx[n, i] = a dy[n, i]. */
__kernel void pair_mix_self_f32(__global float *dx, __global const float *dy, const uint n, const divisor sample,
                                const divisor H, const divisor W, const uint y0, const uint x0, const uint y1,
                                const uint x1, const float a_in, const float a_out)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint s, eh, planes;
    const uint e = split_by(i, sample, &s), w = split_by(e, W, &eh), h = split_by(eh, H, &planes);
    const float a = in_box(h, w, y0, x0, y1, x1) ? a_in : a_out;
    dx[i] = a != 0.0f ? a * dy[i] : 0.0f;
}

/* The transpose, second part: dx[perm[n], i] += b dy[n, i]. perm is a
 * permutation (checked on the host), so every target has one writer: no races. */
__kernel void pair_mix_scatter_f32(__global float *dx, __global const float *dy, __global const int *perm,
                                   const uint n, const divisor sample, const divisor H, const divisor W, const uint y0,
                                   const uint x0, const uint y1, const uint x1, const float b_in, const float b_out)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint s, eh, planes;
    const uint e = split_by(i, sample, &s), w = split_by(e, W, &eh), h = split_by(eh, H, &planes);
    const float b = in_box(h, w, y0, x0, y1, x1) ? b_in : b_out;
    if (b != 0.0f) dx[(uint)perm[s] * sample.x + e] += b * dy[i];
}

/* floor(u * m) for the 24-bit uniform u of a Philox word, exactly (integer arithmetic). */
static inline uint scaled_draw(ulong seed, uint stream, ulong index, uint m)
{
    return (uint)(((ulong)(philox_word(seed, stream, index) >> 8) * m) >> 24);
}

/* The corner (top, left) of sample s's Cutout square: centred at
 * (floor(u(2s) H), floor(u(2s+1) W)). */
static inline int2 cutout_corner(ulong seed, uint stream, uint s, uint H, uint W, uint side)
{
    const int cy = (int)scaled_draw(seed, stream, 2ul * s, H), cx = (int)scaled_draw(seed, stream, 2ul * s + 1, W);
    return (int2)(cy - (int)(side / 2), cx - (int)(side / 2));
}

/* Cutout: sample s's square of side `side` at cutout_corner, rows [top,
 * top + side) and columns [left, left + side) clipped; zero inside, x
 * outside. Work-item b handles elements 8b .. 8b+7 (launch: (n + 7) / 8):
 * the square is drawn once per sample they touch and the pixel position is
 * stepped, not divided, per element. */
__kernel void cutout_f32(__global float *y, __global const float *x, const uint n, const uint sample, const uint H,
                         const uint W, const uint side, const ulong seed, const uint stream)
{
    const uint b = get_global_id(0);
    if (8ul * b >= n) return;
    const uint base = 8u * b, m = min(8u, n - base);
    uint s, eh, planes;
    uint e = split_index(base, sample, &s), w = split_index(e, W, &eh), h = split_index(eh, H, &planes);
    int2 corner = cutout_corner(seed, stream, s, H, W, side);
    for (uint j = 0; j < m; j++) {
        const bool inside = (int)h >= corner.x && (int)h < corner.x + (int)side && (int)w >= corner.y &&
                            (int)w < corner.y + (int)side;
        y[base + j] = inside ? 0.0f : x[base + j];
        if (++w == W) { /* the next row, plane or sample */
            w = 0;
            if (++h == H) h = 0;
        }
        if (++e == sample && j + 1 < m) {
            e = 0;
            corner = cutout_corner(seed, stream, ++s, H, W, side);
        }
    }
}

/* targets[s, k] = lambda [labels[s] = k] + (1 - lambda) [labels[perm[s]] = k]. */
__kernel void mix_labels_f32(__global float *targets, __global const int *labels, __global const int *perm,
                             const uint n, const divisor classes, const float lambda)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint s;
    const int k = (int)split_by(i, classes, &s);
    targets[i] = (labels[s] == k ? lambda : 0.0f) + (labels[perm[s]] == k ? 1.0f - lambda : 0.0f);
}
