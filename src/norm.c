/* Host side of batch norm and layer norm (cl/norm.cl). Both describe their
 * statistics groups with the addressing of cl/reduce.clh and share the three
 * kernels: forward, dx, and the parameter gradients. */
#include "internal.h"
#include "tune_family.h"

#define CLNN_TABLE "norm_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* Layer normalization of [P0 rows, P1 columns]. */
static clnn_status exercise_norm(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t rows = problem[0], cols = problem[1];
    clnn_tensor *x = EX_RAND(&b, rows, cols), *y = EX_RAND(&b, rows, cols), *dx = EX_RAND(&b, rows, cols);
    clnn_tensor *gamma = EX_RAND(&b, cols), *beta = EX_RAND(&b, cols), *mean = EX_RAND(&b, rows);
    clnn_tensor *inv = EX_RAND(&b, rows);
    EX_STEP(&b, clnn_layernorm_forward(ctx, x, gamma, beta, 1e-5f, y, mean, inv));
    if (t != &tune_forward)
        EX_STEP(&b, clnn_layernorm_backward(ctx, x, y, gamma, mean, inv, dx, EX_RAND(&b, cols), EX_RAND(&b, cols)));
    return clnn__exercise_end(&b);
}

/* flags: the same bits as cl/norm.cl */
enum {
    NORM_AFFINE = 1,
    NORM_USE_RUNNING = 2,
    NORM_UPDATE_RUNNING = 4,
    NORM_PARAM_PER_GROUP = 8,
    NORM_WANT_DGAMMA = 16,
    NORM_WANT_DBETA = 32
};

/* Groups of elements sharing statistics: element i of group g at
 * g*group_stride + (i/inner)*outer_stride + i%inner, count per group. */
typedef struct norm_groups {
    cl_uint groups, count, group_stride, inner, outer_stride;
} norm_groups;

/* gamma and beta: both NULL or both [n] */
static clnn_status check_affine(clnn_context *ctx, const char *fn, const clnn_tensor *gamma, const clnn_tensor *beta,
                                size_t n)
{
    CHECK_ARG(ctx, (gamma == NULL) == (beta == NULL), "%s: gamma and beta must both be given or both be NULL", fn);
    if (gamma) {
        TRY(clnn__check_f32(ctx, fn, "gamma", gamma, n));
        TRY(clnn__check_f32(ctx, fn, "beta", beta, n));
    }
    return CLNN_OK;
}

/* Batch norm groups: channels of [N, C] or [N, C, H, W]. */
static clnn_status bn_groups(clnn_context *ctx, const char *fn, const clnn_tensor *x, norm_groups *g)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    CHECK_SHAPE(ctx, x->ndim == 2 || x->ndim == 4, "%s: x must be [N, C] or [N, C, H, W], has %d dimensions", fn,
                x->ndim);
    TRY(clnn__check_count32(ctx, fn, "x", x));
    size_t C = x->shape[1], HW = x->ndim == 4 ? x->shape[2] * x->shape[3] : 1;
    *g = (norm_groups){(cl_uint)C, (cl_uint)(x->shape[0] * HW), (cl_uint)HW, (cl_uint)HW, (cl_uint)(C * HW)};
    return CLNN_OK;
}

static clnn_status run_forward(clnn_context *ctx, const char *fn, const norm_groups *g, const clnn_tensor *x,
                               const clnn_tensor *gamma, const clnn_tensor *beta, clnn_tensor *rmean,
                               clnn_tensor *rvar, int flags, float eps, float momentum, clnn_tensor *y,
                               clnn_tensor *smean, clnn_tensor *sinv)
{
    if (gamma) flags |= NORM_AFFINE;
    cl_mem xb = x->buffer; /* stands in for the optional buffers the flags say are unused */
    cl_mem gb = gamma ? gamma->buffer : xb, bb = beta ? beta->buffer : xb;
    cl_mem rm = rmean ? rmean->buffer : xb, rv = rvar ? rvar->buffer : xb;
    cl_int f = flags;
    size_t problem[2] = {g->groups, g->count};
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(y->buffer),    KARG_BUF(gb),       KARG_BUF(bb),
                      KARG_BUF(smean->buffer), KARG_BUF(sinv->buffer), KARG_BUF(rm),   KARG_BUF(rv),
                      KARG(g->groups), KARG(g->count), KARG(g->group_stride), KARG(g->inner),
                      KARG(g->outer_stride), KARG(f), KARG(eps), KARG(momentum)};
    return clnn__run(ctx, fn, &tune_forward, problem, 16, a);
}

