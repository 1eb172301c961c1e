/* Embedding losses (include/clnn/metric_losses.h): the harmonic loss and the
 * margin losses on normalised embeddings (CosFace, ArcFace, AdaFace).
 *
 * The host computes S = X·Wᵀ [N, C] with CLBlast and the row norms of X and
 * W; harmonic_rows / margin_rows then run one work-group per sample row on
 * the row-reduction skeleton (rowreduce.clh): they turn the row of S into
 * logits in z (scratch [N, C]), take the log-sum-exp and write partial[row]
 * (the unscaled loss). With gradients they overwrite z with A and write a
 * row coefficient coef[row] such that the host's two GEMMs give
 *   dx = A·W − coef ⊙ X,   dw = Aᵀ·X − b ⊙ W,
 * b the column sums (column_sums) of what the kernel leaves for it. Each
 * work-item writes only its own elements of a row; a global barrier
 * separates writing a row from reducing it and reducing it from overwriting
 * it. Exactly one work-group per row and no early return: every work-item
 * reaches every row_reduce and barrier (PoCL 3.1, see layers_softmax.cl). */
#include "index.clh"
#include "reduce.clh"
#include "rowreduce.clh"
#include "rowweight.clh"

/* A GEMM-form squared distance below this fraction of ||x||² + ||w||² is
 * recomputed directly: the expansion's absolute error is a small multiple
 * of ulp(||x||² + ||w||²) (growing like √D for random rounding), so above
 * the threshold its relative error stays within 8 times that, and below it
 * (always as d -> 0) the direct sum is exact to a few ulp of d² itself. */
#define HARMONIC_REFINE 0.125f

#define MARGIN_COSFACE 0
#define MARGIN_ARCFACE 1
#define MARGIN_ADAFACE 2
#define NORM_EPS 1e-12f    /* F.normalize: x / max(||x||, eps) */
#define ARC_COS_EPS 0x1p-20f /* ArcFace: c clamped to [-1 + eps, 1 - eps] (exact in fp32), sin(theta) >= ~1.4e-3 */
#define ADA_EPS 1e-3f      /* AdaFace: the paper code's eps (cosine clamp, theta clip, std floor) */

/* sum_k (x_k - w_k)^2, in order. */
static inline float direct_sq_distance(__global const float *x, __global const float *w, const uint dim)
{
    float acc = 0.0f;
    for (uint k = 0; k < dim; k++) {
        const float d = x[k] - w[k];
        acc += d * d;
    }
    return acc;
}

/* The label's logit zy leaves the row before its log-sum-exp (written as
 * -INF), and with t = lse_{j != y} z_j - zy the row's loss is softplus(t),
 * 1 - p_y = sigmoid(t) and lse = zy + softplus(t): exact for well-classified
 * rows too, where p_y rounds to 1 and 1 - p_y would round to 0 (the gradient
 * of such a row then still points the right way). */
static inline float softplus(const float t) { return fmax(t, 0.0f) + log1p(exp(-fabs(t))); }

/* Label smoothing eps on a row of logits z (the label's zy, zsum = sum_j z_j
 * with zy in it): the cross-entropy against (1 - eps) onehot + eps/C is
 * softplus(t) + eps (zy - zsum / C), and its gradient wrt z_j is
 * p_j - [j = y] + eps ([j = y] - 1/C). eps = 0 keeps the unsmoothed bits. */
static inline float smoothed_value(const float sp, const float eps, const float zy, const float zsum, const uint cols)
{
    return eps != 0.0f ? sp + eps * (zy - zsum / (float)cols) : sp;
}
static inline float smoothed_dz(const float g, const float eps, const int is_label, const uint cols)
{
    return eps != 0.0f ? g + eps * ((is_label ? 1.0f : 0.0f) - 1.0f / (float)cols) : g;
}

/* 1: the row kernels' variant with label smoothing (the host builds it for
 * a nonzero eps), which needs the row's sum with the label in it. */
#ifndef LABEL_SMOOTH
#define LABEL_SMOOTH 0
#endif

