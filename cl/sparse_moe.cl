/* Mixture-of-experts routing. Router logits z [T, E] (one row per token);
 * scores s = softmax(z) over the experts (GATE 0) or s = sigmoid(z)
 * elementwise (GATE 1). Each token picks its k experts by the largest
 * biased score s_e + b_e (cl/orderkey.clh order; ties to the lower expert)
 * -- the bias steers the choice only -- and gets the gates g_q = s_{e_q},
 * divided by Σ_q s_{e_q} when renormalized.
 *
 *   moe_route           one work-item per token: the biased keys once
 *                       (scratch), then k selection passes over them;
 *                       indices [T, k] in descending biased score, gates [T, k]
 *   moe_route_backward  one work-item per token: dz from dgates through
 *                       the gates (the selection is constant)
 *   moe_load            one work-group per expert: integer count of the
 *                       (token, slot) pairs routed to it
 *   moe_bias_update     one work-item per expert: b_e += u·sign(mean load −
 *                       load_e), decided in 64-bit integers
 *   moe_aux_loss        one work-item per token: the Switch load-balancing
 *                       term and its gradient (host sums the partials)
 * Every sum runs in a fixed order inside one work-item or in integers, so
 * the results do not depend on the local size. */
#include "orderkey.clh"

/* Softmax needs the row max and Σ exp(z − max); sigmoid needs nothing. */
static inline float2 row_stats(__global const float *z, const uint E, const int gate)
{
    float m = -INFINITY, sum = 0.0f;
    if (gate == 0) {
        for (uint e = 0; e < E; e++) m = fmax(m, z[e]);
        for (uint e = 0; e < E; e++) sum += exp(z[e] - m);
        for (uint e = 0; e < E; e++) /* a NaN logit makes the whole row NaN */
            if (isnan(z[e])) sum = NAN;
    }
    return (float2)(m, sum);
}

static inline float score(__global const float *z, const uint e, const int gate, const float2 st)
{
    return gate == 0 ? exp(z[e] - st.x) / st.y : 1.0f / (1.0f + exp(-z[e]));
}

/* keys: scratch [T, E] for the order keys of the biased scores, computed
 * once so that the k selection passes compare integers only. */
__kernel void moe_route(__global const float *logits, __global const float *bias, __global uint *keys,
                        __global int *indices, __global float *gates, const uint T, const uint E, const uint k,
                        const int gate, const int renormalize, const int has_bias)
{
    const uint t = get_global_id(0);
    if (t >= T) return;
    __global const float *z = logits + (size_t)t * E;
    __global uint *kt = keys + (size_t)t * E;
    const float2 st = row_stats(z, E, gate);
    for (uint e = 0; e < E; e++) {
        const float s = score(z, e, gate, st);
        kt[e] = order_key(has_bias ? s + bias[e] : s);
    }
    /* slot q takes the best expert after the previous pick in the order
     * (biased key descending, expert ascending) */
    uint prev_key = 0xFFFFFFFFu, prev_e = 0u, first = 1u;
    float total = 0.0f;
    for (uint q = 0; q < k; q++) {
        uint best_key = 0u, best_e = E;
        for (uint e = 0; e < E; e++) {
            const uint key = kt[e];
            const int after = first || key < prev_key || (key == prev_key && e > prev_e);
            if (after && (best_e == E || key > best_key)) best_key = key, best_e = e;
        }
        prev_key = best_key, prev_e = best_e, first = 0u;
        const float g = score(z, best_e, gate, st);
        indices[(size_t)t * k + q] = (int)best_e;
        gates[(size_t)t * k + q] = g;
        total += g;
    }
    if (renormalize)
        for (uint q = 0; q < k; q++) gates[(size_t)t * k + q] /= total;
}

/* dgates -> dz for the token's selected experts (indices must be distinct
 * and in [0, E); an index outside makes the row NaN). With gates g and
 * A = Σ_q g_q·dg_q:
 *   softmax, renormalized: dz_{e_q} = g_q (dg_q − A), others 0
 *   softmax, plain:        dz_j = p_j (dg_j − A), dg_j = 0 off the selection
 *   sigmoid, renormalized: dz_{e_q} = (dg_q − A)/S · s_q (1 − s_q), S = Σ_q s_{e_q}
 *   sigmoid, plain:        dz_{e_q} = dg_q · s_q (1 − s_q) */
