/* Host side of the losses (cl/layers_loss.cl): cross-entropy from logits with labels
 * or soft targets, MSE and binary cross-entropy with logits. Each value is a
 * two-stage deterministic reduction (partials, then loss_sum; NONE keeps the
 * per-row or per-element values, common/loss_value.h); the gradient comes out of
 * the same pass as the partials. */
#include "common/label_weights.h"
#include "divisor.h"
#include "layers/class_dim.h"
#include "tune_family.h"

#include <math.h>

#define LOSS_CHUNK 4096 /* elements per partial of the point-wise losses, as in cl/layers_loss.cl */
#define ROW_BCE_MODE 5  /* ROW_BCE and ROW_MSE of cl/rowreduce.clh */
#define ROW_MSE_MODE 4

#define CLNN_TABLE "layers/loss_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* [P0 rows, P1 classes]; loss.sum: the sum of P0 x P1 row losses (rows of
 * 16 classes); loss.row_weights always runs on {1, 256}; loss.sigmoid: the
 * focal form on [P0, P1]; loss.class_dim_move: [n/2 classes, 2], n = P0 x P1. */
static clnn_status exercise_loss(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t rows = problem[0], cols = problem[1];
    if (t == &clnn__tune_loss_sum) rows = clnn__exercise_elements(problem), cols = 16; /* sums one partial per row */
    clnn_cross_entropy_options o = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100, NULL, NULL, 0};
    clnn_tensor *x = EX_RAND(&b, rows, cols), *grad = EX_RAND(&b, rows, cols), *loss = EX_RAND(&b, 1);
    if (t == &clnn__tune_loss_ce_soft)
        EX_STEP(&b, clnn_cross_entropy_soft(ctx, x, EX_UNIFORM(&b, 0.0f, 1.0f, rows, cols), &o, loss, grad));
    else if (t == &clnn__tune_loss_pointwise)
        EX_STEP(&b, clnn_mse_loss(ctx, x, EX_RAND(&b, rows, cols), CLNN_REDUCE_MEAN, loss, grad));
    else if (t == &clnn__tune_loss_sigmoid) { /* the focal form, per-class weights */
        clnn_sigmoid_loss_options so;
        clnn_sigmoid_loss_options_init(&so);
        so.gamma = 2.0f;
        so.alpha = 0.25f;
        so.weight = EX_UNIFORM(&b, 0.5f, 1.5f, cols);
        EX_STEP(&b, clnn_sigmoid_loss(ctx, x, EX_UNIFORM(&b, 0.0f, 1.0f, rows, cols), &so, loss, grad));
    }
    else if (t == &clnn__tune_loss_class_dim_move) { /* [n/2, 2] (n elements) with the classes in dimension 0 */
        size_t half = clnn__exercise_elements(problem) / 2 ? clnn__exercise_elements(problem) / 2 : 1;
        o.class_dim = -2;
        EX_STEP(&b, clnn_cross_entropy_labels(ctx, EX_RAND(&b, half, 2), clnn__exercise_ints(&b, 2, half, 7), &o, loss,
                                              EX_RAND(&b, half, 2)));
    } else
        EX_STEP(&b, clnn_cross_entropy_labels(ctx, x, clnn__exercise_ints(&b, rows, cols, 7), &o, loss, grad));
    return clnn__exercise_end(&b);
}

void clnn_cross_entropy_options_init(clnn_cross_entropy_options *opt)
{
    if (!opt) return;
    *opt = (clnn_cross_entropy_options){sizeof *opt, CLNN_REDUCE_MEAN, 0.0f, -100, NULL, NULL, 0};
}

/* Checks the options (already copied over the defaults) and the logits of a
 * cross-entropy call; the logits' class dimension goes to the caller (rows
 * = outer x inner, cols = classes). */
