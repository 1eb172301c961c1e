/* Host side of the output regularizers (cl/outputs.cl, include/clnn/outputs.h):
 * argument checks, then one row kernel that writes a partial per row (and
 * the gradients), then loss.cl's deterministic sum of the partials. */
#include "ops/layers_common.h"

static const clnn__tunable tune_mix = {"outputs.mix_targets", "outputs", "mix_targets", 1, {{NULL, {0}, 0, 0}},
                                       NULL, NULL};
static const clnn__tunable tune_entropy = CLNN_ROW_TUNABLE("outputs.entropy_penalty", "outputs", "entropy_penalty");
static const clnn__tunable tune_prob_entropy = CLNN_ROW_TUNABLE("outputs.prob_entropy", "outputs", "prob_entropy");
static const clnn__tunable tune_z = CLNN_ROW_TUNABLE("outputs.z_loss", "outputs", "z_loss");
static const clnn__tunable tune_kl = CLNN_ROW_TUNABLE("outputs.kl_logits", "outputs", "kl_logits");
static const clnn__tunable tune_js = CLNN_ROW_TUNABLE("outputs.js_logits", "outputs", "js_logits");
static const clnn__tunable tune_stablemax = CLNN_ROW_TUNABLE("outputs.stablemax_rows", "outputs", "stablemax_rows");
static const clnn__tunable tune_stablemax_ce = CLNN_ROW_TUNABLE("outputs.stablemax_ce", "outputs", "stablemax_ce");

const clnn__tunable *const clnn__outputs_tunables[] = {&tune_mix,        &tune_entropy,   &tune_z,
                                                       &tune_kl,         &tune_js,        &tune_stablemax,
                                                       &tune_stablemax_ce, &tune_prob_entropy, NULL};

/* Rows and classes of an fp32 row tensor whose elements fit 32-bit indices. */
static clnn_status check_rows(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                              size_t *rows, size_t *cols)
{
    TRY(clnn__check_f32(ctx, fn, name, t, 0));
    TRY(clnn__check_count32(ctx, fn, name, t));
    *cols = t->shape[t->ndim - 1];
    *rows = t->count / *cols;
    return CLNN_OK;
}

/* b has a's rows and classes. */
static clnn_status check_same_rows(clnn_context *ctx, const char *fn, const char *a_name, const clnn_tensor *a,
                                   const char *b_name, const clnn_tensor *b)
{
    TRY(clnn__check_f32(ctx, fn, b_name, b, 0));
    CHECK_SHAPE(ctx, b->count == a->count && b->shape[b->ndim - 1] == a->shape[a->ndim - 1],
                "%s: %s must have the shape of %s (%zu elements, %zu classes)", fn, b_name, a_name, a->count,
                a->shape[a->ndim - 1]);
    return CLNN_OK;
}

static clnn_status check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction)
{
    CHECK_ARG(ctx, reduction == CLNN_REDUCE_MEAN || reduction == CLNN_REDUCE_SUM,
              "%s: reduction %d is not a clnn_reduction", fn, (int)reduction);
    return CLNN_OK;
}

static clnn_status check_labels(clnn_context *ctx, const char *fn, const clnn_tensor *labels, size_t rows)
{
    TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    CHECK_SHAPE(ctx, labels->dtype == CLNN_INT32, "%s: labels must be int32", fn);
    CHECK_SHAPE(ctx, labels->count == rows, "%s: labels has %zu entries, the input has %zu rows", fn, labels->count,
                rows);
    return CLNN_OK;
}

static float reduction_scale(clnn_reduction reduction, size_t rows)
{
    return reduction == CLNN_REDUCE_MEAN ? (float)(1.0 / (double)rows) : 1.0f;
}

/* Launches a row kernel whose first argument is the partials buffer (made
 * here: one float per row), then sums them into loss when asked. args[0]
 * must be a KARG_BUF slot this function fills. */
static clnn_status run_row_loss(clnn_context *ctx, const char *fn, const clnn__tunable *t, size_t rows,
                                size_t cols, cl_mem *partial_slot, size_t nargs, const clnn__karg *args,
                                clnn_tensor *loss, float scale)
{
    TRY(clnn__scratch(ctx, fn, rows, partial_slot));
    size_t problem[2] = {rows, cols};
    clnn_status st = clnn__run(ctx, fn, t, problem, nargs, args);
    if (st == CLNN_OK && loss) st = clnn__loss_sum(ctx, fn, loss, *partial_slot, rows, scale);
    clReleaseMemObject(*partial_slot);
    return st;
}

/* ---------------------------------------------------- soft-target mixing */

