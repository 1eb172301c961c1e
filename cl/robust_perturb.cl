/* Input perturbations of adversarial training (include/clnn/robust.h) and
 * ELLE's random points. The step and the random start are one work-group
 * per sample of d elements (the problem {N, d} of the row skeleton); their
 * per-sample norms are rowreduce.clh's ROW_DOT over `lanes` fixed lanes and
 * its fixed tree, so the bits never depend on the local size. The step is a
 * compile-time variant (PERTURB_KIND), so no barrier sits under a branch;
 * neither kernel returns early. elle_points is element-wise. */
#include "index.clh"
#include "philox.clh"
#include "rowreduce.clh"
#include "torch_sign.clh"

#define PERTURB_FGSM 0
#define PERTURB_PGD_LINF 1
#define PERTURB_PGD_L2 2
#define PERTURB_VAT 3
#ifndef PERTURB_KIND
#define PERTURB_KIND PERTURB_PGD_LINF
#endif
#define PERTURB_BALL_L2 (PERTURB_KIND == PERTURB_PGD_L2 || PERTURB_KIND == PERTURB_VAT)

/* Writes the perturbation v of element j: clipped to [lo, hi] around x with
 * clip (δ then follows the clipped input), as the step's last pass. */
static inline void perturb_store(__global float *dl, __global float *xa, __global const float *xr, const uint j,
                                 float v, const int clip, const float lo, const float hi)
{
    const float x = xr[j];
    float adv = x + v;
    if (clip) {
        adv = clamp(adv, lo, hi);
        v = adv - x;
    }
    dl[j] = v;
    xa[j] = adv;
}

/* One step (include/clnn/robust.h's table): sample get_group_id(0). */
__kernel void perturb_step(__global float *delta, __global float *x_adv, __global const float *x,
                           __global const float *g, const uint d, const uint lanes, const float eps,
                           const float alpha, const int clip, const float lo, const float hi,
                           __local rowstat *scratch)
{
    const size_t off = (size_t)get_group_id(0) * d;
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    __global float *dl = delta + off, *xa = x_adv + off;
    __global const float *xr = x + off, *gr = g + off;
#if PERTURB_BALL_L2
    const float gnorm = sqrt(row_reduce(ROW_DOT, gr, gr, d, 0.0f, lanes, scratch).a);
    const float k = gnorm > 0.0f ? (PERTURB_KIND == PERTURB_VAT ? eps : alpha) / gnorm : 0.0f;
#endif
#if PERTURB_KIND == PERTURB_PGD_L2
    for (uint j = lid; j < d; j += nloc) dl[j] += k * gr[j];
    barrier(CLK_GLOBAL_MEM_FENCE); /* the norm's lanes read other work-items' elements */
    const float dnorm = sqrt(row_reduce(ROW_DOT, dl, dl, d, 0.0f, lanes, scratch).a);
    const float shrink = dnorm > eps ? eps / dnorm : 1.0f;
#endif
    for (uint j = lid; j < d; j += nloc) {
#if PERTURB_KIND == PERTURB_FGSM
        const float v = eps * torch_sign(gr[j]);
#elif PERTURB_KIND == PERTURB_PGD_LINF
        const float v = clamp(dl[j] + alpha * torch_sign(gr[j]), -eps, eps);
#elif PERTURB_KIND == PERTURB_PGD_L2
        const float v = dl[j] * shrink;
#else
        const float v = k * gr[j];
#endif
        perturb_store(dl, xa, xr, j, v, clip, lo, hi);
    }
}

/* A random start in the ε-ball (L∞, or L2 with PERTURB_BALL_L2) of sample
 * get_group_id(0), element e of the whole tensor at index off + j:
 *   L∞: δ_e = ε (2 u_e − 1), u_e = philox_uniform(seed, stream, e);
 *   L2: n_e the normal of element e (as random_normal_f32), then
 *       δ = ε r^(1/d) n/‖n‖, r = philox_uniform(seed, stream + 1, sample).
 * Then clipped as the step. */
__kernel void perturb_random_start(__global float *delta, __global float *x_adv, __global const float *x,
                                   const uint d, const uint lanes, const float eps, const int clip, const float lo,
                                   const float hi, const ulong seed, const uint stream, __local rowstat *scratch)
{
    const uint sample = get_group_id(0);
    const size_t off = (size_t)sample * d;
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    __global float *dl = delta + off, *xa = x_adv + off;
    __global const float *xr = x + off;
#if PERTURB_BALL_L2
    for (uint j = lid; j < d; j += nloc) {
        const ulong e = off + j;
        dl[j] = philox_lane4(philox_block_normals(seed, stream, (uint)(e >> 2)), (uint)e & 3u);
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    const float norm = sqrt(row_reduce(ROW_DOT, dl, dl, d, 0.0f, lanes, scratch).a);
    const float radius = eps * pow(philox_uniform(seed, stream + 1u, sample), 1.0f / (float)d);
    const float k = norm > 0.0f ? radius / norm : 0.0f;
    for (uint j = lid; j < d; j += nloc) perturb_store(dl, xa, xr, j, k * dl[j], clip, lo, hi);
#else
    (void)lanes;
    (void)scratch;
    for (uint j = lid; j < d; j += nloc)
        perturb_store(dl, xa, xr, j, eps * (2.0f * philox_uniform(seed, stream, off + j) - 1.0f), clip, lo, hi);
#endif
}

/* ELLE's points (include/clnn/robust.h), element e of sample e / d:
 * x_a = x + ε(2u − 1) with u of word e of `stream`, x_b the same on stream
 * + 1, α the uniform of word (sample) of stream + 2, x_c = (1 − α) x_a +
 * α x_b, each clipped with clip; the sample's first element writes α. */
__kernel void elle_points(__global float *xa, __global float *xb, __global float *xc, __global float *alpha,
                          __global const float *x, const uint n, const divisor d, const float eps, const int clip,
                          const float lo, const float hi, const ulong seed, const uint stream)
{
    const uint e = get_global_id(0);
    if (e >= n) return;
    uint sample;
    const uint j = split_by(e, d, &sample);
    const float a = philox_uniform(seed, stream + 2u, sample), xe = x[e];
    float va = xe + eps * (2.0f * philox_uniform(seed, stream, e) - 1.0f);
    float vb = xe + eps * (2.0f * philox_uniform(seed, stream + 1u, e) - 1.0f);
    if (clip) {
        va = clamp(va, lo, hi);
        vb = clamp(vb, lo, hi);
    }
    float vc = (1.0f - a) * va + a * vb;
    if (clip) vc = clamp(vc, lo, hi);
    xa[e] = va;
    xb[e] = vb;
    xc[e] = vc;
    if (j == 0) alpha[sample] = a;
}
