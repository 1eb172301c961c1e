/* Host side of VICReg (include/clnn/representations.h, cl/representations_vicreg.cl):
 * per branch, the column statistics once (two fixed stages), then the
 * variance hinge (value + elementwise gradient) and the covariance (centred
 * embeddings, C = Zcᵀ·Zc through CLBlast, off-diagonal squares, gradient
 * Zc·offdiag(C) through CLBlast); the invariance is the squared-error pair
 * loss of common.c. Each term writes its weighted value into one slot
 * of an output buffer and adds its weighted gradient, so the combined loss is
 * the same launches as the single terms plus a sum of the slots. */
#include "representations/representations_internal.h"

#include <stdio.h>

/* One branch z [n, d] and what to compute from it. A value goes, times its
 * weight, to out[slot] (out NULL: no value); a gradient (dz NULL: none) is
 * written, or added when accumulate is set. */
typedef struct branch {
    cl_mem z, dz, out;
    size_t n, d;
    int accumulate;
    float gamma, eps;
    int variance, covariance;      /* which terms */
    float w_var, w_cov;            /* their weights */
    cl_uint slot_var, slot_cov;
} branch;

/* stats [3][d] = hinge, mean, s of each column (covariance.c). */
static clnn_status column_stats(clnn_context *ctx, const char *fn, const branch *b, cl_mem stats)
{
    return clnn__repr_column_stats(ctx, fn, b->z, b->n, b->d, b->gamma, b->eps, stats);
}

static clnn_status variance_term(clnn_context *ctx, const char *fn, const branch *b, cl_mem stats)
{
    if (b->out) TRY(clnn__repr_value(ctx, fn, b->out, b->slot_var, stats, b->d, b->w_var / (float)b->d));
    if (!b->dz) return CLNN_OK;
    cl_uint n = (cl_uint)b->n, d = (cl_uint)b->d, lanes = clnn__repr_col_lanes(b->n);
    cl_int acc = b->accumulate;
    float coef = (float)(-(double)b->w_var / ((double)b->d * (double)(b->n - 1)));
    clnn__karg args[] = {KARG_BUF(b->dz), KARG_BUF(b->z), KARG_BUF(stats), KARG(n),
                         KARG(d),         KARG(lanes),    KARG(coef),      KARG(acc)};
    size_t problem[2] = {b->n, b->d};
    char variant[16];
    clnn__repr_col_variant(b->d, variant);
    return clnn__run_variant(ctx, fn, &clnn__tune_repr_variance_grad, variant, problem, 8, args);
}

/* C = Zcᵀ·Zc / (n − 1) [d, d]; value Σ_{i≠j} C_ij² / d; dz (+)= 4/(d(n−1))·Zc·offdiag(C). */
static clnn_status covariance_term(clnn_context *ctx, const char *fn, const branch *b, cl_mem stats)
{
    size_t n = b->n, d = b->d;
    cl_mem zc = NULL, c = NULL, partial = NULL;
    clnn_status st = clnn__repr_covariance(ctx, fn, b->z, stats, n, d, &zc, &c);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, d, &partial);
    if (st == CLNN_OK) {
        cl_uint dd = (cl_uint)d;
        clnn__karg args[] = {KARG_BUF(c), KARG_BUF(partial), KARG(dd)};
        size_t problem[2] = {d, d};
        st = clnn__run(ctx, fn, &clnn__tune_repr_offdiag, problem, 3, args);
    }
    if (st == CLNN_OK && b->out) st = clnn__repr_value(ctx, fn, b->out, b->slot_cov, partial, d, b->w_cov / (float)d);
    if (st == CLNN_OK && b->dz)
        st = clnn__sgemm(ctx, fn, 0, 0, n, d, d, (float)(4.0 * b->w_cov / ((double)d * (double)(n - 1))),
                         clnn__repr_matrix(zc, d), clnn__repr_matrix(c, d), b->accumulate ? 1.0f : 0.0f,
                         clnn__repr_matrix(b->dz, d), 1);
    if (zc) clReleaseMemObject(zc);
    if (c) clReleaseMemObject(c);
    if (partial) clReleaseMemObject(partial);
    return st;
}

