/* Softmax and log-softmax along the last dimension, forward and backward.
 * One work-group per row on the row-reduction skeleton (rowreduce.clh);
 * global size = rows x local size. `scratch` is local memory for
 * ROW_LANES_MAX rowstats, passed as an argument rather than declared in the
 * kernel: PoCL 3.1 gave wrong results, intermittently and only with several
 * threads, for kernel-scope __local arrays in programs loaded from a cached
 * binary. */
#include "rowreduce.clh"

/* y = softmax(x) or log_softmax(x) of each row, from the row's max m and
 * s = sum exp(x - m): exp(x - m) / s, or (x - m) - log(s). */
__kernel void softmax_forward(__global float *y, __global const float *x, const uint rows, const uint cols,
                              const uint lanes, const int log_out, __local rowstat *scratch)
{
    const uint row = get_group_id(0);
    if (row >= rows) return; /* whole work-group: barriers stay uniform */
    __global const float *xr = x + (size_t)row * cols;
    __global float *yr = y + (size_t)row * cols;
    const rowstat r = row_reduce(ROW_LSE, xr, xr, cols, 0.0f, lanes, scratch);
    const float log_s = log(r.s);
    for (uint j = get_local_id(0); j < cols; j += get_local_size(0))
        yr[j] = log_out ? (xr[j] - r.m) - log_s : exp(xr[j] - r.m) / r.s;
}

/* From the forward output y:
 *   softmax:     dx = y (dy - sum dy y)
 *   log-softmax: dx = dy - exp(y) sum dy */
__kernel void softmax_backward(__global float *dx, __global const float *y, __global const float *dy,
                               const uint rows, const uint cols, const uint lanes, const int log_in,
                               __local rowstat *scratch)
{
    const uint row = get_group_id(0);
    if (row >= rows) return;
    const size_t off = (size_t)row * cols;
    const rowstat r = log_in ? row_reduce(ROW_SUM, dy + off, dy + off, cols, 0.0f, lanes, scratch)
                             : row_reduce(ROW_DOT, dy + off, y + off, cols, 0.0f, lanes, scratch);
    for (uint j = get_local_id(0); j < cols; j += get_local_size(0)) {
        const float g = dy[off + j], out = y[off + j];
        dx[off + j] = log_in ? g - exp(out) * r.a : out * (g - r.a);
    }
}
