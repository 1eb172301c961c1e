/* Batch norm and layer norm on one skeleton: a "group" is what one set of
 * statistics covers (a channel over N, H, W for batch norm; a row for layer
 * norm), addressed as in reduce.clh.
 *   forward:  xhat = (x - mean) * invstd, y = gamma[j] * xhat + beta[j]
 * with j the group (batch norm: per-channel affine) or the position in the
 * row (layer norm: per-feature affine), chosen by param_per_group.
 * norm_forward and norm_backward_data come in two forms with the same bits
 * (norm.clh): VEC = 0, one work-group per group; VEC = 1, one work-item per
 * group in float8 (a tuning parameter). Each reads its group twice: the
 * statistics or gradient sums in one pass, then the writes. */
#include "norm.clh"

#ifndef VEC
#define VEC 0
#endif

#define NORM_AFFINE 1          /* gamma and beta are given */
#define NORM_USE_RUNNING 2     /* batch-norm inference: statistics from running mean/var */
#define NORM_UPDATE_RUNNING 4  /* batch-norm training: update running mean/var with momentum */
#define NORM_PARAM_PER_GROUP 8 /* affine index = group (batch norm), else element index (layer norm) */
#define NORM_WANT_DGAMMA 16    /* norm_param_grad, and batch norm's norm_backward_data: dgamma */
#define NORM_WANT_DBETA 32     /* the same for dbeta */
#define NORM_RELU 64           /* batch norm + ReLU: forward y = relu(z); backward dy * (y > 0 ? 1 : 0) */

/* ReLU as cl/activation.clh's (x > 0 ? x : 0), and its derivative from the output y. */
static inline float8 norm_relu8(const float8 z) { return select((float8)(0.0f), z, z > 0.0f); }
static inline float8 norm_relu_df8(const float8 y) { return select((float8)(0.0f), (float8)(1.0f), y > 0.0f); }

/* The group's mean and invstd (batch or running statistics; stat is empty
 * with running ones), saved, and the running statistics updated. Run by one
 * work-item per group. */
static inline float2 norm_finish_stats(const norm_stat stat, const uint g, const uint count, const int flags,
                                       const float eps, const float momentum, __global float *save_mean,
                                       __global float *save_invstd, __global float *running_mean,
                                       __global float *running_var, const int writer)
{
    const int use_running = flags & NORM_USE_RUNNING;
    const float m2 = stat.m2;
    const float mean = use_running ? running_mean[g] : stat.mean;
    const float invstd = 1.0f / sqrt((use_running ? running_var[g] : m2 / (float)count) + eps);
    if (writer) {
        if (flags & NORM_UPDATE_RUNNING) {
            /* normalization uses the biased variance, the running estimate the unbiased one */
            running_mean[g] = (1.0f - momentum) * running_mean[g] + momentum * mean;
            running_var[g] = (1.0f - momentum) * running_var[g] + momentum * (m2 / (float)(count - 1));
        }
        save_mean[g] = mean;
        save_invstd[g] = invstd;
    }
    return (float2)(mean, invstd);
}

