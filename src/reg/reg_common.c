/* Argument checks shared by the regularizer and optimizer families. */
#include "reg/reg_internal.h"

clnn_status clnn__check_range(clnn_context *ctx, const char *fn, const char *name, float x, float lo, float hi)
{
    CHECK_ARG(ctx, clnn__is_finite(x) && x >= lo && x <= hi, "%s: %s = %g is not finite or outside [%g, %g]",
              fn, name, (double)x, (double)lo, (double)hi);
    return CLNN_OK;
}
