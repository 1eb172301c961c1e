/* Host side of the KL terms (cl/robust_kl.cl, include/clnn/robust.h): the
 * robust KL loss (its label weights through common/label_weights.h) and
 * Lp-Reg, each the checks and one row-kernel launch followed by the value
 * stage. */
#include "common/label_weights.h"
#include "robust/robust_internal.h"

#include <math.h>

clnn_status clnn_robust_kl_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *logits_adv,
                                const clnn_tensor *labels, clnn_robust_kl_kind kind, float lambda,
                                const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss,
                                clnn_tensor *dlogits, clnn_tensor *dlogits_adv)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "logits", logits, &rows, &cols));
    CHECK_SHAPE(ctx, cols <= 0x7FFFFFFF, "%s: more than 2^31 - 1 classes", fn);
    TRY(clnn__check_same_shape(ctx, fn, "logits_adv", logits_adv, "logits", logits));
    TRY(clnn__check_labels(ctx, fn, "labels", labels, rows, "logits"));
    CHECK_ARG(ctx, kind == CLNN_ROBUST_KL_TRADES || kind == CLNN_ROBUST_KL_AROW,
              "%s: kind %d is not a clnn_robust_kl_kind (TRADES, AROW)", fn, (int)kind);
    CHECK_ARG(ctx, clnn__is_finite(lambda) && lambda >= 0.0f, "%s: lambda %g is not finite and >= 0", fn,
              (double)lambda);
    clnn_label_weights w;
    int given;
    TRY(clnn__check_label_weights(ctx, fn, weights, 1, 0, "", rows, cols, &w, &given));
    const clnn__loss_red red = {reduction, rows, "row"};
    const clnn_tensor *in[] = {logits, logits_adv, labels, w.row_weights, w.class_weights};
    const clnn__loss_output out[3] = {{loss, "loss", NULL, NULL},
                                      {dlogits, "dlogits", logits, "logits"},
                                      {dlogits_adv, "dlogits_adv", logits, "logits"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 5, in, 3, out));

    clnn__row_weights rw;
    TRY(clnn__row_weights_make(ctx, fn, given ? &w : NULL, labels, rows, cols, reduction, logits->buffer, &rw));
    cl_mem partial = NULL;
    cl_mem dz = dlogits ? dlogits->buffer : logits->buffer; /* unwritten without want_dz */
    cl_mem dza = dlogits_adv ? dlogits_adv->buffer : logits->buffer;
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int arow = kind == CLNN_ROBUST_KL_AROW, want_dz = dlogits != NULL, want_dza = dlogits_adv != NULL;
    float scale = clnn__loss_scale(reduction, rows);
    clnn__karg args[] = {KARG_BUF(partial),  KARG_BUF(dz),   KARG_BUF(dza),  KARG_BUF(logits->buffer),
                         KARG_BUF(logits_adv->buffer),       KARG_BUF(labels->buffer),
                         KARG(ncols),        KARG(lanes),    KARG(lambda),   KARG(arow),
                         KARG(scale),        KARG_BUF(rw.arg), KARG(rw.weighted), KARG(rw.ignore_index),
                         KARG(want_dz),      KARG(want_dza), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    clnn_status st = clnn__run_weighted_row_loss(ctx, fn, &clnn__tune_robust_kl, NULL, rows, cols, &partial, 17,
                                                 args, reduction, loss, &rw);
    clnn__row_weights_release(&rw);
    return st;
}

clnn_status clnn_lp_reg(clnn_context *ctx, const clnn_tensor *logits, float min_p, float beta,
                        clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "logits", logits, &rows, &cols));
    CHECK_ARG(ctx, min_p > 0.0f && min_p <= 1.0f, "%s: min_p %g is not in (0, 1]", fn, (double)min_p);
    CHECK_ARG(ctx, clnn__is_finite(beta) && beta >= 0.0f, "%s: beta %g is not finite and >= 0", fn, (double)beta);
    const clnn__loss_red red = {reduction, rows, "row"};
    TRY(clnn__check_loss_args(ctx, fn, &red, logits, logits, loss, dlogits, "dlogits"));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, reduction, rows);
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    float log_min_p = logf(min_p);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(logits->buffer), KARG(ncols), KARG(lanes),
                         KARG(log_min_p),   KARG(beta),       KARG(g.scale),            KARG(g.want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &clnn__tune_robust_lp_reg, NULL, rows, cols, &partial, 10, args, reduction,
                              loss);
}
