/* Host side of the batch-level data augmentation kernels (cl/stochastic_augment.cl):
 * Mixup and CutMix (one pair-mixing kernel and its transpose), Cutout, label
 * mixing. The host samplers (lambda, permutation, box) are in augment_sample.c. */
#include "stochastic/stochastic_internal.h"
#include "tune_family.h"

#include <stdlib.h>

#define CLNN_TABLE "stochastic/augment_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* A batch of 32 samples of P0 * P1 / 32 features (rounded up). */
static clnn_status exercise_augment(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t batch = 32, f = (clnn__exercise_elements(problem) + batch - 1) / batch;
    clnn_tensor *perm = clnn__exercise_ints(&b, batch, batch, batch - 1);
    if (t == &tune_mix_labels) {
        EX_STEP(&b, clnn_mix_labels(ctx, clnn__exercise_ints(&b, batch, f, 1), perm, 0.7f, EX_RAND(&b, batch, f)));
    } else if (t == &tune_cutout) {
        clnn_tensor *x = EX_RAND(&b, batch, 1, f, 1);
        EX_STEP(&b, clnn_cutout_forward(ctx, x, 3, 5, EX_RAND(&b, batch, 1, f, 1)));
    } else {
        clnn_tensor *x = EX_RAND(&b, batch, f), *y = EX_RAND(&b, batch, f);
        EX_STEP(&b, t == &tune_pair_mix ? clnn_mixup_forward(ctx, x, perm, 0.7f, y)
                                        : clnn_mixup_backward(ctx, x, perm, 0.7f, y));
    }
    return clnn__exercise_end(&b);
}

/* An int32 tensor [count] whose entries lie in [0, bound): read back (it is
 * small: one entry per sample) so that the kernels never index out of range.
 * With bijective, every value must occur exactly once. */
static clnn_status check_indices(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                 size_t count, size_t bound, int bijective)
{
    TRY(clnn__check_tensor(ctx, fn, name, t));
    CHECK_ARG(ctx, t->dtype == CLNN_INT32, "%s: %s must be int32", fn, name);
    CHECK_SHAPE(ctx, t->count == count, "%s: %s has %zu entries, expected %zu", fn, name, t->count, count);
    int32_t *v = malloc(count * sizeof *v);
    unsigned char *seen = bijective ? calloc(bound, 1) : NULL;
    if (!v || (bijective && !seen)) {
        free(v);
        free(seen);
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    clnn_status st = clnn_tensor_download(t, v, count * sizeof *v);
    for (size_t i = 0; st == CLNN_OK && i < count; i++) {
        if (v[i] < 0 || (size_t)v[i] >= bound)
            st = clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: %s[%zu] = %d is outside [0, %zu)", fn, name, i,
                            (int)v[i], bound);
        else if (bijective && seen[v[i]]++)
            st = clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is not a permutation (%d occurs twice)", fn,
                            name, (int)v[i]);
    }
    free(v);
    free(seen);
    return st;
}

static clnn_status check_lambda(clnn_context *ctx, const char *fn, float lambda)
{
    CHECK_ARG(ctx, clnn__is_finite(lambda) && lambda >= 0.0f && lambda <= 1.0f, "%s: lambda = %g is outside [0, 1]",
              fn, (double)lambda);
    return CLNN_OK;
}

/* One pair-mixing problem: geometry of the samples, the box, and the weights. */
typedef struct pair_mix {
    cl_uint n, sample, H, W, y0, x0, y1, x1;
    cl_float a_in, b_in, a_out, b_out;
} pair_mix;

