/* Host side of the input perturbations (cl/robust_perturb.cl,
 * include/clnn/robust.h): the checks, and one launch per call with one
 * work-group per sample and the step as a compile-time variant. */
#include "robust/robust_internal.h"

#include <stdio.h>

void clnn_perturb_options_init(clnn_perturb_options *opt)
{
    if (!opt) return;
    *opt = (clnn_perturb_options){sizeof *opt, CLNN_PERTURB_PGD_LINF, 8.0f / 255.0f, 2.0f / 255.0f, 1, 0.0f, 1.0f};
}

clnn_status clnn__check_perturb_options(clnn_context *ctx, const char *fn, const clnn_perturb_options *o)
{
    CHECK_ARG(ctx, o->kind >= CLNN_PERTURB_FGSM && o->kind <= CLNN_PERTURB_VAT,
              "%s: kind %d is not a clnn_perturb_kind (FGSM, PGD_LINF, PGD_L2, VAT)", fn, (int)o->kind);
    CHECK_ARG(ctx, clnn__is_finite(o->eps) && o->eps >= 0.0f, "%s: eps %g is not finite and >= 0", fn,
              (double)o->eps);
    CHECK_ARG(ctx, clnn__is_finite(o->alpha) && o->alpha >= 0.0f, "%s: alpha %g is not finite and >= 0", fn,
              (double)o->alpha);
    CHECK_ARG(ctx, o->clip == 0 || o->clip == 1, "%s: clip is %d; it must be 0 or 1", fn, o->clip);
    CHECK_ARG(ctx, !o->clip || (clnn__is_finite(o->lo) && clnn__is_finite(o->hi) && o->lo <= o->hi),
              "%s: the clip range [%g, %g] is not finite with lo <= hi", fn, (double)o->lo, (double)o->hi);
    return CLNN_OK;
}

/* x (fp32, at least 1-D, 32-bit indices) viewed as N samples of d elements;
 * delta and x_adv of its shape, disjoint from the inputs and each other. */
static clnn_status check_tensors(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *g,
                                 clnn_tensor *delta, clnn_tensor *x_adv, size_t *n, size_t *d)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    if (g) TRY(clnn__check_same_shape(ctx, fn, "g", g, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "delta", delta, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "x_adv", x_adv, "x", x));
    const clnn_tensor *outs[] = {delta, x_adv}, *ins[] = {x, g};
    const char *out_names[] = {"delta", "x_adv"}, *in_names[] = {"x", "g"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));
    *n = x->shape[0];
    *d = x->count / *n;
    return CLNN_OK;
}

/* The -D variant of a kind. */
static const char *kind_variant(clnn_perturb_kind kind, char *buf, size_t len)
{
    snprintf(buf, len, "-DPERTURB_KIND=%d", (int)kind);
    return buf;
}

clnn_status clnn_perturb_step(clnn_context *ctx, const clnn_perturb_options *opt, const clnn_tensor *x,
                              const clnn_tensor *g, clnn_tensor *delta, clnn_tensor *x_adv)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_perturb_options, opt);
    TRY(clnn__check_perturb_options(ctx, fn, opt));
    TRY(clnn__check_tensor(ctx, fn, "g", g));
    size_t n, d;
    TRY(check_tensors(ctx, fn, x, g, delta, x_adv, &n, &d));
    cl_uint nd = (cl_uint)d, lanes = clnn__row_lanes(d);
    cl_int clip = opt->clip;
    float eps = opt->eps, alpha = opt->alpha, lo = opt->lo, hi = opt->hi;
    clnn__karg args[] = {KARG_BUF(delta->buffer), KARG_BUF(x_adv->buffer), KARG_BUF(x->buffer), KARG_BUF(g->buffer),
                         KARG(nd),   KARG(lanes), KARG(eps), KARG(alpha), KARG(clip), KARG(lo), KARG(hi),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    char variant[32];
    size_t problem[2] = {n, d};
    return clnn__run_variant(ctx, fn, &clnn__tune_robust_perturb, kind_variant(opt->kind, variant, sizeof variant),
                             problem, 12, args);
}

clnn_status clnn_perturb_random_start(clnn_context *ctx, const clnn_perturb_options *opt, uint64_t seed,
                                      uint32_t stream, const clnn_tensor *x, clnn_tensor *delta, clnn_tensor *x_adv)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_perturb_options, opt);
    TRY(clnn__check_perturb_options(ctx, fn, opt));
    size_t n, d;
    TRY(check_tensors(ctx, fn, x, NULL, delta, x_adv, &n, &d));
    CHECK_ARG(ctx, stream != UINT32_MAX, "%s: stream must be below 2^32 - 1 (the L2 radius uses stream + 1)", fn);
    cl_uint nd = (cl_uint)d, lanes = clnn__row_lanes(d), cl_stream = stream;
    cl_int clip = opt->clip;
    cl_ulong cl_seed = seed;
    float eps = opt->eps, lo = opt->lo, hi = opt->hi;
    clnn__karg args[] = {KARG_BUF(delta->buffer), KARG_BUF(x_adv->buffer), KARG_BUF(x->buffer), KARG(nd),
                         KARG(lanes), KARG(eps), KARG(clip), KARG(lo), KARG(hi), KARG(cl_seed), KARG(cl_stream),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    char variant[32];
    size_t problem[2] = {n, d};
    return clnn__run_variant(ctx, fn, &clnn__tune_robust_start, kind_variant(opt->kind, variant, sizeof variant),
                             problem, 12, args);
}
