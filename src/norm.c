/* Host side of batch norm and layer norm (cl/norm.cl). Both describe their
 * statistics groups with the addressing of cl/reduce.clh and share the
 * kernels: forward, dx (with batch norm's parameter gradients), and layer
 * norm's parameter gradients over its columns. */
#include "internal.h"
#include "tune_family.h"

/* VEC = 1 (one work-item per group in float8, cl/norm.clh) on CPU devices,
 * local size 1 (PoCL runs each work-group as one thread's loop: nothing to
 * share); else the work-group form with the one-group-each default (local
 * at most NORM_LANES on a GPU: more work-items than lanes would idle). */
#define NORM_LANES 64
static void norm_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    if (ctx->info.type == CLNN_DEVICE_CPU) {
        cfg->param[0] = 1;
        cfg->local[0] = cfg->local[1] = cfg->local[2] = 1;
        return;
    }
    clnn__one_group_each_heuristic(ctx, problem, cfg);
    if (clnn__gpu_shaped(ctx) && (cfg->local[0] == 0 || cfg->local[0] > NORM_LANES)) cfg->local[0] = NORM_LANES;
}

/* VEC = 1: global = groups (one work-item each); else groups x local. */
static void norm_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    if (cfg->param[0]) {
        global[0] = problem[0];
        global[1] = 1;
        return;
    }
    clnn__global_one_group_each(problem, cfg, global);
}

/* A work-item's loop iterations over a group of problem[1] elements: two
 * passes (moments or gradient sums, then the writes), eight elements a
 * step with VEC = 1, else shared by the work-group; plus the lane trees. */
static size_t norm_iterations(const size_t problem[2], const clnn__config *cfg)
{
    if (cfg->param[0]) return 2 * (problem[1] / 8 + 8) + 64;
    size_t items = cfg->local[0] ? cfg->local[0] : 1;
    return 3 * ((problem[1] + items - 1) / items) + 4 * ((NORM_LANES + items - 1) / items + 8) + 64;
}

/* Layer norm's parameter gradients (problem = {D columns, M rows}) in two
 * steps: partial sums over blocks of 64 rows (VEC = 1: a work-item per eight
 * columns of a block, else per column), then the blocks summed per column. */
#define NORM_ROW_BLOCK 64
static void param_grad_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t cols = cfg->param[0] ? 8 : 1;
    global[0] = (problem[0] + cols - 1) / cols * ((problem[1] + NORM_ROW_BLOCK - 1) / NORM_ROW_BLOCK);
    global[1] = 1;
}

static void param_sum_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    global[0] = cfg->param[0] ? (problem[0] + 7) / 8 : problem[0];
    global[1] = 1;
}

/* VEC = 1 (float8 columns) on CPU devices, else one column per work-item;
 * the generic local size. */
static void param_grad_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    (void)problem;
    cfg->param[0] = ctx->info.type == CLNN_DEVICE_CPU;
}

/* the partial sums' rows, then the blocks */
static size_t param_grad_iterations(const size_t problem[2], const clnn__config *cfg)
{
    (void)cfg;
    return NORM_ROW_BLOCK + (problem[1] + NORM_ROW_BLOCK - 1) / NORM_ROW_BLOCK + 64;
}

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
    NORM_WANT_DBETA = 32,
    NORM_RELU = 64
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

/* Batch norm groups: channels of [N, C], [N, C, L] (BatchNorm1d) or [N, C,
 * H, W] (any trailing dimensions: their product is one channel's plane). */
static clnn_status bn_groups(clnn_context *ctx, const char *fn, const clnn_tensor *x, norm_groups *g)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    CHECK_SHAPE(ctx, x->ndim >= 2, "%s: x must be [N, C, ...] (e.g. [N, C], [N, C, L], [N, C, H, W]), has %d dimension",
                fn, x->ndim);
    TRY(clnn__check_count32(ctx, fn, "x", x));
    size_t C = x->shape[1], HW = 1;
    for (int d = 2; d < x->ndim; d++) HW *= x->shape[d];
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

/* dx over the statistics groups g (and batch norm's dgamma/dbeta: per_group
 * set, the parameter groups are those groups), then for layer norm
 * dgamma/dbeta over the parameter groups pg. */
