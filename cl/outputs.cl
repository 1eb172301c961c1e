/* Regularizers on a network's outputs (include/clnn/outputs.h): soft-target
 * mixing, confidence penalty, KL and Jensen-Shannon divergences between two
 * logit sets, z-loss, StableMax and its cross-entropy.
 *
 * The row terms run on the row-reduction skeleton (rowreduce.clh): one
 * work-group per row, or per row_group_rows rows with MULTIROW=1 (row_slot),
 * or one work-item per row in float8 with ROWVEC=1 (the same bits),
 * partial[row] = the row's unscaled value, gradients scaled by `scale` (1
 * or 1/rows); the host sums the partials with layers_loss.cl's loss_sum. No early
 * return: every work-item reaches every row_reduce_at and barrier (PoCL 3.1
 * miscompiles an early return ahead of barriers, see layers_softmax.cl); a slot
 * past the last row writes nothing (s.out is ROW_NONE). */
#include "index.clh"
#include "rowreduce.clh"

/* t = (1 - alpha) y + alpha p, y the soft rows or one-hot of labels (from_labels);
 * a label outside [0, cols) makes its row NaN. One work-item per element. */
__kernel void mix_targets(__global float *t, __global const float *y, __global const int *labels,
                          __global const float *p, const uint n, const uint cols, const float alpha,
                          const int from_labels)
{
    const uint i = get_global_id(0);
    if (i >= n) return; /* no barrier in this kernel */
    float target;
    if (from_labels) {
        uint row;
        const uint col = split_index(i, cols, &row);
        const int label = labels[row];
        target = (label < 0 || (uint)label >= cols) ? NAN : (uint)label == col ? 1.0f : 0.0f;
    } else {
        target = y[i];
    }
    t[i] = (1.0f - alpha) * target + alpha * p[i];
}

/* Confidence penalty -beta H(softmax(x)) per row; with log p = x - m - log c,
 *   H = log c - sum w (x - m) / c,   d(-beta H)/dx_j = beta p_j (log p_j + H). */
__kernel void entropy_penalty(__global float *partial, __global float *grad, __global const float *logits,
                              const uint rows, const uint cols, const uint lanes, const float beta, const float scale,
                              const int want_grad, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    __global const float *xr = logits + off;
    const float m = row_max_of(s, xr, cols, lanes, scratch);
    /* with a gradient, grad holds w = exp(x - m) after the reduction */
    __global float *gr = grad + off;
    const rowstat r = row_reduce_exp_at(s, ROW_EXP_MOMENTS, xr, xr, cols, m, lanes, scratch, want_grad ? gr : 0);
    const float log_c = log(r.c), h = log_c - r.a / r.c;
    if (s.out == 0) partial[s.row] = -beta * h;
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) {
        const float log_p = (xr[j] - m) - log_c;
        gr[j] = scale * beta * (gr[j] / r.c) * (log_p + h);
    }
}

/* Entropy penalty on probability rows (e.g. attention): -beta H(p) per row
 * = beta sum p log p; d/dp_j = beta (log p_j + 1), with p_j = 0 taken as
 * FLT_MIN in the gradient (the derivative of p log p is unbounded at 0);
 * log is logexp.clh's. */
__kernel void prob_entropy(__global float *partial, __global float *grad, __global const float *probs,
                           const uint rows, const uint cols, const uint lanes, const float beta, const float scale,
                           const int want_grad, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    const rowstat r = row_reduce_at(s, ROW_XLOGX, probs + off, probs + off, cols, 0.0f, lanes, scratch);
    if (s.out == 0) partial[s.row] = beta * r.a;
    __global const float *pr = probs + off;
    __global float *gr = grad + off;
    const float k = scale * beta;
    uint j;
    ROW_EACH8(s, j, want_grad ? cols : 0u)
    vstore8(k * (clnn_logf8(fmax(vload8(0, pr + j), FLT_MIN)) + 1.0f), 0, gr + j);
    ROW_EACH1(s, j, want_grad ? cols : 0u)
    gr[j] = k * (clnn_logf(fmax(pr[j], FLT_MIN)) + 1.0f);
}

