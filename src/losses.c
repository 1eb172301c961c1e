/* Host side of the classification losses (cl/losses.cl, include/clnn/losses.h):
 * argument checks, the parameter vector of py_loss, and one row-kernel launch
 * per call followed by the value stage of common/loss_value.h (the deterministic
 * sum of the per-row partials; reduction NONE: the loss tensor is the
 * partials buffer itself). Every call takes the label weights of
 * common/label_weights.h: one more launch when given. */
#include "common/label_weights.h"
#include "tune_family.h"
#include "sparse/sparse_internal.h" /* clnn__sort: the label runs of clnn_spherical_z_loss_hidden */

#define CLNN_TABLE "losses_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* The hidden-layer Z-loss on h [P0, P1] and 10 classes, every output; the
 * problem of its wfix kernel is the C classes: C = P0 (at least 3), d = 16,
 * 4 rows. */
static void exercise_zh(clnn__exercise *b, const clnn__tunable *t, const size_t problem[2], clnn_tensor *loss)
{
    int wfix = t == &tune_zh_wfix;
    size_t rows = problem[0], n = wfix ? 4 : rows, d = wfix ? 16 : problem[1], c = wfix ? (rows < 3 ? 3 : rows) : 10;
    clnn_tensor *h = EX_RAND(b, n, d), *w = EX_RAND(b, c, d), *bias = EX_RAND(b, c), *dh = EX_RAND(b, n, d);
    clnn_tensor *dw = EX_RAND(b, c, d), *db = EX_RAND(b, c);
    EX_STEP(b, clnn_spherical_z_loss_hidden(b->ctx, h, w, bias, clnn__exercise_ints(b, n, c, 7), 0.1f, 10.0f, 1e-6f,
                                            NULL, CLNN_REDUCE_MEAN, loss, dh, dw, db));
}

/* [P0 rows, P1 classes] (at least 2; 3 for the spherical Z-loss); py_loss
 * with every robust term and label smoothing, the NFL and smoothing passes
 * included; ASL with every target 1;
 * ELR on a state of P0 samples. */
static clnn_status exercise_losses(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t rows = problem[0], cols = problem[1] < 2 ? 2 : problem[1];
    clnn_tensor *x = EX_RAND(&b, rows, cols), *grad = EX_RAND(&b, rows, cols), *loss = EX_RAND(&b, 1);
    clnn_tensor *labels = clnn__exercise_ints(&b, rows, cols, 7);
    if (t == &tune_asl) {
        clnn_tensor *targets = EX_RAND(&b, rows, cols);
        EX_STEP(&b, clnn_tensor_fill(targets, 1.0f));
        EX_STEP(&b, clnn_asymmetric_loss(ctx, x, targets, 1.0f, 4.0f, 0.05f, NULL, CLNN_REDUCE_MEAN, loss, grad));
    } else if (t == &tune_spherical) { /* at least 3 classes (the Z-loss is constant at 2) */
        const size_t cz = cols < 3 ? 3 : cols;
        clnn_tensor *xz = cz == cols ? x : EX_RAND(&b, rows, cz), *gz = cz == cols ? grad : EX_RAND(&b, rows, cz);
        EX_STEP(&b, clnn_spherical_z_loss(ctx, xz, cz == cols ? labels : clnn__exercise_ints(&b, rows, cz, 7), 0.1f,
                                          10.0f, 1e-6f, NULL, CLNN_REDUCE_MEAN, loss, gz));
    } else if (t == &tune_zh || t == &tune_zh_wfix || t == &tune_zh_scatter || t == &tune_zh_colsum) {
        exercise_zh(&b, t, problem, loss);
    } else if (t == &tune_elr) {
        clnn_tensor *state = EX_UNIFORM(&b, 0.0f, 1.0f / (float)cols, rows, cols);
        EX_STEP(&b, clnn_elr_loss(ctx, x, labels, clnn__exercise_ints(&b, rows, rows, rows - 1), state, 3.0f, 0.7f,
                                  NULL, CLNN_REDUCE_MEAN, loss, grad));
    } else {
        clnn_robust_loss_options w = {sizeof(clnn_robust_loss_options), 1, 1, 1, 1, 1, 1, -4.0f, 0.7f, 0.5f};
        clnn_label_weights smoothing;
        clnn_label_weights_init(&smoothing);
        smoothing.label_smoothing = 0.1f;
        EX_STEP(&b, clnn_robust_loss(ctx, x, labels, &w, &smoothing, CLNN_REDUCE_MEAN, loss, grad));
    }
    return clnn__exercise_end(&b);
}

