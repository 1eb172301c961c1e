/* Stochastic regularizers: Bernoulli masks (DropConnect, spatial dropout,
 * stochastic depth, Mixout), DropBlock and noise injection. Every draw is
 * Philox word `index` of stream (seed, stream), so masks depend only on the
 * element's position, never on the work-item or local size. One work-item
 * per element; every kernel guards its tail. */
#include "index.clh"
#include "philox.clh"

/* Keep with probability 1 - p; elements of a group (i / group) share a draw. */
static inline bool keep_draw(ulong seed, uint stream, ulong index, float p)
{
    return philox_uniform(seed, stream, index) >= p;
}

/* keeps[g] = 1 if group g is kept (keep_draw of draw g), else 0: the draws
 * of a group mask with groups of more than one element, made once per group
 * (one work-item each) instead of by every element's work-item. */
__kernel void group_draws(__global float *keeps, const uint groups, const ulong seed, const uint stream,
                          const float p)
{
    const uint g = get_global_id(0);
    if (g < groups) keeps[g] = keep_draw(seed, stream, g, p) ? 1.0f : 0.0f;
}

/* The group kernels' work-item b handles elements 4b .. 4b+3 (launch:
 * (n + 3) / 4): with group 1 their four draws are one Philox block; with a
 * larger group four consecutive elements span at most two draws (i / group
 * of the first and the last), read from group_draws' keeps (not read with
 * group 1). */
static inline int4 group_keeps(const ulong seed, const uint stream, const uint b, const uint n, const divisor group,
                               const float p, __global const float *keeps)
{
    if (group.x == 1u) return philox_block_uniforms(seed, stream, b) >= (float4)(p);
    /* the last element of the four that exist (n - 1 at most: no overflow) */
    const uint base = 4u * b, last = min(base + 3u, n - 1u);
    const uint d0 = div_by(base, group), d3 = div_by(last, group);
    const int k0 = keeps[d0] != 0.0f ? -1 : 0;
    const int k3 = keeps[d3] != 0.0f ? -1 : 0;
    return (int4)(k0, div_by(min(base + 1u, last), group) == d0 ? k0 : k3,
                  div_by(min(base + 2u, last), group) == d0 ? k0 : k3, k3);
}

/* out[i] = keep(i / group) ? in[i] * scale : 0. DropConnect and Mixout's
 * backward (group 1), spatial dropout (group H*W), stochastic depth's
 * backward (group = sample size). */
__kernel void group_mask_f32(__global float *out, __global const float *in, __global const float *keeps,
                             const uint n, const divisor group, const ulong seed, const uint stream, const float p,
                             const float scale)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const int4 keep = group_keeps(seed, stream, b, n, group, p, keeps);
    if (m == 4u) {
        vstore4(select((float4)(0.0f), vload4(0, in + base) * scale, keep), 0, out + base);
        return;
    }
    const float4 kept = select((float4)(0.0f), (float4)(1.0f), keep);
    for (uint j = 0; j < m; j++) out[base + j] = philox_lane4(kept, j) != 0.0f ? in[base + j] * scale : 0.0f;
}

/* out[i] = base[i] + (keep(i / group) ? in[i] * scale : 0): stochastic depth. */
__kernel void group_mask_add_f32(__global float *out, __global const float *base, __global const float *in,
                                 __global const float *keeps, const uint n, const divisor group, const ulong seed,
                                 const uint stream, const float p, const float scale)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint first = 4u * b, m = min(4u, n - first);
    const int4 keep = group_keeps(seed, stream, b, n, group, p, keeps);
    if (m == 4u) {
        const float4 branch = select((float4)(0.0f), vload4(0, in + first) * scale, keep);
        vstore4(vload4(0, base + first) + branch, 0, out + first);
        return;
    }
    const float4 kept = select((float4)(0.0f), (float4)(1.0f), keep);
    for (uint j = 0; j < m; j++)
        out[first + j] = base[first + j] + (philox_lane4(kept, j) != 0.0f ? in[first + j] * scale : 0.0f);
}

/* Mixout: keep ? (w - p w0) * scale : w0, the two cases of
 * (M w + (1 - M) w0 - p w0) / (1 - p) with scale = 1 / (1 - p). Work-item b
 * handles the four elements of Philox block b (launch: (n + 3) / 4). */
__kernel void mixout_f32(__global float *out, __global const float *w, __global const float *w0, const uint n,
                         const ulong seed, const uint stream, const float p, const float scale)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 u = philox_block_uniforms(seed, stream, b);
    if (m == 4u) {
        const float4 r = vload4(0, w0 + base);
        vstore4(select(r, (vload4(0, w + base) - p * r) * scale, u >= (float4)(p)), 0, out + base);
        return;
    }
    for (uint j = 0; j < m; j++) {
        const float r = w0[base + j];
        out[base + j] = philox_lane4(u, j) >= p ? (w[base + j] - p * r) * scale : r;
    }
}

