/* Helpers shared by the layer tests (conv, pool, norm, attention): host
 * copies, device round trips, central finite differences in double. */
#ifndef CLNN_TEST_LAYER_UTIL_H
#define CLNN_TEST_LAYER_UTIL_H

#include "check.h"

#include <math.h>

static inline double *util_to_double(const float *x, size_t n)
{
    double *d = malloc(n * sizeof *d + 1);
    REQUIRE(d, "host memory");
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static inline float *util_random(size_t n, unsigned seed, float lo, float hi)
{
    float *x = malloc(n * sizeof *x + 1);
    REQUIRE(x, "host memory");
    test_fill_uniform(x, n, seed, lo, hi);
    return x;
}

static inline clnn_tensor *util_tensor(clnn_context *ctx, size_t d0, size_t d1, size_t d2, size_t d3, int ndim)
{
    size_t shape[4] = {d0, d1, d2, d3};
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &t) == CLNN_OK, "%s", clnn_last_error(ctx));
    REQUIRE(clnn_tensor_fill(t, NAN) == CLNN_OK, "%s", clnn_last_error(ctx)); /* unwritten outputs show up as NaN */
    return t;
}

static inline float *util_download(clnn_context *ctx, const clnn_tensor *t)
{
    size_t n = clnn_tensor_count(t);
    float *h = malloc(n * sizeof *h + 1);
    REQUIRE(h, "host memory");
    REQUIRE(clnn_tensor_download(t, h, n * sizeof *h) == CLNN_OK, "%s", clnn_last_error(ctx));
    return h;
}

/* Central differences of loss(user) with respect to each p[i] (i < n, at most
 * `limit` indices spread evenly), compared with grad[i]. Returns the worst
 * |grad - fd| / (atol + rtol |fd|). */
static inline double util_fd_check(double *p, size_t n, size_t limit, double h, double (*loss)(void *user),
                                   void *user, const float *grad, double atol, double rtol)
{
    double worst = 0;
    size_t step = n > limit ? n / limit : 1;
    for (size_t i = 0; i < n; i += step) {
        double keep = p[i];
        p[i] = keep + h;
        double up = loss(user);
        p[i] = keep - h;
        double down = loss(user);
        p[i] = keep;
        double fd = (up - down) / (2 * h);
        double e = fabs((double)grad[i] - fd) / (atol + rtol * fabs(fd));
        if (!(e <= worst)) worst = e; /* NaN counts as the worst */
    }
    return worst;
}

/* sum(y * r) over n elements */
static inline double util_dot(const double *y, const double *r, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += y[i] * r[i];
    return s;
}

/* Two downloads are bit-identical. */
static inline int util_same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

#endif
