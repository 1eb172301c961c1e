/* The helpers every loss family shares; see common/loss_value.h. */
#include "common/loss_value.h"

#include <stdio.h>

/* ------------------------------------------------------------- checks */

clnn_status clnn__check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction)
{
    CHECK_ARG(ctx, reduction == CLNN_REDUCE_MEAN || reduction == CLNN_REDUCE_SUM || reduction == CLNN_REDUCE_NONE,
              "%s: reduction %d is not a clnn_reduction (MEAN, SUM or NONE)", fn, (int)reduction);
    return CLNN_OK;
}

float clnn__loss_scale(clnn_reduction reduction, size_t terms)
{
    return reduction == CLNN_REDUCE_MEAN ? (float)(1.0 / (double)terms) : 1.0f;
}

clnn__loss_grad clnn__loss_grad_of(const clnn_tensor *input, const clnn_tensor *grad, clnn_reduction reduction,
                                   size_t terms)
{
    clnn__loss_grad g = {grad ? grad->buffer : input->buffer, grad != NULL, clnn__loss_scale(reduction, terms)};
    return g;
}

clnn_status clnn__check_rows(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, size_t *rows,
                             size_t *cols)
{
    TRY(clnn__check_f32(ctx, fn, name, t, 0));
    TRY(clnn__check_count32(ctx, fn, name, t));
    *cols = t->shape[t->ndim - 1];
    *rows = t->count / *cols;
    return CLNN_OK;
}

clnn_status clnn__check_labels(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *labels,
                               size_t rows, const char *of)
{
    TRY(clnn__check_tensor(ctx, fn, name, labels));
    CHECK_SHAPE(ctx, labels->dtype == CLNN_INT32, "%s: %s must be int32", fn, name);
    CHECK_SHAPE(ctx, labels->count == rows, "%s: %s has %zu entries, %s has %zu rows", fn, name, labels->count, of,
                rows);
    return CLNN_OK;
}

clnn_status clnn__check_like(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                             const char *like_name, const clnn_tensor *like)
{
    clnn__dims d = {0};
    const size_t cols = like->shape[like->ndim - 1];
    clnn__dims_bind(&d, 'N', like->count / cols, like_name);
    clnn__dims_bind(&d, 'C', cols, like_name);
    return clnn__check_shape(ctx, fn, &d, name, t, "N*,C");
}

/* The loss's element count: red->terms for NONE, else 1. */
static clnn_status check_loss_count(clnn_context *ctx, const char *fn, const clnn__loss_red *red,
                                    const clnn_tensor *loss)
{
    if (red && red->reduction == CLNN_REDUCE_NONE)
        CHECK_SHAPE(ctx, loss->count == red->terms,
                    "%s: loss must have %zu element(s) with reduction NONE (one per %s), it has %zu", fn, red->terms,
                    red->term, loss->count);
    else
        CHECK_SHAPE(ctx, loss->count == 1, "%s: loss must have exactly 1 element%s, it has %zu", fn,
                    red ? " (reduction MEAN or SUM)" : "", loss->count);
    return CLNN_OK;
}

clnn_status clnn__check_loss_io(clnn_context *ctx, const char *fn, const clnn__loss_red *red, size_t nin,
                                const clnn_tensor *const *in, size_t nout, const clnn__loss_output *out)
{
    if (red) TRY(clnn__check_reduction(ctx, fn, red->reduction));
    int any = 0;
    for (size_t o = 0; o < nout; o++) any |= out[o].t != NULL;
    if (!any) {
        char names[160] = "";
        size_t len = 0;
        for (size_t o = 0; o < nout && len < sizeof names; o++) {
            const char *sep = o == 0 ? "" : o + 1 == nout ? " and " : ", ";
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", sep, out[o].name);
        }
        return clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: %s %s NULL: nothing to compute", fn, names,
                          nout == 2 ? "are both" : "are all");
    }
    /* the order decides which status a call with several faults gets: two
     * gradients on one buffer, then a gradient's shape, then aliasing of an
     * input or of the loss */
    for (size_t o = 0; o < nout; o++) {
        const clnn_tensor *t = out[o].t;
        if (!t) continue;
        TRY(clnn__check_f32(ctx, fn, out[o].name, t, 0));
        if (o == 0) TRY(check_loss_count(ctx, fn, red, t));
        for (size_t p = 1; p < o; p++)
            CHECK_ARG(ctx, !out[p].t || !clnn__alias(out[p].t, t), "%s: %s and %s must differ", fn, out[p].name,
                      out[o].name);
        if (o > 0 && out[o].like) TRY(clnn__check_like(ctx, fn, out[o].name, t, out[o].like_name, out[o].like));
        for (size_t i = 0; i < nin; i++)
            CHECK_ARG(ctx, !in[i] || !clnn__alias(t, in[i]), "%s: %s must not alias an input", fn, out[o].name);
        CHECK_ARG(ctx, o == 0 || !out[0].t || !clnn__alias(out[0].t, t), "%s: %s and %s must differ", fn,
                  out[0].name, out[o].name);
    }
    return CLNN_OK;
}

