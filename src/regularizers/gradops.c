/* Gradient operations that produce the per-step scalars of the fused
 * optimizer: the global-norm clipping factor and perpGrad coefficients.
 * Per-tensor sums come from the deterministic reduction; one work-item
 * combines them in a fixed order, so the result never waits for the host. */
#include "regularizers/regularizers_internal.h"


clnn_status clnn__global_norm(clnn_context *ctx, const char *fn, float max_norm, size_t n,
                             const clnn_tensor *const *t, cl_mem out)
{
    cl_mem sums;
    TRY(clnn__scratch(ctx, fn, n, &sums));
    clnn_status st = CLNN_OK;
    for (size_t i = 0; i < n && st == CLNN_OK; i++) {
        clnn__reduce_desc d = {t[i]->buffer, NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_NONE, 1,
                               (cl_uint)t[i]->count, 0, 1, 1, 0.0f, 1.0f, 1.0f};
        st = clnn__reduce(ctx, fn, &d, sums, (cl_uint)i);
    }
    if (st == CLNN_OK) st = clnn__reduce_combine(ctx, fn, 0, sums, out, (cl_uint)n, max_norm);
    clReleaseMemObject(sums);
    return st;
}

clnn_status clnn_grad_clip_factor(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, float max_norm,
                                  clnn_tensor *factor)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, clnn__is_finite(max_norm) && max_norm > 0, "%s: max_norm = %g must be finite and > 0", fn,
              (double)max_norm);
    TRY(clnn__check_f32_list(ctx, fn, "grads", n, grads));
    TRY(clnn__check_f32(ctx, fn, "factor", factor, 0));
    CHECK_SHAPE(ctx, factor->count >= 2, "%s: factor needs 2 elements (factor, norm), has %zu", fn, factor->count);
    for (size_t i = 0; i < n; i++)
        CHECK_ARG(ctx, !clnn__alias(grads[i], factor), "%s: factor is grads[%zu]", fn, i);
    return clnn__global_norm(ctx, fn, max_norm, n, grads, factor->buffer);
}

clnn_status clnn_grad_perp_coef(clnn_context *ctx, size_t n, const clnn_tensor *const *w,
                                const clnn_tensor *const *grads, clnn_tensor *coef)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_pairs(ctx, fn, "w", w, "grads", grads, n, 0));
    TRY(clnn__check_f32(ctx, fn, "coef", coef, 0));
    CHECK_SHAPE(ctx, coef->count >= n, "%s: coef has %zu elements, fewer than n = %zu", fn, coef->count, n);
    for (size_t i = 0; i < n; i++)
        CHECK_ARG(ctx, !clnn__alias(w[i], coef) && !clnn__alias(grads[i], coef),
                  "%s: coef shares its buffer with w[%zu] or grads[%zu]", fn, i, i);
    cl_mem sums; /* [0, n): <g, w>; [n, 2n): ||w||² */
    TRY(clnn__scratch(ctx, fn, 2 * n, &sums));
    clnn_status st = CLNN_OK;
    for (size_t i = 0; i < n && st == CLNN_OK; i++) {
        cl_uint len = (cl_uint)w[i]->count;
        clnn__reduce_desc dot = {grads[i]->buffer, w[i]->buffer, REDUCE_TERM_DOT, REDUCE_POST_NONE, 1, len, 0, 1, 1,
                                 0.0f, 0.0f, 1.0f};
        clnn__reduce_desc sq = {w[i]->buffer, NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_NONE, 1, len, 0, 1, 1,
                                0.0f, 1.0f, 1.0f};
        st = clnn__reduce(ctx, fn, &dot, sums, (cl_uint)i);
        if (st == CLNN_OK) st = clnn__reduce(ctx, fn, &sq, sums, (cl_uint)(n + i));
    }
    if (st == CLNN_OK) st = clnn__reduce_combine(ctx, fn, 1, sums, coef->buffer, (cl_uint)n, 0.0f);
    clReleaseMemObject(sums);
    return st;
}
