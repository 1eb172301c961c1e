/* Host side of inverted dropout (cl/dropout.cl): the mask is regenerated from
 * (seed, stream, element index) by Philox4x32-10, never stored. */
#include "layers_common.h"

#include <math.h>

/* one work-item per Philox block of four elements */
#define PER_BLOCK(id_, kernel_) {id_, "dropout", kernel_, 1, {{NULL, {0}, 0, 0}}, NULL, clnn__global_philox_blocks}
static const clnn__tunable tune_forward = PER_BLOCK("dropout.forward", "dropout_forward");
static const clnn__tunable tune_backward = PER_BLOCK("dropout.backward", "dropout_backward");

const clnn__tunable *const clnn__dropout_tunables[] = {&tune_forward, &tune_backward, NULL};

static clnn_status check_p(clnn_context *ctx, const char *fn, float p)
{
    CHECK_ARG(ctx, clnn__is_finite(p) && p >= 0.0f && p < 1.0f, "%s: p %g is not in [0, 1)", fn, (double)p);
    return CLNN_OK;
}

clnn_status clnn_dropout_forward(clnn_context *ctx, const clnn_tensor *x, float p, uint64_t seed, uint32_t stream,
                                 clnn_tensor *y, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(check_p(ctx, fn, p));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    CHECK_SHAPE(ctx, x->count == y->count, "%s: x has %zu elements, y has %zu", fn, x->count, y->count);
    if (mask) {
        TRY(clnn__check_f32(ctx, fn, "mask", mask, 0));
        CHECK_SHAPE(ctx, mask->count == x->count, "%s: mask has %zu elements, x has %zu", fn, mask->count, x->count);
        CHECK_ARG(ctx, !clnn__alias(mask, x) && !clnn__alias(mask, y), "%s: mask must differ from x and y",
                  fn);
    }
    cl_uint n = (cl_uint)x->count, st = stream;
    cl_float scale = 1.0f / (1.0f - p);
    cl_ulong s = seed;
    cl_int want_mask = mask != NULL;
    cl_mem m = mask ? mask->buffer : y->buffer; /* unwritten without want_mask */
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(m), KARG_BUF(x->buffer), KARG(n), KARG(p), KARG(scale),
                         KARG(s), KARG(st), KARG(want_mask)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_forward, problem, 9, args);
}

clnn_status clnn_dropout_backward(clnn_context *ctx, const clnn_tensor *dy, float p, uint64_t seed, uint32_t stream,
                                  clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(check_p(ctx, fn, p));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, 0));
    TRY(clnn__check_f32(ctx, fn, "dx", dx, 0));
    TRY(clnn__check_count32(ctx, fn, "dy", dy));
    CHECK_SHAPE(ctx, dy->count == dx->count, "%s: dy has %zu elements, dx has %zu", fn, dy->count, dx->count);
    cl_uint n = (cl_uint)dy->count, st = stream;
    cl_float scale = 1.0f / (1.0f - p);
    cl_ulong s = seed;
    clnn__karg args[] = {KARG_BUF(dx->buffer), KARG_BUF(dy->buffer), KARG(n), KARG(p), KARG(scale), KARG(s),
                         KARG(st)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_backward, problem, 7, args);
}