/* dx over the statistics groups g, then dgamma/dbeta over the parameter groups pg. */
static clnn_status run_backward(clnn_context *ctx, const char *fn, const norm_groups *g, const norm_groups *pg,
                                int flags, int param_flags, const clnn_tensor *x, const clnn_tensor *dy,
                                const clnn_tensor *gamma, const clnn_tensor *smean, const clnn_tensor *sinv,
                                clnn_tensor *dx, clnn_tensor *dgamma, clnn_tensor *dbeta)
{
    if (gamma) flags |= NORM_AFFINE;
    cl_mem gb = gamma ? gamma->buffer : x->buffer;
    cl_int f = flags;
    size_t problem[2] = {g->groups, g->count};
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(dy->buffer), KARG_BUF(gb), KARG_BUF(smean->buffer),
                      KARG_BUF(sinv->buffer), KARG_BUF(dx->buffer), KARG(g->groups), KARG(g->count),
                      KARG(g->group_stride), KARG(g->inner), KARG(g->outer_stride), KARG(f)};
    TRY(clnn__run(ctx, fn, &tune_backward_data, problem, 12, a));
    if (!dgamma && !dbeta) return CLNN_OK;
    cl_int pf = param_flags | (dgamma ? NORM_WANT_DGAMMA : 0) | (dbeta ? NORM_WANT_DBETA : 0);
    cl_mem dgb = dgamma ? dgamma->buffer : x->buffer, dbb = dbeta ? dbeta->buffer : x->buffer;
    size_t pproblem[2] = {pg->groups, pg->count};
    clnn__karg p[] = {KARG_BUF(x->buffer), KARG_BUF(dy->buffer), KARG_BUF(smean->buffer), KARG_BUF(sinv->buffer),
                      KARG_BUF(dgb), KARG_BUF(dbb), KARG(pg->groups), KARG(pg->count), KARG(pg->group_stride),
                      KARG(pg->inner), KARG(pg->outer_stride), KARG(pf)};
    return clnn__run(ctx, fn, &tune_param_grad, pproblem, 12, p);
}

static clnn_status check_hyper(clnn_context *ctx, const char *fn, float eps, float momentum)
{
    CHECK_ARG(ctx, clnn__is_finite(eps) && eps > 0, "%s: eps = %g must be positive and finite", fn, (double)eps);
    CHECK_ARG(ctx, clnn__is_finite(momentum) && momentum >= 0 && momentum <= 1,
              "%s: momentum = %g must be in [0, 1]", fn, (double)momentum);
    return CLNN_OK;
}

clnn_status clnn_batchnorm_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                   const clnn_tensor *beta, clnn_tensor *running_mean, clnn_tensor *running_var,
                                   int training, float momentum, float eps, clnn_tensor *y, clnn_tensor *save_mean,
                                   clnn_tensor *save_invstd)
{
    CLNN_ENTRY(ctx);
    norm_groups g;
    TRY(bn_groups(ctx, fn, x, &g));
    CHECK_ARG(ctx, training == 0 || training == 1, "%s: training = %d must be 0 or 1", fn, training);
    TRY(check_hyper(ctx, fn, eps, momentum));
    TRY(check_affine(ctx, fn, gamma, beta, g.groups));
    CHECK_ARG(ctx, (running_mean == NULL) == (running_var == NULL),
              "%s: running_mean and running_var must both be given or both be NULL", fn);
    CHECK_ARG(ctx, training || running_mean, "%s: inference (training = 0) needs running_mean and running_var", fn);
    if (running_mean) {
        TRY(clnn__check_f32(ctx, fn, "running_mean", running_mean, g.groups));
        TRY(clnn__check_f32(ctx, fn, "running_var", running_var, g.groups));
    }
    CHECK_SHAPE(ctx, !training || g.count >= 2,
                "%s: training needs at least 2 values per channel (N*H*W = %u) for the unbiased variance", fn,
                (unsigned)g.count);
    TRY(clnn__check_same_shape(ctx, fn, "y", y, "x", x));
    TRY(clnn__check_f32(ctx, fn, "save_mean", save_mean, g.groups));
    TRY(clnn__check_f32(ctx, fn, "save_invstd", save_invstd, g.groups));
    int flags = NORM_PARAM_PER_GROUP |
                (training ? (running_mean ? NORM_UPDATE_RUNNING : 0) : NORM_USE_RUNNING);
    return run_forward(ctx, fn, &g, x, gamma, beta, running_mean, running_var, flags, eps, momentum, y, save_mean,
                       save_invstd);
}

/* The backward kernels read x and dy while they write dx, dgamma and dbeta:
 * no output may share memory with an input or another output. */
static clnn_status check_backward_disjoint(clnn_context *ctx, const char *fn, const clnn_tensor *x,
                                           const clnn_tensor *dy, const clnn_tensor *gamma,
                                           const clnn_tensor *save_mean, const clnn_tensor *save_invstd,
                                           const clnn_tensor *dx, const clnn_tensor *dgamma, const clnn_tensor *dbeta)
{
    const clnn_tensor *outs[] = {dx, dgamma, dbeta}, *ins[] = {x, dy, gamma, save_mean, save_invstd};
    static const char *const out_names[] = {"dx", "dgamma", "dbeta"},
                             *const in_names[] = {"x", "dy", "gamma", "save_mean", "save_invstd"};
    return clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 5);
}

