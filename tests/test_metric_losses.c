/* Embedding losses of include/clnn/metric_losses.h (harmonic, CosFace,
 * ArcFace, AdaFace) against the double-precision references of
 * tests/ref/ref_metric_losses.c on awkward shapes: batch 1, one class, two
 * classes, 1000 classes, odd and prime D, rows that are not multiples of any
 * local size, inputs shifted to magnitude 1e4, and (test_large) cases of
 * 2^16+ pairs. Every gradient is compared with central differences of the
 * reference value (in double); two calls give identical bits, so do calls
 * with fewer outputs, and so do two forced local sizes. The reduction NONE
 * (tests/reduce_none.h): one value per row against the reference, the
 * gradients SUM's bit for bit. The overlap, box and directional losses:
 * tests/test_metric_losses_overlap.c. */
#include "metric_losses_util.h"
#include "reduce_none.h"
#include "ref/ref_metric_losses.h"

/* ====================================================== embedding losses */

enum { E_HARMONIC, E_COSFACE, E_ARCFACE, E_ARCFACE_EASY, E_ADAFACE, N_EMBED };
static const char *const embed_names[N_EMBED] = {"harmonic", "cosface", "arcface", "arcface-easy", "adaface"};
#define HARMONIC_N 3.0   /* harmonic exponent */
#define HARMONIC_EPS 1e-12
#define ADA_MOMENTUM 0.5f /* large, so that one call moves the statistics visibly */

typedef struct embed_case {
    int op;
    size_t n, c, d;
    clnn_reduction red;
    int big;       /* inputs shifted by 1e4 */
    size_t stride; /* finite differences on every stride-th element */
} embed_case;

/* Host state of a case: inputs in double, labels, AdaFace's per-row g. */
typedef struct embed_ref {
    const embed_case *k;
    double *x, *w, *g;
    int32_t *labels;
    clnn_margin_options opt;
    double smoothing; /* label smoothing of the reference rows */
} embed_ref;

static double embed_row(const embed_ref *r, size_t i)
{
    const embed_case *k = r->k;
    if (k->op == E_HARMONIC)
        return ref_harmonic_row(r->x + i * k->d, r->w, k->c, k->d, r->labels[i], HARMONIC_N, HARMONIC_EPS,
                                r->smoothing);
    return ref_margin_row(r->x + i * k->d, r->w, k->c, k->d, r->labels[i], (int)r->opt.kind, r->opt.scale,
                          r->opt.margin, r->opt.easy_margin, r->g[i], r->smoothing);
}

static double embed_total(const embed_ref *r)
{
    double s = 0.0;
    for (size_t i = 0; i < r->k->n; i++) s += embed_row(r, i);
    return s;
}

static clnn_status run_embed(clnn_context *ctx, const embed_ref *r, const clnn_tensor *x, const clnn_tensor *w,
                             const clnn_tensor *labels, clnn_tensor *stats, const float stats0[2], clnn_tensor *loss,
                             clnn_tensor *dx, clnn_tensor *dw)
{
    if (r->k->op == E_HARMONIC)
        return clnn_harmonic_loss(ctx, x, w, labels, (float)HARMONIC_N, (float)HARMONIC_EPS, NULL, r->k->red, loss, dx, dw);
    if (stats) CHECK_OK(ctx, clnn_tensor_upload(stats, stats0, 2 * sizeof(float))); /* every call updates them */
    return clnn_margin_loss(ctx, x, w, labels, &r->opt, stats, loss, dx, dw);
}

/* Inputs: x, w uniform in [-1, 1); row 0 of x is its label's class vector
 * plus noise, 1e-3 for the harmonic loss (a distance near 0), 0.05 for the
 * margin losses (cos near 1, but clear of ArcFace's clamp at 1 - 2^-20,
 * where the derivative jumps); with several classes, row 1 points
 * away from its class (cos near -1: ArcFace's fallback branch). big: the
 * harmonic loss gets both sets shifted by 1e4 (distances are what matter),
 * the margin losses both scaled by 1e4 (directions are what matter; a
 * shift would make every cosine 1 - 1e-9, below fp32's resolution). */
