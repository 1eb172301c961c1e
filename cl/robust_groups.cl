/* Statistics over groups of rows (include/clnn/robust.h): group DRO's
 * per-group losses and weight update, fairret's per-group statistics and
 * gradient. The sums over rows run in row order in one work-item each
 * (groups are few): deterministic, no atomics. */
#include "torch_sign.clh"

/* stats[g] = Σ losses of group g and stats[G + g] = its count; the last
 * work-item (g = G) counts the ids outside [0, G) into stats[2G]. */
__kernel void dro_group_sums(__global float *stats, __global const float *losses, __global const int *ids,
                             const uint rows, const uint groups)
{
    const uint g = get_global_id(0);
    if (g > groups) return;
    float sum = 0.0f, count = 0.0f;
    for (uint r = 0; r < rows; r++) {
        const int id = ids[r];
        const int bad = id < 0 || (uint)id >= groups;
        if (g == groups) {
            count += bad ? 1.0f : 0.0f;
        } else if (!bad && (uint)id == g) {
            sum += losses[r];
            count += 1.0f;
        }
    }
    if (g < groups) {
        stats[g] = sum;
        stats[groups + g] = count;
    } else {
        stats[2 * groups] = count;
    }
}

/* One work-item: ℓ_g = sum_g / max(n_g, 1); q_g ← q_g e^(η ℓ_g), normalised
 * (the largest exponent subtracted first); loss = Σ q_g ℓ_g; then stats[g]
 * = q_g / max(n_g, 1), the scale of group g's rows. Any bad id: NaN. */
__kernel void dro_update(__global float *q, __global float *loss, __global float *stats, const uint groups,
                         const float eta, const int want_loss)
{
    if (get_global_id(0) != 0) return;
    const float bad = stats[2 * groups] > 0.0f ? NAN : 0.0f;
    float top = -INFINITY;
    for (uint g = 0; g < groups; g++) {
        stats[g] /= fmax(stats[groups + g], 1.0f); /* ℓ_g */
        top = fmax(top, log(q[g]) + eta * stats[g]);
    }
    float z = 0.0f;
    for (uint g = 0; g < groups; g++) z += exp(log(q[g]) + eta * stats[g] - top);
    float total = 0.0f;
    for (uint g = 0; g < groups; g++) {
        const float qg = exp(log(q[g]) + eta * stats[g] - top) / z + bad;
        total += qg * stats[g];
        q[g] = qg;
        stats[g] = qg / fmax(stats[groups + g], 1.0f);
    }
    if (want_loss) loss[0] = total + bad;
}

/* fairret: work-item k < K: stats[k] = S_k = Σ_i s_ik, stats[K + k] = Σ_i
 * s_ik h_i; work-item K: stats[2K] = Σ_i h_i. */
__kernel void fairret_stats(__global float *stats, __global const float *h, __global const float *s,
                            const uint rows, const uint groups)
{
    const uint k = get_global_id(0);
    if (k > groups) return;
    float a = 0.0f, b = 0.0f;
    for (uint i = 0; i < rows; i++) {
        const float hi = h[i];
        if (k < groups) {
            const float sik = s[(size_t)i * groups + k];
            a += sik;
            b += sik * hi;
        } else {
            b += hi;
        }
    }
    if (k < groups) {
        stats[k] = a;
        stats[groups + k] = b;
    } else {
        stats[2 * groups] = b;
    }
}

/* One work-item per row i: dh_i = Σ_k sign(γ_k/γ̄ − 1)(s_ik/(S_k γ̄) −
 * γ_k/(γ̄² N)); row 0 also writes loss = Σ_k |γ_k/γ̄ − 1|. */
__kernel void fairret_loss_grad(__global float *loss, __global float *dh, __global const float *stats,
                                __global const float *s, const uint rows, const uint groups, const int want_loss,
                                const int want_grad)
{
    const uint i = get_global_id(0);
    if (i >= rows) return;
    const float n = (float)rows, mean = stats[2 * groups] / n;
    float total = 0.0f, g = 0.0f;
    for (uint k = 0; k < groups; k++) {
        const float sk = stats[k], gamma = stats[groups + k] / sk, dev = gamma / mean - 1.0f;
        total += fabs(dev);
        if (want_grad) g += torch_sign(dev) * (s[(size_t)i * groups + k] / (sk * mean) - gamma / (mean * mean * n));
    }
    if (want_grad) dh[i] = g;
    if (want_loss && i == 0) loss[0] = total;
}
