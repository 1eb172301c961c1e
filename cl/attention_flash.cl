/* Memory-efficient (flash-style) scaled dot-product attention: no
 * [B, Hd, Sq, Sk] buffer. Rows are the B*Hd*Sq queries in order; the R query
 * heads of one kv head are RSq = R*Sq contiguous rows. A work-group takes L
 * consecutive rows (or keys) of one kv head (L = the local size; group g is
 * tile g % tiles of kv head g / tiles, tiles = ceil(RSq / L)) and streams the
 * other side through local memory BK at a time; each work-item owns one row
 * (or key) and keeps its sums in private arrays of the head sizes HD (q, k)
 * and HDV (v), compiled in. Items past the end of their kv head re-read its
 * last row, reach every barrier and write nothing.
 * Forward: online softmax per row (running max m and sum l, the output
 * rescaled by exp(m_old - m_new) once per tile), lse = m + log l.
 * Backward (FlashAttention-2, Dao 2023): delta_i = dout_i . out_i first; then
 * p_ij = exp(s_ij - lse_i) is recomputed, dp_ij = keep_ij (dout_i . v_j) / (1 - p),
 * ds_ij = p_ij (dp_ij - delta_i); dq by rows, dk and dv by keys: every output
 * is written by one work-item in a fixed order (no atomics).
 * Masks as cl/attention_mask.clh; DROP 1: dropout from Philox, the same mask
 * as attn_dropout (element ((b Hd + h) Sq + i) Sk + j = row Sk + j).
 * A row with every key excluded: l = 0, out = 0, lse = -inf, p = 0. */
#include "attention_mask.clh"
#include "philox.clh"

#ifndef HD
#define HD 32
#endif
#ifndef HDV
#define HDV 32
#endif
#ifndef BK
#define BK 16
#endif
#ifndef DROP
#define DROP 0
#endif

/* Tile t of kv head kv for this group, from the group id (the / and % pair as split_index). */
static inline uint flash_item(uint per_kv, uint *kv, uint *valid)
{
    const uint L = get_local_size(0), tiles = (per_kv + L - 1) / L;
    const uint t = split_index(get_group_id(0), tiles, kv);
    const uint r = t * L + get_local_id(0);
    *valid = r < per_kv;
    return r < per_kv ? r : per_kv - 1;
}

/* keep / (1 - p) of Philox element e, or 1 without dropout */
static inline float flash_keep(ulong e, const float p, const float keep_scale, const ulong seed, const uint stream)
{
#if DROP
    return philox_uniform(seed, stream, e) >= p ? keep_scale : 0.0f;
#else
    (void)e, (void)p, (void)seed, (void)stream;
    return keep_scale;
#endif
}

