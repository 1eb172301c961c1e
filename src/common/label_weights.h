/* The row weights of a loss with labels (clnn_label_weights,
 * include/clnn/layers.h) on the host: the checks of its tensors, and the
 * label_row_weights launch (cl/layers_loss.cl) that fills the buffer the row
 * kernels read (cl/rowweight.clh: [scale, w_0 .. w_{N-1}]). Every loss with
 * labels goes through here, so the weighting means the same everywhere. */
#ifndef CLNN_LABEL_WEIGHTS_H
#define CLNN_LABEL_WEIGHTS_H

#include "common/loss_value.h"

/* A call's weighting, as its row kernel gets it: the three kernel arguments
 * (wbuf, weighted, ignore_index) and the MEAN divisor's buffer. */
typedef struct clnn__row_weights {
    cl_mem wbuf;    /* the weights (NULL when unweighted) */
    cl_mem arg;     /* the kernel's wbuf argument: wbuf, or an unread stand-in */
    cl_int weighted;
    cl_int ignore_index;
} clnn__row_weights;

/* Copies *w (NULL: unweighted, *out the defaults and *given 0) over the defaults
 * into *out and checks it: each tensor is fp32 in ctx with `rows`
 * (row_weights) or `classes` (class_weights) elements; class weights need
 * labels (has_labels; `what` says why there are none); a nonzero
 * label_smoothing needs `smoothing` (the loss offers it). */
clnn_status clnn__check_label_weights(clnn_context *ctx, const char *fn, const clnn_label_weights *w, int has_labels,
                                      int smoothing, const char *what, size_t rows, size_t classes,
                                      clnn_label_weights *out, int *given);

/* The weighting of a call: with w (checked; NULL: unweighted, rw->arg is
 * stand_in) one label_row_weights launch over `rows` rows (labels NULL:
 * row weights alone). Release with clnn__row_weights_release. */
clnn_status clnn__row_weights_make(clnn_context *ctx, const char *fn, const clnn_label_weights *w,
                                   const clnn_tensor *labels, size_t rows, size_t classes, clnn_reduction reduction,
                                   cl_mem stand_in, clnn__row_weights *rw);
void clnn__row_weights_release(clnn__row_weights *rw);

/* The MEAN divisor's buffer for clnn__loss_reduce (NULL: the constant 1/rows). */
cl_mem clnn__row_weights_scale(const clnn__row_weights *rw, clnn_reduction reduction);

/* clnn__run_row_loss with the weighting rw (NULL: none). */
clnn_status clnn__run_weighted_row_loss(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                                        const char *variant, size_t rows, size_t cols, cl_mem *partial_slot,
                                        size_t nargs, const clnn__karg *args, clnn_reduction reduction,
                                        clnn_tensor *loss, const clnn__row_weights *rw);

/* The row-weights kernel (a row of the loss family's table, layers/loss_tunables.def). */
extern const clnn__tunable clnn__tune_loss_row_weights;

#endif