/* Validates out/in/perm of a pair mix; NCHW demands 4 dimensions (CutMix). */
static clnn_status check_pair_call(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                                   const clnn_tensor *perm, const clnn_tensor *out, const char *out_name,
                                   int nchw, int backward)
{
    TRY(clnn__check_f32_like(ctx, fn, in_name, in, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, out_name, out, in, in_name));
    CHECK_SHAPE(ctx, out->shape[0] == in->shape[0], "%s: %s and %s have different batch sizes", fn, out_name,
                in_name);
    if (nchw) CHECK_SHAPE(ctx, in->ndim == 4, "%s: %s must be NCHW (4 dimensions), has %d", fn, in_name, in->ndim);
    CHECK_ARG(ctx, !clnn__alias(out, in), "%s: %s must not alias %s", fn, out_name, in_name);
    return check_indices(ctx, fn, "perm", perm, in->shape[0], in->shape[0], backward);
}

static clnn_status run_pair_mix(clnn_context *ctx, const char *fn, const clnn_tensor *in, const clnn_tensor *perm,
                                const pair_mix *m, clnn_tensor *out, int backward)
{
    size_t problem[2] = {in->count, 1};
    cl_uint4 sample = clnn__divisor(m->sample), H = clnn__divisor(m->H), W = clnn__divisor(m->W);
    if (!backward) {
        clnn__karg a[] = {KARG_BUF(out->buffer), KARG_BUF(in->buffer), KARG_BUF(perm->buffer), KARG(m->n),
                          KARG(sample), KARG(H), KARG(W), KARG(m->y0), KARG(m->x0), KARG(m->y1),
                          KARG(m->x1), KARG(m->a_in), KARG(m->b_in), KARG(m->a_out), KARG(m->b_out)};
        return clnn__run(ctx, fn, &tune_pair_mix, problem, 15, a);
    }
    clnn__karg a_self[] = {KARG_BUF(out->buffer), KARG_BUF(in->buffer), KARG(m->n), KARG(sample),
                           KARG(H), KARG(W), KARG(m->y0), KARG(m->x0), KARG(m->y1), KARG(m->x1),
                           KARG(m->a_in), KARG(m->a_out)};
    TRY(clnn__run(ctx, fn, &tune_pair_self, problem, 12, a_self));
    clnn__karg a_sc[] = {KARG_BUF(out->buffer), KARG_BUF(in->buffer), KARG_BUF(perm->buffer), KARG(m->n),
                         KARG(sample), KARG(H), KARG(W), KARG(m->y0), KARG(m->x0), KARG(m->y1),
                         KARG(m->x1), KARG(m->b_in), KARG(m->b_out)};
    return clnn__run(ctx, fn, &tune_pair_scatter, problem, 13, a_sc);
}

static clnn_status mixup(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                         const clnn_tensor *perm, float lambda, clnn_tensor *out, const char *out_name, int backward)
{
    TRY(check_pair_call(ctx, fn, in, in_name, perm, out, out_name, 0, backward));
    TRY(check_lambda(ctx, fn, lambda));
    /* every sample as one row [1, 1, F] with a box covering all of it */
    cl_uint f = (cl_uint)(in->count / in->shape[0]);
    pair_mix m = {(cl_uint)in->count, f, 1, f, 0, 0, 1, f, lambda, 1.0f - lambda, lambda, 1.0f - lambda};
    return run_pair_mix(ctx, fn, in, perm, &m, out, backward);
}

clnn_status clnn_mixup_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *perm, float lambda,
                               clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return mixup(ctx, fn, x, "x", perm, lambda, y, "y", 0);
}

clnn_status clnn_mixup_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *perm, float lambda,
                                clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return mixup(ctx, fn, dy, "dy", perm, lambda, dx, "dx", 1);
}

