/* Host side of the output regularizers (cl/outputs.cl, include/clnn/outputs.h):
 * argument checks, then one row kernel that writes a partial per row (and
 * the gradients), then the value stage of common/loss_value.h (layers_loss.cl's
 * deterministic sum of the partials, or the per-row values for NONE). */
#include "common/loss_value.h"
#include "tune_family.h"

#define CLNN_TABLE "outputs_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* [P0 rows, P1 classes]; outputs.mix_targets: P0 x P1 elements. */
static clnn_status exercise_outputs(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t rows = problem[0], cols = problem[1];
    if (t == &tune_mix) rows = clnn__exercise_elements(problem), cols = 1;
    clnn_tensor *x = EX_RAND(&b, rows, cols), *q = EX_RAND(&b, rows, cols), *grad = EX_RAND(&b, rows, cols);
    clnn_tensor *loss = EX_RAND(&b, 1);
    if (t == &tune_mix) EX_STEP(&b, clnn_soft_targets_mix(ctx, x, q, 0.3f, grad));
    else if (t == &tune_entropy) EX_STEP(&b, clnn_confidence_penalty(ctx, x, 0.1f, CLNN_REDUCE_MEAN, loss, grad));
    else if (t == &tune_prob_entropy)
        EX_STEP(&b, clnn_prob_entropy_penalty(ctx, EX_UNIFORM(&b, 0.0f, 1.0f, rows, cols), 0.1f, CLNN_REDUCE_MEAN,
                                              loss, grad));
    else if (t == &tune_z) EX_STEP(&b, clnn_z_loss(ctx, x, 1e-4f, CLNN_REDUCE_MEAN, loss, grad));
    else if (t == &tune_kl)
        EX_STEP(&b, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, CLNN_REDUCE_MEAN, loss, grad, NULL));
    else if (t == &tune_js) EX_STEP(&b, clnn_js_div_logits(ctx, x, q, CLNN_REDUCE_MEAN, loss, grad, NULL));
    else if (t == &tune_stablemax) EX_STEP(&b, clnn_stablemax_forward(ctx, x, grad));
    else
        EX_STEP(&b, clnn_stablemax_cross_entropy(ctx, x, clnn__exercise_ints(&b, rows, cols, 7), CLNN_REDUCE_MEAN,
                                                 loss, grad));
    return clnn__exercise_end(&b);
}

/* ---------------------------------------------------- soft-target mixing */

static clnn_status mix(clnn_context *ctx, const char *fn, const clnn_tensor *y, const clnn_tensor *labels,
                       const clnn_tensor *p_prev, float alpha, clnn_tensor *targets)
{
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "p_prev", p_prev, &rows, &cols));
    if (labels) TRY(clnn__check_labels(ctx, fn, "labels", labels, rows, "p_prev"));
    else TRY(clnn__check_like(ctx, fn, "y", y, "p_prev", p_prev));
    TRY(clnn__check_like(ctx, fn, "targets", targets, "p_prev", p_prev));
    CHECK_ARG(ctx, clnn__is_finite(alpha) && alpha >= 0.0f && alpha <= 1.0f, "%s: alpha %g is not in [0, 1]", fn,
              (double)alpha);
    CHECK_ARG(ctx, !clnn__alias(targets, p_prev) && (labels || !clnn__alias(targets, y)),
              "%s: targets must not alias an input", fn);
    cl_uint n = (cl_uint)p_prev->count, ncols = (cl_uint)cols;
    cl_int from_labels = labels != NULL;
    cl_mem ybuf = labels ? p_prev->buffer : y->buffer, lbuf = labels ? labels->buffer : p_prev->buffer;
    clnn__karg args[] = {KARG_BUF(targets->buffer), KARG_BUF(ybuf), KARG_BUF(lbuf), KARG_BUF(p_prev->buffer),
                         KARG(n), KARG(ncols), KARG(alpha), KARG(from_labels)};
    size_t problem[2] = {p_prev->count, 1};
    return clnn__run(ctx, fn, &tune_mix, problem, 8, args);
}

clnn_status clnn_soft_targets_mix_labels(clnn_context *ctx, const clnn_tensor *labels, const clnn_tensor *p_prev,
                                         float alpha, clnn_tensor *targets)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    return mix(ctx, fn, NULL, labels, p_prev, alpha, targets);
}