clnn_status clnn__check_loss_args(clnn_context *ctx, const char *fn, const clnn__loss_red *red,
                                  const clnn_tensor *input, const clnn_tensor *other, clnn_tensor *loss,
                                  clnn_tensor *grad, const char *grad_name)
{
    const clnn_tensor *in[2] = {input, other};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {grad, grad_name, input, "the input"}};
    return clnn__check_loss_io(ctx, fn, red, 2, in, 2, out);
}

clnn_status clnn__check_loss_outputs(clnn_context *ctx, const char *fn, const clnn_tensor *input,
                                     const clnn_tensor *other, clnn_tensor *loss, clnn_tensor *grad,
                                     const char *grad_name)
{
    return clnn__check_loss_args(ctx, fn, NULL, input, other, loss, grad, grad_name);
}

/* -------------------------------------------------------- value stage */

clnn_status clnn__loss_partials(clnn_context *ctx, const char *fn, clnn_reduction reduction, clnn_tensor *loss,
                                size_t n, cl_mem *partial)
{
    if (reduction == CLNN_REDUCE_NONE && loss) {
        *partial = loss->buffer;
        return CLNN_OK;
    }
    return clnn__scratch(ctx, fn, n, partial);
}

/* out[0] = scale * sum of partial[0..n) (scale_buf[0] instead when use_buf), one work-group. */
static clnn_status sum_partials(clnn_context *ctx, const char *fn, cl_mem out, cl_mem partial, size_t n, float scale,
                                cl_mem scale_buf, cl_int use_buf)
{
    cl_uint count = (cl_uint)n, lanes = clnn__row_lanes(n);
    clnn__karg args[] = {KARG_BUF(out), KARG_BUF(partial), KARG_BUF(scale_buf), KARG(count), KARG(lanes),
                         KARG(scale),   KARG(use_buf),     KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {1, n};
    return clnn__run(ctx, fn, &clnn__tune_loss_sum, problem, 8, args);
}

clnn_status clnn__loss_sum(clnn_context *ctx, const char *fn, clnn_tensor *loss, cl_mem partial, size_t n,
                           float scale)
{
    return sum_partials(ctx, fn, loss->buffer, partial, n, scale, partial, 0);
}

clnn_status clnn__loss_reduce(clnn_context *ctx, const char *fn, clnn_reduction reduction, clnn_tensor *loss,
                              cl_mem partial, size_t n, float scale, cl_mem scale_buf)
{
    if (!loss || reduction == CLNN_REDUCE_NONE) return CLNN_OK;
    return sum_partials(ctx, fn, loss->buffer, partial, n, scale, scale_buf ? scale_buf : partial, scale_buf != NULL);
}

void clnn__loss_release(const clnn_tensor *loss, cl_mem partial)
{
    if (partial && (!loss || partial != loss->buffer)) clReleaseMemObject(partial);
}

clnn_status clnn__run_loss(clnn_context *ctx, const char *fn, const clnn__loss_launch *l, size_t nargs,
                           const clnn__karg *args, clnn_reduction reduction, clnn_tensor *loss, float scale)
{
    const int values = l->values && reduction == CLNN_REDUCE_NONE && loss;
    cl_mem partial;
    /* a chunked kernel's partials are per chunk: scratch whatever the reduction */
    TRY(clnn__loss_partials(ctx, fn, l->values ? CLNN_REDUCE_SUM : reduction, loss, l->groups, &partial));
    *l->partial = partial;
    if (l->values) *l->values = values ? loss->buffer : partial;
    char options[256];
    const char *variant = l->variant;
    if (values) {
        snprintf(options, sizeof options, "%s%s" CLNN_LOSS_VALUES_OPTION, variant ? variant : "", variant ? " " : "");
        variant = options;
    }
    size_t problem[2] = {l->groups, l->len};
    clnn_status st = clnn__run_variant(ctx, fn, l->t, variant, problem, nargs, args);
    if (st == CLNN_OK) st = clnn__loss_reduce(ctx, fn, reduction, loss, partial, l->groups, scale, l->scale_buf);
    clnn__loss_release(loss, partial);
    return st;
}

clnn__loss_launch clnn__chunked_launch(const clnn__tunable *t, size_t items, size_t chunk, cl_mem *partial,
                                       cl_mem *values)
{
    clnn__loss_launch l = {t, NULL, (items + chunk - 1) / chunk, items < chunk ? items : chunk, partial, values, NULL};
    return l;
}

clnn_status clnn__run_row_loss(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *variant,
                               size_t rows, size_t cols, cl_mem *partial_slot, size_t nargs, const clnn__karg *args,
                               clnn_reduction reduction, clnn_tensor *loss)
{
    const clnn__loss_launch l = {t, variant, rows, cols, partial_slot, NULL, NULL};
    return clnn__run_loss(ctx, fn, &l, nargs, args, reduction, loss, clnn__loss_scale(reduction, rows));
}
