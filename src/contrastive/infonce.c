/* InfoNCE, NT-Xent and supervised contrastive loss (include/clnn/contrastive.h):
 * the argument checks of all three, and the materialised implementation:
 * per pass, S = anchors · candidatesᵀ through CLBlast, contrastive_rows
 * (cl/contrastive.cl) turns each row into its loss and, in place, into
 * dloss/dS, and two more GEMMs carry dS to both sides. clnn_infonce_tiled
 * shares the checks and the plan and runs infonce_tiled.c instead. */
#include "common/reduce.h"
#include "contrastive/contrastive_internal.h"

/* Rows r0..r0+rows-1 of the stacked views as a GEMM operand. */
static clnn__gemm_operand rows_of(cl_mem buf, size_t r0, size_t d)
{
    return (clnn__gemm_operand){buf, r0 * d, d, 0};
}

/* One pass: S = anchors · [in-batch candidates; queue]ᵀ (na x (nb + nq)),
 * its rows, and (with v->dzc) the gradients (`written`: see
 * clnn__ctr_grad_order). */
static clnn_status run_pass(clnn_context *ctx, const char *fn, const clnn__ctr_plan *plan, const clnn__ctr_pass *p,
                            const clnn__ctr_views *v, const clnn_tensor *labels, cl_mem s, cl_mem partial,
                            int written[3])
{
    const size_t d = v->d, nq = plan->nq, ncols = p->nb + nq;
    const clnn__gemm_operand sm = {s, 0, ncols, 0}, sq = {s, p->nb, ncols, 0}; /* S's in-batch and queue columns */
    const clnn__gemm_operand za = rows_of(v->zc, p->a_row0, d), zb = rows_of(v->zc, p->b_row0, d);
    const clnn__gemm_operand zq = rows_of(v->zc, plan->q_row0, d);
    TRY(clnn__sgemm(ctx, fn, 0, 1, p->na, p->nb, d, 1.0f, za, zb, 0.0f, sm, 1));
    if (nq) TRY(clnn__sgemm(ctx, fn, 0, 1, p->na, nq, d, 1.0f, za, zq, 0.0f, sq, 1));
    cl_uint cols = (cl_uint)ncols, poff = (cl_uint)p->out0, half = (cl_uint)plan->samples, pos_off = (cl_uint)p->pos_off;
    cl_uint lanes = clnn__row_lanes(ncols), nbatch = (cl_uint)p->nb;
    cl_int self = p->self_excl, use_labels = labels != NULL, dec = plan->decoupled, want_grad = v->dzc != NULL;
    cl_int batch_neg = plan->batch_neg;
    float inv_tau = plan->inv_tau, margin = plan->margin, coef = p->coef;
    cl_mem lbuf = labels ? labels->buffer : partial; /* unread without use_labels */
    clnn__karg a[] = {KARG_BUF(s),    KARG_BUF(partial), KARG_BUF(lbuf), KARG(cols),         KARG(poff),
                      KARG(half),     KARG(pos_off),     KARG(self),     KARG(use_labels),   KARG(inv_tau),
                      KARG(margin),   KARG(dec),         KARG(coef),     KARG(want_grad),    KARG(lanes),
                      KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES),            KARG(nbatch),       KARG(batch_neg)};
    size_t problem[2] = {p->na, ncols};
    TRY(clnn__run(ctx, fn, &clnn__ctr_rows, problem, 18, a));
    if (!v->dzc) return CLNN_OK;
    /* d anchors = G · candidates (in-batch, then the queue's), d candidates =
     * Gᵀ · anchors (the queue's only for the temperature's gradient) */
    int acc_a, acc_b, acc_q;
    clnn__ctr_grad_order(p, v->n, written, &acc_a, &acc_b, &acc_q);
    TRY(clnn__sgemm(ctx, fn, 0, 0, p->na, d, p->nb, 1.0f, sm, zb, acc_a ? 1.0f : 0.0f, rows_of(v->dzc, p->a_row0, d),
                    1));
    if (nq) TRY(clnn__sgemm(ctx, fn, 0, 0, p->na, d, nq, 1.0f, sq, zq, 1.0f, rows_of(v->dzc, p->a_row0, d), 1));
    if (v->queue_grad)
        TRY(clnn__sgemm(ctx, fn, 1, 0, nq, d, p->na, 1.0f, sq, za, acc_q ? 1.0f : 0.0f,
                        rows_of(v->dzc, plan->q_row0, d), 1));
    return clnn__sgemm(ctx, fn, 1, 0, p->nb, d, p->na, 1.0f, sm, za, acc_b ? 1.0f : 0.0f,
                       rows_of(v->dzc, p->b_row0, d), 1);
}

