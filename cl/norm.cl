/* Batch norm and layer norm on one skeleton: a "group" is what one set of
 * statistics covers (a channel over N, H, W for batch norm; a row for layer
 * norm), addressed as in reduce.clh. One work-group per group.
 *   forward:  xhat = (x - mean) * invstd, y = gamma[j] * xhat + beta[j]
 * with j the group (batch norm: per-channel affine) or the position in the
 * row (layer norm: per-feature affine), chosen by param_per_group. */
#include "reduce.clh"

#define NORM_AFFINE 1          /* gamma and beta are given */
#define NORM_USE_RUNNING 2     /* batch-norm inference: statistics from running mean/var */
#define NORM_UPDATE_RUNNING 4  /* batch-norm training: update running mean/var with momentum */
#define NORM_PARAM_PER_GROUP 8 /* affine index = group (batch norm), else element index (layer norm) */

__kernel void norm_forward(__global const float *x, __global float *y, __global const float *gamma,
                           __global const float *beta, __global float *save_mean, __global float *save_invstd,
                           __global float *running_mean, __global float *running_var, const uint groups,
                           const uint count, const uint group_stride, const uint inner, const uint outer_stride,
                           const int flags, const float eps, const float momentum)
{
    __local float lanes[RED_LANES];
    const uint g = get_group_id(0);
    /* the launch has exactly `groups` work-groups: no early return before the barriers */
    /* Barriers stay outside conditionals (some compilers mishandle uniform
     * branches around them): with running statistics the reductions run over
     * zero elements instead of being skipped. */
    const int use_running = flags & NORM_USE_RUNNING;
    const uint n_stat = use_running ? 0 : count;
    const float2 stat = red_mean_m2(x, g, n_stat, count, group_stride, inner, outer_stride, lanes);
    const float batch_mean = stat.x, m2 = stat.y;
    const float mean = use_running ? running_mean[g] : batch_mean;
    const float invstd = 1.0f / sqrt((use_running ? running_var[g] : m2 / (float)count) + eps);
    if ((flags & NORM_UPDATE_RUNNING) && get_local_id(0) == 0) {
        /* normalization uses the biased variance, the running estimate the unbiased one */
        running_mean[g] = (1.0f - momentum) * running_mean[g] + momentum * mean;
        running_var[g] = (1.0f - momentum) * running_var[g] + momentum * (m2 / (float)(count - 1));
    }
    if (get_local_id(0) == 0) {
        save_mean[g] = mean;
        save_invstd[g] = invstd;
    }
    for (uint i = get_local_id(0); i < count; i += get_local_size(0)) {
        const uint a = red_addr(g, i, group_stride, inner, outer_stride);
        const float xhat = (x[a] - mean) * invstd;
        if (flags & NORM_AFFINE) {
            const uint j = (flags & NORM_PARAM_PER_GROUP) ? g : i;
            y[a] = gamma[j] * xhat + beta[j];
        } else {
            y[a] = xhat;
        }
    }
}

/* dx for a group. With batch statistics (mean and invstd depend on x):
 *   dx = invstd * (gdy - mean(gdy) - xhat * mean(gdy * xhat)),  gdy = gamma[j] * dy
 * with running statistics (batch-norm inference) they are constants: dx = invstd * gdy. */
__kernel void norm_backward_data(__global const float *x, __global const float *dy, __global const float *gamma,
                                 __global const float *save_mean, __global const float *save_invstd,
                                 __global float *dx, const uint groups, const uint count, const uint group_stride,
                                 const uint inner, const uint outer_stride, const int flags)
{
    __local float lanes[RED_LANES];
    const uint g = get_group_id(0);
    /* the launch has exactly `groups` work-groups: no early return before the barriers */
    const float mean = save_mean[g], invstd = save_invstd[g];
    const int per_group = flags & NORM_PARAM_PER_GROUP, affine = flags & NORM_AFFINE;
    /* with running statistics the sums run over zero elements (barriers stay unconditional) */
    const uint n_stat = (flags & NORM_USE_RUNNING) ? 0 : count;
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n_stat)
        {
            const uint a = red_addr(g, i, group_stride, inner, outer_stride);
            s += (affine ? gamma[per_group ? g : i] : 1.0f) * dy[a];
        }
        lanes[lane] = s;
    }
    const float mean_gdy = red_tree_sum(lanes) / (float)count;
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n_stat)
        {
            const uint a = red_addr(g, i, group_stride, inner, outer_stride);
            s += (affine ? gamma[per_group ? g : i] : 1.0f) * dy[a] * (x[a] - mean) * invstd;
        }
        lanes[lane] = s;
    }
    const float mean_gdy_xhat = red_tree_sum(lanes) / (float)count;
    for (uint i = get_local_id(0); i < count; i += get_local_size(0)) {
        const uint a = red_addr(g, i, group_stride, inner, outer_stride);
        const float gdy = (affine ? gamma[per_group ? g : i] : 1.0f) * dy[a];
        const float xhat = (x[a] - mean) * invstd;
        dx[a] = invstd * (gdy - mean_gdy - xhat * mean_gdy_xhat);
    }
}

/* dgamma[j] = sum dy * xhat, dbeta[j] = sum dy over the elements sharing
 * parameter j: a batch-norm channel (statistics of the group) or a layer-norm
 * column (statistics of each element's row: stats index = element index). */
#define NORM_WANT_DGAMMA 16
#define NORM_WANT_DBETA 32
__kernel void norm_param_grad(__global const float *x, __global const float *dy, __global const float *save_mean,
                              __global const float *save_invstd, __global float *dgamma, __global float *dbeta,
                              const uint groups, const uint count, const uint group_stride, const uint inner,
                              const uint outer_stride, const int flags)
{
    __local float lanes[RED_LANES];
    const uint g = get_group_id(0);
    /* the launch has exactly `groups` work-groups: no early return before the barriers */
    const int per_group = flags & NORM_PARAM_PER_GROUP;
    const uint n_gamma = (flags & NORM_WANT_DGAMMA) ? count : 0, n_beta = (flags & NORM_WANT_DBETA) ? count : 0;
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n_gamma)
        {
            const uint a = red_addr(g, i, group_stride, inner, outer_stride), st = per_group ? g : i;
            s += dy[a] * (x[a] - save_mean[st]) * save_invstd[st];
        }
        lanes[lane] = s;
    }
    const float sum_gamma = red_tree_sum(lanes);
    RED_FOR_LANES(lane)
    {
        float s = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, n_beta) s += dy[red_addr(g, i, group_stride, inner, outer_stride)];
        lanes[lane] = s;
    }
    const float sum_beta = red_tree_sum(lanes);
    if (get_local_id(0) == 0) {
        if (n_gamma) dgamma[g] = sum_gamma;
        if (n_beta) dbeta[g] = sum_beta;
    }
}
