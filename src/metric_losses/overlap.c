/* Host side of the soft Dice and soft Jaccard losses (cl/metric_losses_overlap.cl;
 * include/clnn/metric_losses.h): per (sample, run, chunk) sums, per-sample
 * loss and gradient coefficients, the elementwise gradient, the value stage
 * (common/loss_value.h); and the per-class losses from logits on them,
 * between the activation's forward and backward passes. */
#include "divisor.h"
#include "metric_losses/metric_losses_internal.h"

#define OVERLAP_CHUNK 4096 /* as in cl/metric_losses_overlap.cl */
#define OVERLAP_DICE 0
#define OVERLAP_DICE_SQUARED 1
#define OVERLAP_JACCARD 2

/* Where a loss's samples lie (cl/metric_losses_overlap.cl overlap_partial):
 * n samples of runs runs of len elements, run r of sample s at r·run_stride
 * + s·len. */
typedef struct overlap_layout {
    size_t n, len, runs, run_stride;
} overlap_layout;

/* The three stages on checked buffers of count elements: loss (NULL: no
 * value) gets the reduction of the n samples' losses, dprobs (NULL: none)
 * the gradient wrt p. */
static clnn_status overlap_run(clnn_context *ctx, const char *fn, cl_mem p, cl_mem t, size_t count,
                               const overlap_layout *at, int kind, float smooth, int skip_empty,
                               clnn_reduction reduction, clnn_tensor *loss, cl_mem dprobs)
{
    size_t n = at->n, len = at->len, chunks = (len + OVERLAP_CHUNK - 1) / OVERLAP_CHUNK;
    size_t per_sample = at->runs * chunks; /* partials of a sample */
    cl_mem part = NULL, partial = NULL, coef = NULL; /* partial: one loss per sample (the loss itself for NONE) */
    clnn_status st = clnn__scratch(ctx, fn, 3 * n * per_sample, &part);
    if (st == CLNN_OK) st = clnn__loss_partials(ctx, fn, reduction, loss, n, &partial);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, 3 * n, &coef);
    cl_uint nlen = (cl_uint)len, nchunks = (cl_uint)chunks, nsamples = (cl_uint)n, nruns = (cl_uint)at->runs;
    if (st == CLNN_OK) {
        cl_int squared = kind == OVERLAP_DICE_SQUARED;
        cl_ulong stride = at->run_stride;
        clnn__karg args[] = {KARG_BUF(part),  KARG_BUF(p),  KARG_BUF(t),     KARG(nlen),
                             KARG(nchunks),   KARG(nruns),  KARG(stride),    KARG(squared),
                             KARG_LOCAL_FIXED(3 * CLNN_RED_LANES_BYTES)};
        size_t problem[2] = {n * per_sample, len < OVERLAP_CHUNK ? len : OVERLAP_CHUNK};
        st = clnn__run(ctx, fn, &clnn__tune_metric_overlap_partial, problem, 9, args);
    }
    if (st == CLNN_OK) {
        float scale = clnn__loss_scale(reduction, n);
        cl_int k = kind, skip = skip_empty;
        cl_uint sample_parts = (cl_uint)per_sample;
        clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(coef), KARG_BUF(part), KARG(nsamples), KARG(sample_parts),
                             KARG(k),           KARG(smooth),   KARG(scale),    KARG(skip)};
        size_t problem[2] = {n, 1};
        st = clnn__run(ctx, fn, &clnn__tune_metric_overlap_finish, problem, 9, args);
        if (st == CLNN_OK) st = clnn__loss_reduce(ctx, fn, reduction, loss, partial, n, scale, NULL);
    }
    if (st == CLNN_OK && dprobs) {
        cl_uint ncount = (cl_uint)count;
        clnn__karg args[] = {KARG_BUF(dprobs), KARG_BUF(p), KARG_BUF(t), KARG_BUF(coef), KARG(ncount), KARG(nlen),
                             KARG(nsamples)};
        size_t problem[2] = {count, 1};
        st = clnn__run(ctx, fn, &clnn__tune_metric_overlap_grad, problem, 7, args);
    }
    if (part) clReleaseMemObject(part);
    clnn__loss_release(loss, partial);
    if (coef) clReleaseMemObject(coef);
    return st;
}

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
    size_t n = probs->shape[0];
    const clnn__loss_red red = {reduction, n, "sample"};
    const clnn_tensor *in[2] = {probs, targets};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dprobs, "dprobs", NULL, NULL}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 2, in, 2, out));
    CHECK_SHAPE(ctx, !dprobs || (dprobs->count == probs->count && dprobs->shape[0] == probs->shape[0]),
                "%s: dprobs must have the shape of probs (%zu samples, %zu elements)", fn, probs->shape[0],
                probs->count);
    const overlap_layout at = {n, probs->count / n, 1, 0};
    return overlap_run(ctx, fn, probs->buffer, targets->buffer, probs->count, &at, kind, smooth, 0, reduction, loss,
                       dprobs ? dprobs->buffer : NULL);
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

