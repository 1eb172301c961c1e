/* A tensor seen as [outer, classes, inner] around one of its dimensions
 * (the class dimension of softmax and cross-entropy along a dimension). */
#ifndef CLNN_LAYERS_CLASS_DIM_H
#define CLNN_LAYERS_CLASS_DIM_H

#include "internal.h"

typedef struct clnn__class_dim {
    size_t outer, classes, inner; /* inner == 1: the classes are the last dimension */
} clnn__class_dim;

/* dim in [-ndim, ndim) (negative counts from the end, as PyTorch's dim=)
 * picks the class dimension of t (named name); CLNN_ERR_INVALID_ARGUMENT
 * otherwise, naming the range. */
clnn_status clnn__class_dim_of(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, int dim,
                               clnn__class_dim *out);

#endif