/* ------------------------------------------------------------- checks */

/* Rows and classes of the logits (fp32, 32-bit element indices, labels
 * compared as int); at least min_classes classes. */
static clnn_status check_logits(clnn_context *ctx, const char *fn, const clnn_tensor *logits, size_t min_classes,
                                const char *why, size_t *rows, size_t *cols)
{
    TRY(clnn__check_rows(ctx, fn, "logits", logits, rows, cols));
    CHECK_SHAPE(ctx, *cols <= 0x7FFFFFFF, "%s: more than 2^31 - 1 classes", fn);
    CHECK_SHAPE(ctx, *cols >= min_classes, "%s: logits has %zu class(es); %s needs at least %zu", fn, *cols, why,
                min_classes);
    return CLNN_OK;
}

/* An int32 tensor of exactly rows entries. */
static clnn_status check_ints(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, size_t rows)
{
    return clnn__check_labels(ctx, fn, name, t, rows, "logits");
}

/* The reduction, loss (1 element, or rows elements for NONE) and dlogits
 * (logits' shape): fp32, not both NULL, neither aliasing an input nor each
 * other. */
static clnn_status check_outputs(clnn_context *ctx, const char *fn, clnn_reduction reduction, size_t rows,
                                 const clnn_tensor *logits, const clnn_tensor *const *inputs, size_t ninputs,
                                 clnn_tensor *loss, clnn_tensor *dlogits)
{
    const clnn__loss_red red = {reduction, rows, "row"};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dlogits, "dlogits", logits, "logits"}};
    return clnn__check_loss_io(ctx, fn, &red, ninputs, inputs, 2, out);
}

/* A call's label weights (NULL: none), checked, with its tensors as inputs
 * the outputs must not alias. */
typedef struct weighting {
    clnn_label_weights w;
    int given;
} weighting;

/* smoothing: the loss offers label smoothing (the losses of log p_y). */
static clnn_status check_weights(clnn_context *ctx, const char *fn, const clnn_label_weights *weights,
                                 int has_labels, int smoothing, size_t rows, size_t cols, weighting *out)
{
    return clnn__check_label_weights(ctx, fn, weights, has_labels, smoothing, "this loss has none", rows, cols,
                                     &out->w, &out->given);
}

/* The kernel arguments (wbuf, weighted, ignore_index) before run_weighted fills them. */
#define WEIGHTING ((clnn__karg){0, NULL, 0, 0})

/* The launch of a row kernel over rows x cols with labels of `classes`
 * classes, whose arguments (wbuf, weighted, ignore_index) are args[slot],
 * args[slot + 1], args[slot + 2], filled here from the label_row_weights
 * launch (stand_in: any buffer of the call, unread when unweighted). */
static clnn_status run_weighted(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *variant,
                                const weighting *wt, cl_mem stand_in, const clnn_tensor *labels, size_t rows,
                                size_t cols, size_t classes, cl_mem *partial, size_t nargs, clnn__karg *args,
                                size_t slot, clnn_reduction reduction, clnn_tensor *loss)
{
    clnn__row_weights rw;
    TRY(clnn__row_weights_make(ctx, fn, wt->given ? &wt->w : NULL, labels, rows, classes, reduction, stand_in,
                               &rw));
    args[slot] = KARG_BUF(rw.arg);
    args[slot + 1] = KARG(rw.weighted);
    args[slot + 2] = KARG(rw.ignore_index);
    clnn_status st =
        clnn__run_weighted_row_loss(ctx, fn, t, variant, rows, cols, partial, nargs, args, reduction, loss, &rw);
    clnn__row_weights_release(&rw);
    return st;
}

static int finite_at_least(float x, float lo) { return clnn__is_finite(x) && x >= lo; }

/* The launch of asl_loss and spherical_z, whose arguments are (partial,
 * grad, logits, second input, rows, cols, lanes, three parameters, scale,
 * want_grad, scratch); the arguments are checked. */
