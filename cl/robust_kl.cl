/* The KL terms of include/clnn/robust.h, one work-group per row on the row
 * skeleton (rowreduce.clh), fixed lanes and trees (the bits never depend on
 * the local size):
 * - robust_kl (TRADES, ARoW): the two row maxima, then ROW_EXP_MOMENTS over
 *   z (Σ exp(z − m), and Σ exp(z − m)(z − z_adv) for the KL) and over z_adv,
 *   then the gradient pass; label weights as the losses (rowweight.clh);
 * - lp_reg: the row max, the full and the min-p filtered sums, the gradient. */
#include "logexp.clh"
#include "rowreduce.clh"
#include "rowweight.clh"

__kernel void robust_kl(__global float *partial, __global float *dz, __global float *dza, __global const float *z,
                        __global const float *za, __global const int *labels, const uint cols, const uint lanes,
                        const float lambda, const int arow, const float scale, __global const float *wbuf,
                        const int weighted, const int ignore_index, const int want_dz, const int want_dza,
                        __local rowstat *scratch)
{
    const rowslot s = row_whole();
    const uint row = s.row;
    const size_t off = (size_t)row * cols;
    __global const float *zr = z + off, *ar = za + off;
    const int label = labels[row];
    const rowweight rw = row_weight(wbuf, weighted, scale, label, ignore_index, row);
    const int out = label < 0 || (uint)label >= cols, invalid = out && !rw.ignored;
    const uint y = out ? 0u : (uint)label;
    const float mz = row_max_at(s, zr, cols, lanes, scratch);
    const float ma = row_max_at(s, ar, cols, lanes, scratch);
    const rowstat rz = row_reduce_at(s, ROW_EXP_MOMENTS, zr, ar, cols, mz, lanes, scratch);
    const rowstat ra = row_reduce_at(s, ROW_EXP_MOMENTS, ar, ar, cols, ma, lanes, scratch);
    const float lse_z = mz + log(rz.c), lse_a = ma + log(ra.c), c = lse_z - lse_a;
    const float kl = rz.b / rz.c - c;
    const float qy = exp(ar[y] - lse_a), w = arow ? 2.0f * (1.0f - qy) : 1.0f, lw = lambda * w;
    if (s.out == 0) partial[row] = row_weighted_value(rw, invalid, (lse_z - zr[y]) + lw * kl);
    const float gs = row_grad_scale(rw, invalid), kq = arow ? 2.0f * kl * qy : 0.0f;
    for (uint j = s.out; (want_dz || want_dza) && j < cols; j += s.nloc) {
        const float zj = zr[j], aj = ar[j], is_y = j == y ? 1.0f : 0.0f;
        const float pj = clnn_expf(zj - lse_z), qj = clnn_expf(aj - lse_a);
        if (want_dz) dz[off + j] = row_weighted_grad1(rw, gs, (pj - is_y) + lw * pj * (((zj - aj) - c) - kl));
        if (want_dza) dza[off + j] = row_weighted_grad1(rw, gs, lambda * (w * (qj - pj) - kq * (is_y - qj)));
    }
}

/* Lp-Reg: with m the row max and the min-p filter S = {j : z_j − m >=
 * log min_p}, s = Σ_j e^(z_j − m) and s_S = Σ_{j in S} e^(z_j − m):
 *   loss = β (log s − log s_S),  dz_j = scale β (e^(z_j − m)/s − [j in S] e^(z_j − m)/s_S). */
__kernel void lp_reg(__global float *partial, __global float *dz, __global const float *z, const uint cols,
                     const uint lanes, const float log_min_p, const float beta, const float scale,
                     const int want_grad, __local rowstat *scratch)
{
    const rowslot s = row_whole();
    const size_t off = (size_t)s.row * cols;
    __global const float *zr = z + off;
    const float m = row_max_at(s, zr, cols, lanes, scratch);
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < cols; j += lanes) {
            const float u = zr[j] - m, e = clnn_expf(u);
            r.a += e;
            r.b += u >= log_min_p ? e : 0.0f;
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_at(s, lanes, scratch);
    if (s.lane == 0) partial[s.row] = beta * (log(r.a) - log(r.b));
    const float k = scale * beta;
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) {
        const float u = zr[j] - m, e = clnn_expf(u);
        dz[off + j] = k * (e / r.a - (u >= log_min_p ? e / r.b : 0.0f));
    }
}