/* Noise: kind 0 additive Gaussian, 1 additive uniform on [-scale, scale),
 * 2 multiplicative Gaussian x (1 + scale z). Work-item b handles elements
 * 4b .. 4b+3 (launch: (n + 3) / 4): one Philox block for the uniforms, two
 * for the normals (words 2i and 2i + 1 of element i). */
__kernel void noise_f32(__global float *out, __global const float *x, const uint n, const ulong seed,
                        const uint stream, const int kind, const float scale)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 r = kind == 1 ? 2.0f * philox_block_uniforms(seed, stream, b) - 1.0f
                               : philox_block_normals(seed, stream, b);
    if (m == 4u) {
        const float4 xv = vload4(0, x + base);
        vstore4(kind == 2 ? xv * (1.0f + scale * r) : xv + scale * r, 0, out + base);
        return;
    }
    for (uint j = 0; j < m; j++) {
        const float z = philox_lane4(r, j), xj = x[base + j];
        out[base + j] = kind == 2 ? xj * (1.0f + scale * z) : xj + scale * z;
    }
}

/* ---- DropBlock, in four passes over NCHW (plane = H*W elements of one (n, c)).
 * 1. seeds: s[i] = 1 where a block may start at (h, w) (h <= H-b, w <= W-b)
 *    and u(i) < gamma, else 0. Work-item b handles elements 4b .. 4b+3, the
 *    four uniforms of Philox block b (launch: (n + 3) / 4). */
__kernel void dropblock_seeds_f32(__global float *s, const uint n, const divisor H, const divisor W,
                                  const uint block, const ulong seed, const uint stream, const float gamma)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 u = philox_block_uniforms(seed, stream, b);
    uint rows, planes;
    uint w = split_by(base, W, &rows), h = split_by(rows, H, &planes);
    for (uint j = 0; j < m; j++) {
        const bool may_start = h + block <= H.x && w + block <= W.x;
        s[base + j] = may_start && philox_lane4(u, j) < gamma ? 1.0f : 0.0f;
        if (++w == W.x) { /* the next row, or plane */
            w = 0;
            if (++h == H.x) h = 0;
        }
    }
}

/* 2. keep[i] = 0 if any seed at (h - b + 1 .. h, w - b + 1 .. w) of the same plane, else 1. */
__kernel void dropblock_keep_f32(__global float *keep, __global const float *s, const uint n, const divisor H,
                                 const divisor W, const uint block)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint rows, planes;
    const uint w = split_by(i, W, &rows), h = split_by(rows, H, &planes), plane = i - h * W.x - w;
    /* max() rather than a compare-and-subtract, which clang turns into a
     * saturating-subtract intrinsic that Oclgrind 21.10 cannot run */
    const uint h0 = (uint)max((int)(h + 1) - (int)block, 0), w0 = (uint)max((int)(w + 1) - (int)block, 0);
    float hit = 0.0f;
    for (uint r = h0; r <= h; r++)
        for (uint c = w0; c <= w; c++) hit = fmax(hit, s[plane + r * W.x + c]);
    keep[i] = 1.0f - hit;
}

/* 3a. partial[j] = number of ones in keep[j*chunk .. (j+1)*chunk), summed in
 *     order as integers (exact, so the result is independent of everything). */
__kernel void count_ones_partial(__global uint *partial, __global const float *keep, const uint n, const uint chunk,
                                 const uint nchunks)
{
    const uint j = get_global_id(0);
    if (j >= nchunks) return;
    const uint end = min(n, (j + 1) * chunk);
    uint c = 0;
    for (uint i = j * chunk; i < end; i++) c += keep[i] != 0.0f;
    partial[j] = c;
}

/* 3b. One work-item: total = sum of partials in order; scale[0] = n / total (0 if none kept). */
__kernel void count_ones_scale(__global float *scale, __global const uint *partial, const uint nchunks,
                               const uint n)
{
    if (get_global_id(0) != 0) return;
    uint total = 0;
    for (uint j = 0; j < nchunks; j++) total += partial[j];
    scale[0] = total ? (float)n / (float)total : 0.0f; /* no double: fp64 is optional in OpenCL 1.2 */
}

/* 4. mask = keep * scale; y = x * mask. */
__kernel void dropblock_apply_f32(__global float *y, __global float *mask, __global const float *x,
                                  __global const float *scale, const uint n)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float m = mask[i] * scale[0];
    mask[i] = m;
    y[i] = x[i] * m;
}

/* dx = dy * mask (DropBlock backward). */
__kernel void multiply_f32(__global float *out, __global const float *a, __global const float *b, const uint n)
{
    const uint i = get_global_id(0);
    if (i < n) out[i] = a[i] * b[i];
}
