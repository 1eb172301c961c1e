/* Host side of the soft Dice and soft Jaccard losses (cl/metric_losses_overlap.cl;
 * include/clnn/metric_losses.h): per (sample, chunk) sums, per-sample loss
 * and gradient coefficients, the elementwise gradient, the value stage
 * (common/loss_value.h). */
#include "metric_losses/metric_losses_internal.h"

#define OVERLAP_CHUNK 4096 /* as in cl/metric_losses_overlap.cl */
#define OVERLAP_DICE 0
#define OVERLAP_DICE_SQUARED 1
#define OVERLAP_JACCARD 2

static clnn_status overlap(clnn_context *ctx, const char *fn, const clnn_tensor *probs, const clnn_tensor *targets,
                           int kind, float smooth, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dprobs)
{
    TRY(clnn__check_f32(ctx, fn, "probs", probs, 0));
    TRY(clnn__check_count32(ctx, fn, "probs", probs));
    TRY(clnn__check_f32(ctx, fn, "targets", targets, 0));
    CHECK_SHAPE(ctx, targets->count == probs->count && targets->shape[0] == probs->shape[0],
                "%s: targets must have the shape of probs (%zu samples, %zu elements)", fn, probs->shape[0],
                probs->count);
    CHECK_ARG(ctx, clnn__is_finite(smooth) && smooth >= 0.0f, "%s: smooth %g is not finite and >= 0", fn,
              (double)smooth);
    TRY(clnn__check_reduction(ctx, fn, reduction));
    size_t n = probs->shape[0], len = probs->count / n, chunks = (len + OVERLAP_CHUNK - 1) / OVERLAP_CHUNK;
    const clnn__loss_red red = {reduction, n, "sample"};
    const clnn_tensor *in[2] = {probs, targets};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dprobs, "dprobs", NULL, NULL}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 2, in, 2, out));
    CHECK_SHAPE(ctx, !dprobs || (dprobs->count == probs->count && dprobs->shape[0] == probs->shape[0]),
                "%s: dprobs must have the shape of probs (%zu samples, %zu elements)", fn, probs->shape[0],
                probs->count);

    cl_mem part = NULL, partial = NULL, coef = NULL; /* partial: one loss per sample (the loss itself for NONE) */
    clnn_status st = clnn__scratch(ctx, fn, 3 * n * chunks, &part);
    if (st == CLNN_OK) st = clnn__loss_partials(ctx, fn, reduction, loss, n, &partial);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, 3 * n, &coef);
    cl_uint nlen = (cl_uint)len, nchunks = (cl_uint)chunks, nsamples = (cl_uint)n;
    if (st == CLNN_OK) {
        cl_int squared = kind == OVERLAP_DICE_SQUARED;
        clnn__karg args[] = {KARG_BUF(part),  KARG_BUF(probs->buffer), KARG_BUF(targets->buffer), KARG(nlen),
                             KARG(nchunks), KARG(squared), KARG_LOCAL_FIXED(3 * CLNN_RED_LANES_BYTES)};
        size_t problem[2] = {n * chunks, len < OVERLAP_CHUNK ? len : OVERLAP_CHUNK};
        st = clnn__run(ctx, fn, &clnn__tune_metric_overlap_partial, problem, 7, args);
    }
    if (st == CLNN_OK) {
        float scale = clnn__loss_scale(reduction, n);
        cl_int k = kind;
        clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(coef), KARG_BUF(part), KARG(nsamples),
                             KARG(nchunks),     KARG(k),        KARG(smooth),   KARG(scale)};
        size_t problem[2] = {n, 1};
        st = clnn__run(ctx, fn, &clnn__tune_metric_overlap_finish, problem, 8, args);
        if (st == CLNN_OK) st = clnn__loss_reduce(ctx, fn, reduction, loss, partial, n, scale, NULL);
    }
    if (st == CLNN_OK && dprobs) {
        cl_uint count = (cl_uint)probs->count;
        clnn__karg args[] = {KARG_BUF(dprobs->buffer), KARG_BUF(probs->buffer), KARG_BUF(targets->buffer),
                             KARG_BUF(coef), KARG(count), KARG(nlen)};
        size_t problem[2] = {probs->count, 1};
        st = clnn__run(ctx, fn, &clnn__tune_metric_overlap_grad, problem, 6, args);
    }
    if (part) clReleaseMemObject(part);
    clnn__loss_release(loss, partial);
    if (coef) clReleaseMemObject(coef);
    return st;
}

clnn_status clnn_soft_dice_loss(clnn_context *ctx, const clnn_tensor *probs, const clnn_tensor *targets, int squared,
                                float smooth, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dprobs)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, squared == 0 || squared == 1, "%s: squared %d is not 0 or 1", fn, squared);
    return overlap(ctx, fn, probs, targets, squared ? OVERLAP_DICE_SQUARED : OVERLAP_DICE, smooth, reduction, loss,
                   dprobs);
}

clnn_status clnn_soft_jaccard_loss(clnn_context *ctx, const clnn_tensor *probs, const clnn_tensor *targets,
                                   float smooth, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dprobs)
{
    CLNN_ENTRY(ctx);
    return overlap(ctx, fn, probs, targets, OVERLAP_JACCARD, smooth, reduction, loss, dprobs);
}
