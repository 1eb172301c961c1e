/* Gradient and weight operations over lists of tensors built on the blend
 * kernel: the SAM ascent and restore steps, the finite-difference
 * gradient-norm penalty combine, and EMA (Polyak) weight averaging. */
#include "regularizers/regularizers_internal.h"

clnn_status clnn_sam_ascent(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, float rho,
                            clnn_tensor *const *w, clnn_tensor *const *saved)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "rho", rho, 0.0f, INFINITY));
    const clnn_tensor *const *wc = (const clnn_tensor *const *)w, *const *sc = (const clnn_tensor *const *)saved;
    TRY(clnn__check_pairs(ctx, fn, "w", wc, "grads", grads, n, 1));
    TRY(clnn__check_pairs(ctx, fn, "w", wc, "saved", sc, n, 1));
    for (size_t i = 0; i < n; i++) {
        CHECK_ARG(ctx, !clnn__alias(saved[i], grads[i]), "%s: saved[%zu] and grads[%zu] are the same buffer",
                  fn, i, i);
        for (size_t j = 0; j < i; j++)
            CHECK_ARG(ctx, !clnn__alias(w[i], w[j]) && !clnn__alias(saved[i], saved[j]),
                      "%s: w[%zu] or saved[%zu] repeats an earlier tensor's buffer", fn, i, i);
    }
    cl_mem norm; /* [0] clip factor (unused), [1] the global norm */
    TRY(clnn__scratch(ctx, fn, 2, &norm));
    clnn_status st = clnn__global_norm(ctx, fn, 1.0f, n, grads, norm);
    for (size_t i = 0; i < n && st == CLNN_OK; i++) {
        clnn__blend_desc d = {BLEND_AXPBY, BLEND_SCALE_INV, 1, w[i]->buffer, grads[i]->buffer, saved[i]->buffer,
                              norm, 1, (cl_uint)w[i]->count, 1.0f, rho};
        st = clnn__blend(ctx, fn, &d);
    }
    clReleaseMemObject(norm);
    return st;
}

clnn_status clnn_sam_restore(clnn_context *ctx, size_t n, const clnn_tensor *const *saved, clnn_tensor *const *w)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_pairs(ctx, fn, "w", (const clnn_tensor *const *)w, "saved", saved, n, 1));
    for (size_t i = 0; i < n; i++) {
        clnn__blend_desc d = {BLEND_AXPBY, BLEND_SCALE_ONE, 0, w[i]->buffer, saved[i]->buffer, NULL, NULL, 0,
                              (cl_uint)w[i]->count, 0.0f, 1.0f};
        TRY(clnn__blend(ctx, fn, &d));
    }
    return CLNN_OK;
}

/* y_i = a·y_i + b·x_i over a list (validated by the caller). */
static clnn_status axpby_list(clnn_context *ctx, const char *fn, size_t n, clnn_tensor *const *y,
                              const clnn_tensor *const *x, float a, float b)
{
    for (size_t i = 0; i < n; i++) {
        clnn__blend_desc d = {BLEND_AXPBY, BLEND_SCALE_ONE, 1, y[i]->buffer, x[i]->buffer, NULL, NULL, 0,
                              (cl_uint)y[i]->count, a, b};
        TRY(clnn__blend(ctx, fn, &d));
    }
    return CLNN_OK;
}

clnn_status clnn_grad_norm_penalty_combine(clnn_context *ctx, size_t n, const clnn_tensor *const *grads_adv,
                                           float alpha, clnn_tensor *const *grads)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "alpha", alpha, 0.0f, 1.0f));
    TRY(clnn__check_pairs(ctx, fn, "grads", (const clnn_tensor *const *)grads, "grads_adv", grads_adv, n, 1));
    return axpby_list(ctx, fn, n, grads, grads_adv, 1.0f - alpha, alpha);
}

clnn_status clnn_ema_update(clnn_context *ctx, size_t n, const clnn_tensor *const *w, float beta,
                            clnn_tensor *const *ema)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "beta", beta, 0.0f, 1.0f));
    TRY(clnn__check_pairs(ctx, fn, "ema", (const clnn_tensor *const *)ema, "w", w, n, 1));
    return axpby_list(ctx, fn, n, ema, w, beta, 1.0f - beta);
}
