/* Host side of softmax and log-softmax along the last dimension
 * (cl/layers_softmax.cl on the row-reduction skeleton) and along any
 * dimension (cl/layers_softmax_dim.cl, one work-item per column). */
#include "common/rows.h"
#include "layers/class_dim.h"
#include "tune_family.h"

/* The column kernels: problem {work-items, classes}, one work-item per
 * column (8 with the VW=8 variant) looping over the classes three times. */
static size_t dim_iterations(const size_t problem[2], const clnn__config *cfg)
{
    (void)cfg;
    return 3 * problem[1];
}
#define SOFTMAX_DIM_TUNABLE(id_, kernel_) \
    {id_, "layers_softmax_dim", kernel_, 1, {{NULL, {0}, 0, 0}}, NULL, NULL, dim_iterations}

#define CLNN_TABLE "layers/softmax_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* [P0 rows, P1 columns]; the column kernels: [P0 columns, P1 classes]. */
static clnn_status exercise_softmax(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    clnn_tensor *x = EX_RAND(&b, problem[0], problem[1]), *dy = EX_RAND(&b, problem[0], problem[1]);
    clnn_tensor *y = EX_RAND(&b, problem[0], problem[1]);
    if (t == &tune_dim_forward || t == &tune_dim_backward) { /* [P0 columns, P1 classes] as [P1, P0] over dim 0 */
        clnn_tensor *xt = EX_RAND(&b, problem[1], problem[0]), *yt = EX_RAND(&b, problem[1], problem[0]);
        clnn_tensor *dyt = EX_RAND(&b, problem[1], problem[0]);
        EX_STEP(&b, t == &tune_dim_forward ? clnn_softmax_dim_forward(ctx, xt, 0, yt)
                                           : clnn_softmax_dim_backward(ctx, xt, dyt, 0, yt));
    } else {
        EX_STEP(&b, t == &tune_forward ? clnn_softmax_forward(ctx, x, y) : clnn_softmax_backward(ctx, x, dy, y));
    }
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

/* ------------------------------------------------------ along a dimension */

/* 8 neighbouring columns per work-item where they share an outer index
 * (inner a multiple of 8), else 1 (cl/layers_softmax_dim.cl VW). */
static int dim_vector_width(const clnn__class_dim *cd) { return cd->inner % 8 == 0 ? 8 : 1; }

static clnn_status softmax_dim_forward(clnn_context *ctx, const char *fn, const clnn_tensor *x, int dim,
                                       clnn_tensor *y, cl_int log_out)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    clnn__class_dim cd;
    TRY(clnn__class_dim_of(ctx, fn, "x", x, dim, &cd));
    TRY(clnn__check_same_shape(ctx, fn, "y", y, "x", x));
    cl_uint columns = (cl_uint)(cd.outer * cd.inner), classes = (cl_uint)cd.classes, inner = (cl_uint)cd.inner;
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(x->buffer), KARG(columns), KARG(classes), KARG(inner),
                         KARG(log_out)};
    const int vw = dim_vector_width(&cd);
    size_t problem[2] = {columns / vw, classes};
    return clnn__run_variant(ctx, fn, &tune_dim_forward, vw == 8 ? "-DVW=8" : NULL, problem, 6, args);
}

static clnn_status softmax_dim_backward(clnn_context *ctx, const char *fn, const clnn_tensor *y, const clnn_tensor *dy,
                                        int dim, clnn_tensor *dx, cl_int log_in)
{
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, 0));
    TRY(clnn__check_f32(ctx, fn, "dx", dx, 0));
    TRY(clnn__check_count32(ctx, fn, "y", y));
    clnn__class_dim cd;
    TRY(clnn__class_dim_of(ctx, fn, "y", y, dim, &cd));
    TRY(clnn__check_same_shape(ctx, fn, "dy", dy, "y", y));
    TRY(clnn__check_same_shape(ctx, fn, "dx", dx, "y", y));
    CHECK_ARG(ctx, !clnn__alias(dx, y), "%s: dx must not alias y", fn);
    cl_uint columns = (cl_uint)(cd.outer * cd.inner), classes = (cl_uint)cd.classes, inner = (cl_uint)cd.inner;
    clnn__karg args[] = {KARG_BUF(dx->buffer), KARG_BUF(y->buffer), KARG_BUF(dy->buffer), KARG(columns),
                         KARG(classes), KARG(inner), KARG(log_in)};
    const int vw = dim_vector_width(&cd);
    size_t problem[2] = {columns / vw, classes};
    return clnn__run_variant(ctx, fn, &tune_dim_backward, vw == 8 ? "-DVW=8" : NULL, problem, 7, args);
}

clnn_status clnn_softmax_dim_forward(clnn_context *ctx, const clnn_tensor *x, int dim, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return softmax_dim_forward(ctx, fn, x, dim, y, 0);
}

clnn_status clnn_log_softmax_dim_forward(clnn_context *ctx, const clnn_tensor *x, int dim, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return softmax_dim_forward(ctx, fn, x, dim, y, 1);
}

clnn_status clnn_softmax_dim_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy, int dim,
                                      clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return softmax_dim_backward(ctx, fn, y, dy, dim, dx, 0);
}

clnn_status clnn_log_softmax_dim_backward(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *dy, int dim,
                                          clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return softmax_dim_backward(ctx, fn, y, dy, dim, dx, 1);
}
