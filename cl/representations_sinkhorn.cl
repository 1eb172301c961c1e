/* Log-domain Sinkhorn normalization and its backward through the
 * iterations (src/representations/sinkhorn.c, include/clnn/representations.h).
 *
 * Scores s [batch, n, m], K = s / tau. Only the potentials are kept: pot
 * holds f_t [batch, n] at f_off and g_t [batch, m] at g_off (element offsets),
 * and every kernel recomputes the entries of K + f + g it needs, so no
 * n x m matrix is written per iteration.
 *   rows:  f_i = log_a - LSE_j(K_ij + g_j)   one work-group per row, the row
 *          dealt to fixed lanes and merged by rowreduce.clh's pairwise tree
 *   cols:  g_j = log_b - LSE_i(K_ij + f_i)   one work-item per column, rows in
 *          order (adjacent work-items read adjacent columns)
 * Neither depends on the local size. Row kernels reach every barrier
 * unconditionally (one work-group per row, no early return). */
#include "index.clh"
#include "rowreduce.clh"

/* One online log-sum-exp step (Milakov & Gimelshein 2018) without branches,
 * so that the loops vectorize on CPU runtimes: one exp per term. (m, s)
 * start at (-INFINITY, 0); the terms are finite (a NaN propagates). */
static inline void lse_step(float *m, float *s, const float u)
{
    const float d = u - *m; /* +INF for the first term */
    const float e = exp(-fabs(d));
    *s = d > 0.0f ? *s * e + 1.0f : *s + e;
    *m = fmax(*m, u);
}

/* Merges scratch[0..lanes) with the fixed pairwise tree of row_reduce; every
 * work-item gets the result. Reached by every work-item of the group. */
static inline __attribute__((always_inline))
rowstat lanes_merge(const uint lanes, __local rowstat *scratch)
{
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint stride = lanes / 2; stride > 0; stride /= 2) {
        for (uint lane = lid; lane < stride; lane += nloc)
            scratch[lane] = rowstat_merge(scratch[lane], scratch[lane + stride]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const rowstat r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Forward row step: f = log_a - LSE_j(K_ij + g_j) (g = 0 without has_g). */
__kernel void sinkhorn_rows(__global float *pot, const uint f_off, const uint g_off, const int has_g,
                            __global const float *s, const uint n, const uint m, const uint lanes,
                            const float inv_tau, const float log_a, __local rowstat *scratch)
{
    const uint row = get_group_id(0), lid = get_local_id(0);
    uint b;
    split_index(row, n, &b);
    __global const float *sr = s + (size_t)row * m;
    __global const float *g = pot + g_off + (size_t)b * m;
    for (uint lane = lid; lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < m; j += lanes) lse_step(&r.m, &r.s, sr[j] * inv_tau + (has_g ? g[j] : 0.0f));
        scratch[lane] = r;
    }
    const rowstat r = lanes_merge(lanes, scratch);
    if (lid == 0) pot[f_off + row] = log_a - (r.m + log(r.s));
}

/* Forward column step: g = log_b - LSE_i(K_ij + f_i); with write_p also
 * P_ij = exp(K_ij + f_i + g_j) (the last iteration). */
__kernel void sinkhorn_cols(__global float *pot, const uint f_off, const uint g_off, __global float *p,
                            const int write_p, __global const float *s, const uint batch, const uint n,
                            const uint m, const float inv_tau, const float log_b)
{
    uint gid, b, j;
    if (!grid_item(batch, m, &gid, &b, &j)) return;
    __global const float *sc = s + (size_t)b * n * m + j;
    __global const float *f = pot + f_off + (size_t)b * n;
    float mx = -INFINITY, sum = 0.0f;
    for (uint i = 0; i < n; i++) lse_step(&mx, &sum, sc[(size_t)i * m] * inv_tau + f[i]);
    const float g = log_b - (mx + log(sum));
    pot[g_off + gid] = g;
    for (uint i = 0; write_p && i < n; i++)
        p[(size_t)b * n * m + (size_t)i * m + j] = exp(sc[(size_t)i * m] * inv_tau + f[i] + g);
}

/* Backward through the column step of iteration t (g_t from K + f_t), one
 * work-group per row. With P^t = exp(K + f_t + g_t) and the column weights
 * Q = P^t / b (inv_b = 1 / b):
 *   v_ij = P^t_ij (dp_ij [first only] - dg_j inv_b)
 *   df_i = sum_j v_ij,   ds_ij = (first ? 0 : ds_ij) + v_ij / tau
 * `first` is the last iteration, whose P^t is the output (dL/dlog P = P dp). */
__kernel void sinkhorn_back_rows(__global float *df, __global float *ds, __global const float *dg,
                                 __global const float *dp, const int first, __global const float *pot,
                                 const uint f_off, const uint g_off, __global const float *s, const uint n,
                                 const uint m, const uint lanes, const float inv_tau, const float inv_b,
                                 __local rowstat *scratch)
{
    const uint row = get_group_id(0), lid = get_local_id(0);
    uint b;
    split_index(row, n, &b);
    const size_t off = (size_t)row * m;
    __global const float *g = pot + g_off + (size_t)b * m;
    __global const float *dgb = dg + (size_t)b * m;
    const float f = pot[f_off + row];
    for (uint lane = lid; lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < m; j += lanes) {
            const float pt = exp(s[off + j] * inv_tau + f + g[j]);
            const float v = pt * ((first ? dp[off + j] : 0.0f) - dgb[j] * inv_b);
            r.a += v;
            ds[off + j] = (first ? 0.0f : ds[off + j]) + v * inv_tau;
        }
        scratch[lane] = r;
    }
    const rowstat r = lanes_merge(lanes, scratch);
    if (lid == 0) df[row] = r.a;
}

/* Backward through the row step of iteration t (f_t from K + g_{t-1}; a = 1,
 * so the row weights are R = exp(K + f_t + g_{t-1})), one work-item per column:
 *   w_ij = -df_i R_ij,  dg_{t-1,j} = sum_i w_ij,  ds_ij += w_ij / tau.
 * With init instead: dg_j = sum_i P_ij dp_ij for the output P = exp(K + f + g)
 * of the last iteration (f_off, g_off its potentials), ds untouched. */
__kernel void sinkhorn_back_cols(__global float *dg, __global float *ds, __global const float *df,
                                 __global const float *dp, const int init, __global const float *pot,
                                 const uint f_off, const uint g_off, const int has_g, __global const float *s,
                                 const uint batch, const uint n, const uint m, const float inv_tau)
{
    uint gid, b, j;
    if (!grid_item(batch, m, &gid, &b, &j)) return;
    const float g = has_g ? pot[g_off + gid] : 0.0f;
    __global const float *f = pot + f_off + (size_t)b * n;
    __global const float *dfb = df + (size_t)b * n;
    float acc = 0.0f;
    for (uint i = 0; i < n; i++) {
        const size_t at = (size_t)b * n * m + (size_t)i * m + j;
        const float e = exp(s[at] * inv_tau + f[i] + g);
        if (init) {
            acc += e * dp[at];
        } else {
            const float w = -dfb[i] * e;
            acc += w;
            ds[at] += w * inv_tau;
        }
    }
    dg[gid] = acc;
}
