/* Classification losses (include/clnn/losses.h) against the double-precision
 * reference (tests/ref/ref_losses.c): batch 1 and 7 rows of 1 class (where
 * the loss is defined), 2, 33, 257 (> the row skeleton's 256 lanes) and 1000
 * classes, the three reductions, logits of ±1e4, and one case of more than
 * 2^20 elements. Every gradient is compared with central finite differences
 * of the reference value, in double; two calls give identical bits, as do a
 * call without the gradient (loss bits) and one without the loss (gradient
 * bits), and four forced local sizes. ELR's state update is checked against
 * the reference and rows not in the batch must keep their bits. */
#include "losses_util.h"
#include "reduce_none.h"

#include <math.h>

/* The loss: per row (none), else the scaled sum of the reference rows;
 * fp32 accumulation over the classes and rows: 1e-5 of the magnitude of
 * the terms, plus 1e-6 absolute for values near 0 */
static void check_value(const char *what, clnn_reduction red, size_t rows, const float *value, const reference *ref,
                        double scale)
{
    size_t nloss = red == CLNN_REDUCE_NONE ? rows : 1;
    double want = 0.0, mag = 0.0;
    for (size_t r = 0; r < rows; r++) {
        if (red == CLNN_REDUCE_NONE) {
            double e = fabs(value[r] - ref->values[r]) / (1e-6 + 1e-5 * fabs(ref->values[r]));
            CHECK(e <= 1.0, "%s: row %zu loss %.9g, reference %.9g", what, r, value[r], ref->values[r]);
        }
        want += ref->values[r];
        mag += fabs(ref->values[r]);
    }
    if (red != CLNN_REDUCE_NONE) {
        double e = fabs(value[0] - scale * want) / (1e-6 + 1e-5 * scale * mag);
        CHECK(e <= 1.0, "%s: loss %.9g, reference %.9g (error %.3g of tolerance)", what, value[0], scale * want, e);
    }
    for (size_t r = 0; r < nloss; r++) CHECK(isfinite(value[r]), "%s: loss not finite", what);
}

/* One op on one shape and reduction: value (and ELR state), gradient (FD on
 * every element, or every `stride`-th), repeatability and the optional
 * outputs. */
