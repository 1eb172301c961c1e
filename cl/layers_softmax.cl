/* Softmax and log-softmax along the last dimension, forward and backward.
 * On the row-reduction skeleton (rowreduce.clh): one row per work-group, or
 * several with MULTIROW=1 (row_slot); global size = ceil(rows / rows per
 * group) x local size (clnn__rows_global). `scratch` is local memory for
 * ROW_LANES_MAX rowstats, passed as an argument.
 *
 * No early return and no barrier under a condition: PoCL 3.1 miscompiles a
 * group-uniform `if (row >= rows) return;` ahead of the barriers: every
 * work-item then runs the first iteration of the write loop after
 * row_reduce, even with lid >= cols, so a row's first lanes of the NEXT row
 * were overwritten with this row's statistics (lost race with two threads:
 * wrong results one run in a few; past the last row: heap corruption when
 * local > cols). Oclgrind finds nothing; it is a PoCL kernel-compiler bug.
 * A slot past the last row therefore runs like the others on the last row
 * and writes nothing (its `out` is ROW_NONE). */
#include "rowreduce.clh"

/* y = softmax(x) or log_softmax(x) of each row, from the row's max m and
 * s = sum exp(x - m): exp(x - m) / s, or (x - m) - log(s). */
__kernel void softmax_forward(__global float *y, __global const float *x, const uint rows, const uint cols,
                              const uint lanes, const int log_out, __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    __global const float *xr = x + (size_t)s.row * cols;
    __global float *yr = y + (size_t)s.row * cols;
    /* softmax: y holds exp(x - m) after the reduction (one exp per element) */
    const rowstat r = row_reduce_exp_at(s, ROW_LSE, xr, xr, cols, 0.0f, lanes, scratch, log_out ? 0 : yr);
    const float log_s = log(r.s);
    for (uint j = s.out; j < cols; j += s.nloc) yr[j] = log_out ? (xr[j] - r.m) - log_s : yr[j] / r.s;
}

/* From the forward output y:
 *   softmax:     dx = y (dy - sum dy y)
 *   log-softmax: dx = dy - exp(y) sum dy */
__kernel void softmax_backward(__global float *dx, __global const float *y, __global const float *dy,
                               const uint rows, const uint cols, const uint lanes, const int log_in,
                               __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    /* one call, mode chosen by value: the barriers stay unconditional */
    const rowstat r = row_reduce_at(s, log_in ? ROW_SUM : ROW_DOT, dy + off, y + off, cols, 0.0f, lanes, scratch);
    for (uint j = s.out; j < cols; j += s.nloc) {
        const float g = dy[off + j], out = y[off + j];
        dx[off + j] = log_in ? g - clnn_expf(out) * r.a : out * (g - r.a);
    }
}
