/* Pieces shared by the metric and overlap losses (include/clnn/metric_losses.h;
 * metric_harmonic.c, metric_margin.c, metric_overlap.c, metric_pointwise.c):
 * argument checks, the embedding losses' GEMM pipeline, and the launch of a
 * chunked loss kernel followed by the deterministic sum of its partials. */
#ifndef CLNN_METRIC_COMMON_H
#define CLNN_METRIC_COMMON_H

#include "layers_common.h"

/* Local memory of one reduce.clh lane array (RED_LANES floats). */
#define CLNN_RED_LANES_BYTES (256 * sizeof(float))

/* The family's tunables live next to their launchers; the family list
 * clnn__metric_tunables (metric_common.c) needs them by address, so they are
 * not static. */
extern const clnn__tunable clnn__tune_metric_harmonic_rows, clnn__tune_metric_margin_rows,
    clnn__tune_metric_ada_stats, clnn__tune_metric_overlap_partial, clnn__tune_metric_overlap_finish,
    clnn__tune_metric_overlap_grad, clnn__tune_metric_diou, clnn__tune_metric_madl;

/* reduction is MEAN or SUM. */
clnn_status clnn__metric_check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction);
/* 1 for SUM, 1 / count for MEAN. */
float clnn__metric_scale(clnn_reduction reduction, size_t count);
/* The outputs (NULL entries skipped; not all NULL) are fp32, loss has 1
 * element, and no output shares a buffer with an input or another output.
 * Shapes of the gradients are the caller's to check. */
clnn_status clnn__metric_check_outputs(clnn_context *ctx, const char *fn, size_t nin, const clnn_tensor *const *in,
                                       size_t nout, clnn_tensor *const *out, const char *const *out_names);
/* grad (when not NULL) has the shape of input (same count, same last dimension). */
clnn_status clnn__metric_check_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *grad,
                                    const char *input_name, const clnn_tensor *input);

/* ---- embedding losses: x [N, D], w [C, D], labels [N] */
typedef struct clnn__embed {
    const clnn_tensor *x, *w, *labels;
    clnn_tensor *loss, *dx, *dw;
    size_t n, c, d;
    float scale; /* of the reduction */
    /* scratch: s = x·wᵀ and z [N, C]; norms nx [N], nw [C]; partial and coef
     * [N] per row; colsum [C] */
    cl_mem s, z, nx, nw, partial, coef, colsum;
} clnn__embed;
/* Checks x, w, labels, reduction and the outputs (dx like x, dw like w) and
 * fills e's sizes; allocates nothing. */
clnn_status clnn__embed_check(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *w,
                              const clnn_tensor *labels, clnn_reduction reduction, clnn_tensor *loss,
                              clnn_tensor *dx, clnn_tensor *dw, clnn__embed *e);
/* Allocates e's scratch buffers (all of them before any launch, so that a
 * failed allocation changes nothing); release with clnn__embed_release. */
clnn_status clnn__embed_alloc(clnn_context *ctx, const char *fn, clnn__embed *e);
void clnn__embed_release(clnn__embed *e);
/* nx, nw = row norms of xm [N, D], wm [C, D] (squared when squared is set). */
clnn_status clnn__embed_norms(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm, int squared);
/* e->s = xm·wmᵀ (CLBlast). */
clnn_status clnn__embed_gemm(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm);
/* After the row kernel (A in e->z, coef per row, colsrc the [N, C] buffer
 * whose column sums are b): dx = A·wm − coef ⊙ xm, dw = Aᵀ·xm − b ⊙ wm, each
 * when asked for; then the loss from the row partials. */
clnn_status clnn__embed_finish(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm,
                               cl_mem colsrc);
/* out [rows, cols] = in − mu (mu [cols], one entry per column). */
clnn_status clnn__embed_center(clnn_context *ctx, const char *fn, cl_mem out, cl_mem in, cl_mem mu, size_t rows,
                               size_t cols);

/* Launches a chunked loss kernel whose first argument (args[0], a KARG_BUF
 * slot filled here) is a partials buffer of `chunks` floats, then
 * loss = scale · Σ partials when loss is not NULL. */
clnn_status clnn__metric_chunked(clnn_context *ctx, const char *fn, const clnn__tunable *t, size_t chunks,
                                 size_t chunk, cl_mem *partial_slot, size_t nargs, const clnn__karg *args,
                                 clnn_tensor *loss, float scale);

#endif
