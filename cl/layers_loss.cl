/* Losses with value and gradient, on the row-reduction skeleton
 * (rowreduce.clh). Values are reduced in two fixed stages: stage one writes
 * one partial per row (cross-entropy) or per LOSS_CHUNK elements (MSE, BCE);
 * stage two (loss_sum) adds the partials in one work-group with the same
 * fixed lane tree. Nothing depends on the local size. Local memory comes in
 * as an argument of ROW_LANES_MAX entries. The launches have exactly one
 * work-group per chunk or sum, and one per row or (MULTIROW=1, the
 * cross-entropies) per row_group_rows rows: no kernel returns early, since
 * a group-uniform early return ahead of the barriers is miscompiled by PoCL
 * 3.1 (see layers_softmax.cl). */
#include "rowreduce.clh"
#include "rowweight.clh"
#include "powg.clh"

/* Elements per partial of the point-wise losses. Fixed: it sets the order of
 * summation, so it is not a tuning parameter. */
#define LOSS_CHUNK 4096

/* The row weights of a loss with labels (clnn_label_weights) into wbuf, in
 * rowweight.clh's layout:
 *   wbuf[1 + r] = w_r = [y_r != ignore_index] row_w[r] class_w[y_r]
 * (1 for a tensor not given; has_labels 0: row_w[r] alone; a label outside
 * [0, classes) that is not ignored gets NaN with class weights), and
 * wbuf[0] = 1/Σ w (0 when Σ w = 0) with `mean`, else 1. One work-group: Σ w
 * in ROW_LANES_MAX fixed lanes (lane l adds rows l, l + ROW_LANES_MAX, ... in
 * order), then the lanes in order, so the bits never depend on the local
 * size. */
__kernel void label_row_weights(__global float *wbuf, __global const int *labels, __global const float *row_w,
                                __global const float *class_w, const uint rows, const uint classes,
                                const int ignore_index, const int has_labels, const int has_row_w,
                                const int has_class_w, const int mean, __local float *sums)
{
    const uint lid = get_local_id(0), nloc = get_local_size(0);
    for (uint lane = lid; lane < ROW_LANES_MAX; lane += nloc) {
        float acc = 0.0f;
        for (uint r = lane; r < rows; r += ROW_LANES_MAX) {
            float w = has_row_w ? row_w[r] : 1.0f;
            if (has_labels) {
                const int y = labels[r];
                if (y == ignore_index) w = 0.0f;
                else if (has_class_w) w *= y >= 0 && (uint)y < classes ? class_w[y] : NAN;
            }
            wbuf[1 + (size_t)r] = w;
            acc += w;
        }
        sums[lane] = acc;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        float total = 0.0f;
        for (uint lane = 0; lane < ROW_LANES_MAX; lane++) total += sums[lane];
        wbuf[0] = !mean ? 1.0f : total != 0.0f ? 1.0f / total : 0.0f;
    }
}

/* Cross-entropy from logits with an int32 label per row, label smoothing eps:
 *   t_j = (1 - eps) [j == label] + eps / C
 *   loss = (1 - eps)(lse - x_label) + eps (lse - mean_j x_j)
 *   dlogits_j = scale (softmax_j - t_j)
 * partial[row] receives the row's weighted loss (rowweight.clh: wbuf from
 * label_row_weights, always given); ignored rows give 0, labels out of range
 * (and not ignored) give NaN. */
__kernel void ce_labels(__global float *partial, __global float *dlogits, __global const float *logits,
                        __global const int *labels, __global const float *wbuf, const uint rows,
                        const uint cols, const uint lanes, const float eps, const int ignore_index,
                        const int want_grad, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const uint row = s.row;
    __global const float *xr = logits + (size_t)row * cols;
    const float shift = xr[0];
    __global float *gr = dlogits + (size_t)row * cols;
    /* with a gradient, gr holds exp(x - m) after the reduction */
    const rowstat r = row_reduce_exp_at(s, ROW_LSE, xr, xr, cols, shift, lanes, scratch, want_grad ? gr : 0);
    const int label = labels[row];
    const rowweight w = row_weight(wbuf, 1, 1.0f, label, ignore_index, row);
    const int invalid = !w.ignored && (label < 0 || (uint)label >= cols);
    const float log_s = log(r.s);
    if (s.out == 0) {
        float loss = 0.0f;
        if (!invalid && !w.ignored) {
            const float hard = (r.m - xr[label]) + log_s;
            const float smooth = ((r.m - shift) - r.a / (float)cols) + log_s;
            loss = (1.0f - eps) * hard + eps * smooth;
        }
        partial[row] = row_weighted_value(w, invalid, loss);
    }
    const float gs = row_grad_scale(w, invalid);
    const float off_target = eps / (float)cols;
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) {
        const float t = (int)j == label ? 1.0f - eps + off_target : off_target;
        gr[j] = row_weighted_grad1(w, gs, gr[j] / r.s - t);
    }
}

