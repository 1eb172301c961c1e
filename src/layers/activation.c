/* Host side of the element-wise activations (cl/layers_activation.cl): one kernel
 * source for every function, compiled per function (clnn__act_variant). */
#include "common/rows.h"
#include "tune_family.h"

#include <stdio.h>

#define CLNN_TABLE "layers/activation_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* GELU on P0 x P1 elements. */
static clnn_status exercise_activation(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    clnn_tensor *x = EX_RAND(&b, n), *dy = EX_RAND(&b, n), *y = EX_RAND(&b, n);
    EX_STEP(&b, t == &tune_forward ? clnn_activation_forward(ctx, x, CLNN_ACT_GELU, 0.0f, y)
                                   : clnn_activation_backward(ctx, x, dy, CLNN_ACT_GELU, 0.0f, y));
    return clnn__exercise_end(&b);
}

const char *clnn__act_variant(clnn_activation act, char *buf)
{
    snprintf(buf, 32, "-DACT_FIXED=%d", (int)act);
    return buf;
}

clnn_status clnn_activation_forward(clnn_context *ctx, const clnn_tensor *x, clnn_activation act, float alpha,
                                    clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_activation(ctx, fn, act, alpha));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    CHECK_SHAPE(ctx, x->count == y->count, "%s: x has %zu elements, y has %zu", fn, x->count, y->count);
    TRY(clnn__check_count32(ctx, fn, "x", x));
    cl_uint n = (cl_uint)x->count;
    cl_int a = (cl_int)act;
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(x->buffer), KARG(n), KARG(a), KARG(alpha)};
    size_t problem[2] = {n, 1};
    char variant[32];
    return clnn__run_variant(ctx, fn, &tune_forward, clnn__act_variant(act, variant), problem, 5, args);
}

clnn_status clnn_activation_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                     clnn_activation act, float alpha, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_activation(ctx, fn, act, alpha));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, 0));
    TRY(clnn__check_f32(ctx, fn, "dx", dx, 0));
    CHECK_SHAPE(ctx, x->count == dy->count && x->count == dx->count,
                "%s: x, dy and dx have %zu, %zu and %zu elements; they must agree", fn, x->count, dy->count,
                dx->count);
    TRY(clnn__check_count32(ctx, fn, "x", x));
    cl_uint n = (cl_uint)x->count;
    cl_int a = (cl_int)act;
    clnn__karg args[] = {KARG_BUF(dx->buffer), KARG_BUF(dy->buffer), KARG_BUF(x->buffer), KARG(n), KARG(a),
                         KARG(alpha)};
    size_t problem[2] = {n, 1};
    char variant[32];
    return clnn__run_variant(ctx, fn, &tune_backward, clnn__act_variant(act, variant), problem, 6, args);
}
