/* Global and structured pruning (src/regularizers/prune_global.c): the
 * gather / scatter of several tensors through one workspace, and the slice
 * norms and mask expansion of Ln-structured pruning. The selections
 * themselves are the top-k of cl/regularizers_prune.cl. */
#include "index.clh"

#ifndef PNORM
#define PNORM 2 /* 1, 2, or 0 for the inf-norm */
#endif

/* dst[dst_off + i] = src[src_off + i] for i < n (a tensor into or out of the workspace). */
__kernel void prune_slice_copy(__global const float *src, __global float *dst, const uint n, const uint src_off,
                               const uint dst_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    dst[dst_off + i] = src[src_off + i];
}

/* w viewed as [outer, len, inner]: norm[l] = Ln norm of the outer·inner
 * elements of slice l, one work-item per slice accumulating in a fixed
 * order (o, then j): P = 1 Σ|w|, 2 sqrt(Σ w²), 0 max|w|; NaN propagates. */
__kernel void prune_ln_norms(__global const float *w, __global float *norm, const uint outer, const uint len,
                             const uint inner)
{
    const uint l = get_global_id(0);
    if (l >= len) return;
    float acc = 0.0f;
    for (uint o = 0; o < outer; o++) {
        const ulong base = ((ulong)o * len + l) * inner;
        for (uint j = 0; j < inner; j++) {
            const float a = fabs(w[base + j]);
#if PNORM == 1
            acc += a;
#elif PNORM == 2
            acc = fma(a, a, acc);
#else
            acc = a > acc || isnan(a) ? a : acc;
#endif
        }
    }
    norm[l] = PNORM == 2 ? sqrt(acc) : acc;
}

/* mask[i] = keep[slice of i], the slice (i / inner) mod len. */
__kernel void prune_ln_expand(__global const float *keep, __global float *mask, const uint n, const divisor inner,
                              const divisor len)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint outer_index;
    const uint l = split_by(div_by(i, inner), len, &outer_index);
    mask[i] = keep[l];
}
