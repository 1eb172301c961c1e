/* Host side of the per-box and per-element losses (cl/metric_losses_overlap.cl
 * iou_boxes and madl_elements; include/clnn/metric_losses.h): checks, then
 * one chunked kernel that writes the gradient and a partial per chunk (and
 * each item's value for NONE), and the value stage (clnn__run_loss). */
#include "metric_losses/metric_losses_internal.h"

#include <stdio.h>

#define BOX_CHUNK 1024 /* as in cl/metric_losses_overlap.cl */
#define MADL_CHUNK 4096

/* pred and target: fp32, same shape (count and last dimension), 32-bit
 * counts; reduction valid; loss (1 element, or one per item for NONE: items
 * of `per_item` elements, named `item`) and grad checked. */
static clnn_status check_pair(clnn_context *ctx, const char *fn, const clnn_tensor *pred, const clnn_tensor *target,
                              clnn_reduction reduction, size_t per_item, const char *item, clnn_tensor *loss,
                              clnn_tensor *dpred)
{
    TRY(clnn__check_f32(ctx, fn, "pred", pred, 0));
    TRY(clnn__check_count32(ctx, fn, "pred", pred));
    TRY(clnn__check_like(ctx, fn, "target", target, "pred", pred));
    const clnn__loss_red red = {reduction, pred->count / per_item, item};
    return clnn__check_loss_args(ctx, fn, &red, pred, target, loss, dpred, "dpred");
}

/* The box losses' kinds, as cl/metric_losses_overlap.cl's BOX_KIND. */
typedef enum { BOX_GIOU, BOX_DIOU, BOX_CIOU } box_kind;

static clnn_status box_iou_loss(clnn_context *ctx, const char *fn, box_kind kind, const clnn_tensor *pred,
                                const clnn_tensor *target, clnn_reduction reduction, clnn_tensor *loss,
                                clnn_tensor *dpred)
{
    TRY(check_pair(ctx, fn, pred, target, reduction, 4, "box", loss, dpred));
    CHECK_SHAPE(ctx, pred->shape[pred->ndim - 1] == 4, "%s: pred must have a last dimension of 4 (x1, y1, x2, y2)",
                fn);
    size_t boxes = pred->count / 4;
    cl_mem partial = NULL, values = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(pred, dpred, reduction, boxes);
    cl_uint nbox = (cl_uint)boxes;
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(values), KARG_BUF(g.grad), KARG_BUF(pred->buffer),
                         KARG_BUF(target->buffer), KARG(nbox), KARG(g.scale), KARG(g.want_grad),
                         KARG_LOCAL_FIXED(CLNN_RED_LANES_BYTES)};
    clnn__loss_launch l = clnn__chunked_launch(&clnn__tune_metric_box_iou, boxes, BOX_CHUNK, &partial, &values);
    char variant[32];
    snprintf(variant, sizeof variant, "-DBOX_KIND=%d", (int)kind);
    l.variant = variant;
    return clnn__run_loss(ctx, fn, &l, 9, args, reduction, loss, g.scale);
}

clnn_status clnn_giou_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                           clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    return box_iou_loss(ctx, fn, BOX_GIOU, pred, target, reduction, loss, dpred);
}

clnn_status clnn_diou_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                           clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    return box_iou_loss(ctx, fn, BOX_DIOU, pred, target, reduction, loss, dpred);
}

clnn_status clnn_ciou_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                           clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    return box_iou_loss(ctx, fn, BOX_CIOU, pred, target, reduction, loss, dpred);
}

clnn_status clnn_madl_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target, float steepness,
                           float power, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    TRY(check_pair(ctx, fn, pred, target, reduction, 1, "element", loss, dpred));
    CHECK_ARG(ctx, clnn__is_finite(steepness) && steepness >= 0.0f, "%s: steepness %g is not finite and >= 0", fn,
              (double)steepness);
    CHECK_ARG(ctx, clnn__is_finite(power) && power >= 0.0f, "%s: power %g is not finite and >= 0", fn,
              (double)power);
    size_t n = pred->count;
    cl_mem partial = NULL, values = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(pred, dpred, reduction, n);
    cl_uint count = (cl_uint)n;
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(values), KARG_BUF(g.grad), KARG_BUF(pred->buffer),
                         KARG_BUF(target->buffer), KARG(count), KARG(steepness), KARG(power),
                         KARG(g.scale),     KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_RED_LANES_BYTES)};
    const clnn__loss_launch l = clnn__chunked_launch(&clnn__tune_metric_madl, n, MADL_CHUNK, &partial, &values);
    return clnn__run_loss(ctx, fn, &l, 11, args, reduction, loss, g.scale);
}