clnn_status clnn_batchnorm_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                    const clnn_tensor *gamma, const clnn_tensor *save_mean,
                                    const clnn_tensor *save_invstd, int training, clnn_tensor *dx, clnn_tensor *dgamma,
                                    clnn_tensor *dbeta)
{
    CLNN_ENTRY(ctx);
    norm_groups g;
    TRY(bn_groups(ctx, fn, x, &g));
    TRY(clnn__check_same_shape(ctx, fn, "dy", dy, "x", x));
    if (gamma) TRY(clnn__check_f32(ctx, fn, "gamma", gamma, g.groups));
    TRY(clnn__check_f32(ctx, fn, "save_mean", save_mean, g.groups));
    TRY(clnn__check_f32(ctx, fn, "save_invstd", save_invstd, g.groups));
    CHECK_ARG(ctx, training == 0 || training == 1, "%s: training = %d must be 0 or 1", fn, training);
    TRY(clnn__check_same_shape(ctx, fn, "dx", dx, "x", x));
    if (dgamma) TRY(clnn__check_f32(ctx, fn, "dgamma", dgamma, g.groups));
    if (dbeta) TRY(clnn__check_f32(ctx, fn, "dbeta", dbeta, g.groups));
    TRY(check_backward_disjoint(ctx, fn, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta));
    int flags = NORM_PARAM_PER_GROUP | (training ? 0 : NORM_USE_RUNNING);
    return run_backward(ctx, fn, &g, &g, flags, NORM_PARAM_PER_GROUP, x, dy, gamma, save_mean, save_invstd, dx,
                        dgamma, dbeta);
}

/* Layer norm: rows of the last dimension D (statistics groups) and its columns (parameter groups). */
static clnn_status ln_groups(clnn_context *ctx, const char *fn, const clnn_tensor *x, norm_groups *rows,
                             norm_groups *cols)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    size_t D = x->shape[x->ndim - 1], M = x->count / D;
    *rows = (norm_groups){(cl_uint)M, (cl_uint)D, (cl_uint)D, (cl_uint)D, 0};
    *cols = (norm_groups){(cl_uint)D, (cl_uint)M, 1, 1, (cl_uint)D};
    return CLNN_OK;
}

clnn_status clnn_layernorm_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                   const clnn_tensor *beta, float eps, clnn_tensor *y, clnn_tensor *save_mean,
                                   clnn_tensor *save_invstd)
{
    CLNN_ENTRY(ctx);
    norm_groups rows, cols;
    TRY(ln_groups(ctx, fn, x, &rows, &cols));
    TRY(check_hyper(ctx, fn, eps, 0.0f));
    TRY(check_affine(ctx, fn, gamma, beta, cols.groups));
    TRY(clnn__check_same_shape(ctx, fn, "y", y, "x", x));
    TRY(clnn__check_f32(ctx, fn, "save_mean", save_mean, rows.groups));
    TRY(clnn__check_f32(ctx, fn, "save_invstd", save_invstd, rows.groups));
    return run_forward(ctx, fn, &rows, x, gamma, beta, NULL, NULL, 0, eps, 0.0f, y, save_mean, save_invstd);
}

clnn_status clnn_layernorm_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                    const clnn_tensor *gamma, const clnn_tensor *save_mean,
                                    const clnn_tensor *save_invstd, clnn_tensor *dx, clnn_tensor *dgamma,
                                    clnn_tensor *dbeta)
{
    CLNN_ENTRY(ctx);
    norm_groups rows, cols;
    TRY(ln_groups(ctx, fn, x, &rows, &cols));
    TRY(clnn__check_same_shape(ctx, fn, "dy", dy, "x", x));
    if (gamma) TRY(clnn__check_f32(ctx, fn, "gamma", gamma, cols.groups));
    TRY(clnn__check_f32(ctx, fn, "save_mean", save_mean, rows.groups));
    TRY(clnn__check_f32(ctx, fn, "save_invstd", save_invstd, rows.groups));
    TRY(clnn__check_same_shape(ctx, fn, "dx", dx, "x", x));
    if (dgamma) TRY(clnn__check_f32(ctx, fn, "dgamma", dgamma, cols.groups));
    if (dbeta) TRY(clnn__check_f32(ctx, fn, "dbeta", dbeta, cols.groups));
    TRY(check_backward_disjoint(ctx, fn, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta));
    return run_backward(ctx, fn, &rows, &cols, 0, 0, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}