static clnn_status cutmix(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name,
                          const clnn_tensor *perm, clnn_box box, clnn_tensor *out, const char *out_name, int backward)
{
    TRY(check_pair_call(ctx, fn, in, in_name, perm, out, out_name, 1, backward));
    size_t H = in->shape[2], W = in->shape[3];
    CHECK_ARG(ctx, box.y0 <= box.y1 && box.y1 <= H && box.x0 <= box.x1 && box.x1 <= W,
              "%s: box rows [%zu, %zu) columns [%zu, %zu) is not within the %zu x %zu image", fn, box.y0, box.y1,
              box.x0, box.x1, H, W);
    pair_mix m = {(cl_uint)in->count, (cl_uint)(in->count / in->shape[0]), (cl_uint)H, (cl_uint)W,
                  (cl_uint)box.y0, (cl_uint)box.x0, (cl_uint)box.y1, (cl_uint)box.x1, 0.0f, 1.0f, 1.0f, 0.0f};
    return run_pair_mix(ctx, fn, in, perm, &m, out, backward);
}

clnn_status clnn_cutmix_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *perm, clnn_box box,
                                clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return cutmix(ctx, fn, x, "x", perm, box, y, "y", 0);
}

clnn_status clnn_cutmix_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *perm, clnn_box box,
                                 clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return cutmix(ctx, fn, dy, "dy", perm, box, dx, "dx", 1);
}

static clnn_status cutout(clnn_context *ctx, const char *fn, const clnn_tensor *in, const char *in_name, size_t size,
                          uint64_t seed, clnn_tensor *out, const char *out_name)
{
    TRY(clnn__check_f32_like(ctx, fn, in_name, in, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, out_name, out, in, in_name));
    CHECK_SHAPE(ctx, in->ndim == 4, "%s: %s must be NCHW (4 dimensions), has %d", fn, in_name, in->ndim);
    CHECK_ARG(ctx, size >= 1 && size <= (size_t)INT32_MAX / 2, "%s: size = %zu is outside [1, 2^30]", fn, size);
    cl_uint n = (cl_uint)in->count, sample = (cl_uint)(in->count / in->shape[0]), H = (cl_uint)in->shape[2],
            W = (cl_uint)in->shape[3], side = (cl_uint)size, st = CLNN_STREAM_CUTOUT;
    cl_ulong s = seed;
    clnn__karg a[] = {KARG_BUF(out->buffer), KARG_BUF(in->buffer), KARG(n), KARG(sample), KARG(H), KARG(W),
                      KARG(side), KARG(s), KARG(st)};
    size_t problem[2] = {(in->count + 7) / 8, 1}; /* 8 elements a work-item */
    return clnn__run(ctx, fn, &tune_cutout, problem, 9, a);
}

clnn_status clnn_cutout_forward(clnn_context *ctx, const clnn_tensor *x, size_t size, uint64_t seed, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return cutout(ctx, fn, x, "x", size, seed, y, "y");
}

clnn_status clnn_cutout_backward(clnn_context *ctx, const clnn_tensor *dy, size_t size, uint64_t seed,
                                 clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    return cutout(ctx, fn, dy, "dy", size, seed, dx, "dx");
}

clnn_status clnn_mix_labels(clnn_context *ctx, const clnn_tensor *labels, const clnn_tensor *perm, float lambda,
                            clnn_tensor *targets)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "targets", targets, NULL, NULL));
    CHECK_SHAPE(ctx, targets->ndim == 2, "%s: targets must be [N, classes], has %d dimensions", fn, targets->ndim);
    size_t N = targets->shape[0], K = targets->shape[1];
    TRY(check_lambda(ctx, fn, lambda));
    TRY(check_indices(ctx, fn, "labels", labels, N, K, 0));
    TRY(check_indices(ctx, fn, "perm", perm, N, N, 0));
    cl_uint n = (cl_uint)targets->count;
    cl_uint4 k = clnn__divisor((cl_uint)K);
    cl_float lam = lambda;
    clnn__karg a[] = {KARG_BUF(targets->buffer), KARG_BUF(labels->buffer), KARG_BUF(perm->buffer), KARG(n), KARG(k),
                      KARG(lam)};
    size_t problem[2] = {targets->count, 1};
    return clnn__run(ctx, fn, &tune_mix_labels, problem, 6, a);
}
