/* Host side of the log-domain Sinkhorn normalization and its backward
 * (include/clnn/representations.h, cl/representations_sinkhorn.cl). The forward keeps
 * only the potentials f_t, g_t of each iteration (or, without a potentials
 * tensor, one reused slot); the backward walks the iterations in reverse,
 * recomputing each iteration's weights from the potentials. */
#include "representations/representations_internal.h"

#include <math.h>

#define SINKHORN_MAX_ITERS 10000u

typedef struct sinkhorn {
    cl_mem s;
    cl_uint batch, n, m, lanes; /* lanes: of the row kernels, from m */
    float inv_tau, log_b, inv_b;
    unsigned iters;
    cl_mem pot;
    size_t stride; /* floats between iterations in pot; 0: one slot reused */
} sinkhorn;

static cl_uint f_at(const sinkhorn *k, unsigned t) { return (cl_uint)(t * k->stride); }
static cl_uint g_at(const sinkhorn *k, unsigned t) { return (cl_uint)(t * k->stride + (size_t)k->batch * k->n); }

static clnn_status forward(clnn_context *ctx, const char *fn, const sinkhorn *k, cl_mem p)
{
    float log_a = 0.0f, inv_tau = k->inv_tau, log_b = k->log_b;
    cl_uint batch = k->batch, n = k->n, m = k->m, lanes = k->lanes;
    size_t rows_problem[2] = {(size_t)batch * n, m}, cols_problem[2] = {(size_t)batch * m, n};
    for (unsigned t = 0; t < k->iters; t++) {
        cl_uint f_off = f_at(k, t), g_prev = t ? g_at(k, t - 1) : 0, g_off = g_at(k, t);
        cl_int has_g = t > 0, write_p = p && t + 1 == k->iters;
        clnn__karg ra[] = {KARG_BUF(k->pot), KARG(f_off), KARG(g_prev),   KARG(has_g), KARG_BUF(k->s),
                           KARG(n),          KARG(m),     KARG(lanes),    KARG(inv_tau), KARG(log_a),
                           KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        TRY(clnn__run(ctx, fn, &clnn__tune_repr_sinkhorn_rows, rows_problem, 11, ra));
        cl_mem pbuf = p ? p : k->s; /* unwritten without write_p */
        clnn__karg ca[] = {KARG_BUF(k->pot), KARG(f_off), KARG(g_off), KARG_BUF(pbuf), KARG(write_p), KARG_BUF(k->s),
                           KARG(batch),      KARG(n),     KARG(m),     KARG(inv_tau),  KARG(log_b)};
        TRY(clnn__run(ctx, fn, &clnn__tune_repr_sinkhorn_cols, cols_problem, 11, ca));
    }
    return CLNN_OK;
}

/* dg_T from dp, then for t = T..1 the column step's and the row step's backward. */
static clnn_status backward(clnn_context *ctx, const char *fn, const sinkhorn *k, cl_mem dp, cl_mem ds, cl_mem df,
                            cl_mem dg)
{
    float inv_tau = k->inv_tau, inv_b = k->inv_b;
    cl_uint batch = k->batch, n = k->n, m = k->m, lanes = k->lanes;
    size_t rows_problem[2] = {(size_t)batch * n, m}, cols_problem[2] = {(size_t)batch * m, n};
    unsigned last = k->iters - 1;
    {
        cl_uint f_off = f_at(k, last), g_off = g_at(k, last);
        cl_int init = 1, has_g = 1;
        clnn__karg a[] = {KARG_BUF(dg),    KARG_BUF(ds), KARG_BUF(df), KARG_BUF(dp), KARG(init),    KARG_BUF(k->pot),
                          KARG(f_off),     KARG(g_off),  KARG(has_g),  KARG_BUF(k->s), KARG(batch), KARG(n),
                          KARG(m),         KARG(inv_tau)};
        TRY(clnn__run(ctx, fn, &clnn__tune_repr_sinkhorn_back_cols, cols_problem, 14, a));
    }
    for (unsigned t = k->iters; t-- > 0;) {
        cl_uint f_off = f_at(k, t), g_off = g_at(k, t), g_prev = t ? g_at(k, t - 1) : 0;
        cl_int first = t == last, init = 0, has_g = t > 0;
        clnn__karg ra[] = {KARG_BUF(df),   KARG_BUF(ds), KARG_BUF(dg), KARG_BUF(dp),   KARG(first),
                           KARG_BUF(k->pot), KARG(f_off), KARG(g_off), KARG_BUF(k->s), KARG(n),
                           KARG(m),        KARG(lanes),  KARG(inv_tau), KARG(inv_b),
                           KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        TRY(clnn__run(ctx, fn, &clnn__tune_repr_sinkhorn_back_rows, rows_problem, 15, ra));
        clnn__karg ca[] = {KARG_BUF(dg),  KARG_BUF(ds),  KARG_BUF(df),  KARG_BUF(dp),   KARG(init),  KARG_BUF(k->pot),
                           KARG(f_off),   KARG(g_prev),  KARG(has_g),   KARG_BUF(k->s), KARG(batch), KARG(n),
                           KARG(m),       KARG(inv_tau)};
        TRY(clnn__run(ctx, fn, &clnn__tune_repr_sinkhorn_back_cols, cols_problem, 14, ca));
    }
    return CLNN_OK;
}

/* Scores [B*, N, M] (binds B, N, M), tau and iters; fills the problem (pot
 * and stride left to the caller). */
static clnn_status check_problem(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *scores,
                                 float tau, unsigned iters, sinkhorn *k)
{
    TRY(clnn__check_shape(ctx, fn, d, "scores", scores, "B*,N,M"));
    TRY(clnn__check_count32(ctx, fn, "scores", scores));
    CHECK_ARG(ctx, clnn__is_finite(tau) && tau > 0.0f, "%s: tau %g is not finite and > 0", fn, (double)tau);
    CHECK_ARG(ctx, iters >= 1 && iters <= SINKHORN_MAX_ITERS, "%s: iters %u is not in [1, %u]", fn, iters,
              SINKHORN_MAX_ITERS);
    size_t n = scores->shape[scores->ndim - 2], m = scores->shape[scores->ndim - 1];
    size_t batch = scores->count / (n * m);
    CHECK_SHAPE(ctx, (size_t)iters * batch * (n + m) <= 0xFFFFFFFFu,
                "%s: iters x B x (N + M) = %zu potentials exceed 2^32 - 1", fn, (size_t)iters * batch * (n + m));
    *k = (sinkhorn){scores->buffer, (cl_uint)batch, (cl_uint)n, (cl_uint)m, clnn__row_lanes(m),
                    (float)(1.0 / (double)tau), (float)log((double)n / (double)m), (float)((double)m / (double)n),
                    iters, NULL, 0};
    return CLNN_OK;
}

static size_t potentials_count(const sinkhorn *k) { return (size_t)k->iters * k->batch * (k->n + k->m); }

static clnn_status check_potentials(clnn_context *ctx, const char *fn, const sinkhorn *k, const clnn_tensor *pot)
{
    TRY(clnn__check_f32(ctx, fn, "potentials", pot, 0));
    CHECK_SHAPE(ctx, pot->count == potentials_count(k),
                "%s: potentials has %zu elements, iters x B x (N + M) = %zu expected", fn, pot->count,
                potentials_count(k));
    return CLNN_OK;
}

clnn_status clnn_sinkhorn_forward(clnn_context *ctx, const clnn_tensor *scores, float tau, unsigned iters,
                                  clnn_tensor *p, clnn_tensor *potentials)
{
    CLNN_ENTRY(ctx);
    sinkhorn k;
    TRY(check_problem(ctx, fn, &dims, scores, tau, iters, &k));
    TRY(clnn__check_shape(ctx, fn, &dims, "p", p, "B*,N,M"));
    CHECK_ARG(ctx, !clnn__alias(p, scores), "%s: p must not alias scores", fn);
    if (potentials) {
        TRY(check_potentials(ctx, fn, &k, potentials));
        CHECK_ARG(ctx, !clnn__alias(potentials, scores) && !clnn__alias(potentials, p),
                  "%s: potentials must not alias scores or p", fn);
        k.pot = potentials->buffer;
        k.stride = (size_t)k.batch * (k.n + k.m);
        return forward(ctx, fn, &k, p->buffer);
    }
    TRY(clnn__scratch(ctx, fn, (size_t)k.batch * (k.n + k.m), &k.pot));
    clnn_status st = forward(ctx, fn, &k, p->buffer);
    clReleaseMemObject(k.pot);
    return st;
}

clnn_status clnn_sinkhorn_backward(clnn_context *ctx, const clnn_tensor *scores, const clnn_tensor *potentials,
                                   const clnn_tensor *dp, float tau, unsigned iters, clnn_tensor *dscores)
{
    CLNN_ENTRY(ctx);
    sinkhorn k;
    TRY(check_problem(ctx, fn, &dims, scores, tau, iters, &k));
    if (potentials) TRY(check_potentials(ctx, fn, &k, potentials));
    TRY(clnn__check_shape(ctx, fn, &dims, "dp", dp, "B*,N,M"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dscores", dscores, "B*,N,M"));
    CHECK_ARG(ctx, !clnn__alias(dscores, scores) && !clnn__alias(dscores, dp) &&
                       (!potentials || !clnn__alias(dscores, potentials)),
              "%s: dscores must not alias an input", fn);
    k.stride = (size_t)k.batch * (k.n + k.m);
    cl_mem df = NULL, dg = NULL, own = NULL;
    clnn_status st = clnn__scratch(ctx, fn, (size_t)k.batch * k.n, &df);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, (size_t)k.batch * k.m, &dg);
    if (st == CLNN_OK && !potentials) { /* recompute the forward's potentials */
        st = clnn__scratch(ctx, fn, potentials_count(&k), &own);
        k.pot = own;
        if (st == CLNN_OK) st = forward(ctx, fn, &k, NULL);
    } else {
        k.pot = potentials ? potentials->buffer : NULL;
    }
    if (st == CLNN_OK) st = backward(ctx, fn, &k, dp->buffer, dscores->buffer, df, dg);
    if (df) clReleaseMemObject(df);
    if (dg) clReleaseMemObject(dg);
    if (own) clReleaseMemObject(own);
    return st;
}
