/* Standalone weight steps (decay, L1 / elastic-net proximal) on the fused
 * step's kernel with no optimizer part (OPT 0): one skeleton for both. */
#include "regularizers/regularizers_internal.h"

clnn_status clnn_reg_prox(clnn_context *ctx, const clnn_tensor *mask, const clnn_reg *reg, float lr, clnn_tensor *w)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, reg != NULL, "%s: reg is NULL", fn);
    CHECK_ARG(ctx, reg->kind == CLNN_REG_L2 || reg->kind == CLNN_REG_DECAY || reg->kind == CLNN_REG_L1 ||
                       reg->kind == CLNN_REG_ELASTIC_NET,
              "%s: reg->kind %d is not a weight term (L2, DECAY, L1, ELASTIC_NET)", fn, (int)reg->kind);
    TRY(clnn__check_range(ctx, fn, "reg->strength", reg->strength, 0.0f, INFINITY));
    if (reg->kind == CLNN_REG_ELASTIC_NET) TRY(clnn__check_range(ctx, fn, "reg->strength2", reg->strength2, 0.0f, INFINITY));
    TRY(clnn__check_range(ctx, fn, "lr", lr, 0.0f, INFINITY));
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    if (mask) {
        TRY(clnn__check_f32(ctx, fn, "mask", mask, w->count));
        CHECK_ARG(ctx, !clnn__alias(mask, w), "%s: mask and w are the same buffer", fn);
    }
    clnn__step_desc d = {0};
    d.w = w;
    d.mask = mask;
    d.lr = lr;
    if (reg->kind == CLNN_REG_L2 || reg->kind == CLNN_REG_DECAY) {
        d.has_decay = 1;
        d.decay = reg->strength;
    } else {
        d.prox = reg->kind == CLNN_REG_L1 ? 1 : 2;
        d.l1 = reg->strength;
        d.l2e = reg->kind == CLNN_REG_ELASTIC_NET ? reg->strength2 : 0.0f;
    }
    return clnn__step_launch(ctx, fn, &d);
}