__kernel void moe_route_backward(__global const float *logits, __global const int *indices,
                                 __global const float *dgates, __global float *dlogits, const uint T, const uint E,
                                 const uint k, const int gate, const int renormalize)
{
    const uint t = get_global_id(0);
    if (t >= T) return;
    __global const float *z = logits + (size_t)t * E;
    __global const int *idx = indices + (size_t)t * k;
    __global const float *dg = dgates + (size_t)t * k;
    __global float *dz = dlogits + (size_t)t * E;
    const float2 st = row_stats(z, E, gate);
    float total = 0.0f, a = 0.0f;
    int valid = 1;
    for (uint q = 0; q < k; q++) {
        const int e = idx[q];
        valid = valid && e >= 0 && (uint)e < E;
        total += valid ? score(z, (uint)e, gate, st) : 0.0f;
    }
    for (uint q = 0; q < k; q++) {
        const float s = valid ? score(z, (uint)idx[q], gate, st) : 0.0f;
        a += (renormalize ? s / total : s) * dg[q];
    }
    /* the softmax without renormalization reaches every logit */
    for (uint e = 0; e < E; e++) dz[e] = valid ? (gate == 0 && !renormalize ? -score(z, e, gate, st) * a : 0.0f) : NAN;
    if (!valid) return;
    for (uint q = 0; q < k; q++) {
        const uint e = (uint)idx[q];
        const float s = score(z, e, gate, st);
        float d;
        if (gate == 0) d = renormalize ? s / total * (dg[q] - a) : s * dg[q];
        else d = (renormalize ? (dg[q] - a) / total : dg[q]) * s * (1.0f - s);
        dz[e] += d;
    }
}

/* load[e] = #{(t, q) : indices[t, q] = e}; one work-group per expert,
 * private counts added with a local integer atomic (exact). */
__kernel void moe_load(__global const int *indices, __global int *load, const uint pairs)
{
    __local uint count;
    const uint e = get_group_id(0), lid = get_local_id(0);
    if (lid == 0) count = 0u;
    barrier(CLK_LOCAL_MEM_FENCE);
    uint c = 0u;
    for (uint i = lid; i < pairs; i += get_local_size(0)) c += indices[i] == (int)e;
    atomic_add(&count, c);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) load[e] = (int)count;
}

/* b_e += u·sign(mean − load_e), mean = Σ load / E, compared exactly as
 * sign(Σ load − E·load_e) in 64-bit integers (sign(0) = 0). */
__kernel void moe_bias_update(__global const int *load, __global float *bias, const uint E, const float rate)
{
    const uint e = get_global_id(0);
    if (e >= E) return;
    long total = 0;
    for (uint i = 0; i < E; i++) total += load[i];
    const long diff = total - (long)E * load[e];
    bias[e] += diff > 0 ? rate : diff < 0 ? -rate : 0.0f;
}

/* Switch load balancing (Fedus et al. 2022) for token t: p = softmax(z_t),
 * f_e = load_e / (T·k) (the fraction of routed pairs), partial_t = Σ_e f_e p_e,
 * so the loss c·Σ_t partial_t = α·E·Σ_e f_e·P_e with P_e = mean_t p_e and
 * c = α·E/T; f is a constant (counts), so dz_j = c·p_j (f_j − partial_t). */
__kernel void moe_aux_loss(__global float *partial, __global float *dlogits, __global const float *logits,
                           __global const int *load, const uint T, const uint E, const float inv_pairs,
                           const float c, const int want_grad)
{
    const uint t = get_global_id(0);
    if (t >= T) return;
    __global const float *z = logits + (size_t)t * E;
    const float2 st = row_stats(z, E, 0);
    float dot = 0.0f;
    for (uint e = 0; e < E; e++) dot += (float)load[e] * inv_pairs * score(z, e, 0, st);
    partial[t] = dot;
    if (want_grad)
        for (uint e = 0; e < E; e++) {
            const float p = score(z, e, 0, st);
            dlogits[(size_t)t * E + e] = c * p * ((float)load[e] * inv_pairs - dot);
        }
}