__kernel void attn_flash_forward(__global const float *q, __global const float *k, __global const float *v,
                                 __global float *out, __global float *lse, const uint RSq, const uint Sq, const uint Sk,
                                 const uint Hd, const float scale, const int causal, __global const uint *mask,
                                 const uint msb, const uint msh, __global const int *kpm, const float p,
                                 const float keep_scale, const ulong seed, const uint stream, const ulong offset)
{
    __local float ks[BK * HD], vs[BK * HDV];
    uint kv, valid;
    const uint r = flash_item(RSq, &kv, &valid), row = kv * RSq + r, L = get_local_size(0), lid = get_local_id(0);
    uint bh;
    const uint i = split_index(row, Sq, &bh);
    const long last = attn_last_key(causal, i, Sq, Sk);
    float qr[HD], acc[HDV], s[BK];
    for (uint d = 0; d < HD; d++) qr[d] = q[(size_t)row * HD + d];
    for (uint e = 0; e < HDV; e++) acc[e] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    __global const float *kb = k + (size_t)kv * Sk * HD, *vb = v + (size_t)kv * Sk * HDV;
    for (uint j0 = 0; j0 < Sk; j0 += BK) {
        const uint n = min((uint)BK, Sk - j0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint x = lid; x < n * HD; x += L) ks[x] = kb[(size_t)j0 * HD + x];
        for (uint x = lid; x < n * HDV; x += L) vs[x] = vb[(size_t)j0 * HDV + x];
        barrier(CLK_LOCAL_MEM_FENCE);
        float mt = m;
        for (uint jj = 0; jj < n; jj++) {
            float dot = 0.0f;
            for (uint d = 0; d < HD; d++) dot += qr[d] * ks[jj * HD + d];
            s[jj] = attn_mask_score(scale * dot, bh, i, j0 + jj, Sk, Hd, last, mask, msb, msh, kpm);
            mt = fmax(mt, s[jj]);
        }
        /* mt = -inf: nothing seen yet; the factors below then stay 0 */
        const float shift = mt == -INFINITY ? 0.0f : mt, c = exp(m - shift);
        l *= c;
        for (uint e = 0; e < HDV; e++) acc[e] *= c;
        for (uint jj = 0; jj < n; jj++) {
            const float pe = exp(s[jj] - shift);
            l += pe;
            const float w = pe * flash_keep(offset + (ulong)row * Sk + j0 + jj, p, keep_scale, seed, stream);
            for (uint e = 0; e < HDV; e++) acc[e] += w * vs[jj * HDV + e];
        }
        m = mt;
    }
    if (valid) {
        const float inv = l > 0.0f ? 1.0f / l : 0.0f;
        for (uint e = 0; e < HDV; e++) out[(size_t)row * HDV + e] = acc[e] * inv;
        lse[row] = l > 0.0f ? m + log(l) : -INFINITY;
    }
}

/* delta_i = dout_i . out_i, one work-item per row. */
__kernel void attn_flash_delta(__global const float *dout, __global const float *out, __global float *delta,
                               const uint rows)
{
    const uint row = get_global_id(0);
    if (row >= rows) return;
    float s = 0.0f;
    for (uint e = 0; e < HDV; e++) s += dout[(size_t)row * HDV + e] * out[(size_t)row * HDV + e];
    delta[row] = s;
}

/* dq_i = scale sum_j ds_ij k_j, by rows like the forward. */
__kernel void attn_flash_dq(__global const float *q, __global const float *k, __global const float *v,
                            __global const float *dout, __global const float *lse, __global const float *delta,
                            __global float *dq, const uint RSq, const uint Sq, const uint Sk, const uint Hd,
                            const float scale, const int causal, __global const uint *mask, const uint msb,
                            const uint msh, __global const int *kpm, const float p, const float keep_scale,
                            const ulong seed, const uint stream, const ulong offset)
{
    __local float ks[BK * HD], vs[BK * HDV];
    uint kv, valid;
    const uint r = flash_item(RSq, &kv, &valid), row = kv * RSq + r, L = get_local_size(0), lid = get_local_id(0);
    uint bh;
    const uint i = split_index(row, Sq, &bh);
    const long last = attn_last_key(causal, i, Sq, Sk);
    float qr[HD], dor[HDV], acc[HD];
    for (uint d = 0; d < HD; d++) qr[d] = q[(size_t)row * HD + d], acc[d] = 0.0f;
    for (uint e = 0; e < HDV; e++) dor[e] = dout[(size_t)row * HDV + e];
    const float li = lse[row], di = delta[row];
    __global const float *kb = k + (size_t)kv * Sk * HD, *vb = v + (size_t)kv * Sk * HDV;
    for (uint j0 = 0; j0 < Sk; j0 += BK) {
        const uint n = min((uint)BK, Sk - j0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint x = lid; x < n * HD; x += L) ks[x] = kb[(size_t)j0 * HD + x];
        for (uint x = lid; x < n * HDV; x += L) vs[x] = vb[(size_t)j0 * HDV + x];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint jj = 0; jj < n; jj++) {
            float dot = 0.0f, dpd = 0.0f;
            for (uint d = 0; d < HD; d++) dot += qr[d] * ks[jj * HD + d];
            for (uint e = 0; e < HDV; e++) dpd += dor[e] * vs[jj * HDV + e];
            const float s = attn_mask_score(scale * dot, bh, i, j0 + jj, Sk, Hd, last, mask, msb, msh, kpm);
            const float pij = li == -INFINITY ? 0.0f : exp(s - li);
            const float dp = dpd * flash_keep(offset + (ulong)row * Sk + j0 + jj, p, keep_scale, seed, stream);
            const float ds = pij * (dp - di);
            for (uint d = 0; d < HD; d++) acc[d] += ds * ks[jj * HD + d];
        }
    }
    if (valid)
        for (uint d = 0; d < HD; d++) dq[(size_t)row * HD + d] = scale * acc[d];
}

