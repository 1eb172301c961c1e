/* Argument checks shared by the regularizer and optimizer families. */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

clnn_status clnn__check_range(clnn_context *ctx, const char *fn, const char *name, float x, float lo, float hi)
{
    CHECK_ARG(ctx, clnn__is_finite(x) && x >= lo && x <= hi, "%s: %s = %g is not finite or outside [%g, %g]",
              fn, name, (double)x, (double)lo, (double)hi);
    return CLNN_OK;
}

clnn_status clnn__check_f32_list(clnn_context *ctx, const char *fn, const char *name, size_t n,
                                 const clnn_tensor *const *list)
{
    CHECK_ARG(ctx, n >= 1, "%s: n must be at least 1", fn);
    CHECK_ARG(ctx, n <= 65536, "%s: n = %zu tensors is more than 65536", fn, n);
    CHECK_ARG(ctx, list != NULL, "%s: %s is NULL", fn, name);
    for (size_t i = 0; i < n; i++) {
        char item[64];
        snprintf(item, sizeof item, "%s[%zu]", name, i);
        TRY(clnn__check_f32(ctx, fn, item, list[i], 0));
    }
    return CLNN_OK;
}

clnn_status clnn__check_pairs(clnn_context *ctx, const char *fn, const char *a_name, const clnn_tensor *const *a,
                              const char *b_name, const clnn_tensor *const *b, size_t n, int distinct)
{
    TRY(clnn__check_f32_list(ctx, fn, a_name, n, a));
    TRY(clnn__check_f32_list(ctx, fn, b_name, n, b));
    for (size_t i = 0; i < n; i++) {
        CHECK_SHAPE(ctx, a[i]->count == b[i]->count, "%s: %s[%zu] has %zu elements, %s[%zu] %zu", fn, a_name, i,
                    a[i]->count, b_name, i, b[i]->count);
        CHECK_ARG(ctx, !distinct || !clnn__alias(a[i], b[i]), "%s: %s[%zu] and %s[%zu] are the same buffer", fn,
                  a_name, i, b_name, i);
    }
    return CLNN_OK;
}