static clnn_status run_branch(clnn_context *ctx, const char *fn, const branch *b)
{
    cl_mem stats;
    TRY(clnn__scratch(ctx, fn, 3 * b->d, &stats));
    clnn_status st = column_stats(ctx, fn, b, stats);
    if (st == CLNN_OK && b->variance) st = variance_term(ctx, fn, b, stats);
    if (st == CLNN_OK && b->covariance) st = covariance_term(ctx, fn, b, stats);
    clReleaseMemObject(stats);
    return st;
}

/* The invariance: out[slot] = w·mean (z − z2)², dz (+)= 2w(z − z2)/(n·d), dz2 (+)= −that. */
static clnn_status invariance_term(clnn_context *ctx, const char *fn, const clnn_tensor *z, const clnn_tensor *z2,
                                   float w, cl_mem out, cl_uint slot, clnn_tensor *dz, clnn_tensor *dz2)
{
    float scale = (float)((double)w / (double)z->count);
    clnn__repr_pair p = {REPR_PAIR_SQUARE, z->buffer, z2->buffer, dz ? dz->buffer : NULL,
                         dz2 ? dz2->buffer : NULL, 0, z->count, 0.0f, scale, NULL};
    cl_mem partial = NULL;
    size_t parts = 0;
    clnn_status st = clnn__repr_pair_loss(ctx, fn, &p, &partial, &parts);
    if (st == CLNN_OK && out) st = clnn__repr_value(ctx, fn, out, slot, partial, parts, scale);
    if (partial) clReleaseMemObject(partial);
    return st;
}

/* ---------------------------------------------------------------- checks */

/* z is [N, D] (binds N and D) with N >= 2 when need_two (the unbiased variance). */
static clnn_status check_embeddings(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *z,
                                    int need_two)
{
    TRY(clnn__check_shape(ctx, fn, dims, "z", z, "N,D"));
    TRY(clnn__check_count32(ctx, fn, "z", z));
    CHECK_SHAPE(ctx, !need_two || clnn__dim(dims, 'N') >= 2,
                "%s: z has N = %zu sample(s); the unbiased batch variance needs N >= 2", fn, clnn__dim(dims, 'N'));
    return CLNN_OK;
}

static clnn_status check_weight(clnn_context *ctx, const char *fn, const char *name, float w)
{
    CHECK_ARG(ctx, clnn__is_finite(w) && w >= 0.0f, "%s: %s %g is not finite and >= 0", fn, name, (double)w);
    return CLNN_OK;
}

static clnn_status check_gamma_eps(clnn_context *ctx, const char *fn, float gamma, float eps)
{
    TRY(check_weight(ctx, fn, "gamma", gamma));
    CHECK_ARG(ctx, clnn__is_finite(eps) && eps > 0.0f, "%s: eps %g is not finite and > 0", fn, (double)eps);
    return CLNN_OK;
}

/* ------------------------------------------------------------ public API */

/* One branch, one term, weight 1, value into loss[0]. */
static clnn_status single_term(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *z,
                               int variance, float gamma, float eps, clnn_tensor *loss, clnn_tensor *dz)
{
    TRY(check_embeddings(ctx, fn, dims, z, 1));
    const size_t n = clnn__dim(dims, 'N'), d = clnn__dim(dims, 'D');
    TRY(check_gamma_eps(ctx, fn, gamma, eps));
    TRY(clnn__check_loss_outputs(ctx, fn, z, z, loss, dz, "dz"));
    branch b = {z->buffer, dz ? dz->buffer : NULL, loss ? loss->buffer : NULL, n, d, 0, gamma, eps,
                variance, !variance, 1.0f, 1.0f, 0, 0};
    return run_branch(ctx, fn, &b);
}

clnn_status clnn_vicreg_variance(clnn_context *ctx, const clnn_tensor *z, float gamma, float eps, clnn_tensor *loss,
                                 clnn_tensor *dz)
{
    CLNN_ENTRY(ctx);
    return single_term(ctx, fn, &dims, z, 1, gamma, eps, loss, dz);
}

