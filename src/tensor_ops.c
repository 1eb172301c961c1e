/* Host side of the basic tensor kernels (cl/tensor.cl): fill, copy, scale,
 * axpy, random fills. */
#include "internal.h"
#include "tune_family.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CLNN_TABLE "tensor_tunables.def"
#include "tune_table.h"
/* one work-item per four elements (Philox blocks: cl/philox.clh) */
#define PER_BLOCK(id_, kernel_) CLNN_TUNABLE(id_, "tensor", kernel_, NULL, clnn__global_philox_blocks)

/* ---------------------------------------------------------------- tuning */

/* A tensor of n elements holding reproducible values in [-1, 1). */
static clnn_status random_tensor(clnn_context *ctx, clnn_dtype dtype, size_t n, unsigned seed, clnn_tensor **out)
{
    TRY(clnn_tensor_create(ctx, dtype, 1, &n, out));
    uint32_t *host = malloc(n * sizeof *host);
    if (!host) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "clnn_tune_kernel: out of host memory");
    for (size_t i = 0; i < n; i++) {
        float v = clnn_philox_uniform(seed, 0, i) * 2.0f - 1.0f;
        if (dtype == CLNN_INT32) host[i] = (uint32_t)(int32_t)(v * 1000.0f);
        else memcpy(&host[i], &v, sizeof v);
    }
    clnn_status st = clnn_tensor_upload(*out, host, n * sizeof *host);
    free(host);
    return st;
}

/* problem = {elements, 1} (P0 * P1 elements): every tensor kernel is one
 * work-item per element (per four for the Philox fills). */
static clnn_status exercise_tensor(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    size_t n = problem[0] * (problem[1] ? problem[1] : 1);
    clnn_tensor *x = NULL, *y = NULL;
    clnn_status st = random_tensor(ctx, t == &tune_fill_i32 ? CLNN_INT32 : CLNN_FLOAT32, n, 1, &x);
    if (st == CLNN_OK) st = random_tensor(ctx, CLNN_FLOAT32, n, 2, &y);
    if (st == CLNN_OK) {
        if (t == &tune_fill_f32 || t == &tune_fill_i32) st = clnn_tensor_fill(x, 3.0f);
        else if (t == &tune_copy) st = clnn_tensor_copy(y, x);
        else if (t == &tune_scale) st = clnn_scale(x, 0.75f);
        else if (t == &tune_axpy) st = clnn_axpy(0.5f, x, y);
        else if (t == &tune_uniform) st = clnn_tensor_random_uniform(x, 42, 3, -1.0f, 1.0f);
        else st = clnn_tensor_random_normal(x, 42, 3, 0.0f, 1.0f);
    }
    if (st == CLNN_OK) st = clnn_finish(ctx);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    return st;
}

/* Launches a one-item-per-element kernel over n elements. */
static clnn_status launch_1d(clnn_context *ctx, const char *fn, const clnn__tunable *t, size_t n, size_t nargs,
                             const clnn__karg *args)
{
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, t, problem, nargs, args);
}

clnn_status clnn_tensor_fill(clnn_tensor *t, float value)
{
    CLNN_ENTRY_TENSOR(t);
    cl_uint n = (cl_uint)t->count;
    if (t->dtype == CLNN_INT32) {
        /* every integral float in [-2^31, 2^31) is an int32 (NaN fails both tests) */
        CHECK_ARG(ctx, value == floorf(value) && value >= -2147483648.0f && value < 2147483648.0f,
                  "%s: value %g is not an int32 for an int32 tensor", fn, (double)value);
        cl_int v = (cl_int)value;
        clnn__karg a[] = {KARG_BUF(t->buffer), KARG(n), KARG(v)};
        return launch_1d(ctx, fn, &tune_fill_i32, n, 3, a);
    }
    clnn__karg a[] = {KARG_BUF(t->buffer), KARG(n), KARG(value)};
    return launch_1d(ctx, fn, &tune_fill_f32, n, 3, a);
}

