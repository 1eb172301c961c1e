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

/* Channel ch of every group in turn: lane l takes elements l, l + 256, ...
 * of the channel (min and max are exact, so the order does not change the
 * result), the tree merges the lanes, work-item 0 updates the running
 * values: the first update (running min +inf and max −inf) takes the
 * batch's, later ones m ← m + c·(batch − m). NaN is ignored (fmin/fmax).
 * Any local size and group count covers every channel and lane. */
__kernel void observer_update(__global const float *x, __global float *running, const uint nch, const uint len,
                              const divisor inner, const float c)
{
    __local float lo[OBS_LANES], hi[OBS_LANES];
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    for (uint ch = get_group_id(0); ch < nch; ch += get_num_groups(0)) {
        for (uint lane = lid; lane < OBS_LANES; lane += nloc) {
            float mn = INFINITY, mx = -INFINITY;
            for (uint t = lane; t < len; t += OBS_LANES) {
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
            const float rmin = running[ch], rmax = running[nch + ch];
            const int first = rmin == INFINITY && rmax == -INFINITY;
            running[ch] = first ? lo[0] : rmin + c * (lo[0] - rmin);
            running[nch + ch] = first ? hi[0] : rmax + c * (hi[0] - rmax);
        }
        barrier(CLK_LOCAL_MEM_FENCE); /* lanes are refilled for the next channel */
    }
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