static clnn_status run_three_params(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                                    const clnn_tensor *logits, const clnn_tensor *second, const clnn_tensor *labels,
                                    size_t rows, size_t cols, float p1, float p2, float p3, const weighting *wt,
                                    clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, reduction, rows);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(logits->buffer), KARG_BUF(second->buffer),
                         KARG(nrows),       KARG(ncols),      KARG(lanes),              KARG(p1),
                         KARG(p2),          KARG(p3),         KARG(g.scale),            WEIGHTING,
                         WEIGHTING,         WEIGHTING,    KARG(g.want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return run_weighted(ctx, fn, t, NULL, wt, logits->buffer, labels, rows, cols, cols, &partial, 16, args, 11,
                        reduction, loss);
}

/* ------------------------------------------------- losses of log p_y */

/* Slots of py_loss's float16 (cl/losses.cl documents each term). */
enum { W_CE, W_LINEAR, W_GCE, GCE_Q, W_FOCAL, FOCAL_GAMMA, W_POLY, W_ENC, ENC_LOG_END, W_SQ, W_NCE, W_NFL, NFL_GAMMA,
       SMOOTH_EPS };

static clnn_status py_loss(clnn_context *ctx, const char *fn, const clnn_tensor *logits, const clnn_tensor *labels,
                           const clnn_tensor *alpha, const cl_float16 *w, size_t min_classes, const char *why,
                           const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss,
                           clnn_tensor *dlogits)
{
    size_t rows, cols;
    TRY(check_logits(ctx, fn, logits, min_classes, why, &rows, &cols));
    TRY(check_ints(ctx, fn, "labels", labels, rows));
    if (alpha) {
        TRY(clnn__check_f32(ctx, fn, "alpha", alpha, 0));
        CHECK_SHAPE(ctx, alpha->count == cols, "%s: alpha has %zu elements, logits has %zu classes", fn,
                    alpha->count, cols);
    }
    weighting wt;
    TRY(check_weights(ctx, fn, weights, 1, 1, rows, cols, &wt));
    const clnn_tensor *inputs[] = {logits, labels, alpha, wt.w.row_weights, wt.w.class_weights};
    TRY(check_outputs(ctx, fn, reduction, rows, logits, inputs, 5, loss, dlogits));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, reduction, rows);
    cl_mem alpha_buf = alpha ? alpha->buffer : logits->buffer; /* unread without has_alpha */
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_int has_alpha = alpha != NULL;
    cl_float16 ws = *w; /* with label smoothing's eps (cl/losses.cl's LOSS_SMOOTH) */
    ws.s[SMOOTH_EPS] = wt.w.label_smoothing;
    clnn__karg args[] = {KARG_BUF(partial),   KARG_BUF(g.grad),  KARG_BUF(logits->buffer), KARG_BUF(labels->buffer),
                         KARG_BUF(alpha_buf), KARG(nrows),       KARG(ncols),              KARG(lanes),
                         KARG(ws),            KARG(has_alpha),   KARG(g.scale),            WEIGHTING,
                         WEIGHTING,           WEIGHTING,     KARG(g.want_grad),        KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    const int nfl = w->s[W_NFL] != 0.0f, smooth = ws.s[SMOOTH_EPS] != 0.0f;
    const char *variants[2][2] = {{NULL, "-DLOSS_SMOOTH=1"}, {"-DLOSS_NFL=1", "-DLOSS_NFL=1 -DLOSS_SMOOTH=1"}};
    return run_weighted(ctx, fn, &tune_py, variants[nfl][smooth], &wt, logits->buffer, labels, rows, cols, cols,
                        &partial, 16, args, 11, reduction, loss);
}

clnn_status clnn_focal_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                            const clnn_tensor *alpha, float gamma, float poly_eps, const clnn_label_weights *weights, clnn_reduction reduction,
                            clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, finite_at_least(gamma, 0.0f), "%s: gamma %g is not finite and >= 0", fn, (double)gamma);
    CHECK_ARG(ctx, finite_at_least(poly_eps, -1.0f), "%s: poly_eps %g is not finite and >= -1", fn,
              (double)poly_eps);
    cl_float16 w = {{0}};
    w.s[W_FOCAL] = 1.0f;
    w.s[FOCAL_GAMMA] = gamma;
    w.s[W_POLY] = poly_eps;
    return py_loss(ctx, fn, logits, labels, alpha, &w, 1, "", weights, reduction, loss, dlogits);
}

