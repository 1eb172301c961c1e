/* The deterministic two-stage reduction every regularizer value and norm
 * uses. A problem is nseg segments of len elements; element j of segment s
 * sits at s * seg_stride + j * elem_stride (whole tensor: nseg 1; rows of
 * [r, c]: seg_stride c, elem_stride 1; columns: seg_stride 1, elem_stride c).
 *
 * Stage 1, two shapes (src/common/reduce.c picks one by device type):
 *   BLOCKS=0 (CPU devices): work-item (s, p), p < parts, sums TERM over its
 *          contiguous chunk j in [p·chunk, min(len, (p+1)·chunk)), chunk =
 *          ceil(len / parts), in order into partial[s * parts + p].
 *          Contiguous chunks suit CPU runtimes, which run each work-item's
 *          loop to the end.
 *   BLOCKS=1 (GPUs): part p of segment s is a block of RED_LANES lanes
 *          (cl/reduce.clh); lane l sums j = p·RED_LANES + l, then + parts·
 *          RED_LANES, ... in order (grid-stride: neighbouring work-items read
 *          neighbouring elements), and reduce.clh's fixed tree merges the
 *          lanes into partial[s * parts + p]. Work-groups take blocks in
 *          turn and work-items lanes in turn, so neither the local size nor
 *          the number of groups changes the bits.
 * Stage 2: work-item s sums its parts in order, applies POST and writes
 *          out[out_offset + s].
 * parts depends only on len and the device (host side), never on the local
 * size or on timing: the same device gives the same bits run after run.
 *
 * TERM (elementwise, c1 c2 kernel arguments, k = b[idx] when HAS_B else 1):
 *   0  k·(c1·|a| + c2·a²)        L1, L2, elastic net, masked variants, sums of squares
 *   1  a·b                        dot products (perpGrad)
 *   2  c1·(a − [j % diag == 0])²  ||A − I||²_F of a square matrix, diag = rows + 1
 *   3  c1·a, combined by max instead of sum, starting from 0: max(0, max_j c1·a)
 *      (with c1 = ±1 the range of a that includes 0, for quantization)
 *   4  |a|^c1                     p-norms (clip_grad_norm_ with norm_type p)
 *   5  |a|, combined by max       the inf-norm
 * POST: 0 none, 1 sqrt(x), 2 (sqrt(x) − 1)²: group norms and the norm loss,
 * multiplied by `scale`. */
#include "index.clh"
#include "reduce.clh"

#ifndef TERM
#define TERM 0
#endif
#ifndef HAS_B
#define HAS_B 0
#endif
#ifndef POST
#define POST 0
#endif
#ifndef BLOCKS
#define BLOCKS 0
#endif

static inline float term(const float a, const float b, const uint j, const float c1, const float c2, const uint diag)
{
#if TERM == 0
    const float k = HAS_B ? b : 1.0f;
    return k * (c1 * fabs(a) + c2 * (a * a));
#elif TERM == 1
    return a * b;
#elif TERM == 2
    const float d = a - (j % diag == 0 ? 1.0f : 0.0f);
    return c1 * (d * d);
#elif TERM == 3
    return c1 * a;
#elif TERM == 4
    return pow(fabs(a), c1);
#else
    return fabs(a);
#endif
}

/* Sum, or max for TERMs 3 and 5; both start from 0. LANE_TREE merges a block's lanes the same way. */
#if TERM == 3 || TERM == 5
#define ACCUMULATE(acc, x) ((acc) = fmax((acc), (x)))
#define LANE_TREE red_tree_max
#else
#define ACCUMULATE(acc, x) ((acc) += (x))
#define LANE_TREE red_tree_sum
#endif

#if BLOCKS
__kernel void reduce_partial(__global const float *a, __global const float *b, __global float *partial,
                             const uint nseg, const uint len, const uint seg_stride, const uint elem_stride,
                             const uint parts, const float c1, const float c2, const uint diag)
{
    __local float lanes[RED_LANES];
    const uint blocks = nseg * parts, span = parts * RED_LANES;
    /* the trip count is the same for the whole group: every work-item reaches every barrier */
    for (uint blk = get_group_id(0); blk < blocks; blk += get_num_groups(0)) {
        uint s;
        const uint p = split_index(blk, parts, &s);
        RED_FOR_LANES(lane) {
            float acc = 0.0f;
            for (uint j = p * RED_LANES + lane; j < len; j += span) {
                const uint idx = s * seg_stride + j * elem_stride;
                ACCUMULATE(acc, term(a[idx], HAS_B ? b[idx] : 0.0f, j, c1, c2, diag));
            }
            lanes[lane] = acc;
        }
        const float total = LANE_TREE(lanes);
        if (get_local_id(0) == 0) partial[blk] = total;
    }
}
#else
__kernel void reduce_partial(__global const float *a, __global const float *b, __global float *partial,
                             const uint nseg, const uint len, const uint seg_stride, const uint elem_stride,
                             const uint parts, const float c1, const float c2, const uint diag)
{
    uint gid, s, p;
    if (!grid_item(nseg, parts, &gid, &s, &p)) return;
    const uint chunk = (len + parts - 1) / parts, end = min(len, (p + 1) * chunk);
    float acc = 0.0f;
    for (uint j = p * chunk; j < end; j++) {
        const uint idx = s * seg_stride + j * elem_stride;
        ACCUMULATE(acc, term(a[idx], HAS_B ? b[idx] : 0.0f, j, c1, c2, diag));
    }
    partial[gid] = acc;
}
#endif

__kernel void reduce_final(__global const float *partial, __global float *out, const uint out_offset,
                           const uint nseg, const uint parts, const float scale)
{
    const uint s = get_global_id(0);
    if (s >= nseg) return;
    float acc = 0.0f;
    for (uint p = 0; p < parts; p++) ACCUMULATE(acc, partial[s * parts + p]);
#if POST == 1
    acc = sqrt(acc);
#elif POST == 2
    acc = sqrt(acc) - 1.0f;
    acc = acc * acc;
#endif
    out[out_offset + s] = scale * acc;
}

/* Combines per-tensor sums into per-step scalars (one work-item, n small):
 *   MODE 0 (global-norm clipping): norm = sqrt(Σ s[i]); out[0] = min(1, max_norm / (norm + 1e-6)),
 *          out[1] = norm
 *   MODE 1 (perpGrad): out[i] = s[i] / s[n + i], 0 where s[n + i] == 0
 *   MODE 2 (p-norm clipping): norm = (Σ s[i])^(1/power), then as MODE 0
 *   MODE 3 (inf-norm clipping): norm = max s[i], then as MODE 0 */
#ifndef MODE
#define MODE 0
#endif
__kernel void reduce_combine(__global const float *s, __global float *out, const uint n, const float max_norm,
                             const float power)
{
    if (get_global_id(0) != 0) return;
#if MODE == 1
    for (uint i = 0; i < n; i++) out[i] = s[n + i] > 0.0f ? s[i] / s[n + i] : 0.0f;
#else
    float acc = 0.0f;
    for (uint i = 0; i < n; i++) acc = MODE == 3 ? fmax(acc, s[i]) : acc + s[i];
    const float norm = MODE == 0 ? sqrt(acc) : MODE == 2 ? pow(acc, 1.0f / power) : acc;
    out[0] = fmin(1.0f, max_norm / (norm + 1e-6f));
    out[1] = norm;
#endif
}