static void embed_inputs(const embed_case *k, float *x, float *w, int32_t *labels)
{
    unsigned seed = (unsigned)(k->n * 131 + k->c * 17 + k->d * 3 + (size_t)k->op);
    test_fill_uniform(x, k->n * k->d, seed, -1.0f, 1.0f);
    test_fill_uniform(w, k->c * k->d, seed + 1, -1.0f, 1.0f);
    for (size_t i = 0; i < k->n; i++) labels[i] = (int32_t)((i * 7 + 3) % k->c);
    for (size_t j = 0; j < k->d; j++) {
        x[j] = w[(size_t)labels[0] * k->d + j] + (k->op == E_HARMONIC ? 1e-3f : 0.05f) * x[j];
        if (k->n > 1 && k->c > 1) x[k->d + j] = -w[(size_t)labels[1] * k->d + j] + 0.05f * x[k->d + j];
    }
    for (size_t i = 0; k->big && i < k->n * k->d; i++) x[i] = k->op == E_HARMONIC ? x[i] + 1e4f : x[i] * 1e4f;
    for (size_t i = 0; k->big && i < k->c * k->d; i++) w[i] = k->op == E_HARMONIC ? w[i] + 1e4f : w[i] * 1e4f;
}

/* Central difference of the reduced reference loss wrt v[e] (an element of
 * x, changing one row, or of w, changing all). h = 1e-6 absolute, also at
 * 1e4, where double still resolves it to 1e-12: a relative step would be
 * 1e-2 there, far beyond the loss's curvature scale. */
static double embed_fd(embed_ref *r, double *v, size_t e, int row_only, double scale)
{
    double h = 1e-6, keep = v[e], up, down;
    size_t row = e / r->k->d;
    v[e] = keep + h;
    up = row_only ? embed_row(r, row) : embed_total(r);
    v[e] = keep - h;
    down = row_only ? embed_row(r, row) : embed_total(r);
    v[e] = keep;
    return scale * (up - down) / (2 * h);
}

/* The host state of case k (inputs x, w, labels made by embed_inputs): the
 * options, and AdaFace's statistics after the batch (from stats0) and each
 * row's g. Free r->x, r->w, r->g. */
static embed_ref embed_prepare(clnn_context *ctx, const embed_case *k, const float *x, const float *w,
                               int32_t *labels, const float stats0[2], double stats[2])
{
    size_t n = k->n, c = k->c, d = k->d;
    embed_ref r = {k, to_double(x, n * d), to_double(w, c * d), xmalloc(n * sizeof(double)), labels, {0}};
    clnn_margin_kind kinds[N_EMBED] = {CLNN_MARGIN_COSFACE, CLNN_MARGIN_COSFACE, CLNN_MARGIN_ARCFACE,
                                       CLNN_MARGIN_ARCFACE, CLNN_MARGIN_ADAFACE};
    CHECK_OK(ctx, clnn_margin_options_init(&r.opt, kinds[k->op]));
    r.opt.easy_margin = k->op == E_ARCFACE_EASY;
    r.opt.momentum = ADA_MOMENTUM;
    r.opt.h = 1.5f; /* larger than the paper's 0.333 (see stats0) */
    r.opt.reduction = k->red;
    /* AdaFace: the statistics after this batch, then each row's g */
    double *norms = xmalloc(n * sizeof *norms);
    stats[0] = stats0[0], stats[1] = stats0[1];
    for (size_t i = 0; i < n; i++) {
        norms[i] = 0.0;
        for (size_t j = 0; j < d; j++) norms[i] += r.x[i * d + j] * r.x[i * d + j];
        norms[i] = sqrt(norms[i]);
    }
    ref_adaface_stats(norms, n, ADA_MOMENTUM, stats);
    for (size_t i = 0; i < n; i++) r.g[i] = ref_adaface_g(norms[i], stats, r.opt.h);
    free(norms);
    return r;
}

