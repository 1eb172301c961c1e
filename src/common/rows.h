/* Helpers shared by the layer families (src/layers/activation.c, dense.c,
 * softmax.c, loss.c, dropout.c, blocks.c): argument checks, launch-shape
 * callbacks for the row-reduction skeleton (cl/rowreduce.clh) and
 * work-per-item kernels, and short-lived device scratch buffers. */
#ifndef CLNN_LAYERS_COMMON_H
#define CLNN_LAYERS_COMMON_H

#include "internal.h"

/* ROW_LANES_MAX of cl/rowreduce.clh. */
#define CLNN_ROW_LANES_MAX 256

/* Lanes of the row-reduction skeleton for a row of n elements: the smallest
 * power of two >= n, at most CLNN_ROW_LANES_MAX. It depends on the row
 * length only, so the summation order does too. */
cl_uint clnn__row_lanes(size_t n);

/* Bytes of the row skeleton's local scratch: ROW_LANES_MAX rowstats of five
 * floats, passed as the last kernel argument. The size does not depend on
 * the local size, so launches pass it with KARG_LOCAL_FIXED (replayable). */
#define CLNN_ROW_SCRATCH_BYTES (CLNN_ROW_LANES_MAX * 5 * sizeof(float))

/* Row kernels: problem = {rows, row length}; one work-group per row, so
 * global = rows x local; the default local size is the lane count, at
 * most 8 on a CPU device (on a GPU, rows of 256 lanes get the generic
 * default, which respects the kernel's own limit). */
void clnn__row_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
void clnn__row_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
/* The loop iterations of a work-item of a row kernel (clnn__tunable.iterations). */
size_t clnn__row_iterations(const size_t problem[2], const clnn__config *cfg);
#define CLNN_ROW_TUNABLE(id_, program_, kernel_) \
    {id_, program_, kernel_, 1, {{NULL, {0}, 0, 0}}, clnn__row_heuristic, clnn__row_global, clnn__row_iterations}

/* Row kernels that can hold several rows per work-group (row_slot in
 * cl/rowreduce.clh; they take the row count and pass lanes =
 * clnn__row_lanes(problem[1])): the -D parameter MULTIROW (first
 * parameter) 0 is one row per group as above, 1 is
 * clnn__rows_per_group(local, lanes) rows per group. The default is
 * MULTIROW=1 with the generic local size on a GPU when a row has fewer than
 * 256 lanes, else clnn__row_heuristic's. */
size_t clnn__rows_per_group(size_t local, size_t lanes);
void clnn__rows_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
void clnn__rows_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
#define CLNN_ROWS_TUNABLE(id_, program_, kernel_) \
    {id_, program_, kernel_, 1, {{"MULTIROW", {0, 1}, 2, 0}, {NULL, {0}, 0, 0}}, clnn__rows_heuristic, \
     clnn__rows_global, clnn__row_iterations}

/* CLNN_ROWS_TUNABLE kernels whose reduction is row_reduce_at alone, with a
 * second -D parameter ROWVEC: 1 is one work-item per row in float8
 * (cl/rowvec.clh; MULTIROW then has no effect), global = rows. The default
 * on a CPU device is ROWVEC=1 with one work-item per group (PoCL runs the
 * groups on its threads and the float8 loops on one core's vector unit);
 * elsewhere clnn__rows_heuristic's. */
void clnn__rows_vec_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
void clnn__rows_vec_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
size_t clnn__rows_vec_iterations(const size_t problem[2], const clnn__config *cfg);
#define CLNN_ROWS_VEC_TUNABLE(id_, program_, kernel_)                                                          \
    {id_, program_, kernel_, 1, {{"MULTIROW", {0, 1}, 2, 0}, {"ROWVEC", {0, 1}, 2, 0}, {NULL, {0}, 0, 0}}, \
     clnn__rows_vec_heuristic, clnn__rows_vec_global, clnn__rows_vec_iterations}

/* Element-wise kernels with a WPT parameter (first parameter): global =
 * ceil(problem[0] / WPT). */
void clnn__wpt_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
#define CLNN_WPT_TUNABLE(id_, program_, kernel_) \
    {id_, program_, kernel_, 1, {{"WPT", {1, 2, 4, 8}, 4, 1}, {NULL, {0}, 0, 0}}, NULL, clnn__wpt_global}

/* The variant option that compiles cl/layers_activation.cl's kernels for one
 * function (-DACT_FIXED=<act>, for clnn__run_variant): PoCL vectorizes a
 * compile-time function, not a run-time switch. buf holds 32 bytes. */
const char *clnn__act_variant(clnn_activation act, char *buf);

/* act is a clnn_activation and alpha finite. */
clnn_status clnn__check_activation(clnn_context *ctx, const char *fn, clnn_activation act, float alpha);

/* Loss helpers (implemented in common/loss_value.c; the whole set, with the
 * reduction NONE, is in common/loss_value.h): loss (1 element) and grad (input's
 * shape) are fp32, not both NULL, and alias neither input nor each other;
 * `other` is the second input (pass input when there is none). */
clnn_status clnn__check_loss_outputs(clnn_context *ctx, const char *fn, const clnn_tensor *input,
                                     const clnn_tensor *other, clnn_tensor *loss, clnn_tensor *grad,
                                     const char *grad_name);
/* loss[0] = scale * the sum of partial[0..n), deterministic (layers_loss.cl's loss_sum). */
clnn_status clnn__loss_sum(clnn_context *ctx, const char *fn, clnn_tensor *loss, cl_mem partial, size_t n,
                           float scale);

#endif
