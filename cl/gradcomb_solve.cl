/* Gradient combination, after stage 1 of the Gram matrix (cl/gradcomb.cl;
 * src/gradcomb/, include/clnn/gradcomb.h): stage 2 of the Gram
 * reduction and the small per-step solve that turns the Gram matrix into
 * combination coefficients (PCGrad, gradient surgery with an EMA, AMP's
 * projection). Tiny kernels: their switches are arguments, one build. */
#include "index.clh"
#include "philox.clh"

/* Stage 2: work-item s < na·nb (k = s / nb, l = s % nb) sums its parts in
 * order into gram[out + (a_off + k)·kdim + b_off + l], adding to the value
 * there when acc is set (the running total over the list's tensors), and
 * mirrors it to [b_off + l][a_off + k] for an off-diagonal block. */
__kernel void gram_final(__global const float *partial, __global float *gram, const uint parts, const uint na,
                         const uint nb, const uint kdim, const uint a_off, const uint b_off, const uint out,
                         const uint acc)
{
    uint s, k, l;
    if (!grid_item(na, nb, &s, &k, &l)) return;
    float sum = 0.0f;
    for (uint p = 0; p < parts; p++) sum += partial[s * parts + p];
    const uint idx = out + (a_off + k) * kdim + b_off + l;
    const float v = acc ? gram[idx] + sum : sum;
    gram[idx] = v;
    if (a_off != b_off) gram[out + (b_off + l) * kdim + a_off + k] = v;
}

/* The per-step solve, one work-item, from the Gram matrix G (kdim x kdim):
 *   mode 0 PCGrad (Yu et al. 2020): for each task i, a = e_i; for each other
 *          task j in a random order (Fisher-Yates over the others, the swap
 *          partner of position s drawn as philox_word(seed, stream, i·kdim + s)
 *          mod (s + 1), s from the last position down to 1):
 *          d = Σ_k a_k G[k][j] (= <g_i^PC, g_j>); if d < 0 and G[j][j] > 0,
 *          a_j −= d / G[j][j]. coef[k] = Σ_i a_k (the sum of the projected
 *          gradients as a combination of the originals). kdim <= 64.
 *   mode 1 gradient surgery, G of (v0 = the EMA, v1 = the other gradient):
 *          param 0 (EMA of the main gradient, Bloop): c = G01/G00,
 *            coef = {1, lambda, −lambda·c} for (g_main, g_aux, ema)
 *          param 1 (EMA of the auxiliary gradient): c = G01/G11,
 *            coef = {1 − lambda·c, lambda} for (g_main, ema)
 *          c = 0 when the denominator is 0.
 *   mode 2 AMP: coef[t] = min(1, lambda / (sqrt(G[t]) + 1e-12)) for t < kdim
 *          (kdim squared norms, one per ball). */
__kernel void gram_solve(__global const float *gram, __global float *coef, const uint mode, const uint kdim,
                         const ulong seed, const uint stream, const uint param, const float lambda)
{
    if (get_global_id(0) != 0) return;
    if (mode == 0) {
        float total[64], a[64];
        uint order[64];
        for (uint k = 0; k < kdim; k++) total[k] = 0.0f;
        for (uint i = 0; i < kdim; i++) {
            uint n = 0;
            for (uint k = 0; k < kdim; k++) {
                a[k] = k == i ? 1.0f : 0.0f;
                if (k != i) order[n++] = k;
            }
            for (uint s = n; s-- > 1;) {
                const uint r = philox_word(seed, stream, (ulong)i * kdim + s) % (s + 1);
                const uint t = order[s];
                order[s] = order[r];
                order[r] = t;
            }
            for (uint q = 0; q < n; q++) {
                const uint j = order[q];
                float d = 0.0f;
                for (uint k = 0; k < kdim; k++) d += a[k] * gram[k * kdim + j];
                const float gjj = gram[j * kdim + j];
                if (d < 0.0f && gjj > 0.0f) a[j] -= d / gjj;
            }
            for (uint k = 0; k < kdim; k++) total[k] += a[k];
        }
        for (uint k = 0; k < kdim; k++) coef[k] = total[k];
    } else if (mode == 1) {
        const float den = param == 0 ? gram[0] : gram[3];
        const float c = den > 0.0f ? gram[1] / den : 0.0f;
        coef[0] = param == 0 ? 1.0f : 1.0f - lambda * c;
        coef[1] = lambda;
        if (param == 0) coef[2] = -lambda * c;
    } else {
        for (uint t = 0; t < kdim; t++) coef[t] = fmin(1.0f, lambda / (sqrt(gram[t]) + 1e-12f));
    }
}
