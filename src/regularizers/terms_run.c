/* Launches of the elementwise kernels of cl/regularizers_terms.cl (gradient,
 * group apply, identity subtraction, blend, outer product) for the
 * regularizer and gradient-operation files. */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

clnn_status clnn__reg_terms_run(clnn_context *ctx, const char *fn, int which, const char *variant, size_t n,
                                size_t nargs, const clnn__karg *args)
{
    static const clnn__tunable *const by_kind[] = {&clnn__tune_reg_grad, &clnn__tune_reg_group, &clnn__tune_reg_sub_identity, &clnn__tune_reg_blend,
                                                   &clnn__tune_reg_outer};
    size_t p[2] = {n, 1};
    return clnn__run_variant(ctx, fn, by_kind[which], variant, p, nargs, args);
}

clnn_status clnn__blend(clnn_context *ctx, const char *fn, const clnn__blend_desc *d)
{
    char variant[64];
    snprintf(variant, sizeof variant, "-DOP=%d -DSCALE=%d -DREAD_Y=%d -DSAVE=%d", d->op, d->scale_mode, d->read_y,
             d->saved != NULL);
    cl_mem saved = d->saved ? d->saved : d->y, scale = d->scale ? d->scale : d->y;
    clnn__karg a[] = {KARG_BUF(d->y), KARG_BUF(d->x),  KARG_BUF(saved), KARG_BUF(scale),
                      KARG(d->scale_index), KARG(d->n), KARG(d->a),     KARG(d->b)};
    return clnn__reg_terms_run(ctx, fn, REG_TERMS_BLEND, variant, d->n, sizeof a / sizeof a[0], a);
}

void clnn__rows_cols(const clnn_tensor *w, size_t *rows, size_t *cols)
{
    *rows = w->shape[0];
    *cols = w->count / w->shape[0];
}