static void check_case(clnn_context *ctx, int op, size_t rows, size_t cols, clnn_reduction red, int big, size_t stride)
{
    size_t n = rows * cols, nloss = red == CLNN_REDUCE_NONE ? rows : 1;
    data d = make_data(ctx, op, rows, cols, big);
    reference ref = make_reference(op, &d);
    clnn_tensor *loss = new_f32(ctx, nloss, 1), *grad = new_f32(ctx, rows, cols);
    char what[160];
    snprintf(what, sizeof what, "%s %zux%zu %s%s", op_names[op], rows, cols, red_name(red), big ? " (±1e4 logits)" : "");

    CHECK_OK(ctx, run_op(ctx, op, &d, red, loss, grad));
    float *value = test_download(ctx, loss), *g = test_download(ctx, grad);

    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)rows : 1.0;
    check_value(what, red, rows, value, &ref, scale);

    float *state = NULL;
    if (is_elr(op)) { /* the updated state: the batch's rows as the reference, the others untouched */
        state = test_download(ctx, d.taux);
        size_t ns = d.nsamples * cols;
        double e = test_max_rel_error(state, ref.state, ns, 1e-8, 1e-5);
        CHECK(e <= 1.0, "%s: state update: error %.3g of tolerance", what, e);
        /* the batch holds samples S - 1 ... S - rows */
        CHECK(same_bits(state, d.aux, (d.nsamples - rows) * cols), "%s: state rows outside the batch changed", what);
    }

    /* gradient against central differences of the reference: fp32 terms of
     * size ~1 (p_j, log p_j ratios): 2e-5 absolute (times the reduction
     * scale) + 1e-3 relative */
    float *got = malloc(n * sizeof *got);
    double *fd = malloc(n * sizeof *fd);
    REQUIRE(got && fd, "host memory");
    size_t count = 0;
    int finite = 1;
    for (size_t e = 0; e < n; e++) finite &= isfinite(g[e]) != 0;
    CHECK(finite, "%s: gradient not finite", what);
    for (size_t e = 0; e < n; e += stride) {
        size_t r = e / cols, j = e % cols;
        int y = op == OP_ELR_REG ? -1 : d.labels[r];
        got[count] = g[e];
        fd[count++] = scale * fd_row(op, ref.z + r * cols, aux_row(op, &ref, &d, r), ref.alpha, cols, y, j);
    }
    double e = test_max_rel_error(got, fd, count, 2e-5 * scale, 1e-3);
    CHECK(e <= 1.0, "%s: gradient vs finite differences: error %.3g of tolerance (%zu elements)", what, e, count);

    /* the same bits again, and from the loss-only / gradient-only calls */
    CHECK_OK(ctx, run_op(ctx, op, &d, red, loss, grad));
    float *value2 = test_download(ctx, loss), *g2 = test_download(ctx, grad);
    CHECK(same_bits(value, value2, nloss) && same_bits(g, g2, n), "%s: a second call changed bits", what);
    if (state) {
        float *state2 = test_download(ctx, d.taux);
        CHECK(same_bits(state, state2, d.nsamples * cols), "%s: a second call changed the state's bits", what);
        free(state2);
    }
    CHECK_OK(ctx, clnn_tensor_fill(grad, 0.0f));
    CHECK_OK(ctx, run_op(ctx, op, &d, red, loss, NULL));
    float *value3 = test_download(ctx, loss), *g3 = test_download(ctx, grad);
    CHECK(same_bits(value, value3, nloss), "%s: loss-only call gives other bits", what);
    CHECK(g3[0] == 0.0f && g3[n - 1] == 0.0f, "%s: loss-only call wrote the gradient", what);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_op(ctx, op, &d, red, NULL, grad));
    float *g4 = test_download(ctx, grad), *value4 = test_download(ctx, loss);
    CHECK(same_bits(g, g4, n) && value4[0] == -7.0f, "%s: gradient-only call differs", what);

    free(value), free(value2), free(value3), free(value4), free(g), free(g2), free(g3), free(g4), free(state);
    free(got), free(fd);
    free_reference(&ref);
    free_data(&d);
    clnn_tensor_release(loss), clnn_tensor_release(grad);
}

/* NONE against SUM, through the helper every loss family shares. */
typedef struct none_arg {
    int op;
    const data *d;
} none_arg;

static clnn_status none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                             clnn_tensor *const *grads)
{
    const none_arg *a = p;
    return run_op(ctx, a->op, a->d, red, loss, grads[0]);
}

static void check_none_vs_sum(clnn_context *ctx, int op, size_t rows, size_t cols)
{
    data d = make_data(ctx, op, rows, cols, 0);
    reference ref = make_reference(op, &d);
    clnn_tensor *grad = new_f32(ctx, rows, cols);
    char what[128];
    snprintf(what, sizeof what, "%s %zux%zu none vs sum", op_names[op], rows, cols);
    none_arg a = {op, &d};
    /* the per-row tolerance of check_case */
    rn_case c = {what, none_call, &a, rows, ref.values, 1e-6, 1e-5, 1, &grad};
    rn_check(ctx, &c);
    free_reference(&ref);
    free_data(&d);
    clnn_tensor_release(grad);
}

/* Each row kernel and ops that launch it (py_loss with and without the NFL
 * pass). */
static const struct {
    const char *kernel;
    int op;
} cases[] = {{"losses.py_loss", OP_ALL_ROBUST}, {"losses.py_loss", OP_SQUENTROPY}, {"losses.py_loss", OP_FOCAL},
             {"losses.asl", OP_ASL},           {"losses.spherical_z", OP_SPHERICAL}, {"losses.elr", OP_ELR}};

