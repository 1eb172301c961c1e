/* One set of helpers for every loss family (src/layers/loss.c, losses.c,
 * metric_*.c; src/outputs.c, center_loss.c, huber.c): the argument
 * checks they share and the value stage, implemented once in common/loss_value.c.
 *
 * A loss is a sum of per-term values, one per row, sample, box or element
 * (each function's header says which). Its kernels write those values, or
 * one partial sum per chunk of them, and the reduction decides what the loss
 * tensor receives:
 *   MEAN, SUM  1 element: scale times the deterministic sum of the partials
 *              (cl/layers_loss.cl loss_sum), scale 1/terms for MEAN and 1 for SUM;
 *   NONE       the `terms` values themselves, written straight into the loss
 *              tensor: a row kernel gets it as its partials buffer, a chunked
 *              kernel is compiled with -DLOSS_VALUES=1 and writes each item's
 *              value into it. The gradients are SUM's (scale 1).
 * clnn__check_loss_outputs and clnn__loss_sum (common/rows.h) live in
 * common/loss_value.c too. */
#ifndef CLNN_LOSS_COMMON_H
#define CLNN_LOSS_COMMON_H

#include "common/rows.h"

/* The option that makes a chunked loss kernel write its per-item values. */
#define CLNN_LOSS_VALUES_OPTION "-DLOSS_VALUES=1"

/* How a loss is reduced: over `terms` values; `term` names one in messages
 * ("row", "sample", "box", "element"). */
typedef struct clnn__loss_red {
    clnn_reduction reduction;
    size_t terms;
    const char *term;
} clnn__loss_red;

/* ------------------------------------------------------------- checks */

/* What every loss kernel is handed besides its inputs: where the gradient
 * goes (the input itself stands in, unwritten, when none is wanted), whether
 * one is wanted, and the scale of `terms` terms under the reduction. */
typedef struct clnn__loss_grad {
    cl_mem grad;
    cl_int want_grad;
    float scale;
} clnn__loss_grad;
clnn__loss_grad clnn__loss_grad_of(const clnn_tensor *input, const clnn_tensor *grad, clnn_reduction reduction,
                                   size_t terms);

/* reduction is MEAN, SUM or NONE. */
clnn_status clnn__check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction);
/* The scale of the value and the gradients: 1/terms for MEAN, 1 for SUM and NONE. */
float clnn__loss_scale(clnn_reduction reduction, size_t terms);
/* t is fp32 with 32-bit element indices; its rows (the leading dimensions)
 * and classes (the last dimension) go to *rows and *cols. */
clnn_status clnn__check_rows(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, size_t *rows,
                             size_t *cols);
/* labels is an int32 tensor of ctx with one entry per row of the input `of`. */
clnn_status clnn__check_labels(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *labels,
                               size_t rows, const char *of);
/* t is fp32 with like's shape (the same element count and last dimension). */
clnn_status clnn__check_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                             const char *like_name, const clnn_tensor *like);
/* One output of a loss call: the loss, or a gradient with the shape of the
 * input `like` (named like_name; like NULL: the caller checks the shape). */
typedef struct clnn__loss_output {
    clnn_tensor *t; /* NULL: not wanted */
    const char *name;
    const clnn_tensor *like;
    const char *like_name;
} clnn__loss_output;
/* red->reduction (red not NULL) is valid; the outputs out[0..nout) (not all
 * of them NULL) are fp32; out[0] is the loss: 1 element, or red->terms for
 * NONE (red NULL: always 1 element); each gradient has its input's shape; no
 * output shares a buffer with an input (in[], NULL entries skipped) or with
 * another output. */
clnn_status clnn__check_loss_io(clnn_context *ctx, const char *fn, const clnn__loss_red *red, size_t nin,
                                const clnn_tensor *const *in, size_t nout, const clnn__loss_output *out);
/* The common case: inputs `input` and `other` (pass input when there is
 * none), the loss and one gradient with input's shape. */
clnn_status clnn__check_loss_args(clnn_context *ctx, const char *fn, const clnn__loss_red *red,
                                  const clnn_tensor *input, const clnn_tensor *other, clnn_tensor *loss,
                                  clnn_tensor *grad, const char *grad_name);

/* -------------------------------------------------------- value stage */

/* The buffer for the n per-term values of a loss: loss's own buffer for NONE
 * (loss not NULL), else n floats of new scratch. Release with
 * clnn__loss_release. */
clnn_status clnn__loss_partials(clnn_context *ctx, const char *fn, clnn_reduction reduction, clnn_tensor *loss,
                                size_t n, cl_mem *partial);
/* After kernels wrote n partials: loss[0] = scale * their sum for MEAN and SUM
 * (scale_buf not NULL: scale_buf[0] instead of scale); nothing for NONE or
 * without a loss. */
clnn_status clnn__loss_reduce(clnn_context *ctx, const char *fn, clnn_reduction reduction, clnn_tensor *loss,
                              cl_mem partial, size_t n, float scale, cl_mem scale_buf);
/* Releases partial unless it is NULL or loss's buffer. */
void clnn__loss_release(const clnn_tensor *loss, cl_mem partial);

/* One launch of a loss kernel with one work-group per row (each writes its
 * row's value) or per chunk of items (each writes the chunk's partial sum),
 * followed by the value stage. */
typedef struct clnn__loss_launch {
    const clnn__tunable *t;
    const char *variant; /* -D options, or NULL */
    size_t groups, len;  /* the problem {groups, len} */
    cl_mem *partial;     /* the args' KARG_BUF slot of the per-group partials (set here) */
    /* chunked kernels: the args' slot of the per-item values, set here to the
     * loss's buffer for NONE (the launch then adds CLNN_LOSS_VALUES_OPTION),
     * else to the partials (unwritten). NULL for row kernels. */
    cl_mem *values;
    cl_mem scale_buf; /* MEAN's scale on the device (label weights), or NULL: the constant */
} clnn__loss_launch;
clnn_status clnn__run_loss(clnn_context *ctx, const char *fn, const clnn__loss_launch *l, size_t nargs,
                           const clnn__karg *args, clnn_reduction reduction, clnn_tensor *loss, float scale);

/* The launch of a chunked kernel over `items` items, `chunk` per work-group. */
clnn__loss_launch clnn__chunked_launch(const clnn__tunable *t, size_t items, size_t chunk, cl_mem *partial,
                                       cl_mem *values);

/* clnn__run_loss for a row kernel (one work-group per row of `cols`, its
 * value in the row's partial) with the scale of `rows` terms. */
clnn_status clnn__run_row_loss(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *variant,
                               size_t rows, size_t cols, cl_mem *partial_slot, size_t nargs, const clnn__karg *args,
                               clnn_reduction reduction, clnn_tensor *loss);

/* The loss-sum kernel (a row of the loss family's table, layers/loss_tunables.def). */
extern const clnn__tunable clnn__tune_loss_sum;

#endif