static void check_embed(clnn_context *ctx, const embed_case *k)
{
    size_t n = k->n, c = k->c, d = k->d;
    float *x = xmalloc(n * d * sizeof *x), *w = xmalloc(c * d * sizeof *w);
    int32_t *labels = xmalloc(n * sizeof *labels);
    embed_inputs(k, x, w, labels);
    char what[160];
    snprintf(what, sizeof what, "%s %zux%zu d %zu %s%s", embed_names[k->op], n, c, d,
             k->red == CLNN_REDUCE_MEAN ? "mean" : "sum", k->big ? " (1e4 inputs)" : "");
    /* AdaFace's EMA starts near the batch's norms (about sqrt(D / 3)), so that
     * with h = 1.5 some rows clip g at +-1 and others do not */
    const float stats0[2] = {(float)sqrt((double)d / 3.0), 0.5f};
    double stats[2];
    embed_ref r = embed_prepare(ctx, k, x, w, labels, stats0, stats);

    clnn_tensor *tx = upload(ctx, n, d, x), *tw = upload(ctx, c, d, w), *tl = upload_labels(ctx, labels, n);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *dx = new_tensor(ctx, CLNN_FLOAT32, n, d);
    clnn_tensor *dw = new_tensor(ctx, CLNN_FLOAT32, c, d);
    clnn_tensor *ts = k->op == E_ADAFACE ? new_tensor(ctx, CLNN_FLOAT32, 2, 0) : NULL;
    CHECK_OK(ctx, run_embed(ctx, &r, tx, tw, tl, ts, stats0, loss, dx, dw));
    float value = read_scalar(ctx, loss), *gx = test_download(ctx, dx), *gw = test_download(ctx, dw);
    if (ts) {
        float got[2];
        CHECK_OK(ctx, clnn_tensor_download(ts, got, sizeof got));
        double err = test_max_rel_error(got, stats, 2, 1e-6, 1e-5);
        CHECK(err <= 1.0, "%s: EMA statistics {%g, %g}, reference {%g, %g}", what, got[0], got[1], stats[0], stats[1]);
    }

    /* value: fp32 logits carry ~1e-6 relative error (log of distances, s·cos
     * with s = 64), so 1e-5 of the rows' magnitude plus 2e-6·s per row */
    double scale = k->red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0, want = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = embed_row(&r, i);
        want += v, mag += fabs(v);
    }
    double tol = scale * (1e-5 * mag + 2e-6 * (k->op == E_HARMONIC ? HARMONIC_N : r.opt.scale) * (double)n);
    CHECK(fabs(value - scale * want) <= tol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", what, value,
          scale * want, tol);

    /* gradients: rtol 1e-3 (fp32 GEMM sums; h = 1e-6 relative in double) */
    size_t cap = (n + c) * d, count = 0;
    float *got = xmalloc(cap * sizeof *got);
    double *fd = xmalloc(cap * sizeof *fd);
    for (size_t e = 0; e < n * d; e += k->stride) got[count] = gx[e], fd[count++] = embed_fd(&r, r.x, e, 1, scale);
    check_grad(what, "dx", got, fd, count, 1e-3);
    count = 0;
    /* a dw difference costs a whole loss (n·c·d products): about 64 of them where that exceeds 10^6 */
    size_t wstride = k->stride;
    while (n * c * d > 1000000 && c * d / wstride > 64) wstride = 2 * wstride + 1;
    for (size_t e = 0; e < c * d; e += wstride) got[count] = gw[e], fd[count++] = embed_fd(&r, r.w, e, 0, scale);
    check_grad(what, "dw", got, fd, count, 1e-3);

    /* the same bits again, and from calls with fewer outputs */
    CHECK_OK(ctx, run_embed(ctx, &r, tx, tw, tl, ts, stats0, loss, dx, dw));
    float value2 = read_scalar(ctx, loss), *hx = test_download(ctx, dx), *hw = test_download(ctx, dw);
    CHECK(same_bits(&value, &value2, 1) && same_bits(gx, hx, n * d) && same_bits(gw, hw, c * d),
          "%s: a second call changed bits", what);
    free(hx), free(hw);
    CHECK_OK(ctx, clnn_tensor_fill(dx, 0.0f));
    CHECK_OK(ctx, clnn_tensor_fill(dw, 0.0f));
    CHECK_OK(ctx, run_embed(ctx, &r, tx, tw, tl, ts, stats0, loss, NULL, NULL));
    value2 = read_scalar(ctx, loss);
    hx = test_download(ctx, dx), hw = test_download(ctx, dw);
    CHECK(same_bits(&value, &value2, 1) && hx[0] == 0.0f && hw[c * d - 1] == 0.0f,
          "%s: loss-only call differs or wrote a gradient", what);
    free(hx), free(hw);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_embed(ctx, &r, tx, tw, tl, ts, stats0, NULL, dx, NULL));
    hx = test_download(ctx, dx);
    CHECK_OK(ctx, run_embed(ctx, &r, tx, tw, tl, ts, stats0, NULL, NULL, dw));
    hw = test_download(ctx, dw);
    CHECK(same_bits(gx, hx, n * d) && same_bits(gw, hw, c * d) && read_scalar(ctx, loss) == -7.0f,
          "%s: dx-only / dw-only calls differ", what);
    free(hx), free(hw);

    free(x), free(w), free(labels), free(r.x), free(r.w), free(r.g), free(gx), free(gw), free(got), free(fd);
    clnn_tensor_release(tx), clnn_tensor_release(tw), clnn_tensor_release(tl), clnn_tensor_release(loss);
    clnn_tensor_release(dx), clnn_tensor_release(dw), clnn_tensor_release(ts);
}

