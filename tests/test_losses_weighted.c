/* The classification losses with label weights (clnn_label_weights,
 * include/clnn/layers.h): per-row weights, class weights and ignore_index on
 * every loss of losses.h (tests/losses_util.h's ops) and on label
 * cross-entropy, against the unweighted double-precision reference rows
 * weighted here:
 *   NONE w_r ref_r,  SUM Σ w_r ref_r,  MEAN Σ w_r ref_r / Σ w_r,
 * and every gradient element against w_r (times MEAN's 1/Σw) times the
 * central difference of the reference row. Ignored rows hold NaN logits (as
 * padding may) and must give exactly 0 in value and gradient without
 * touching the other rows; ignore_index may be a class in [0, C); a batch
 * with every row ignored gives MEAN 0; weights of 1 give the unweighted
 * bits; bad weights are refused and change nothing. Soft-target
 * cross-entropy takes row weights. Label smoothing (the losses of log p_y
 * and cross-entropy) against its definition on the reference rows,
 * (1 - eps) ref(y) + (eps/C) sum_j ref(j), and its central differences;
 * the other losses refuse it. */
#include "losses_util.h"

#define OP_CE N_OPS /* clnn_cross_entropy_labels */
#define IGNORE (-100)

enum mode {
    ROW_W,       /* row weights in [0, 2], row 1 exactly 0 */
    CLASS_W,     /* class weights in [0.5, 1.5] */
    ALL_W,       /* row and class weights, rows 2 and 5 ignored (label -100, NaN logits) */
    IGNORE_CLASS, /* ignore_index = row 0's label, a class in [0, C) */
    SMOOTH,       /* label smoothing SMOOTH_EPS with row weights, rows 2 and 5 ignored */
    N_MODES
};
static const char *const mode_names[N_MODES] = {"row weights", "class weights", "row+class weights, 2 rows ignored",
                                                "ignore_index inside [0, C)", "label smoothing, row weights, 2 rows ignored"};
#define SMOOTH_EPS 0.1f

static int has_labels(int op) { return op != OP_ASL && op != OP_ASL_NOCLIP && op != OP_ELR_REG; }
/* The losses that offer label smoothing. */
static int has_smoothing(int op) { return op <= OP_ENC_PLAIN || op == OP_ELR || op == OP_CE; }

static double ce_row(const double *z, size_t c, int y)
{
    ref_loss_terms t = {0};
    t.ce = 1;
    return ref_loss_terms_row(z, c, y, &t);
}

/* The reference row (cross-entropy's, or ref_row's) with label smoothing
 * eps by its definition: the expected loss over the labels drawn from
 * (1 - eps) onehot(y) + eps/C. */
static double row_value(int op, const double *z, const double *aux, const double *alpha, size_t c, int y, double eps)
{
    if (eps == 0.0) return op == OP_CE ? ce_row(z, c, y) : ref_row(op, z, aux, alpha, c, y);
    double others = 0.0;
    for (size_t j = 0; j < c; j++) others += row_value(op, z, aux, alpha, c, (int)j, 0.0);
    return (1.0 - eps) * row_value(op, z, aux, alpha, c, y, 0.0) + eps / (double)c * others;
}

/* Central difference of row_value wrt z_j, with fd_row's step. */
static double wfd_row(int op, const double *z0, const double *aux, const double *alpha, size_t c, int y, size_t j,
                      double eps)
{
    double *z = malloc(c * sizeof *z);
    REQUIRE(z, "host memory");
    memcpy(z, z0, c * sizeof *z);
    const double h = 1e-5;
    z[j] = z0[j] + h;
    const double up = row_value(op, z, aux, alpha, c, y, eps);
    z[j] = z0[j] - h;
    const double down = row_value(op, z, aux, alpha, c, y, eps);
    free(z);
    return (up - down) / (2 * h);
}

static clnn_status run(clnn_context *ctx, int op, const data *d, const clnn_label_weights *w, clnn_reduction red,
                       clnn_tensor *loss, clnn_tensor *grad)
{
    if (op != OP_CE) return run_op_weighted(ctx, op, d, w, red, loss, grad);
    clnn_cross_entropy_options o;
    clnn_cross_entropy_options_init(&o);
    o.reduction = red;
    if (w) {
        o.row_weights = w->row_weights, o.class_weights = w->class_weights, o.ignore_index = w->ignore_index;
        o.label_smoothing = w->label_smoothing;
    }
    return clnn_cross_entropy_labels(ctx, d->tz, d->tlabels, &o, loss, grad);
}

