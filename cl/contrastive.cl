/* Contrastive and self-supervised objectives (include/clnn/contrastive.h):
 * the kernels around the CLBlast similarity GEMMs of src/contrastive/.
 *
 * Row kernels run one work-group per row on the lanes of rowreduce.clh
 * (fixed lanes, fixed merge tree: the bits do not depend on the local size),
 * reach every barrier unconditionally and never return early (PoCL 3.1
 * miscompiles an early return ahead of a barrier, see layers_softmax.cl). Per-row
 * values go to a partials buffer that layers_loss.cl's loss_sum adds. */
#include "index.clh"
#include "rowreduce.clh"
#include "reduce.clh"
#include "contrastive.clh"

#define NORM_EPS 1e-12f /* torch.nn.functional.normalize's eps */

/* ------------------------------------------------------- embeddings */

/* Stacks z1 [n, d] and z2 [n, d] into rows out0.. of zc (2n rows of d),
 * each row scaled by inv = 1 / max(|z|, 1e-12) when normalize (else 1).
 * rinv[out0 + row] = inv, negated where the norm was clamped (the backward
 * pass is then linear). The queue's rows come through here too (z1 = z2 =
 * the queue, out0 past the views). */
__kernel void embed_prepare(__global float *zc_all, __global float *rinv_all, __global const float *z1,
                            __global const float *z2, const uint n, const uint d, const int normalize,
                            const uint lanes, __local rowstat *scratch, const uint out0)
{
    __global float *zc = zc_all + (size_t)out0 * d;
    __global float *rinv = rinv_all + out0;
    const uint row = get_group_id(0);
    __global const float *src = row < n ? z1 + (size_t)row * d : z2 + (size_t)(row - n) * d;
    const rowstat r = row_reduce(ROW_DOT, src, src, d, 0.0f, lanes, scratch);
    const float norm = sqrt(r.a);
    const float inv = normalize ? 1.0f / fmax(norm, NORM_EPS) : 1.0f;
    if (get_local_id(0) == 0) rinv[row] = (normalize && norm < NORM_EPS) ? -inv : inv;
    for (uint j = get_local_id(0); j < d; j += get_local_size(0)) zc[(size_t)row * d + j] = src[j] * inv;
}

/* The backward of embed_prepare: from dzc [2n, d] (gradient wrt the stacked,
 * normalised rows) to dz1, dz2 (each written only when wanted):
 *   dz = inv (dzhat - zhat (zhat . dzhat))   (normalised, |z| >= 1e-12)
 *   dz = |inv| dzhat                         (not normalised, or clamped) */
__kernel void embed_finish(__global float *dz1, __global float *dz2, __global const float *dzc,
                           __global const float *zc, __global const float *rinv, const uint n, const uint d,
                           const int normalize, const int want1, const int want2, const uint lanes,
                           __local rowstat *scratch)
{
    const uint row = get_group_id(0);
    __global const float *g = dzc + (size_t)row * d;
    __global const float *zh = zc + (size_t)row * d;
    const float dot = row_reduce(ROW_DOT, zh, g, d, 0.0f, lanes, scratch).a;
    const float inv = rinv[row];
    const int project = normalize && inv > 0.0f;
    const int first = row < n;
    const int want = first ? want1 : want2;
    const size_t off = (size_t)(first ? row : row - n) * d;
    for (uint j = get_local_id(0); want && j < d; j += get_local_size(0)) {
        const float v = project ? inv * (g[j] - zh[j] * dot) : fabs(inv) * g[j];
        if (first) dz1[off + j] = v;
        else dz2[off + j] = v;
    }
}

/* ------------------------------------------------ InfoNCE family rows */

/* The sample of stacked row k (views of n samples, view-major): k mod n,
 * without a division for the first two views. */
static inline uint view_sample(const uint k, const uint n)
{
    return k < n ? k : k < 2u * n ? k - n : k % n;
}

