/* Shared pieces of the metric and overlap losses; see metric_losses_internal.h. */
#include "metric_losses/metric_losses_internal.h"
#include "tune_family.h"

#include "regularizers/regularizers_internal.h"

#define CLNN_TABLE "metric_losses/metric_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* harmonic_rows, margin_rows: [P0 rows, P1 classes], D = 64; rows_apply:
 * P0 x P1 elements (harmonic loss, D = 64); column_sums: P0 classes
 * (harmonic loss, 64 rows, D = 64); ada_stats: AdaFace over P0 x P1 rows
 * (8 classes). */
static void exercise_classes(clnn__exercise *b, const clnn__tunable *t, const size_t problem[2])
{
    size_t n = clnn__exercise_elements(problem), d = 64, rows = problem[0], classes = problem[1];
    if (t == &clnn__tune_metric_ada_stats) rows = n, classes = 8;
    if (t == &clnn__tune_metric_rows_apply) rows = (n + d - 1) / d, classes = 16;
    if (t == &clnn__tune_metric_column_sums) rows = 64, classes = problem[0];
    clnn_tensor *x = EX_RAND(b, rows, d), *w = EX_RAND(b, classes, d);
    clnn_tensor *labels = clnn__exercise_ints(b, rows, classes, 7);
    clnn_tensor *dx = EX_RAND(b, rows, d), *dw = EX_RAND(b, classes, d), *loss = EX_RAND(b, 1);
    if (t == &clnn__tune_metric_margin_rows || t == &clnn__tune_metric_ada_stats) {
        clnn_margin_options o;
        clnn_margin_options_init(&o, CLNN_MARGIN_ADAFACE);
        EX_STEP(b, clnn_margin_loss(b->ctx, x, w, labels, &o, EX_UNIFORM(b, 1.0f, 2.0f, 2), loss, dx, dw));
    } else {
        EX_STEP(b, clnn_harmonic_loss(b->ctx, x, w, labels, 8.0f, 1e-12f, NULL, CLNN_REDUCE_MEAN, loss, dx, dw));
    }
}

/* overlap_*: P0 samples of P1 elements; overlap_onehot and overlap_zero_ignored: logits [1, 2, n/2] (n = P0 x P1),
 * label 1 ignored by the second; box_iou: P0 x P1 boxes; madl: P0 x P1
 * elements. */
static clnn_status exercise_metric(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    if (t == &clnn__tune_metric_overlap_partial || t == &clnn__tune_metric_overlap_finish ||
        t == &clnn__tune_metric_overlap_grad) {
        clnn_tensor *p = EX_UNIFORM(&b, 0.0f, 1.0f, problem[0], problem[1]);
        clnn_tensor *q = EX_UNIFORM(&b, 0.0f, 1.0f, problem[0], problem[1]);
        EX_STEP(&b, clnn_soft_dice_loss(ctx, p, q, 0, 1.0f, CLNN_REDUCE_MEAN, EX_RAND(&b, 1),
                                        EX_RAND(&b, problem[0], problem[1])));
    } else if (t == &clnn__tune_metric_overlap_onehot || t == &clnn__tune_metric_overlap_ignore) {
        size_t half = n / 2 ? n / 2 : 1;
        clnn_class_overlap_options o;
        clnn_class_overlap_options_init(&o);
        o.use_ignore_index = t == &clnn__tune_metric_overlap_ignore;
        o.ignore_index = 1;
        EX_STEP(&b, clnn_class_overlap_loss(ctx, EX_RAND(&b, 1, 2, half), clnn__exercise_ints(&b, half, 2, 1), NULL,
                                            &o, EX_RAND(&b, 1), EX_RAND(&b, 1, 2, half)));
    } else if (t == &clnn__tune_metric_box_iou) {
        clnn_tensor *p = EX_UNIFORM(&b, 0.0f, 1.0f, n, 4), *q = EX_UNIFORM(&b, 0.0f, 1.0f, n, 4);
        EX_STEP(&b, clnn_diou_loss(ctx, p, q, CLNN_REDUCE_MEAN, EX_RAND(&b, 1), EX_RAND(&b, n, 4)));
    } else if (t == &clnn__tune_metric_madl) {
        EX_STEP(&b, clnn_madl_loss(ctx, EX_RAND(&b, n), EX_RAND(&b, n), 10.0f, 1.0f, CLNN_REDUCE_MEAN, EX_RAND(&b, 1),
                                   EX_RAND(&b, n)));
    } else {
        exercise_classes(&b, t, problem);
    }
    return clnn__exercise_end(&b);
}

/* ------------------------------------------------------- embedding losses */

clnn_status clnn__embed_check(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *w,
                              const clnn_tensor *labels, const clnn_label_weights *weights, clnn_reduction reduction,
                              clnn_tensor *loss, clnn_tensor *dx, clnn_tensor *dw, clnn__embed *e)
{
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_count32(ctx, fn, "x", x));
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    TRY(clnn__check_count32(ctx, fn, "w", w));
    size_t d = x->shape[x->ndim - 1];
    CHECK_SHAPE(ctx, w->shape[w->ndim - 1] == d, "%s: w has rows of %zu, x has rows of %zu", fn,
                w->shape[w->ndim - 1], d);
    size_t n = x->count / d, c = w->count / d;
    TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    CHECK_SHAPE(ctx, labels->dtype == CLNN_INT32, "%s: labels must be int32", fn);
    CHECK_SHAPE(ctx, labels->count == n, "%s: labels has %zu entries, x has %zu rows", fn, labels->count, n);
    CHECK_SHAPE(ctx, c <= 0x7FFFFFFF && (double)n * (double)c <= 4294967295.0,
                "%s: %zu rows x %zu classes: more than 2^32 - 1 pairs (or 2^31 classes)", fn, n, c);
    clnn_label_weights lw;
    int weighted;
    TRY(clnn__check_label_weights(ctx, fn, weights, 1, 1, "", n, c, &lw, &weighted));
    const clnn__loss_red red = {reduction, n, "row"};
    const clnn_tensor *in[5] = {x, w, labels, lw.row_weights, lw.class_weights};
    const clnn__loss_output out[3] = {{loss, "loss", NULL, NULL}, {dx, "dx", x, "x"}, {dw, "dw", w, "w"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 5, in, 3, out));
    *e = (clnn__embed){x, w, labels, loss, dx, dw, n, c, d, reduction, clnn__loss_scale(reduction, n), lw, weighted,
                       {NULL, NULL, 0, 0}, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    return CLNN_OK;
}