static const char *name_of(int op) { return op == OP_CE ? "cross-entropy" : op_names[op]; }

/* One op, mode and reduction on rows x cols. */
static void check_weighted(clnn_context *ctx, int op, int mode, size_t rows, size_t cols, clnn_reduction red)
{
    const size_t n = rows * cols, nloss = red == CLNN_REDUCE_NONE ? rows : 1;
    data d = make_data(ctx, op == OP_CE ? OP_POLY1 : op, rows, cols, 0);
    reference ref = make_reference(op == OP_CE ? OP_POLY1 : op, &d);
    const double eps = mode == SMOOTH ? SMOOTH_EPS : 0.0;
    if (op == OP_CE || eps != 0.0)
        for (size_t r = 0; r < rows; r++)
            ref.values[r] = row_value(op, ref.z + r * cols, aux_row(op, &ref, &d, r), ref.alpha, cols, d.labels[r], eps);
    char what[200];
    snprintf(what, sizeof what, "%s %zux%zu %s, %s", name_of(op), rows, cols, red_name(red), mode_names[mode]);

    float *rw = malloc(rows * sizeof *rw), *cw = malloc(cols * sizeof *cw);
    double *w = malloc(rows * sizeof *w);
    int *ignored = calloc(rows, sizeof *ignored);
    REQUIRE(rw && cw && w && ignored, "host memory");
    test_fill_uniform(rw, rows, 31 + (unsigned)op, 0.0f, 2.0f);
    if (rows > 1) rw[1] = 0.0f;
    test_fill_uniform(cw, cols, 37 + (unsigned)op, 0.5f, 1.5f);
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    clnn_tensor *trw = test_tensor_from(ctx, 1, &rows, rw), *tcw = test_tensor_from(ctx, 1, &cols, cw);
    if (mode == ROW_W || mode == ALL_W || mode == SMOOTH) lw.row_weights = trw;
    lw.label_smoothing = (float)eps;
    if (mode == CLASS_W || mode == ALL_W) lw.class_weights = tcw;
    if (mode == IGNORE_CLASS) lw.ignore_index = d.labels[0];
    if (mode == ALL_W || mode == SMOOTH) { /* padding rows: label -100, NaN logits */
        for (size_t r = 2; r < rows; r += 3) {
            ignored[r] = 1;
            d.labels[r] = IGNORE;
            for (size_t j = 0; j < cols; j++) d.z[r * cols + j] = NAN;
        }
        CHECK_OK(ctx, clnn_tensor_upload(d.tlabels, d.labels, rows * sizeof *d.labels));
        CHECK_OK(ctx, clnn_tensor_upload(d.tz, d.z, n * sizeof *d.z));
    }
    double sum_w = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const int y = d.labels[r];
        if (mode == IGNORE_CLASS && y == lw.ignore_index) ignored[r] = 1;
        w[r] = ignored[r] ? 0.0 : 1.0;
        if (lw.row_weights) w[r] *= rw[r];
        if (lw.class_weights && !ignored[r]) w[r] *= cw[y];
        sum_w += w[r];
    }

    clnn_tensor *loss = new_f32(ctx, nloss, 1), *grad = new_f32(ctx, rows, cols);
    CHECK_OK(ctx, run(ctx, op, &d, &lw, red, loss, grad));
    float *value = test_download(ctx, loss), *g = test_download(ctx, grad);
    const double scale = red == CLNN_REDUCE_MEAN ? (sum_w > 0.0 ? 1.0 / sum_w : 0.0) : 1.0;

    double want = 0.0, mag = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double v = ignored[r] ? 0.0 : w[r] * ref.values[r];
        if (red == CLNN_REDUCE_NONE) {
            if (ignored[r])
                CHECK(value[r] == 0.0f && !signbit(value[r]), "%s: ignored row %zu loss %g, not 0", what, r, value[r]);
            else
                CHECK(fabs(value[r] - v) <= 1e-6 + 1e-5 * fabs(v), "%s: row %zu loss %.9g, reference %.9g", what, r,
                      value[r], v);
        }
        want += v;
        mag += fabs(v);
    }
    if (red != CLNN_REDUCE_NONE)
        CHECK(fabs(value[0] - scale * want) <= 1e-6 + 1e-5 * scale * mag, "%s: loss %.9g, reference %.9g", what,
              value[0], scale * want);

    /* the gradient: ignored rows exactly 0, the others w_r scale FD */
    float *got = malloc(n * sizeof *got);
    double *fd = malloc(n * sizeof *fd);
    REQUIRE(got && fd, "host memory");
    size_t count = 0;
    for (size_t e = 0; e < n; e++) {
        const size_t r = e / cols, j = e % cols;
        if (ignored[r]) {
            CHECK(g[e] == 0.0f, "%s: ignored row %zu gradient [%zu] = %g, not 0", what, r, j, g[e]);
            continue;
        }
        const int y = op == OP_ELR_REG ? -1 : d.labels[r];
        got[count] = g[e];
        fd[count++] = scale * w[r] * wfd_row(op, ref.z + r * cols, aux_row(op, &ref, &d, r), ref.alpha, cols, y, j, eps);
    }
    const double err = test_max_rel_error(got, fd, count, 2e-5 * scale, 1e-3);
    CHECK(err <= 1.0, "%s: gradient vs weighted finite differences: error %.3g of tolerance", what, err);

    free(value), free(g), free(got), free(fd), free(rw), free(cw), free(w), free(ignored);
    free_reference(&ref);
    free_data(&d);
    clnn_tensor_release(loss), clnn_tensor_release(grad), clnn_tensor_release(trw), clnn_tensor_release(tcw);
}