/* Label weights (clnn_label_weights): row weights in [0, 2], class weights in
 * [0.5, 1.5], every third row's label ignore_index (-100; its x stays
 * finite: it enters the gradient GEMMs with zero coefficients); the
 * reference keeps the row's class and weighs it 0. The loss against the
 * weighted reference rows (MEAN: over Σw), dx and dw against its central
 * differences, the ignored rows' dx exactly 0. With label smoothing ls the
 * reference rows are the cross-entropy against the smoothed labels. */
static void check_embed_weighted(clnn_context *ctx, int op, clnn_reduction red, float ls)
{
    const embed_case k = {op, 9, 7, 5, red, 0, 1};
    const size_t n = k.n, c = k.c, d = k.d;
    float *x = xmalloc(n * d * sizeof *x), *w = xmalloc(c * d * sizeof *w), *rw = xmalloc(n * sizeof *rw);
    float *cw = xmalloc(c * sizeof *cw);
    int32_t *labels = xmalloc(n * sizeof *labels), *dev_labels = xmalloc(n * sizeof *dev_labels);
    embed_inputs(&k, x, w, labels);
    test_fill_uniform(rw, n, 71, 0.0f, 2.0f);
    test_fill_uniform(cw, c, 73, 0.5f, 1.5f);
    const float stats0[2] = {(float)sqrt((double)d / 3.0), 0.5f};
    double stats[2], *wt = xmalloc(n * sizeof *wt), sum_w = 0.0;
    embed_ref r = embed_prepare(ctx, &k, x, w, labels, stats0, stats);
    for (size_t i = 0; i < n; i++) {
        const int ignored = i % 3 == 1 && op != E_ADAFACE; /* AdaFace's statistics read every row's norm */
        dev_labels[i] = ignored ? -100 : labels[i];
        wt[i] = ignored ? 0.0 : (double)rw[i] * cw[labels[i]];
        sum_w += wt[i];
    }
    clnn_tensor *tx = upload(ctx, n, d, x), *tw = upload(ctx, c, d, w), *tl = upload_labels(ctx, dev_labels, n);
    clnn_tensor *trw = upload(ctx, n, 1, rw), *tcw = upload(ctx, c, 1, cw);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *dx = new_tensor(ctx, CLNN_FLOAT32, n, d);
    clnn_tensor *dw = new_tensor(ctx, CLNN_FLOAT32, c, d);
    clnn_tensor *ts = op == E_ADAFACE ? new_tensor(ctx, CLNN_FLOAT32, 2, 0) : NULL;
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    lw.row_weights = trw;
    lw.class_weights = tcw;
    lw.label_smoothing = ls;
    r.smoothing = ls;
    if (op == E_HARMONIC) {
        CHECK_OK(ctx, clnn_harmonic_loss(ctx, tx, tw, tl, (float)HARMONIC_N, (float)HARMONIC_EPS, &lw, red, loss, dx,
                                         dw));
    } else {
        CHECK_OK(ctx, clnn_tensor_upload(ts ? ts : loss, stats0, ts ? 2 * sizeof(float) : sizeof(float)));
        r.opt.weights = &lw;
        CHECK_OK(ctx, clnn_margin_loss(ctx, tx, tw, tl, &r.opt, ts, loss, dx, dw));
    }
    float value = read_scalar(ctx, loss), *gx = test_download(ctx, dx), *gw = test_download(ctx, dw);
    char what[96];
    snprintf(what, sizeof what, "%s %zux%zu d %zu %s, label weights, smoothing %g", embed_names[op], n, c, d,
             red == CLNN_REDUCE_MEAN ? "mean" : "sum", (double)ls);
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / sum_w : 1.0;
    double want = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double v = wt[i] == 0.0 ? 0.0 : wt[i] * embed_row(&r, i);
        want += v, mag += fabs(v);
    }
    const double tol = scale * (1e-5 * mag + 2e-6 * (op == E_HARMONIC ? HARMONIC_N : r.opt.scale) * (double)n);
    CHECK(fabs(value - scale * want) <= tol, "%s: loss %.9g, reference %.9g", what, value, scale * want);
    /* gradients: FD of the weighted total (rows of weight 0 left out) */
    float *got = xmalloc((n + c) * d * sizeof *got);
    double *fd = xmalloc((n + c) * d * sizeof *fd);
    size_t count = 0;
    int ignored_zero = 1;
    for (size_t e = 0; e < n * d; e++) {
        const size_t i = e / d;
        if (wt[i] == 0.0 && i % 3 == 1 && op != E_ADAFACE) {
            ignored_zero &= gx[e] == 0.0f;
            continue;
        }
        got[count] = gx[e];
        fd[count++] = wt[i] * embed_fd(&r, r.x, e, 1, scale);
    }
    CHECK(ignored_zero, "%s: an ignored row's dx is not exactly 0", what);
    check_grad(what, "dx", got, fd, count, 1e-3);
    count = 0;
    for (size_t e = 0; e < c * d; e++) { /* the weighted total over every row */
        const double h = 1e-6, keep = r.w[e];
        double up = 0.0, down = 0.0;
        r.w[e] = keep + h;
        for (size_t i = 0; i < n; i++) up += wt[i] == 0.0 ? 0.0 : wt[i] * embed_row(&r, i);
        r.w[e] = keep - h;
        for (size_t i = 0; i < n; i++) down += wt[i] == 0.0 ? 0.0 : wt[i] * embed_row(&r, i);
        r.w[e] = keep;
        got[count] = gw[e];
        fd[count++] = scale * (up - down) / (2 * h);
    }
    check_grad(what, "dw", got, fd, count, 1e-3);
    free(x), free(w), free(rw), free(cw), free(labels), free(dev_labels), free(wt), free(r.x), free(r.w), free(r.g);
    free(gx), free(gw), free(got), free(fd);
    clnn_tensor *all[] = {tx, tw, tl, trw, tcw, loss, dx, dw, ts};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* A label outside [0, C) gives a NaN loss; x equal to its class vector
 * (distance 0) gives a finite harmonic loss near 0. */
