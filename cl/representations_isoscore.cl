/* IsoScore* (I-STAR, include/clnn/representations.h): from the covariance
 * c [d, d] of the batch (representations_vicreg.cl and a CLBlast GEMM) and
 * an optional shrinkage target c0, C' = (1 − ζ) c + ζ c0 is formed on the
 * fly: isoscore_stats sums t = tr C' and f = ‖C'‖² in one work-group over
 * fixed lanes (rowreduce.clh's tree: the bits never depend on the local
 * size); isoscore_grad writes the loss and G = dloss/dC'. */
#include "rowreduce.clh"

static inline float shrunk(__global const float *c, __global const float *c0, const size_t e, const float zeta,
                           const int has_c0)
{
    float v = (1.0f - zeta) * c[e];
    if (has_c0) v += zeta * c0[e];
    return v;
}

/* stats[0] = t, stats[1] = f (one work-group). */
__kernel void isoscore_stats(__global float *stats, __global const float *c, __global const float *c0, const uint d,
                             const uint lanes, const float zeta, const int has_c0, __local rowstat *scratch)
{
    const size_t n = (size_t)d * d;
    for (uint lane = get_local_id(0); lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (size_t e = lane; e < n; e += lanes) {
            const float v = shrunk(c, c0, e, zeta, has_c0);
            r.a += e % (d + 1) == 0 ? v : 0.0f; /* the diagonal: e = i (d + 1) */
            r.b += v * v;
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (get_local_id(0) == 0) {
        stats[0] = r.a;
        stats[1] = r.b;
    }
}

/* loss[0] = λ(1 − (t²/f − 1)/(d − 1)) (work-item 0, with want_loss), and
 * g[i, j] = −λ/(d − 1)(2t/f [i = j] − 2t²/f² C'[i, j]) (with want_grad). */
__kernel void isoscore_grad(__global float *loss, __global float *g, __global const float *c,
                            __global const float *c0, __global const float *stats, const uint d, const float zeta,
                            const float lambda, const int has_c0, const int want_loss, const int want_grad)
{
    const size_t e = get_global_id(0), n = (size_t)d * d;
    if (e >= n) return;
    const float t = stats[0], f = stats[1], dm1 = (float)(d - 1u);
    if (want_loss && e == 0) loss[0] = lambda * (1.0f - (t * t / f - 1.0f) / dm1);
    if (!want_grad) return;
    const float k = -lambda / dm1, diag = e % (d + 1) == 0 ? 2.0f * t / f : 0.0f;
    g[e] = k * (diag - 2.0f * t * t / (f * f) * shrunk(c, c0, e, zeta, has_c0));
}
