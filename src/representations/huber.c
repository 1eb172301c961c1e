/* Host side of the Huber and pseudo-Huber losses (include/clnn/representations.h,
 * cl/representations_huber.cl): Huber is the elementwise pair loss of common.c,
 * pseudo-Huber a row kernel on the row skeleton; both end in the value stage
 * of common/loss_value.h (layers_loss.cl's deterministic sum of the partials, or the
 * per-element / per-row values for NONE). */
#include "representations/representations_internal.h"

/* pred, target (same shape), reduction, the parameter (finite, > 0) and the
 * outputs; NONE keeps one value per row of `cols` elements (cols 1: per
 * element). */
static clnn_status check_robust(clnn_context *ctx, const char *fn, const clnn_tensor *pred,
                                const clnn_tensor *target, const char *param_name, float param,
                                clnn_reduction reduction, size_t cols, clnn_tensor *loss, clnn_tensor *dpred)
{
    TRY(clnn__check_f32(ctx, fn, "pred", pred, 0));
    TRY(clnn__check_count32(ctx, fn, "pred", pred));
    TRY(clnn__check_like(ctx, fn, "target", target, "pred", pred));
    CHECK_ARG(ctx, clnn__is_finite(param) && param > 0.0f, "%s: %s %g is not finite and > 0", fn, param_name,
              (double)param);
    const clnn__loss_red red = {reduction, pred->count / (cols ? cols : pred->shape[pred->ndim - 1]),
                                cols ? "element" : "row"};
    return clnn__check_loss_args(ctx, fn, &red, pred, target, loss, dpred, "dpred");
}

clnn_status clnn_huber_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target, float delta,
                            clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    TRY(check_robust(ctx, fn, pred, target, "delta", delta, reduction, 1, loss, dpred));
    float scale = clnn__loss_scale(reduction, pred->count);
    cl_mem values = reduction == CLNN_REDUCE_NONE && loss ? loss->buffer : NULL; /* per element, from the kernel */
    clnn__repr_pair p = {REPR_PAIR_HUBER, pred->buffer, target->buffer, dpred ? dpred->buffer : NULL, NULL, 0,
                         pred->count, delta, scale, values};
    cl_mem partial = NULL;
    size_t parts = 0;
    clnn_status st = clnn__repr_pair_loss(ctx, fn, &p, &partial, &parts);
    if (st == CLNN_OK) st = clnn__loss_reduce(ctx, fn, reduction, loss, partial, parts, scale, NULL);
    if (partial) clReleaseMemObject(partial);
    return st;
}

clnn_status clnn_pseudo_huber_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target, float c,
                                   clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    TRY(check_robust(ctx, fn, pred, target, "c", c, reduction, 0, loss, dpred));
    size_t cols = pred->shape[pred->ndim - 1], rows = pred->count / cols;
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(pred, dpred, reduction, rows);
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(pred->buffer), KARG_BUF(target->buffer),
                         KARG(ncols),       KARG(lanes),      KARG(c),              KARG(g.scale),
                         KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &clnn__tune_repr_pseudo_huber, NULL, rows, cols, &partial, 10, args, reduction,
                              loss);
}