/* z[off + y] = -INF; returns the row's sum with the label in it, taken
 * before, with LABEL_SMOOTH (else 0: no pass). Every barrier is reached by
 * the whole group. */
static inline float row_sum_then_drop_label(__global float *z, const uint y, const uint cols, const uint lanes,
                                            __local rowstat *scratch)
{
#if LABEL_SMOOTH
    const float sum = row_reduce(ROW_SUM, z, z, cols, 0.0f, lanes, scratch).a;
    barrier(CLK_GLOBAL_MEM_FENCE); /* every read of z[y] precedes its overwriting */
#else
    (void)cols, (void)lanes, (void)scratch;
    const float sum = 0.0f;
#endif
    if (get_local_id(0) == 0) z[y] = -INFINITY;
    barrier(CLK_GLOBAL_MEM_FENCE);
    return sum;
}
static inline float sigmoid(const float t)
{
    const float e = exp(-fabs(t));
    return t >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/* Harmonic loss of each row. In: s = Xc·Wcᵀ of the centred inputs xc, wc and
 * their squared row norms nx, nw. d2_ij = max(sq_ij, 0) + eps overwrites s;
 * z_ij = -(n/2) log d2_ij, loss = lse(z) - z_label (with label smoothing
 * eps: smoothed_value). Gradient:
 *   A_ij = scale n (p_ij - q_ij) / d2_ij   (into z),   coef[row] = sum_j A_ij,
 *   q = (1 - eps) onehot(label) + eps/C
 * (dx_i = sum_j A_ij (w_j - x_i) = (A·Wc)_i - coef_i xc_i). A label outside
 * [0, cols) gives a NaN loss and row. */
__kernel void harmonic_rows(__global float *partial, __global float *coef, __global float *s, __global float *z,
                            __global const float *xc, __global const float *wc, __global const float *nx,
                            __global const float *nw, __global const int *labels, const uint cols, const uint dim,
                            const uint lanes, const float expo, const float eps, const float scale,
                            __global const float *wbuf, const int weighted, const int ignore_index,
                            const int want_grad, const float smoothing, __local rowstat *scratch)
{
    const uint row = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const size_t off = (size_t)row * cols;
    const float nxi = nx[row];
    const int label = labels[row];
    const rowweight rw = row_weight(wbuf, weighted, scale, label, ignore_index, row);
    const int out = label < 0 || (uint)label >= cols, invalid = out && !rw.ignored;
    const uint y = out ? 0u : (uint)label;
    for (uint j = lid; j < cols; j += nloc) {
        float sq = nxi + nw[j] - 2.0f * s[off + j];
        if (!(sq >= HARMONIC_REFINE * (nxi + nw[j])))
            sq = direct_sq_distance(xc + (size_t)row * dim, wc + (size_t)j * dim, dim);
        const float d2 = fmax(sq, 0.0f) + eps;
        s[off + j] = d2;
        z[off + j] = -0.5f * expo * log(d2);
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    const float zsum = row_sum_then_drop_label(z + off, y, cols, lanes, scratch);
    const rowstat r = row_reduce(ROW_LSE, z + off, z + off, cols, 0.0f, lanes, scratch);
    const float d2y = s[off + y], zy = -0.5f * expo * log(d2y);
    const float t = (r.m + log(r.s)) - zy, lse = zy + softplus(t);
    if (lid == 0) partial[row] = row_weighted_value(rw, invalid, smoothed_value(softplus(t), smoothing, zy, zsum, cols));
    barrier(CLK_GLOBAL_MEM_FENCE); /* the reads of z precede its overwriting */
    const float gs = row_grad_scale(rw, invalid);
    for (uint j = lid; want_grad && j < cols; j += nloc) {
        const float a = smoothed_dz(j == y ? -sigmoid(t) : exp(z[off + j] - lse), smoothing, j == y, cols) / s[off + j];
        z[off + j] = row_weighted_grad1(rw, gs, expo * a);
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    const rowstat ra = row_reduce(ROW_SUM, z + off, z + off, cols, 0.0f, lanes, scratch);
    if (lid == 0 && want_grad) coef[row] = ra.a;
}

/* The label's margin logit phi(c) / s and d phi / dc (header for the formulas). */
static inline float margin_phi(const int kind, const float c, const float m, const int easy, const float g, float *dphi)
{
    if (kind == MARGIN_COSFACE) {
        *dphi = 1.0f;
        return c - m;
    }
    if (kind == MARGIN_ARCFACE) {
        if (easy ? c > 0.0f : c > -cos(m)) { /* theta + m stays below pi: cos(pi - m) = -cos m */
            const float cc = clamp(c, -1.0f + ARC_COS_EPS, 1.0f - ARC_COS_EPS);
            const float sin_t = sqrt((1.0f - cc) * (1.0f + cc));
            *dphi = c == cc ? cos(m) + cc * sin(m) / sin_t : 0.0f;
            return cc * cos(m) - sin_t * sin(m);
        }
        *dphi = 1.0f;
        return easy ? c : c - m * sin(m);
    }
    const float cc = clamp(c, -1.0f + ADA_EPS, 1.0f - ADA_EPS);
    const float t = acos(cc) - m * g;
    const float tm = clamp(t, ADA_EPS, M_PI_F - ADA_EPS);
    const float sin_t = sqrt((1.0f - cc) * (1.0f + cc));
    *dphi = (c == cc && t == tm) ? sin(tm) / sin_t : 0.0f;
    return cos(tm) - (m + m * g);
}

/* Margin losses of each row. In: s = X·Wᵀ, the norms nx, nw, and for AdaFace
 * stats = {mu, sigma} (already updated by ada_stats). c_ij = s_ij / (max(nx_i,
 * eps) max(nw_j, eps)); logits sc·c, the label's sc·phi(c). Gradient, with
 * g_ij = scale sc (p_ij - q_ij) (dphi at the label; q as for harmonic_rows,
 * and the value smoothed_value):
 *   A_ij = g_ij / (max(nx_i, eps) max(nw_j, eps))              (into z)
 *   coef[row] = sum_j A_ij s_ij / nx_i^2  (0 where nx_i <= eps: no projection)
 * and, for dw (want_dw), s_ij <- A_ij s_ij / nw_j^2 (0 where nw_j <= eps), whose
 * column sums are the b of dw. */
__kernel void margin_rows(__global float *partial, __global float *coef, __global float *s, __global float *z,
                          __global const float *nx, __global const float *nw, __global const int *labels,
                          __global const float *stats, const uint cols, const uint lanes, const int kind,
                          const float sc, const float m, const int easy, const float h, const float scale,
                          __global const float *wbuf, const int weighted, const int ignore_index,
                          const int want_grad, const int want_dw, const float smoothing, __local rowstat *scratch)
{
    const uint row = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const size_t off = (size_t)row * cols;
    const float rx = 1.0f / fmax(nx[row], NORM_EPS);
    const int label = labels[row];
    const rowweight rw = row_weight(wbuf, weighted, scale, label, ignore_index, row);
    const int out = label < 0 || (uint)label >= cols, invalid = out && !rw.ignored;
    const uint y = out ? 0u : (uint)label;
    float g = 0.0f;
    if (kind == MARGIN_ADAFACE) {
        const float n = clamp(nx[row], ADA_EPS, 100.0f);
        g = clamp(h * (n - stats[0]) / (stats[1] + ADA_EPS), -1.0f, 1.0f);
    }
    float dphi;
    const float zy = sc * margin_phi(kind, s[off + y] * rx / fmax(nw[y], NORM_EPS), m, easy, g, &dphi);
    for (uint j = lid; j < cols; j += nloc)
        z[off + j] = j == y ? zy : sc * (s[off + j] * rx / fmax(nw[j], NORM_EPS));
    barrier(CLK_GLOBAL_MEM_FENCE);
    const float zsum = row_sum_then_drop_label(z + off, y, cols, lanes, scratch);
    const rowstat r = row_reduce(ROW_LSE, z + off, z + off, cols, 0.0f, lanes, scratch);
    const float t = (r.m + log(r.s)) - zy, lse = zy + softplus(t);
    if (lid == 0) partial[row] = row_weighted_value(rw, invalid, smoothed_value(softplus(t), smoothing, zy, zsum, cols));
    barrier(CLK_GLOBAL_MEM_FENCE);
    const float gs = row_grad_scale(rw, invalid);
    for (uint j = lid; want_grad && j < cols; j += nloc) {
        const float gj = sc * smoothed_dz(j == y ? -sigmoid(t) : exp(z[off + j] - lse), smoothing, j == y, cols) *
                         (j == y ? dphi : 1.0f);
        z[off + j] = row_weighted_grad1(rw, gs, gj * rx / fmax(nw[j], NORM_EPS));
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    const rowstat ra = row_reduce(ROW_DOT, z + off, s + off, cols, 0.0f, lanes, scratch);
    if (lid == 0 && want_grad) coef[row] = nx[row] > NORM_EPS ? rx * rx * ra.a : 0.0f;
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (uint j = lid; want_dw && j < cols; j += nloc) {
        const float rw = 1.0f / fmax(nw[j], NORM_EPS);
        s[off + j] = z[off + j] * s[off + j] * (nw[j] > NORM_EPS ? rw * rw : 0.0f);
    }
}

/* AdaFace's feature-norm statistics, one work-group: with n_i = clamp(nx_i,
 * 1e-3, 100), the batch mean and standard deviation (divisor max(N - 1, 1))
 * move the EMA stats = {mu, sigma}: stats <- momentum batch + (1 - momentum) stats.
 * Fixed lanes (reduce.clh): the bits do not depend on the local size. */
__kernel void ada_stats(__global float *stats, __global const float *nx, const uint n, const float momentum,
                        __local float *lanes)
{
    RED_FOR_LANES(lane) {
        float acc = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n) acc += clamp(nx[i], ADA_EPS, 100.0f);
        lanes[lane] = acc;
    }
    const float mean = red_tree_sum(lanes) / (float)n;
    RED_FOR_LANES(lane) {
        float acc = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n) {
            const float d = clamp(nx[i], ADA_EPS, 100.0f) - mean;
            acc += d * d;
        }
        lanes[lane] = acc;
    }
    const float std = sqrt(red_tree_sum(lanes) / (float)max(n - 1u, 1u)); /* n >= 1 */
    if (get_local_id(0) == 0) {
        stats[0] = momentum * mean + (1.0f - momentum) * stats[0];
        stats[1] = momentum * std + (1.0f - momentum) * stats[1];
    }
}

/* Elementwise over n = rows x cols elements, with a vector v:
 *   shift = 0: out[r, k] = -v[r] in[r, k]  (the -coef ⊙ X term a GEMM with beta = 1 then adds to)
 *   shift = 1: out[r, k] = in[r, k] - v[k] (the harmonic loss's shift by the mean class vector) */
__kernel void rows_apply(__global float *out, __global const float *in, __global const float *v, const uint n,
                         const uint cols, const int shift)
{
    const uint i = get_global_id(0);
    if (i >= n) return; /* no barrier in this kernel */
    uint r;
    const uint k = split_index(i, cols, &r);
    out[i] = shift ? in[i] - v[k] : -v[r] * in[i];
}

/* out[j] = sum_i in[i, j] over rows x cols, one work-item per column adding
 * its rows in order (the column sums of dw's coefficients: many short
 * columns, where a work-group per column would leave most of it idle). */
__kernel void column_sums(__global float *out, __global const float *in, const uint rows, const uint cols)
{
    const uint j = get_global_id(0);
    if (j >= cols) return; /* no barrier in this kernel */
    float acc = 0.0f;
    for (uint i = 0; i < rows; i++) acc += in[(size_t)i * cols + j];
    out[j] = acc;
}