/* The same bits for four forced local sizes of each kernel (the default's
 * bits are the reference): 1 (one work-item runs every lane), 3 (not a power
 * of two), 64 and 256 (more work-items than some rows' lanes). */
static void check_local_sizes(clnn_context *ctx)
{
    const size_t locals[] = {1, 3, 64, 256}, rows = test_small() ? 2 : 5, cols = 257, n = rows * cols;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        data d = make_data(ctx, cases[c].op, rows, cols, 0);
        clnn_tensor *loss = new_f32(ctx, rows, 1), *grad = new_f32(ctx, rows, cols);
        CHECK_OK(ctx, run_op(ctx, cases[c].op, &d, CLNN_REDUCE_NONE, loss, grad));
        float *v0 = test_download(ctx, loss), *g0 = test_download(ctx, grad);
        for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
            clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
            if (clnn_tune_force(ctx, cases[c].kernel, &cfg) != CLNN_OK) {
                char why[128];
                snprintf(why, sizeof why, "%s with local size %zu (does not fit this device)", cases[c].kernel,
                         locals[i]);
                test_skip(why);
                continue;
            }
            CHECK_OK(ctx, run_op(ctx, cases[c].op, &d, CLNN_REDUCE_NONE, loss, grad));
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            float *v = test_download(ctx, loss), *g = test_download(ctx, grad);
            CHECK(same_bits(v0, v, rows) && same_bits(g0, g, n), "%s (%s): local size %zu changes bits",
                  cases[c].kernel, op_names[cases[c].op], locals[i]);
            free(v), free(g);
        }
        free(v0), free(g0);
        free_data(&d);
        clnn_tensor_release(loss), clnn_tensor_release(grad);
    }
}

/* Every output of op with reduction NONE on d into out: the per-row values,
 * the gradient and, for ELR, the state after the call; returns the count. */
static size_t run_outputs(clnn_context *ctx, int op, const data *d, float *out)
{
    const size_t n = d->rows * d->cols;
    clnn_tensor *loss = new_f32(ctx, d->rows, 1), *grad = new_f32(ctx, d->rows, d->cols);
    CHECK_OK(ctx, run_op(ctx, op, d, CLNN_REDUCE_NONE, loss, grad));
    CHECK_OK(ctx, clnn_tensor_download(loss, out, d->rows * sizeof *out));
    CHECK_OK(ctx, clnn_tensor_download(grad, out + d->rows, n * sizeof *out));
    size_t count = d->rows + n;
    if (is_elr(op)) {
        CHECK_OK(ctx, clnn_tensor_download(d->taux, out + count, d->nsamples * d->cols * sizeof *out));
        count += d->nsamples * d->cols;
    }
    clnn_tensor_release(loss), clnn_tensor_release(grad);
    return count;
}

/* On test_row_packing_shapes: each kernel's default against the reference
 * (several rows per group on a GPU, one elsewhere), then the default's bits
 * -- values, gradient, ELR's state -- under every row packing. */
static void check_row_packing(clnn_context *ctx)
{
    const size_t *classes;
    size_t rows;
    const size_t nc = test_row_packing_shapes(&classes, &rows);
    for (size_t c = 0; c < nc; c++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            const int op = cases[k].op;
            const size_t cols = classes[c];
            if (cols < min_classes(op)) continue;
            check_case(ctx, op, rows, cols, CLNN_REDUCE_MEAN, 0, 7);
            data d = make_data(ctx, op, rows, cols, 0);
            const size_t most = rows + rows * cols + d.nsamples * cols;
            float *want = malloc(most * sizeof *want), *got = malloc(most * sizeof *got);
            REQUIRE(want && got, "host memory");
            const size_t count = run_outputs(ctx, op, &d, want);
            for (size_t i = 0; i < TEST_ROW_PACKINGS; i++) {
                char what[128];
                if (!test_force_row_packing(ctx, cases[k].kernel, i, what, sizeof what)) continue;
                run_outputs(ctx, op, &d, got);
                CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
                CHECK(same_bits(want, got, count), "%s %zux%zu: %s gives other bits than the default", op_names[op],
                      rows, cols, what);
            }
            free(want), free(got);
            free_data(&d);
        }
}

