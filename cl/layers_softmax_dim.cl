/* Softmax and log-softmax along any dimension of a contiguous tensor, seen
 * as [outer, classes, inner] (the class dimension in the middle), and the
 * moves of that dimension to the last place and back that the
 * cross-entropy over a dimension uses.
 *
 * One work-item per (outer, inner) column walks its classes at a stride of
 * inner: neighbouring work-items read neighbouring addresses, so an NCHW
 * tensor is read in whole lines, and each column's sums run in class order
 * (the bits never depend on the local size). A work-item past the last
 * column returns at once (no barriers here). */
#include "exp.clh"
#include "index.clh"

static inline size_t column_base(const uint col, const uint inner, const uint classes)
{
    uint outer;
    const uint in = split_index(col, inner, &outer);
    return (size_t)outer * classes * inner + in;
}

/* column_base with prepared divisors (the per-element move kernel). */
static inline size_t column_base_by(const uint col, const divisor inner, const uint classes)
{
    uint outer;
    const uint in = split_by(col, inner, &outer);
    return (size_t)outer * classes * inner.x + in;
}

/* VW = 8 (the host's choice when inner is a multiple of 8): a work-item
 * takes 8 neighbouring columns of one outer index as a float8, so its
 * loads are whole vectors; CPU compilers did not vectorise the scalar form
 * across work-items (0.02x copy bandwidth on PoCL). clnn_expf8 gives
 * clnn_expf's bits; log may differ in the last bit between the forms, so
 * the bits depend on the shape (inner % 8), never on the local size. */
#ifndef VW
#define VW 1
#endif
#if VW == 8
typedef float8 floatv;
#define LOADV(p) vload8(0, (p))
#define STOREV(v, p) vstore8((v), 0, (p))
#define EXPV(v) clnn_expf8(v)
#else
typedef float floatv;
#define LOADV(p) (*(p))
#define STOREV(v, p) (*(p) = (v))
#define EXPV(v) clnn_expf(v)
#endif

/* y = softmax(x) or log_softmax(x) along the class dimension:
 * exp(x - m) / s or (x - m) - log s, m the column's max, s = sum exp(x - m).
 * softmax keeps exp(x - m) in y between its passes (one exp per element). */
__kernel void softmax_dim_forward(__global float *y, __global const float *x, const uint columns,
                                  const uint classes, const uint inner, const int log_out)
{
    const uint item = get_global_id(0);
    if (item >= columns / VW) return;
    const size_t base = column_base(item * VW, inner, classes);
    floatv m = (floatv)(-INFINITY), s = (floatv)(0.0f);
    for (uint c = 0; c < classes; c++) m = fmax(m, LOADV(x + base + (size_t)c * inner));
    for (uint c = 0; c < classes; c++) {
        const size_t k = base + (size_t)c * inner;
        const floatv e = EXPV(LOADV(x + k) - m);
        s += e;
        if (!log_out) STOREV(e, y + k);
    }
    const floatv log_s = log(s), inv_s = 1.0f / s;
    for (uint c = 0; c < classes; c++) {
        const size_t k = base + (size_t)c * inner;
        STOREV(log_out ? (LOADV(x + k) - m) - log_s : LOADV(y + k) * inv_s, y + k);
    }
}

/* From the forward output y:
 *   softmax:     dx = y (dy - sum dy y)
 *   log-softmax: dx = dy - exp(y) sum dy */
__kernel void softmax_dim_backward(__global float *dx, __global const float *y, __global const float *dy,
                                   const uint columns, const uint classes, const uint inner, const int log_in)
{
    const uint item = get_global_id(0);
    if (item >= columns / VW) return;
    const size_t base = column_base(item * VW, inner, classes);
    floatv a = (floatv)(0.0f);
    for (uint c = 0; c < classes; c++) {
        const size_t k = base + (size_t)c * inner;
        a += log_in ? LOADV(dy + k) : LOADV(dy + k) * LOADV(y + k);
    }
    for (uint c = 0; c < classes; c++) {
        const size_t k = base + (size_t)c * inner;
        const floatv g = LOADV(dy + k), out = LOADV(y + k);
        STOREV(log_in ? g - EXPV(out) * a : out * (g - a), dx + k);
    }
}

/* [outer, classes, inner] <-> [outer, inner, classes], one work-item per
 * element of the moved layout (to_last = 1: dst is [outer, inner, classes]). */
__kernel void class_dim_move(__global float *dst, __global const float *src, const uint count, const divisor classes,
                             const divisor inner, const int to_last)
{
    const uint i = get_global_id(0);
    if (i >= count) return;
    /* i in the last-place layout: row r = o * inner + in, class c */
    uint r;
    const uint c = split_by(i, classes, &r);
    const size_t middle = column_base_by(r, inner, classes.x) + (size_t)c * inner.x;
    if (to_last)
        dst[i] = src[middle];
    else
        dst[middle] = src[i];
}
