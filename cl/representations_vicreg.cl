/* VICReg's variance and covariance terms (src/representations/vicreg.c,
 * include/clnn/representations.h) on embeddings z [n, d], plus the sum of a
 * term's partials into one value.
 *
 * Column statistics in two fixed stages, coalesced on GPUs and independent
 * of the local size: stage 1 has one work-item per (lane l, VW adjacent
 * columns), columns fastest, running Welford's update over rows l,
 * l + lanes, ... in order (lanes depends on n only, host side); stage 2
 * merges the lanes of a column in lane order with Chan et al.'s pairwise
 * formula. The elementwise passes over z walk the same way. VW (4 when d is
 * a multiple of 4, else 1; a function of the shape) gives each work-item a
 * vector of columns: CPU runtimes such as PoCL do not vectorize a work-item
 * loop that walks down a column, and run 4-9x faster with it; each column's
 * recurrence is the same either way. No kernel here has a barrier except
 * vicreg_value, which runs every barrier unconditionally. */
#include "index.clh"
#include "reduce.clh"

#ifndef VW
#define VW 1
#endif
#if VW == 4
typedef float4 floatv;
#define LOADV(p) vload4(0, (p))
#define STOREV(v, p) vstore4((v), 0, (p))
#else
typedef float floatv;
#define LOADV(p) (*(p))
#define STOREV(v, p) (*(p) = (v))
#endif

/* Rows of z that lane l of `lanes` visits. */
static inline uint lane_rows(const uint n, const uint l, const uint lanes) { return (n - l + lanes - 1) / lanes; }

/* The work-item's lane (in *l) and first column, or 0 with *l = lanes past the end. */
static inline uint lane_column(const uint d, const uint lanes, uint *l)
{
    const uint gid = get_global_id(0), dv = d / VW;
    if (gid >= lanes * dv) {
        *l = lanes;
        return 0;
    }
    return VW * split_index(gid, dv, l);
}

/* part[0][l][j] = mean, part[1][l][j] = M2 of column j over the rows of lane l. */
__kernel void col_moments(__global float *part, __global const float *z, const uint n, const uint d,
                          const uint lanes)
{
    uint l;
    const uint j = lane_column(d, lanes, &l);
    if (l >= lanes) return;
    floatv mean = 0.0f, m2 = 0.0f;
    float count = 0.0f;
    for (uint i = l; i < n; i += lanes) {
        const floatv x = LOADV(z + (size_t)i * d + j);
        count += 1.0f;
        const floatv delta = x - mean;
        mean += delta / count;
        m2 += delta * (x - mean);
    }
    STOREV(mean, part + (size_t)l * d + j);
    STOREV(m2, part + (size_t)(lanes + l) * d + j);
}

/* Per column j, into stats [3][d]: the hinge max(0, gamma - s_j) (first, so
 * that its sum reads stats from offset 0), mean_j and s_j = sqrt(Var_j + eps)
 * with the unbiased variance (n >= 2). */
__kernel void col_stats(__global float *stats, __global const float *part, const uint n, const uint d,
                        const uint lanes, const float gamma, const float eps)
{
    const uint j = get_global_id(0);
    if (j >= d) return;
    float mean = part[j], m2 = part[(size_t)lanes * d + j], count = (float)lane_rows(n, 0, lanes);
    for (uint l = 1; l < lanes; l++) {
        const float cb = (float)lane_rows(n, l, lanes), total = count + cb;
        const float mb = part[(size_t)l * d + j], delta = mb - mean;
        mean += delta * (cb / total);
        m2 += part[(size_t)(lanes + l) * d + j] + delta * delta * (count * cb / total);
        count = total;
    }
    const float s = sqrt(m2 / (float)(n - 1) + eps);
    stats[j] = fmax(0.0f, gamma - s);
    stats[(size_t)d + j] = mean;
    stats[2 * (size_t)d + j] = s;
}

/* Variance-hinge gradient: g = coef (z_ij - mean_j) / s_j where the hinge is
 * active (coef = -w / (d (n - 1))), 0 elsewhere; dz = g or dz + g. */
__kernel void variance_grad(__global float *dz, __global const float *z, __global const float *stats,
                            const uint n, const uint d, const uint lanes, const float coef, const int accumulate)
{
    uint l;
    const uint j = lane_column(d, lanes, &l);
    if (l >= lanes) return;
    const floatv s = LOADV(stats + 2 * (size_t)d + j), mean = LOADV(stats + (size_t)d + j);
    const floatv k = select((floatv)0.0f, coef / s, isgreater(LOADV(stats + j), (floatv)0.0f));
    for (uint i = l; i < n; i += lanes) {
        __global float *out = dz + (size_t)i * d + j;
        const floatv g = k * (LOADV(z + (size_t)i * d + j) - mean);
        STOREV(accumulate ? LOADV(out) + g : g, out);
    }
}

/* zc = z - mean_j (the centred embeddings the covariance GEMMs use). */
__kernel void center_cols(__global float *zc, __global const float *z, __global const float *stats, const uint n,
                          const uint d, const uint lanes)
{
    uint l;
    const uint j = lane_column(d, lanes, &l);
    if (l >= lanes) return;
    const floatv mean = LOADV(stats + (size_t)d + j);
    for (uint i = l; i < n; i += lanes) STOREV(LOADV(z + (size_t)i * d + j) - mean, zc + (size_t)i * d + j);
}

/* partial[j] = sum over i != j of C_ij^2 down column j of the covariance
 * C [d, d], in row order; then C_jj = 0, so that C holds offdiag(C) for the
 * gradient GEMM. Only work-item j reads column j, so the write is race-free.
 * The diagonal is skipped, not subtracted: off-diagonal entries near 0 next
 * to a diagonal near 1 keep their precision. */
__kernel void offdiag_sq(__global float *c, __global float *partial, const uint d)
{
    const uint j = get_global_id(0);
    if (j >= d) return;
    float acc = 0.0f;
    for (uint i = 0; i < d; i++) {
        const float v = c[(size_t)i * d + j];
        acc += i == j ? 0.0f : v * v;
    }
    partial[j] = acc;
    c[(size_t)j * d + j] = 0.0f;
}

/* out[out_offset] = scale * sum of partial[0..n): one work-group over
 * RED_LANES fixed lanes (reduce.clh), whatever its local size. */
__kernel void vicreg_value(__global float *out, const uint out_offset, __global const float *partial, const uint n,
                           const float scale)
{
    __local float lanes[RED_LANES];
    RED_FOR_LANES(lane) {
        float acc = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n) acc += partial[i];
        lanes[lane] = acc;
    }
    const float total = red_tree_sum(lanes);
    if (get_local_id(0) == 0) out[out_offset] = scale * total;
}
