/* Host side of the basic tensor kernels (cl/tensor.cl): fill, copy, scale, axpy. */
#include "internal.h"

#include <math.h>

/* Launches a 1-D elementwise kernel of cl/tensor.cl over n elements. */
static clnn_status launch_1d(clnn_context *ctx, const char *fn, const char *kernel, size_t n, size_t nargs,
                             const clnn__karg *args)
{
    cl_kernel k;
    TRY(clnn__kernel_get(ctx, fn, "tensor", "", kernel, &k));
    TRY(clnn__set_args(ctx, fn, k, nargs, args));
    clnn__launch l = {1, {n, 0, 0}, {clnn__default_local_1d(ctx, k, n), 0, 0}};
    return clnn__enqueue(ctx, fn, k, &l);
}

clnn_status clnn_tensor_fill(clnn_tensor *t, float value)
{
    static const char *fn = "clnn_tensor_fill";
    if (!t) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: t is NULL", fn);
    clnn_context *ctx = t->ctx;
    cl_uint n = (cl_uint)t->count;
    if (t->dtype == CLNN_INT32) {
        CHECK_ARG(ctx, value == floorf(value) && fabsf(value) <= 2147483520.0f,
                  "%s: value %g is not an int32 for an int32 tensor", fn, (double)value);
        cl_int v = (cl_int)value;
        clnn__karg a[] = {KARG(t->buffer), KARG(n), KARG(v)};
        return launch_1d(ctx, fn, "fill_i32", n, 3, a);
    }
    clnn__karg a[] = {KARG(t->buffer), KARG(n), KARG(value)};
    return launch_1d(ctx, fn, "fill_f32", n, 3, a);
}

clnn_status clnn_tensor_copy(clnn_tensor *dst, const clnn_tensor *src)
{
    static const char *fn = "clnn_tensor_copy";
    if (!dst) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: dst is NULL", fn);
    clnn_context *ctx = dst->ctx;
    TRY(clnn__check_tensor(ctx, fn, "src", src));
    CHECK_SHAPE(ctx, src->dtype == dst->dtype, "%s: dst and src have different dtypes", fn);
    CHECK_SHAPE(ctx, src->count == dst->count, "%s: dst has %zu elements, src has %zu", fn, dst->count,
                src->count);
    if (src == dst) return CLNN_OK;
    cl_uint n = (cl_uint)src->count;
    clnn__karg a[] = {KARG(dst->buffer), KARG(src->buffer), KARG(n)};
    return launch_1d(ctx, fn, "copy_u32", n, 3, a);
}

clnn_status clnn_scale(clnn_tensor *x, float alpha)
{
    static const char *fn = "clnn_scale";
    if (!x) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: x is NULL", fn);
    CHECK_ARG(x->ctx, x->dtype == CLNN_FLOAT32, "%s: x must be float32", fn);
    CHECK_ARG(x->ctx, clnn__is_finite(alpha), "%s: alpha is not finite", fn);
    cl_uint n = (cl_uint)x->count;
    clnn__karg a[] = {KARG(x->buffer), KARG(n), KARG(alpha)};
    return launch_1d(x->ctx, fn, "scale_f32", n, 3, a);
}

clnn_status clnn_axpy(float alpha, const clnn_tensor *x, clnn_tensor *y)
{
    static const char *fn = "clnn_axpy";
    if (!y) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: y is NULL", fn);
    clnn_context *ctx = y->ctx;
    TRY(clnn__check_tensor(ctx, fn, "x", x));
    CHECK_ARG(ctx, x->dtype == CLNN_FLOAT32 && y->dtype == CLNN_FLOAT32, "%s: x and y must be float32", fn);
    CHECK_SHAPE(ctx, x->count == y->count, "%s: x has %zu elements, y has %zu", fn, x->count, y->count);
    CHECK_ARG(ctx, clnn__is_finite(alpha), "%s: alpha is not finite", fn);
    cl_uint n = (cl_uint)x->count;
    clnn__karg a[] = {KARG(y->buffer), KARG(x->buffer), KARG(n), KARG(alpha)};
    return launch_1d(ctx, fn, "axpy_f32", n, 4, a);
}
