/* Helpers shared by the representation losses (src/representations/vicreg.c,
 * isoscore.c, center_loss.c, huber.c, sinkhorn.c; include/clnn/representations.h). */
#ifndef CLNN_REPR_INTERNAL_H
#define CLNN_REPR_INTERNAL_H

#include "common/loss_value.h"

/* Elementwise terms of a difference r = a - b (cl/representations_huber.cl pair_loss). */
enum { REPR_PAIR_SQUARE = 0, REPR_PAIR_HUBER = 1 };
typedef struct clnn__repr_pair {
    int term;
    cl_mem a, b;
    cl_mem ga, gb;          /* gradients wrt a and b (NULL: not wanted) */
    int accumulate;         /* add to ga / gb instead of writing them */
    size_t n;               /* elements */
    float delta;            /* Huber threshold */
    float grad_scale;       /* ga = grad_scale * d term / da */
    cl_mem values;          /* each element's term (the reduction NONE), or NULL */
} clnn__repr_pair;
/* Runs pair_loss; the chunk partials (n / 4096 rounded up of them) go to a
 * new scratch buffer in *partial (caller releases it, also on failure) and
 * their count to *nparts. */
clnn_status clnn__repr_pair_loss(clnn_context *ctx, const char *fn, const clnn__repr_pair *p, cl_mem *partial,
                                 size_t *nparts);
/* out[out_offset] = scale * sum of partial[0..n), deterministic (representations_vicreg.cl vicreg_value). */
clnn_status clnn__repr_value(clnn_context *ctx, const char *fn, cl_mem out, cl_uint out_offset, cl_mem partial,
                             size_t n, float scale);

/* ---- the column statistics and covariance (covariance.c) */
/* Global size of the column kernels of cl/representations_vicreg.cl. */
void clnn__repr_global_lanes_cols(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
/* Their row lanes (a function of the rows only) and -D variant (of the columns). */
cl_uint clnn__repr_col_lanes(size_t rows);
void clnn__repr_col_variant(size_t cols, char buf[16]);
/* A row-major [*, ld] matrix operand of buf. */
clnn__gemm_operand clnn__repr_matrix(cl_mem buf, size_t ld);
/* stats [3][cols] = VICReg's hinge max(0, gamma − s_j), mean_j and s_j =
 * sqrt(Var_j + eps) of each column of z [rows, cols] (unbiased variance). */
clnn_status clnn__repr_column_stats(clnn_context *ctx, const char *fn, cl_mem z, size_t rows, size_t cols,
                                    float gamma, float eps, cl_mem stats);
/* zc = z − the means of stats (new scratch [rows, cols]) and c = Zcᵀ·Zc /
 * (rows − 1) (new scratch [cols, cols]); the caller releases both (NULL
 * when not made), also on failure. */
clnn_status clnn__repr_covariance(clnn_context *ctx, const char *fn, cl_mem z, cl_mem stats, size_t rows,
                                  size_t cols, cl_mem *zc, cl_mem *c);

/* The family's tunable kernels (representations_tunables.def). */
#define CLNN_TABLE "representations/representations_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

#endif
