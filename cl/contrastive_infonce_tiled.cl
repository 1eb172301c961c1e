/* Memory-efficient InfoNCE (clnn_infonce_tiled): the anchors x candidates
 * similarity matrix is never stored. A work-group owns a block of TR rows
 * (anchors in tiled_lse; anchors or candidates in tiled_grad) and streams the
 * other side in tiles of TC, recomputing each TR x TC tile of dot products
 * into local memory.
 *
 * Order of every sum, and why the bits do not depend on TR, TC, DK or the
 * local size: a dot product is summed by one work-item over k = 0..d-1; a row's
 * online log-sum-exp (running max and sum, rowstat_lse_add) runs on fixed
 * lanes that take the candidates in index order (lane = index mod 8) and
 * merge in a fixed tree; a gradient element is
 * accumulated by one work-item over the streamed index in order, its running
 * value kept in the output between tiles. No atomics.
 *
 * Every work-item reaches every barrier: the tile loops have the same trip
 * count in the whole work-group, and rows past the end are masked, never
 * returned from. */
#include "index.clh"
#include "rowreduce.clh"
#include "contrastive.clh"

#ifndef TR
#define TR 32 /* rows owned by a work-group */
#endif
#ifndef TC
#define TC 64 /* streamed rows per tile */
#endif
#ifndef DK
#define DK 16 /* features staged in local memory at a time */
#endif

#define CB 8 /* tile columns per work-item step of the dot products (divides TC) */
#define KB 4 /* features per work-item step of the gradient sums (divides DK) */

/* The zc row of item i of a block whose items 0..n1-1 are rows r1.. and
 * the rest rows r2.. (a pass's candidates: the in-batch ones, then the
 * queue's; a block without a second part has n1 = its size). */
static inline size_t block_row(const uint i, const uint r1, const uint n1, const uint r2)
{
    return i < n1 ? (size_t)r1 + i : (size_t)r2 + (i - n1);
}

/* Features k0..k0+DK-1 of the TC streamed items from s0 (0 outside; rows
 * of zc by block_row(., sr1, sn1, sr2)) into local memory: transposed,
 * str_l[kk TC + c], for the dot products (a work-item runs along c), or
 * row-major, str_l[c DK + kk], for the gradient sums (a work-item runs
 * along kk). */
static inline void stage_streamed(__local float *str_l, __global const float *zc, const uint sr1, const uint sn1,
                                  const uint sr2, const uint s0, const uint k0, const uint n_str, const uint d,
                                  const int transposed)
{
    for (uint e = get_local_id(0); e < TC * DK; e += get_local_size(0)) {
        uint c;
        const uint kk = split_index(e, DK, &c);
        const uint s = s0 + c, k = k0 + kk;
        str_l[transposed ? kk * TC + c : e] =
            s < n_str && k < d ? zc[block_row(s, sr1, sn1, sr2) * d + k] : 0.0f;
    }
}

/* The dot products of a TR x TC tile: tile[r TC + c] = own item o0 + r .
 * streamed item s0 + c (0 outside the blocks; own items are rows
 * block_row(., or1, on1, or2) of zc, streamed ones block_row(., sr1, sn1,
 * sr2)). Both blocks pass through local memory DK features at a time; each
 * entry is still summed by one work-item over k = 0, 1, ..., d - 1 in
 * order, so the bits do not depend on DK. Every work-item must call it. */