/* The tuner's exercise of each kernel (src/losses.c) replays the
 * launch under sampled local sizes and compares every buffer bit for bit
 * with the default's, ELR's state updated in place included: nothing may
 * differ, nothing may fail. */
static void check_tuner(clnn_context *ctx)
{
    static const char *const ids[] = {"losses.py_loss", "losses.asl", "losses.spherical_z", "losses.elr"};
    const size_t problem[2] = {test_small() ? 3 : 7, test_small() ? 33 : 257};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) test_tuner_replays(ctx, ids[i], problem);
}

/* Out-of-range labels (and ELR sample ids, ASL targets other than 0/1) make
 * exactly their rows NaN; a bad ELR id leaves the state alone. */
static void check_bad_rows(clnn_context *ctx)
{
    const size_t rows = 3, cols = 5, n = rows * cols;
    const int ops[] = {OP_FOCAL, OP_NFL_RCE, OP_SPHERICAL, OP_ELR, OP_ASL};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int op = ops[i];
        data d = make_data(ctx, op, rows, cols, 0);
        if (op == OP_ASL) {
            d.aux[cols + 2] = 0.5f; /* row 1 */
            CHECK_OK(ctx, clnn_tensor_upload(d.taux, d.aux, n * sizeof *d.aux));
        } else {
            d.labels[1] = op == OP_ELR ? -1 : (int32_t)cols;
            CHECK_OK(ctx, clnn_tensor_upload(d.tlabels, d.labels, rows * sizeof *d.labels));
        }
        clnn_tensor *loss = new_f32(ctx, rows, 1), *grad = new_f32(ctx, rows, cols);
        CHECK_OK(ctx, run_op(ctx, op, &d, CLNN_REDUCE_NONE, loss, grad));
        float *v = test_download(ctx, loss), *g = test_download(ctx, grad);
        int ok = isnan(v[1]) && !isnan(v[0]) && !isnan(v[2]) && !isnan(g[0]) && !isnan(g[2 * cols]);
        ok &= op == OP_ASL ? isnan(g[cols + 2]) && !isnan(g[cols]) : isnan(g[cols]) && isnan(g[2 * cols - 1]);
        CHECK(ok, "%s: a bad label/target must make exactly its row NaN", op_names[op]);
        free(v), free(g);
        if (op == OP_ELR) { /* a sample id out of range: NaN row, no state written */
            d.labels[1] = 1;
            d.ids[1] = (int32_t)d.nsamples;
            CHECK_OK(ctx, clnn_tensor_upload(d.tlabels, d.labels, rows * sizeof *d.labels));
            CHECK_OK(ctx, clnn_tensor_upload(d.tids, d.ids, rows * sizeof *d.ids));
            CHECK_OK(ctx, run_op(ctx, op, &d, CLNN_REDUCE_NONE, loss, grad));
            v = test_download(ctx, loss);
            float *state = test_download(ctx, d.taux);
            /* ids of rows 0 and 2 are S - 1 and S - 3; rows 0 and S - 2 stay */
            CHECK(isnan(v[1]) && !isnan(v[0]) && same_bits(state, d.aux, cols) &&
                      same_bits(state + (d.nsamples - 2) * cols, d.aux + (d.nsamples - 2) * cols, cols),
                  "ELR: a bad sample id must give a NaN row and write no state");
            free(v), free(state);
        }
        free_data(&d);
        clnn_tensor_release(loss), clnn_tensor_release(grad);
    }
}

