/* Host side of the element-wise activations (cl/layers_activation.cl): one kernel
 * source for every function, compiled per function (clnn__act_variant), and
 * the activations with parameters of their own, PReLU and softplus with beta
 * and threshold. */
#include "common/rows.h"
#include "divisor.h"
#include "tune_family.h"

#include <math.h>
#include <stdio.h>

#define CLNN_TABLE "layers/activation_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* GELU, softplus (beta 2, threshold 20) on P0 x P1 elements; PReLU on
 * [P0, P1] with a weight per column. */
static clnn_status exercise_activation(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    clnn_tensor *x = EX_RAND(&b, n), *dy = EX_RAND(&b, n), *y = EX_RAND(&b, n);
    if (t == &tune_prelu_forward || t == &tune_prelu_backward) {
        clnn_tensor *x2 = EX_RAND(&b, problem[0], problem[1]), *dy2 = EX_RAND(&b, problem[0], problem[1]);
        clnn_tensor *y2 = EX_RAND(&b, problem[0], problem[1]), *w = EX_RAND(&b, problem[1]);
        EX_STEP(&b, t == &tune_prelu_forward ? clnn_prelu_forward(ctx, x2, w, y2)
                                             : clnn_prelu_backward(ctx, x2, w, dy2, y2, EX_RAND(&b, problem[1])));
    } else if (t == &tune_softplus_forward) {
        EX_STEP(&b, clnn_softplus_forward(ctx, x, 2.0f, 20.0f, y));
    } else if (t == &tune_softplus_backward) {
        EX_STEP(&b, clnn_softplus_backward(ctx, x, dy, 2.0f, 20.0f, y));
    } else {
        EX_STEP(&b, t == &tune_forward ? clnn_activation_forward(ctx, x, CLNN_ACT_GELU, 0.0f, y)
                                       : clnn_activation_backward(ctx, x, dy, CLNN_ACT_GELU, 0.0f, y));
    }
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

/* ------------------------------------------------------------------ PReLU */

/* The channel layout of x for a weight of w->count elements: one shared
 * weight, or C = x's dimension 1 with `inner` elements per (sample,
 * channel). */
static clnn_status prelu_layout(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *w,
                                size_t *channels, size_t *inner)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "weight", w, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    *channels = 1;
    *inner = 1;
    if (w->count == 1) return CLNN_OK;
    CHECK_SHAPE(ctx, x->ndim >= 2 && x->shape[1] == w->count,
                "%s: weight has %zu elements; it must have 1, or C = x's dimension 1 (x has %d dimensions, "
                "dimension 1 of %zu)",
                fn, w->count, x->ndim, x->ndim >= 2 ? x->shape[1] : (size_t)0);
    *channels = w->count;
    for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
    return CLNN_OK;
}

clnn_status clnn_prelu_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *weight, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    size_t channels, inner;
    TRY(prelu_layout(ctx, fn, x, weight, &channels, &inner));
    TRY(clnn__check_same_shape(ctx, fn, "y", y, "x", x));
    const clnn_tensor *outs[] = {y}, *ins[] = {weight};
    const char *out_names[] = {"y"}, *in_names[] = {"weight"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 1));
    cl_uint n = (cl_uint)x->count;
    cl_uint4 dv_inner = clnn__divisor((cl_uint)inner), dv_channels = clnn__divisor((cl_uint)channels);
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(x->buffer), KARG_BUF(weight->buffer), KARG(n),
                         KARG(dv_inner),      KARG(dv_channels)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_prelu_forward, problem, 6, args);
}

clnn_status clnn_prelu_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *weight,
                                const clnn_tensor *dy, clnn_tensor *dx, clnn_tensor *dweight)
{
    CLNN_ENTRY(ctx);
    size_t channels, inner;
    TRY(prelu_layout(ctx, fn, x, weight, &channels, &inner));
    TRY(clnn__check_same_shape(ctx, fn, "dy", dy, "x", x));
    CHECK_ARG(ctx, dx || dweight, "%s: dx and dweight are both NULL; nothing to compute", fn);
    if (dx) TRY(clnn__check_same_shape(ctx, fn, "dx", dx, "x", x));
    if (dweight) TRY(clnn__check_f32(ctx, fn, "dweight", dweight, weight->count));
    /* dx may be x or dy (each element is read and written by one work-item),
     * not weight; dweight shares memory with nothing */
    const clnn_tensor *outs[] = {dweight, dx}, *ins[] = {weight, x, dy, dx};
    const char *out_names[] = {"dweight", "dx"}, *in_names[] = {"weight", "x", "dy", "dx"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 4));
    TRY(clnn__check_disjoint(ctx, fn, outs + 1, out_names + 1, 1, ins, in_names, 1));
    cl_mem terms = NULL;
    if (dweight) TRY(clnn__scratch(ctx, fn, x->count, &terms));
    cl_uint n = (cl_uint)x->count;
    cl_uint4 dv_inner = clnn__divisor((cl_uint)inner), dv_channels = clnn__divisor((cl_uint)channels);
    cl_int want_dx = dx != NULL, want_t = dweight != NULL;
    cl_mem dx_buf = dx ? dx->buffer : x->buffer, t_buf = terms ? terms : x->buffer; /* unwritten without want_* */
    clnn__karg args[] = {KARG_BUF(dx_buf), KARG_BUF(t_buf),       KARG_BUF(dy->buffer), KARG_BUF(x->buffer),
                         KARG_BUF(weight->buffer), KARG(n),       KARG(dv_inner),       KARG(dv_channels),
                         KARG(want_dx),   KARG(want_t)};
    size_t problem[2] = {n, 1};
    clnn_status st = clnn__run(ctx, fn, &tune_prelu_backward, problem, 10, args);
    /* element i of channel c at c*inner + (i / inner)*(C*inner) + i % inner, in a fixed order */
    if (st == CLNN_OK && dweight)
        st = clnn__group_sum(ctx, fn, terms, dweight->buffer, channels, x->count / channels, inner, inner,
                             channels * inner, 1.0f);
    if (terms) clReleaseMemObject(terms);
    return st;
}

/* --------------------------------------------------- softplus(beta, threshold) */

static clnn_status check_softplus(clnn_context *ctx, const char *fn, float beta, float threshold)
{
    CHECK_ARG(ctx, clnn__is_finite(beta) && beta > 0.0f, "%s: beta is %g; it must be finite and > 0", fn, beta);
    CHECK_ARG(ctx, !isnan(threshold), "%s: threshold is NaN", fn);
    return CLNN_OK;
}

clnn_status clnn_softplus_forward(clnn_context *ctx, const clnn_tensor *x, float beta, float threshold,
                                  clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(check_softplus(ctx, fn, beta, threshold));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "y", y, x->count));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    cl_uint n = (cl_uint)x->count;
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(x->buffer), KARG(n), KARG(beta), KARG(threshold)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_softplus_forward, problem, 5, args);
}

clnn_status clnn_softplus_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy, float beta,
                                   float threshold, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(check_softplus(ctx, fn, beta, threshold));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, x->count));
    TRY(clnn__check_f32(ctx, fn, "dx", dx, x->count));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    cl_uint n = (cl_uint)x->count;
    clnn__karg args[] = {KARG_BUF(dx->buffer), KARG_BUF(dy->buffer), KARG_BUF(x->buffer), KARG(n), KARG(beta),
                         KARG(threshold)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_softplus_backward, problem, 6, args);
}
