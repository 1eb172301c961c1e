/* Sparsity methods of the gradient-combination family: LOBSTER's
 * sensitivity-based shrinkage with pruning (one elementwise kernel), and the
 * progressive N:M schedule on top of the N:M masks of regularizers/prune.c. */
#include "gradcomb/gradcomb_internal.h"

clnn_status clnn_lobster_step(clnn_context *ctx, const clnn_tensor *grad, float lr, float lambda, float s,
                              float threshold, clnn_tensor *w, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_range(ctx, fn, "lr", lr, 0.0f, INFINITY));
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    CHECK_ARG(ctx, clnn__is_finite(s) && s > 0, "%s: s = %g must be finite and > 0", fn, (double)s);
    TRY(clnn__check_range(ctx, fn, "threshold", threshold, 0.0f, INFINITY));
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    TRY(clnn__check_count32(ctx, fn, "w", w));
    TRY(clnn__check_f32(ctx, fn, "grad", grad, w->count));
    if (mask) TRY(clnn__check_f32(ctx, fn, "mask", mask, w->count));
    CHECK_ARG(ctx, !clnn__alias(grad, w), "%s: grad and w are the same buffer", fn);
    CHECK_ARG(ctx, !mask || (!clnn__alias(mask, w) && !clnn__alias(mask, grad)),
              "%s: mask shares its buffer with w or grad", fn);
    cl_mem mb = mask ? mask->buffer : w->buffer; /* not touched without HAS_MASK */
    cl_uint n = (cl_uint)w->count;
    cl_float lr_lambda = (cl_float)((double)lr * lambda);
    clnn__karg a[] = {KARG_BUF(w->buffer), KARG_BUF(grad->buffer), KARG_BUF(mb), KARG(n),
                      KARG(lr_lambda),     KARG(s),                KARG(threshold)};
    size_t problem[2] = {n, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_lobster, mask ? "-DHAS_MASK=1" : "-DHAS_MASK=0", problem, 7, a);
}

/* n_t without argument checks (the caller did them). */
static unsigned nm_level(unsigned n, unsigned m, unsigned long t0, unsigned long t1, unsigned long step)
{
    double tau = step >= t1 ? 1.0 : step <= t0 ? 0.0 : (double)(step - t0) / (double)(t1 - t0);
    double r = 1.0 - (1.0 - tau) * (1.0 - tau) * (1.0 - tau);
    return m - (unsigned)floor((double)(m - n) * r + 0.5);
}

static clnn_status check_schedule(clnn_context *ctx, const char *fn, unsigned n, unsigned m, unsigned long t0,
                                  unsigned long t1)
{
    CHECK_ARG(ctx, m >= 1 && m <= 64, "%s: m = %u is outside [1, 64]", fn, m);
    CHECK_ARG(ctx, n <= m, "%s: n = %u is more than m = %u", fn, n, m);
    CHECK_ARG(ctx, t0 <= t1, "%s: t0 = %lu is after t1 = %lu", fn, t0, t1);
    return CLNN_OK;
}

clnn_status clnn_nm_schedule(unsigned n, unsigned m, unsigned long t0, unsigned long t1, unsigned long step,
                             unsigned *n_t)
{
    CLNN_ENTRY_NO_CONTEXT();
    TRY(check_schedule(NULL, fn, n, m, t0, t1));
    CHECK_ARG(NULL, n_t != NULL, "%s: n_t is NULL", fn);
    *n_t = nm_level(n, m, t0, t1, step);
    return CLNN_OK;
}

clnn_status clnn_prune_nm_progressive_mask(clnn_context *ctx, const clnn_tensor *w, unsigned n, unsigned m,
                                           unsigned long t0, unsigned long t1, unsigned long step, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(check_schedule(ctx, fn, n, m, t0, t1));
    return clnn__prune_nm_mask(ctx, fn, w, nm_level(n, m, t0, t1, step), m, mask);
}