static clnn_status run_backward(clnn_context *ctx, const char *fn, const norm_groups *g, const norm_groups *pg,
                                int flags, int per_group, const clnn_tensor *x, const clnn_tensor *y,
                                const clnn_tensor *dy, const clnn_tensor *gamma, const clnn_tensor *smean,
                                const clnn_tensor *sinv, clnn_tensor *dx, clnn_tensor *dgamma, clnn_tensor *dbeta)
{
    if (gamma) flags |= NORM_AFFINE;
    if (y) flags |= NORM_RELU; /* y: the output of batch norm + ReLU */
    cl_mem yb = y ? y->buffer : x->buffer;
    const int want = (dgamma ? NORM_WANT_DGAMMA : 0) | (dbeta ? NORM_WANT_DBETA : 0);
    cl_mem gb = gamma ? gamma->buffer : x->buffer;
    cl_mem dgb = dgamma ? dgamma->buffer : x->buffer, dbb = dbeta ? dbeta->buffer : x->buffer;
    cl_int f = flags | (per_group ? NORM_PARAM_PER_GROUP | want : 0);
    size_t problem[2] = {g->groups, g->count};
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(dy->buffer), KARG_BUF(yb),         KARG_BUF(gb),
                      KARG_BUF(smean->buffer), KARG_BUF(sinv->buffer), KARG_BUF(dx->buffer), KARG_BUF(dgb),
                      KARG_BUF(dbb),       KARG(g->groups),     KARG(g->count),     KARG(g->group_stride),
                      KARG(g->inner),      KARG(g->outer_stride), KARG(f)};
    TRY(clnn__run(ctx, fn, &tune_backward_data, problem, 15, a));
    if (per_group || !want) return CLNN_OK;
    cl_int pf = want;
    cl_uint D = pg->groups, M = pg->count;
    size_t pproblem[2] = {D, M};
    cl_mem partial;
    TRY(clnn__scratch(ctx, fn, 2 * (size_t)D * ((M + NORM_ROW_BLOCK - 1) / NORM_ROW_BLOCK), &partial));
    clnn__karg p[] = {KARG_BUF(x->buffer), KARG_BUF(dy->buffer), KARG_BUF(smean->buffer), KARG_BUF(sinv->buffer),
                      KARG_BUF(partial), KARG(D), KARG(M)};
    clnn_status st = clnn__run(ctx, fn, &tune_param_grad, pproblem, 7, p);
    if (st == CLNN_OK) {
        clnn__karg q[] = {KARG_BUF(partial), KARG_BUF(dgb), KARG_BUF(dbb), KARG(D), KARG(M), KARG(pf)};
        st = clnn__run(ctx, fn, &tune_param_sum, pproblem, 6, q);
    }
    clReleaseMemObject(partial);
    return st;
}

static clnn_status check_hyper(clnn_context *ctx, const char *fn, float eps, float momentum)
{
    CHECK_ARG(ctx, clnn__is_finite(eps) && eps > 0, "%s: eps = %g must be positive and finite", fn, (double)eps);
    CHECK_ARG(ctx, clnn__is_finite(momentum) && momentum >= 0 && momentum <= 1,
              "%s: momentum = %g must be in [0, 1]", fn, (double)momentum);
    return CLNN_OK;
}

/* Batch norm forward, then ReLU where relu is set. */
static clnn_status bn_forward(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *gamma,
                              const clnn_tensor *beta, clnn_tensor *running_mean, clnn_tensor *running_var,
                              int training, float momentum, float eps, clnn_tensor *y, clnn_tensor *save_mean,
                              clnn_tensor *save_invstd, int relu)
{
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
    int flags = NORM_PARAM_PER_GROUP | (relu ? NORM_RELU : 0) |
                (training ? (running_mean ? NORM_UPDATE_RUNNING : 0) : NORM_USE_RUNNING);
    return run_forward(ctx, fn, &g, x, gamma, beta, running_mean, running_var, flags, eps, momentum, y, save_mean,
                       save_invstd);
}

clnn_status clnn_batchnorm_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                   const clnn_tensor *beta, clnn_tensor *running_mean, clnn_tensor *running_var,
                                   int training, float momentum, float eps, clnn_tensor *y, clnn_tensor *save_mean,
                                   clnn_tensor *save_invstd)
{
    CLNN_ENTRY(ctx);
    return bn_forward(ctx, fn, x, gamma, beta, running_mean, running_var, training, momentum, eps, y, save_mean,
                      save_invstd, 0);
}