/* ------------------------------------------------------ from logits */

void clnn_class_overlap_options_init(clnn_class_overlap_options *opt)
{
    if (!opt) return;
    *opt = (clnn_class_overlap_options){sizeof *opt, 0, 0, CLNN_OVERLAP_SOFTMAX, 0, 0, 0.0f, CLNN_REDUCE_MEAN, 0, -100};
}

/* The workspaces of a call from logits: probabilities, one-hot targets
 * (from labels) and the gradient wrt the probabilities (with dlogits). */
typedef struct class_work {
    clnn_tensor *p, *t, *dp;
} class_work;

static void class_work_release(class_work *w)
{
    clnn_tensor_release(w->p), clnn_tensor_release(w->t), clnn_tensor_release(w->dp);
}

static clnn_status class_work_alloc(clnn_context *ctx, const clnn_tensor *logits, int onehot, int grad, class_work *w)
{
    int ndim;
    size_t shape[CLNN_MAX_DIMS];
    *w = (class_work){NULL, NULL, NULL};
    TRY(clnn_tensor_shape(logits, &ndim, shape));
    clnn_status st = clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &w->p);
    if (st == CLNN_OK && onehot) st = clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &w->t);
    if (st == CLNN_OK && grad) st = clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &w->dp);
    if (st != CLNN_OK) class_work_release(w);
    return st;
}

static clnn_status check_class_overlap(clnn_context *ctx, const char *fn, const clnn_tensor *logits,
                                       const clnn_tensor *labels, const clnn_tensor *targets,
                                       const clnn_class_overlap_options *opt, clnn_tensor *loss, clnn_tensor *dlogits,
                                       size_t *terms)
{
    CHECK_ARG(ctx, opt->jaccard == 0 || opt->jaccard == 1, "%s: jaccard %d is not 0 or 1", fn, opt->jaccard);
    CHECK_ARG(ctx, opt->squared == 0 || opt->squared == 1, "%s: squared %d is not 0 or 1", fn, opt->squared);
    CHECK_ARG(ctx, !(opt->jaccard && opt->squared), "%s: squared is a Dice option (jaccard is set)", fn);
    CHECK_ARG(ctx, opt->activation == CLNN_OVERLAP_SOFTMAX || opt->activation == CLNN_OVERLAP_SIGMOID,
              "%s: activation %d is not a clnn_overlap_activation", fn, (int)opt->activation);
    CHECK_ARG(ctx, opt->per_sample == 0 || opt->per_sample == 1, "%s: per_sample %d is not 0 or 1", fn,
              opt->per_sample);
    CHECK_ARG(ctx, opt->skip_empty == 0 || opt->skip_empty == 1, "%s: skip_empty %d is not 0 or 1", fn,
              opt->skip_empty);
    CHECK_ARG(ctx, clnn__is_finite(opt->smooth) && opt->smooth >= 0.0f, "%s: smooth %g is not finite and >= 0", fn,
              (double)opt->smooth);
    CHECK_ARG(ctx, opt->use_ignore_index == 0 || opt->use_ignore_index == 1, "%s: use_ignore_index %d is not 0 or 1",
              fn, opt->use_ignore_index);
    CHECK_ARG(ctx, !opt->use_ignore_index || labels, "%s: use_ignore_index needs labels (targets were given)", fn);
    TRY(clnn__check_reduction(ctx, fn, opt->reduction));
    TRY(clnn__check_f32(ctx, fn, "logits", logits, 0));
    TRY(clnn__check_count32(ctx, fn, "logits", logits));
    char xs[64];
    CHECK_SHAPE(ctx, logits->ndim >= 2, "%s: logits %s must be [N, C, ...]", fn,
                clnn__shape_str(logits, xs, sizeof xs));
    CHECK_ARG(ctx, (labels == NULL) != (targets == NULL), "%s: pass exactly one of labels and targets", fn);
    size_t n = logits->shape[0], classes = logits->shape[1], positions = logits->count / (n * classes);
    if (labels) TRY(clnn__check_labels(ctx, fn, "labels", labels, n * positions, "logits (N x positions)"));
    if (targets) TRY(clnn__check_same_shape(ctx, fn, "targets", targets, "logits", logits));
    *terms = opt->per_sample ? n * classes : classes;
    const clnn__loss_red red = {opt->reduction, *terms, opt->per_sample ? "sample and class" : "class"};
    const clnn_tensor *in[3] = {logits, labels, targets};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dlogits, "dlogits", NULL, NULL}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 3, in, 2, out));
    if (dlogits) TRY(clnn__check_same_shape(ctx, fn, "dlogits", dlogits, "logits", logits));
    return CLNN_OK;
}

