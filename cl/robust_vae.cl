/* The VAE's KL term and reparameterisation step (include/clnn/robust.h).
 * vae_kl: one work-group per sample row of d latent elements, the row's sum
 * over `lanes` fixed lanes and rowreduce.clh's fixed tree (the bits never
 * depend on the local size), the gradient in the same pass (it does not
 * depend on the sum). The reparameterisation kernels take four elements a
 * work-item, one Philox block of normals (as random_normal_f32). */
#include "logexp.clh"
#include "philox.clh"
#include "rowreduce.clh"

/* partial[row] = ½ Σ_j (μ² + expm1(lv) − lv) (expm1: e^lv − 1 − lv stays
 * exact as lv → 0); dmu = scale μ, dlv = scale ½ expm1(lv). */
__kernel void vae_kl(__global float *partial, __global float *dmu, __global float *dlv, __global const float *mu,
                     __global const float *lv, const uint d, const uint lanes, const float scale, const int want_grad,
                     __local rowstat *scratch)
{
    const uint row = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const size_t off = (size_t)row * d;
    __global const float *mr = mu + off, *lr = lv + off;
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < d; j += lanes) {
            const float m = mr[j], l = lr[j];
            r.a += m * m + (clnn_expm1f(l) - l);
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (lid == 0) partial[row] = 0.5f * r.a;
    for (uint j = lid; want_grad && j < d; j += nloc) {
        dmu[off + j] = scale * mr[j];
        dlv[off + j] = scale * 0.5f * clnn_expm1f(lr[j]);
    }
}

/* z = μ + exp(lv/2) ε, ε_e the normal of element e (seed, stream); eps (with
 * want_eps) gets ε. */
__kernel void vae_reparameterize(__global float *z, __global float *eps, __global const float *mu,
                                 __global const float *lv, const uint n, const ulong seed, const uint stream,
                                 const int want_eps)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 e = philox_block_normals(seed, stream, b);
    for (uint j = 0; j < m; j++) {
        const float ej = philox_lane4(e, j);
        z[base + j] = mu[base + j] + clnn_expf(0.5f * lv[base + j]) * ej;
        if (want_eps) eps[base + j] = ej;
    }
}

/* The backward with ε regenerated: dmu (+)= dz, dlv (+)= dz ½ exp(lv/2) ε. */
__kernel void vae_reparameterize_backward(__global float *dmu, __global float *dlv, __global const float *dz,
                                          __global const float *lv, const uint n, const ulong seed,
                                          const uint stream, const int want_dmu, const int want_dlv,
                                          const int accumulate)
{
    const uint b = get_global_id(0);
    if (4ul * b >= n) return;
    const uint base = 4u * b, m = min(4u, n - base);
    const float4 e = philox_block_normals(seed, stream, b);
    for (uint j = 0; j < m; j++) {
        const uint i = base + j;
        const float g = dz[i];
        if (want_dmu) dmu[i] = accumulate ? dmu[i] + g : g;
        if (want_dlv) {
            const float v = g * 0.5f * clnn_expf(0.5f * lv[i]) * philox_lane4(e, j);
            dlv[i] = accumulate ? dlv[i] + v : v;
        }
    }
}