static clnn_status materialised_run(clnn_context *ctx, const char *fn, const clnn__ctr_plan *plan,
                                    const clnn__ctr_views *v, const clnn_tensor *labels, cl_mem partial)
{
    cl_mem s = NULL;
    TRY(clnn__scratch(ctx, fn, plan->pass[0].na * (plan->pass[0].nb + plan->nq), &s));
    int written[3] = {0, 0, 0};
    clnn_status st = CLNN_OK;
    for (int i = 0; i < plan->npass && st == CLNN_OK; i++)
        st = run_pass(ctx, fn, plan, &plan->pass[i], v, labels, s, partial, written);
    clReleaseMemObject(s);
    return st;
}

/* The loss from the per-anchor partials: their scaled sum, or for NONE the
 * partials (already in the loss) times the anchor's weight (½ for each
 * direction of SYMMETRIC, so that the values add up to SUM). */
static clnn_status finish_loss(clnn_context *ctx, const char *fn, clnn_reduction reduction, clnn_tensor *loss,
                               cl_mem partial, size_t anchors, float coef)
{
    if (!loss) return CLNN_OK;
    if (reduction != CLNN_REDUCE_NONE) return clnn__loss_sum(ctx, fn, loss, partial, anchors, coef);
    return coef == 1.0f ? CLNN_OK : clnn_scale(loss, coef);
}

/* Checks, views, the chosen implementation, the loss sum and the gradients. */
/* dL/dτ from the stacked rows and their gradient: with l = s/τ and
 * G = dL/ds, dL/dτ = −(1/τ) Σ G·s, and Σ_rows zc·dzc = 2 Σ G·s (each pass
 * adds G·B to its anchors' rows and Gᵀ·A to its candidates'). */
static clnn_status temperature_grad(clnn_context *ctx, const char *fn, const clnn__ctr_views *v, float temperature,
                                   clnn_tensor *dtau)
{
    /* the queue's rows (v->queue_grad) carry their Gᵀ · anchors: both sides of every pair */
    const size_t rows = v->rows + (v->queue_grad ? v->nq : 0);
    const clnn__reduce_desc d = {v->zc,           v->dzc, REDUCE_TERM_DOT, REDUCE_POST_NONE, 1,
                                 (cl_uint)(rows * v->d), 0, 1, 0, 0.0f, 0.0f, -0.5f / temperature};
    return clnn__reduce(ctx, fn, &d, dtau->buffer, 0);
}

