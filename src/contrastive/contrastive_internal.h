/* Helpers shared by the host files of the contrastive family
 * (src/contrastive/, include/clnn/contrastive.h): argument checks,
 * the stacked-views preparation (optional L2 normalisation) and its backward,
 * the InfoNCE passes both implementations walk, and the family's tunables. */
#ifndef CLNN_CONTRASTIVE_INTERNAL_H
#define CLNN_CONTRASTIVE_INTERNAL_H

#include "common/rows.h"
#include "common/loss_value.h"

/* The tiled InfoNCE kernels' launch shape and search space (infonce_tiled.c). */
void clnn__ctr_tiled_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
void clnn__ctr_tiled_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
size_t clnn__ctr_tiled_iterations(const size_t problem[2], const clnn__config *cfg);

/* The family's tunable kernels (contrastive_tunables.def). */
#define CLNN_TABLE "contrastive/contrastive_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

/* ------------------------------------------------------------- checks */

clnn_status clnn__ctr_check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction);
/* Two views x, y of one shape (clnn__check_rows, clnn__check_like), and
 * their outputs loss (1 element), dx and dy (the shapes of x and y) as
 * clnn__check_loss_io checks them. */
clnn_status clnn__ctr_check_views(clnn_context *ctx, const char *fn, const char *x_name, const clnn_tensor *x,
                                  const char *y_name, const clnn_tensor *y, clnn_tensor *loss, const char *dx_name,
                                  clnn_tensor *dx, const char *dy_name, clnn_tensor *dy, size_t *n, size_t *d);
/* Releases the non-NULL buffers of a list. */
void clnn__ctr_release(size_t n, cl_mem *bufs);

/* ------------------------------------------------------- stacked views */

/* zc = [ẑ1; ẑ2; q̂] [2n + nq, d] (L2-normalised rows when normalize; q̂
 * the queue's nq rows, if any), rinv the per-row scale, and with want_grad
 * dzc [2n, d] for the gradient wrt zc ([2n + nq, d] with the queue's
 * gradient, queue_grad: for the temperature's only). */
typedef struct clnn__ctr_views {
    cl_mem zc, dzc, rinv;
    size_t n, d;
    size_t rows; /* views' rows of zc: 2n, or n for one stacked tensor */
    size_t nq;   /* queue rows after them */
    int normalize;
    int queue_grad; /* dzc holds the queue rows' gradient too */
} clnn__ctr_views;
/* queue may be NULL (nq 0). */
clnn_status clnn__ctr_views_prepare(clnn_context *ctx, const char *fn, const clnn_tensor *z1, const clnn_tensor *z2,
                                    const clnn_tensor *queue, int normalize, int want_grad, int queue_grad,
                                    clnn__ctr_views *v);
/* The same for one tensor z of already stacked views (clnn_supcon_views):
 * zc holds its n = rows rows, all of them "z1" for views_finish. */
clnn_status clnn__ctr_views_prepare_stacked(clnn_context *ctx, const char *fn, const clnn_tensor *z, int normalize,
                                            int want_grad, clnn__ctr_views *v);
/* dz1, dz2 (either may be NULL) from dzc, through the normalisation. */
clnn_status clnn__ctr_views_finish(clnn_context *ctx, const char *fn, const clnn__ctr_views *v, clnn_tensor *dz1,
                                   clnn_tensor *dz2);
void clnn__ctr_views_release(clnn__ctr_views *v);

/* ------------------------------------------------------ InfoNCE passes */

/* One direction of an InfoNCE-type loss over the stacked views: anchors are
 * rows a_row0..a_row0+na-1 of zc, candidates rows b_row0..b_row0+nb-1;
 * anchor a's positive is candidate partner_of(a, pos_off, nb) (cl/contrastive.clh)
 * and, with self_excl, candidate a is the anchor itself. Its per-anchor
 * values go to partials out0..out0+na-1; coef = the loss scale of one anchor
 * (reduction, 1/2 of the symmetric loss). */
typedef struct clnn__ctr_pass {
    size_t a_row0, b_row0, na, nb, pos_off, out0;
    int self_excl;
    float coef;
} clnn__ctr_pass;

/* The passes of a mode over n pairs (1 or 2) and the number of anchors
 * (partials) in all. Every pass's candidates continue past its nb in-batch
 * ones with the nq queue rows of zc from q_row0 (candidates nb..nb+nq-1). */
typedef struct clnn__ctr_plan {
    clnn__ctr_pass pass[2];
    int npass;
    size_t anchors;
    size_t samples; /* the labels' period: stacked row k is sample k mod samples */
    size_t nq, q_row0;
    float inv_tau, margin;
    int decoupled;
    int batch_neg; /* in-batch negatives take part (all modes but MOCO) */
} clnn__ctr_plan;
/* nq: the queue's rows (0 without one). */
void clnn__ctr_plan_make(clnn_infonce_mode mode, size_t n, size_t nq, const clnn_contrastive_options *opt,
                         clnn__ctr_plan *p);

/* Whether pass p's gradient rows of the anchors (*acc_a), of the
 * candidates (*acc_b) and of the queue (*acc_q, when formed) add to dzc's
 * contents or overwrite them: written[h] says whether half h of dzc (rows
 * 0..n-1, n..2n-1; 2: the queue's) holds a value yet; an anchor block of 2n
 * rows (NT-Xent) covers both halves. Updates written. */
void clnn__ctr_grad_order(const clnn__ctr_pass *p, size_t n, int written[3], int *acc_a, int *acc_b, int *acc_q);

/* The options (already copied over the defaults) are valid for n pairs;
 * their queue (if any) has d features, its row count to *nq (0 without). */
clnn_status clnn__ctr_check_options(clnn_context *ctx, const char *fn, const clnn_contrastive_options *o, size_t n,
                                    size_t d, size_t *nq);

/* The tiled implementation (infonce_tiled.c): partial[anchors] receives
 * the per-anchor losses; dzc (when v->dzc) the gradient wrt the stacked views. */
clnn_status clnn__ctr_tiled_run(clnn_context *ctx, const char *fn, const clnn__ctr_plan *plan,
                                const clnn__ctr_views *v, cl_mem partial);

#endif