static void check_embed_special(clnn_context *ctx)
{
    size_t n = 3, c = 4, d = 5;
    float x[15], w[20];
    test_fill_uniform(x, 15, 5, -1.0f, 1.0f);
    test_fill_uniform(w, 20, 6, -1.0f, 1.0f);
    int32_t labels[3] = {1, 4, 2};
    clnn_tensor *tx = upload(ctx, n, d, x), *tw = upload(ctx, c, d, w), *tl = upload_labels(ctx, labels, n);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *dx = new_tensor(ctx, CLNN_FLOAT32, n, d);
    CHECK_OK(ctx, clnn_harmonic_loss(ctx, tx, tw, tl, 3.0f, 1e-12f, NULL, CLNN_REDUCE_SUM, loss, dx, NULL));
    float *g = test_download(ctx, dx);
    CHECK(isnan(read_scalar(ctx, loss)) && isnan(g[d]) && !isnan(g[0]), "harmonic: label 4 of 4 classes must give NaN");
    free(g);
    CHECK_OK(ctx, clnn_margin_loss(ctx, tx, tw, tl, NULL, NULL, loss, dx, NULL));
    g = test_download(ctx, dx);
    CHECK(isnan(read_scalar(ctx, loss)) && isnan(g[d]) && !isnan(g[0]), "margin: label 4 of 4 classes must give NaN");
    free(g);

    /* x_0 = w_1 exactly, far from the other classes: p_1 = 1 - O((eps / d^2)^(n/2)) */
    labels[1] = 0;
    for (size_t j = 0; j < d; j++) x[j] = w[d + j];
    double xd[15], wd[20];
    for (size_t i = 0; i < 15; i++) xd[i] = x[i];
    for (size_t i = 0; i < 20; i++) wd[i] = w[i];
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, sizeof labels));
    CHECK_OK(ctx, clnn_tensor_upload(tx, x, sizeof x));
    CHECK_OK(ctx, clnn_harmonic_loss(ctx, tx, tw, tl, 3.0f, 1e-12f, NULL, CLNN_REDUCE_SUM, loss, dx, NULL));
    double want = 0.0;
    for (size_t i = 0; i < n; i++) want += ref_harmonic_row(xd + i * d, wd, c, d, labels[i], 3.0, 1e-12, 0.0);
    float got = read_scalar(ctx, loss);
    g = test_download(ctx, dx);
    int finite = 1;
    for (size_t i = 0; i < n * d; i++) finite &= isfinite(g[i]) != 0;
    CHECK(fabs(got - want) <= 1e-5 * (1 + fabs(want)) && finite, "harmonic at distance 0: loss %g (want %g)%s", got,
          want, finite ? "" : ", gradient not finite");
    free(g);
    clnn_tensor_release(tx), clnn_tensor_release(tw), clnn_tensor_release(tl), clnn_tensor_release(loss);
    clnn_tensor_release(dx);
}
/* ======================================================= reduction NONE */

