/* Row weights of the losses with labels; see common/label_weights.h. */
#include "common/label_weights.h"

void clnn_label_weights_init(clnn_label_weights *w)
{
    if (!w) return;
    *w = (clnn_label_weights){sizeof *w, NULL, NULL, -100, 0.0f};
}

/* An optional fp32 weight tensor of exactly n elements. */
static clnn_status check_weight_tensor(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                       size_t n, const char *per)
{
    if (!t) return CLNN_OK;
    TRY(clnn__check_f32(ctx, fn, name, t, 0));
    CHECK_SHAPE(ctx, t->count == n, "%s: %s has %zu elements, one per %s (%zu) is needed", fn, name, t->count, per,
                n);
    return CLNN_OK;
}

clnn_status clnn__check_label_weights(clnn_context *ctx, const char *fn, const clnn_label_weights *w, int has_labels,
                                      int smoothing, const char *what, size_t rows, size_t classes,
                                      clnn_label_weights *out, int *given)
{
    *given = w != NULL;
    clnn_label_weights_init(out);
    if (!w) return CLNN_OK;
    TRY(clnn__options_copy(ctx, fn, "weights", out, sizeof *out, w));
    CHECK_ARG(ctx, has_labels || !out->class_weights, "%s: class_weights need labels, and %s", fn, what);
    const float eps = out->label_smoothing;
    CHECK_ARG(ctx, smoothing || eps == 0.0f, "%s: label_smoothing %g: this loss offers none (0 only)", fn,
              (double)eps);
    CHECK_ARG(ctx, clnn__is_finite(eps) && eps >= 0.0f && eps < 1.0f, "%s: label_smoothing %g is not in [0, 1)", fn,
              (double)eps);
    TRY(check_weight_tensor(ctx, fn, "row_weights", out->row_weights, rows, "row"));
    return check_weight_tensor(ctx, fn, "class_weights", out->class_weights, classes, "class");
}

clnn_status clnn__row_weights_make(clnn_context *ctx, const char *fn, const clnn_label_weights *w,
                                   const clnn_tensor *labels, size_t rows, size_t classes, clnn_reduction reduction,
                                   cl_mem stand_in, clnn__row_weights *rw)
{
    *rw = (clnn__row_weights){NULL, stand_in, 0, 0};
    if (!w) return CLNN_OK;
    TRY(clnn__scratch(ctx, fn, rows + 1, &rw->wbuf));
    rw->arg = rw->wbuf;
    rw->weighted = 1;
    rw->ignore_index = w->ignore_index;
    cl_mem label_buf = labels ? labels->buffer : stand_in; /* unread without has_labels */
    cl_mem row_buf = w->row_weights ? w->row_weights->buffer : stand_in;
    cl_mem class_buf = w->class_weights ? w->class_weights->buffer : stand_in;
    cl_uint nrows = (cl_uint)rows, nclasses = (cl_uint)classes;
    cl_int has_labels = labels != NULL, has_row = w->row_weights != NULL, has_class = w->class_weights != NULL;
    cl_int mean = reduction == CLNN_REDUCE_MEAN;
    clnn__karg args[] = {KARG_BUF(rw->wbuf), KARG_BUF(label_buf),  KARG_BUF(row_buf), KARG_BUF(class_buf),
                         KARG(nrows),        KARG(nclasses),       KARG(rw->ignore_index), KARG(has_labels),
                         KARG(has_row),      KARG(has_class),      KARG(mean),
                         KARG_LOCAL_FIXED(CLNN_ROW_LANES_MAX * sizeof(cl_float))};
    size_t problem[2] = {1, CLNN_ROW_LANES_MAX};
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_loss_row_weights, problem, 12, args);
    if (st != CLNN_OK) clnn__row_weights_release(rw);
    return st;
}

void clnn__row_weights_release(clnn__row_weights *rw)
{
    if (rw->wbuf) clReleaseMemObject(rw->wbuf);
    rw->wbuf = NULL;
}

cl_mem clnn__row_weights_scale(const clnn__row_weights *rw, clnn_reduction reduction)
{
    return rw && rw->weighted && reduction == CLNN_REDUCE_MEAN ? rw->wbuf : NULL;
}

clnn_status clnn__run_weighted_row_loss(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                                        const char *variant, size_t rows, size_t cols, cl_mem *partial_slot,
                                        size_t nargs, const clnn__karg *args, clnn_reduction reduction,
                                        clnn_tensor *loss, const clnn__row_weights *rw)
{
    const clnn__loss_launch l = {t, variant, rows, cols, partial_slot, NULL, clnn__row_weights_scale(rw, reduction)};
    return clnn__run_loss(ctx, fn, &l, nargs, args, reduction, loss, clnn__loss_scale(reduction, rows));
}
