/* Host side of the Bernoulli-mask and noise regularizers (cl/stochastic.cl):
 * DropConnect, spatial dropout, stochastic depth, Mixout, noise injection.
 * DropBlock has its own file (dropblock.c). */
#include "stochastic/stochastic_internal.h"
#include "tune_family.h"

/* one work-item per four elements (a Philox block of draws: cl/stochastic.cl) */
#define CLNN_TABLE "stochastic/stochastic_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* problem: P0 x P1 elements. DropBlock's kernels run on [1, C, 32, 32]
 * images, C = P0 * P1 / 1024 rounded up. */
static clnn_status exercise_stochastic(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    if (t == &clnn__multiply_tunable) {
        clnn_tensor *dy = EX_RAND(&b, n), *mask = EX_RAND(&b, n), *dx = EX_RAND(&b, n);
        EX_STEP(&b, clnn_dropblock_backward(ctx, dy, mask, dx));
    } else if (t == &clnn__tune_stochastic_group_mask || t == &clnn__tune_stochastic_group_mask_add ||
               t == &clnn__tune_stochastic_mixout || t == &clnn__tune_stochastic_noise) {
        clnn_tensor *x = EX_RAND(&b, problem[0], problem[1]), *x2 = EX_RAND(&b, problem[0], problem[1]);
        clnn_tensor *y = EX_RAND(&b, problem[0], problem[1]);
        if (t == &clnn__tune_stochastic_group_mask) EX_STEP(&b, clnn_dropconnect_forward(ctx, x, 0.1f, 5, y));
        else if (t == &clnn__tune_stochastic_group_mask_add)
            EX_STEP(&b, clnn_stochastic_depth_forward(ctx, x, x2, 0.1f, 5, y));
        else if (t == &clnn__tune_stochastic_mixout) EX_STEP(&b, clnn_mixout_forward(ctx, x, x2, 0.1f, 5, y));
        else EX_STEP(&b, clnn_noise_forward(ctx, x, CLNN_NOISE_GAUSSIAN, 0.1f, 5, y));
    } else if (t == &clnn__tune_stochastic_group_draws) { /* spatial dropout: one draw per 8 x 8 channel */
        size_t c = (n + 63) / 64;
        clnn_tensor *x = EX_RAND(&b, 1, c, 8, 8), *y = EX_RAND(&b, 1, c, 8, 8);
        EX_STEP(&b, clnn_spatial_dropout_forward(ctx, x, 0.1f, 5, y));
    } else { /* the DropBlock mask: seeds, keep, count_ones, apply */
        size_t c = (n + 1023) / 1024;
        clnn_tensor *x = EX_RAND(&b, 1, c, 32, 32), *mask = EX_RAND(&b, 1, c, 32, 32), *y = EX_RAND(&b, 1, c, 32, 32);
        EX_STEP(&b, clnn_dropblock_forward(ctx, x, 3, 0.9f, 5, mask, y));
    }
    return clnn__exercise_end(&b);
}

clnn_status clnn__check_f32_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                 const clnn_tensor *like, const char *like_name)
{
    TRY(clnn__check_tensor(ctx, fn, name, t));
    CHECK_ARG(ctx, t->dtype == CLNN_FLOAT32, "%s: %s must be float32", fn, name);
    if (like) {
        char a[64], b[64];
        CHECK_SHAPE(ctx, t->count == like->count, "%s: %s is %s but %s is %s", fn, name,
                    clnn__shape_str(t, a, sizeof a), like_name, clnn__shape_str(like, b, sizeof b));
    }
    return CLNN_OK;
}

clnn_status clnn__check_drop_p(clnn_context *ctx, const char *fn, float p)
{
    CHECK_ARG(ctx, clnn__is_finite(p) && p >= 0.0f && p < 1.0f, "%s: p = %g is outside [0, 1)", fn, (double)p);
    return CLNN_OK;
}

/* The keep draws of count elements in groups of `group` (group_draws, one
 * per group) into *keeps, a buffer the caller releases; group 1 draws in the
 * mask kernel itself, and *keeps is NULL. */