/* z-loss coef lse^2 per row; d/dx_j = 2 coef lse softmax_j. */
__kernel void z_loss(__global float *partial, __global float *grad, __global const float *logits, const uint rows,
                     const uint cols, const uint lanes, const float coef, const float scale, const int want_grad,
                     __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    __global const float *xr = logits + off;
    /* with a gradient, grad holds exp(x - m) after the reduction */
    __global float *gr = grad + off;
    const rowstat r = row_reduce_exp_at(s, ROW_LSE, xr, xr, cols, xr[0], lanes, scratch, want_grad ? gr : 0);
    const float lse = r.m + log(r.s);
    if (s.out == 0) partial[s.row] = coef * lse * lse;
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) gr[j] = scale * 2.0f * coef * lse * (gr[j] / r.s);
}

/* The per-element terms of KL and JS for T = float or float8 (the same
 * expressions in both forms of the skeleton). lp and lq are the rows'
 * log-softmax offsets: log p_j = (zp_j - mp) - lsp. */
#define DIVERGENCE_FUNCTIONS(T, IT, S, EXP, LOG)                                                            \
    /* KL's sum term p_j (log p_j - log q_j), 0 where p_j = 0 (0 log 0 = 0) */                                \
    static inline T kl_term##S(const T zp, const T zq, const float mp, const float lsp, const float mq,       \
                               const float lsq, IT *nonzero)                                                  \
    {                                                                                                         \
        const T log_p = (zp - mp) - lsp, p = EXP(log_p);                                                      \
        *nonzero = p != 0.0f;                                                                                 \
        return p * (log_p - ((zq - mq) - lsq));                                                               \
    }                                                                                                         \
                                                                                                              \
    static inline void kl_grads##S(const T zp, const T zq, const float mp, const float lsp, const float mq,   \
                                   const float lsq, const float kl, const float scale, T *gp, T *gq)          \
    {                                                                                                         \
        const T log_p = (zp - mp) - lsp, log_q = (zq - mq) - lsq;                                             \
        const T p = EXP(log_p), q = EXP(log_q);                                                               \
        *gp = scale * select(p * ((log_p - log_q) - kl), (T)(0.0f), p == 0.0f);                               \
        *gq = scale * (q - p);                                                                                \
    }                                                                                                         \
                                                                                                              \
    /* JS's terms tp_j = p_j g_j, tq_j = q_j g'_j (0 where the probability is 0) */                            \
    static inline void js_terms##S(const T zp, const T zq, const float mp, const float lsp, const float mq,   \
                                   const float lsq, T *tp, T *tq)                                             \
    {                                                                                                         \
        const T log_p = (zp - mp) - lsp, log_q = (zq - mq) - lsq;                                             \
        /* log m = max + log((1 + exp(-|log p - log q|)) / 2) */                                              \
        const T log_m = fmax(log_p, log_q) + LOG(0.5f + 0.5f * EXP(-fabs(log_p - log_q)));                     \
        const T p = EXP(log_p), q = EXP(log_q);                                                               \
        *tp = select(0.5f * p * (log_p - log_m), (T)(0.0f), p == 0.0f);                                       \
        *tq = select(0.5f * q * (log_q - log_m), (T)(0.0f), q == 0.0f);                                       \
    }                                                                                                         \
                                                                                                              \
    static inline T js_grad##S(const T t, const T z, const float m, const float ls, const float sum,          \
                               const float scale)                                                             \
    {                                                                                                         \
        return scale * (t - EXP((z - m) - ls) * sum);                                                         \
    }

DIVERGENCE_FUNCTIONS(float, int, 1, clnn_expf, clnn_logf)
DIVERGENCE_FUNCTIONS(float8, int8, 8, clnn_expf8, clnn_logf8)

