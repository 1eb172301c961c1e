/* Argument checks shared by the regularizer and optimizer families. */
#include "reg/reg_internal.h"

clnn_status clnn__check_f32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                            size_t count)
{
    TRY(clnn__check_tensor(ctx, fn, name, t));
    CHECK_SHAPE(ctx, t->dtype == CLNN_FLOAT32, "%s: %s must be float32", fn, name);
    CHECK_SHAPE(ctx, count == 0 || t->count == count, "%s: %s has %zu elements, expected %zu", fn, name,
                t->count, count);
    return CLNN_OK;
}

clnn_status clnn__check_range(clnn_context *ctx, const char *fn, const char *name, float x, float lo, float hi)
{
    CHECK_ARG(ctx, clnn__is_finite(x) && x >= lo && x <= hi, "%s: %s = %g is not finite or outside [%g, %g]",
              fn, name, (double)x, (double)lo, (double)hi);
    return CLNN_OK;
}
