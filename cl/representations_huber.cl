/* Losses of a difference r = a - b (src/representations/huber.c, vicreg.c):
 * elementwise terms (Huber, squared error) on one chunked kernel, and the
 * row-wise pseudo-Huber on the row skeleton.
 *
 * pair_loss: one work-group per PAIR_CHUNK elements; the chunk is dealt to
 * RED_LANES fixed lanes (reduce.clh), summed in order per lane and merged by
 * the fixed tree, so partial[chunk] never depends on the local size. The host
 * sums the partials with layers_loss.cl's loss_sum (or vicreg_value). Every
 * work-item reaches the tree's barriers: no early return. */
#include "reduce.clh"
#include "rowreduce.clh"

/* Elements per partial. Fixed: it sets the order of summation. */
#define PAIR_CHUNK 4096

#define TERM_SQUARE 0 /* r^2, d/da = 2 r */
#define TERM_HUBER 1  /* r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) above; d/da = clamp(r, -delta, delta) */
#ifndef TERM
#define TERM TERM_SQUARE
#endif
/* which gradients are written, and whether they are added to (variants) */
#ifndef WANT_GA
#define WANT_GA 1
#endif
#ifndef WANT_GB
#define WANT_GB 0
#endif
#ifndef ACCUMULATE
#define ACCUMULATE 0
#endif
/* values[i] = element i's term (the reduction NONE) */
#ifndef LOSS_VALUES
#define LOSS_VALUES 0
#endif

static inline float pair_value(const float r, const float delta)
{
#if TERM == TERM_HUBER
    const float ar = fabs(r);
    return ar <= delta ? 0.5f * r * r : delta * (ar - 0.5f * delta);
#else
    (void)delta;
    return r * r;
#endif
}

static inline float pair_slope(const float r, const float delta)
{
#if TERM == TERM_HUBER
    return clamp(r, -delta, delta);
#else
    (void)delta;
    return 2.0f * r;
#endif
}

/* partial[chunk] = sum of the chunk's terms; ga = scale * slope and gb = -ga
 * where wanted, written (ACCUMULATE 0) or added (ACCUMULATE 1); values[i] =
 * term i with LOSS_VALUES. */
__kernel void pair_loss(__global float *partial, __global float *values, __global float *ga, __global float *gb,
                        __global const float *a, __global const float *b, const uint n, const float delta,
                        const float scale)
{
    __local float lanes[RED_LANES];
    const uint start = get_group_id(0) * PAIR_CHUNK, len = min((uint)PAIR_CHUNK, n - start);
    RED_FOR_LANES(lane) {
        float acc = 0.0f;
        RED_FOR_LANE_ELEMENTS(k, lane, len) {
            const uint i = start + k;
            const float r = a[i] - b[i];
            const float v = pair_value(r, delta);
            acc += v;
#if LOSS_VALUES
            values[i] = v;
#endif
            const float g = scale * pair_slope(r, delta);
#if WANT_GA
            ga[i] = ACCUMULATE ? ga[i] + g : g;
#endif
#if WANT_GB
            gb[i] = ACCUMULATE ? gb[i] - g : -g;
#endif
        }
        lanes[lane] = acc;
    }
    const float total = red_tree_sum(lanes);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = total;
}

/* Pseudo-Huber of each row: with q = ||x - y||^2 over the row,
 *   loss_r = sqrt(q + c^2) - c = q / (sqrt(q + c^2) + c)   (no cancellation for q << c^2)
 *   dx = scale (x - y) / sqrt(q + c^2). One work-group per row. */
__kernel void pseudo_huber_rows(__global float *partial, __global float *grad, __global const float *x,
                                __global const float *y, const uint cols, const uint lanes, const float c,
                                const float scale, const int want_grad, __local rowstat *scratch)
{
    const size_t off = (size_t)get_group_id(0) * cols;
    const rowstat r = row_reduce(ROW_MSE, x + off, y + off, cols, 0.0f, lanes, scratch);
    const float root = sqrt(r.a + c * c);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = r.a / (root + c);
    for (uint j = get_local_id(0); want_grad && j < cols; j += get_local_size(0))
        grad[off + j] = scale * (x[off + j] - y[off + j]) / root;
}