/* KL's sum over the row, in the skeleton's lanes and tree (either form). */
static inline __attribute__((always_inline))
float kl_sum(const rowslot s, __global const float *pr, __global const float *qr, const uint cols, const float mp,
             const float lsp, const float mq, const float lsq, const uint lanes, __local rowstat *scratch)
{
#if ROWVEC
    (void)s;
    (void)scratch;
    rowstat r;
    ROWVEC_LANES(cols, lanes, b, use, acc, r, {
        int8 nonzero;
        const float8 t = kl_term8(rowvec_load(pr, b, cols), rowvec_load(qr, b, cols), mp, lsp, mq, lsq, &nonzero);
        acc.a = select(acc.a, acc.a + t, use & nonzero);
    });
    return r.a;
#else
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < cols; j += lanes) {
            int nonzero;
            const float t = kl_term1(pr[j], qr[j], mp, lsp, mq, lsq, &nonzero);
            if (nonzero) r.a += t;
        }
        scratch[s.base + lane] = r;
    }
    return row_tree_at(s, lanes, scratch, 1).a;
#endif
}

/* KL(p || q), p = softmax(zp), q = softmax(zq), per row, from the two
 * log-softmaxes log p_j = (zp_j - m_p) - log s_p and log q_j (each exact to
 * fp32 whatever the offsets of zp and zq):
 *   KL = sum_j p_j (log p_j - log q_j)
 *   dKL/dzp_j = p_j (log p_j - log q_j - KL),   dKL/dzq_j = q_j - p_j
 * Passes: lse of zq, lse of zp, the KL sum (the skeleton's lanes and tree),
 * the gradients. The form sum p (zp - zq) - (m_p - m_q) + ... cancels two
 * terms of the size of the gap between the two sets (~6e-8 x the gap of
 * error); this one never forms zp - zq. */
__kernel void kl_logits(__global float *partial, __global float *gp, __global float *gq, __global const float *zp,
                        __global const float *zq, const uint rows, const uint cols, const uint lanes, const float scale,
                        const int want_gp, const int want_gq, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    __global const float *pr = zp + off;
    __global const float *qr = zq + off;
    const rowstat rq = row_reduce_at(s, ROW_LSE, qr, qr, cols, qr[0], lanes, scratch);
    const rowstat rp = row_reduce_at(s, ROW_LSE, pr, pr, cols, pr[0], lanes, scratch);
    const float log_sp = log(rp.s), log_sq = log(rq.s);
    const float kl = kl_sum(s, pr, qr, cols, rp.m, log_sp, rq.m, log_sq, lanes, scratch);
    if (s.out == 0) partial[s.row] = kl;
    __global float *gpr = gp + off, *gqr = gq + off;
    uint j;
    ROW_EACH8(s, j, want_gp || want_gq ? cols : 0u)
    {
        float8 a, b;
        kl_grads8(vload8(0, pr + j), vload8(0, qr + j), rp.m, log_sp, rq.m, log_sq, kl, scale, &a, &b);
        if (want_gp) vstore8(a, 0, gpr + j);
        if (want_gq) vstore8(b, 0, gqr + j);
    }
    ROW_EACH1(s, j, want_gp || want_gq ? cols : 0u)
    {
        float a, b;
        kl_grads1(pr[j], qr[j], rp.m, log_sp, rq.m, log_sq, kl, scale, &a, &b);
        if (want_gp) gpr[j] = a;
        if (want_gq) gqr[j] = b;
    }
}

/* Jensen-Shannon divergence JS = KL(p || m) / 2 + KL(q || m) / 2, m = (p + q) / 2.
 * With g_j = log(p_j / m_j) / 2 = dJS/dp_j:  dJS/dzp_j = p_j g_j - p_j sum_k p_k g_k
 * (and the same for q). The terms tp_j = p_j g_j, tq_j = q_j g'_j go through
 * gp and gq (outputs or scratch of the row's size): each work-item writes and
 * later rereads its own elements; the row sums read all of them after a
 * global barrier. */
