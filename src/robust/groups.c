/* Host side of the group statistics (cl/robust_groups.cl,
 * include/clnn/robust.h): group DRO and fairret. */
#include "divisor.h"
#include "robust/robust_internal.h"

clnn_status clnn_group_dro(clnn_context *ctx, const clnn_tensor *row_losses, const clnn_tensor *group_ids, float eta,
                           clnn_tensor *q, clnn_tensor *loss, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "row_losses", row_losses, 0));
    TRY(clnn__check_count32(ctx, fn, "row_losses", row_losses));
    const size_t n = row_losses->count;
    TRY(clnn__check_labels(ctx, fn, "group_ids", group_ids, n, "row_losses"));
    TRY(clnn__check_f32(ctx, fn, "q", q, 0));
    CHECK_SHAPE(ctx, q->count < (1u << 24), "%s: q has %zu groups; at most 2^24 - 1", fn, q->count);
    CHECK_ARG(ctx, clnn__is_finite(eta) && eta >= 0.0f, "%s: eta %g is not finite and >= 0", fn, (double)eta);
    if (loss) TRY(clnn__check_f32(ctx, fn, "loss", loss, 1));
    size_t d;
    TRY(clnn__robust_check_row_grad(ctx, fn, "grad", grad, n, &d));
    const clnn_tensor *outs[] = {q, loss, grad}, *ins[] = {row_losses, group_ids};
    const char *out_names[] = {"q", "loss", "grad"}, *in_names[] = {"row_losses", "group_ids"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 2));

    const size_t groups = q->count;
    cl_mem stats = NULL;
    TRY(clnn__scratch(ctx, fn, 2 * groups + 1, &stats));
    cl_uint nrows = (cl_uint)n, ng = (cl_uint)groups;
    cl_int want_loss = loss != NULL;
    cl_mem loss_buf = loss ? loss->buffer : q->buffer; /* unwritten without want_loss */
    clnn__karg sums[] = {KARG_BUF(stats), KARG_BUF(row_losses->buffer), KARG_BUF(group_ids->buffer), KARG(nrows),
                         KARG(ng)};
    clnn__karg update[] = {KARG_BUF(q->buffer), KARG_BUF(loss_buf), KARG_BUF(stats), KARG(ng), KARG(eta),
                           KARG(want_loss)};
    const size_t sums_problem[2] = {groups + 1, 1}, one[2] = {1, 1};
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_robust_dro_sums, sums_problem, 5, sums);
    if (st == CLNN_OK) st = clnn__run(ctx, fn, &clnn__tune_robust_dro_update, one, 6, update);
    if (st == CLNN_OK && grad) {
        cl_uint count = (cl_uint)grad->count;
        cl_uint4 dv = clnn__divisor((cl_uint)d);
        clnn__karg scale[] = {KARG_BUF(grad->buffer), KARG_BUF(stats), KARG_BUF(group_ids->buffer), KARG(count),
                              KARG(dv), KARG(ng)};
        const size_t problem[2] = {grad->count, 1};
        st = clnn__run(ctx, fn, &clnn__tune_robust_scale_groups, problem, 6, scale);
    }
    clReleaseMemObject(stats);
    return st;
}

clnn_status clnn_fairret_loss(clnn_context *ctx, const clnn_tensor *h, const clnn_tensor *s, clnn_tensor *loss,
                              clnn_tensor *dh)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "h", h, 0));
    TRY(clnn__check_count32(ctx, fn, "h", h));
    const size_t n = h->count;
    size_t rows, groups;
    TRY(clnn__check_rows(ctx, fn, "s", s, &rows, &groups));
    CHECK_SHAPE(ctx, rows == n, "%s: s has %zu rows, h has %zu predictions", fn, rows, n);
    CHECK_ARG(ctx, loss || dh, "%s: loss and dh are both NULL: nothing to compute", fn);
    if (loss) TRY(clnn__check_f32(ctx, fn, "loss", loss, 1));
    if (dh) TRY(clnn__check_f32(ctx, fn, "dh", dh, n));
    const clnn_tensor *outs[] = {loss, dh}, *ins[] = {h, s};
    const char *out_names[] = {"loss", "dh"}, *in_names[] = {"h", "s"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));

    cl_mem stats = NULL;
    TRY(clnn__scratch(ctx, fn, 2 * groups + 1, &stats));
    cl_uint nrows = (cl_uint)n, ng = (cl_uint)groups;
    cl_int want_loss = loss != NULL, want_grad = dh != NULL;
    cl_mem loss_buf = loss ? loss->buffer : dh->buffer, dh_buf = dh ? dh->buffer : loss->buffer;
    clnn__karg st_args[] = {KARG_BUF(stats), KARG_BUF(h->buffer), KARG_BUF(s->buffer), KARG(nrows), KARG(ng)};
    clnn__karg g_args[] = {KARG_BUF(loss_buf), KARG_BUF(dh_buf), KARG_BUF(stats), KARG_BUF(s->buffer),
                           KARG(nrows),        KARG(ng),         KARG(want_loss), KARG(want_grad)};
    const size_t stats_problem[2] = {groups + 1, 1}, rows_problem[2] = {n, 1};
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_robust_fairret_stats, stats_problem, 5, st_args);
    if (st == CLNN_OK) st = clnn__run(ctx, fn, &clnn__tune_robust_fairret_grad, rows_problem, 8, g_args);
    clReleaseMemObject(stats);
    return st;
}
