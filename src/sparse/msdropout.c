/* Host side of multi-sample dropout (cl/sparse_msdropout.cl, include/clnn/sparse.h):
 * argument checks and one launch per direction, one work-item per Philox
 * block of four elements. */
#include "sparse/sparse_internal.h"
#include "stochastic/stochastic_internal.h"

/* small: the n-element tensor, big: the samples·n one; the streams must not wrap. */
static clnn_status check_args(clnn_context *ctx, const char *fn, const char *small_name, const clnn_tensor *small,
                              const char *big_name, const clnn_tensor *big, unsigned samples, float p, uint32_t stream)
{
    TRY(clnn__check_f32(ctx, fn, small_name, small, 0));
    CHECK_ARG(ctx, samples >= 1 && samples <= 1024, "%s: samples = %u is outside [1, 1024]", fn, samples);
    TRY(clnn__check_drop_p(ctx, fn, p));
    CHECK_ARG(ctx, (uint64_t)stream + samples - 1 <= 0xFFFFFFFFu,
              "%s: streams %u .. %u + %u - 1 pass 2^32 - 1", fn, stream, stream, samples);
    CHECK_SHAPE(ctx, small->count <= 0xFFFFFFFFu / samples, "%s: %u samples of %zu elements pass 2^32 - 1", fn,
                samples, small->count);
    TRY(clnn__check_f32(ctx, fn, big_name, big, small->count * samples));
    CHECK_ARG(ctx, !clnn__alias(big, small), "%s: %s and %s are the same buffer", fn, big_name, small_name);
    return CLNN_OK;
}

static clnn_status msd_run(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_mem out, cl_mem in,
                           size_t n, unsigned samples, float p, uint64_t seed, uint32_t stream)
{
    cl_uint nn = (cl_uint)n, ns = samples, st = stream;
    cl_float pp = p, scale = 1.0f / (1.0f - p); /* the same float expression as clnn_dropout_* */
    cl_ulong sd = seed;
    clnn__karg a[] = {KARG_BUF(out), KARG_BUF(in), KARG(nn), KARG(ns), KARG(pp), KARG(scale), KARG(sd), KARG(st)};
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, t, problem, 8, a);
}

clnn_status clnn_multi_dropout_forward(clnn_context *ctx, const clnn_tensor *x, unsigned samples, float p,
                                       uint64_t seed, uint32_t stream, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(check_args(ctx, fn, "x", x, "y", y, samples, p, stream));
    return msd_run(ctx, fn, &clnn__tune_msdropout_forward, y->buffer, x->buffer, x->count, samples, p, seed, stream);
}

clnn_status clnn_multi_dropout_backward(clnn_context *ctx, const clnn_tensor *dy, unsigned samples, float p,
                                        uint64_t seed, uint32_t stream, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(check_args(ctx, fn, "dx", dx, "dy", dy, samples, p, stream));
    return msd_run(ctx, fn, &clnn__tune_msdropout_backward, dx->buffer, dy->buffer, dx->count, samples, p, seed,
                   stream);
}