__kernel void js_logits(__global float *partial, __global float *gp, __global float *gq, __global const float *zp,
                        __global const float *zq, const uint rows, const uint cols, const uint lanes, const float scale,
                        __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    __global const float *pr = zp + off;
    __global const float *qr = zq + off;
    __global float *gpr = gp + off, *gqr = gq + off;
    const rowstat rp = row_reduce_at(s, ROW_LSE, pr, pr, cols, pr[0], lanes, scratch);
    const rowstat rq = row_reduce_at(s, ROW_LSE, qr, qr, cols, qr[0], lanes, scratch);
    const float log_sp = log(rp.s), log_sq = log(rq.s);
    uint j;
    ROW_EACH8(s, j, cols)
    {
        float8 a, b;
        js_terms8(vload8(0, pr + j), vload8(0, qr + j), rp.m, log_sp, rq.m, log_sq, &a, &b);
        vstore8(a, 0, gpr + j);
        vstore8(b, 0, gqr + j);
    }
    ROW_EACH1(s, j, cols)
    {
        float a, b;
        js_terms1(pr[j], qr[j], rp.m, log_sp, rq.m, log_sq, &a, &b);
        gpr[j] = a;
        gqr[j] = b;
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    const rowstat r = row_reduce_at(s, ROW_SUM_PAIR, gpr, gqr, cols, 0.0f, lanes, scratch);
    barrier(CLK_GLOBAL_MEM_FENCE); /* all reads of the terms precede the gradient writes */
    if (s.out == 0) partial[s.row] = r.a + r.b;
    ROW_EACH8(s, j, cols)
    {
        vstore8(js_grad8(vload8(0, gpr + j), vload8(0, pr + j), rp.m, log_sp, r.a, scale), 0, gpr + j);
        vstore8(js_grad8(vload8(0, gqr + j), vload8(0, qr + j), rq.m, log_sq, r.b, scale), 0, gqr + j);
    }
    ROW_EACH1(s, j, cols)
    {
        gpr[j] = js_grad1(gpr[j], pr[j], rp.m, log_sp, r.a, scale);
        gqr[j] = js_grad1(gqr[j], qr[j], rq.m, log_sq, r.b, scale);
    }
}

/* ds/dx of stablemax_s. */
static inline float stablemax_ds(const float x) { return x >= 0.0f ? 1.0f : 1.0f / ((1.0f - x) * (1.0f - x)); }

/* StableMax of each row, y_j = s(x_j) / S with S = sum s(x_k) (backward = 0),
 * or its backward (backward = 1): dx_j = s'(x_j) / S (dy_j - sum_k dy_k y_k). */
__kernel void stablemax_rows(__global float *out, __global const float *x, __global const float *dy, const uint rows,
                             const uint cols, const uint lanes, const int backward, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    const rowstat r = row_reduce_at(s, ROW_STABLEMAX, x + off, dy + off, cols, 0.0f, lanes, scratch);
    const float dot = r.b / r.a;
    for (uint j = s.out; j < cols; j += s.nloc) {
        const float v = x[off + j];
        out[off + j] = backward ? stablemax_ds(v) / r.a * (dy[off + j] - dot) : stablemax_s(v) / r.a;
    }
}

/* Cross-entropy of StableMax with an int32 label per row:
 *   loss = log S - log s(x_label),   dx_j = s'(x_j) / S - [j == label] s'(x_label) / s(x_label)
 * A label outside [0, cols) gives NaN. */
__kernel void stablemax_ce(__global float *partial, __global float *grad, __global const float *logits,
                           __global const int *labels, const uint rows, const uint cols, const uint lanes,
                           const float scale, const int want_grad, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    __global const float *xr = logits + off;
    const rowstat r = row_reduce_at(s, ROW_STABLEMAX, xr, xr, cols, 0.0f, lanes, scratch);
    const int label = labels[s.row];
    const int invalid = label < 0 || (uint)label >= cols;
    const float xl = invalid ? 0.0f : xr[label];
    if (s.out == 0) partial[s.row] = invalid ? NAN : log(r.a) - log(stablemax_s(xl));
    const float dlabel = stablemax_ds(xl) / stablemax_s(xl);
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) {
        const float g = stablemax_ds(xr[j]) / r.a - ((int)j == label ? dlabel : 0.0f);
        grad[off + j] = invalid ? NAN : scale * g;
    }
}