/* Weights of 1 and nothing ignored give the unweighted bits (SUM, NONE). */
static void check_unit_weights(clnn_context *ctx, int op, size_t rows, size_t cols)
{
    data d = make_data(ctx, op, rows, cols, 0);
    float *ones = malloc(rows * sizeof *ones);
    REQUIRE(ones, "host memory");
    for (size_t r = 0; r < rows; r++) ones[r] = 1.0f;
    clnn_tensor *tones = test_tensor_from(ctx, 1, &rows, ones);
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    lw.row_weights = tones;
    const clnn_reduction reds[2] = {CLNN_REDUCE_SUM, CLNN_REDUCE_NONE};
    for (int k = 0; k < 2; k++) {
        const size_t nloss = reds[k] == CLNN_REDUCE_NONE ? rows : 1;
        clnn_tensor *loss = new_f32(ctx, nloss, 1), *grad = new_f32(ctx, rows, cols);
        CHECK_OK(ctx, run_op(ctx, op, &d, reds[k], loss, grad));
        float *v0 = test_download(ctx, loss), *g0 = test_download(ctx, grad);
        CHECK_OK(ctx, run_op_weighted(ctx, op, &d, &lw, reds[k], loss, grad));
        float *v1 = test_download(ctx, loss), *g1 = test_download(ctx, grad);
        CHECK(same_bits(v0, v1, nloss) && same_bits(g0, g1, rows * cols), "%s %s: weights of 1 change bits",
              op_names[op], red_name(reds[k]));
        free(v0), free(g0), free(v1), free(g1);
        clnn_tensor_release(loss), clnn_tensor_release(grad);
    }
    free(ones);
    clnn_tensor_release(tones);
    free_data(&d);
}

/* Every row ignored: MEAN 0 with a zero gradient (PyTorch gives NaN). */
static void check_all_ignored(clnn_context *ctx, int op)
{
    const size_t rows = 3, cols = 33;
    data d = make_data(ctx, op == OP_CE ? OP_POLY1 : op, rows, cols, 0);
    for (size_t r = 0; r < rows; r++) d.labels[r] = IGNORE;
    CHECK_OK(ctx, clnn_tensor_upload(d.tlabels, d.labels, rows * sizeof *d.labels));
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    clnn_tensor *loss = new_f32(ctx, 1, 1), *grad = test_filled(ctx, CLNN_FLOAT32, rows, cols, 5.0f);
    CHECK_OK(ctx, run(ctx, op, &d, &lw, CLNN_REDUCE_MEAN, loss, grad));
    float *v = test_download(ctx, loss), *g = test_download(ctx, grad);
    int zero = v[0] == 0.0f;
    for (size_t e = 0; e < rows * cols; e++) zero &= g[e] == 0.0f;
    CHECK(zero, "%s: every row ignored: loss %g, the gradient not all 0", name_of(op), v[0]);
    free(v), free(g);
    clnn_tensor_release(loss), clnn_tensor_release(grad);
    free_data(&d);
}

