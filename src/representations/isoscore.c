/* Host side of I-STAR's IsoScore* penalty (include/clnn/representations.h,
 * cl/representations_isoscore.cl): the batch covariance (covariance.c), t
 * and f of its shrunk form, the loss and G = dloss/dC, then dz = k Zc·G
 * through CLBlast. */
#include "representations/representations_internal.h"

clnn_status clnn_isoscore_penalty(clnn_context *ctx, const clnn_tensor *z, const clnn_tensor *c0, float zeta,
                                  float lambda, clnn_tensor *loss, clnn_tensor *dz)
{
    CLNN_ENTRY(ctx);
    size_t n, d;
    TRY(clnn__check_rows(ctx, fn, "z", z, &n, &d));
    CHECK_SHAPE(ctx, n >= 2 && d >= 2, "%s: z is %zu x %zu; IsoScore* needs N >= 2 rows and d >= 2 dimensions", fn,
                n, d);
    CHECK_SHAPE(ctx, d * d <= 0xFFFFFFFFu, "%s: d = %zu; d x d must fit 32-bit indices", fn, d);
    CHECK_ARG(ctx, zeta >= 0.0f && zeta <= 1.0f, "%s: zeta %g is not in [0, 1]", fn, (double)zeta);
    CHECK_ARG(ctx, c0 || zeta == 0.0f, "%s: zeta %g needs a shrinkage target c0", fn, (double)zeta);
    CHECK_ARG(ctx, clnn__is_finite(lambda), "%s: lambda is not finite", fn);
    if (c0) TRY(clnn__check_f32(ctx, fn, "c0", c0, d * d));
    CHECK_ARG(ctx, loss || dz, "%s: loss and dz are both NULL: nothing to compute", fn);
    if (loss) TRY(clnn__check_f32(ctx, fn, "loss", loss, 1));
    if (dz) TRY(clnn__check_same_shape(ctx, fn, "dz", dz, "z", z));
    const clnn_tensor *outs[] = {loss, dz}, *ins[] = {z, c0};
    const char *out_names[] = {"loss", "dz"}, *in_names[] = {"z", "c0"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));

    cl_mem stats = NULL, zc = NULL, c = NULL, g = NULL;
    clnn_status st = clnn__scratch(ctx, fn, 3 * d, &stats);
    if (st == CLNN_OK) st = clnn__repr_column_stats(ctx, fn, z->buffer, n, d, 0.0f, 0.0f, stats);
    if (st == CLNN_OK) st = clnn__repr_covariance(ctx, fn, z->buffer, stats, n, d, &zc, &c);
    if (st == CLNN_OK && dz) st = clnn__scratch(ctx, fn, d * d, &g);
    cl_mem c0_buf = c0 ? c0->buffer : c; /* unread without has_c0 */
    cl_uint nd = (cl_uint)d, lanes = clnn__row_lanes(d * d);
    cl_int has_c0 = c0 != NULL, want_loss = loss != NULL, want_grad = dz != NULL;
    if (st == CLNN_OK) { /* t and f into stats[0, 1] */
        clnn__karg args[] = {KARG_BUF(stats), KARG_BUF(c), KARG_BUF(c0_buf), KARG(nd), KARG(lanes), KARG(zeta),
                             KARG(has_c0), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        const size_t problem[2] = {1, d * d};
        st = clnn__run(ctx, fn, &clnn__tune_repr_iso_stats, problem, 8, args);
    }
    if (st == CLNN_OK) {
        cl_mem loss_buf = loss ? loss->buffer : stats, g_buf = g ? g : stats; /* unwritten without their flags */
        clnn__karg args[] = {KARG_BUF(loss_buf), KARG_BUF(g_buf), KARG_BUF(c),      KARG_BUF(c0_buf),
                             KARG_BUF(stats),    KARG(nd),        KARG(zeta),       KARG(lambda),
                             KARG(has_c0),       KARG(want_loss), KARG(want_grad)};
        const size_t problem[2] = {d * d, 1};
        st = clnn__run(ctx, fn, &clnn__tune_repr_iso_grad, problem, 11, args);
    }
    if (st == CLNN_OK && dz) /* dz = 2(1 − ζ)/(N − 1) Zc·G (G symmetric) */
        st = clnn__sgemm(ctx, fn, 0, 0, n, d, d, (float)(2.0 * (1.0 - zeta) / (double)(n - 1)),
                         clnn__repr_matrix(zc, d), clnn__repr_matrix(g, d), 0.0f, clnn__repr_matrix(dz->buffer, d), 1);
    cl_mem all[] = {stats, zc, c, g};
    for (size_t i = 0; i < 4; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    return st;
}
