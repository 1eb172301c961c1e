/* Host side of ELLE's local-linearity penalty (include/clnn/robust.h): the
 * random points (cl/robust_perturb.cl's elle_points) and the penalty with
 * its per-row gradient scales (cl/robust_rows.cl's elle_terms, then
 * rows.c's scaling). */
#include "divisor.h"
#include "robust/robust_internal.h"

clnn_status clnn_elle_points(clnn_context *ctx, const clnn_perturb_options *opt, uint64_t seed, uint32_t stream,
                             const clnn_tensor *x, clnn_tensor *x_a, clnn_tensor *x_b, clnn_tensor *x_c,
                             clnn_tensor *alpha)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_perturb_options, opt);
    TRY(clnn__check_perturb_options(ctx, fn, opt));
    CHECK_ARG(ctx, opt->kind == CLNN_PERTURB_FGSM || opt->kind == CLNN_PERTURB_PGD_LINF,
              "%s: kind %d: ELLE draws in the L-inf ball (FGSM or PGD_LINF)", fn, (int)opt->kind);
    CHECK_ARG(ctx, stream < UINT32_MAX - 1, "%s: stream must be below 2^32 - 2 (x_b and alpha use the next two)",
              fn);
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "x_a", x_a, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "x_b", x_b, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "x_c", x_c, "x", x));
    const size_t n = x->shape[0];
    TRY(clnn__check_f32(ctx, fn, "alpha", alpha, n));
    const clnn_tensor *outs[] = {x_a, x_b, x_c, alpha}, *ins[] = {x};
    const char *out_names[] = {"x_a", "x_b", "x_c", "alpha"}, *in_names[] = {"x"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 4, ins, in_names, 1));
    cl_uint count = (cl_uint)x->count, cl_stream = stream;
    cl_uint4 dv = clnn__divisor((cl_uint)(x->count / n));
    cl_ulong cl_seed = seed;
    cl_int clip = opt->clip;
    float eps = opt->eps, lo = opt->lo, hi = opt->hi;
    clnn__karg args[] = {KARG_BUF(x_a->buffer), KARG_BUF(x_b->buffer), KARG_BUF(x_c->buffer), KARG_BUF(alpha->buffer),
                         KARG_BUF(x->buffer),   KARG(count),           KARG(dv),              KARG(eps),
                         KARG(clip),            KARG(lo),              KARG(hi),              KARG(cl_seed),
                         KARG(cl_stream)};
    const size_t problem[2] = {x->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_elle_points, problem, 13, args);
}

clnn_status clnn_elle_penalty(clnn_context *ctx, const clnn_tensor *loss_a, const clnn_tensor *loss_b,
                              const clnn_tensor *loss_c, const clnn_tensor *alpha, float lambda, clnn_tensor *penalty,
                              clnn_tensor *grad_a, clnn_tensor *grad_b, clnn_tensor *grad_c)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "loss_a", loss_a, 0));
    TRY(clnn__check_count32(ctx, fn, "loss_a", loss_a));
    const size_t n = loss_a->count;
    TRY(clnn__check_f32(ctx, fn, "loss_b", loss_b, n));
    TRY(clnn__check_f32(ctx, fn, "loss_c", loss_c, n));
    TRY(clnn__check_f32(ctx, fn, "alpha", alpha, n));
    CHECK_ARG(ctx, clnn__is_finite(lambda) && lambda >= 0.0f, "%s: lambda %g is not finite and >= 0", fn,
              (double)lambda);
    CHECK_ARG(ctx, penalty || grad_a || grad_b || grad_c, "%s: every output is NULL: nothing to compute", fn);
    if (penalty) TRY(clnn__check_f32(ctx, fn, "penalty", penalty, 1));
    clnn_tensor *grads[3] = {grad_a, grad_b, grad_c};
    const char *names[3] = {"grad_a", "grad_b", "grad_c"};
    size_t d[3];
    for (int k = 0; k < 3; k++) TRY(clnn__robust_check_row_grad(ctx, fn, names[k], grads[k], n, &d[k]));
    const clnn_tensor *outs[] = {penalty, grad_a, grad_b, grad_c}, *ins[] = {loss_a, loss_b, loss_c, alpha};
    const char *out_names[] = {"penalty", "grad_a", "grad_b", "grad_c"};
    const char *in_names[] = {"loss_a", "loss_b", "loss_c", "alpha"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 4, ins, in_names, 4));

    cl_mem partial = NULL, coef[3] = {NULL, NULL, NULL};
    clnn_status st = clnn__scratch(ctx, fn, n, &partial);
    for (int k = 0; k < 3 && st == CLNN_OK; k++) st = clnn__scratch(ctx, fn, n, &coef[k]);
    if (st == CLNN_OK) {
        cl_uint count = (cl_uint)n;
        clnn__karg args[] = {KARG_BUF(partial),        KARG_BUF(coef[0]),        KARG_BUF(coef[1]),
                             KARG_BUF(coef[2]),        KARG_BUF(loss_a->buffer), KARG_BUF(loss_b->buffer),
                             KARG_BUF(loss_c->buffer), KARG_BUF(alpha->buffer),  KARG(count),
                             KARG(lambda)};
        const size_t problem[2] = {n, 1};
        st = clnn__run(ctx, fn, &clnn__tune_robust_elle_terms, problem, 10, args);
    }
    for (int k = 0; k < 3 && st == CLNN_OK; k++)
        if (grads[k]) st = clnn__robust_scale_rows(ctx, fn, grads[k], coef[k], d[k]);
    if (st == CLNN_OK && penalty)
        st = clnn__loss_reduce(ctx, fn, CLNN_REDUCE_MEAN, penalty, partial, n, clnn__loss_scale(CLNN_REDUCE_MEAN, n),
                               NULL);
    for (int k = 0; k < 3; k++)
        if (coef[k]) clReleaseMemObject(coef[k]);
    if (partial) clReleaseMemObject(partial);
    return st;
}