/* Issue 19, 1 - p_y on well-classified rows: the losses of log p_y where
 * the label's logit is the row's maximum by a margin, so q = 1 - p_y is
 * small (down to ~1e-8) and l = log p_y = -log1p(q / p_y) is tiny. Row
 * values (NONE) and every gradient entry against double code written here
 * from the definitions: with t = Σ_{j≠y} exp(z_j - z_y), l = -log1p(t),
 * p_y = 1/(1 + t), q = t/(1 + t), p_j = exp(z_j - z_y)/(1 + t), the row
 * loss L(l) of each op and dz_j = L'(l) ([j = y] - p_j), L' = dL/dl from
 * the loss's formula (include/clnn/losses.h). No L' here cancels (each is a
 * sum of terms of one sign), so every quantity is checked at 1e-5 of
 * itself. What the kernel promises: l and q to a few ulp of themselves (the
 * sum of the non-label exponentials kept apart, log1p, expm1: OpenCL's
 * exp/log/log1p/expm1 may each be off by 3-4 ulp), p_j to ~2e-6 (exp of
 * arguments below 32 in magnitude, each rounded to half an ulp of 2e-6):
 * ~5e-6 at worst on a gradient entry. Before the fix l was
 * (z_y - m) - log(s) with s = 1 + t rounded, ~6e-8 absolute on l: the
 * encouraging loss on [0, 0, 0, 11] was -9.902131 (true -9.901388), its
 * gradient 0.333581 (1/3), focal with gamma 0 on [0, 0, 0, 16] 6% off. */
enum { WC_CE, WC_FOCAL2, WC_POLY1, WC_GCE, WC_MAE, WC_ENC1, WC_ENC75, WC_ELR, N_WC };
static const char *const wc_names[N_WC] = {"focal(0)",        "focal(2, poly 0.5)", "poly1(2)",
                                           "GCE(0.7)",        "MAE",                "encouraging(1)",
                                           "encouraging(0.75)", "ELR (lambda 0)"};

static clnn_status wc_run(clnn_context *ctx, int op, const clnn_tensor *z, const clnn_tensor *y,
                          const clnn_tensor *ids, clnn_tensor *state, clnn_tensor *loss, clnn_tensor *g)
{
    const clnn_robust_loss_options gce = {sizeof(clnn_robust_loss_options), .gce = 1, .gce_q = 0.7f},
                                          mae = {sizeof(clnn_robust_loss_options), .mae = 1};
    const clnn_reduction none = CLNN_REDUCE_NONE;
    switch (op) {
    case WC_CE: return clnn_focal_loss(ctx, z, y, NULL, 0.0f, 0.0f, NULL, none, loss, g);
    case WC_FOCAL2: return clnn_focal_loss(ctx, z, y, NULL, 2.0f, 0.5f, NULL, none, loss, g);
    case WC_POLY1: return clnn_poly1_cross_entropy(ctx, z, y, 2.0f, NULL, none, loss, g);
    case WC_GCE: return clnn_robust_loss(ctx, z, y, &gce, NULL, none, loss, g);
    case WC_MAE: return clnn_robust_loss(ctx, z, y, &mae, NULL, none, loss, g);
    case WC_ENC1: return clnn_encouraging_loss(ctx, z, y, 1.0f, NULL, none, loss, g);
    case WC_ENC75: return clnn_encouraging_loss(ctx, z, y, 0.75f, NULL, none, loss, g);
    default: return clnn_elr_loss(ctx, z, y, ids, state, 0.0f, 0.7f, NULL, none, loss, g);
    }
}

