/* Fake quantization (Jacob et al. 2018) with the straight-through estimator
 * (Bengio et al. 2013), and additive uniform quantization noise.
 *
 * Integer range for b bits: SYMMETRIC [−(2^(b−1) − 1), 2^(b−1) − 1] with zero
 * point 0 (restricted range, so the grid is symmetric around 0); asymmetric
 * [0, 2^b − 1] with zero point z. x is viewed as [outer, nch, inner] with
 * the channel dimension in the middle: element i belongs to channel
 * (i / inner) mod nch (per tensor: inner = n, nch = 1). q = rint(x / s) + z
 * (ties to even). */
#ifndef SYMMETRIC
#define SYMMETRIC 0
#endif
#ifndef MODE
#define MODE 0
#endif

static inline float q_max(const int bits)
{
    return SYMMETRIC ? (float)((1 << (bits - 1)) - 1) : (float)((1 << bits) - 1);
}
static inline float q_min(const int bits)
{
    return SYMMETRIC ? -q_max(bits) : 0.0f;
}

/* ext[c] = max(0, max x), ext[nch + c] = −min(0, min x) of channel c (from
 * the max reduction); the range always includes 0 so that 0 is exact.
 *   symmetric: s = max(|lo|, hi) / qmax, z = 0
 *   asymmetric: s = (hi − lo) / (qmax − qmin), z = clamp(rint(qmin − lo / s), qmin, qmax)
 * A channel of zeros gets s = 1, z = 0. */
__kernel void quant_params(__global const float *ext, __global float *scale, __global float *zero, const uint nch,
                           const int bits)
{
    const uint c = get_global_id(0);
    if (c >= nch) return;
    const float hi = ext[c], lo = -ext[nch + c], qmax = q_max(bits), qmin = q_min(bits);
    float s = SYMMETRIC ? fmax(hi, -lo) / qmax : (hi - lo) / (qmax - qmin);
    if (!(s > 0.0f)) s = 1.0f;
    zero[c] = SYMMETRIC ? 0.0f : clamp(rint(qmin - lo / s), qmin, qmax);
    scale[c] = s; /* after zero: without a zero tensor the host passes scale for both */
}

#include "index.clh"
#include "philox.clh"

static inline uint channel_of(const uint i, const divisor inner, const divisor nch)
{
    uint outer_index;
    return split_by(div_by(i, inner), nch, &outer_index);
}

/* Element i's place in channel-major order [nch, outer, inner], where every
 * channel is one contiguous segment for the deterministic reduction. */
static inline uint channel_major(const uint i, const divisor inner, const divisor nch, const uint outer)
{
    uint t, o;
    const uint j = split_by(i, inner, &t), c = split_by(t, nch, &o);
    return (c * outer + o) * inner.x + j;
}

/* out[channel_major(i)] = x[i] (the per-channel range of a middle axis). */
__kernel void quant_channel_major(__global const float *x, __global float *out, const uint n, const divisor inner,
                                  const divisor nch, const uint outer)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    out[channel_major(i, inner, nch, outer)] = x[i];
}

/* LSQ backward (Esser et al. 2020, as PyTorch's learnable fake quantize):
 * dx = dy inside the clamp range, else 0; the terms of dscale go to
 * channel-major order, dyp = dy and tp = t with t = (q − z) − x/s inside,
 * qmin − z below, qmax − z above (summed by the host's dot reduction).
 * dx may be dy. */
__kernel void lsq_backward(__global const float *x, __global const float *scale, __global const float *zero,
                           __global const float *dy, __global float *dx, __global float *dyp, __global float *tp,
                           const uint n, const divisor inner, const divisor nch, const uint outer, const int bits)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const uint c = channel_of(i, inner, nch), pos = channel_major(i, inner, nch, outer);
    const float s = scale[c];
    const float z = SYMMETRIC ? 0.0f : zero[c];
    const float r = x[i] / s, q = rint(r) + z, qmin = q_min(bits), qmax = q_max(bits), g = dy[i];
    const int inside = q >= qmin && q <= qmax;
    dx[i] = inside ? g : 0.0f;
    dyp[pos] = g;
    tp[pos] = inside ? (q - z) - r : (q < qmin ? qmin : qmax) - z;
}

/* MODE 0 forward:  out = (clamp(q, qmin, qmax) − z)·s
 * MODE 1 backward: out = din where qmin <= q <= qmax, else 0 (straight-through)
 * out may be x (MODE 0) or din (MODE 1). Symmetric: zero is not read. */
__kernel void fake_quant(__global const float *x, __global const float *scale, __global const float *zero,
                         __global const float *din, __global float *out, const uint n, const divisor inner,
                         const divisor nch, const int bits)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const uint c = channel_of(i, inner, nch);
    const float s = scale[c];
    const float z = SYMMETRIC ? 0.0f : zero[c];
    const float q = rint(x[i] / s) + z, qmin = q_min(bits), qmax = q_max(bits);
#if MODE == 0
    out[i] = (clamp(q, qmin, qmax) - z) * s;
#else
    out[i] = q >= qmin && q <= qmax ? din[i] : 0.0f;
#endif
}

/* Additive uniform quantization noise: out = x + s·(u − 1/2) with u =
 * philox_uniform(seed, stream, i) and s the scale of i's channel. Work-item b
 * handles elements 4b .. 4b+3, the four uniforms of Philox block b (launch:
 * (n + 3) / 4). out may be x. */
__kernel void quant_noise(__global const float *x, __global const float *scale, __global float *out, const uint n,
                          const divisor inner, const divisor nch, const ulong seed, const uint stream)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 u = philox_block_uniforms(seed, stream, b);
    for (uint j = 0; j < m; j++) {
        const uint i = base + j;
        out[i] = x[i] + scale[channel_of(i, inner, nch)] * (philox_lane4(u, j) - 0.5f);
    }
}