clnn_status clnn__embed_alloc(clnn_context *ctx, const char *fn, clnn__embed *e)
{
    size_t pairs = e->n * e->c;
    clnn_status st = clnn__scratch(ctx, fn, pairs, &e->s);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, pairs, &e->z);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->n, &e->nx);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->c, &e->nw);
    if (st == CLNN_OK) st = clnn__loss_partials(ctx, fn, e->reduction, e->loss, e->n, &e->partial);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->n, &e->coef);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->c, &e->colsum);
    if (st == CLNN_OK)
        st = clnn__row_weights_make(ctx, fn, e->weighted ? &e->weights : NULL, e->labels, e->n, e->c, e->reduction,
                                    e->x->buffer, &e->rw);
    return st;
}

void clnn__embed_release(clnn__embed *e)
{
    clnn__loss_release(e->loss, e->partial);
    e->partial = NULL;
    clnn__row_weights_release(&e->rw);
    cl_mem *all[] = {&e->s, &e->z, &e->nx, &e->nw, &e->coef, &e->colsum};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i]) {
            clReleaseMemObject(*all[i]);
            *all[i] = NULL;
        }
}

clnn_status clnn__embed_norms(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm, int squared)
{
    clnn__reduce_desc rd = {xm, NULL, REDUCE_TERM_ABS_SQ, squared ? REDUCE_POST_NONE : REDUCE_POST_SQRT,
                            (cl_uint)e->n, (cl_uint)e->d, (cl_uint)e->d, 1, 0, 0.0f, 1.0f, 1.0f};
    TRY(clnn__reduce(ctx, fn, &rd, e->nx, 0));
    rd.a = wm;
    rd.nseg = (cl_uint)e->c;
    return clnn__reduce(ctx, fn, &rd, e->nw, 0);
}

clnn_status clnn__embed_gemm(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm)
{
    clnn__gemm_operand a = {xm, 0, e->d, 0}, b = {wm, 0, e->d, 0}, c = {e->s, 0, e->c, 0};
    return clnn__sgemm(ctx, fn, 0, 1, e->n, e->c, e->d, 1.0f, a, b, 0.0f, c, 1);
}

/* out [rows, cols] = −v[r]·in (shift 0) or in − v[k] (shift 1). */
static clnn_status rows_apply(clnn_context *ctx, const char *fn, cl_mem out, cl_mem in, cl_mem v, size_t rows,
                              size_t cols, cl_int shift)
{
    cl_uint n = (cl_uint)(rows * cols), nc = (cl_uint)cols;
    clnn__karg args[] = {KARG_BUF(out), KARG_BUF(in), KARG_BUF(v), KARG(n), KARG(nc), KARG(shift)};
    size_t problem[2] = {rows * cols, 1};
    return clnn__run(ctx, fn, &clnn__tune_metric_rows_apply, problem, 6, args);
}

clnn_status clnn__embed_center(clnn_context *ctx, const char *fn, cl_mem out, cl_mem in, cl_mem mu, size_t rows,
                               size_t cols)
{
    return rows_apply(ctx, fn, out, in, mu, rows, cols, 1);
}

clnn_status clnn__embed_finish(clnn_context *ctx, const char *fn, clnn__embed *e, cl_mem xm, cl_mem wm,
                               cl_mem colsrc)
{
    clnn__gemm_operand a = {e->z, 0, e->c, 0};
    if (e->dx) {
        clnn__gemm_operand b = {wm, 0, e->d, 0}, c = {e->dx->buffer, 0, e->d, 0};
        TRY(rows_apply(ctx, fn, e->dx->buffer, xm, e->coef, e->n, e->d, 0));
        TRY(clnn__sgemm(ctx, fn, 0, 0, e->n, e->d, e->c, 1.0f, a, b, 1.0f, c, 1));
    }
    if (e->dw) {
        clnn__gemm_operand b = {xm, 0, e->d, 0}, c = {e->dw->buffer, 0, e->d, 0};
        cl_uint rows = (cl_uint)e->n, cols = (cl_uint)e->c;
        clnn__karg args[] = {KARG_BUF(e->colsum), KARG_BUF(colsrc), KARG(rows), KARG(cols)};
        size_t problem[2] = {e->c, 1};
        TRY(clnn__run(ctx, fn, &clnn__tune_metric_column_sums, problem, 4, args));
        TRY(rows_apply(ctx, fn, e->dw->buffer, wm, e->colsum, e->c, e->d, 0));
        TRY(clnn__sgemm(ctx, fn, 1, 0, e->c, e->d, e->n, 1.0f, a, b, 1.0f, c, 1));
    }
    return clnn__loss_reduce(ctx, fn, e->reduction, e->loss, e->partial, e->n, e->scale,
                             clnn__row_weights_scale(&e->rw, e->reduction));
}
