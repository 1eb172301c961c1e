/* Shared by the stochastic and data-augmentation host files (src/stochastic/). */
#ifndef CLNN_REG_STOCHASTIC_COMMON_H
#define CLNN_REG_STOCHASTIC_COMMON_H

#include "internal.h"

/* t is a float32 tensor of ctx; with like, it has like's element count. */
clnn_status clnn__check_f32_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                 const clnn_tensor *like, const char *like_name);

/* The family's tunable kernels (stochastic_tunables.def). */
#define CLNN_TABLE "stochastic/stochastic_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

#endif