/* Cross-entropy from logits with soft targets t (smoothed to
 * t' = (1 - eps) t + eps / C):
 *   loss = sum_j t'_j (lse - x_j),   dlogits_j = scale (softmax_j sum_k t'_k - t'_j)
 * Plain sums are taken of x - x_0 so that large logits lose no precision. */
__kernel void ce_soft(__global float *partial, __global float *dlogits, __global const float *logits,
                      __global const float *targets, const uint rows, const uint cols, const uint lanes,
                      const float eps, const float scale, __global const float *wbuf, const int weighted,
                      const int want_grad, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    __global const float *xr = logits + off;
    __global const float *tr = targets + off;
    const float shift = xr[0];
    __global float *gr = dlogits + off;
    /* with a gradient, gr holds exp(x - m) after the reduction */
    const rowstat r = row_reduce_exp_at(s, ROW_LSE_SOFT, xr, tr, cols, shift, lanes, scratch, want_grad ? gr : 0);
    const float off_target = eps / (float)cols;
    const float t_sum = (1.0f - eps) * r.c + eps;                 /* sum t' */
    const float tx_sum = (1.0f - eps) * r.b + off_target * r.a;   /* sum t' (x - x_0) */
    const rowweight w = row_weight_unlabelled(wbuf, weighted, scale, s.row);
    if (s.out == 0) partial[s.row] = w.w * (t_sum * ((r.m - shift) + log(r.s)) - tx_sum);
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) {
        const float t = (1.0f - eps) * tr[j] + off_target;
        gr[j] = w.scale * (gr[j] / r.s * t_sum - t);
    }
}

/* Point-wise losses (mode ROW_MSE or ROW_BCE) over LOSS_CHUNK elements per
 * work-group: partial[chunk] = sum of the terms; grad = scale * d term / d p.
 * With LOSS_VALUES (a variant, for the reduction NONE) values[i] = term i. */
#ifndef LOSS_VALUES
#define LOSS_VALUES 0
#endif
__kernel void pointwise_loss(__global float *partial, __global float *values, __global float *grad,
                             __global const float *p, __global const float *q, const uint n, const uint lanes,
                             const int mode, const float scale, const int want_grad, __local rowstat *scratch)
{
    const uint chunk = get_group_id(0);
    const uint start = chunk * LOSS_CHUNK;
    const uint len = min((uint)LOSS_CHUNK, n - start);
    /* the gradient does not depend on the sum */
    if (want_grad)
        for (uint j = get_local_id(0); j < len; j += get_local_size(0)) {
            const float x = p[start + j], t = q[start + j];
            float g;
            if (mode == ROW_MSE) {
                g = 2.0f * (x - t);
            } else { /* sigmoid(x) - t, stable for either sign of x */
                const float e = clnn_expf(-fabs(x));
                g = (x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e)) - t;
            }
            grad[start + j] = scale * g;
        }
#if LOSS_VALUES
    for (uint j = get_local_id(0); j < len; j += get_local_size(0)) {
        rowstat v = rowstat_empty(); /* the term the sum below adds: 0 + term */
        row_term(mode, &v, p[start + j], q[start + j], 0.0f);
        values[start + j] = v.a;
    }
#else
    (void)values;
#endif
    const rowstat r = row_reduce(mode, p + start, q + start, len, 0.0f, lanes, scratch);
    if (get_local_id(0) == 0) partial[chunk] = r.a;
}

/* Stage two: out[0] = scale * sum of partial[0..n), one work-group; the
 * scale is a constant or scale_buf[0] (label_row_weights' 1/Σ w). */
