/* Gradient operations that produce the per-step scalars of the fused
 * optimizer: the global-norm clipping factor and perpGrad coefficients.
 * Per-tensor sums come from the deterministic reduction; one work-item
 * combines them in a fixed order, so the result never waits for the host. */
#include "regularizers/regularizers_internal.h"

#include <math.h>


/* out[0..1] = (clip factor, norm) over the n tensors: per tensor the
 * deterministic reduction of `term` (c1, c2), then reduce_combine's mode. */
static clnn_status list_norm(clnn_context *ctx, const char *fn, size_t n, const clnn_tensor *const *t, int term,
                             float c1, float c2, int mode, float max_norm, float power, cl_mem out)
{
    cl_mem sums;
    TRY(clnn__scratch(ctx, fn, n, &sums));
    clnn_status st = CLNN_OK;
    for (size_t i = 0; i < n && st == CLNN_OK; i++) {
        clnn__reduce_desc d = {t[i]->buffer, NULL, term, REDUCE_POST_NONE, 1, (cl_uint)t[i]->count, 0, 1, 1,
                               c1, c2, 1.0f};
        st = clnn__reduce(ctx, fn, &d, sums, (cl_uint)i);
    }
    if (st == CLNN_OK) st = clnn__reduce_combine(ctx, fn, mode, sums, out, (cl_uint)n, max_norm, power);
    clReleaseMemObject(sums);
    return st;
}

clnn_status clnn__global_norm(clnn_context *ctx, const char *fn, float max_norm, size_t n,
                             const clnn_tensor *const *t, cl_mem out)
{
    return list_norm(ctx, fn, n, t, REDUCE_TERM_ABS_SQ, 0.0f, 1.0f, 0, max_norm, 2.0f, out);
}

/* The arguments every clip factor takes: max_norm finite and > 0, n
 * gradients, factor with room for (factor, norm) and not one of them. */
static clnn_status check_clip_args(clnn_context *ctx, const char *fn, size_t n, const clnn_tensor *const *grads,
                                   float max_norm, const clnn_tensor *factor)
{
    CHECK_ARG(ctx, clnn__is_finite(max_norm) && max_norm > 0, "%s: max_norm = %g must be finite and > 0", fn,
              (double)max_norm);
    TRY(clnn__check_f32_list(ctx, fn, "grads", n, grads));
    TRY(clnn__check_f32(ctx, fn, "factor", factor, 0));
    CHECK_SHAPE(ctx, factor->count >= 2, "%s: factor needs 2 elements (factor, norm), has %zu", fn, factor->count);
    for (size_t i = 0; i < n; i++)
        CHECK_ARG(ctx, !clnn__alias(grads[i], factor), "%s: factor is grads[%zu]", fn, i);
    return CLNN_OK;
}

clnn_status clnn_grad_clip_factor(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, float max_norm,
                                  clnn_tensor *factor)
{
    CLNN_ENTRY(ctx);
    TRY(check_clip_args(ctx, fn, n, grads, max_norm, factor));
    return clnn__global_norm(ctx, fn, max_norm, n, grads, factor->buffer);
}

/* PyTorch's clip_grad_norm_(norm_type = p): norm = (Σ_i Σ |g|^p)^(1/p), or
 * max |g| for p = INFINITY; p = 2 is clnn_grad_clip_factor's reduction. */
clnn_status clnn_grad_clip_factor_p(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, float max_norm,
                                    float norm_type, clnn_tensor *factor)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, norm_type > 0 && !isnan(norm_type), "%s: norm_type = %g must be > 0 (INFINITY: the max norm)",
              fn, (double)norm_type);
    TRY(check_clip_args(ctx, fn, n, grads, max_norm, factor));
    if (norm_type == 2.0f) return clnn__global_norm(ctx, fn, max_norm, n, grads, factor->buffer);
    if (isinf(norm_type))
        return list_norm(ctx, fn, n, grads, REDUCE_TERM_ABS_MAX, 0.0f, 0.0f, 3, max_norm, norm_type, factor->buffer);
    return list_norm(ctx, fn, n, grads, REDUCE_TERM_ABS_POW, norm_type, 0.0f, 2, max_norm, norm_type, factor->buffer);
}

/* PyTorch's clip_grad_value_: every gradient clamped to [-clip_value, clip_value] in place. */
clnn_status clnn_grad_clip_value(clnn_context *ctx, size_t n, clnn_tensor *const *grads, float clip_value)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, clip_value >= 0 && !isnan(clip_value), "%s: clip_value = %g must be >= 0", fn,
              (double)clip_value);
    TRY(clnn__check_f32_list(ctx, fn, "grads", n, (const clnn_tensor *const *)grads));
    for (size_t i = 0; i < n; i++) {
        TRY(clnn__check_count32(ctx, fn, "grads[i]", grads[i]));
        for (size_t j = 0; j < i; j++)
            CHECK_ARG(ctx, !clnn__alias(grads[i], grads[j]), "%s: grads[%zu] and grads[%zu] share memory", fn, j, i);
    }
    for (size_t i = 0; i < n; i++) {
        clnn__blend_desc d = {BLEND_CLAMP, BLEND_SCALE_ONE, 1, grads[i]->buffer, grads[i]->buffer, NULL, NULL, 0,
                              (cl_uint)grads[i]->count, -clip_value, clip_value};
        TRY(clnn__blend(ctx, fn, &d));
    }
    return CLNN_OK;
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
    if (st == CLNN_OK) st = clnn__reduce_combine(ctx, fn, 1, sums, coef->buffer, (cl_uint)n, 0.0f, 0.0f);
    clReleaseMemObject(sums);
    return st;
}
