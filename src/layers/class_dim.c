/* The class dimension of a tensor (layers/class_dim.h). */
#include "layers/class_dim.h"

clnn_status clnn__class_dim_of(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, int dim,
                               clnn__class_dim *out)
{
    const int ndim = (int)t->ndim;
    CHECK_ARG(ctx, dim >= -ndim && dim < ndim, "%s: dim %d is out of range for %s with %d dimensions ([%d, %d])", fn,
              dim, name, ndim, -ndim, ndim - 1);
    const size_t d = (size_t)(dim < 0 ? dim + ndim : dim);
    out->outer = 1, out->inner = 1, out->classes = t->shape[d];
    for (size_t i = 0; i < d; i++) out->outer *= t->shape[i];
    for (size_t i = d + 1; i < (size_t)ndim; i++) out->inner *= t->shape[i];
    return CLNN_OK;
}
