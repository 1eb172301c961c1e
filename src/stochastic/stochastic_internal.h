/* Shared by the stochastic and data-augmentation host files (src/stochastic/). */
#ifndef CLNN_REG_STOCHASTIC_COMMON_H
#define CLNN_REG_STOCHASTIC_COMMON_H

#include "internal.h"

/* t is a float32 tensor of ctx; with like, it has like's element count. */
clnn_status clnn__check_f32_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                 const clnn_tensor *like, const char *like_name);

/* DropBlock's kernels (dropblock.c), listed with the family's tunables. */
extern const clnn__tunable clnn__dropblock_seeds_tunable, clnn__dropblock_keep_tunable,
    clnn__count_partial_tunable, clnn__count_scale_tunable, clnn__dropblock_apply_tunable, clnn__multiply_tunable;

#endif