__kernel void norm_forward(__global const float *x, __global float *y, __global const float *gamma,
                           __global const float *beta, __global float *save_mean, __global float *save_invstd,
                           __global float *running_mean, __global float *running_var, const uint groups,
                           const uint count, const uint group_stride, const uint inner, const uint outer_stride,
                           const int flags, const float eps, const float momentum)
{
    const uint n_stat = (flags & NORM_USE_RUNNING) ? 0 : count;
    const int affine = flags & NORM_AFFINE, per_group = flags & NORM_PARAM_PER_GROUP;
#if VEC
    const uint g = get_global_id(0);
    if (g >= groups) return;
    const uint base = g * group_stride;
    const norm_stat stat = norm_moments8(x, base, n_stat, inner, outer_stride);
    const float2 mi = norm_finish_stats(stat, g, count, flags, eps, momentum, save_mean, save_invstd, running_mean,
                                        running_var, 1);
    const float gg = affine && per_group ? gamma[g] : 1.0f, gb = affine && per_group ? beta[g] : 0.0f;
    for (norm_pos at = {0, 0, 0}; at.i < count; norm_next(&at, inner)) {
        const float8 xhat = (norm_load8(x, base, &at, count, inner, outer_stride) - mi.x) * mi.y;
        float8 out = xhat;
        if (affine) {
            out = per_group ? gg * xhat + gb
                            : norm_plain8(gamma, at.i, count) * xhat + norm_plain8(beta, at.i, count);
        }
        norm_store8(y, base, &at, count, inner, outer_stride, (flags & NORM_RELU) ? norm_relu8(out) : out);
    }
#else
    __local float ln[NORM_LANES], lm[NORM_LANES], lq[NORM_LANES];
    const uint g = get_group_id(0);
    /* the launch has exactly `groups` work-groups: no early return before the
     * barriers, which stay outside conditionals (some compilers mishandle
     * uniform branches around them): with running statistics the moments
     * run over zero elements instead of being skipped */
    const norm_stat stat = norm_moments(x, g, n_stat, group_stride, inner, outer_stride, ln, lm, lq);
    const float2 mi = norm_finish_stats(stat, g, count, flags, eps, momentum, save_mean, save_invstd, running_mean,
                                        running_var, get_local_id(0) == 0);
    for (uint i = get_local_id(0); i < count; i += get_local_size(0)) {
        const uint a = norm_addr(g, i, group_stride, inner, outer_stride);
        const float xhat = (x[a] - mi.x) * mi.y;
        const uint j = per_group ? g : i;
        const float z = affine ? gamma[j] * xhat + beta[j] : xhat;
        y[a] = (flags & NORM_RELU) ? (z > 0.0f ? z : 0.0f) : z;
    }
#endif
}

/* dy at element e, times the ReLU's derivative at the fused output when relu is set. */
static inline float norm_dy(__global const float *dy, __global const float *y, const int relu, const uint e)
{
    return relu ? dy[e] * (y[e] > 0.0f ? 1.0f : 0.0f) : dy[e];
}
static inline float8 norm_dy8(__global const float *dy, __global const float *y, const int relu, const uint base,
                              const norm_pos *at, const uint n, const uint inner, const uint outer_stride)
{
    const float8 g = norm_load8(dy, base, at, n, inner, outer_stride);
    return relu ? g * norm_relu_df8(norm_load8(y, base, at, n, inner, outer_stride)) : g;
}

/* dx for a group. With batch statistics (mean and invstd depend on x):
 *   dx = invstd * (gdy - mean(gdy) - xhat * mean(gdy * xhat)),  gdy = G * w * dy
 * with w = gamma[i] (layer norm's per-element affine) or 1, and G = gamma[g]
 * (batch norm's per-channel affine) or 1: the lane sums are A = sum w * dy
 * and B = sum w * dy * xhat, mean(gdy) = G * A / count, mean(gdy * xhat) =
 * G * B / count. With running statistics (batch-norm inference) they are
 * constants: dx = invstd * gdy. Batch norm (per-group parameters) also
 * writes dgamma = B and dbeta = A (w = 1) where flags ask. With NORM_RELU
 * (batch norm + ReLU) dy stands for dy * (y > 0 ? 1 : 0), y the fused
 * forward's output: the bits of the ReLU's backward, then this. */
