/* Pieces shared by the metric and overlap losses (include/clnn/metric_losses.h;
 * harmonic.c, margin.c, overlap.c, pointwise.c):
 * the embedding losses' GEMM pipeline. The checks and the value stage every
 * loss shares are in common/loss_value.h. */
#ifndef CLNN_METRIC_COMMON_H
#define CLNN_METRIC_COMMON_H

#include "common/label_weights.h"

/* Local memory of one reduce.clh lane array (RED_LANES floats). */
#define CLNN_RED_LANES_BYTES (256 * sizeof(float))

/* The family's tunable kernels (metric_tunables.def). */
#define CLNN_TABLE "metric_losses/metric_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

/* ---- embedding losses: x [N, D], w [C, D], labels [N] */
typedef struct clnn__embed {
    const clnn_tensor *x, *w, *labels;
    clnn_tensor *loss, *dx, *dw;
    size_t n, c, d;
    clnn_reduction reduction;
    float scale; /* of the reduction */
    /* the label weights (clnn_label_weights; given: 0 when unweighted) and,
     * after clnn__embed_alloc, their device buffer for the row kernels */
    clnn_label_weights weights;
    int weighted;
    clnn__row_weights rw;
    /* scratch: s = x·wᵀ and z [N, C]; norms nx [N], nw [C]; partial and coef
     * [N] per row (partial is the loss itself for NONE); colsum [C] */
    cl_mem s, z, nx, nw, partial, coef, colsum;
} clnn__embed;
/* Checks x, w, labels, the label weights (NULL: none), reduction and the
 * outputs (dx like x, dw like w) and fills e's sizes; allocates nothing. */
clnn_status clnn__embed_check(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *w,
                              const clnn_tensor *labels, const clnn_label_weights *weights, clnn_reduction reduction,
                              clnn_tensor *loss, clnn_tensor *dx, clnn_tensor *dw, clnn__embed *e);
/* Allocates e's scratch buffers (all of them before any other launch, so
 * that a failed allocation changes nothing) and, when weighted, runs the
 * label weights' launch; release with clnn__embed_release. */
clnn_status clnn__embed_alloc(clnn_context *ctx, const char *fn, clnn__embed *e);
void clnn__embed_release(clnn__embed *e);
/* nx, nw = row norms of xm [N, D], wm [C, D] (squared when squared is set). */
clnn_status clnn__embed_norms(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm, int squared);
/* e->s = xm·wmᵀ (CLBlast). */
clnn_status clnn__embed_gemm(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm);
/* After the row kernel (A in e->z, coef per row, colsrc the [N, C] buffer
 * whose column sums are b): dx = A·wm − coef ⊙ xm, dw = Aᵀ·xm − b ⊙ wm, each
 * when asked for; then the value stage of the row partials. */
clnn_status clnn__embed_finish(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm,
                               cl_mem colsrc);
/* out [rows, cols] = in − mu (mu [cols], one entry per column). */
clnn_status clnn__embed_center(clnn_context *ctx, const char *fn, cl_mem out, cl_mem in, cl_mem mu, size_t rows,
                               size_t cols);

#endif