clnn_status clnn_poly1_cross_entropy(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                     float eps, const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, finite_at_least(eps, -1.0f), "%s: eps %g is not finite and >= -1", fn, (double)eps);
    cl_float16 w = {{0}};
    w.s[W_CE] = 1.0f;
    w.s[W_LINEAR] = eps;
    return py_loss(ctx, fn, logits, labels, NULL, &w, 1, "", weights, reduction, loss, dlogits);
}

clnn_status clnn_squentropy(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                            const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    cl_float16 w = {{0}};
    w.s[W_CE] = 1.0f;
    w.s[W_SQ] = 1.0f;
    return py_loss(ctx, fn, logits, labels, NULL, &w, 2, "the average over the incorrect classes", weights,
                   reduction, loss, dlogits);
}

void clnn_robust_loss_options_init(clnn_robust_loss_options *opt)
{
    if (!opt) return;
    *opt = (clnn_robust_loss_options){sizeof *opt, 0, 0, 0, 0, 0, 0, -4.0f, 0.7f, 0.0f};
}

clnn_status clnn_robust_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                             const clnn_robust_loss_options *opt, const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss,
                             clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, opt, "%s: opt is NULL", fn);
    CLNN_OPTIONS(clnn_robust_loss_options, rw_, opt);
    const clnn_robust_loss_options *rw = &rw_;
    const float term_w[] = {rw->ce, rw->nce, rw->rce, rw->mae, rw->gce, rw->nfl};
    const char *names[] = {"ce", "nce", "rce", "mae", "gce", "nfl"};
    int any = 0;
    for (size_t i = 0; i < 6; i++) {
        CHECK_ARG(ctx, finite_at_least(term_w[i], 0.0f), "%s: weight %s %g is not finite and >= 0", fn, names[i],
                  (double)term_w[i]);
        any |= term_w[i] > 0.0f;
    }
    CHECK_ARG(ctx, any, "%s: every weight is 0: nothing to compute", fn);
    CHECK_ARG(ctx, rw->rce == 0.0f || (clnn__is_finite(rw->rce_log_zero) && rw->rce_log_zero < 0.0f),
              "%s: rce_log_zero %g is not finite and < 0", fn, (double)rw->rce_log_zero);
    CHECK_ARG(ctx, rw->gce == 0.0f || (clnn__is_finite(rw->gce_q) && rw->gce_q > 0.0f && rw->gce_q <= 1.0f),
              "%s: gce_q %g is not in (0, 1]", fn, (double)rw->gce_q);
    CHECK_ARG(ctx, rw->nfl == 0.0f || finite_at_least(rw->nfl_gamma, 0.0f), "%s: nfl_gamma %g is not finite and >= 0",
              fn, (double)rw->nfl_gamma);
    cl_float16 w = {{0}};
    w.s[W_CE] = rw->ce;
    /* RCE = -A (1 - p_y) and MAE = 2 (1 - p_y) share the linear slot */
    w.s[W_LINEAR] = (rw->rce != 0.0f ? -rw->rce_log_zero * rw->rce : 0.0f) + 2.0f * rw->mae;
    w.s[W_GCE] = rw->gce;
    w.s[GCE_Q] = rw->gce != 0.0f ? rw->gce_q : 1.0f;
    w.s[W_NCE] = rw->nce;
    w.s[W_NFL] = rw->nfl;
    w.s[NFL_GAMMA] = rw->nfl != 0.0f ? rw->nfl_gamma : 0.0f;
    int normalized = rw->nce != 0.0f || rw->nfl != 0.0f;
    return py_loss(ctx, fn, logits, labels, NULL, &w, normalized ? 2 : 1, "a normalized loss (nce, nfl)", weights,
                   reduction, loss, dlogits);
}

clnn_status clnn_encouraging_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                  float log_end, const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, clnn__is_finite(log_end) && log_end > 0.0f && log_end <= 1.0f, "%s: log_end %g is not in (0, 1]",
              fn, (double)log_end);
    cl_float16 w = {{0}};
    w.s[W_CE] = 1.0f;
    w.s[W_ENC] = 1.0f;
    w.s[ENC_LOG_END] = log_end;
    return py_loss(ctx, fn, logits, labels, NULL, &w, 1, "", weights, reduction, loss, dlogits);
}

/* ------------------------------------------------------------------ ASL */