static clnn_status contrastive(clnn_context *ctx, const char *fn, const clnn_tensor *z1, const clnn_tensor *z2,
                               const clnn_tensor *labels, clnn_infonce_mode mode, const clnn_contrastive_options *opt,
                               clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2, int tiled, clnn_tensor *dtau)
{
    CLNN_OPTIONS_ARG(clnn_contrastive_options, opt);
    const int none = opt->reduction == CLNN_REDUCE_NONE;
    size_t n, d;
    TRY(clnn__check_rows(ctx, fn, "z1", z1, &n, &d));
    TRY(clnn__check_like(ctx, fn, "z2", z2, "z1", z1));
    CHECK_ARG(ctx,
              mode == CLNN_INFONCE_ONE_WAY || mode == CLNN_INFONCE_SYMMETRIC || mode == CLNN_INFONCE_NT_XENT ||
                  mode == CLNN_INFONCE_MOCO,
              "%s: mode %d is not a clnn_infonce_mode", fn, (int)mode);
    if (labels) {
        TRY(clnn__check_tensor(ctx, fn, "labels", labels));
        CHECK_SHAPE(ctx, labels->dtype == CLNN_INT32, "%s: labels must be int32", fn);
        CHECK_SHAPE(ctx, labels->count == n, "%s: labels has %zu entries, z1 has %zu rows", fn, labels->count, n);
        const clnn_tensor *outs[3] = {loss, dz1, dz2};
        for (int i = 0; i < 3; i++)
            CHECK_ARG(ctx, !outs[i] || !clnn__alias(outs[i], labels), "%s: an output aliases labels", fn);
    }
    CHECK_ARG(ctx, !labels || !opt->queue, "%s: a queue (opt->queue) is not offered by SupCon (its rows have no labels)",
              fn);
    size_t nq;
    TRY(clnn__ctr_check_options(ctx, fn, opt, n, d, &nq));
    CHECK_ARG(ctx, mode != CLNN_INFONCE_MOCO || nq > 0,
              "%s: CLNN_INFONCE_MOCO needs a queue of negatives (opt->queue is NULL)", fn);
    CHECK_SHAPE(ctx, (2 * n + nq) * d <= 0xFFFFFFFFu && 2 * n + nq <= 0x7FFFFFFFu,
                "%s: the two views and the queue hold %zu elements, more than 2^32 - 1", fn, (2 * n + nq) * d);

    clnn__ctr_plan plan;
    clnn__ctr_plan_make(mode, n, nq, opt, &plan);
    /* the loss: 1 element, or one per anchor for NONE (plan.anchors) */
    const clnn__loss_red red = {opt->reduction, plan.anchors, "anchor"};
    const clnn_tensor *in[4] = {z1, z2, labels, opt->queue};
    const clnn__loss_output out[3] = {{loss, "loss", NULL, NULL}, {dz1, "dz1", z1, "z1"}, {dz2, "dz2", z2, "z2"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 4, in, 3, out));
    if (dtau) {
        TRY(clnn__check_f32(ctx, fn, "dtemperature", dtau, 1));
        CHECK_ARG(ctx, opt->margin == 0.0f, "%s: the temperature gradient needs margin 0 (it is %g)", fn,
                  (double)opt->margin);
        const clnn_tensor *others[] = {z1, z2, labels, loss, dz1, dz2, opt->queue};
        for (size_t i = 0; i < 7; i++)
            CHECK_ARG(ctx, !others[i] || !clnn__alias(dtau, others[i]), "%s: dtemperature shares memory with another argument",
                      fn);
    }
    clnn__ctr_views v;
    TRY(clnn__ctr_views_prepare(ctx, fn, z1, z2, opt->queue, opt->normalize, dz1 || dz2 || dtau, dtau != NULL, &v));
    cl_mem partial = none && loss ? loss->buffer : NULL;
    clnn_status st = partial ? CLNN_OK : clnn__scratch(ctx, fn, plan.anchors, &partial);
    if (st == CLNN_OK)
        st = tiled ? clnn__ctr_tiled_run(ctx, fn, &plan, &v, partial)
                   : materialised_run(ctx, fn, &plan, &v, labels, partial);
    if (st == CLNN_OK) st = finish_loss(ctx, fn, opt->reduction, loss, partial, plan.anchors, plan.pass[0].coef);
    if (st == CLNN_OK && dtau) st = temperature_grad(ctx, fn, &v, opt->temperature, dtau);
    if (st == CLNN_OK) st = clnn__ctr_views_finish(ctx, fn, &v, dz1, dz2);
    if (partial && !(none && loss)) clReleaseMemObject(partial);
    clnn__ctr_views_release(&v);
    return st;
}

clnn_status clnn_infonce(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2, clnn_infonce_mode mode,
                         const clnn_contrastive_options *opt, clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2)
{
    CLNN_ENTRY(ctx);
    return contrastive(ctx, fn, z1, z2, NULL, mode, opt, loss, dz1, dz2, 0, NULL);
}

clnn_status clnn_infonce_tiled(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                               clnn_infonce_mode mode, const clnn_contrastive_options *opt, clnn_tensor *loss,
                               clnn_tensor *dz1, clnn_tensor *dz2)
{
    CLNN_ENTRY(ctx);
    return contrastive(ctx, fn, z1, z2, NULL, mode, opt, loss, dz1, dz2, 1, NULL);
}

