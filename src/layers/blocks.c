/* Host side of the small building blocks (cl/layers_blocks.cl): residual add and its
 * backward, concatenation and split along dimension 1. */
#include "common/rows.h"
#include "tune_family.h"

#include <stdio.h>

#define CLNN_TABLE "layers/blocks_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* P0 x P1 elements; blocks.copy_block: the concat of two [P1, P0] parts. */
static clnn_status exercise_blocks(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    if (t == &tune_copy) {
        clnn_tensor *parts[2] = {EX_RAND(&b, problem[1], problem[0]), EX_RAND(&b, problem[1], problem[0])};
        EX_STEP(&b, clnn_concat(ctx, 2, (const clnn_tensor *const *)parts, EX_RAND(&b, problem[1], 2 * problem[0])));
    } else {
        clnn_tensor *x = EX_RAND(&b, n), *y = EX_RAND(&b, n), *z = EX_RAND(&b, n);
        EX_STEP(&b, t == &tune_add ? clnn_residual_add(ctx, x, y, z) : clnn_residual_add_backward(ctx, x, 1, y, z));
    }
    return clnn__exercise_end(&b);
}

clnn_status clnn_residual_add(clnn_context *ctx, const clnn_tensor *a, const clnn_tensor *b, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "a", a, 0));
    TRY(clnn__check_f32(ctx, fn, "b", b, 0));
    TRY(clnn__check_f32(ctx, fn, "y", y, 0));
    TRY(clnn__check_count32(ctx, fn, "a", a));
    CHECK_SHAPE(ctx, a->count == b->count && a->count == y->count,
                "%s: a, b and y have %zu, %zu and %zu elements; they must agree", fn, a->count, b->count, y->count);
    cl_uint n = (cl_uint)a->count;
    clnn__karg args[] = {KARG_BUF(y->buffer), KARG_BUF(a->buffer), KARG_BUF(b->buffer), KARG(n)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, &tune_add, problem, 4, args);
}

clnn_status clnn_residual_add_backward(clnn_context *ctx, const clnn_tensor *dy, int accumulate, clnn_tensor *da,
                                       clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "dy", dy, 0));
    TRY(clnn__check_count32(ctx, fn, "dy", dy));
    CHECK_ARG(ctx, accumulate == 0 || accumulate == 1, "%s: accumulate must be 0 or 1, not %d", fn, accumulate);
    clnn_tensor *outs[2] = {da, db};
    const char *names[2] = {"da", "db"};
    for (int i = 0; i < 2; i++) {
        if (!outs[i]) continue;
        TRY(clnn__check_f32(ctx, fn, names[i], outs[i], 0));
        CHECK_SHAPE(ctx, outs[i]->count == dy->count, "%s: %s has %zu elements, dy has %zu", fn, names[i],
                    outs[i]->count, dy->count);
        CHECK_ARG(ctx, !clnn__alias(outs[i], dy), "%s: %s must not alias dy", fn, names[i]);
    }
    CHECK_ARG(ctx, !(da && db && clnn__alias(da, db)), "%s: da and db must be different tensors", fn);
    cl_uint n = (cl_uint)dy->count;
    cl_int acc = accumulate;
    for (int i = 0; i < 2; i++) {
        if (!outs[i]) continue;
        clnn__karg args[] = {KARG_BUF(outs[i]->buffer), KARG_BUF(dy->buffer), KARG(n), KARG(acc)};
        size_t problem[2] = {n, 1};
        TRY(clnn__run(ctx, fn, &tune_route, problem, 4, args));
    }
    return CLNN_OK;
}

/* Checks that parts[0..count) stack along dimension 1 into whole; the
 * per-part widths (dim 1 x inner size) go to width[]. */
static clnn_status check_stack(clnn_context *ctx, const char *fn, const char *whole_name, const clnn_tensor *whole,
                               const char *parts_name, size_t count, const clnn_tensor *const *parts)
{
    TRY(clnn__check_f32(ctx, fn, whole_name, whole, 0));
    TRY(clnn__check_count32(ctx, fn, whole_name, whole));
    CHECK_ARG(ctx, count >= 1, "%s: count is 0", fn);
    CHECK_ARG(ctx, parts != NULL, "%s: %s is NULL", fn, parts_name);
    CHECK_SHAPE(ctx, whole->ndim >= 2, "%s: %s must have at least 2 dimensions (dimension 1 is split)", fn,
                whole_name);
    size_t channels = 0;
    char name[48], ws[64], ps[64];
    for (size_t i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s[%zu]", parts_name, i);
        TRY(clnn__check_f32(ctx, fn, name, parts[i], 0));
        int same = parts[i]->ndim == whole->ndim && parts[i]->shape[0] == whole->shape[0];
        for (int d = 2; same && d < whole->ndim; d++) same = parts[i]->shape[d] == whole->shape[d];
        CHECK_SHAPE(ctx, same, "%s: %s %s must match %s %s in every dimension but 1", fn, name,
                    clnn__shape_str(parts[i], ps, sizeof ps), whole_name, clnn__shape_str(whole, ws, sizeof ws));
        CHECK_ARG(ctx, !clnn__alias(parts[i], whole), "%s: %s must not alias %s", fn, name, whole_name);
        channels += parts[i]->shape[1];
    }
    CHECK_SHAPE(ctx, channels == whole->shape[1], "%s: the parts have %zu channels (dimension 1), %s has %zu", fn,
                channels, whole_name, whole->shape[1]);
    return CLNN_OK;
}

/* Copies every part to or from its column range of whole viewed as [dim 0, rest]. */
static clnn_status copy_parts(clnn_context *ctx, const char *fn, const clnn_tensor *whole, size_t count,
                              const clnn_tensor *const *parts, int to_whole)
{
    cl_uint rows = (cl_uint)whole->shape[0], stride = (cl_uint)(whole->count / whole->shape[0]), off = 0, zero = 0;
    for (size_t i = 0; i < count; i++) {
        cl_uint cols = (cl_uint)(parts[i]->count / rows);
        clnn__karg to[] = {KARG_BUF(whole->buffer), KARG_BUF(parts[i]->buffer), KARG(rows), KARG(cols), KARG(stride),
                           KARG(off), KARG(cols), KARG(zero)};
        clnn__karg from[] = {KARG_BUF(parts[i]->buffer), KARG_BUF(whole->buffer), KARG(rows), KARG(cols),
                             KARG(cols), KARG(zero), KARG(stride), KARG(off)};
        size_t problem[2] = {cols, rows};
        TRY(clnn__run(ctx, fn, &tune_copy, problem, 8, to_whole ? to : from));
        off += cols;
    }
    return CLNN_OK;
}

clnn_status clnn_concat(clnn_context *ctx, size_t count, const clnn_tensor *const *inputs, clnn_tensor *out)
{
    CLNN_ENTRY(ctx);
    TRY(check_stack(ctx, fn, "out", out, "inputs", count, inputs));
    return copy_parts(ctx, fn, out, count, inputs, 1);
}

clnn_status clnn_split(clnn_context *ctx, const clnn_tensor *x, size_t count, clnn_tensor *const *outputs)
{
    CLNN_ENTRY(ctx);
    TRY(check_stack(ctx, fn, "x", x, "outputs", count, (const clnn_tensor *const *)outputs));
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            CHECK_ARG(ctx, !clnn__alias(outputs[i], outputs[j]), "%s: outputs[%zu] and outputs[%zu] are the same",
                      fn, i, j);
    return copy_parts(ctx, fn, x, count, (const clnn_tensor *const *)outputs, 0);
}