/* The row loss L(l) of op and *dl = dL/dl, from l = log p_y, p = p_y and q = 1 - p_y. */
static double wc_ref(int op, double l, double p, double q, double *dl)
{
    switch (op) {
    case WC_CE:
    case WC_ELR: *dl = -1.0; return -l;
    case WC_FOCAL2: /* -q^2 l + 0.5 q^3, dq/dl = -p */
        *dl = 2.0 * q * p * l - q * q - 1.5 * q * q * p;
        return -q * q * l + 0.5 * q * q * q;
    case WC_POLY1: *dl = -1.0 - 2.0 * p; return -l + 2.0 * q;
    case WC_GCE: *dl = -exp(0.7 * l); return -expm1(0.7 * l) / 0.7;
    case WC_MAE: *dl = -2.0 * p; return 2.0 * q;
    case WC_ENC1: /* -l + log(max(q, 1e-5)) */
        *dl = q > 1e-5 ? -1.0 - p / q : -1.0;
        return -l + log(fmax(q, 1e-5));
    default: /* LE 0.75 < p: the tangent (p - LE)/(LE - 1) + log(1 - LE) */
        *dl = -1.0 - 4.0 * p;
        return -l - 4.0 * (p - 0.75) + log(0.25);
    }
}

static void check_well_classified_rows(clnn_context *ctx, const char *what, const float *z, const int32_t *labels,
                                       size_t rows, size_t cols)
{
    const size_t shape[2] = {rows, cols};
    int32_t *ids = malloc(rows * sizeof *ids);
    double *pj = malloc(cols * sizeof *pj);
    REQUIRE(ids && pj, "host memory");
    for (size_t r = 0; r < rows; r++) ids[r] = (int32_t)r;
    clnn_tensor *tz = test_tensor_from(ctx, 2, shape, z), *ty = int_tensor(ctx, labels, rows);
    clnn_tensor *tids = int_tensor(ctx, ids, rows), *state = new_f32(ctx, rows, cols);
    clnn_tensor *loss = new_f32(ctx, rows, 1), *grad = new_f32(ctx, rows, cols);
    for (int op = 0; op < N_WC; op++) {
        CHECK_OK(ctx, clnn_tensor_fill(state, 0.0f));
        CHECK_OK(ctx, wc_run(ctx, op, tz, ty, tids, state, loss, grad));
        float *v = test_download(ctx, loss), *g = test_download(ctx, grad);
        double worst_v = 0.0, worst_g = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *zr = z + r * cols;
            const size_t y = (size_t)labels[r];
            double t = 0.0, dl;
            for (size_t j = 0; j < cols; j++) {
                REQUIRE(j == y || zr[j] < zr[y], "%s: the label must be the row's maximum", what);
                pj[j] = j == y ? 0.0 : exp((double)zr[j] - (double)zr[y]);
                t += pj[j];
            }
            const double l = -log1p(t), p = 1.0 / (1.0 + t), q = t / (1.0 + t), want = wc_ref(op, l, p, q, &dl);
            double e = fabs(v[r] - want) / (1e-5 * fabs(want));
            worst_v = fmax(worst_v, e != e ? INFINITY : e);
            for (size_t j = 0; j < cols; j++) {
                const double gw = dl * (j == y ? q : -pj[j] / (1.0 + t));
                e = fabs(g[r * cols + j] - gw) / (1e-5 * fabs(gw));
                worst_g = fmax(worst_g, e != e ? INFINITY : e);
            }
            if (r == 0)
                printf("%s, %s: row 0 loss %.9g (reference %.9g), dz_0 %.9g (reference %.9g)", wc_names[op], what,
                       v[0], want, g[0], dl * (y == 0 ? q : -pj[0] / (1.0 + t)));
        }
        printf("; worst errors %.3g (values), %.3g (gradients) of the tolerance\n", worst_v, worst_g);
        CHECK(worst_v <= 1.0, "%s, %s: row losses off by %.3g of the tolerance (1e-5 relative)", wc_names[op], what,
              worst_v);
        CHECK(worst_g <= 1.0, "%s, %s: gradients off by %.3g of the tolerance (1e-5 relative)", wc_names[op], what,
              worst_g);
        free(v), free(g);
    }
    free(ids), free(pj);
    clnn_tensor_release(tz), clnn_tensor_release(ty), clnn_tensor_release(tids), clnn_tensor_release(state);
    clnn_tensor_release(loss), clnn_tensor_release(grad);
}