clnn_status clnn_infonce_temperature_grad(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2,
                                          clnn_infonce_mode mode, const clnn_contrastive_options *opt, int tiled,
                                          clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2,
                                          clnn_tensor *dtemperature)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, tiled == 0 || tiled == 1, "%s: tiled %d is not 0 or 1", fn, tiled);
    TRY(clnn__check_tensor(ctx, fn, "dtemperature", dtemperature));
    return contrastive(ctx, fn, z1, z2, NULL, mode, opt, loss, dz1, dz2, tiled, dtemperature);
}

clnn_status clnn_supcon(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2, const clnn_tensor *labels,
                        const clnn_contrastive_options *opt, clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    return contrastive(ctx, fn, z1, z2, labels, CLNN_INFONCE_NT_XENT, opt, loss, dz1, dz2, 0, NULL);
}

/* ------------------------------------------------ any number of views */

clnn_status clnn_supcon_views(clnn_context *ctx, const clnn_tensor *z, size_t views, const clnn_tensor *labels,
                              const clnn_contrastive_options *opt, clnn_tensor *loss, clnn_tensor *dz)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_contrastive_options, opt);
    CHECK_ARG(ctx, !opt->queue, "%s: a queue (opt->queue) is not offered by SupCon (its rows have no labels)", fn);
    const int none = opt->reduction == CLNN_REDUCE_NONE;
    size_t rows, d;
    TRY(clnn__check_rows(ctx, fn, "z", z, &rows, &d));
    CHECK_ARG(ctx, views >= 1 && rows % views == 0, "%s: views = %zu does not divide the %zu rows of z", fn, views,
              rows);
    const size_t n = rows / views;
    TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    CHECK_SHAPE(ctx, labels->dtype == CLNN_INT32, "%s: labels must be int32", fn);
    CHECK_SHAPE(ctx, labels->count == n, "%s: labels has %zu entries, z has %zu samples (%zu views)", fn,
                labels->count, n, views);
    CHECK_ARG(ctx, (!loss || !clnn__alias(loss, labels)) && (!dz || !clnn__alias(dz, labels)),
              "%s: an output aliases labels", fn);
    size_t nq;
    TRY(clnn__ctr_check_options(ctx, fn, opt, rows, d, &nq));
    const clnn__loss_red red = {opt->reduction, rows, "anchor"};
    const clnn_tensor *in[2] = {z, labels};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dz, "dz", z, "z"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 2, in, 2, out));
    CHECK_SHAPE(ctx, rows * d <= 0xFFFFFFFFu, "%s: z holds %zu elements, more than 2^32 - 1", fn, rows * d);

    /* one pass: every row an anchor against every row, itself excluded, positives by label */
    clnn__ctr_plan plan;
    clnn__ctr_plan_make(CLNN_INFONCE_NT_XENT, n, 0, opt, &plan);
    plan.anchors = rows;
    plan.pass[0] = (clnn__ctr_pass){0, 0, rows, rows, 0, 0, 1, clnn__loss_scale(opt->reduction, rows)};
    clnn__ctr_views v;
    TRY(clnn__ctr_views_prepare_stacked(ctx, fn, z, opt->normalize, dz != NULL, &v));
    cl_mem partial = none && loss ? loss->buffer : NULL, s = NULL;
    clnn_status st = partial ? CLNN_OK : clnn__scratch(ctx, fn, rows, &partial);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, rows * rows, &s);
    int written[3] = {0, 0, 0};
    if (st == CLNN_OK) st = run_pass(ctx, fn, &plan, &plan.pass[0], &v, labels, s, partial, written);
    if (st == CLNN_OK) st = finish_loss(ctx, fn, opt->reduction, loss, partial, rows, plan.pass[0].coef);
    if (st == CLNN_OK) st = clnn__ctr_views_finish(ctx, fn, &v, dz, NULL);
    if (partial && !(none && loss)) clReleaseMemObject(partial);
    if (s) clReleaseMemObject(s);
    clnn__ctr_views_release(&v);
    return st;
}
