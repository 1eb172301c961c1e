/* Host side of flooding and iFlood (cl/robust_flood.cl,
 * include/clnn/robust.h): the flooded values, then the gradients scaled in
 * place by the sign of (loss − b). */
#include "divisor.h"
#include "robust/robust_internal.h"

#include <stdio.h>

/* grad (n elements in rows of d) *= scale · sign(losses[row] − b). */
static clnn_status sign_scale_rows(clnn_context *ctx, const char *fn, clnn_tensor *grad, const clnn_tensor *losses,
                              size_t d, float b, float scale)
{
    cl_uint n = (cl_uint)grad->count;
    cl_uint4 dv = clnn__divisor((cl_uint)d);
    clnn__karg args[] = {KARG_BUF(grad->buffer), KARG_BUF(losses->buffer), KARG(n), KARG(dv), KARG(b), KARG(scale)};
    size_t problem[2] = {grad->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_flood_scale, problem, 6, args);
}

/* out[i] = |losses[i] − b| + b for n values. */
static clnn_status flood_values(clnn_context *ctx, const char *fn, cl_mem out, const clnn_tensor *losses, float b)
{
    cl_uint n = (cl_uint)losses->count;
    clnn__karg args[] = {KARG_BUF(out), KARG_BUF(losses->buffer), KARG(n), KARG(b)};
    size_t problem[2] = {losses->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_flood_values, problem, 4, args);
}

clnn_status clnn_flooding(clnn_context *ctx, const clnn_tensor *loss, float b, clnn_tensor *flooded,
                          clnn_tensor *const *grads, size_t ngrads)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "loss", loss, 1));
    TRY(clnn__check_f32(ctx, fn, "flooded", flooded, 1));
    CHECK_ARG(ctx, clnn__is_finite(b), "%s: b (the flood level) is not finite", fn);
    CHECK_ARG(ctx, ngrads == 0 || grads, "%s: grads is NULL with ngrads = %zu", fn, ngrads);
    CHECK_ARG(ctx, !clnn__alias(flooded, loss), "%s: flooded must not alias loss", fn);
    for (size_t i = 0; i < ngrads; i++) {
        char name[32];
        snprintf(name, sizeof name, "grads[%zu]", i);
        TRY(clnn__check_f32(ctx, fn, name, grads[i], 0));
        TRY(clnn__check_count32(ctx, fn, name, grads[i]));
        CHECK_ARG(ctx, !clnn__alias(grads[i], loss) && !clnn__alias(grads[i], flooded),
                  "%s: %s must not alias loss or flooded", fn, name);
        for (size_t k = 0; k < i; k++)
            CHECK_ARG(ctx, !clnn__alias(grads[i], grads[k]), "%s: grads[%zu] and %s must differ", fn, k, name);
    }
    /* the gradients first: their scale reads loss, which flooded never is */
    for (size_t i = 0; i < ngrads; i++) TRY(sign_scale_rows(ctx, fn, grads[i], loss, grads[i]->count, b, 1.0f));
    return flood_values(ctx, fn, flooded->buffer, loss, b);
}

clnn_status clnn_iflood(clnn_context *ctx, const clnn_tensor *row_losses, float b, clnn_reduction reduction,
                        clnn_tensor *loss, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "row_losses", row_losses, 0));
    TRY(clnn__check_count32(ctx, fn, "row_losses", row_losses));
    CHECK_ARG(ctx, clnn__is_finite(b), "%s: b (the flood level) is not finite", fn);
    const size_t n = row_losses->count;
    size_t d;
    TRY(clnn__robust_check_row_grad(ctx, fn, "grad", grad, n, &d));
    const clnn__loss_red red = {reduction, n, "row"};
    const clnn_tensor *in[] = {row_losses};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {grad, "grad", NULL, NULL}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 1, in, 2, out));
    if (grad) TRY(sign_scale_rows(ctx, fn, grad, row_losses, d, b, clnn__loss_scale(reduction, n)));
    if (!loss) return CLNN_OK;
    cl_mem partial = NULL;
    TRY(clnn__loss_partials(ctx, fn, reduction, loss, n, &partial));
    clnn_status st = flood_values(ctx, fn, partial, row_losses, b);
    if (st == CLNN_OK) st = clnn__loss_reduce(ctx, fn, reduction, loss, partial, n, clnn__loss_scale(reduction, n), NULL);
    clnn__loss_release(loss, partial);
    return st;
}