/* One anchor row of a similarity matrix s [rows, cols] (CLBlast), in place
 * (candidates 0..nbatch-1 the in-batch ones, nbatch..cols-1 the queue's):
 *   loss_row = -1/|P| sum_{p in P} l_p + log sum_{k in D} exp(l_k)
 * l = (s - margin [positive]) / tau; P the positives (candidate
 * partner_of(row) or, with use_labels, every candidate with the row's label;
 * labels of stacked views: index k mod half_n, any number of views); D every candidate
 * but the anchor itself (self_excl) and, when decoupled, the positives.
 * partial[poff + row] = loss_row; with want_grad the row is overwritten by
 * gscale / tau * (softmax_D(l) - [positive] / |P|). */
__kernel void contrastive_rows(__global float *s, __global float *partial, __global const int *labels,
                               const uint cols, const uint poff, const uint half_n, const uint pos_off,
                               const int self_excl, const int use_labels, const float inv_tau, const float margin,
                               const int decoupled, const float gscale, const int want_grad, const uint lanes,
                               __local rowstat *scratch, const uint nbatch, const int batch_neg)
{
    const uint row = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    __global float *sr = s + (size_t)row * cols;
    const uint partner = partner_of(row, pos_off, nbatch);
    const int label = use_labels ? labels[view_sample(row, half_n)] : 0;
    /* the role of candidate j, the same in both passes */
#define ROLE(j)                                                                                     \
    const int self = takes_no_part(row, (j), partner, self_excl, nbatch, batch_neg);                \
    const int pos = !self && (j) < nbatch &&                                                        \
                    (use_labels ? labels[view_sample(j, half_n)] == label : (j) == partner);        \
    const int den = in_denominator(self, pos, decoupled);                                           \
    const float l = pair_logit(sr[j], pos, margin, inv_tau)
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < cols; j += lanes) {
            ROLE(j);
            if (den) rowstat_lse_add(&r, l);
            if (pos) {
                r.a += l;
                r.c += 1.0f;
            }
        }
        scratch[lane] = r;
    }
    const rowstat t = row_merge_lanes(lanes, scratch);
    const float lse = t.m + log(t.s); /* -INF for an empty denominator */
    if (lid == 0) partial[poff + row] = lse - t.a / t.c;
    const float inv_npos = 1.0f / t.c;
    barrier(CLK_GLOBAL_MEM_FENCE); /* every read of the row precedes the in-place writes */
    for (uint j = lid; want_grad && j < cols; j += nloc) {
        ROLE(j);
        sr[j] = pair_grad(l, lse, den, pos, inv_npos, gscale * inv_tau);
    }
#undef ROLE
}

/* ------------------------------------------------------------ MoCo queue */

/* queue[(ptr + r) mod k, j] = keys[r, j] for the n_elems = N d elements of
 * keys (N <= k, ptr < k): the rows are contiguous, so element i lands at
 * start + i = ptr d + i, less total = k d past the end (start + i < 2 total);
 * one work-item per element. */
__kernel void moco_queue_push(__global float *queue, __global const float *keys, const uint n_elems, const uint start,
                              const uint total)
{
    const uint i = get_global_id(0);
    if (i >= n_elems) return; /* no barrier in this kernel */
    const uint at = start + i; /* < total + n_elems < 2^32 (the host checks) */
    queue[at >= total ? at - total : at] = keys[i];
}

/* ----------------------------------------------------------- uniformity */

/* Row i of the Gram matrix g [n, n] of x: the online log-sum-exp over j != i
 * of u_ij = -t |x_i - x_j|^2 = -t max(g_ii + g_jj - 2 g_ij, 0) into
 * stats[2i] (max) and stats[2i+1] (sum); sqn[i] = g_ii for the weights pass. */
__kernel void uniformity_stats(__global const float *g, __global float *stats, __global float *sqn, const uint n,
                               const float t, const uint lanes, __local rowstat *scratch)
{
    const uint i = get_group_id(0), lid = get_local_id(0);
    __global const float *gr = g + (size_t)i * n;
    const float gii = gr[i];
    for (uint lane = lid; lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < n; j += lanes)
            if (j != i) rowstat_lse_add(&r, -t * fmax(gii + g[(size_t)j * n + j] - 2.0f * gr[j], 0.0f));
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (lid == 0) {
        stats[2 * i] = r.m;
        stats[2 * i + 1] = r.s;
        sqn[i] = gii;
    }
}

