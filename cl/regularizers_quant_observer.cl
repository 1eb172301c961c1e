/* Moving-average min/max observer (torch.ao.quantization's
 * MovingAverageMinMaxObserver / MovingAveragePerChannelMinMaxObserver) and
 * its quantization parameters (src/regularizers/quant_observer.c).
 *
 * x is viewed as [outer, nch, inner] around the channel axis; running holds
 * the minima [0, nch) and maxima [nch, 2 nch). Integer range as
 * cl/regularizers_quant.cl (SYMMETRIC: [−(2^(b−1) − 1), 2^(b−1) − 1]). */
#include "index.clh"

#ifndef SYMMETRIC
#define SYMMETRIC 0
#endif
#define OBS_LANES 256 /* lanes per channel, merged by a fixed tree */

/* Stage 1: channel ch is split into `blocks` blocks of OBS_LANES lanes;
 * block b of channel ch (item ch·blocks + b, taken by the groups in turn)
 * has lane l take elements (b·OBS_LANES + l), then every blocks·OBS_LANES-th
 * of the channel, the tree merges the lanes, and partial[item] /
 * partial[nch·blocks + item] get its min / max. min and max are exact, so
 * the partition does not change the result. NaN is ignored (fmin/fmax).
 * Any local size and group count covers every item and lane. */
__kernel void observer_partial(__global const float *x, __global float *partial, const uint nch, const uint len,
                               const divisor inner, const uint blocks)
{
    __local float lo[OBS_LANES], hi[OBS_LANES];
    const uint lid = get_local_id(0), nloc = get_local_size(0), items = nch * blocks, span = blocks * OBS_LANES;
    for (uint item = get_group_id(0); item < items; item += get_num_groups(0)) {
        const uint ch = item / blocks, b = item - ch * blocks;
        for (uint lane = lid; lane < OBS_LANES; lane += nloc) {
            float mn = INFINITY, mx = -INFINITY;
            for (uint t = b * OBS_LANES + lane; t < len; t += span) {
                uint o;
                const uint j = split_by(t, inner, &o);
                const float v = x[(o * nch + ch) * inner.x + j];
                mn = fmin(mn, v);
                mx = fmax(mx, v);
            }
            lo[lane] = mn;
            hi[lane] = mx;
        }
        for (uint width = OBS_LANES / 2; width > 0; width >>= 1) {
            barrier(CLK_LOCAL_MEM_FENCE);
            for (uint lane = lid; lane < width; lane += nloc) {
                lo[lane] = fmin(lo[lane], lo[lane + width]);
                hi[lane] = fmax(hi[lane], hi[lane + width]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid == 0) {
            partial[item] = lo[0];
            partial[items + item] = hi[0];
        }
        barrier(CLK_LOCAL_MEM_FENCE); /* lanes are refilled for the next item */
    }
}

/* Stage 2, one work-item per channel: the batch's min / max from the
 * blocks' partials; the first update (running min +inf and max −inf) takes
 * them, later ones m ← m + c·(batch − m). */
__kernel void observer_apply(__global const float *partial, __global float *running, const uint nch,
                             const uint blocks, const float c)
{
    const uint ch = get_global_id(0);
    if (ch >= nch) return;
    const uint items = nch * blocks;
    float mn = INFINITY, mx = -INFINITY;
    for (uint b = 0; b < blocks; b++) {
        mn = fmin(mn, partial[ch * blocks + b]);
        mx = fmax(mx, partial[items + ch * blocks + b]);
    }
    const float rmin = running[ch], rmax = running[nch + ch];
    const int first = rmin == INFINITY && rmax == -INFINITY;
    running[ch] = first ? mn : rmin + c * (mn - rmin);
    running[nch + ch] = first ? mx : rmax + c * (mx - rmax);
}

/* PyTorch's calculate_qparams: lo = min(min, 0), hi = max(max, 0);
 *   symmetric: s = max(−lo, hi) / ((qmax − qmin) / 2), z = 0
 *   affine: s = (hi − lo) / (qmax − qmin), z = clamp(qmin − rint(lo / s), qmin, qmax)
 * with s = max(s, eps), eps = 2^-23 (float32 epsilon). */
__kernel void observer_params(__global const float *running, __global float *scale, __global float *zero,
                              const uint nch, const int bits)
{
    const uint c = get_global_id(0);
    if (c >= nch) return;
    const float qmax = SYMMETRIC ? (float)((1 << (bits - 1)) - 1) : (float)((1 << bits) - 1);
    const float qmin = SYMMETRIC ? -qmax : 0.0f;
    const float lo = fmin(running[c], 0.0f), hi = fmax(running[nch + c], 0.0f);
    float s = SYMMETRIC ? fmax(-lo, hi) / ((qmax - qmin) / 2.0f) : (hi - lo) / (qmax - qmin);
    s = fmax(s, FLT_EPSILON);
    zero[c] = SYMMETRIC ? 0.0f : clamp(qmin - rint(lo / s), qmin, qmax);
    scale[c] = s; /* after zero: without a zero tensor the host passes scale for both */
}