static clnn_status draw_groups(clnn_context *ctx, const char *fn, size_t count, size_t group, uint64_t seed,
                               uint32_t stream, float p, cl_mem *keeps)
{
    *keeps = NULL;
    if (group == 1) return CLNN_OK;
    size_t groups = (count + group - 1) / group;
    TRY(clnn__scratch(ctx, fn, groups, keeps));
    cl_uint ng = (cl_uint)groups, st = stream;
    cl_ulong s = seed;
    cl_float pp = p;
    clnn__karg a[] = {KARG_BUF(*keeps), KARG(ng), KARG(s), KARG(st), KARG(pp)};
    size_t problem[2] = {groups, 1};
    clnn_status status = clnn__run(ctx, fn, &clnn__tune_stochastic_group_draws, problem, 5, a);
    if (status != CLNN_OK) {
        clReleaseMemObject(*keeps);
        *keeps = NULL;
    }
    return status;
}

/* out = (base, when given: stochastic depth) + keep(i / group) ? in * 1/(1-p)
 * : 0, after the caller validated everything. */
static clnn_status run_group_mask(clnn_context *ctx, const char *fn, clnn_tensor *out, const clnn_tensor *base,
                                  const clnn_tensor *in, size_t group, uint64_t seed, uint32_t stream, float p)
{
    cl_mem keeps;
    TRY(draw_groups(ctx, fn, in->count, group, seed, stream, p, &keeps));
    cl_mem kb = keeps ? keeps : in->buffer; /* not read with group 1 */
    cl_uint n = (cl_uint)in->count, st = stream;
    cl_uint4 g = clnn__divisor((cl_uint)group);
    cl_ulong s = seed;
    cl_float pp = p, scale = 1.0f / (1.0f - p);
    size_t problem[2] = {in->count, 1};
    clnn_status status;
    if (base) {
        clnn__karg a[] = {KARG_BUF(out->buffer), KARG_BUF(base->buffer), KARG_BUF(in->buffer), KARG_BUF(kb), KARG(n),
                          KARG(g),               KARG(s),                KARG(st),              KARG(pp),     KARG(scale)};
        status = clnn__run(ctx, fn, &clnn__tune_stochastic_group_mask_add, problem, 10, a);
    } else {
        clnn__karg a[] = {KARG_BUF(out->buffer), KARG_BUF(in->buffer), KARG_BUF(kb), KARG(n),
                          KARG(g),               KARG(s),              KARG(st),     KARG(pp), KARG(scale)};
        status = clnn__run(ctx, fn, &clnn__tune_stochastic_group_mask, problem, 9, a);
    }
    if (keeps) clReleaseMemObject(keeps);
    return status;
}

/* The shared front of the elementwise masks: float32 tensors of equal size, p in range. */
static clnn_status check_mask_call(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                                   float p, const clnn_tensor *out, const char *out_name)
{
    TRY(clnn__check_f32_like(ctx, fn, in_name, in, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, out_name, out, in, in_name));
    return clnn__check_drop_p(ctx, fn, p);
}

static clnn_status dropconnect(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                               float p, uint64_t seed, clnn_tensor *out, const char *out_name)
{
    TRY(check_mask_call(ctx, fn, in, in_name, p, out, out_name));
    return run_group_mask(ctx, fn, out, NULL, in, 1, seed, CLNN_STREAM_DROPCONNECT, p);
}

clnn_status clnn_dropconnect_forward(clnn_context *ctx, const clnn_tensor *w, float p, uint64_t seed,
                                     clnn_tensor *w_masked)
{
    CLNN_ENTRY(ctx);
    return dropconnect(ctx, fn, w, "w", p, seed, w_masked, "w_masked");
}

clnn_status clnn_dropconnect_backward(clnn_context *ctx, const clnn_tensor *dw_masked, float p, uint64_t seed,
                                      clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    return dropconnect(ctx, fn, dw_masked, "dw_masked", p, seed, dw, "dw");
}

static clnn_status spatial_dropout(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                                   float p, uint64_t seed, clnn_tensor *out, const char *out_name)
{
    TRY(check_mask_call(ctx, fn, in, in_name, p, out, out_name));
    CHECK_SHAPE(ctx, in->ndim == 4, "%s: %s must be NCHW (4 dimensions), has %d", fn, in_name, in->ndim);
    return run_group_mask(ctx, fn, out, NULL, in, in->shape[2] * in->shape[3], seed, CLNN_STREAM_SPATIAL_DROPOUT,
                          p);
}

clnn_status clnn_spatial_dropout_forward(clnn_context *ctx, const clnn_tensor *x, float p, uint64_t seed,
                                         clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return spatial_dropout(ctx, fn, x, "x", p, seed, y, "y");
}