static clnn_status check_ce_common(clnn_context *ctx, const char *fn, const clnn_cross_entropy_options *opt,
                                   const clnn_tensor *logits, clnn__class_dim *cd)
{
    TRY(clnn__check_reduction(ctx, fn, opt->reduction));
    CHECK_ARG(ctx, clnn__is_finite(opt->label_smoothing) && opt->label_smoothing >= 0.0f &&
                       opt->label_smoothing < 1.0f,
              "%s: label_smoothing %g is not in [0, 1)", fn, (double)opt->label_smoothing);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "logits", logits, &rows, &cols));
    return clnn__class_dim_of(ctx, fn, "logits", logits, opt->class_dim == 0 ? -1 : opt->class_dim, cd);
}

/* The work of a cross-entropy call whose class dimension is not the last:
 * the logits (and soft targets) moved to [rows, C], and the gradient's
 * [rows, C] before it is moved back. */
typedef struct ce_moved {
    clnn_tensor *logits, *targets, *grad;
} ce_moved;

/* [outer, C, inner] <-> [outer, inner, C] (to_last 1: src has the class dimension in the middle). */
static clnn_status class_dim_move(clnn_context *ctx, const char *fn, cl_mem dst, cl_mem src, const clnn__class_dim *cd,
                                  cl_int to_last)
{
    cl_uint count = (cl_uint)(cd->outer * cd->classes * cd->inner);
    cl_uint4 classes = clnn__divisor((cl_uint)cd->classes), inner = clnn__divisor((cl_uint)cd->inner);
    clnn__karg args[] = {KARG_BUF(dst), KARG_BUF(src), KARG(count), KARG(classes), KARG(inner), KARG(to_last)};
    size_t problem[2] = {count, 1};
    return clnn__run(ctx, fn, &clnn__tune_loss_class_dim_move, problem, 6, args);
}

static void ce_moved_release(ce_moved *m)
{
    clnn_tensor_release(m->logits), clnn_tensor_release(m->targets), clnn_tensor_release(m->grad);
}

/* Fills m (targets and grad when given) for the rows of cd. */
static clnn_status ce_move_in(clnn_context *ctx, const char *fn, const clnn__class_dim *cd, const clnn_tensor *logits,
                              const clnn_tensor *targets, int want_grad, ce_moved *m)
{
    size_t shape[2] = {cd->outer * cd->inner, cd->classes};
    *m = (ce_moved){NULL, NULL, NULL};
    clnn_status st = clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &m->logits);
    if (st == CLNN_OK && targets) st = clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &m->targets);
    if (st == CLNN_OK && want_grad) st = clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &m->grad);
    if (st == CLNN_OK) st = class_dim_move(ctx, fn, m->logits->buffer, logits->buffer, cd, 1);
    if (st == CLNN_OK && targets) st = class_dim_move(ctx, fn, m->targets->buffer, targets->buffer, cd, 1);
    if (st != CLNN_OK) ce_moved_release(m);
    return st;
}

/* Moves the gradient back into dlogits (when wanted and st is CLNN_OK) and releases the work. */
static clnn_status ce_move_out(clnn_context *ctx, const char *fn, const clnn__class_dim *cd, clnn_status st,
                               ce_moved *m, clnn_tensor *dlogits)
{
    if (st == CLNN_OK && dlogits) st = class_dim_move(ctx, fn, dlogits->buffer, m->grad->buffer, cd, 0);
    ce_moved_release(m);
    return st;
}

/* The label weights of a cross-entropy call (its options' tensors), checked. */
static clnn_status ce_weights(clnn_context *ctx, const char *fn, const clnn_cross_entropy_options *opt,
                              int has_labels, size_t rows, size_t cols, clnn_label_weights *w)
{
    const clnn_label_weights given = {sizeof given, opt->row_weights, opt->class_weights, opt->ignore_index};
    int any;
    return clnn__check_label_weights(ctx, fn, &given, has_labels, 0, "soft targets have none", rows, cols, w,
                                     &any);
}