/* Soft-target cross-entropy with row weights: Σ_j t_j (lse - z_j) per row,
 * in double here, weighted as above. */
static void check_soft(clnn_context *ctx, clnn_reduction red)
{
    const size_t rows = 5, cols = 33, n = rows * cols, nloss = red == CLNN_REDUCE_NONE ? rows : 1;
    float *z = malloc(n * sizeof *z), *t = malloc(n * sizeof *t), *rw = malloc(rows * sizeof *rw);
    REQUIRE(z && t && rw, "host memory");
    test_fill_uniform(z, n, 41, -4.0f, 4.0f);
    test_fill_uniform(t, n, 43, 0.0f, 0.1f);
    test_fill_uniform(rw, rows, 47, 0.0f, 2.0f);
    size_t shape[2] = {rows, cols};
    clnn_tensor *tz = test_tensor_from(ctx, 2, shape, z), *tt = test_tensor_from(ctx, 2, shape, t);
    clnn_tensor *trw = test_tensor_from(ctx, 1, &rows, rw);
    clnn_tensor *loss = new_f32(ctx, nloss, 1), *grad = new_f32(ctx, rows, cols);
    clnn_cross_entropy_options o;
    clnn_cross_entropy_options_init(&o);
    o.reduction = red;
    o.row_weights = trw;
    CHECK_OK(ctx, clnn_cross_entropy_soft(ctx, tz, tt, &o, loss, grad));
    float *v = test_download(ctx, loss), *g = test_download(ctx, grad);
    double sum_w = 0.0, want = 0.0, *gw = malloc(n * sizeof *gw), *vals = malloc(rows * sizeof *vals);
    REQUIRE(gw && vals, "host memory");
    for (size_t r = 0; r < rows; r++) sum_w += rw[r];
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / sum_w : 1.0;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *tr = t + r * cols;
        double m = -INFINITY, s = 0.0, tsum = 0.0, v_r = 0.0;
        for (size_t j = 0; j < cols; j++) m = fmax(m, zr[j]);
        for (size_t j = 0; j < cols; j++) s += exp((double)zr[j] - m), tsum += tr[j];
        const double lse = m + log(s);
        for (size_t j = 0; j < cols; j++) v_r += tr[j] * (lse - zr[j]);
        vals[r] = rw[r] * v_r;
        want += vals[r];
        for (size_t j = 0; j < cols; j++)
            gw[r * cols + j] = scale * rw[r] * (exp((double)zr[j] - lse) * tsum - tr[j]);
    }
    if (red == CLNN_REDUCE_NONE)
        for (size_t r = 0; r < rows; r++)
            CHECK(fabs(v[r] - vals[r]) <= 1e-6 + 1e-5 * fabs(vals[r]), "soft CE none: row %zu %.9g, reference %.9g", r,
                  v[r], vals[r]);
    else
        CHECK(fabs(v[0] - scale * want) <= 1e-6 + 1e-5 * fabs(scale * want), "soft CE %s: %.9g, reference %.9g",
              red_name(red), v[0], scale * want);
    const double err = test_max_rel_error(g, gw, n, 1e-6, 1e-4);
    CHECK(err <= 1.0, "soft CE %s with row weights: gradient error %.3g of tolerance", red_name(red), err);
    free(z), free(t), free(rw), free(v), free(g), free(gw), free(vals);
    clnn_tensor_release(tz), clnn_tensor_release(tt), clnn_tensor_release(trw);
    clnn_tensor_release(loss), clnn_tensor_release(grad);
}

