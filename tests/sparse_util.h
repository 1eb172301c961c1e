/* Helpers shared by the tests of include/clnn/sparse.h (test_sparse_sort,
 * test_sparse_topk_act, test_regularizers_wasserstein, test_sparse_msdropout, test_sparse_moe): tensors of
 * either dtype from host data, downloads, bit comparisons, forced
 * configurations. */
#ifndef CLNN_TEST_SPARSE_UTIL_H
#define CLNN_TEST_SPARSE_UTIL_H

#include "check.h"

#include <stdint.h>

/* A tensor of dtype and shape [d0, d1] (d1 = 0: 1-D) holding data (count elements) or, data NULL, `fill`. */
static inline clnn_tensor *sp_tensor(clnn_context *ctx, clnn_dtype dtype, size_t d0, size_t d1, const void *data,
                                     float fill)
{
    size_t shape[2] = {d0, d1};
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, dtype, d1 ? 2 : 1, shape, &t) == CLNN_OK, "%s", clnn_last_error(ctx));
    size_t n = clnn_tensor_count(t);
    if (data) REQUIRE(clnn_tensor_upload(t, data, n * 4) == CLNN_OK, "%s", clnn_last_error(ctx));
    else REQUIRE(clnn_tensor_fill(t, fill) == CLNN_OK, "%s", clnn_last_error(ctx));
    return t;
}

/* The 32-bit words of a tensor of either dtype (caller frees). */
static inline uint32_t *sp_words(clnn_context *ctx, const clnn_tensor *t)
{
    size_t n = clnn_tensor_count(t);
    uint32_t *h = malloc(n * 4 + 4);
    REQUIRE(h, "host memory");
    REQUIRE(clnn_tensor_download(t, h, n * 4) == CLNN_OK, "%s", clnn_last_error(ctx));
    return h;
}

static inline uint32_t sp_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static inline float sp_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* Forces kernel `id` to local size `local` and (nparams) parameter values
 * until sp_unforce; returns 0 (and counts a skip) when the device refuses. */
static inline int sp_force(clnn_context *ctx, const char *id, size_t local, int param0)
{
    clnn_tune_config cfg = {{local, 1, 1}, {param0, 0, 0, 0}};
    if (clnn_tune_force(ctx, id, &cfg) != CLNN_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s with local %zu: %s", id, local, clnn_last_error(ctx));
        test_skip(why);
        return 0;
    }
    return 1;
}

static inline void sp_unforce(clnn_context *ctx) { clnn_tune_force(ctx, NULL, NULL); }

#endif
