/* Host side of softmax and log-softmax along the last dimension
 * (cl/layers_softmax.cl on the row-reduction skeleton). */
#include "common/rows.h"
#include "tune_family.h"

#define CLNN_TABLE "layers/softmax_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* [P0 rows, P1 columns]. */
static clnn_status exercise_softmax(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    clnn_tensor *x = EX_RAND(&b, problem[0], problem[1]), *dy = EX_RAND(&b, problem[0], problem[1]);
    clnn_tensor *y = EX_RAND(&b, problem[0], problem[1]);
    EX_STEP(&b, t == &tune_forward ? clnn_softmax_forward(ctx, x, y) : clnn_softmax_backward(ctx, x, dy, y));
    return clnn__exercise_end(&b);
}

static clnn_status softmax_forward(clnn_context *ctx, const char *fn, const clnn_tensor *x, clnn_tensor *y,
                                   cl_int log_out)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    char xs[64], ys[64];
    CHECK_SHAPE(ctx, x->count == y->count && x->shape[x->ndim - 1] == y->shape[y->ndim - 1],
                "%s: y %s must have the rows of x %s", fn, clnn__shape_str(y, ys, sizeof ys),
                clnn__shape_str(x, xs, sizeof xs));
    cl_uint cols = (cl_uint)x->shape[x->ndim - 1], rows = (cl_uint)(x->count / cols);
    cl_uint lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(x->buffer), KARG(rows), KARG(cols), KARG(lanes),
                         KARG(log_out), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {rows, cols};
    return clnn__run(ctx, fn, &tune_forward, problem, 7, args);
}

static clnn_status softmax_backward(clnn_context *ctx, const char *fn, const clnn_tensor *y, const clnn_tensor *dy,
                                    clnn_tensor *dx, cl_int log_in)
{
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, 0));
    TRY(clnn__check_f32(ctx, fn, "dx", dx, 0));
    TRY(clnn__check_count32(ctx, fn, "y", y));
    size_t c = y->shape[y->ndim - 1];
    CHECK_SHAPE(ctx, dy->count == y->count && dx->count == y->count && dy->shape[dy->ndim - 1] == c &&
                         dx->shape[dx->ndim - 1] == c,
                "%s: y, dy and dx must have the same rows", fn);
    CHECK_ARG(ctx, !clnn__alias(dx, y), "%s: dx must not alias y", fn);
    cl_uint cols = (cl_uint)c, rows = (cl_uint)(y->count / cols);
    cl_uint lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(dx->buffer), KARG_BUF(y->buffer), KARG_BUF(dy->buffer), KARG(rows), KARG(cols),
                         KARG(lanes), KARG(log_in), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {rows, cols};
    return clnn__run(ctx, fn, &tune_backward, problem, 8, args);
}

clnn_status clnn_softmax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return softmax_forward(ctx, fn, x, y, 0);
}

clnn_status clnn_log_softmax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return softmax_forward(ctx, fn, x, y, 1);
}

clnn_status clnn_softmax_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return softmax_backward(ctx, fn, y, dy, dx, 0);
}

clnn_status clnn_log_softmax_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy,
                                      clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return softmax_backward(ctx, fn, y, dy, dx, 1);
}