/* One work-group: merges the n (max, sum) pairs of uniformity_stats into
 * lse[0] = log sum_{i != j} exp(u_ij) and, when want_loss, loss[0] = lse[0] -
 * log_count (the log of the number of ordered pairs: the mean over the
 * unordered pairs is the same). */
__kernel void lse_merge(__global float *lse, __global float *loss, __global const float *stats, const uint n,
                        const float log_count, const int want_loss, const uint lanes, __local rowstat *scratch)
{
    const uint lid = get_local_id(0);
    for (uint lane = lid; lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (uint i = lane; i < n; i += lanes) {
            rowstat y = rowstat_empty();
            y.m = stats[2 * i];
            y.s = stats[2 * i + 1];
            r = rowstat_merge(r, y);
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (lid == 0) {
        const float v = r.m + log(r.s);
        lse[0] = v;
        if (want_loss) loss[0] = v - log_count;
    }
}

/* Row i of g, in place: w_ij = exp(u_ij - lse) (0 on the diagonal), the
 * softmax over all ordered pairs; rsum[i] = sum_j w_ij. */
__kernel void uniformity_weights(__global float *g, __global float *rsum, __global const float *sqn,
                                 __global const float *lse, const uint n, const float t, const uint lanes,
                                 __local rowstat *scratch)
{
    const uint i = get_group_id(0), lid = get_local_id(0);
    __global float *gr = g + (size_t)i * n;
    const float gii = sqn[i], total = lse[0];
    for (uint lane = lid; lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < n; j += lanes) {
            const float w = j == i ? 0.0f : exp(-t * fmax(gii + sqn[j] - 2.0f * gr[j], 0.0f) - total);
            gr[j] = w;
            r.a += w;
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (lid == 0) rsum[i] = r.a;
}

/* y[r, j] += alpha * coef[r] * x[r, j] over [rows, cols]; one work-item per element. */
__kernel void rows_axpy(__global float *y, __global const float *x, __global const float *coef, const uint n,
                        const uint cols, const float alpha)
{
    const uint i = get_global_id(0);
    if (i >= n) return; /* no barrier in this kernel */
    uint r;
    split_index(i, cols, &r);
    y[i] += alpha * coef[r] * x[i];
}

/* ------------------------------------------------------------ alignment */

/* Row i: partial[i] = |x_i - y_i|^alpha; dx_i = gscale alpha |d|^(alpha - 2) d,
 * dy_i = -dx_i (d = x_i - y_i; 0 where d = 0). */
__kernel void alignment_rows(__global float *partial, __global float *dx, __global float *dy,
                             __global const float *x, __global const float *y, const uint d, const float alpha,
                             const float gscale, const int want_dx, const int want_dy, const uint lanes,
                             __local rowstat *scratch)
{
    const size_t off = (size_t)get_group_id(0) * d;
    const float sq = row_reduce(ROW_MSE, x + off, y + off, d, 0.0f, lanes, scratch).a;
    if (get_local_id(0) == 0) partial[get_group_id(0)] = sq > 0.0f ? pow(sq, 0.5f * alpha) : 0.0f;
    const float c = sq > 0.0f ? gscale * alpha * pow(sq, 0.5f * alpha - 1.0f) : 0.0f;
    for (uint j = get_local_id(0); (want_dx || want_dy) && j < d; j += get_local_size(0)) {
        const float g = c * (x[off + j] - y[off + j]);
        if (want_dx) dx[off + j] = g;
        if (want_dy) dy[off + j] = -g;
    }
}

/* ---------------------------------------------------------------- GE2E */

/* c[k, j] = 1/utt sum_i e[k utt + i, j]: speaker centroids, one work-item per element, in order. */
__kernel void ge2e_centroids(__global float *c, __global const float *e, const uint spk, const uint utt,
                             const uint d)
{
    uint i, k, j;
    if (!grid_item(spk, d, &i, &k, &j)) return; /* no barrier in this kernel */
    float acc = 0.0f;
    for (uint u = 0; u < utt; u++) acc += e[((size_t)k * utt + u) * d + j];
    c[i] = acc / (float)utt;
}

/* out[r] = |x_r|^2 for the rows of x [rows, d]. */
__kernel void row_sqnorms(__global float *out, __global const float *x, const uint d, const uint lanes,
                          __local rowstat *scratch)
{
    __global const float *xr = x + (size_t)get_group_id(0) * d;
    const float a = row_reduce(ROW_DOT, xr, xr, d, 0.0f, lanes, scratch).a;
    if (get_local_id(0) == 0) out[get_group_id(0)] = a;
}

/* Utterance r = (j, i) (speaker j = r / utt) against the spk centroids. p
 * [R, spk] holds e_r . c_k on entry. The own centroid excludes e_r:
 *   cx = (utt c_j - e_r) / (utt - 1), e_r . cx = (utt p_rj - |e_r|^2) / (utt - 1),
 *   |cx|^2 = (utt^2 |c_j|^2 - 2 utt p_rj + |e_r|^2) / (utt - 1)^2.
 * Logits w cos + b; loss_r = lse - logit_j. With G = gscale (softmax - [k = j])
 * and H = w G (= dL/dcos), the gradient is assembled by the host from:
 *   p_rk <- A_rk = H_rk / (|e_r| |c_k|) for k != j, 0 for k = j   (GEMMs A C, A^T E)
 *   q_rk <- H_rk cos_rk for k != j, 0 for k = j                   (column sums: centroid norms)
 *   coef[4r..4r+3] = rho, sigma, phi, psi of ge2e_finish
 * partial[r], pdw[r], pdb[r] = loss_r, sum_k G cos, sum_k G. */
__kernel void ge2e_rows(__global float *p, __global float *q, __global float *coef, __global float *partial,
                        __global float *pdw, __global float *pdb, __global const float *esq,
                        __global const float *csq, __global const float *wp, __global const float *bp,
                        const uint spk, const uint utt, const float gscale, const int want_grad, const uint lanes,
                        __local rowstat *scratch)
{
    const uint r = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    uint own;
    split_index(r, utt, &own);
    __global float *pr = p + (size_t)r * spk;
    const float w = wp[0], b = bp[0], uf = (float)utt, u1 = uf - 1.0f;
    const float e2 = esq[r], en = sqrt(e2), pown = pr[own];
    const float cx2 = fmax((uf * uf * csq[own] - 2.0f * uf * pown + e2) / (u1 * u1), 0.0f);
    const float cos_own = (uf * pown - e2) / u1 / (en * sqrt(cx2));
#define COS(k) ((k) == own ? cos_own : pr[k] / (en * sqrt(csq[k])))
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat st = rowstat_empty();
        for (uint k = lane; k < spk; k += lanes) {
            const float logit = w * COS(k) + b;
            rowstat_lse_add(&st, logit);
            if (k == own) st.a += logit;
        }
        scratch[lane] = st;
    }
    const rowstat t = row_merge_lanes(lanes, scratch);
    const float lse = t.m + log(t.s);
    barrier(CLK_GLOBAL_MEM_FENCE); /* every read of p_r,own precedes the in-place writes */
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat st = rowstat_empty();
        for (uint k = lane; k < spk; k += lanes) {
            const float cs = COS(k);
            const float g = gscale * (exp(w * cs + b - lse) - (k == own ? 1.0f : 0.0f));
            st.a += g * cs;
            st.b += g;
            st.c += w * g * cs;
            if (want_grad) {
                q[(size_t)r * spk + k] = k == own ? 0.0f : w * g * cs;
                pr[k] = k == own ? 0.0f : w * g / (en * sqrt(csq[k]));
            }
        }
        scratch[lane] = st;
    }
    const rowstat s = row_merge_lanes(lanes, scratch);
#undef COS
    if (lid == 0) {
        partial[r] = lse - t.a;
        pdw[r] = s.a;
        pdb[r] = s.b;
    }
    if (lid == 0 && want_grad) {
        const float h_own = w * gscale * (exp(w * cos_own + b - lse) - 1.0f);
        const float ax = h_own / (en * sqrt(cx2)), bx = h_own * cos_own / cx2;
        coef[4 * r] = -s.c / e2 - ax / u1;       /* rho: times e_r */
        coef[4 * r + 1] = ax * uf / u1;          /* sigma: times c_j */
        coef[4 * r + 2] = ax + bx / u1;          /* phi: times e_r, to the other utterances */
        coef[4 * r + 3] = -bx * uf / u1;         /* psi: times c_j, to the other utterances */
    }
}

/* de[r, j] += rho_r e_rj + sigma_r c_sj + (ae_sj - gsum_s / |c_s|^2 c_sj) / utt
 *           + 1/(utt-1) sum_{i != u} (phi_si e_si,j + psi_si c_sj)
 * for utterance r = (s, u): the direct cosine terms, the centroid terms (ae =
 * A^T E; gsum = column sums of q) and the exclusive-centroid terms from the
 * speaker's other utterances, summed in order. One work-item per element. */
__kernel void ge2e_finish(__global float *de, __global const float *e, __global const float *c,
                          __global const float *ae, __global const float *gsum, __global const float *csq,
                          __global const float *coef, const uint spk, const uint utt, const uint d)
{
    const uint i = get_global_id(0);
    if (i >= spk * utt * d) return; /* no barrier in this kernel */
    uint r, s;
    const uint j = split_index(i, d, &r);
    const uint u = split_index(r, utt, &s);
    const float cj = c[s * d + j], ej = e[i];
    float other = 0.0f;
    for (uint v = 0; v < utt; v++) {
        const uint rv = s * utt + v;
        if (v != u) other += coef[4 * rv + 2] * e[(size_t)rv * d + j] + coef[4 * rv + 3] * cj;
    }
    de[i] += coef[4 * r] * ej + coef[4 * r + 1] * cj + (ae[s * d + j] - gsum[s] / csq[s] * cj) / (float)utt +
             other / (float)(utt - 1);
}

/* --------------------------------------------------------- Barlow Twins */

/* Row i of the cross-correlation c [d, d], in place:
 * partial[i] = (1 - c_ii)^2 + lambda sum_{j != i} c_ij^2 (the off-diagonal
 * sum on its own, so it keeps its precision next to c_ii ~ 1); with want_grad
 * c_ij <- 2 (c_ii - 1) on the diagonal, 2 lambda c_ij elsewhere. */
__kernel void barlow_rows(__global float *c, __global float *partial, const uint d, const float lambda,
                          const int want_grad, const uint lanes, __local rowstat *scratch)
{
    const uint i = get_group_id(0), lid = get_local_id(0);
    __global float *cr = c + (size_t)i * d;
    const float cii = cr[i];
    for (uint lane = lid; lane < lanes; lane += get_local_size(0)) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < d; j += lanes)
            if (j != i) r.a += cr[j] * cr[j];
        scratch[lane] = r;
    }
    const float off = row_merge_lanes(lanes, scratch).a;
    if (lid == 0) partial[i] = (1.0f - cii) * (1.0f - cii) + lambda * off;
    barrier(CLK_GLOBAL_MEM_FENCE); /* every read of the row precedes the in-place writes */
    for (uint j = lid; want_grad && j < d; j += get_local_size(0))
        cr[j] = j == i ? 2.0f * (cii - 1.0f) : 2.0f * lambda * cr[j];
}

/* ------------------------------------------------------------- variance */

/* Group g of count elements (reduce.clh addressing: rows of [R, T] or
 * columns of [N, D]): partial[g] = coef Var (population variance, from
 * red_mean_m2's two passes); with want_grad
 * grad = gscale coef 2 / count (x - mean). One work-group per group. */
__kernel void variance_groups(__global float *partial, __global float *grad, __global const float *x,
                              const uint count, const uint group_stride, const uint inner, const uint outer_stride,
                              const float coef, const float gscale, const int want_grad)
{
    __local float lanes[RED_LANES];
    const uint g = get_group_id(0);
    const float2 stat = red_mean_m2(x, g, count, count, group_stride, inner, outer_stride, lanes);
    const float mean = stat.x, var = stat.y / (float)count;
    if (get_local_id(0) == 0) partial[g] = coef * var;
    const float k = gscale * coef * 2.0f / (float)count;
    for (uint i = get_local_id(0); want_grad && i < count; i += get_local_size(0)) {
        const uint a = red_addr(g, i, group_stride, inner, outer_stride);
        grad[a] = k * (x[a] - mean);
    }
}