/* The launch of cross-entropy with labels on [rows, cols] logits (checked). */
static clnn_status ce_labels_run(clnn_context *ctx, const char *fn, const clnn_cross_entropy_options *opt,
                                 const clnn_label_weights *w, const clnn_tensor *logits, const clnn_tensor *labels,
                                 size_t rows, size_t cols, clnn_tensor *loss, clnn_tensor *dlogits)
{
    /* always weighted: ignore_index and the mean over the rows that count */
    clnn__row_weights rw;
    TRY(clnn__row_weights_make(ctx, fn, w, labels, rows, cols, opt->reduction, logits->buffer, &rw));
    cl_mem partial = NULL;
    cl_int want_grad = dlogits != NULL;
    cl_mem grad = dlogits ? dlogits->buffer : logits->buffer; /* unwritten without want_grad */
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    float eps = opt->label_smoothing;
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(grad), KARG_BUF(logits->buffer), KARG_BUF(labels->buffer),
                         KARG_BUF(rw.arg),  KARG(nrows),    KARG(ncols),              KARG(lanes),
                         KARG(eps),         KARG(rw.ignore_index), KARG(want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    clnn_status st = clnn__run_weighted_row_loss(ctx, fn, &clnn__tune_loss_ce_labels, NULL, rows, cols, &partial,
                                                 12, args, opt->reduction, loss, &rw);
    clnn__row_weights_release(&rw);
    return st;
}

clnn_status clnn_cross_entropy_labels(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *labels,
                                      const clnn_cross_entropy_options *opt, clnn_tensor *loss,
                                      clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_cross_entropy_options, opt);
    clnn__class_dim cd;
    TRY(check_ce_common(ctx, fn, opt, logits, &cd));
    const size_t rows = cd.outer * cd.inner, cols = cd.classes;
    TRY(clnn__check_tensor(ctx, fn, "labels", labels));
    CHECK_ARG(ctx, labels->dtype == CLNN_INT32, "%s: labels must be int32", fn);
    CHECK_SHAPE(ctx, labels->count == rows, "%s: labels has %zu entries, logits has %zu rows", fn, labels->count,
                rows);
    CHECK_SHAPE(ctx, cols <= 0x7FFFFFFF, "%s: more than 2^31 - 1 classes", fn);
    clnn_label_weights w;
    TRY(ce_weights(ctx, fn, opt, 1, rows, cols, &w));
    const clnn__loss_red red = {opt->reduction, rows, "row"};
    const clnn_tensor *inputs[] = {logits, labels, w.row_weights, w.class_weights};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dlogits, "dlogits", logits, "logits"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 4, inputs, 2, out));
    if (cd.inner == 1) return ce_labels_run(ctx, fn, opt, &w, logits, labels, rows, cols, loss, dlogits);

    if (dlogits) TRY(clnn__check_same_shape(ctx, fn, "dlogits", dlogits, "logits", logits));
    ce_moved m;
    TRY(ce_move_in(ctx, fn, &cd, logits, NULL, dlogits != NULL, &m));
    clnn_status st = ce_labels_run(ctx, fn, opt, &w, m.logits, labels, rows, cols, loss, m.grad);
    return ce_move_out(ctx, fn, &cd, st, &m, dlogits);
}

