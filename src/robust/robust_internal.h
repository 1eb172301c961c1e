/* Pieces shared by the robust family's host files (include/clnn/robust.h;
 * perturb.c, robust_kl.c, vae.c, flooding.c, targets.c, groups.c, elle.c):
 * its table of tunable kernels and the in-place scaling of per-row
 * gradients (rows.c). */
#ifndef CLNN_ROBUST_INTERNAL_H
#define CLNN_ROBUST_INTERNAL_H

#include "common/loss_value.h"

#define CLNN_TABLE "robust/robust_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

/* opt's kind, eps, alpha and clip range are valid (perturb.c; ELLE's points
 * take the same options). */
clnn_status clnn__check_perturb_options(clnn_context *ctx, const char *fn, const clnn_perturb_options *opt);

/* grad (rows of d elements) *= coef[row] (coef: n / d floats on the device). */
clnn_status clnn__robust_scale_rows(clnn_context *ctx, const char *fn, clnn_tensor *grad, cl_mem coef, size_t d);

/* grad's per-row gradients: fp32, 32-bit indices, a multiple of rows
 * elements (NULL passes); *d gets the row length. */
clnn_status clnn__robust_check_row_grad(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *grad,
                                        size_t rows, size_t *d);

#endif
