/* Spectral norm (Miyato et al. 2018): power iteration with caller-owned u and
 * v (persistent across calls, so one iteration per training step suffices),
 * the estimate σ = uᵀ·W·v = ||W·v||, the penalty λσ² with its gradient
 * 2λσ·u·vᵀ, and spectral normalization W/σ. The matrix-vector products are
 * CLBlast SGEMV (blas.c); the norms are the deterministic reduction, so
 * nothing waits for the host. */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

/* y = op(W)·x with W [rows, cols] row-major (trans: Wᵀ·x). */
static clnn_status sgemv(clnn_context *ctx, const char *fn, int trans, size_t rows, size_t cols, cl_mem w, cl_mem x,
                         cl_mem y)
{
    const clnn__gemm_operand W = {w, 0, cols, 0};
    return clnn__sgemv(ctx, fn, trans, rows, cols, 1.0f, W, x, 0.0f, y);
}

/* x ← x / (||x|| + 1e-12), with ||x|| left in norm[0]. */
static clnn_status normalize(clnn_context *ctx, const char *fn, cl_mem x, size_t len, cl_mem norm)
{
    clnn__reduce_desc d = {x, NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_SQRT, 1, (cl_uint)len, 0, 1, 1, 0.0f, 1.0f, 1.0f};
    TRY(clnn__reduce(ctx, fn, &d, norm, 0));
    clnn__blend_desc b = {BLEND_AXPBY, BLEND_SCALE_INV, 0, x, x, NULL, norm, 0, (cl_uint)len, 0.0f, 1.0f};
    return clnn__blend(ctx, fn, &b);
}

/* u has rows elements, v cols, sigma >= 1 element; none shares a buffer with another or with w. */
static clnn_status check_uv(clnn_context *ctx, const char *fn, const clnn_tensor *w, const clnn_tensor *u,
                            const clnn_tensor *v, const clnn_tensor *sigma)
{
    size_t rows, cols;
    clnn__rows_cols(w, &rows, &cols);
    TRY(clnn__check_f32(ctx, fn, "u", u, rows));
    TRY(clnn__check_f32(ctx, fn, "v", v, cols));
    TRY(clnn__check_f32(ctx, fn, "sigma", sigma, 0));
    const clnn_tensor *t[4] = {w, u, v, sigma};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++)
            CHECK_ARG(ctx, !clnn__alias(t[i], t[j]), "%s: w, u, v and sigma must be four different buffers", fn);
    return CLNN_OK;
}

clnn_status clnn_spectral_power_iteration(clnn_context *ctx, const clnn_tensor *w, unsigned iters, clnn_tensor *u,
                                          clnn_tensor *v, clnn_tensor *sigma)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    CHECK_ARG(ctx, iters >= 1 && iters <= 100000, "%s: iters = %u is outside [1, 100000]", fn, iters);
    TRY(check_uv(ctx, fn, w, u, v, sigma));
    size_t rows, cols;
    clnn__rows_cols(w, &rows, &cols);
    /* SGEMV with beta 0 still reads y (0·NaN = NaN): clear v, whose input is unused */
    TRY(clnn_tensor_fill(v, 0.0f));
    for (unsigned it = 0; it < iters; it++) {
        TRY(sgemv(ctx, fn, 1, rows, cols, w->buffer, u->buffer, v->buffer));
        TRY(normalize(ctx, fn, v->buffer, cols, sigma->buffer));
        TRY(sgemv(ctx, fn, 0, rows, cols, w->buffer, v->buffer, u->buffer));
        TRY(normalize(ctx, fn, u->buffer, rows, sigma->buffer)); /* σ = ||W·v|| = uᵀ·W·v */
    }
    return CLNN_OK;
}

clnn_status clnn_reg_spectral_value(clnn_context *ctx, const clnn_tensor *sigma, float lambda, clnn_tensor *value)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    TRY(clnn__check_f32(ctx, fn, "sigma", sigma, 0));
    TRY(clnn__check_f32(ctx, fn, "value", value, 0));
    clnn__reduce_desc d = {sigma->buffer, NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_NONE, 1, 1, 0, 1, 1, 0.0f,
                           lambda, 1.0f};
    return clnn__reduce(ctx, fn, &d, value->buffer, 0);
}