clnn_status clnn_tensor_copy(clnn_tensor *dst, const clnn_tensor *src)
{
    CLNN_ENTRY_TENSOR(dst);
    TRY(clnn__check_tensor(ctx, fn, "src", src));
    CHECK_SHAPE(ctx, src->dtype == dst->dtype, "%s: dst and src have different dtypes", fn);
    CHECK_SHAPE(ctx, src->count == dst->count, "%s: dst has %zu elements, src has %zu", fn, dst->count,
                src->count);
    if (src == dst) return CLNN_OK;
    cl_uint n = (cl_uint)src->count;
    clnn__karg a[] = {KARG_BUF(dst->buffer), KARG_BUF(src->buffer), KARG(n)};
    return launch_1d(ctx, fn, &tune_copy, n, 3, a);
}

clnn_status clnn_scale(clnn_tensor *x, float alpha)
{
    CLNN_ENTRY_TENSOR(x);
    CHECK_SHAPE(ctx, x->dtype == CLNN_FLOAT32, "%s: x must be float32", fn);
    CHECK_ARG(ctx, clnn__is_finite(alpha), "%s: alpha is not finite", fn);
    cl_uint n = (cl_uint)x->count;
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG(n), KARG(alpha)};
    return launch_1d(ctx, fn, &tune_scale, n, 3, a);
}

clnn_status clnn_axpy(float alpha, const clnn_tensor *x, clnn_tensor *y)
{
    CLNN_ENTRY_TENSOR(y);
    TRY(clnn__check_tensor(ctx, fn, "x", x));
    CHECK_SHAPE(ctx, x->dtype == CLNN_FLOAT32 && y->dtype == CLNN_FLOAT32, "%s: x and y must be float32", fn);
    CHECK_SHAPE(ctx, x->count == y->count, "%s: x has %zu elements, y has %zu", fn, x->count, y->count);
    CHECK_ARG(ctx, clnn__is_finite(alpha), "%s: alpha is not finite", fn);
    cl_uint n = (cl_uint)x->count;
    clnn__karg a[] = {KARG_BUF(y->buffer), KARG_BUF(x->buffer), KARG(n), KARG(alpha)};
    return launch_1d(ctx, fn, &tune_axpy, n, 4, a);
}

static clnn_status random_fill(clnn_tensor *t, const char *fn, const clnn__tunable *tun, uint64_t seed,
                               uint32_t stream, float a, float b)
{
    CHECK_SHAPE(t->ctx, t->dtype == CLNN_FLOAT32, "%s: t must be float32", fn);
    CHECK_ARG(t->ctx, clnn__is_finite(a) && clnn__is_finite(b), "%s: parameters must be finite", fn);
    cl_uint n = (cl_uint)t->count;
    cl_ulong s = seed;
    cl_uint st = stream;
    clnn__karg args[] = {KARG_BUF(t->buffer), KARG(n), KARG(s), KARG(st), KARG(a), KARG(b)};
    return launch_1d(t->ctx, fn, tun, n, 6, args);
}

clnn_status clnn_tensor_random_uniform(clnn_tensor *t, uint64_t seed, uint32_t stream, float lo, float hi)
{
    CLNN_ENTRY_TENSOR(t);
    CHECK_ARG(ctx, lo <= hi, "%s: lo %g is above hi %g", fn, (double)lo, (double)hi);
    /* lo + (hi - lo) * u: a range wider than FLT_MAX would fill with inf/NaN */
    CHECK_ARG(ctx, clnn__is_finite(hi - lo), "%s: hi - lo overflows (lo %g, hi %g)", fn, (double)lo, (double)hi);
    return random_fill(t, fn, &tune_uniform, seed, stream, lo, hi);
}

clnn_status clnn_tensor_random_normal(clnn_tensor *t, uint64_t seed, uint32_t stream, float mean, float stddev)
{
    CLNN_ENTRY_TENSOR(t);
    CHECK_ARG(ctx, stddev >= 0, "%s: stddev %g is negative", fn, (double)stddev);
    return random_fill(t, fn, &tune_normal, seed, stream, mean, stddev);
}
