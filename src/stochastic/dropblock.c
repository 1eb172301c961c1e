/* Host side of DropBlock (Ghiasi, Lin, Le 2018; kernels in cl/stochastic.cl):
 * seeds -> block mask -> exact count of kept elements -> scaled mask and y.
 * The count is a fixed two-stage integer reduction (per-chunk partials, then
 * one work-item summing them in order), so it never depends on the device. */
#include "stochastic/stochastic_internal.h"

/* Elements per first-stage partial: at least 256, at most 4096 partials. */
static size_t count_chunk(size_t n)
{
    size_t chunk = (n + 4095) / 4096;
    return chunk < 256 ? 256 : chunk;
}

/* The paper's gamma with H != W: (1 - keep_prob) / b^2 * H W / ((H - b + 1)(W - b + 1)). */
static float dropblock_gamma(float keep_prob, size_t b, size_t H, size_t W)
{
    double valid = (double)(H - b + 1) * (double)(W - b + 1);
    return (float)((1.0 - (double)keep_prob) / ((double)b * (double)b) * ((double)H * (double)W) / valid);
}

static clnn_status run1d(clnn_context *ctx, const char *fn, const clnn__tunable *t, size_t n, size_t nargs,
                         const clnn__karg *args)
{
    size_t problem[2] = {n, 1};
    return clnn__run(ctx, fn, t, problem, nargs, args);
}

static clnn_status scratch(clnn_context *ctx, const char *fn, size_t bytes, cl_mem *out)
{
    cl_int err;
    *out = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    return err == CL_SUCCESS ? CLNN_OK : clnn__fail_cl(ctx, fn, "clCreateBuffer", err);
}

/* Enqueues the four passes; the scratch buffers are released by the caller
 * (OpenCL keeps them alive until the queued kernels are done). */
static clnn_status dropblock_passes(clnn_context *ctx, const char *fn, const clnn_tensor *x, size_t b,
                                    float keep_prob, uint64_t seed, clnn_tensor *mask, clnn_tensor *y,
                                    cl_mem partial, cl_mem scale, cl_uint chunk, cl_uint nchunks)
{
    cl_uint n = (cl_uint)x->count, blk = (cl_uint)b;
    cl_uint4 H = clnn__divisor((cl_uint)x->shape[2]), W = clnn__divisor((cl_uint)x->shape[3]);
    cl_uint st = CLNN_STREAM_DROPBLOCK;
    cl_ulong s = seed;
    cl_float gamma = dropblock_gamma(keep_prob, b, x->shape[2], x->shape[3]);
    clnn__karg a_seeds[] = {KARG_BUF(y->buffer), KARG(n), KARG(H), KARG(W), KARG(blk), KARG(s), KARG(st), KARG(gamma)};
    TRY(run1d(ctx, fn, &clnn__dropblock_seeds_tunable, n, 8, a_seeds));
    clnn__karg a_keep[] = {KARG_BUF(mask->buffer), KARG_BUF(y->buffer), KARG(n), KARG(H), KARG(W), KARG(blk)};
    TRY(run1d(ctx, fn, &clnn__dropblock_keep_tunable, n, 6, a_keep));
    clnn__karg a_part[] = {KARG_BUF(partial), KARG_BUF(mask->buffer), KARG(n), KARG(chunk), KARG(nchunks)};
    TRY(run1d(ctx, fn, &clnn__count_partial_tunable, nchunks, 5, a_part));
    clnn__karg a_scale[] = {KARG_BUF(scale), KARG_BUF(partial), KARG(nchunks), KARG(n)};
    TRY(run1d(ctx, fn, &clnn__count_scale_tunable, 1, 4, a_scale));
    clnn__karg a_apply[] = {KARG_BUF(y->buffer), KARG_BUF(mask->buffer), KARG_BUF(x->buffer), KARG_BUF(scale), KARG(n)};
    return run1d(ctx, fn, &clnn__dropblock_apply_tunable, n, 5, a_apply);
}

clnn_status clnn_dropblock_forward(clnn_context *ctx, const clnn_tensor *x, size_t block_size, float keep_prob,
                                   uint64_t seed, clnn_tensor *mask, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "x", x, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, "mask", mask, x, "x"));
    TRY(clnn__check_f32_like(ctx, fn, "y", y, x, "x"));
    CHECK_SHAPE(ctx, x->ndim == 4, "%s: x must be NCHW (4 dimensions), has %d", fn, x->ndim);
    CHECK_ARG(ctx, !clnn__alias(y, x) && !clnn__alias(mask, x) && !clnn__alias(mask, y),
              "%s: x, mask and y must be three different tensors", fn);
    size_t H = x->shape[2], W = x->shape[3];
    CHECK_ARG(ctx, block_size >= 1 && block_size <= H && block_size <= W,
              "%s: block_size = %zu must be in [1, min(H, W)] = [1, %zu]", fn, block_size, H < W ? H : W);
    CHECK_ARG(ctx, clnn__is_finite(keep_prob) && keep_prob > 0.0f && keep_prob <= 1.0f,
              "%s: keep_prob = %g is outside (0, 1]", fn, (double)keep_prob);
    size_t chunk = count_chunk(x->count), nchunks = (x->count + chunk - 1) / chunk;
    cl_mem partial = NULL, scale = NULL;
    clnn_status st = scratch(ctx, fn, nchunks * sizeof(cl_uint), &partial);
    if (st == CLNN_OK) st = scratch(ctx, fn, sizeof(cl_float), &scale);
    if (st == CLNN_OK)
        st = dropblock_passes(ctx, fn, x, block_size, keep_prob, seed, mask, y, partial, scale, (cl_uint)chunk,
                              (cl_uint)nchunks);
    if (partial) clReleaseMemObject(partial);
    if (scale) clReleaseMemObject(scale);
    return st;
}

clnn_status clnn_dropblock_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *mask,
                                    clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32_like(ctx, fn, "dy", dy, NULL, NULL));
    TRY(clnn__check_f32_like(ctx, fn, "mask", mask, dy, "dy"));
    TRY(clnn__check_f32_like(ctx, fn, "dx", dx, dy, "dy"));
    cl_uint n = (cl_uint)dy->count;
    clnn__karg a[] = {KARG_BUF(dx->buffer), KARG_BUF(dy->buffer), KARG_BUF(mask->buffer), KARG(n)};
    return run1d(ctx, fn, &clnn__multiply_tunable, n, 4, a);
}