/* grad += 2λ·f(σ)·u·vᵀ (reg_outer; variant: f's -D option, NULL for f(σ) = σ). */
static clnn_status outer_grad(clnn_context *ctx, const char *fn, const clnn_tensor *u, const clnn_tensor *v,
                              const clnn_tensor *sigma, float lambda, const char *variant, clnn_tensor *grad)
{
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    TRY(clnn__check_f32(ctx, fn, "grad", grad, 0));
    TRY(check_uv(ctx, fn, grad, u, v, sigma));
    size_t rows, cols;
    clnn__rows_cols(grad, &rows, &cols);
    cl_uint r = (cl_uint)rows, c = (cl_uint)cols;
    cl_float coef = 2.0f * lambda;
    clnn__karg a[] = {KARG_BUF(grad->buffer), KARG_BUF(u->buffer), KARG_BUF(v->buffer), KARG_BUF(sigma->buffer),
                      KARG(r), KARG(c), KARG(coef)};
    return clnn__reg_terms_run(ctx, fn, REG_TERMS_OUTER, variant, grad->count, sizeof a / sizeof a[0], a);
}

clnn_status clnn_reg_spectral_grad(clnn_context *ctx, const clnn_tensor *u, const clnn_tensor *v,
                                   const clnn_tensor *sigma, float lambda, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    return outer_grad(ctx, fn, u, v, sigma, lambda, NULL, grad);
}

/* k of the spectral target: an integer in [1, 8] (its -D variant). */
static clnn_status target_variant(clnn_context *ctx, const char *fn, unsigned k, char *buf, size_t len)
{
    CHECK_ARG(ctx, k >= 1 && k <= 8, "%s: k = %u is not an integer in [1, 8]", fn, k);
    snprintf(buf, len, "-DOUTER_TARGET_K=%u", k);
    return CLNN_OK;
}

clnn_status clnn_reg_spectral_target_value(clnn_context *ctx, const clnn_tensor *sigma, float lambda, unsigned k,
                                           clnn_tensor *value)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    char variant[32];
    TRY(target_variant(ctx, fn, k, variant, sizeof variant));
    TRY(clnn__check_f32(ctx, fn, "sigma", sigma, 0));
    TRY(clnn__check_f32(ctx, fn, "value", value, 0));
    CHECK_ARG(ctx, !clnn__alias(sigma, value), "%s: value must not alias sigma", fn);
    clnn__karg a[] = {KARG_BUF(value->buffer), KARG_BUF(sigma->buffer), KARG(lambda)};
    const size_t problem[2] = {1, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_reg_spectral_target, variant, problem, 3, a);
}

clnn_status clnn_reg_spectral_target_grad(clnn_context *ctx, const clnn_tensor *u, const clnn_tensor *v,
                                          const clnn_tensor *sigma, float lambda, unsigned k, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    char variant[32];
    TRY(target_variant(ctx, fn, k, variant, sizeof variant));
    return outer_grad(ctx, fn, u, v, sigma, lambda, variant, grad);
}

clnn_status clnn_spectral_normalize(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *sigma,
                                    clnn_tensor *out)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    TRY(clnn__check_f32(ctx, fn, "sigma", sigma, 0));
    TRY(clnn__check_f32(ctx, fn, "out", out, w->count));
    CHECK_ARG(ctx, !clnn__alias(sigma, w) && !clnn__alias(sigma, out),
              "%s: sigma shares its buffer with w or out", fn);
    clnn__blend_desc b = {BLEND_AXPBY, BLEND_SCALE_INV, 0, out->buffer, w->buffer, NULL, sigma->buffer, 0,
                          (cl_uint)w->count, 0.0f, 1.0f};
    return clnn__blend(ctx, fn, &b);
}
