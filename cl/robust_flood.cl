/* Flooding and iFlood (include/clnn/robust.h): the flooded values of
 * per-row losses, and the in-place scaling of their gradients by the sign
 * of (loss − b). Element-wise; the row of element e is e / d (a prepared
 * divisor: no integer division per element). */
#include "index.clh"

/* torch's sign: -1, 0 or 1 (NaN stays NaN). */
static inline float flood_sign(const float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v; }

/* out[i] = |loss_i − b| + b. */
__kernel void flood_values(__global float *out, __global const float *losses, const uint n, const float b)
{
    const uint i = get_global_id(0);
    if (i < n) out[i] = fabs(losses[i] - b) + b;
}

/* grad[e] *= scale · sign(losses[e / d] − b). */
__kernel void flood_scale(__global float *grad, __global const float *losses, const uint n, const divisor d,
                          const float b, const float scale)
{
    const uint e = get_global_id(0);
    if (e < n) grad[e] *= scale * flood_sign(losses[div_by(e, d)] - b);
}
