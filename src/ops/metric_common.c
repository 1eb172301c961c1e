/* Shared pieces of the metric and overlap losses; see metric_common.h. */
#include "metric_common.h"

#include "reg/reg_internal.h"

static const clnn__tunable tune_rows_apply = {"metric.rows_apply", "metric_losses", "rows_apply", 1,
                                              {{NULL, {0}, 0, 0}}, NULL, NULL};
static const clnn__tunable tune_column_sums = {"metric.column_sums", "metric_losses", "column_sums", 1,
                                               {{NULL, {0}, 0, 0}}, NULL, NULL};

const clnn__tunable *const clnn__metric_tunables[] = {&clnn__tune_metric_harmonic_rows,
                                                      &clnn__tune_metric_margin_rows,
                                                      &clnn__tune_metric_ada_stats,
                                                      &tune_rows_apply,
                                                      &tune_column_sums,
                                                      &clnn__tune_metric_overlap_partial,
                                                      &clnn__tune_metric_overlap_finish,
                                                      &clnn__tune_metric_overlap_grad,
                                                      &clnn__tune_metric_diou,
                                                      &clnn__tune_metric_madl,
                                                      NULL};

clnn_status clnn__metric_check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction)
{
    CHECK_ARG(ctx, reduction == CLNN_REDUCE_MEAN || reduction == CLNN_REDUCE_SUM,
              "%s: reduction %d is not a clnn_reduction", fn, (int)reduction);
    return CLNN_OK;
}

float clnn__metric_scale(clnn_reduction reduction, size_t count)
{
    return reduction == CLNN_REDUCE_MEAN ? (float)(1.0 / (double)count) : 1.0f;
}

clnn_status clnn__metric_check_outputs(clnn_context *ctx, const char *fn, size_t nin, const clnn_tensor *const *in,
                                       size_t nout, clnn_tensor *const *out, const char *const *out_names)
{
    int any = 0;
    for (size_t o = 0; o < nout; o++) any |= out[o] != NULL;
    CHECK_ARG(ctx, any, "%s: every output is NULL: nothing to compute", fn);
    for (size_t o = 0; o < nout; o++) {
        if (!out[o]) continue;
        TRY(clnn__check_f32(ctx, fn, out_names[o], out[o], 0));
        if (o == 0)
            CHECK_SHAPE(ctx, out[0]->count == 1, "%s: %s must have exactly 1 element, it has %zu", fn, out_names[0],
                        out[0]->count);
        for (size_t i = 0; i < nin; i++)
            CHECK_ARG(ctx, out[o]->buffer != in[i]->buffer, "%s: %s must not alias an input", fn, out_names[o]);
        for (size_t p = 0; p < o; p++)
            CHECK_ARG(ctx, !out[p] || out[p]->buffer != out[o]->buffer, "%s: %s and %s must differ", fn,
                      out_names[p], out_names[o]);
    }
    return CLNN_OK;
}

clnn_status clnn__metric_check_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *grad,
                                    const char *input_name, const clnn_tensor *input)
{
    if (!grad) return CLNN_OK;
    CHECK_SHAPE(ctx, grad->count == input->count && grad->shape[grad->ndim - 1] == input->shape[input->ndim - 1],
                "%s: %s must have the shape of %s (%zu elements, last dimension %zu)", fn, name, input_name,
                input->count, input->shape[input->ndim - 1]);
    return CLNN_OK;
}

/* ------------------------------------------------------- embedding losses */

clnn_status clnn__embed_check(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *w,
                              const clnn_tensor *labels, clnn_reduction reduction, clnn_tensor *loss,
                              clnn_tensor *dx, clnn_tensor *dw, clnn__embed *e)
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
    TRY(clnn__metric_check_reduction(ctx, fn, reduction));
    const clnn_tensor *in[3] = {x, w, labels};
    clnn_tensor *out[3] = {loss, dx, dw};
    const char *names[3] = {"loss", "dx", "dw"};
    TRY(clnn__metric_check_outputs(ctx, fn, 3, in, 3, out, names));
    TRY(clnn__metric_check_like(ctx, fn, "dx", dx, "x", x));
    TRY(clnn__metric_check_like(ctx, fn, "dw", dw, "w", w));
    *e = (clnn__embed){x, w, labels, loss, dx, dw, n, c, d, clnn__metric_scale(reduction, n),
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    return CLNN_OK;
}

clnn_status clnn__embed_alloc(clnn_context *ctx, const char *fn, clnn__embed *e)
{
    size_t pairs = e->n * e->c;
    clnn_status st = clnn__scratch(ctx, fn, pairs, &e->s);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, pairs, &e->z);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->n, &e->nx);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->c, &e->nw);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->n, &e->partial);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->n, &e->coef);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, e->c, &e->colsum);
    return st;
}

void clnn__embed_release(clnn__embed *e)
{
    cl_mem *all[] = {&e->s, &e->z, &e->nx, &e->nw, &e->partial, &e->coef, &e->colsum};
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
    return clnn__run(ctx, fn, &tune_rows_apply, problem, 6, args);
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
        TRY(clnn__run(ctx, fn, &tune_column_sums, problem, 4, args));
        TRY(rows_apply(ctx, fn, e->dw->buffer, wm, e->colsum, e->c, e->d, 0));
        TRY(clnn__sgemm(ctx, fn, 1, 0, e->c, e->d, e->n, 1.0f, a, b, 1.0f, c, 1));
    }
    return e->loss ? clnn__loss_sum(ctx, fn, e->loss, e->partial, e->n, e->scale) : CLNN_OK;
}

/* --------------------------------------------------- chunked loss kernels */

clnn_status clnn__metric_chunked(clnn_context *ctx, const char *fn, const clnn__tunable *t, size_t chunks,
                                 size_t chunk, cl_mem *partial_slot, size_t nargs, const clnn__karg *args,
                                 clnn_tensor *loss, float scale)
{
    TRY(clnn__scratch(ctx, fn, chunks, partial_slot));
    size_t problem[2] = {chunks, chunk};
    clnn_status st = clnn__run(ctx, fn, t, problem, nargs, args);
    if (st == CLNN_OK && loss) st = clnn__loss_sum(ctx, fn, loss, *partial_slot, chunks, scale);
    clReleaseMemObject(*partial_slot);
    *partial_slot = NULL;
    return st;
}