clnn_status clnn_soft_targets_mix(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *p_prev, float alpha,
                                  clnn_tensor *targets)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_tensor(ctx, fn, "y", y));
    return mix(ctx, fn, y, NULL, p_prev, alpha, targets);
}

/* ------------------------------------- single-logit-set row penalties */

/* entropy_penalty, z_loss and prob_entropy share their argument list:
 * (partial, grad, input, rows, cols, lanes, coefficient, scale, want_grad, scratch). */
static clnn_status logit_penalty(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *in_name,
                                 const char *coef_name, int coef_nonneg, const clnn_tensor *logits, float coef,
                                 clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits,
                                 const char *grad_name)
{
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, in_name, logits, &rows, &cols));
    TRY(clnn__check_reduction(ctx, fn, reduction));
    CHECK_ARG(ctx, clnn__is_finite(coef) && (!coef_nonneg || coef >= 0.0f), "%s: %s %g is not %s", fn, coef_name,
              (double)coef, coef_nonneg ? "finite and >= 0" : "finite");
    const clnn__loss_red red = {reduction, rows, "row"};
    TRY(clnn__check_loss_args(ctx, fn, &red, logits, logits, loss, dlogits, grad_name));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, reduction, rows);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(logits->buffer), KARG(nrows), KARG(ncols),
                         KARG(lanes), KARG(coef), KARG(g.scale), KARG(g.want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, t, NULL, rows, cols, &partial, 10, args, reduction, loss);
}

clnn_status clnn_confidence_penalty(clnn_context *ctx, const clnn_tensor *logits, float beta,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    return logit_penalty(ctx, fn, &tune_entropy, "logits", "beta", 0, logits, beta, reduction, loss, dlogits,
                         "dlogits");
}

clnn_status clnn_z_loss(clnn_context *ctx, const clnn_tensor *logits, float coef, clnn_reduction reduction,
                        clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    return logit_penalty(ctx, fn, &tune_z, "logits", "coef", 1, logits, coef, reduction, loss, dlogits,
                         "dlogits");
}

clnn_status clnn_prob_entropy_penalty(clnn_context *ctx, const clnn_tensor *probs, float beta,
                                      clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dprobs)
{
    CLNN_ENTRY(ctx);
    return logit_penalty(ctx, fn, &tune_prob_entropy, "probs", "beta", 0, probs, beta, reduction, loss, dprobs,
                         "dprobs");
}

/* ------------------------------------------------------- divergences */

/* Checks of a divergence between two logit sets with two optional gradients. */
static clnn_status check_pair(clnn_context *ctx, const char *fn, const clnn_tensor *zp, const clnn_tensor *zq,
                              clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dzp, clnn_tensor *dzq,
                              size_t *rows, size_t *cols)
{
    TRY(clnn__check_rows(ctx, fn, "zp", zp, rows, cols));
    TRY(clnn__check_like(ctx, fn, "zq", zq, "zp", zp));
    const clnn__loss_red red = {reduction, *rows, "row"};
    const clnn_tensor *in[2] = {zp, zq};
    const clnn__loss_output out[3] = {{loss, "loss", NULL, NULL}, {dzp, "dzp", zp, "zp"}, {dzq, "dzq", zq, "zq"}};
    return clnn__check_loss_io(ctx, fn, &red, 2, in, 3, out);
}

clnn_status clnn_kl_div_logits(clnn_context *ctx, const clnn_tensor *zp, const clnn_tensor *zq,
                               clnn_kl_direction direction, clnn_reduction reduction, clnn_tensor *loss,
                               clnn_tensor *dzp, clnn_tensor *dzq)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(check_pair(ctx, fn, zp, zq, reduction, loss, dzp, dzq, &rows, &cols));
    CHECK_ARG(ctx, direction == CLNN_KL_PQ || direction == CLNN_KL_QP, "%s: direction %d is not a clnn_kl_direction",
              fn, (int)direction);
    if (direction == CLNN_KL_QP) { /* KL(q || p): the kernel's first set is q */
        const clnn_tensor *tz = zp;
        clnn_tensor *tg = dzp;
        zp = zq, zq = tz, dzp = dzq, dzq = tg;
    }
    cl_mem partial = NULL;
    cl_mem gp = dzp ? dzp->buffer : zp->buffer, gq = dzq ? dzq->buffer : zq->buffer; /* untouched when unwanted */
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int want_gp = dzp != NULL, want_gq = dzq != NULL;
    float scale = clnn__loss_scale(reduction, rows);
    clnn__karg args[] = {KARG_BUF(partial),    KARG_BUF(gp), KARG_BUF(gq),  KARG_BUF(zp->buffer),
                         KARG_BUF(zq->buffer), KARG(nrows),  KARG(ncols),   KARG(lanes),
                         KARG(scale),          KARG(want_gp), KARG(want_gq), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &tune_kl, NULL, rows, cols, &partial, 12, args, reduction, loss);
}