typedef struct none_arg {
    embed_case *k; /* the case and its host state */
    embed_ref *r;
    const float *stats0;
    const clnn_tensor *a, *b, *labels; /* x and w */
    clnn_tensor *stats;
} none_arg;

static clnn_status none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                             clnn_tensor *const *grads)
{
    const none_arg *a = p;
    a->k->red = red, a->r->opt.reduction = red;
    return run_embed(ctx, a->r, a->a, a->b, a->labels, a->stats, a->stats0, loss, grads[0], grads[1]);
}

/* Embedding losses: one loss per row; the tolerance of check_embed per row. */
static void check_none_embed(clnn_context *ctx, int op, size_t n, size_t c, size_t d)
{
    embed_case k = {op, n, c, d, CLNN_REDUCE_SUM, 0, 1};
    float *x = xmalloc(n * d * sizeof *x), *w = xmalloc(c * d * sizeof *w);
    int32_t *labels = xmalloc(n * sizeof *labels);
    embed_inputs(&k, x, w, labels);
    const float stats0[2] = {(float)sqrt((double)d / 3.0), 0.5f};
    double stats[2], *ref = xmalloc(n * sizeof *ref);
    embed_ref r = embed_prepare(ctx, &k, x, w, labels, stats0, stats);
    for (size_t i = 0; i < n; i++) ref[i] = embed_row(&r, i);
    clnn_tensor *tx = upload(ctx, n, d, x), *tw = upload(ctx, c, d, w), *tl = upload_labels(ctx, labels, n);
    clnn_tensor *ts = op == E_ADAFACE ? new_tensor(ctx, CLNN_FLOAT32, 2, 0) : NULL;
    clnn_tensor *grads[2] = {new_tensor(ctx, CLNN_FLOAT32, n, d), new_tensor(ctx, CLNN_FLOAT32, c, d)};
    char what[96];
    snprintf(what, sizeof what, "%s %zux%zu d %zu none", embed_names[op], n, c, d);
    none_arg a = {&k, &r, stats0, tx, tw, tl, ts};
    rn_case rc = {what, none_call, &a, n, ref, 2e-6 * (op == E_HARMONIC ? HARMONIC_N : r.opt.scale), 1e-5, 2, grads};
    rn_check(ctx, &rc);
    free(x), free(w), free(labels), free(ref), free(r.x), free(r.w), free(r.g);
    clnn_tensor_release(tx), clnn_tensor_release(tw), clnn_tensor_release(tl), clnn_tensor_release(ts);
    clnn_tensor_release(grads[0]), clnn_tensor_release(grads[1]);
}

/* ========================================================= local sizes */

/* The tensors of the local-size check's loss calls. */
typedef struct local_args {
    clnn_tensor *tx, *tw, *tl, *loss, *gx, *gw, *stats;
    const clnn_margin_options *ada;
    const float *stats0;
} local_args;

static void run_local(clnn_context *ctx, size_t k, const void *arg, clnn_tensor **out1, clnn_tensor **out2)
{
    const local_args *t = arg;
    *out1 = t->gx, *out2 = t->gw;
    if (k == 0) {
        CHECK_OK(ctx,
                 clnn_harmonic_loss(ctx, t->tx, t->tw, t->tl, 4.0f, 1e-12f, NULL, CLNN_REDUCE_MEAN, t->loss, t->gx, t->gw));
    } else {
        CHECK_OK(ctx, clnn_tensor_upload(t->stats, t->stats0, 2 * sizeof *t->stats0));
        CHECK_OK(ctx, clnn_margin_loss(ctx, t->tx, t->tw, t->tl, t->ada, t->stats, t->loss, t->gx, t->gw));
    }
}