/* dk_j = scale sum_i ds_ij q_i and dv_j = sum_i keep_ij p_ij / (1 - p) dout_i over
 * the RSq rows of key j's kv head, by keys: group g takes L keys of kv head
 * g / tiles and streams the rows BK at a time. */
__kernel void attn_flash_dkv(__global const float *q, __global const float *k, __global const float *v,
                             __global const float *dout, __global const float *lse, __global const float *delta,
                             __global float *dk, __global float *dv, const uint RSq, const uint Sq, const uint Sk,
                             const uint Hd, const float scale, const int causal, __global const uint *mask,
                             const uint msb, const uint msh, __global const int *kpm, const float p,
                             const float keep_scale, const ulong seed, const uint stream, const ulong offset)
{
    __local float qs[BK * HD], ds_[BK * HDV], ls[BK], dls[BK];
    uint kv, valid;
    const uint j = flash_item(Sk, &kv, &valid), L = get_local_size(0), lid = get_local_id(0);
    const size_t key = (size_t)kv * Sk + j;
    float kr[HD], vr[HDV], gk[HD], gv[HDV];
    for (uint d = 0; d < HD; d++) kr[d] = k[key * HD + d], gk[d] = 0.0f;
    for (uint e = 0; e < HDV; e++) vr[e] = v[key * HDV + e], gv[e] = 0.0f;
    const size_t row0 = (size_t)kv * RSq;
    for (uint r0 = 0; r0 < RSq; r0 += BK) {
        const uint n = min((uint)BK, RSq - r0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint x = lid; x < n * HD; x += L) qs[x] = q[(row0 + r0) * HD + x];
        for (uint x = lid; x < n * HDV; x += L) ds_[x] = dout[(row0 + r0) * HDV + x];
        for (uint x = lid; x < n; x += L) ls[x] = lse[row0 + r0 + x], dls[x] = delta[row0 + r0 + x];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint rr = 0; rr < n; rr++) {
            const uint row = (uint)row0 + r0 + rr;
            uint bh;
            const uint i = split_index(row, Sq, &bh);
            float dot = 0.0f, dpd = 0.0f;
            for (uint d = 0; d < HD; d++) dot += qs[rr * HD + d] * kr[d];
            for (uint e = 0; e < HDV; e++) dpd += ds_[rr * HDV + e] * vr[e];
            const float s = attn_mask_score(scale * dot, bh, i, j, Sk, Hd, attn_last_key(causal, i, Sq, Sk), mask,
                                            msb, msh, kpm);
            const float li = ls[rr], pij = li == -INFINITY ? 0.0f : exp(s - li);
            const float keep = flash_keep(offset + (ulong)row * Sk + j, p, keep_scale, seed, stream);
            const float ds = pij * (dpd * keep - dls[rr]), pd = pij * keep;
            for (uint e = 0; e < HDV; e++) gv[e] += pd * ds_[rr * HDV + e];
            for (uint d = 0; d < HD; d++) gk[d] += ds * qs[rr * HD + d];
        }
    }
    if (valid) {
        for (uint d = 0; d < HD; d++) dk[key * HD + d] = scale * gk[d];
        for (uint e = 0; e < HDV; e++) dv[key * HDV + e] = gv[e];
    }
}