__kernel void loss_sum(__global float *out, __global const float *partial, __global const float *scale_buf,
                       const uint n, const uint lanes, const float scale_const, const int use_scale_buf,
                       __local rowstat *scratch)
{
    const rowstat r = row_reduce(ROW_SUM, partial, partial, n, 0.0f, lanes, scratch);
    if (get_local_id(0) == 0) out[0] = (use_scale_buf ? scale_buf[0] : scale_const) * r.a;
}

/* The element losses of clnn_sigmoid_loss (include/clnn/layers.h): logit x,
 * target t, weight w, positive-class weight pw; p = sigmoid(x), softplus
 * from one exp and one log1p (stable for either sign).
 * BCE (gamma = 0, no alpha):  l = w (pw t softplus(−x) + (1 − t) softplus(x)),
 *                             dl/dx = w (p (pw t + 1 − t) − pw t)
 * focal (torchvision's sigmoid_focal_loss):
 *   ce = t softplus(−x) + (1 − t) softplus(x), p_t = p t + (1 − p)(1 − t),
 *   m = (1 − p_t)^gamma, a_t = alpha t + (1 − alpha)(1 − t) (1 without alpha),
 *   l = w a_t ce m,  dl/dx = w a_t ((p − t) m − ce gamma (1 − p_t)^(gamma − 1) p (1 − p)(2t − 1)),
 *   the last factor taken as 0 where 1 − p_t is 0 (then p (1 − p) is too). */
static inline float sigmoid_term(const float x, const float t, const float w, const float pw, const float gamma,
                                 const float alpha, float *dx)
{
    const float e = clnn_expf(-fabs(x)), l1pe = clnn_log1pf(e);
    const float p = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e), q = x >= 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
    const float sp_neg = fmax(-x, 0.0f) + l1pe, sp_pos = fmax(x, 0.0f) + l1pe; /* softplus(−x), softplus(x) */
    if (gamma == 0.0f && alpha < 0.0f) {
        *dx = w * (p * (pw * t + 1.0f - t) - pw * t);
        return w * (pw * t * sp_neg + (1.0f - t) * sp_pos);
    }
    const float ce = t * sp_neg + (1.0f - t) * sp_pos, one_m_pt = p * (1.0f - t) + q * t; /* 1 − p_t */
    const float at = alpha < 0.0f ? 1.0f : alpha * t + (1.0f - alpha) * (1.0f - t);
    float m = 1.0f, dm = 0.0f;
    if (gamma != 0.0f) {
        m = pow_g1(one_m_pt, gamma);
        dm = one_m_pt > 0.0f ? -gamma * (m / one_m_pt) * p * q * (2.0f * t - 1.0f) : 0.0f;
    }
    *dx = w * at * ((p - t) * m + ce * dm);
    return w * at * ce * m;
}

/* clnn_sigmoid_loss over LOSS_CHUNK elements per work-group: partial[chunk] =
 * the sum of the terms (lanes, then the skeleton's fixed tree), grad = scale
 * dl/dx, values[i] = term i with LOSS_VALUES (the reduction NONE). weight:
 * per class (e mod C) or per element (weight_full), pos_weight per class. */
__kernel void sigmoid_loss(__global float *partial, __global float *values, __global float *grad,
                           __global const float *x, __global const float *t, __global const float *weight,
                           __global const float *pos_weight, const uint n, const divisor classes, const uint lanes,
                           const float gamma, const float alpha, const int has_weight, const int weight_full,
                           const int has_pos_weight, const float scale, const int want_grad,
                           __local rowstat *scratch)
{
    const uint chunk = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const uint start = chunk * LOSS_CHUNK, len = min((uint)LOSS_CHUNK, n - start);
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < len; j += lanes) {
            const uint e = start + j;
            uint row;
            const uint c = split_by(e, classes, &row);
            float w = 1.0f, pw = 1.0f, dx;
            if (has_weight) w = weight[weight_full ? e : c];
            if (has_pos_weight) pw = pos_weight[c];
            const float v = sigmoid_term(x[e], t[e], w, pw, gamma, alpha, &dx);
            r.a += v;
            if (want_grad) grad[e] = scale * dx;
#if LOSS_VALUES
            values[e] = v;
#endif
        }
        scratch[lane] = r;
    }
#if !LOSS_VALUES
    (void)values;
#endif
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (lid == 0) partial[chunk] = r.a;
}