/* The embedding kernels under forced local sizes (ml_check_local_sizes). */
static void check_local_sizes(clnn_context *ctx)
{
    static const char *const ids[] = {"metric.harmonic_rows", "metric.margin_rows", "metric.ada_stats"};
    /* small mode: 40 classes */
    size_t n = test_small() ? 2 : 37, c = test_small() ? 40 : 300, d = 7;
    float *x = xmalloc(n * d * sizeof *x), *w = xmalloc(c * d * sizeof *w);
    test_fill_uniform(x, n * d, 41, 0.0f, 1.0f);
    test_fill_uniform(w, c * d, 43, -1.0f, 1.0f);
    int32_t *labels = xmalloc(n * sizeof *labels);
    for (size_t i = 0; i < n; i++) labels[i] = (int32_t)((i * 11) % c);
    clnn_margin_options ada;
    CHECK_OK(ctx, clnn_margin_options_init(&ada, CLNN_MARGIN_ADAFACE));
    const float stats0[2] = {1.0f, 0.5f};
    local_args t = {upload(ctx, n, d, x),
                    upload(ctx, c, d, w),
                    upload_labels(ctx, labels, n),
                    new_tensor(ctx, CLNN_FLOAT32, 1, 0),
                    new_tensor(ctx, CLNN_FLOAT32, n, d),
                    new_tensor(ctx, CLNN_FLOAT32, c, d),
                    new_tensor(ctx, CLNN_FLOAT32, 2, 0),
                    &ada,
                    stats0};
    ml_check_local_sizes(ctx, ids, sizeof ids / sizeof ids[0], run_local, &t, t.loss);
    free(x), free(w), free(labels);
    clnn_tensor *all[] = {t.tx, t.tw, t.tl, t.loss, t.gx, t.gw, t.stats};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction MEAN = CLNN_REDUCE_MEAN, SUM = CLNN_REDUCE_SUM;

    /* embedding losses: batch 1, one class, two classes, odd and prime D,
     * 257 and 1000 classes (> 256 lanes), inputs at 1e4. On the simulator
     * (small mode) only the first four (three for ArcFace and AdaFace, whose
     * kernels are CosFace's), the fourth with D = 5: a launch there costs
     * 0.05-0.5 s and every case makes ~60 (five calls); more classes than
     * work-items are still covered there by check_local_sizes' local size 1. */
    const int small = test_small();
    for (int op = 0; op < N_EMBED; op++) {
        const embed_case cases[] = {
            /* D = 1 only for the harmonic loss: 1-D unit vectors are +-1, so
             * every cosine is +-1 and the margin losses have no gradient */
            {op, 1, 1, 3, SUM, 0, 1},     {op, 1, 5, op == E_HARMONIC ? 1 : 2, MEAN, 0, 1},
            {op, 7, 2, 5, SUM, 1, 1},     {op, 13, 31, small ? 5 : 17, MEAN, 0, 1},
            {op, 5, 257, 3, SUM, 1, 1},   {op, 3, 1000, 5, MEAN, 0, 7},
        };
        size_t ncases = small ? (op <= E_COSFACE ? 4 : 3) : sizeof cases / sizeof cases[0];
        for (size_t i = 0; i < ncases; i++) check_embed(ctx, &cases[i]);
        /* 2^16+ pairs: 97 rows x 1000 classes, D = 33 */
        if (test_large("embedding losses on 257 and 1000 classes, and 97 x 1000 classes")) {
            const embed_case large = {op, 97, 1000, 33, MEAN, 0, 211};
            check_embed(ctx, &large);
        }
    }
    check_embed_special(ctx);
    for (int op = 0; op < N_EMBED; op++) {
        check_embed_weighted(ctx, op, op % 2 ? MEAN : SUM, 0.0f);
        check_embed_weighted(ctx, op, op % 2 ? SUM : MEAN, 0.1f);
    }

    /* NONE: every loss once on the simulator (batch 1 for the harmonic loss,
     * several rows and a prime number of classes for the margin losses); more
     * shapes on a real device */
    const int every_none = test_large("NONE on more shapes (1000 classes)");
    for (int op = 0; op < N_EMBED; op++) {
        check_none_embed(ctx, op, op == E_HARMONIC ? 1 : 7, op == E_HARMONIC ? 5 : 31, 5);
        if (every_none) check_none_embed(ctx, op, 13, 1000, 17);
    }
    check_local_sizes(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
