/* Host side of inverted dropout (cl/layers_dropout.cl): the mask is regenerated from
 * (seed, stream, element index) by Philox4x32-10, never stored. */
#include "common/rows.h"
#include "tune_family.h"

/* one work-item per Philox block of four elements */
#define CLNN_TABLE "layers/dropout_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* P0 x P1 elements. */
static clnn_status exercise_dropout(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    clnn_tensor *x = EX_RAND(&b, n), *y = EX_RAND(&b, n), *mask = EX_RAND(&b, n);
    EX_STEP(&b, t == &tune_forward ? clnn_dropout_forward(ctx, x, 0.1f, 5, 0, y, mask)
                                   : clnn_dropout_backward(ctx, x, 0.1f, 5, 0, y));
    return clnn__exercise_end(&b);
}

/* p, the input and an output of its element count. */
static clnn_status check_call(clnn_context *ctx, const char *fn, float p, const char *in_name, const clnn_tensor *in,
                              const char *out_name, const clnn_tensor *out)
{
    TRY(clnn__check_drop_p(ctx, fn, p));
    TRY(clnn__check_f32(ctx, fn, in_name, in, 0));
    TRY(clnn__check_f32(ctx, fn, out_name, out, 0));
    TRY(clnn__check_count32(ctx, fn, in_name, in));
    CHECK_SHAPE(ctx, in->count == out->count, "%s: %s has %zu elements, %s has %zu", fn, in_name, in->count, out_name,
                out->count);
    return CLNN_OK;
}

clnn_status clnn_dropout_forward(clnn_context *ctx, const clnn_tensor *x, float p, uint64_t seed, uint32_t stream,
                                 clnn_tensor *y, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(check_call(ctx, fn, p, "x", x, "y", y));
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
    TRY(check_call(ctx, fn, p, "dy", dy, "dx", dx));
    cl_uint n = (cl_uint)dy->count, st = stream;
    cl_float scale = 1.0f / (1.0f - p);
    cl_ulong s = seed;
    clnn__karg args[] = {KARG_BUF(dx->buffer), KARG_BUF(dy->buffer), KARG(n), KARG(p), KARG(scale), KARG(s),
                         KARG(st)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_backward, problem, 7, args);
}