/* t = one-hot(labels) over logits' [N, C, S]. */
static clnn_status onehot(clnn_context *ctx, const char *fn, const clnn_tensor *labels, size_t classes,
                          size_t positions, clnn_tensor *t)
{
    cl_uint count = (cl_uint)t->count;
    cl_uint4 len = clnn__divisor((cl_uint)positions), nclasses = clnn__divisor((cl_uint)classes);
    clnn__karg args[] = {KARG_BUF(t->buffer), KARG_BUF(labels->buffer), KARG(count), KARG(len), KARG(nclasses)};
    size_t problem[2] = {t->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_metric_overlap_onehot, problem, 5, args);
}

/* x = 0 at the positions of [N, C, S] whose label is ignore_index. */
static clnn_status zero_ignored(clnn_context *ctx, const char *fn, const clnn_tensor *labels, size_t classes,
                                size_t positions, int32_t ignore_index, clnn_tensor *x)
{
    cl_uint count = (cl_uint)x->count;
    cl_uint4 len = clnn__divisor((cl_uint)positions), nclasses = clnn__divisor((cl_uint)classes);
    cl_int ignore = ignore_index;
    clnn__karg args[] = {KARG_BUF(x->buffer), KARG_BUF(labels->buffer), KARG(count), KARG(len), KARG(nclasses),
                         KARG(ignore)};
    size_t problem[2] = {x->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_metric_overlap_ignore, problem, 6, args);
}

clnn_status clnn_class_overlap_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                    const clnn_tensor *targets, const clnn_class_overlap_options *opt,
                                    clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_class_overlap_options, opt);
    size_t terms;
    TRY(check_class_overlap(ctx, fn, logits, labels, targets, opt, loss, dlogits, &terms));
    size_t n = logits->shape[0], classes = logits->shape[1], positions = logits->count / (n * classes);
    const int softmax = opt->activation == CLNN_OVERLAP_SOFTMAX;
    class_work w;
    TRY(class_work_alloc(ctx, logits, labels != NULL, dlogits != NULL, &w));
    clnn_status st = softmax ? clnn_softmax_dim_forward(ctx, logits, 1, w.p)
                             : clnn_activation_forward(ctx, logits, CLNN_ACT_SIGMOID, 0.0f, w.p);
    if (st == CLNN_OK && labels) st = onehot(ctx, fn, labels, classes, positions, w.t);
    const int ignore = opt->use_ignore_index;
    /* ignored positions: p and t 0 (softmax's backward then gives 0 there from dp = 0) */
    if (st == CLNN_OK && ignore) st = zero_ignored(ctx, fn, labels, classes, positions, opt->ignore_index, w.p);
    if (st == CLNN_OK && ignore) st = zero_ignored(ctx, fn, labels, classes, positions, opt->ignore_index, w.t);
    const clnn_tensor *t = labels ? w.t : targets;
    /* per class: N runs of S at a stride of C·S; per sample and class: blocks of S */
    const overlap_layout at = opt->per_sample ? (overlap_layout){n * classes, positions, 1, 0}
                                              : (overlap_layout){classes, positions, n, classes * positions};
    const int kind = opt->jaccard ? OVERLAP_JACCARD : opt->squared ? OVERLAP_DICE_SQUARED : OVERLAP_DICE;
    if (st == CLNN_OK)
        st = overlap_run(ctx, fn, w.p->buffer, t->buffer, logits->count, &at, kind, opt->smooth, opt->skip_empty,
                         opt->reduction, loss, dlogits ? w.dp->buffer : NULL);
    if (st == CLNN_OK && dlogits && ignore)
        st = zero_ignored(ctx, fn, labels, classes, positions, opt->ignore_index, w.dp);
    if (st == CLNN_OK && dlogits)
        st = softmax ? clnn_softmax_dim_backward(ctx, w.p, w.dp, 1, dlogits)
                     : clnn_activation_backward(ctx, logits, w.dp, CLNN_ACT_SIGMOID, 0.0f, dlogits);
    class_work_release(&w);
    return st;
}