clnn_status clnn_asymmetric_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *targets,
                                 float gamma_pos, float gamma_neg, float clip, const clnn_label_weights *weights, clnn_reduction reduction,
                                 clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(check_logits(ctx, fn, logits, 1, "", &rows, &cols));
    TRY(clnn__check_f32(ctx, fn, "targets", targets, 0));
    CHECK_SHAPE(ctx, targets->count == logits->count && targets->shape[targets->ndim - 1] == cols,
                "%s: targets must have the shape of logits (%zu rows of %zu)", fn, rows, cols);
    CHECK_ARG(ctx, finite_at_least(gamma_pos, 0.0f), "%s: gamma_pos %g is not finite and >= 0", fn,
              (double)gamma_pos);
    CHECK_ARG(ctx, finite_at_least(gamma_neg, 0.0f), "%s: gamma_neg %g is not finite and >= 0", fn,
              (double)gamma_neg);
    CHECK_ARG(ctx, clnn__is_finite(clip) && clip >= 0.0f && clip < 1.0f, "%s: clip %g is not in [0, 1)", fn,
              (double)clip);
    weighting wt;
    TRY(check_weights(ctx, fn, weights, 0, 0, rows, cols, &wt));
    const clnn_tensor *inputs[] = {logits, targets, wt.w.row_weights};
    TRY(check_outputs(ctx, fn, reduction, rows, logits, inputs, 3, loss, dlogits));
    return run_three_params(ctx, fn, &tune_asl, logits, targets, NULL, rows, cols, gamma_pos, gamma_neg, clip, &wt,
                            reduction, loss, dlogits);
}

/* ------------------------------------------------------ spherical Z-loss */

/* Why the Z-loss needs 3 classes: with 2, every z-normalized row is
 * ±(1, −1) (up to eps), so the loss is constant in the logits and its
 * gradient 0 (the hidden-layer form returned rounding noise). */
#define ZLOSS_MIN_CLASSES 3
#define ZLOSS_WHY                                                                                                  \
    "the spherical Z-loss needs at least 3: with 2 every z-normalized row is +-(1, -1) whatever the logits, so "  \
    "the loss would be constant and its gradient 0"

clnn_status clnn_spherical_z_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels, float a,
                                  float b, float eps, const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss,
                                  clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(check_logits(ctx, fn, logits, 1, "", &rows, &cols));
    CHECK_SHAPE(ctx, cols >= ZLOSS_MIN_CLASSES, "%s: logits has %zu class(es); " ZLOSS_WHY, fn, cols);
    TRY(check_ints(ctx, fn, "labels", labels, rows));
    CHECK_ARG(ctx, clnn__is_finite(a) && a > 0.0f, "%s: a %g is not finite and > 0", fn, (double)a);
    CHECK_ARG(ctx, clnn__is_finite(b), "%s: b is not finite", fn);
    CHECK_ARG(ctx, finite_at_least(eps, 0.0f), "%s: eps %g is not finite and >= 0", fn, (double)eps);
    weighting wt;
    TRY(check_weights(ctx, fn, weights, 1, 0, rows, cols, &wt));
    const clnn_tensor *inputs[] = {logits, labels, wt.w.row_weights, wt.w.class_weights};
    TRY(check_outputs(ctx, fn, reduction, rows, logits, inputs, 4, loss, dlogits));
    return run_three_params(ctx, fn, &tune_spherical, logits, labels, labels, rows, cols, a, b, eps, &wt, reduction,
                            loss, dlogits);
}

/* ------------------------------------------------------------------ ELR */

