/* Targets made from the model's own outputs (include/clnn/robust.h):
 * confidence-thresholded pseudo-labels, and DINO's centred and sharpened
 * teacher with its loss and centre update. The row kernels are one
 * work-group per row: lanes fill rowstats (rowstat_lse_add's online
 * log-sum-exp, plain sums in a, b, c) merged by rowreduce.clh's fixed tree,
 * so the bits never depend on the local size. No work-item returns before a
 * barrier. */
#include "logexp.clh"
#include "rowreduce.clh"

/* labels[row] = the first argmax when max softmax(z/T) >= threshold, else
 * ignore_index; conf[row] = max p = 1/Σ exp((z − m)/T). */
__kernel void pseudo_labels(__global int *labels, __global float *conf, __global const float *z, const uint cols,
                            const uint lanes, const float inv_t, const float threshold, const int ignore_index,
                            const int want_conf, __local rowstat *scratch)
{
    const rowslot s = row_whole();
    const uint row = s.row;
    __global const float *zr = z + (size_t)row * cols;
    const float m = row_max_at(s, zr, cols, lanes, scratch);
    /* the first index of the maximum: each lane's first (its indices rise),
     * then the smallest over the lanes */
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) {
        uint first = cols;
        for (uint j = lane; j < cols && first == cols; j += lanes)
            if (zr[j] == m) first = j;
        rowstat r = rowstat_empty();
        r.a = (float)first; /* exact: cols < 2^24 (host check) */
        scratch[lane] = r;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float best = (float)cols;
    if (s.lane == 0)
        for (uint lane = 0; lane < lanes; lane++) best = fmin(best, scratch[lane].a);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < cols; j += lanes) r.a += clnn_expf((zr[j] - m) * inv_t);
        scratch[lane] = r;
    }
    const float p = 1.0f / row_merge_at(s, lanes, scratch).a;
    if (s.lane == 0) {
        labels[row] = p >= threshold && best < (float)cols ? (int)best : ignore_index;
        if (want_conf) conf[row] = p;
    }
}

/* DINO (include/clnn/robust.h): u = (z_t − c)/τ_t, v = (z_s − m_s)/τ_s;
 * loss = T·log Σ e^v − Σ t_j v_j with t = softmax(u) (T = Σ t, 1 up to
 * rounding); dz_s = scale (softmax(v) − t)/τ_s. */
__kernel void dino_loss(__global float *partial, __global float *dz, __global const float *zs,
                        __global const float *zt, __global const float *center, const uint cols, const uint lanes,
                        const float inv_ts, const float inv_tt, const float scale, const int want_grad,
                        __local rowstat *scratch)
{
    const rowslot s = row_whole();
    const uint row = s.row;
    const size_t off = (size_t)row * cols;
    __global const float *sr = zs + off, *tr = zt + off;
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) { /* the teacher's log-sum-exp */
        rowstat r = rowstat_empty();
        for (uint j = lane; j < cols; j += lanes) rowstat_lse_add(&r, (tr[j] - center[j]) * inv_tt);
        scratch[lane] = r;
    }
    const rowstat rt = row_merge_at(s, lanes, scratch);
    const float lse_t = rt.m + log(rt.s);
    const float ms = row_max_at(s, sr, cols, lanes, scratch);
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) {
        rowstat r = rowstat_empty();
        for (uint j = lane; j < cols; j += lanes) {
            const float v = (sr[j] - ms) * inv_ts, t = clnn_expf((tr[j] - center[j]) * inv_tt - lse_t);
            r.a += clnn_expf(v);
            r.b += t * v;
            r.c += t;
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_at(s, lanes, scratch);
    const float log_ss = log(r.a);
    if (s.lane == 0) partial[row] = r.c * log_ss - r.b;
    for (uint j = s.out; want_grad && j < cols; j += s.nloc) {
        const float v = (sr[j] - ms) * inv_ts, t = clnn_expf((tr[j] - center[j]) * inv_tt - lse_t);
        dz[off + j] = scale * inv_ts * (clnn_expf(v - log_ss) - t);
    }
}

/* c_j ← m c_j + (1 − m) (Σ_n z_t[n, j]) / N, one work-item per class, the
 * rows in order. */
__kernel void dino_center_update(__global float *center, __global const float *zt, const uint rows, const uint cols,
                                 const float momentum)
{
    const uint j = get_global_id(0);
    if (j >= cols) return;
    float sum = 0.0f;
    for (uint n = 0; n < rows; n++) sum += zt[(size_t)n * cols + j];
    center[j] = momentum * center[j] + (1.0f - momentum) * (sum / (float)rows);
}