__kernel void norm_backward_data(__global const float *x, __global const float *dy, __global const float *y,
                                 __global const float *gamma,
                                 __global const float *save_mean, __global const float *save_invstd,
                                 __global float *dx, __global float *dgamma, __global float *dbeta, const uint groups,
                                 const uint count, const uint group_stride, const uint inner,
                                 const uint outer_stride, const int flags)
{
    const int per_group = flags & NORM_PARAM_PER_GROUP, affine = flags & NORM_AFFINE;
    const int per_elem = affine && !per_group, use_running = flags & NORM_USE_RUNNING, relu = flags & NORM_RELU;
    /* the sums run unless nothing needs them (over zero elements then) */
    const uint n_stat = !use_running || (flags & (NORM_WANT_DGAMMA | NORM_WANT_DBETA)) ? count : 0;
#if VEC
    const uint g = get_global_id(0);
    if (g >= groups) return;
    const uint base = g * group_stride;
    const float mean = save_mean[g], invstd = save_invstd[g], G = affine && per_group ? gamma[g] : 1.0f;
    float8 la[8], lb[8];
    norm_pos at = {0, 0, 0};
    for (uint v = 0; v < 8; v++) la[v] = lb[v] = (float8)(0.0f);
    for (uint b = 0; b < n_stat; b += NORM_LANES)
        for (uint v = 0; v < 8; v++, norm_next(&at, inner)) {
            const float8 xhat = (norm_load8(x, base, &at, count, inner, outer_stride) - mean) * invstd;
            const float8 w = per_elem ? norm_plain8(gamma, at.i, count) : (float8)(1.0f);
            const float8 wdy = w * norm_dy8(dy, y, relu, base, &at, count, inner, outer_stride);
            const int8 valid = norm_valid8(&at, count);
            la[v] = select(la[v], la[v] + wdy, valid);
            lb[v] = select(lb[v], lb[v] + wdy * xhat, valid);
        }
    for (uint span = 4; span > 0; span >>= 1)
        for (uint v = 0; v < span; v++) la[v] += la[v + span], lb[v] += lb[v + span];
    const float A = norm_sum8(la[0]), B = norm_sum8(lb[0]);
#else
    __local float la[NORM_LANES], lb[NORM_LANES];
    const uint g = get_group_id(0);
    /* the launch has exactly `groups` work-groups: no early return before the barriers */
    const float mean = save_mean[g], invstd = save_invstd[g], G = affine && per_group ? gamma[g] : 1.0f;
    for (uint l = get_local_id(0); l < NORM_LANES; l += get_local_size(0)) {
        float a = 0.0f, b = 0.0f;
        for (uint i = l; i < n_stat; i += NORM_LANES) {
            const uint e = norm_addr(g, i, group_stride, inner, outer_stride);
            const float xhat = (x[e] - mean) * invstd, wdy = (per_elem ? gamma[i] : 1.0f) * norm_dy(dy, y, relu, e);
            a += wdy;
            b += wdy * xhat;
        }
        la[l] = a;
        lb[l] = b;
    }
    const float2 sums = norm_tree_sum2(la, lb);
    const float A = sums.x, B = sums.y;
#endif
    const float mean_gdy = G * A / (float)count, mean_gdy_xhat = G * B / (float)count;
#if VEC
    if (per_group) {
#else
    if (per_group && get_local_id(0) == 0) {
#endif
        if (flags & NORM_WANT_DGAMMA) dgamma[g] = B;
        if (flags & NORM_WANT_DBETA) dbeta[g] = A;
    }
#if VEC
    for (at = (norm_pos){0, 0, 0}; at.i < count; norm_next(&at, inner)) {
        const float8 xhat = (norm_load8(x, base, &at, count, inner, outer_stride) - mean) * invstd;
        const float8 w = per_elem ? norm_plain8(gamma, at.i, count) : (float8)(1.0f);
        const float8 gdy = G * w * norm_dy8(dy, y, relu, base, &at, count, inner, outer_stride);
        const float8 out = use_running ? invstd * gdy : invstd * (gdy - mean_gdy - xhat * mean_gdy_xhat);
        norm_store8(dx, base, &at, count, inner, outer_stride, out);
    }
#else
    for (uint i = get_local_id(0); i < count; i += get_local_size(0)) {
        const uint e = norm_addr(g, i, group_stride, inner, outer_stride);
        const float xhat = (x[e] - mean) * invstd, gdy = G * (per_elem ? gamma[i] : 1.0f) * norm_dy(dy, y, relu, e);
        dx[e] = use_running ? invstd * gdy : invstd * (gdy - mean_gdy - xhat * mean_gdy_xhat);
    }
#endif
}

/* Layer norm's parameter gradients over the columns of [M, D]:
 *   dgamma[d] = sum over rows r of dy * xhat, dbeta[d] = sum of dy,
 * xhat = (x - save_mean[r]) * save_invstd[r], in two steps with a fixed
 * order: norm_param_grad sums each block of NORM_ROW_BLOCK rows in row
 * order into partial[b][d] (dgamma's) and partial[blocks + b][d] (dbeta's),
 * norm_param_sum sums the blocks in order. A work-item takes one column of
 * a block (VEC = 0) or eight (VEC = 1, float8); consecutive work-items take
 * consecutive columns of one block, so a work-group reads whole rows (a
 * column's rows lie a row apart: one work-item per column over every row
 * would touch a page per element). Same bits in both forms. */
#define NORM_ROW_BLOCK 64
#if VEC
#define NORM_COLS 8
#else
#define NORM_COLS 1
#endif

__kernel void norm_param_grad(__global const float *x, __global const float *dy, __global const float *save_mean,
                              __global const float *save_invstd, __global float *partial, const uint D, const uint M)
{
    const uint chunks = (D + NORM_COLS - 1) / NORM_COLS, blocks = (M + NORM_ROW_BLOCK - 1) / NORM_ROW_BLOCK;
    uint item, b, c;
    if (!grid_item(blocks, chunks, &item, &b, &c)) return;
    const uint d = c * NORM_COLS, r1 = min(M, (b + 1) * NORM_ROW_BLOCK);
#if VEC
    float8 sg = (float8)(0.0f), sb = (float8)(0.0f);
    for (uint r = b * NORM_ROW_BLOCK; r < r1; r++) {
        const size_t row = (size_t)r * D;
        const float8 g = norm_plain8(dy + row, d, D);
        const float8 xhat = (norm_plain8(x + row, d, D) - save_mean[r]) * save_invstd[r];
        sg += g * xhat;
        sb += g;
    }
    norm_put8(partial + (size_t)b * D, d, D, sg);
    norm_put8(partial + (size_t)(blocks + b) * D, d, D, sb);
#else
    float sg = 0.0f, sb = 0.0f;
    for (uint r = b * NORM_ROW_BLOCK; r < r1; r++) {
        const size_t e = (size_t)r * D + d;
        const float g = dy[e], xhat = (x[e] - save_mean[r]) * save_invstd[r];
        sg += g * xhat;
        sb += g;
    }
    partial[(size_t)b * D + d] = sg;
    partial[(size_t)(blocks + b) * D + d] = sb;
#endif
}

__kernel void norm_param_sum(__global const float *partial, __global float *dgamma, __global float *dbeta,
                             const uint D, const uint M, const int flags)
{
    const uint d = get_global_id(0) * NORM_COLS, blocks = (M + NORM_ROW_BLOCK - 1) / NORM_ROW_BLOCK;
    if (d >= D) return;
#if VEC
    float8 sg = (float8)(0.0f), sb = (float8)(0.0f);
    for (uint b = 0; b < blocks; b++) {
        sg += norm_plain8(partial + (size_t)b * D, d, D);
        sb += norm_plain8(partial + (size_t)(blocks + b) * D, d, D);
    }
    if (flags & NORM_WANT_DGAMMA) norm_put8(dgamma, d, D, sg);
    if (flags & NORM_WANT_DBETA) norm_put8(dbeta, d, D, sb);
#else
    float sg = 0.0f, sb = 0.0f;
    for (uint b = 0; b < blocks; b++) {
        sg += partial[(size_t)b * D + d];
        sb += partial[(size_t)(blocks + b) * D + d];
    }
    if (flags & NORM_WANT_DGAMMA) dgamma[d] = sg;
    if (flags & NORM_WANT_DBETA) dbeta[d] = sb;
#endif
}