static void check_well_classified(clnn_context *ctx)
{
    /* the rows: [0, 0, 0, 11] and [0, 0, 0, 16], label 3 */
    const float z11[4] = {0, 0, 0, 11}, z16[4] = {0, 0, 0, 16};
    const int32_t y3 = 3;
    check_well_classified_rows(ctx, "[0, 0, 0, 11]", z11, &y3, 1, 4);
    check_well_classified_rows(ctx, "[0, 0, 0, 16]", z16, &y3, 1, 4);
    /* 8 rows of 33 classes in [-2, 2), the label (7r + 3 mod 33) raised to
     * the row's maximum + 6 ... + 20 (q from ~1e-2 down to ~1e-8; the
     * encouraging bonus's 1e-5 clamp holds from a margin of about 15) and
     * the row shifted by r - 4 */
    enum { R = 8, C = 33 };
    float z[R * C];
    int32_t labels[R];
    const float margin[R] = {6, 8, 10, 12, 13, 17, 19, 20};
    test_fill_uniform(z, R * C, 1919, -2.0f, 2.0f);
    for (size_t r = 0; r < R; r++) {
        float *zr = z + r * C, m = -INFINITY;
        labels[r] = (int32_t)((7 * r + 3) % C);
        for (size_t j = 0; j < C; j++) m = fmaxf(m, zr[j]);
        zr[labels[r]] = m + margin[r];
        for (size_t j = 0; j < C; j++) zr[j] += (float)r - 4.0f;
    }
    check_well_classified_rows(ctx, "8 x 33, margins 6 to 20", z, labels, R, C);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    /* rows x classes: batch 1, one class (where defined), two, a prime, more
     * classes than the skeleton's 256 lanes, 1000 */
    static const size_t shapes[][2] = {{1, 1}, {7, 1}, {1, 2}, {7, 2}, {1, 33}, {7, 33}, {1, 257}, {1, 1000}, {7, 1000}};
    /* The simulator (small mode) runs 1 x 1 (1 x 2 where one class is not
     * defined, 1 x 33 where two are not), 7 x 33 and 1 x 257, each with one
     * reduction (rotating), and the +-1e4 logits on 1 x 2 (1 x 33): every
     * code path of the kernels, at a fraction of the launches (the full set
     * takes over 5 minutes there). */
    const int small = !test_large("every shape with every reduction");
    for (int op = 0; op < N_OPS; op++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            size_t rows = shapes[s][0], cols = shapes[s][1], first = min_classes(op) > 2 ? 33 : min_classes(op);
            if (cols < min_classes(op)) continue;
            if (small && !((rows == 1 && cols == first) || (rows == 7 && cols == 33) || cols == 257)) continue;
            /* finite differences on every element, or every 7th of 7 x 1000
             * (7 is prime to 1000: every column is hit) */
            size_t stride = rows * cols > 2000 ? 7 : 1;
            for (size_t k = 0; k < 3; k++)
                if (!small || k == (op + s) % 3) check_case(ctx, op, rows, cols, reds[k], 0, stride);
            /* +-1e4 logits: finite values and gradients that still match */
            if (cols != 257 && (!small || (rows == 1 && cols == (first == 1 ? 2 : first))))
                check_case(ctx, op, rows, cols, reds[(op + s) % 3], 1, stride);
        }
    for (int op = 0; op < N_OPS; op++)
        check_none_vs_sum(ctx, op, 7, min_classes(op) > 1 ? 33 : 1 + (size_t)op % 2 * 32);
    check_local_sizes(ctx);
    check_row_packing(ctx);
    check_tuner(ctx);
    check_bad_rows(ctx);
    check_well_classified(ctx);
    /* 4099 x 257 = 1053443 > 2^20 elements; finite differences on every 1009th */
    if (test_large("classification losses on 4099 x 257 logits"))
        for (int op = 0; op < N_OPS; op++) check_case(ctx, op, 4099, 257, CLNN_REDUCE_MEAN, 0, 1009);
    clnn_context_release(ctx);
    return check_summary();
}
