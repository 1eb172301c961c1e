/* What the metric and overlap loss tests share (test_metric_losses:
 * embedding losses; test_metric_losses_overlap: overlap, box and directional
 * losses): tensors from host data, downloads, the gradient check and the
 * local-size check. */
#ifndef CLNN_TEST_METRIC_LOSSES_UTIL_H
#define CLNN_TEST_METRIC_LOSSES_UTIL_H

#include "check.h"

#include <math.h>

static inline int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static inline clnn_tensor *new_tensor(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b)
{
    return test_filled(ctx, dtype, a, b, 0.0f);
}

static inline clnn_tensor *upload(clnn_context *ctx, size_t a, size_t b, const float *data)
{
    size_t shape[2] = {a, b};
    return test_tensor_from(ctx, 2, shape, data);
}

static inline clnn_tensor *upload_labels(clnn_context *ctx, const int32_t *labels, size_t n)
{
    clnn_tensor *t = new_tensor(ctx, CLNN_INT32, n, 0);
    CHECK_OK(ctx, clnn_tensor_upload(t, labels, n * sizeof *labels));
    return t;
}

static inline float read_scalar(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

static inline void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    REQUIRE(p, "host memory");
    return p;
}

static inline double *to_double(const float *x, size_t n)
{
    double *d = xmalloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static inline double max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* Gradient check: |got - fd| <= 1e-4 max|fd| + rtol |fd| on every compared
 * element. The absolute part is relative to the gradient's own scale: the
 * device sums fp32 terms of about that size. */
static inline void check_grad(const char *what, const char *name, const float *got, const double *fd,
                              size_t count, double rtol)
{
    double err = test_max_rel_error(got, fd, count, 1e-4 * max_abs(fd, count) + 1e-30, rtol);
    CHECK(err <= 1.0, "%s: %s vs finite differences: error %.3g of tolerance (%zu elements)", what, name, err, count);
}

/* One call of kernel ids[k]'s loss (ml_check_local_sizes): the loss into the
 * caller's loss tensor, the gradients into *out1 and *out2 (NULL: none). */
typedef void (*ml_run)(clnn_context *ctx, size_t k, const void *arg, clnn_tensor **out1, clnn_tensor **out2);

/* The loss and gradient bits of each kernel family under two forced local
 * sizes (1 and 48, not a power of two; three quarters of the kernel's limit
 * where it takes fewer than 48) equal those of the default. */
static inline void ml_check_local_sizes(clnn_context *ctx, const char *const *ids, size_t nids, ml_run run,
                                        const void *arg, const clnn_tensor *loss)
{
    for (size_t k = 0; k < nids; k++) {
        float *first[3] = {NULL, NULL, NULL};
        size_t odd = test_local_fit(ctx, ids[k], NULL, 48);
        if (odd < 48 && odd >= 4 && !(odd & (odd - 1))) odd = odd / 4 * 3; /* still not a power of two */
        size_t sizes[3] = {0, 1, odd};
        for (int s = 0; s < 3; s++) {
            clnn_tune_config cfg = {{sizes[s], 1, 1}, {0}};
            if (s) CHECK_OK(ctx, clnn_tune_force(ctx, ids[k], &cfg));
            clnn_tensor *out1 = NULL, *out2 = NULL;
            run(ctx, k, arg, &out1, &out2);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            float *l = test_download(ctx, loss), *a = test_download(ctx, out1), *b = out2 ? test_download(ctx, out2) : NULL;
            size_t na = clnn_tensor_count(out1), nb = out2 ? clnn_tensor_count(out2) : 0;
            if (s == 0) {
                first[0] = l, first[1] = a, first[2] = b;
                continue;
            }
            CHECK(same_bits(l, first[0], 1) && same_bits(a, first[1], na) && (!b || same_bits(b, first[2], nb)),
                  "%s: local size %zu changes the bits", ids[k], sizes[s]);
            free(l), free(a), free(b);
        }
        free(first[0]), free(first[1]), free(first[2]);
    }
}

#endif