/* Bad weights: a clear error, and the outputs keep their sentinel. */
static void check_bad_weights(clnn_context *ctx)
{
    const size_t rows = 4, cols = 5;
    data d = make_data(ctx, OP_FOCAL, rows, cols, 0);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, rows, 1, -3.0f);
    clnn_tensor *grad = test_filled(ctx, CLNN_FLOAT32, rows, cols, -3.0f);
    clnn_tensor *short_w = test_filled(ctx, CLNN_FLOAT32, rows - 1, 1, 1.0f);
    clnn_tensor *int_w = test_filled(ctx, CLNN_INT32, rows, 1, 0.0f);
    clnn_tensor *class_w = test_filled(ctx, CLNN_FLOAT32, cols + 1, 1, 1.0f);
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    lw.row_weights = short_w;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, "clnn_focal_loss",
                clnn_focal_loss(ctx, d.tz, d.tlabels, NULL, 2.0f, 0.0f, &lw, CLNN_REDUCE_NONE, loss, grad));
    lw.row_weights = int_w;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, "clnn_squentropy",
                clnn_squentropy(ctx, d.tz, d.tlabels, &lw, CLNN_REDUCE_NONE, loss, grad));
    lw.row_weights = NULL;
    lw.class_weights = class_w;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, "clnn_poly1_cross_entropy",
                clnn_poly1_cross_entropy(ctx, d.tz, d.tlabels, 1.0f, &lw, CLNN_REDUCE_NONE, loss, grad));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_asymmetric_loss",
                clnn_asymmetric_loss(ctx, d.tz, d.taux, 1.0f, 4.0f, 0.05f, &lw, CLNN_REDUCE_NONE, loss, grad));
    lw.class_weights = NULL;
    lw.row_weights = loss; /* an output */
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_encouraging_loss",
                clnn_encouraging_loss(ctx, d.tz, d.tlabels, 0.75f, &lw, CLNN_REDUCE_NONE, loss, grad));
    clnn_cross_entropy_options o;
    clnn_cross_entropy_options_init(&o);
    o.class_weights = class_w;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, "clnn_cross_entropy_labels",
                clnn_cross_entropy_labels(ctx, d.tz, d.tlabels, &o, NULL, grad));
    /* label smoothing: outside [0, 1), or on a loss that offers none */
    clnn_label_weights ls;
    clnn_label_weights_init(&ls);
    const float bad_eps[] = {1.0f, -0.1f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_eps / sizeof *bad_eps; i++) {
        ls.label_smoothing = bad_eps[i];
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "label_smoothing",
                    clnn_focal_loss(ctx, d.tz, d.tlabels, NULL, 2.0f, 0.0f, &ls, CLNN_REDUCE_NONE, loss, grad));
    }
    ls.label_smoothing = 0.1f;
    data d_elr = make_data(ctx, OP_ELR, rows, cols, 0);
    for (int op = OP_ASL; op < N_OPS; op++)
        if (!has_smoothing(op))
            EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "offers none",
                        run_op_weighted(ctx, op, is_elr(op) ? &d_elr : &d, &ls, CLNN_REDUCE_NONE, loss, grad));
    free_data(&d_elr);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_cross_entropy_soft", clnn_cross_entropy_soft(ctx, d.tz, d.tz, &o, NULL, grad));
    test_expect_filled(ctx, "loss", loss, -3.0f);
    test_expect_filled(ctx, "dlogits", grad, -3.0f);
    free_data(&d);
    clnn_tensor_release(loss), clnn_tensor_release(grad), clnn_tensor_release(short_w), clnn_tensor_release(int_w);
    clnn_tensor_release(class_w);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    /* The simulator (small mode) runs one mode and one reduction per op
     * (rotating) on 7 x 33; the full run every mode and reduction, also on
     * 7 x 257 (more classes than the row skeleton's lanes). */
    const int small = !test_large("every mode and reduction on 7 x 33 and 7 x 257");
    const size_t widths[] = {33, 257};
    for (int op = 0; op <= OP_CE; op++)
        for (int mode = 0; mode < N_MODES; mode++) {
            if (!has_labels(op) && mode != ROW_W) continue; /* only row weights without labels */
            if (mode == SMOOTH && !has_smoothing(op)) continue;
            /* smoothing's reference costs C rows per row: 7 x 33 only */
            for (size_t s = 0; s < (small || mode == SMOOTH ? 1u : 2u); s++)
                for (int k = 0; k < 3; k++)
                    if (!small || (k == op % 3 && mode == (has_labels(op) ? op % N_MODES : ROW_W)) ||
                        (mode == SMOOTH && op == OP_FOCAL && k == 0))
                        check_weighted(ctx, op, mode, 7, widths[s], reds[k]);
        }
    for (int op = 0; op < N_OPS; op++)
        if (!small || op % 4 == 0) check_unit_weights(ctx, op, 5, 33);
    for (int op = 0; op <= OP_CE; op++)
        if (has_labels(op) && (!small || op == OP_CE || op == OP_SPHERICAL)) check_all_ignored(ctx, op);
    for (int k = 0; k < 3; k++) check_soft(ctx, reds[k]);
    check_bad_weights(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