/* The launch of cross-entropy with soft targets on [rows, cols] logits (checked). */
static clnn_status ce_soft_run(clnn_context *ctx, const char *fn, const clnn_cross_entropy_options *opt,
                               const clnn_label_weights *w, const clnn_tensor *logits, const clnn_tensor *targets,
                               size_t rows, size_t cols, clnn_tensor *loss, clnn_tensor *dgrad)
{
    clnn__row_weights rw;
    TRY(clnn__row_weights_make(ctx, fn, w->row_weights ? w : NULL, NULL, rows, cols, opt->reduction,
                               logits->buffer, &rw));
    cl_mem partial = NULL;
    float eps = opt->label_smoothing;
    clnn__loss_grad g = clnn__loss_grad_of(logits, dgrad, opt->reduction, rows);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(logits->buffer), KARG_BUF(targets->buffer),
                         KARG(nrows),       KARG(ncols),      KARG(lanes),              KARG(eps),
                         KARG(g.scale),     KARG_BUF(rw.arg), KARG(rw.weighted),        KARG(g.want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    clnn_status st = clnn__run_weighted_row_loss(ctx, fn, &clnn__tune_loss_ce_soft, NULL, rows, cols, &partial, 13,
                                                 args, opt->reduction, loss, &rw);
    clnn__row_weights_release(&rw);
    return st;
}

clnn_status clnn_cross_entropy_soft(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *targets,
                                    const clnn_cross_entropy_options *opt, clnn_tensor *loss, clnn_tensor *dgrad)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_cross_entropy_options, opt);
    clnn__class_dim cd;
    TRY(check_ce_common(ctx, fn, opt, logits, &cd));
    const size_t rows = cd.outer * cd.inner, cols = cd.classes;
    TRY(clnn__check_like(ctx, fn, "targets", targets, "logits", logits));
    clnn_label_weights w;
    TRY(ce_weights(ctx, fn, opt, 0, rows, cols, &w));
    const clnn__loss_red red = {opt->reduction, rows, "row"};
    const clnn_tensor *inputs[] = {logits, targets, w.row_weights};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dgrad, "dlogits", logits, "logits"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 3, inputs, 2, out));
    if (cd.inner == 1) return ce_soft_run(ctx, fn, opt, &w, logits, targets, rows, cols, loss, dgrad);

    TRY(clnn__check_same_shape(ctx, fn, "targets", targets, "logits", logits));
    if (dgrad) TRY(clnn__check_same_shape(ctx, fn, "dlogits", dgrad, "logits", logits));
    ce_moved m;
    TRY(ce_move_in(ctx, fn, &cd, logits, targets, dgrad != NULL, &m));
    clnn_status st = ce_soft_run(ctx, fn, opt, &w, m.logits, m.targets, rows, cols, loss, m.grad);
    return ce_move_out(ctx, fn, &cd, st, &m, dgrad);
}

static clnn_status pointwise_loss(clnn_context *ctx, const char *fn, cl_int mode, const clnn_tensor *p,
                                  const clnn_tensor *q, const char *p_name, const char *q_name,
                                  clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *grad,
                                  const char *grad_name)
{
    TRY(clnn__check_reduction(ctx, fn, reduction));
    TRY(clnn__check_f32(ctx, fn, p_name, p, 0));
    TRY(clnn__check_count32(ctx, fn, p_name, p));
    TRY(clnn__check_f32(ctx, fn, q_name, q, 0));
    CHECK_SHAPE(ctx, p->count == q->count, "%s: %s has %zu elements, %s has %zu", fn, p_name, p->count, q_name,
                q->count);
    const clnn__loss_red red = {reduction, p->count, "element"};
    TRY(clnn__check_loss_args(ctx, fn, &red, p, q, loss, grad, grad_name));

    size_t n = p->count;
    cl_mem partial = NULL, values = NULL;
    const clnn__loss_launch l = clnn__chunked_launch(&clnn__tune_loss_pointwise, n, LOSS_CHUNK, &partial, &values);
    clnn__loss_grad g = clnn__loss_grad_of(p, grad, reduction, n);
    cl_uint count = (cl_uint)n, lanes = clnn__row_lanes(l.len);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(values), KARG_BUF(g.grad), KARG_BUF(p->buffer),
                         KARG_BUF(q->buffer), KARG(count), KARG(lanes), KARG(mode), KARG(g.scale), KARG(g.want_grad),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_loss(ctx, fn, &l, 11, args, reduction, loss, g.scale);
}

clnn_status clnn_mse_loss(clnn_context *ctx, const clnn_tensor *pred, const clnn_tensor *target,
                          clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dpred)
{
    CLNN_ENTRY(ctx);
    return pointwise_loss(ctx, fn, ROW_MSE_MODE, pred, target, "pred", "target", reduction, loss, dpred, "dpred");
}

