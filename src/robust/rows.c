/* The in-place scaling of per-row gradients shared by the robust family's
 * per-sample reweightings (ELLE; see robust_internal.h). */
#include "divisor.h"
#include "robust/robust_internal.h"

clnn_status clnn__robust_check_row_grad(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *grad,
                                        size_t rows, size_t *d)
{
    *d = 0;
    if (!grad) return CLNN_OK;
    TRY(clnn__check_f32(ctx, fn, name, grad, 0));
    TRY(clnn__check_count32(ctx, fn, name, grad));
    CHECK_SHAPE(ctx, grad->count % rows == 0, "%s: %s has %zu elements, not rows of the %zu row losses", fn, name,
                grad->count, rows);
    *d = grad->count / rows;
    return CLNN_OK;
}

clnn_status clnn__robust_scale_rows(clnn_context *ctx, const char *fn, clnn_tensor *grad, cl_mem coef, size_t d)
{
    cl_uint n = (cl_uint)grad->count;
    cl_uint4 dv = clnn__divisor((cl_uint)d);
    clnn__karg args[] = {KARG_BUF(grad->buffer), KARG_BUF(coef), KARG(n), KARG(dv)};
    size_t problem[2] = {grad->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_scale_rows, problem, 4, args);
}