clnn_status clnn_vicreg_covariance(clnn_context *ctx, const clnn_tensor *z, clnn_tensor *loss, clnn_tensor *dz)
{
    CLNN_ENTRY(ctx);
    return single_term(ctx, fn, &dims, z, 0, 1.0f, 1.0f, loss, dz);
}

/* Checks of a two-branch call: z2 like z, outputs distinct and not aliasing. */
static clnn_status check_two(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *z,
                             const clnn_tensor *z2, int need_two, clnn_tensor *loss, clnn_tensor *dz, clnn_tensor *dz2)
{
    TRY(check_embeddings(ctx, fn, dims, z, need_two));
    TRY(clnn__check_shape(ctx, fn, dims, "z2", z2, "N,D"));
    CHECK_ARG(ctx, loss || dz || dz2, "%s: loss, dz and dz2 are all NULL: nothing to compute", fn);
    if (loss || dz) TRY(clnn__check_loss_outputs(ctx, fn, z, z2, loss, dz, "dz"));
    if (dz2) TRY(clnn__check_loss_outputs(ctx, fn, z2, z, loss, dz2, "dz2"));
    CHECK_ARG(ctx, !dz || !dz2 || !clnn__alias(dz, dz2), "%s: dz and dz2 must differ", fn);
    return CLNN_OK;
}

clnn_status clnn_vicreg_invariance(clnn_context *ctx, const clnn_tensor *z, const clnn_tensor *z2, clnn_tensor *loss,
                                   clnn_tensor *dz, clnn_tensor *dz2)
{
    CLNN_ENTRY(ctx);
    TRY(check_two(ctx, fn, &dims, z, z2, 0, loss, dz, dz2));
    return invariance_term(ctx, fn, z, z2, 1.0f, loss ? loss->buffer : NULL, 0, dz, dz2);
}

void clnn_vicreg_options_init(clnn_vicreg_options *opt)
{
    if (!opt) return;
    *opt = (clnn_vicreg_options){sizeof *opt, 25.0f, 25.0f, 1.0f, 1.0f, 1e-4f};
}

clnn_status clnn_vicreg_loss(clnn_context *ctx, const clnn_tensor *z, const clnn_tensor *z2,
                             const clnn_vicreg_options *opt, clnn_tensor *loss, clnn_tensor *dz, clnn_tensor *dz2)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_vicreg_options, opt);
    TRY(check_two(ctx, fn, &dims, z, z2, 1, loss, dz, dz2));
    TRY(check_weight(ctx, fn, "lambda", opt->lambda));
    TRY(check_weight(ctx, fn, "mu", opt->mu));
    TRY(check_weight(ctx, fn, "nu", opt->nu));
    TRY(check_gamma_eps(ctx, fn, opt->gamma, opt->eps));

    /* slots: 0 invariance, 1 and 2 variance of z and z2, 3 and 4 covariance */
    cl_mem vals = NULL;
    if (loss) TRY(clnn__scratch(ctx, fn, 5, &vals));
    /* the invariance writes both gradients first; the other terms add to them */
    clnn_status st = invariance_term(ctx, fn, z, z2, opt->lambda, vals, 0, dz, dz2);
    for (int k = 0; k < 2 && st == CLNN_OK; k++) {
        const clnn_tensor *zk = k ? z2 : z;
        clnn_tensor *dk = k ? dz2 : dz;
        if (!vals && !dk) continue; /* nothing wanted from this branch */
        branch b = {zk->buffer,  dk ? dk->buffer : NULL, vals, zk->shape[0], zk->shape[1], 1, opt->gamma, opt->eps,
                    1,           1,                      opt->mu, opt->nu, (cl_uint)(1 + k), (cl_uint)(3 + k)};
        st = run_branch(ctx, fn, &b);
    }
    if (st == CLNN_OK && loss) st = clnn__repr_value(ctx, fn, loss->buffer, 0, vals, 5, 1.0f);
    if (vals) clReleaseMemObject(vals);
    return st;
}
