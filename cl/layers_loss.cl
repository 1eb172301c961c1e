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
