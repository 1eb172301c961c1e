/* AAER (include/clnn/robust.h): per-row V_i = ‖z_adv,i − z_0,i‖² (the row
 * skeleton's ROW_MSE), the batch statistics in one work-group over fixed
 * lanes (rowreduce.clh's tree: the bits never depend on the local size),
 * then the penalty and the gradients element-wise. */
#include "index.clh"
#include "rowreduce.clh"

/* v[row] = Σ_j (z_adv − z_0)², one work-group per row. */
__kernel void aaer_row_distance(__global float *v, __global const float *z0, __global const float *za,
                                const uint cols, const uint lanes, __local rowstat *scratch)
{
    const size_t off = (size_t)get_group_id(0) * cols;
    const rowstat r = row_reduce(ROW_MSE, za + off, z0 + off, cols, 0.0f, lanes, scratch);
    if (get_local_id(0) == 0) v[get_group_id(0)] = r.a;
}

/* stats = (|A|, Σ_A (ℓ_0 − ℓ_adv), Σ_A V, Σ V) over the n rows, one work-group. */
__kernel void aaer_stats(__global float *stats, __global const float *l0, __global const float *la,
                         __global const float *v, const uint n, const uint lanes, __local rowstat *scratch)
{
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint i = lane; i < n; i += lanes) {
            const int abnormal = la[i] < l0[i];
            r.a += abnormal ? 1.0f : 0.0f;
            r.b += abnormal ? l0[i] - la[i] : 0.0f;
            r.c += abnormal ? v[i] : 0.0f;
        }
        scratch[lane] = r;
    }
    const rowstat ra = row_merge_lanes(lanes, scratch);
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint i = lane; i < n; i += lanes) r.a += v[i];
        scratch[lane] = r;
    }
    const rowstat rv = row_merge_lanes(lanes, scratch);
    if (lid == 0) {
        stats[0] = ra.a;
        stats[1] = ra.b;
        stats[2] = ra.c;
        stats[3] = rv.a;
    }
}

/* The penalty (work-item 0) and, per element e of [n, cols], row i = e / cols:
 *   g0[e] = k_l g0[e] − k_v (za − z0),  ga[e] = −k_l ga[e] + k_v (za − z0),
 * k_l = λ₁λ₂/N in A (else 0), k_v = 2λ₁λ₃/N in A and −2λ₁λ₃|A|/(N|¬A|)
 * outside when V_A > V_¬A (else 0). */
__kernel void aaer_apply(__global float *penalty, __global float *g0, __global float *ga,
                         __global const float *l0, __global const float *la, __global const float *z0,
                         __global const float *za, __global const float *stats, const uint n, const divisor cols,
                         const float l1, const float l2, const float l3, const int want_penalty, const int want_g0,
                         const int want_ga)
{
    const uint e = get_global_id(0), count = n * cols.x;
    const float na = stats[0], nr = (float)n - stats[0];
    const float va = na > 0.0f ? stats[2] / na : 0.0f, vr = nr > 0.0f ? (stats[3] - stats[2]) / nr : 0.0f;
    const int gap = va > vr;
    if (want_penalty && e == 0)
        penalty[0] = na > 0.0f ? l1 * na / (float)n * (l2 * stats[1] / na + l3 * fmax(va - vr, 0.0f)) : 0.0f;
    if (e >= count || !(want_g0 || want_ga)) return;
    const uint i = div_by(e, cols);
    const int abnormal = la[i] < l0[i];
    const float kl = abnormal ? l1 * l2 / (float)n : 0.0f;
    const float kv = !gap ? 0.0f : abnormal ? 2.0f * l1 * l3 / (float)n : -2.0f * l1 * l3 * na / ((float)n * nr);
    const float diff = za[e] - z0[e];
    if (want_g0) g0[e] = kl * g0[e] - kv * diff;
    if (want_ga) ga[e] = -kl * ga[e] + kv * diff;
}
