/* Center loss (Wen et al. 2016) and its center update (src/representations/center_loss.c).
 *
 * The update is deterministic without atomics or sorting: center_links gives
 * every sample the index of the next sample with the same label (n when none)
 * and marks the first sample of each label; in center_update the work-items
 * of a first sample (one per feature) walk their label's samples in batch
 * order. Each class present is owned by exactly one first sample, so no two
 * work-items write the same center. */
#include "index.clh"
#include "rowreduce.clh"

/* Per sample: 0.5 ||x_i - c_label||^2 into partial[i] and dx = scale (x_i - c_label);
 * a label outside [0, classes) gives NaN. One work-group per sample. */
__kernel void center_loss_rows(__global float *partial, __global float *grad, __global const float *x,
                               __global const int *labels, __global const float *centers, const uint cols,
                               const uint classes, const uint lanes, const float scale, const int want_grad,
                               __local rowstat *scratch)
{
    const size_t off = (size_t)get_group_id(0) * cols;
    const int label = labels[get_group_id(0)];
    const int invalid = label < 0 || (uint)label >= classes;
    __global const float *cr = centers + (size_t)(invalid ? 0 : label) * cols;
    const rowstat r = row_reduce(ROW_MSE, x + off, cr, cols, 0.0f, lanes, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = invalid ? NAN : 0.5f * r.a;
    for (uint j = get_local_id(0); want_grad && j < cols; j += get_local_size(0))
        grad[off + j] = invalid ? NAN : scale * (x[off + j] - cr[j]);
}

/* links[i] = next k > i with labels[k] == labels[i] (n when none);
 * links[n + i] = 1 when i is the first sample of a valid label, else 0. */
__kernel void center_links(__global int *links, __global const int *labels, const uint n, const uint classes)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const int y = labels[i];
    uint next = i + 1;
    while (next < n && labels[next] != y) next++;
    uint prev = i;
    while (prev > 0 && labels[prev - 1] != y) prev--;
    links[i] = (int)next;
    links[n + i] = prev == 0 && y >= 0 && (uint)y < classes;
}

/* One work-item per (sample i, feature j): when i is its label's first
 * sample, c_j <- c_j - alpha sum_k (c_j - x_kj) / (1 + n_y) over the label's
 * samples k in batch order. */
__kernel void center_update(__global float *centers, __global const float *x, __global const int *labels,
                            __global const int *links, const uint n, const uint d, const float alpha)
{
    uint gid, i, j;
    if (!grid_item(n, d, &gid, &i, &j)) return;
    if (!links[n + i]) return;
    const size_t at = (size_t)labels[i] * d + j;
    const float c = centers[at];
    float sum = 0.0f, count = 0.0f;
    for (uint k = i; k < n; k = (uint)links[k]) {
        sum += c - x[(size_t)k * d + j];
        count += 1.0f;
    }
    centers[at] = c - alpha * (sum / (1.0f + count));
}
