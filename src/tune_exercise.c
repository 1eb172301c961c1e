/* What the families' exercises share (src/tune_family.h): reproducible
 * input tensors, released together, and a first failure that sticks. */
#include "tune_family.h"

#include <stdlib.h>

clnn_tensor *clnn__exercise_uniform(clnn__exercise *b, float lo, float hi, const size_t shape[4])
{
    int ndim = 0;
    while (ndim < 4 && shape[ndim]) ndim++;
    if (b->st != CLNN_OK) return NULL;
    if (b->n == (int)(sizeof b->t / sizeof b->t[0])) {
        b->st = clnn__fail(b->ctx, CLNN_ERR_INTERNAL, "clnn_tune_kernel: exercise needs too many tensors");
        return NULL;
    }
    clnn_tensor *x = NULL;
    b->st = clnn_tensor_create(b->ctx, CLNN_FLOAT32, ndim, shape, &x);
    if (b->st == CLNN_OK) b->t[b->n++] = x;
    if (b->st == CLNN_OK) b->st = clnn_tensor_random_uniform(x, 7, (uint32_t)b->n, lo, hi);
    return b->st == CLNN_OK ? x : NULL;
}

clnn_tensor *clnn__exercise_ints(clnn__exercise *b, size_t n, size_t mod, size_t step)
{
    if (b->st != CLNN_OK) return NULL;
    clnn_tensor *x = NULL;
    int32_t *host = malloc(n * sizeof *host);
    if (!host) b->st = clnn__fail(b->ctx, CLNN_ERR_OUT_OF_MEMORY, "clnn_tune_kernel: out of host memory");
    for (size_t i = 0; host && i < n; i++) host[i] = (int32_t)((i * step + 1) % mod);
    if (b->st == CLNN_OK) b->st = clnn_tensor_create(b->ctx, CLNN_INT32, 1, &n, &x);
    if (b->st == CLNN_OK) b->t[b->n++] = x;
    if (b->st == CLNN_OK) b->st = clnn_tensor_upload(x, host, n * sizeof *host);
    free(host);
    return b->st == CLNN_OK ? x : NULL;
}

clnn_tensor *clnn__exercise_int_output(clnn__exercise *b, int ndim, const size_t *shape)
{
    clnn_tensor *x = NULL;
    if (b->st == CLNN_OK) b->st = clnn_tensor_create(b->ctx, CLNN_INT32, ndim, shape, &x);
    if (b->st == CLNN_OK) b->t[b->n++] = x;
    return b->st == CLNN_OK ? x : NULL;
}

clnn_status clnn__exercise_end(clnn__exercise *b)
{
    if (b->st == CLNN_OK) b->st = clnn_finish(b->ctx);
    for (int i = 0; i < b->n; i++) clnn_tensor_release(b->t[i]);
    return b->st;
}

size_t clnn__exercise_elements(const size_t problem[2]) { return problem[0] * problem[1]; }

size_t clnn__exercise_side(size_t pixels)
{
    size_t s = 2;
    while ((s + 1) * (s + 1) <= pixels) s++;
    return s;
}