clnn_status clnn_bce_with_logits(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *targets,
                                 clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    return pointwise_loss(ctx, fn, ROW_BCE_MODE, logits, targets, "logits", "targets", reduction, loss, dlogits,
                          "dlogits");
}

void clnn_sigmoid_loss_options_init(clnn_sigmoid_loss_options *opt)
{
    if (!opt) return;
    *opt = (clnn_sigmoid_loss_options){sizeof *opt, CLNN_REDUCE_MEAN, NULL, NULL, 0.0f, -1.0f};
}

clnn_status clnn_sigmoid_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *targets,
                              const clnn_sigmoid_loss_options *opt, clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_sigmoid_loss_options, opt);
    size_t rows, cols;
    TRY(clnn__check_reduction(ctx, fn, opt->reduction));
    TRY(clnn__check_rows(ctx, fn, "logits", logits, &rows, &cols));
    TRY(clnn__check_like(ctx, fn, "targets", targets, "logits", logits));
    CHECK_ARG(ctx, clnn__is_finite(opt->gamma) && opt->gamma >= 0.0f, "%s: gamma %g is not finite and >= 0", fn,
              (double)opt->gamma);
    CHECK_ARG(ctx, !(opt->alpha > 1.0f) && !isnan(opt->alpha), "%s: alpha %g is not in [0, 1] (or < 0: none)", fn,
              (double)opt->alpha);
    const int focal = opt->gamma != 0.0f || opt->alpha >= 0.0f;
    if (opt->weight) {
        TRY(clnn__check_f32(ctx, fn, "weight", opt->weight, 0));
        CHECK_SHAPE(ctx, opt->weight->count == cols || opt->weight->count == logits->count,
                    "%s: weight has %zu elements; it must have one per class (%zu) or per logit (%zu)", fn,
                    opt->weight->count, cols, logits->count);
    }
    if (opt->pos_weight) {
        TRY(clnn__check_f32(ctx, fn, "pos_weight", opt->pos_weight, cols));
        CHECK_ARG(ctx, !focal, "%s: pos_weight is BCE's (gamma 0, no alpha); the focal loss has alpha", fn);
    }
    const clnn__loss_red red = {opt->reduction, logits->count, "element"};
    const clnn_tensor *in[] = {logits, targets, opt->weight, opt->pos_weight};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dlogits, "dlogits", logits, "logits"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 4, in, 2, out));

    const size_t n = logits->count;
    cl_mem partial = NULL, values = NULL;
    const clnn__loss_launch l = clnn__chunked_launch(&clnn__tune_loss_sigmoid, n, LOSS_CHUNK, &partial, &values);
    clnn__loss_grad g = clnn__loss_grad_of(logits, dlogits, opt->reduction, n);
    cl_mem wbuf = opt->weight ? opt->weight->buffer : logits->buffer; /* unread without their flags */
    cl_mem pwbuf = opt->pos_weight ? opt->pos_weight->buffer : logits->buffer;
    cl_uint count = (cl_uint)n, lanes = clnn__row_lanes(l.len);
    cl_uint4 classes = clnn__divisor((cl_uint)cols);
    float gamma = opt->gamma, alpha = opt->alpha < 0.0f ? -1.0f : opt->alpha;
    cl_int has_w = opt->weight != NULL, w_full = opt->weight && opt->weight->count == n && n != cols;
    cl_int has_pw = opt->pos_weight != NULL;
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(values),      KARG_BUF(g.grad), KARG_BUF(logits->buffer),
                         KARG_BUF(targets->buffer), KARG_BUF(wbuf), KARG_BUF(pwbuf), KARG(count),
                         KARG(classes),     KARG(lanes),           KARG(gamma),      KARG(alpha),
                         KARG(has_w),       KARG(w_full),          KARG(has_pw),     KARG(g.scale),
                         KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_loss(ctx, fn, &l, 18, args, opt->reduction, loss, g.scale);
}
