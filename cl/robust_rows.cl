/* Reweighting of per-row losses and their gradients (include/clnn/robust.h):
 * flooding and iFlood (the flooded values, and the gradients scaled in place
 * by the sign of loss − b), ELLE's penalty terms, and the in-place scaling
 * of per-row gradients by a coefficient per row (ELLE) or per group (group
 * DRO). Element-wise; the row of element e is e / d (a prepared divisor: no
 * integer division per element). */
#include "index.clh"
#include "torch_sign.clh"

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
    if (e < n) grad[e] *= scale * torch_sign(losses[div_by(e, d)] - b);
}

/* grad[e] *= coef[e / d]. */
__kernel void scale_rows(__global float *grad, __global const float *coef, const uint n, const divisor d)
{
    const uint e = get_global_id(0);
    if (e < n) grad[e] *= coef[div_by(e, d)];
}

/* grad[e] *= coef[ids[e / d]], NaN for an id outside [0, groups). */
__kernel void scale_rows_by_group(__global float *grad, __global const float *coef, __global const int *ids,
                                  const uint n, const divisor d, const uint groups)
{
    const uint e = get_global_id(0);
    if (e >= n) return;
    const int id = ids[div_by(e, d)];
    grad[e] *= id >= 0 && (uint)id < groups ? coef[id] : NAN;
}

/* ELLE: r = l_c − (1 − α) l_a − α l_b per sample; partial[i] = λ r², and
 * (ca, cb, cc)[i] = (dE/dl_a, dE/dl_b, dE/dl_c) of E = λ mean r². */
__kernel void elle_terms(__global float *partial, __global float *ca, __global float *cb, __global float *cc,
                         __global const float *la, __global const float *lb, __global const float *lc,
                         __global const float *alpha, const uint n, const float lambda)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float a = alpha[i], r = lc[i] - (1.0f - a) * la[i] - a * lb[i], k = 2.0f * lambda * r / (float)n;
    partial[i] = lambda * r * r;
    ca[i] = -(1.0f - a) * k;
    cb[i] = -a * k;
    cc[i] = k;
}
