/* Adversarial model perturbation (AMP, Zheng et al. 2021): one inner ascent
 * step on the perturbation Δ, projected onto the ε-ball, as two passes per
 * tensor: the Δ update fused with its squared norm (gram_partial with the
 * EMA pre-update, p = 1, q = ζ), then Δ scaled by the ball's factor and
 * w = saved + Δ (amp_apply). The restore is SAM's (clnn_sam_restore). */
#include "gradcomb/gradcomb_internal.h"

static clnn_status check_amp(clnn_context *ctx, const char *fn, const clnn_amp_options *amp, size_t n, clnn_tensor *const *w,
                             const clnn_tensor *const *grads, clnn_tensor *const *saved, clnn_tensor *const *delta)
{
    CHECK_ARG(ctx, amp != NULL, "%s: amp is NULL", fn);
    TRY(clnn__check_range(ctx, fn, "amp->epsilon", amp->epsilon, 0.0f, INFINITY));
    TRY(clnn__check_range(ctx, fn, "amp->inner_lr", amp->inner_lr, 0.0f, INFINITY));
    const clnn_tensor *const *wc = (const clnn_tensor *const *)w;
    TRY(clnn__gradcomb_check_lists(ctx, fn, "w", 1, n, wc, NULL));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "grads", 1, n, grads, wc));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "saved", 1, n, (const clnn_tensor *const *)saved, wc));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "delta", 1, n, (const clnn_tensor *const *)delta, wc));
    /* w, saved and delta are written: each its own buffer, apart from every other operand */
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "w", n, w, "grads", 1, grads));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "saved", n, saved, "grads", 1, grads));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "delta", n, delta, "grads", 1, grads));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "saved", n, saved, "w", 1, wc));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "delta", n, delta, "w", 1, wc));
    return clnn__gradcomb_check_outputs(ctx, fn, "delta", n, delta, "saved", 1, (const clnn_tensor *const *)saved);
}

void clnn_amp_options_init(clnn_amp_options *opt)
{
    if (!opt) return;
    *opt = (clnn_amp_options){sizeof *opt, 0.0f, 0.0f, 0};
}

clnn_status clnn_amp_ascent(clnn_context *ctx, size_t n, const clnn_tensor *const *grads, const clnn_amp_options *amp,
                            unsigned inner_step, clnn_tensor *const *w, clnn_tensor *const *saved,
                            clnn_tensor *const *delta)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, amp != NULL, "%s: amp is NULL", fn);
    CLNN_OPTIONS_ARG(clnn_amp_options, amp);
    TRY(check_amp(ctx, fn, amp, n, w, grads, saved, delta));
    int first = inner_step == 0;
    size_t balls = amp->per_tensor ? n : 1;
    cl_mem norms = NULL, factor = NULL;
    clnn_status st = clnn__scratch(ctx, fn, balls, &norms);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, balls, &factor);
    if (st == CLNN_OK) { /* Δ ← Δ + ζ·g (first: ζ·g) and ||Δ||² per ball */
        clnn__gram_job job = {1, n, (const clnn_tensor *const *)delta, first ? 2 : 1, grads, 1.0f, amp->inner_lr,
                              amp->per_tensor != 0};
        st = clnn__gram(ctx, fn, &job, norms);
    }
    if (st == CLNN_OK) st = clnn__gram_solve(ctx, fn, GRAM_SOLVE_BALL, norms, factor, (cl_uint)balls, 0, 0, 0, amp->epsilon);
    for (size_t i = 0; i < n && st == CLNN_OK; i++) {
        cl_uint fidx = amp->per_tensor ? (cl_uint)i : 0, count = (cl_uint)w[i]->count;
        clnn__karg a[] = {KARG_BUF(w[i]->buffer), KARG_BUF(saved[i]->buffer), KARG_BUF(delta[i]->buffer),
                          KARG_BUF(factor), KARG(fidx), KARG(count)};
        size_t problem[2] = {count, 1};
        st = clnn__run_variant(ctx, fn, &clnn__tune_amp_apply, first ? "-DFIRST=1" : "-DFIRST=0", problem, 6, a);
    }
    if (norms) clReleaseMemObject(norms);
    if (factor) clReleaseMemObject(factor);
    return st;
}