clnn_status clnn_batchnorm_relu_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                        const clnn_tensor *beta, clnn_tensor *running_mean, clnn_tensor *running_var,
                                        int training, float momentum, float eps, clnn_tensor *y,
                                        clnn_tensor *save_mean, clnn_tensor *save_invstd)
{
    CLNN_ENTRY(ctx);
    return bn_forward(ctx, fn, x, gamma, beta, running_mean, running_var, training, momentum, eps, y, save_mean,
                      save_invstd, 1);
}

/* The backward kernels read x and dy while they write dx, dgamma and dbeta:
 * no output may share memory with an input or another output. */
static clnn_status check_backward_disjoint(clnn_context *ctx, const char *fn, const clnn_tensor *x,
                                           const clnn_tensor *dy, const clnn_tensor *gamma,
                                           const clnn_tensor *save_mean, const clnn_tensor *save_invstd,
                                           const clnn_tensor *dx, const clnn_tensor *dgamma, const clnn_tensor *dbeta,
                                           const clnn_tensor *y)
{
    const clnn_tensor *outs[] = {dx, dgamma, dbeta}, *ins[] = {x, dy, gamma, save_mean, save_invstd, y};
    static const char *const out_names[] = {"dx", "dgamma", "dbeta"},
                             *const in_names[] = {"x", "dy", "gamma", "save_mean", "save_invstd", "y"};
    return clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 6);
}

/* Batch norm backward; y (the output of batch norm + ReLU) or NULL. */
static clnn_status bn_backward(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *y,
                               const clnn_tensor *dy, const clnn_tensor *gamma, const clnn_tensor *save_mean,
                               const clnn_tensor *save_invstd, int training, clnn_tensor *dx, clnn_tensor *dgamma,
                               clnn_tensor *dbeta)
{
    norm_groups g;
    TRY(bn_groups(ctx, fn, x, &g));
    TRY(clnn__check_same_shape(ctx, fn, "dy", dy, "x", x));
    if (y) TRY(clnn__check_same_shape(ctx, fn, "y", y, "x", x));
    if (gamma) TRY(clnn__check_f32(ctx, fn, "gamma", gamma, g.groups));
    TRY(clnn__check_f32(ctx, fn, "save_mean", save_mean, g.groups));
    TRY(clnn__check_f32(ctx, fn, "save_invstd", save_invstd, g.groups));
    CHECK_ARG(ctx, training == 0 || training == 1, "%s: training = %d must be 0 or 1", fn, training);
    TRY(clnn__check_same_shape(ctx, fn, "dx", dx, "x", x));
    if (dgamma) TRY(clnn__check_f32(ctx, fn, "dgamma", dgamma, g.groups));
    if (dbeta) TRY(clnn__check_f32(ctx, fn, "dbeta", dbeta, g.groups));
    TRY(check_backward_disjoint(ctx, fn, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta, y));
    return run_backward(ctx, fn, &g, &g, training ? 0 : NORM_USE_RUNNING, 1, x, y, dy, gamma, save_mean,
                        save_invstd, dx, dgamma, dbeta);
}

clnn_status clnn_batchnorm_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                    const clnn_tensor *gamma, const clnn_tensor *save_mean,
                                    const clnn_tensor *save_invstd, int training, clnn_tensor *dx, clnn_tensor *dgamma,
                                    clnn_tensor *dbeta)
{
    CLNN_ENTRY(ctx);
    return bn_backward(ctx, fn, x, NULL, dy, gamma, save_mean, save_invstd, training, dx, dgamma, dbeta);
}

clnn_status clnn_batchnorm_relu_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *y,
                                         const clnn_tensor *dy, const clnn_tensor *gamma,
                                         const clnn_tensor *save_mean, const clnn_tensor *save_invstd, int training,
                                         clnn_tensor *dx, clnn_tensor *dgamma, clnn_tensor *dbeta)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, y != NULL, "%s: y is NULL", fn);
    return bn_backward(ctx, fn, x, y, dy, gamma, save_mean, save_invstd, training, dx, dgamma, dbeta);
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
    TRY(check_backward_disjoint(ctx, fn, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta, NULL));
    return run_backward(ctx, fn, &rows, &cols, 0, 0, x, NULL, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

clnn_status clnn_batchnorm_cumulative_momentum(size_t batches_tracked, float *momentum)
{
    CLNN_ENTRY_NO_CONTEXT();
    CHECK_ARG(NULL, momentum != NULL, "%s: momentum is NULL", fn);
    CHECK_ARG(NULL, batches_tracked >= 1, "%s: batches_tracked is 0; the first training call is 1", fn);
    *momentum = (float)(1.0 / (double)batches_tracked);
    return CLNN_OK;
}
