/* Host side of the margin losses on normalised embeddings (CosFace, ArcFace,
 * AdaFace; cl/metric_losses.cl margin_rows and ada_stats;
 * include/clnn/metric_losses.h): norms, S = X·Wᵀ (CLBlast), AdaFace's batch
 * statistics, the row kernel, then the gradient GEMMs and the loss sum
 * (common.c). */
#include "metric_losses/metric_losses_internal.h"

/* The papers' settings for kind; 0 if kind is not a clnn_margin_kind. */
static int margin_defaults(clnn_margin_kind kind, clnn_margin_options *opt)
{
    if (kind != CLNN_MARGIN_COSFACE && kind != CLNN_MARGIN_ARCFACE && kind != CLNN_MARGIN_ADAFACE) return 0;
    static const float margins[3] = {0.35f, 0.5f, 0.4f};
    *opt = (clnn_margin_options){sizeof *opt, kind, 64.0f, margins[kind], 0, 0.333f, 0.01f, CLNN_REDUCE_MEAN};
    return 1;
}

clnn_status clnn_margin_options_init(clnn_margin_options *opt, clnn_margin_kind kind)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!opt) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: opt is NULL", fn);
    if (!margin_defaults(kind, opt))
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: kind %d is not a clnn_margin_kind", fn, (int)kind);
    return CLNN_OK;
}

static clnn_status check_options(clnn_context *ctx, const char *fn, const clnn_margin_options *o,
                                 const clnn_tensor *stats)
{
    CHECK_ARG(ctx, o->kind == CLNN_MARGIN_COSFACE || o->kind == CLNN_MARGIN_ARCFACE || o->kind == CLNN_MARGIN_ADAFACE,
              "%s: kind %d is not a clnn_margin_kind", fn, (int)o->kind);
    CHECK_ARG(ctx, clnn__is_finite(o->scale) && o->scale > 0.0f, "%s: scale %g is not finite and > 0", fn,
              (double)o->scale);
    CHECK_ARG(ctx, clnn__is_finite(o->margin) && o->margin >= 0.0f, "%s: margin %g is not finite and >= 0", fn,
              (double)o->margin);
    CHECK_ARG(ctx, o->kind != CLNN_MARGIN_ARCFACE || o->margin <= (float)CL_M_PI_2,
              "%s: ArcFace margin %g is above pi/2", fn, (double)o->margin);
    CHECK_ARG(ctx, o->easy_margin == 0 || o->easy_margin == 1, "%s: easy_margin %d is not 0 or 1", fn,
              o->easy_margin);
    if (o->kind != CLNN_MARGIN_ADAFACE) {
        CHECK_ARG(ctx, stats == NULL, "%s: norm_stats is for AdaFace only and must be NULL here", fn);
        return CLNN_OK;
    }
    CHECK_ARG(ctx, clnn__is_finite(o->h) && o->h > 0.0f, "%s: h %g is not finite and > 0", fn, (double)o->h);
    CHECK_ARG(ctx, clnn__is_finite(o->momentum) && o->momentum >= 0.0f && o->momentum <= 1.0f,
              "%s: momentum %g is not in [0, 1]", fn, (double)o->momentum);
    CHECK_ARG(ctx, stats != NULL, "%s: AdaFace needs norm_stats (2 elements: EMA mean and std of ||x||)", fn);
    TRY(clnn__check_f32(ctx, fn, "norm_stats", stats, 2));
    return CLNN_OK;
}

clnn_status clnn_margin_loss(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                             const clnn_tensor *labels, const clnn_margin_options *opt, clnn_tensor *norm_stats,
                             clnn_tensor *loss, clnn_tensor *dx, clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    /* the defaults of the caller's kind (CosFace without one) under the caller's fields */
    clnn_margin_options o;
    if (!opt || opt->size < offsetof(clnn_margin_options, kind) + sizeof opt->kind || !margin_defaults(opt->kind, &o))
        margin_defaults(CLNN_MARGIN_COSFACE, &o);
    TRY(clnn__options_copy(ctx, fn, "opt", &o, sizeof o, opt));
    opt = &o;
    clnn__embed e;
    TRY(clnn__embed_check(ctx, fn, x, w, labels, opt->weights, opt->reduction, loss, dx, dw, &e));
    TRY(check_options(ctx, fn, opt, norm_stats));
    if (norm_stats) { /* read and written: distinct from every other tensor */
        const clnn_tensor *others[] = {x, w, labels, loss, dx, dw};
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
            CHECK_ARG(ctx, !others[i] || !clnn__alias(others[i], norm_stats),
                      "%s: norm_stats must not alias another argument", fn);
    }

    clnn_status st = clnn__embed_alloc(ctx, fn, &e);
    if (st == CLNN_OK) st = clnn__embed_norms(ctx, fn, &e, x->buffer, w->buffer, 0);
    if (st == CLNN_OK) st = clnn__embed_gemm(ctx, fn, &e, x->buffer, w->buffer);
    cl_mem stats = norm_stats ? norm_stats->buffer : e.nx; /* unread unless AdaFace */
    if (st == CLNN_OK && norm_stats) {
        cl_uint n = (cl_uint)e.n;
        float momentum = opt->momentum;
        clnn__karg args[] = {KARG_BUF(stats), KARG_BUF(e.nx), KARG(n), KARG(momentum),
                             KARG_LOCAL_FIXED(CLNN_RED_LANES_BYTES)};
        size_t problem[2] = {1, e.n};
        st = clnn__run(ctx, fn, &clnn__tune_metric_ada_stats, problem, 5, args);
    }
    if (st == CLNN_OK) {
        cl_uint ncols = (cl_uint)e.c, lanes = clnn__row_lanes(e.c);
        cl_int kind = (cl_int)opt->kind, easy = opt->easy_margin, want_grad = dx || dw, want_dw = dw != NULL;
        float s = opt->scale, m = opt->margin, h = opt->h;
        clnn__karg args[] = {KARG_BUF(e.partial), KARG_BUF(e.coef), KARG_BUF(e.s),   KARG_BUF(e.z),
                             KARG_BUF(e.nx),      KARG_BUF(e.nw),   KARG_BUF(labels->buffer),
                             KARG_BUF(stats),     KARG(ncols),      KARG(lanes),     KARG(kind),
                             KARG(s),             KARG(m),          KARG(easy),      KARG(h),
                             KARG(e.scale),       KARG_BUF(e.rw.arg), KARG(e.rw.weighted), KARG(e.rw.ignore_index),
                             KARG(want_grad),     KARG(want_dw),         KARG(e.weights.label_smoothing),
                             KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        size_t problem[2] = {e.n, e.c};
        const char *variant = e.weights.label_smoothing != 0.0f ? "-DLABEL_SMOOTH=1" : NULL;
        st = clnn__run_variant(ctx, fn, &clnn__tune_metric_margin_rows, variant, problem,
                               sizeof args / sizeof args[0], args);
    }
    /* margin_rows left A ⊙ S / ||w||² in e.s: its column sums are dw's coefficients */
    if (st == CLNN_OK) st = clnn__embed_finish(ctx, fn, &e, x->buffer, w->buffer, e.s);
    clnn__embed_release(&e);
    return st;
}