clnn_status clnn_js_div_logits(clnn_context *ctx, const clnn_tensor *zp, const clnn_tensor *zq,
                               clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dzp, clnn_tensor *dzq)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(check_pair(ctx, fn, zp, zq, reduction, loss, dzp, dzq, &rows, &cols));
    /* the kernel keeps its per-element terms in the gradient buffers: scratch
     * of the input's size stands in for a gradient not asked for */
    cl_mem partial = NULL, gp = NULL, gq = NULL;
    clnn_status st = CLNN_OK;
    if (dzp) gp = dzp->buffer;
    else st = clnn__scratch(ctx, fn, zp->count, &gp);
    if (st == CLNN_OK) {
        if (dzq) gq = dzq->buffer;
        else st = clnn__scratch(ctx, fn, zq->count, &gq);
    }
    if (st == CLNN_OK) {
        cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
        float scale = clnn__loss_scale(reduction, rows);
        clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(gp), KARG_BUF(gq),  KARG_BUF(zp->buffer),
                             KARG_BUF(zq->buffer), KARG(nrows), KARG(ncols), KARG(lanes),
                             KARG(scale),       KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        st = clnn__run_row_loss(ctx, fn, &tune_js, NULL, rows, cols, &partial, 10, args, reduction, loss);
    }
    if (!dzp && gp) clReleaseMemObject(gp);
    if (!dzq && gq) clReleaseMemObject(gq);
    return st;
}

/* ----------------------------------------------------------- StableMax */

static clnn_status stablemax_rows(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *dy,
                                  clnn_tensor *out, const char *out_name)
{
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "x", x, &rows, &cols));
    if (dy) TRY(clnn__check_like(ctx, fn, "dy", dy, "x", x));
    TRY(clnn__check_like(ctx, fn, out_name, out, "x", x));
    CHECK_ARG(ctx, !clnn__alias(out, x) && (!dy || !clnn__alias(out, dy)),
              "%s: %s must not alias an input", fn, out_name);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int backward = dy != NULL;
    cl_mem dy_buf = dy ? dy->buffer : x->buffer;
    clnn__karg args[] = {KARG_BUF(out->buffer), KARG_BUF(x->buffer), KARG_BUF(dy_buf), KARG(nrows), KARG(ncols),
                         KARG(lanes), KARG(backward), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {rows, cols};
    return clnn__run(ctx, fn, &tune_stablemax, problem, 8, args);
}

clnn_status clnn_stablemax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    return stablemax_rows(ctx, fn, x, NULL, y, "y");
}

clnn_status clnn_stablemax_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_tensor(ctx, fn, "dy", dy));
    return stablemax_rows(ctx, fn, x, dy, dx, "dx");
}

clnn_status clnn_stablemax_cross_entropy(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                         clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "logits", logits, &rows, &cols));
    TRY(clnn__check_labels(ctx, fn, "labels", labels, rows, "logits"));
    CHECK_SHAPE(ctx, cols <= 0x7FFFFFFF, "%s: more than 2^31 - 1 classes", fn);
    const clnn__loss_red red = {reduction, rows, "row"};
    TRY(clnn__check_loss_args(ctx, fn, &red, logits, labels, loss, dlogits, "dlogits"));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, reduction, rows);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(logits->buffer), KARG_BUF(labels->buffer),
                         KARG(nrows),       KARG(ncols),      KARG(lanes),              KARG(g.scale),
                         KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &tune_stablemax_ce, NULL, rows, cols, &partial, 10, args, reduction, loss);
}
