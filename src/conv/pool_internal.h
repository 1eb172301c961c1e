/* What the pooling host files share: pool.c (windows of one size and
 * stride, global pooling) launches its kernels for adaptive_pool.c when
 * the adaptive windows are of one size and stride, and both families' row
 * kernels take the same VW heuristic and global size. */
#ifndef CLNN_CONV_POOL_INTERNAL_H
#define CLNN_CONV_POOL_INTERNAL_H

#include "internal.h"

/* VW of the kernels over rows (problem = {rows, elements per row}): float8
 * work-items on CPU devices (PoCL runs a work-item's float8 in vector
 * registers; the scalar form does not vectorize across its window loops)
 * when a row has 8 elements or more, else 1. */
void clnn__pool_rows_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
/* ceil(elements / VW) work-items per row. */
void clnn__pool_rows_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);

/* The modes of cl/conv_pool.cl (its -DMODE variants). */
enum { CLNN__POOL_MAX = 0, CLNN__POOL_AVG_INCLUDE_PAD = 1, CLNN__POOL_AVG_EXCLUDE_PAD = 2, CLNN__POOL_AVG_DIVISOR = 3 };

/* Pooling of img [N, C, H, W] to out [N, C, P, Q] with validated options
 * prm and mode: forward (x = img, y = out, indices for max) or backward
 * (dx = img, dy = out, the forward's indices for max; NULL for averages). */
clnn_status clnn__pool_run(clnn_context *ctx, const char *fn, int backward, const clnn_tensor *img,
                           const clnn_tensor *out, cl_mem indices, const clnn_pool2d_options *prm, int mode);

/* An NCHW tensor of the call (spec: its dimensions' names, as
 * clnn__check_shape's) whose elements fit 32-bit indices. */
clnn_status clnn__pool_check_nchw(clnn_context *ctx, const char *fn, clnn__dims *d, const char *name,
                                  const clnn_tensor *t, const char *spec);

#endif