clnn_status clnn_spatial_dropout_backward(clnn_context *ctx, const clnn_tensor *dy, float p, uint64_t seed,
                                          clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return spatial_dropout(ctx, fn, dy, "dy", p, seed, dx, "dx");
}

clnn_status clnn_stochastic_depth_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *branch,
                                          float p, uint64_t seed, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "x", x, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, "branch", branch, x, "x"));
    TRY(clnn__check_f32_like(ctx, fn, "y", y, x, "x"));
    TRY(clnn__check_drop_p(ctx, fn, p));
    return run_group_mask(ctx, fn, y, x, branch, x->count / x->shape[0], seed, CLNN_STREAM_STOCHASTIC_DEPTH, p);
}

clnn_status clnn_stochastic_depth_backward(clnn_context *ctx, const clnn_tensor *dy, float p, uint64_t seed,
                                           clnn_tensor *dbranch)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "dy", dy, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, "dbranch", dbranch, dy, "dy"));
    TRY(clnn__check_drop_p(ctx, fn, p));
    return run_group_mask(ctx, fn, dbranch, NULL, dy, dy->count / dy->shape[0], seed, CLNN_STREAM_STOCHASTIC_DEPTH,
                          p);
}

static clnn_status noise(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                         clnn_noise_kind kind, float scale, uint64_t seed, clnn_tensor *out, const char *out_name,
                         int backward)
{
    TRY(clnn__check_f32_like(ctx, fn, in_name, in, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, out_name, out, in, in_name));
    CHECK_ARG(ctx, kind == CLNN_NOISE_GAUSSIAN || kind == CLNN_NOISE_UNIFORM || kind == CLNN_NOISE_MULTIPLICATIVE,
              "%s: kind %d is not a clnn_noise_kind", fn, (int)kind);
    CHECK_ARG(ctx, clnn__is_finite(scale) && scale >= 0.0f, "%s: scale = %g must be finite and >= 0", fn,
              (double)scale);
    if (backward && kind != CLNN_NOISE_MULTIPLICATIVE) return clnn_tensor_copy(out, in); /* additive: identity */
    cl_uint n = (cl_uint)in->count, st = CLNN_STREAM_NOISE;
    cl_ulong s = seed;
    cl_int k = (cl_int)kind;
    cl_float sc = scale;
    clnn__karg a[] = {KARG_BUF(out->buffer), KARG_BUF(in->buffer), KARG(n), KARG(s), KARG(st), KARG(k), KARG(sc)};
    size_t problem[2] = {in->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_stochastic_noise, problem, 7, a);
}

clnn_status clnn_noise_forward(clnn_context *ctx, const clnn_tensor *x, clnn_noise_kind kind, float scale,
                               uint64_t seed, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return noise(ctx, fn, x, "x", kind, scale, seed, y, "y", 0);
}

clnn_status clnn_noise_backward(clnn_context *ctx, const clnn_tensor *dy, clnn_noise_kind kind, float scale,
                                uint64_t seed, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return noise(ctx, fn, dy, "dy", kind, scale, seed, dx, "dx", 1);
}

clnn_status clnn_mixout_forward(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *w0, float p,
                                uint64_t seed, clnn_tensor *w_mixed)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "w", w, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, "w0", w0, w, "w"));
    TRY(clnn__check_f32_like(ctx, fn, "w_mixed", w_mixed, w, "w"));
    TRY(clnn__check_drop_p(ctx, fn, p));
    cl_uint n = (cl_uint)w->count, st = CLNN_STREAM_MIXOUT;
    cl_ulong s = seed;
    cl_float pp = p, scale = 1.0f / (1.0f - p);
    clnn__karg a[] = {KARG_BUF(w_mixed->buffer), KARG_BUF(w->buffer), KARG_BUF(w0->buffer), KARG(n), KARG(s),
                      KARG(st), KARG(pp), KARG(scale)};
    size_t problem[2] = {w->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_stochastic_mixout, problem, 8, a);
}

clnn_status clnn_mixout_backward(clnn_context *ctx, const clnn_tensor *dw_mixed, float p, uint64_t seed,
                                 clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "dw_mixed", dw_mixed, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, "dw", dw, dw_mixed, "dw_mixed"));
    TRY(clnn__check_drop_p(ctx, fn, p));
    return run_group_mask(ctx, fn, dw, NULL, dw_mixed, 1, seed, CLNN_STREAM_MIXOUT, p);
}