static clnn_status mix(clnn_context *ctx, const char *fn, const clnn_tensor *y, const clnn_tensor *labels,
                       const clnn_tensor *p_prev, float alpha, clnn_tensor *targets)
{
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    size_t rows, cols;
    TRY(check_rows(ctx, fn, "p_prev", p_prev, &rows, &cols));
    if (labels) TRY(check_labels(ctx, fn, labels, rows));
    else TRY(check_same_rows(ctx, fn, "p_prev", p_prev, "y", y));
    TRY(check_same_rows(ctx, fn, "p_prev", p_prev, "targets", targets));
    CHECK_ARG(ctx, clnn__is_finite(alpha) && alpha >= 0.0f && alpha <= 1.0f, "%s: alpha %g is not in [0, 1]", fn,
              (double)alpha);
    CHECK_ARG(ctx, targets->buffer != p_prev->buffer && (labels || targets->buffer != y->buffer),
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
    static const char *fn = "clnn_soft_targets_mix_labels";
    if (ctx) TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    return mix(ctx, fn, NULL, labels, p_prev, alpha, targets);
}

clnn_status clnn_soft_targets_mix(clnn_context *ctx, const clnn_tensor *y, const clnn_tensor *p_prev, float alpha,
                                  clnn_tensor *targets)
{
    static const char *fn = "clnn_soft_targets_mix";
    if (ctx) TRY(clnn__check_tensor(ctx, fn, "y", y));
    return mix(ctx, fn, y, NULL, p_prev, alpha, targets);
}

/* ------------------------------------- single-logit-set row penalties */

/* entropy_penalty, z_loss and prob_entropy share their argument list:
 * (partial, grad, input, cols, lanes, coefficient, scale, want_grad, scratch). */
static clnn_status logit_penalty(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *in_name,
                                 const char *coef_name, int coef_nonneg, const clnn_tensor *logits, float coef,
                                 clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits,
                                 const char *grad_name)
{
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    size_t rows, cols;
    TRY(check_rows(ctx, fn, in_name, logits, &rows, &cols));
    TRY(check_reduction(ctx, fn, reduction));
    CHECK_ARG(ctx, clnn__is_finite(coef) && (!coef_nonneg || coef >= 0.0f), "%s: %s %g is not %s", fn, coef_name,
              (double)coef, coef_nonneg ? "finite and >= 0" : "finite");
    TRY(clnn__check_loss_outputs(ctx, fn, logits, logits, loss, dlogits, grad_name));
    cl_mem partial = NULL;
    cl_mem grad_buf = dlogits ? dlogits->buffer : logits->buffer; /* untouched without want_grad */
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int want_grad = dlogits != NULL;
    float scale = reduction_scale(reduction, rows);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(grad_buf), KARG_BUF(logits->buffer), KARG(ncols), KARG(lanes),
                         KARG(coef), KARG(scale), KARG(want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return run_row_loss(ctx, fn, t, rows, cols, &partial, 9, args, loss, scale);
}

clnn_status clnn_confidence_penalty(clnn_context *ctx, const clnn_tensor *logits, float beta,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    return logit_penalty(ctx, "clnn_confidence_penalty", &tune_entropy, "logits", "beta", 0, logits, beta,
                         reduction, loss, dlogits, "dlogits");
}

clnn_status clnn_z_loss(clnn_context *ctx, const clnn_tensor *logits, float coef, clnn_reduction reduction,
                        clnn_tensor *loss, clnn_tensor *dlogits)
{
    return logit_penalty(ctx, "clnn_z_loss", &tune_z, "logits", "coef", 1, logits, coef, reduction, loss, dlogits,
                         "dlogits");
}

clnn_status clnn_prob_entropy_penalty(clnn_context *ctx, const clnn_tensor *probs, float beta,
                                      clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dprobs)
{
    return logit_penalty(ctx, "clnn_prob_entropy_penalty", &tune_prob_entropy, "probs", "beta", 0, probs, beta,
                         reduction, loss, dprobs, "dprobs");
}

/* ------------------------------------------------------- divergences */

/* Checks of a divergence between two logit sets with two optional gradients. */
static clnn_status check_pair(clnn_context *ctx, const char *fn, const clnn_tensor *zp, const clnn_tensor *zq,
                              clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dzp, clnn_tensor *dzq,
                              size_t *rows, size_t *cols)
{
    TRY(check_rows(ctx, fn, "zp", zp, rows, cols));
    TRY(check_same_rows(ctx, fn, "zp", zp, "zq", zq));
    TRY(check_reduction(ctx, fn, reduction));
    CHECK_ARG(ctx, loss || dzp || dzq, "%s: loss, dzp and dzq are all NULL: nothing to compute", fn);
    if (loss || dzp) TRY(clnn__check_loss_outputs(ctx, fn, zp, zq, loss, dzp, "dzp"));
    if (dzq) TRY(clnn__check_loss_outputs(ctx, fn, zq, zp, loss, dzq, "dzq"));
    CHECK_ARG(ctx, !dzp || !dzq || dzp->buffer != dzq->buffer, "%s: dzp and dzq must differ", fn);
    return CLNN_OK;
}

clnn_status clnn_kl_div_logits(clnn_context *ctx, const clnn_tensor *zp, const clnn_tensor *zq,
                               clnn_kl_direction direction, clnn_reduction reduction, clnn_tensor *loss,
                               clnn_tensor *dzp, clnn_tensor *dzq)
{
    static const char *fn = "clnn_kl_div_logits";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
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
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int want_gp = dzp != NULL, want_gq = dzq != NULL;
    float scale = reduction_scale(reduction, rows);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(gp),      KARG_BUF(gq),      KARG_BUF(zp->buffer),
                         KARG_BUF(zq->buffer), KARG(ncols),    KARG(lanes),       KARG(scale),
                         KARG(want_gp),     KARG(want_gq),     KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return run_row_loss(ctx, fn, &tune_kl, rows, cols, &partial, 11, args, loss, scale);
}

clnn_status clnn_js_div_logits(clnn_context *ctx, const clnn_tensor *zp, const clnn_tensor *zq,
                               clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dzp, clnn_tensor *dzq)
{
    static const char *fn = "clnn_js_div_logits";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
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
        cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
        float scale = reduction_scale(reduction, rows);
        clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(gp),  KARG_BUF(gq),    KARG_BUF(zp->buffer),
                             KARG_BUF(zq->buffer), KARG(ncols), KARG(lanes),    KARG(scale),
                             KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
        st = run_row_loss(ctx, fn, &tune_js, rows, cols, &partial, 9, args, loss, scale);
    }
    if (!dzp && gp) clReleaseMemObject(gp);
    if (!dzq && gq) clReleaseMemObject(gq);
    return st;
}

/* ----------------------------------------------------------- StableMax */

static clnn_status stablemax_rows(clnn_context *ctx, const char *fn, const clnn_tensor *x, const clnn_tensor *dy,
                                  clnn_tensor *out, const char *out_name)
{
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    size_t rows, cols;
    TRY(check_rows(ctx, fn, "x", x, &rows, &cols));
    if (dy) TRY(check_same_rows(ctx, fn, "x", x, "dy", dy));
    TRY(check_same_rows(ctx, fn, "x", x, out_name, out));
    CHECK_ARG(ctx, out->buffer != x->buffer && (!dy || out->buffer != dy->buffer),
              "%s: %s must not alias an input", fn, out_name);
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int backward = dy != NULL;
    cl_mem dy_buf = dy ? dy->buffer : x->buffer;
    clnn__karg args[] = {KARG_BUF(out->buffer), KARG_BUF(x->buffer), KARG_BUF(dy_buf), KARG(ncols), KARG(lanes),
                         KARG(backward), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {rows, cols};
    return clnn__run(ctx, fn, &tune_stablemax, problem, 7, args);
}

clnn_status clnn_stablemax_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y)
{
    return stablemax_rows(ctx, "clnn_stablemax_forward", x, NULL, y, "y");
}

clnn_status clnn_stablemax_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy, clnn_tensor *dx)
{
    static const char *fn = "clnn_stablemax_backward";
    if (ctx) TRY(clnn__check_tensor(ctx, fn, "dy", dy));
    return stablemax_rows(ctx, fn, x, dy, dx, "dx");
}

clnn_status clnn_stablemax_cross_entropy(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                         clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    static const char *fn = "clnn_stablemax_cross_entropy";
    if (!ctx) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    size_t rows, cols;
    TRY(check_rows(ctx, fn, "logits", logits, &rows, &cols));
    TRY(check_labels(ctx, fn, labels, rows));
    CHECK_SHAPE(ctx, cols <= 0x7FFFFFFF, "%s: more than 2^31 - 1 classes", fn);
    TRY(check_reduction(ctx, fn, reduction));
    TRY(clnn__check_loss_outputs(ctx, fn, logits, labels, loss, dlogits, "dlogits"));
    cl_mem partial = NULL;
    cl_mem grad_buf = dlogits ? dlogits->buffer : logits->buffer; /* untouched without want_grad */
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int want_grad = dlogits != NULL;
    float scale = reduction_scale(reduction, rows);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(grad_buf), KARG_BUF(logits->buffer), KARG_BUF(labels->buffer),
                         KARG(ncols),       KARG(lanes),        KARG(scale),              KARG(want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return run_row_loss(ctx, fn, &tune_stablemax_ce, rows, cols, &partial, 9, args, loss, scale);
}
