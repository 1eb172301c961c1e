/* Inverted dropout (Srivastava et al., JMLR 2014). Element i is kept iff
 * philox_uniform(seed, stream, i) >= p; kept elements are scaled by
 * 1 / (1 - p). The mask is a pure function of (seed, stream, i), so the
 * backward pass regenerates it and every device and local size agree. */
#include "philox.clh"

/* y = keep ? x * scale : 0; mask[i] = keep (1 or 0) when want_mask. */
__kernel void dropout_forward(__global float *y, __global float *mask, __global const float *x, const uint n,
                              const float p, const float scale, const ulong seed, const uint stream,
                              const int want_mask)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const int keep = philox_uniform(seed, stream, i) >= p;
    y[i] = keep ? x[i] * scale : 0.0f;
    if (want_mask) mask[i] = keep ? 1.0f : 0.0f;
}

/* dx = keep ? dy * scale : 0, with the forward's mask regenerated. */
__kernel void dropout_backward(__global float *dx, __global const float *dy, const uint n, const float p,
                               const float scale, const ulong seed, const uint stream)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    dx[i] = philox_uniform(seed, stream, i) >= p ? dy[i] * scale : 0.0f;
}
