/* The deterministic two-stage reduction of cl/reduce_deterministic.cl
 * (src/common/reduce.c), shared by the regularizers, the optimizer steps
 * and the contrastive family's temperature gradient. */
#ifndef CLNN_COMMON_REDUCE_H
#define CLNN_COMMON_REDUCE_H

#include "internal.h"

enum { REDUCE_TERM_ABS_SQ = 0, REDUCE_TERM_DOT = 1, REDUCE_TERM_ORTHO = 2, REDUCE_TERM_MAX = 3, REDUCE_TERM_ABS_POW = 4,
       REDUCE_TERM_ABS_MAX = 5 };
enum { REDUCE_POST_NONE = 0, REDUCE_POST_SQRT = 1, REDUCE_POST_NORM_LOSS = 2 };
typedef struct clnn__reduce_desc {
    cl_mem a, b;              /* b: mask / second operand, or NULL */
    int term, post;
    cl_uint nseg, len, seg_stride, elem_stride, diag;
    cl_float c1, c2, scale;
} clnn__reduce_desc;
/* Parts of a segment of len elements in stage 1 on a CPU device (about 256
 * elements each, at most 4096, contiguous chunks): a function of len only. */
cl_uint clnn__reduce_parts(size_t len);
/* RED_LANES of cl/reduce.clh: the lanes of one block of the GPU shape. */
#define CLNN_REDUCE_LANES 256
/* Parts of a segment in stage 1 on a GPU (clnn__gpu_shaped): blocks of
 * CLNN_REDUCE_LANES grid-stride lanes, as many as fill the device but at
 * least 4 elements per lane; a function of len and the device only. */
cl_uint clnn__reduce_blocks(const clnn_context *ctx, size_t len);
/* out[out_offset + s] = scale · POST(Σ_j TERM(segment s, j)) for s < nseg. */
clnn_status clnn__reduce(clnn_context *ctx, const char *fn, const clnn__reduce_desc *d, cl_mem out,
                         cl_uint out_offset);
/* The final combine kernel: mode 0 clip factor, 1 perpGrad ratios, 2 and 3
 * the clip factor of a p-norm (power p) and of the inf-norm. */
clnn_status clnn__reduce_combine(clnn_context *ctx, const char *fn, int mode, cl_mem sums, cl_mem out, cl_uint n,
                                 cl_float max_norm, cl_float power);
#endif
