/* Pieces shared by the robust family's host files (include/clnn/robust.h;
 * perturb.c, ...): its table of tunable kernels. */
#ifndef CLNN_ROBUST_INTERNAL_H
#define CLNN_ROBUST_INTERNAL_H

#include "common/loss_value.h"

#define CLNN_TABLE "robust/robust_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

#endif
