/* Host side of the Jacobian penalty by random projections
 * (cl/robust_jacobian.cl, include/clnn/robust.h): the projections, and one
 * projection's step (penalty, shifted inputs, finite-difference dlogits). */
#include "robust/robust_internal.h"

clnn_status clnn_jacobian_projections(clnn_context *ctx, uint64_t seed, uint32_t stream, clnn_tensor *v)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "v", v, &rows, &cols));
    cl_uint nc = (cl_uint)cols, lanes = clnn__row_lanes(cols), cl_stream = stream;
    cl_ulong cl_seed = seed;
    clnn__karg args[] = {KARG_BUF(v->buffer), KARG(nc), KARG(lanes), KARG(cl_seed), KARG(cl_stream),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    const size_t problem[2] = {rows, cols};
    return clnn__run(ctx, fn, &clnn__tune_robust_jac_proj, problem, 6, args);
}

clnn_status clnn_jacobian_penalty_step(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *v,
                                       const clnn_tensor *g, float lambda, unsigned nproj, float h, int accumulate,
                                       clnn_tensor *penalty, clnn_tensor *x_shift, clnn_tensor *dlogits_shift)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "g", g, "x", x));
    TRY(clnn__check_same_shape(ctx, fn, "x_shift", x_shift, "x", x));
    size_t rows, classes;
    TRY(clnn__check_rows(ctx, fn, "v", v, &rows, &classes));
    const size_t n = x->shape[0];
    CHECK_SHAPE(ctx, rows == n, "%s: v has %zu rows, x has %zu samples", fn, rows, n);
    TRY(clnn__check_same_shape(ctx, fn, "dlogits_shift", dlogits_shift, "v", v));
    CHECK_ARG(ctx, clnn__is_finite(lambda) && lambda >= 0.0f, "%s: lambda %g is not finite and >= 0", fn,
              (double)lambda);
    CHECK_ARG(ctx, clnn__is_finite(h) && h > 0.0f, "%s: h %g is not finite and > 0", fn, (double)h);
    CHECK_ARG(ctx, nproj >= 1, "%s: nproj is 0", fn);
    CHECK_ARG(ctx, accumulate == 0 || accumulate == 1, "%s: accumulate is %d; it must be 0 or 1", fn, accumulate);
    if (penalty) TRY(clnn__check_f32(ctx, fn, "penalty", penalty, 1));
    const clnn_tensor *outs[] = {penalty, x_shift, dlogits_shift}, *ins[] = {x, v, g};
    const char *out_names[] = {"penalty", "x_shift", "dlogits_shift"}, *in_names[] = {"x", "v", "g"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 3));

    cl_mem partial = NULL; /* the samples' terms and, last, the penalty so far */
    TRY(clnn__scratch(ctx, fn, n + 1, &partial));
    const size_t d = x->count / n;
    cl_uint nd = (cl_uint)d, nc = (cl_uint)classes, lanes = clnn__row_lanes(d);
    cl_int acc = penalty && accumulate;
    cl_mem prev = penalty ? penalty->buffer : partial; /* unread without acc */
    float k = (float)((double)lambda * (double)classes / ((double)nproj * (double)n));
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(x_shift->buffer), KARG_BUF(dlogits_shift->buffer),
                         KARG_BUF(x->buffer), KARG_BUF(g->buffer),     KARG_BUF(v->buffer),
                         KARG_BUF(prev),      KARG(nd),                KARG(nc),
                         KARG(lanes),         KARG(k),                 KARG(h),
                         KARG(acc),           KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    const size_t problem[2] = {n, d};
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_robust_jac_step, problem, 14, args);
    if (st == CLNN_OK && penalty) st = clnn__loss_sum(ctx, fn, penalty, partial, n + 1, 1.0f);
    clReleaseMemObject(partial);
    return st;
}