clnn_status clnn_elr_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                          const clnn_tensor *sample_ids, clnn_tensor *targets, float lambda, float beta,
                          const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(check_logits(ctx, fn, logits, 1, "", &rows, &cols));
    if (labels) TRY(check_ints(ctx, fn, "labels", labels, rows));
    TRY(check_ints(ctx, fn, "sample_ids", sample_ids, rows));
    TRY(clnn__check_f32(ctx, fn, "targets", targets, 0));
    TRY(clnn__check_count32(ctx, fn, "targets", targets));
    CHECK_SHAPE(ctx, targets->shape[targets->ndim - 1] == cols,
                "%s: targets must have one row of %zu classes per sample, its last dimension is %zu", fn, cols,
                targets->shape[targets->ndim - 1]);
    CHECK_ARG(ctx, !clnn__alias(targets, logits) && !clnn__alias(targets, sample_ids) &&
                       (!labels || !clnn__alias(targets, labels)),
              "%s: targets must not alias an input", fn);
    CHECK_ARG(ctx, clnn__is_finite(lambda), "%s: lambda is not finite", fn);
    CHECK_ARG(ctx, clnn__is_finite(beta) && beta >= 0.0f && beta < 1.0f, "%s: beta %g is not in [0, 1)", fn,
              (double)beta);
    weighting wt;
    TRY(check_weights(ctx, fn, weights, labels != NULL, labels != NULL, rows, cols, &wt));
    const clnn_tensor *inputs[] = {logits, labels, sample_ids, targets, wt.w.row_weights, wt.w.class_weights};
    TRY(check_outputs(ctx, fn, reduction, rows, logits, inputs, 6, loss, dlogits));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, reduction, rows);
    cl_mem label_buf = labels ? labels->buffer : sample_ids->buffer; /* unread without has_labels */
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    cl_uint nsamples = (cl_uint)(targets->count / cols);
    cl_int has_labels = labels != NULL;
    clnn__karg args[] = {KARG_BUF(partial),   KARG_BUF(g.grad), KARG_BUF(logits->buffer), KARG_BUF(label_buf),
                         KARG_BUF(sample_ids->buffer),          KARG_BUF(targets->buffer), KARG(nrows),
                         KARG(ncols),         KARG(lanes),      KARG(nsamples),           KARG(lambda),
                         KARG(beta),          KARG(g.scale),    WEIGHTING, WEIGHTING,
                         WEIGHTING,       KARG(has_labels), KARG(g.want_grad),        KARG(wt.w.label_smoothing),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return run_weighted(ctx, fn, &tune_elr, NULL, &wt, logits->buffer, labels, rows, cols, cols, &partial, 20, args,
                        13, reduction, loss);
}

/* ------------------------------------- spherical Z-loss from the hidden layer */

/* A row-major matrix operand (ld columns) at a float offset. */
static clnn__gemm_operand zh_mat(cl_mem buf, size_t offset, size_t ld)
{
    clnn__gemm_operand m = {buf, offset, ld, 0};
    return m;
}

/* The per-call scratch of clnn_spherical_z_loss_hidden: the weight
 * statistics (s, Σb, u, Σb²), Q = WᵀW, the rows' Q h, the rows' (K, α, β),
 * β h, the colsum of h with (α, β), M = Σ β h hᵀ, and the labels after a
 * stable sort with its permutation. */
enum { ZH_STATS, ZH_Q, ZH_QH, ZH_COEF, ZH_HB, ZH_V, ZH_M, ZH_SORTED, ZH_PERM, ZH_NBUF };

static void zh_release(cl_mem *buf)
{
    for (int i = 0; i < ZH_NBUF; i++)
        if (buf[i]) clReleaseMemObject(buf[i]);
}

/* out = the weighted column sums of x [rows, d] (cl/losses.cl
 * spherical_z_hidden_colsum): w1 from wt at w1off (has_w1), w2 at w2off
 * (has_w2), stride wstride; the extra column e (has_e) or 1. */
