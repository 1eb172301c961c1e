/* Helpers shared by the representation losses (src/reg/vicreg.c,
 * center_loss.c, robust_loss.c, sinkhorn.c; include/clnn/representations.h). */
#ifndef CLNN_REPR_INTERNAL_H
#define CLNN_REPR_INTERNAL_H

#include "ops/layers_common.h"

/* reduction is a clnn_reduction. */
clnn_status clnn__repr_check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction);
/* labels is an int32 tensor of ctx with `rows` entries. */
clnn_status clnn__repr_check_labels(clnn_context *ctx, const char *fn, const clnn_tensor *labels, size_t rows);
/* t is a 2-D fp32 tensor of ctx within 32-bit indexing; its shape in *rows, *cols. */
clnn_status clnn__repr_check_matrix(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                    size_t *rows, size_t *cols);
/* b is fp32 with a's shape (same element count and last dimension). */
clnn_status clnn__repr_check_same(clnn_context *ctx, const char *fn, const char *a_name, const clnn_tensor *a,
                                  const char *b_name, const clnn_tensor *b);
/* 1 or 1/n: the scale of a SUM or MEAN reduction over n terms. */
float clnn__repr_scale(clnn_reduction reduction, size_t n);

/* Launches row kernel t (one work-group per row, problem {rows, cols}) whose
 * first argument is a partials buffer made here, one float per row (args[0]
 * must be KARG_BUF(*partial_slot)), then loss[0] = scale * their sum when
 * loss is not NULL. (src/reg/outputs.c's run_row_loss does the same.) */
clnn_status clnn__repr_row_loss(clnn_context *ctx, const char *fn, const clnn__tunable *t, size_t rows, size_t cols,
                                cl_mem *partial_slot, size_t nargs, const clnn__karg *args, clnn_tensor *loss,
                                float scale);

/* Elementwise terms of a difference r = a - b (cl/repr_robust.cl pair_loss). */
enum { REPR_PAIR_SQUARE = 0, REPR_PAIR_HUBER = 1 };
typedef struct clnn__repr_pair {
    int term;
    cl_mem a, b;
    cl_mem ga, gb;          /* gradients wrt a and b (NULL: not wanted) */
    int accumulate;         /* add to ga / gb instead of writing them */
    size_t n;               /* elements */
    float delta;            /* Huber threshold */
    float grad_scale;       /* ga = grad_scale * d term / da */
} clnn__repr_pair;
/* Runs pair_loss; the chunk partials (n / 4096 rounded up of them) go to a
 * new scratch buffer in *partial (caller releases it, also on failure) and
 * their count to *nparts. */
clnn_status clnn__repr_pair_loss(clnn_context *ctx, const char *fn, const clnn__repr_pair *p, cl_mem *partial,
                                 size_t *nparts);
/* out[out_offset] = scale * sum of partial[0..n), deterministic (repr_vicreg.cl vicreg_value). */
clnn_status clnn__repr_value(clnn_context *ctx, const char *fn, cl_mem out, cl_uint out_offset, cl_mem partial,
                             size_t n, float scale);

/* The family's tunables, listed in clnn__representations_tunables (repr_common.c). */
extern const clnn__tunable clnn__tune_repr_pair, clnn__tune_repr_value, clnn__tune_repr_moments,
    clnn__tune_repr_stats, clnn__tune_repr_variance_grad, clnn__tune_repr_center_cols, clnn__tune_repr_offdiag,
    clnn__tune_repr_pseudo_huber, clnn__tune_repr_center_rows, clnn__tune_repr_center_links,
    clnn__tune_repr_center_update, clnn__tune_repr_sinkhorn_rows, clnn__tune_repr_sinkhorn_cols,
    clnn__tune_repr_sinkhorn_back_rows, clnn__tune_repr_sinkhorn_back_cols;

#endif