static inline __attribute__((always_inline))
void tile_dots(__local float *tile, __local float *own_l, __local float *str_l, __global const float *zc,
               const uint or1, const uint on1, const uint or2, const uint sr1, const uint sn1, const uint sr2,
               const uint o0, const uint s0, const uint n_own, const uint n_str, const uint d)
{
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    for (uint e = lid; e < TR * TC; e += nloc) tile[e] = 0.0f;
    for (uint k0 = 0; k0 < d; k0 += DK) {
        barrier(CLK_LOCAL_MEM_FENCE); /* the previous chunk is consumed */
        for (uint e = lid; e < TR * DK; e += nloc) {
            uint r;
            const uint kk = split_index(e, DK, &r);
            const uint o = o0 + r, k = k0 + kk;
            own_l[e] = o < n_own && k < d ? zc[block_row(o, or1, on1, or2) * d + k] : 0.0f;
        }
        stage_streamed(str_l, zc, sr1, sn1, sr2, s0, k0, n_str, d, 1);
        barrier(CLK_LOCAL_MEM_FENCE);
        const uint kn = min((uint)DK, d - k0);
        /* CB neighbouring entries of one row per step (contiguous: vectors on
         * CPUs); units wholly past the matrices are skipped */
        for (uint u = lid; u < TR * (TC / CB); u += nloc) {
            uint r;
            const uint c0 = split_index(u, TC / CB, &r) * CB;
            if (o0 + r < n_own && s0 + c0 < n_str) {
                __local float *t = tile + r * TC + c0;
                float acc[CB];
                for (uint j = 0; j < CB; j++) acc[j] = t[j];
                for (uint kk = 0; kk < kn; kk++) {
                    const float a = own_l[r * DK + kk];
                    for (uint j = 0; j < CB; j++) acc[j] += a * str_l[kk * TC + c0 + j];
                }
                for (uint j = 0; j < CB; j++) t[j] = acc[j];
            }
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* Forward over the anchors of this work-group: za = rows a_row0.. of the
 * stacked views zc (na anchors) against zb = rows b_row0.. (nb in-batch
 * candidates) and the queue's rows q_row0.. (nq candidates nb..nb+nq-1),
 * all [., d]. For anchor a:
 *   lse[out0 + a] = log sum_{b in D} exp(l_ab),
 *   partial[out0 + a] = lse[out0 + a] - l_{a, partner(a)}
 * (pair_logit and the roles of contrastive.clh). Each anchor's log-sum-exp
 * runs on LSE_LANES lanes, lane j taking the candidates b = j (mod
 * LSE_LANES) in index order with a running max and sum, and the lanes merge
 * in a fixed tree at the end: the candidate index alone decides the order,
 * so the bits do not depend on TR, TC or the local size, and LSE_LANES
 * work-items share a row. */
#define LSE_LANES 8 /* divides TC */
__kernel void tiled_lse(__global float *lse, __global float *partial, const uint out0, __global const float *zc,
                        const uint a_row0, const uint b_row0, const uint na, const uint nb, const uint d,
                        const uint pos_off, const int self_excl, const float inv_tau, const float margin,
                        const int decoupled, const uint q_row0, const uint nq, const int batch_neg)
{
    const uint ncand = nb + nq;
    __local float tile[TR * TC], own_l[TR * DK], str_l[DK * TC];
    __local float run_m[TR * LSE_LANES], run_s[TR * LSE_LANES], run_pos[TR];
    const uint lid = get_local_id(0), nloc = get_local_size(0), a0 = get_group_id(0) * TR;
    for (uint u = lid; u < TR * LSE_LANES; u += nloc) {
        run_m[u] = -INFINITY;
        run_s[u] = 0.0f;
    }
    for (uint r = lid; r < TR; r += nloc) run_pos[r] = 0.0f;
    for (uint b0 = 0; b0 < ncand; b0 += TC) {
        barrier(CLK_LOCAL_MEM_FENCE); /* the previous tile is consumed */
        tile_dots(tile, own_l, str_l, zc, a_row0, na, a_row0, b_row0, nb, q_row0, a0, b0, na, ncand, d);
        for (uint u = lid; u < TR * LSE_LANES; u += nloc) {
            uint r;
            const uint lane = split_index(u, LSE_LANES, &r);
            const uint a = a0 + r, partner = partner_of(a, pos_off, nb);
            rowstat st = rowstat_empty();
            st.m = run_m[u];
            st.s = run_s[u];
            for (uint c = lane; a < na && c < TC && b0 + c < ncand; c += LSE_LANES) {
                const uint b = b0 + c;
                const int self = takes_no_part(a, b, partner, self_excl, nb, batch_neg), pos = !self && b == partner;
                const float l = pair_logit(tile[r * TC + c], pos, margin, inv_tau);
                if (in_denominator(self, pos, decoupled)) rowstat_lse_add(&st, l);
                if (pos) run_pos[r] = l; /* one lane of one tile holds the partner */
            }
            run_m[u] = st.m;
            run_s[u] = st.s;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint r = lid; r < TR; r += nloc) {
        const uint a = a0 + r;
        if (a < na) {
            rowstat x[LSE_LANES];
            for (uint j = 0; j < LSE_LANES; j++) {
                x[j] = rowstat_empty();
                x[j].m = run_m[r * LSE_LANES + j];
                x[j].s = run_s[r * LSE_LANES + j];
            }
            for (uint span = LSE_LANES / 2; span > 0; span /= 2) /* fixed pairwise tree */
                for (uint j = 0; j < span; j++) x[j] = rowstat_merge(x[j], x[j + span]);
            const float v = x[0].m + log(x[0].s);
            lse[out0 + a] = v;
            partial[out0 + a] = v - run_pos[r];
        }
    }
}

/* Backward: this work-group owns items o0..o0+TR-1 of one side and streams
 * the other: the anchors (rows a_row0.., na) and the candidates (the nb
 * in-batch rows b_row0.., then the nq queue rows q_row0..). Owning the
 * anchors it streams all nb + nq candidates; owning the candidates it owns
 * the nb in-batch ones and, with own_queue, the queue's too (their gradient
 * only feeds the temperature's; accumulate_queue plays accumulate's part
 * for them). Gradient rows are the owned rows of dzc. The similarity of
 * (own o, streamed s) is a dot product, and the pair is (anchor, candidate)
 * = (o, s) when own_anchors, else (s, o).
 * With g_ab = coef (softmax_D(l_a.)_b - [b = partner(a)]) (coef = gscale/tau;
 * lse: tiled_lse's, from lse0, indexed by anchor):
 *   grad[o, k] (+)= sum_s g(o, s) str[s, k]
 * i.e. dza = g zb for the anchors, dzb = g^T za for the candidates. With
 * accumulate the sum starts from grad's contents (the second direction of
 * the symmetric loss, or the candidate half of NT-Xent), else from 0. */
__kernel void tiled_grad(__global float *dzc, __global const float *zc, const uint a_row0, const uint b_row0,
                         __global const float *lse_all, const uint lse0, const uint na, const uint nb,
                         const uint d, const int own_anchors, const uint pos_off, const int self_excl,
                         const float inv_tau, const float margin, const int decoupled, const float coef,
                         const int accumulate, const uint q_row0, const uint nq, const int own_queue,
                         const int accumulate_queue, const int batch_neg)
{
    /* own and streamed blocks as (first rows, their count, the rest's rows) */
    const uint or1 = own_anchors ? a_row0 : b_row0, on1 = own_anchors ? na : nb;
    const uint sr1 = own_anchors ? b_row0 : a_row0, sn1 = own_anchors ? nb : na;
    const uint n_own = own_anchors ? na : nb + (own_queue ? nq : 0u), n_str = own_anchors ? nb + nq : na;
    __global const float *lse = lse_all + lse0;
    __local float tile[TR * TC], own_l[TR * DK], str_l[DK * TC];
    const uint lid = get_local_id(0), nloc = get_local_size(0), o0 = get_group_id(0) * TR;
    for (uint s0 = 0; s0 < n_str; s0 += TC) {
        barrier(CLK_LOCAL_MEM_FENCE); /* the previous tile is consumed */
        tile_dots(tile, own_l, str_l, zc, or1, on1, q_row0, sr1, sn1, q_row0, o0, s0, n_own, n_str, d);
        for (uint e = lid; e < TR * TC; e += nloc) { /* similarities -> dloss/dsimilarity */
            uint r;
            const uint c = split_index(e, TC, &r);
            const uint o = o0 + r, s = s0 + c;
            float g = 0.0f;
            if (o < n_own && s < n_str) {
                const uint a = own_anchors ? o : s, b = own_anchors ? s : o, partner = partner_of(a, pos_off, nb);
                const int self = takes_no_part(a, b, partner, self_excl, nb, batch_neg), pos = !self && b == partner;
                const float l = pair_logit(tile[e], pos, margin, inv_tau);
                g = pair_grad(l, lse[a], in_denominator(self, pos, decoupled), pos, 1.0f, coef);
            }
            tile[e] = g;
        }
        /* grad[o, k] (+)= sum_c g[r, c] str[s0 + c, k], the streamed rows
         * staged DK features at a time; c in order */
        const uint cend = min((uint)TC, n_str - s0);
        for (uint k0 = 0; k0 < d; k0 += DK) {
            barrier(CLK_LOCAL_MEM_FENCE); /* g written; the previous chunk consumed */
            stage_streamed(str_l, zc, sr1, sn1, q_row0, s0, k0, n_str, d, 0);
            barrier(CLK_LOCAL_MEM_FENCE);
            /* KB neighbouring features of one row per step */
            for (uint u = lid; u < TR * (DK / KB); u += nloc) {
                uint r;
                const uint kb = split_index(u, DK / KB, &r) * KB;
                const uint o = o0 + r, k = k0 + kb;
                if (o < n_own && k < d) {
                    __global float *out = dzc + block_row(o, or1, on1, q_row0) * d + k;
                    const uint kn = min((uint)KB, d - k);
                    const int fresh = s0 == 0 && !(o < on1 ? accumulate : accumulate_queue);
                    float acc[KB];
                    for (uint j = 0; j < KB; j++) acc[j] = j < kn && !fresh ? out[j] : 0.0f;
                    for (uint c = 0; c < cend; c++) {
                        const float g = tile[r * TC + c];
                        for (uint j = 0; j < KB; j++) acc[j] += g * str_l[c * DK + kb + j];
                    }
                    for (uint j = 0; j < kn; j++) out[j] = acc[j];
                }
            }
        }
    }
}