static clnn_status zh_colsum(clnn_context *ctx, const char *fn, cl_mem out, cl_mem x, cl_mem wt, cl_mem e,
                             size_t rows, size_t d, cl_uint w1off, cl_uint w2off, cl_uint wstride, cl_int has_w1,
                             cl_int has_w2, cl_int has_e)
{
    cl_uint nr = (cl_uint)rows, nd = (cl_uint)d, lanes = clnn__row_lanes(rows);
    clnn__karg args[] = {KARG_BUF(out),  KARG_BUF(x),    KARG_BUF(wt),     KARG_BUF(e),    KARG(nr),
                         KARG(nd),       KARG(lanes),    KARG(w1off),      KARG(w2off),    KARG(wstride),
                         KARG(has_w1),   KARG(has_w2),   KARG(has_e),      KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    const size_t problem[2] = {d + 1, rows};
    return clnn__run(ctx, fn, &tune_zh_colsum, problem, 14, args);
}

/* The weight statistics and Q = WᵀW; the rows' Q h (GEMM) and the row kernel
 * (loss, dh, the per-row coefficients); then M and dW = W M (GEMMs), the
 * dense terms with db, and the label terms. */
static clnn_status zh_run(clnn_context *ctx, const char *fn, const clnn_tensor *h, const clnn_tensor *W,
                          const clnn_tensor *bias, const clnn_tensor *labels, size_t rows, size_t d, size_t classes,
                          float a, float b, float eps, const weighting *wt, clnn_reduction reduction,
                          clnn_tensor *loss, clnn_tensor *dh, clnn_tensor *dW, clnn_tensor *db, cl_mem *buf)
{
    const int want_w = dW || db;
    const size_t sizes[ZH_NBUF] = {2 * d + 2, d * d, rows * d, want_w ? 3 * rows : 1, want_w ? rows * d : 1,
                                   2 * d + 2, d * d, rows,     rows};
    for (int i = 0; i < ZH_NBUF; i++) {
        if ((i == ZH_V || i == ZH_SORTED || i == ZH_PERM) && !want_w) continue;
        if (i == ZH_M && !dW) continue;
        TRY(clnn__scratch(ctx, fn, sizes[i], &buf[i]));
    }
    cl_mem wb = W->buffer, hbuf = h->buffer, bias_buf = bias ? bias->buffer : wb;
    cl_int has_bias = bias != NULL;
    TRY(zh_colsum(ctx, fn, buf[ZH_STATS], wb, bias_buf, bias_buf, classes, d, 0, 0, 1, 0, has_bias, has_bias));
    TRY(clnn__sgemm(ctx, fn, 1, 0, d, d, classes, 1.0f, zh_mat(wb, 0, d), zh_mat(wb, 0, d), 0.0f,
                    zh_mat(buf[ZH_Q], 0, d), 1));
    /* the rows: Q h of each (h Qᵀ), then the row kernel */
    TRY(clnn__sgemm(ctx, fn, 0, 1, rows, d, d, 1.0f, zh_mat(hbuf, 0, d), zh_mat(buf[ZH_Q], 0, d), 0.0f,
                    zh_mat(buf[ZH_QH], 0, d), 1));
    cl_mem partial = NULL, dh_buf = dh ? dh->buffer : buf[ZH_Q];
    cl_mem coef_buf = want_w ? buf[ZH_COEF] : buf[ZH_Q], hb_buf = want_w ? buf[ZH_HB] : buf[ZH_Q];
    cl_uint nd = (cl_uint)d, nc = (cl_uint)classes, lanes = clnn__row_lanes(d);
    cl_int want_dh = dh != NULL, want_coef = want_w;
    float scale = clnn__loss_scale(reduction, rows);
    clnn__karg args[] = {KARG_BUF(partial),         KARG_BUF(dh_buf),        KARG_BUF(coef_buf),
                         KARG_BUF(hb_buf),          KARG_BUF(hbuf),          KARG_BUF(wb),
                         KARG_BUF(bias_buf),        KARG_BUF(labels->buffer), KARG_BUF(buf[ZH_STATS]),
                         KARG_BUF(buf[ZH_QH]),      KARG(nd),                KARG(nc),
                         KARG(lanes),               KARG(a),                 KARG(b),
                         KARG(eps),                 KARG(scale),             WEIGHTING,
                         WEIGHTING,                 WEIGHTING,             KARG(has_bias),
                         KARG(want_dh),             KARG(want_coef),         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    TRY(run_weighted(ctx, fn, &tune_zh, NULL, wt, wb, labels, rows, d, classes, &partial, 24, args, 17, reduction,
                     loss));
    if (!want_w) return CLNN_OK;
    /* v = (Σα h, Σα, Σβ h, Σβ) */
    TRY(zh_colsum(ctx, fn, buf[ZH_V], hbuf, buf[ZH_COEF], buf[ZH_COEF], rows, d, 1, 2, 3, 1, 1, 0));
    if (dW) { /* M = Σ β_n h_n h_nᵀ; dW = W M */
        TRY(clnn__sgemm(ctx, fn, 1, 0, d, d, rows, 1.0f, zh_mat(buf[ZH_HB], 0, d), zh_mat(hbuf, 0, d), 0.0f,
                        zh_mat(buf[ZH_M], 0, d), 1));
        TRY(clnn__sgemm(ctx, fn, 0, 0, classes, d, d, 1.0f, zh_mat(wb, 0, d), zh_mat(buf[ZH_M], 0, d), 0.0f,
                        zh_mat(dW->buffer, 0, d), 1));
    }
    cl_mem dw_buf = dW ? dW->buffer : db->buffer, db_buf = db ? db->buffer : dW->buffer;
    cl_int want_dw = dW != NULL, want_db = db != NULL;
    clnn__karg fix[] = {KARG_BUF(dw_buf), KARG_BUF(db_buf), KARG_BUF(wb), KARG_BUF(bias_buf), KARG_BUF(buf[ZH_V]),
                        KARG(nc), KARG(nd), KARG(has_bias), KARG(want_dw), KARG(want_db)};
    const size_t fix_problem[2] = {classes, 1};
    TRY(clnn__run(ctx, fn, &tune_zh_wfix, fix_problem, 10, fix));
    /* the label terms: each label's rows adjacent, in row order (the labels'
     * int32 bits sort as fp32 keys in the order of the non-negative ints) */
    TRY(clnn__sort(ctx, fn, CLNN__SORT_F32_ASC, labels->buffer, NULL, buf[ZH_SORTED], buf[ZH_PERM], rows));
    cl_uint nrows = (cl_uint)rows;
    clnn__karg sc[] = {KARG_BUF(dw_buf),          KARG_BUF(db_buf),        KARG_BUF(hbuf), KARG_BUF(buf[ZH_COEF]),
                       KARG_BUF(buf[ZH_SORTED]), KARG_BUF(buf[ZH_PERM]), KARG(nrows),    KARG(nd),
                       KARG(nc),                 KARG(want_dw),          KARG(want_db)};
    const size_t sc_problem[2] = {rows, d};
    return clnn__run(ctx, fn, &tune_zh_scatter, sc_problem, 11, sc);
}

clnn_status clnn_spherical_z_loss_hidden(clnn_context *ctx, const clnn_tensor *h, const clnn_tensor *W,
                                         const clnn_tensor *bias, const clnn_tensor *labels, float a, float b,
                                         float eps, const clnn_label_weights *weights, clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dh,
                                         clnn_tensor *dW, clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    size_t rows, d;
    TRY(clnn__check_rows(ctx, fn, "h", h, &rows, &d));
    TRY(clnn__check_f32(ctx, fn, "W", W, 0));
    TRY(clnn__check_count32(ctx, fn, "W", W));
    char sw[64];
    CHECK_SHAPE(ctx, W->ndim == 2 && W->shape[1] == d,
                "%s: W is %s; it must be [C, d] with d = %zu, the last dimension of h", fn,
                clnn__shape_str(W, sw, sizeof sw), d);
    const size_t classes = W->shape[0];
    CHECK_SHAPE(ctx, classes >= ZLOSS_MIN_CLASSES, "%s: W has %zu class(es); " ZLOSS_WHY, fn, classes);
    if (bias) {
        TRY(clnn__check_f32(ctx, fn, "bias", bias, 0));
        CHECK_SHAPE(ctx, bias->count == classes, "%s: bias has %zu elements, W has %zu classes", fn, bias->count,
                    classes);
    }
    TRY(clnn__check_labels(ctx, fn, "labels", labels, rows, "h"));
    CHECK_SHAPE(ctx, rows <= 0x7FFFFFFFu, "%s: h has %zu rows; the label sort needs fewer than 2^31", fn, rows);
    CHECK_ARG(ctx, clnn__is_finite(a) && a > 0.0f, "%s: a %g is not finite and > 0", fn, (double)a);
    CHECK_ARG(ctx, clnn__is_finite(b), "%s: b is not finite", fn);
    CHECK_ARG(ctx, finite_at_least(eps, 0.0f), "%s: eps %g is not finite and >= 0", fn, (double)eps);
    CHECK_ARG(ctx, !db || bias, "%s: db is given but bias is NULL", fn);
    weighting wt;
    TRY(check_weights(ctx, fn, weights, 1, 0, rows, classes, &wt));
    const clnn__loss_red red = {reduction, rows, "row"};
    const clnn_tensor *inputs[] = {h, W, bias, labels, wt.w.row_weights, wt.w.class_weights};
    const clnn__loss_output out[4] = {{loss, "loss", NULL, NULL},
                                      {dh, "dh", h, "h"},
                                      {dW, "dW", W, "W"},
                                      {db, "db", bias, "bias"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 6, inputs, 4, out));
    cl_mem buf[ZH_NBUF] = {NULL};
    clnn_status st =
        zh_run(ctx, fn, h, W, bias, labels, rows, d, classes, a, b, eps, &wt, reduction, loss, dh, dW, db, buf);
    zh_release(buf);
    return st;
}
