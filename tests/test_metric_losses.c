/* Metric and overlap losses (include/clnn/metric_losses.h) against the
 * double-precision references of tests/ref/ref_metric_losses.c on awkward
 * shapes: batch 1, one class, two classes, 1000 classes, odd and prime D,
 * rows and samples that are not multiples of any local size, inputs shifted
 * to magnitude 1e4, and (test_large) cases of 2^16..2^20 elements. Every
 * gradient is compared with central differences of the reference value (in
 * double); two calls give identical bits, so do calls with fewer outputs,
 * and so do two forced local sizes. The reduction NONE (tests/reduce_none.h):
 * one value per row, sample, box or element against the reference, the
 * gradients SUM's bit for bit. */
#include "check.h"
#include "reduce_none.h"
#include "ref/ref_metric_losses.h"

#include <math.h>

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static clnn_tensor *new_tensor(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b)
{
    return test_filled(ctx, dtype, a, b, 0.0f);
}

static clnn_tensor *upload(clnn_context *ctx, size_t a, size_t b, const float *data)
{
    size_t shape[2] = {a, b};
    return test_tensor_from(ctx, 2, shape, data);
}

static clnn_tensor *upload_labels(clnn_context *ctx, const int32_t *labels, size_t n)
{
    clnn_tensor *t = new_tensor(ctx, CLNN_INT32, n, 0);
    CHECK_OK(ctx, clnn_tensor_upload(t, labels, n * sizeof *labels));
    return t;
}

static float read_scalar(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    REQUIRE(p, "host memory");
    return p;
}

static double *to_double(const float *x, size_t n)
{
    double *d = xmalloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static double max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* Gradient check: |got - fd| <= 1e-4 max|fd| + rtol |fd| on every compared
 * element. The absolute part is relative to the gradient's own scale: the
 * device sums fp32 terms of about that size. */
static void check_grad(const char *what, const char *name, const float *got, const double *fd, size_t count,
                       double rtol)
{
    double err = test_max_rel_error(got, fd, count, 1e-4 * max_abs(fd, count) + 1e-30, rtol);
    CHECK(err <= 1.0, "%s: %s vs finite differences: error %.3g of tolerance (%zu elements)", what, name, err, count);
}

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
} embed_ref;

static double embed_row(const embed_ref *r, size_t i)
{
    const embed_case *k = r->k;
    if (k->op == E_HARMONIC)
        return ref_harmonic_row(r->x + i * k->d, r->w, k->c, k->d, r->labels[i], HARMONIC_N, HARMONIC_EPS);
    return ref_margin_row(r->x + i * k->d, r->w, k->c, k->d, r->labels[i], (int)r->opt.kind, r->opt.scale,
                          r->opt.margin, r->opt.easy_margin, r->g[i]);
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
        return clnn_harmonic_loss(ctx, x, w, labels, (float)HARMONIC_N, (float)HARMONIC_EPS, r->k->red, loss, dx, dw);
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
    CHECK_OK(ctx, clnn_harmonic_loss(ctx, tx, tw, tl, 3.0f, 1e-12f, CLNN_REDUCE_SUM, loss, dx, NULL));
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
    CHECK_OK(ctx, clnn_harmonic_loss(ctx, tx, tw, tl, 3.0f, 1e-12f, CLNN_REDUCE_SUM, loss, dx, NULL));
    double want = 0.0;
    for (size_t i = 0; i < n; i++) want += ref_harmonic_row(xd + i * d, wd, c, d, labels[i], 3.0, 1e-12);
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

/* ==================================================== overlap losses */

enum { O_DICE, O_DICE_SQUARED, O_JACCARD, N_OVERLAP };
static const char *const overlap_names[N_OVERLAP] = {"dice", "dice-squared", "jaccard"};
#define SMOOTH 1.0f

static double overlap_sample(int op, const double *p, const double *t, size_t len, double smooth)
{
    return op == O_JACCARD ? ref_soft_jaccard(p, t, len, smooth) : ref_soft_dice(p, t, len, op == O_DICE_SQUARED, smooth);
}

static clnn_status run_overlap(clnn_context *ctx, int op, const clnn_tensor *p, const clnn_tensor *t, float smooth,
                               clnn_reduction red, clnn_tensor *loss, clnn_tensor *g)
{
    if (op == O_JACCARD) return clnn_soft_jaccard_loss(ctx, p, t, smooth, red, loss, g);
    return clnn_soft_dice_loss(ctx, p, t, op == O_DICE_SQUARED, smooth, red, loss, g);
}

/* n samples of len elements; binary targets (segmentation masks) or soft. */
static void check_overlap(clnn_context *ctx, int op, size_t n, size_t len, int binary, float smooth,
                          clnn_reduction red, size_t stride)
{
    size_t total = n * len;
    float *p = xmalloc(total * sizeof *p), *t = xmalloc(total * sizeof *t);
    test_fill_uniform(p, total, (unsigned)(n * 7 + len + (size_t)op), 0.0f, 1.0f);
    test_fill_uniform(t, total, (unsigned)(n * 5 + len), 0.0f, 1.0f);
    if (binary)
        for (size_t i = 0; i < total; i++) t[i] = t[i] < 0.3f ? 1.0f : 0.0f;
    char what[160];
    snprintf(what, sizeof what, "%s %zu x %zu %s smooth %g %s", overlap_names[op], n, len, binary ? "binary" : "soft",
             (double)smooth, red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    clnn_tensor *tp = upload(ctx, n, len, p), *tt = upload(ctx, n, len, t);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *g = new_tensor(ctx, CLNN_FLOAT32, n, len);
    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, loss, g));
    float value = read_scalar(ctx, loss), *gd = test_download(ctx, g);
    double *pd = to_double(p, total), *td = to_double(t, total), want = 0.0;
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    for (size_t s = 0; s < n; s++) want += overlap_sample(op, pd + s * len, td + s * len, len, smooth);
    want *= scale;
    /* the per-sample ratio of fp32 sums over len elements: 1e-6 relative per
     * sample, plus the losses' cancellation 1 - q near q = 1 */
    double tol = 2e-6 * (double)n * scale + 1e-6 * fabs(want);
    CHECK(fabs(value - want) <= tol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", what, value, want, tol);

    size_t count = 0;
    float *got = xmalloc(total * sizeof *got);
    double *fd = xmalloc(total * sizeof *fd);
    for (size_t e = 0; e < total; e += stride) {
        size_t s = e / len;
        double keep = pd[e], h = 1e-6, up, down;
        pd[e] = keep + h;
        up = overlap_sample(op, pd + s * len, td + s * len, len, smooth);
        pd[e] = keep - h;
        down = overlap_sample(op, pd + s * len, td + s * len, len, smooth);
        pd[e] = keep;
        got[count] = gd[e];
        fd[count++] = scale * (up - down) / (2 * h);
    }
    check_grad(what, "dprobs", got, fd, count, 1e-3);

    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, loss, g));
    float value2 = read_scalar(ctx, loss), *gd2 = test_download(ctx, g);
    CHECK(same_bits(&value, &value2, 1) && same_bits(gd, gd2, total), "%s: a second call changed bits", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, NULL, g));
    gd2 = test_download(ctx, g);
    CHECK(same_bits(gd, gd2, total) && read_scalar(ctx, loss) == -7.0f, "%s: gradient-only call differs", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(g, 0.0f));
    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, loss, NULL));
    gd2 = test_download(ctx, g);
    CHECK(read_scalar(ctx, loss) == value && gd2[0] == 0.0f && gd2[total - 1] == 0.0f,
          "%s: loss-only call differs or wrote the gradient", what);
    free(gd2);
    free(p), free(t), free(gd), free(pd), free(td), free(got), free(fd);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* ======================================================= DIoU and MADL */

/* Box pairs: centres in [0, 10), sizes in [0.5, 3); the target is the box
 * moved by up to 2 and resized, so pairs overlap, nest or miss. A pred
 * coordinate equal to a target coordinate of the same axis is a kink of the
 * loss (min / max ties, touching boxes; check_diou_degenerate has them):
 * rounding at 1e4 makes a few, and the pred box is moved off them so that
 * central differences apply. */
static void make_boxes(size_t n, unsigned seed, int big, float *p, float *t)
{
    float *u = xmalloc(8 * n * sizeof *u);
    test_fill_uniform(u, 8 * n, seed, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        const float *v = u + 8 * i;
        float cx = 10 * v[0], cy = 10 * v[1], w = 0.5f + 2.5f * v[2], h = 0.5f + 2.5f * v[3];
        float tx = cx + 4 * v[4] - 2, ty = cy + 4 * v[5] - 2, tw = 0.5f + 2.5f * v[6], th = 0.5f + 2.5f * v[7];
        float off = big ? 1e4f : 0.0f;
        float pb[4] = {cx - w / 2 + off, cy - h / 2 + off, cx + w / 2 + off, cy + h / 2 + off};
        float tb[4] = {tx - tw / 2 + off, ty - th / 2 + off, tx + tw / 2 + off, ty + th / 2 + off};
        for (int axis = 0; axis < 2; axis++)
            for (int tie = 1; tie;) {
                tie = 0;
                for (int a = axis; a < 4; a += 2)
                    for (int b = axis; b < 4; b += 2) tie |= pb[a] == tb[b];
                if (tie) pb[axis] += big ? 1e-2f : 1e-5f, pb[axis + 2] += big ? 1e-2f : 1e-5f;
            }
        memcpy(p + 4 * i, pb, sizeof pb);
        memcpy(t + 4 * i, tb, sizeof tb);
    }
    free(u);
}

enum { P_DIOU, P_MADL, P_GMADL, P_GMADL_SQ, N_POINT };
static const char *const point_names[N_POINT] = {"diou", "madl", "gmadl a=5", "gmadl a=5 b=2"};
static const float point_a[N_POINT] = {0, 0, 5, 5}, point_b[N_POINT] = {0, 1, 1, 2};

/* The reference term of item i (a box for DIoU, an element otherwise). */
static double point_item(int op, const double *p, const double *t, size_t i)
{
    if (op == P_DIOU) return ref_diou(p + 4 * i, t + 4 * i);
    return ref_madl(p[i], t[i], point_a[op], point_b[op]);
}

static clnn_status run_point(clnn_context *ctx, int op, const clnn_tensor *p, const clnn_tensor *t,
                             clnn_reduction red, clnn_tensor *loss, clnn_tensor *g)
{
    if (op == P_DIOU) return clnn_diou_loss(ctx, p, t, red, loss, g);
    return clnn_madl_loss(ctx, p, t, point_a[op], point_b[op], red, loss, g);
}

static void check_point(clnn_context *ctx, int op, size_t items, clnn_reduction red, int big, size_t stride)
{
    size_t width = op == P_DIOU ? 4 : 1, total = items * width;
    float *p = xmalloc(total * sizeof *p), *t = xmalloc(total * sizeof *t);
    if (op == P_DIOU) {
        make_boxes(items, (unsigned)items, big, p, t);
    } else { /* returns of either sign; big: products up to 1e8 (saturated sigmoid) */
        test_fill_uniform(p, total, (unsigned)items + 3, -1.0f, 1.0f);
        test_fill_uniform(t, total, (unsigned)items + 4, -1.0f, 1.0f);
        for (size_t i = 0; big && i < total; i++) p[i] *= 1e4f, t[i] *= 1e4f;
    }
    char what[160];
    snprintf(what, sizeof what, "%s %zu %s%s", point_names[op], items, red == CLNN_REDUCE_MEAN ? "mean" : "sum",
             big ? " (1e4 inputs)" : "");
    clnn_tensor *tp = upload(ctx, items, width, p), *tt = upload(ctx, items, width, t);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *g = new_tensor(ctx, CLNN_FLOAT32, items, width);
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, loss, g));
    float value = read_scalar(ctx, loss), *gd = test_download(ctx, g);
    double *pd = to_double(p, total), *td = to_double(t, total), want = 0.0, mag = 0.0;
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)items : 1.0;
    for (size_t i = 0; i < items; i++) {
        double v = point_item(op, pd, td, i);
        want += v, mag += fabs(v);
    }
    /* fp32 terms (1e-6 relative each, boxes far from the origin included),
     * summed in fp32 */
    double tol = 2e-6 * scale * mag + 1e-7;
    CHECK(fabs(value - scale * want) <= tol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", what, value,
          scale * want, tol);

    size_t count = 0;
    float *got = xmalloc(total * sizeof *got);
    double *fd = xmalloc(total * sizeof *fd);
    for (size_t e = 0; e < total; e += stride) {
        size_t i = e / width;
        double keep = pd[e], h = 1e-6, up, down; /* absolute: boxes at 1e4 keep their curvature scale */
        pd[e] = keep + h;
        up = point_item(op, pd, td, i);
        pd[e] = keep - h;
        down = point_item(op, pd, td, i);
        pd[e] = keep;
        got[count] = gd[e];
        fd[count++] = scale * (up - down) / (2 * h);
    }
    if (op == P_MADL) { /* the sign's gradient: 0 everywhere (no finite difference straddles a sign change here) */
        size_t nonzero = 0;
        for (size_t i = 0; i < total; i++) nonzero += gd[i] != 0.0f;
        CHECK(nonzero == 0 && max_abs(fd, count) == 0.0, "%s: %zu nonzero gradient entries", what, nonzero);
    } else {
        check_grad(what, "dpred", got, fd, count, 1e-3);
    }

    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, loss, g));
    float value2 = read_scalar(ctx, loss), *gd2 = test_download(ctx, g);
    CHECK(same_bits(&value, &value2, 1) && same_bits(gd, gd2, total), "%s: a second call changed bits", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(g, 3.0f));
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, loss, NULL));
    gd2 = test_download(ctx, g);
    CHECK(read_scalar(ctx, loss) == value && gd2[0] == 3.0f, "%s: loss-only call differs or wrote the gradient", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, NULL, g));
    gd2 = test_download(ctx, g);
    CHECK(same_bits(gd, gd2, total) && read_scalar(ctx, loss) == -7.0f, "%s: gradient-only call differs", what);
    free(gd2);
    free(p), free(t), free(gd), free(pd), free(td), free(got), free(fd);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* Issue 19, GMADL tails: the gradient where the sigmoid saturates, v = a R
 * R^ from 0.25 to 80 in magnitude, both signs, against double code written
 * here from the definition: loss = -(σ(v) - ½)|R|^b = -½ tanh(v/2) |R|^b,
 * d/dR^ = -a R σ'(v) |R|^b, σ'(v) = e/(1 + e)², e = exp(-|v|) (NONE: one
 * value per element). a, R and R^ are powers of two or small integers, so v
 * and |R|^b are exact in fp32 and the reference sees the device's inputs.
 * Tolerance 1e-5 of each value and each gradient entry: what the kernel
 * promises is e to OpenCL's exp (3-4 ulp) and a few roundings, ~1e-6; e
 * stays a normal float up to |v| = 87 (beyond, the true gradient is below
 * FLT_MIN). Before the fix e was 1 + expm1(-|v|): 2.6% off at v = 15,
 * -0 instead of -4.14e-8 at v = 17 (pred 17, target 1, a = b = 1). */
static void check_gmadl_tails(clnn_context *ctx)
{
    static const float preds[] = {0.25f, 1, 3, 8, 15, 16, 17, 20, 24, 30, 40, 50, 64, 80};
    static const struct {
        float a, b, r;
    } sets[] = {{1, 1, 1}, {1, 1, -1}, {0.5f, 2, 2}, {2, 0.5f, -0.5f}, {4, 1, 0.25f}};
    const size_t np = sizeof preds / sizeof preds[0], n = 2 * np;
    float p[2 * sizeof preds / sizeof preds[0]], t[2 * sizeof preds / sizeof preds[0]];
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        const float a = sets[s].a, b = sets[s].b;
        for (size_t i = 0; i < np; i++) { /* v = +-preds[i] */
            p[2 * i] = preds[i] / (a * sets[s].r), p[2 * i + 1] = -p[2 * i];
            t[2 * i] = t[2 * i + 1] = sets[s].r;
        }
        clnn_tensor *tp = upload(ctx, n, 1, p), *tt = upload(ctx, n, 1, t);
        clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, n, 0), *g = new_tensor(ctx, CLNN_FLOAT32, n, 1);
        CHECK_OK(ctx, clnn_madl_loss(ctx, tp, tt, a, b, CLNN_REDUCE_NONE, loss, g));
        float *v = test_download(ctx, loss), *gd = test_download(ctx, g);
        double worst_v = 0.0, worst_g = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double r = t[i], u = (double)a * r * p[i], w = pow(fabs(r), (double)b), e = exp(-fabs(u));
            const double want = -0.5 * tanh(u / 2) * w, gw = -(double)a * r * (e / ((1 + e) * (1 + e))) * w;
            double ev = fabs(v[i] - want) / (1e-5 * fabs(want)), eg = fabs(gd[i] - gw) / (1e-5 * fabs(gw));
            worst_v = fmax(worst_v, ev != ev ? INFINITY : ev);
            worst_g = fmax(worst_g, eg != eg ? INFINITY : eg);
            if (s == 0 && (p[i] == 15.0f || p[i] == 17.0f))
                printf("gmadl a=1 b=1, pred %g, target 1: loss %.9g (reference %.9g), gradient %.9g (reference %.9g)\n",
                       (double)p[i], v[i], want, gd[i], gw);
        }
        printf("gmadl a=%g b=%g target %g, |v| 0.25 to 80: worst errors %.3g (values), %.3g (gradients) of the "
               "tolerance\n",
               (double)a, (double)b, (double)sets[s].r, worst_v, worst_g);
        CHECK(worst_v <= 1.0 && worst_g <= 1.0,
              "gmadl a=%g b=%g target %g in the sigmoid's tails: values off by %.3g, gradients by %.3g of the "
              "tolerance (1e-5 relative)",
              (double)a, (double)b, (double)sets[s].r, worst_v, worst_g);
        free(v), free(gd);
        clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
    }
}

/* DIoU on degenerate boxes (header): identical points, a zero-width box, an
 * inverted box, identical boxes, touching boxes: values against the
 * reference, gradients finite. */
static void check_diou_degenerate(clnn_context *ctx)
{
    float p[] = {1, 1, 1, 1, /**/ 2, 0, 2, 3, /**/ 3, 3, 1, 1, /**/ 0, 0, 2, 2, /**/ 0, 0, 1, 1, /**/ 5, 5, 5, 5};
    float t[] = {1, 1, 1, 1, /**/ 0, 0, 4, 4, /**/ 0, 0, 2, 2, /**/ 0, 0, 2, 2, /**/ 1, 0, 2, 1, /**/ 0, 0, 1, 1};
    size_t n = sizeof p / sizeof p[0] / 4;
    clnn_tensor *tp = upload(ctx, n, 4, p), *tt = upload(ctx, n, 4, t);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *g = new_tensor(ctx, CLNN_FLOAT32, n, 4);
    double pd[24], td[24], want = 0.0;
    for (size_t i = 0; i < 4 * n; i++) pd[i] = p[i], td[i] = t[i];
    for (size_t i = 0; i < n; i++) want += ref_diou(pd + 4 * i, td + 4 * i);
    CHECK_OK(ctx, clnn_diou_loss(ctx, tp, tt, CLNN_REDUCE_SUM, loss, g));
    float got = read_scalar(ctx, loss), *gd = test_download(ctx, g);
    int finite = 1;
    for (size_t i = 0; i < 4 * n; i++) finite &= isfinite(gd[i]) != 0;
    CHECK(fabs(got - want) <= 1e-5 * (1 + fabs(want)) && finite, "diou degenerate boxes: %g vs %g%s", got, want,
          finite ? "" : " (gradient not finite)");
    /* identical boxes: loss 0, and the gradient is the (one-sided) subgradient 0 or finite */
    CHECK(fabs(ref_diou(pd + 12, td + 12)) < 1e-6, "reference: identical boxes have loss 0");
    free(gd);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* ======================================================= reduction NONE */

typedef struct none_arg {
    int family; /* 0 embedding, 1 overlap, 2 point */
    int op;
    embed_case *k; /* embedding losses: the case and its host state */
    embed_ref *r;
    const float *stats0;
    const clnn_tensor *a, *b, *labels; /* x and w, probs and targets, pred and target */
    clnn_tensor *stats;
} none_arg;

static clnn_status none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                             clnn_tensor *const *grads)
{
    const none_arg *a = p;
    if (a->family == 1) return run_overlap(ctx, a->op, a->a, a->b, SMOOTH, red, loss, grads[0]);
    if (a->family == 2) return run_point(ctx, a->op, a->a, a->b, red, loss, grads[0]);
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
    none_arg a = {0, op, &k, &r, stats0, tx, tw, tl, ts};
    rn_case rc = {what, none_call, &a, n, ref, 2e-6 * (op == E_HARMONIC ? HARMONIC_N : r.opt.scale), 1e-5, 2, grads};
    rn_check(ctx, &rc);
    free(x), free(w), free(labels), free(ref), free(r.x), free(r.w), free(r.g);
    clnn_tensor_release(tx), clnn_tensor_release(tw), clnn_tensor_release(tl), clnn_tensor_release(ts);
    clnn_tensor_release(grads[0]), clnn_tensor_release(grads[1]);
}

/* Overlap losses: one loss per sample; point losses: one per box or element. */
static void check_none_items(clnn_context *ctx, int overlap, int op, size_t n, size_t len)
{
    size_t width = overlap ? len : op == P_DIOU ? 4 : 1, total = n * width;
    float *p = xmalloc(total * sizeof *p), *t = xmalloc(total * sizeof *t);
    if (!overlap && op == P_DIOU) {
        make_boxes(n, (unsigned)n + 5, 0, p, t);
    } else {
        test_fill_uniform(p, total, (unsigned)(n * 3 + len + (size_t)op), overlap ? 0.0f : -1.0f, 1.0f);
        test_fill_uniform(t, total, (unsigned)(n * 3 + len + 9), overlap ? 0.0f : -1.0f, 1.0f);
    }
    double *pd = to_double(p, total), *td = to_double(t, total), *ref = xmalloc(n * sizeof *ref);
    for (size_t i = 0; i < n; i++)
        ref[i] = overlap ? overlap_sample(op, pd + i * len, td + i * len, len, SMOOTH) : point_item(op, pd, td, i);
    clnn_tensor *tp = upload(ctx, n, width, p), *tt = upload(ctx, n, width, t);
    clnn_tensor *g = new_tensor(ctx, CLNN_FLOAT32, n, width);
    char what[96];
    snprintf(what, sizeof what, "%s %zu x %zu none", overlap ? overlap_names[op] : point_names[op], n, width);
    none_arg a = {overlap ? 1 : 2, op, NULL, NULL, NULL, tp, tt, NULL, NULL};
    /* a ratio of fp32 sums (overlap) or one fp32 term: 2e-6 relative, plus 1e-6 near 0 */
    rn_case rc = {what, none_call, &a, n, ref, 1e-6, 2e-6, 1, &g};
    rn_check(ctx, &rc);
    free(p), free(t), free(pd), free(td), free(ref);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(g);
}

/* ========================================================= local sizes */

/* The loss and gradient bits of each kernel family under two forced local
 * sizes (1 and 48, not a power of two; three quarters of the kernel's limit
 * where it takes fewer than 48) equal those of the default. */
static void check_local_sizes(clnn_context *ctx)
{
    static const char *const ids[] = {"metric.harmonic_rows", "metric.margin_rows", "metric.ada_stats",
                                      "metric.overlap_partial", "metric.diou", "metric.madl"};
    /* small mode: 2 chunks per sample, of MADL elements and of boxes; 40 classes */
    size_t n = test_small() ? 2 : 37, c = test_small() ? 40 : 300, d = 7, len = test_small() ? 4100 : 5000;
    float *x = xmalloc(n * len * sizeof *x), *w = xmalloc(c * d * sizeof *w), *y = xmalloc(n * len * sizeof *y);
    test_fill_uniform(x, n * len, 41, 0.0f, 1.0f);
    test_fill_uniform(y, n * len, 42, 0.0f, 1.0f);
    test_fill_uniform(w, c * d, 43, -1.0f, 1.0f);
    int32_t *labels = xmalloc(n * sizeof *labels);
    for (size_t i = 0; i < n; i++) labels[i] = (int32_t)((i * 11) % c);
    clnn_tensor *tx = upload(ctx, n, d, x), *tw = upload(ctx, c, d, w), *tl = upload_labels(ctx, labels, n);
    clnn_tensor *tp = upload(ctx, n, len, x), *tt = upload(ctx, n, len, y);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *gx = new_tensor(ctx, CLNN_FLOAT32, n, d);
    clnn_tensor *gw = new_tensor(ctx, CLNN_FLOAT32, c, d), *gp = new_tensor(ctx, CLNN_FLOAT32, n, len);
    clnn_tensor *gbox = new_tensor(ctx, CLNN_FLOAT32, n * len / 4, 4);
    clnn_tensor *stats = new_tensor(ctx, CLNN_FLOAT32, 2, 0);
    clnn_tensor *boxes = upload(ctx, n * len / 4, 4, x), *tboxes = upload(ctx, n * len / 4, 4, y);
    clnn_margin_options ada;
    CHECK_OK(ctx, clnn_margin_options_init(&ada, CLNN_MARGIN_ADAFACE));
    const float stats0[2] = {1.0f, 0.5f};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        float *first[3] = {NULL, NULL, NULL};
        size_t odd = test_local_fit(ctx, ids[k], NULL, 48);
        if (odd < 48 && odd >= 4 && !(odd & (odd - 1))) odd = odd / 4 * 3; /* still not a power of two */
        size_t sizes[3] = {0, 1, odd};
        for (int s = 0; s < 3; s++) {
            clnn_tune_config cfg = {{sizes[s], 1, 1}, {0}};
            if (s) CHECK_OK(ctx, clnn_tune_force(ctx, ids[k], &cfg));
            clnn_tensor *out1 = gx, *out2 = gw;
            if (k == 0) {
                CHECK_OK(ctx, clnn_harmonic_loss(ctx, tx, tw, tl, 4.0f, 1e-12f, CLNN_REDUCE_MEAN, loss, gx, gw));
            } else if (k <= 2) {
                CHECK_OK(ctx, clnn_tensor_upload(stats, stats0, sizeof stats0));
                CHECK_OK(ctx, clnn_margin_loss(ctx, tx, tw, tl, &ada, stats, loss, gx, gw));
            } else if (k == 3) {
                CHECK_OK(ctx, clnn_soft_jaccard_loss(ctx, tp, tt, 1.0f, CLNN_REDUCE_MEAN, loss, gp));
                out1 = gp, out2 = NULL;
            } else if (k == 4) {
                CHECK_OK(ctx, clnn_diou_loss(ctx, boxes, tboxes, CLNN_REDUCE_MEAN, loss, gbox));
                out1 = gbox, out2 = NULL;
            } else {
                CHECK_OK(ctx, clnn_madl_loss(ctx, tp, tt, 3.0f, 1.0f, CLNN_REDUCE_MEAN, loss, gp));
                out1 = gp, out2 = NULL;
            }
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            float *l = test_download(ctx, loss), *a = test_download(ctx, out1), *b = out2 ? test_download(ctx, out2) : NULL;
            size_t na = clnn_tensor_count(out1), nb = out2 ? clnn_tensor_count(out2) : 0;
            if (s == 0) {
                first[0] = l, first[1] = a, first[2] = b;
                continue;
            }
            CHECK(same_bits(l, first[0], 1) && same_bits(a, first[1], na) && (!b || same_bits(b, first[2], nb)),
                  "%s: local size %zu changes the bits", ids[k], sizes[s]);
            free(l), free(a), free(b);
        }
        free(first[0]), free(first[1]), free(first[2]);
    }
    free(x), free(w), free(y), free(labels);
    clnn_tensor *all[] = {tx, tw, tl, tp, tt, loss, gx, gw, gp, gbox, stats, boxes, tboxes};
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

    /* overlap losses: batch 1, one element per sample, odd lengths, chunk edges (4096) */
    for (int op = 0; op < N_OVERLAP; op++) {
        check_overlap(ctx, op, 1, 1, 1, SMOOTH, SUM, 1);
        check_overlap(ctx, op, 3, 7, 0, 0.0f, MEAN, 1);
        check_overlap(ctx, op, small ? 2 : 5, 257, 1, SMOOTH, MEAN, 1);
        if (!small) check_overlap(ctx, op, 2, 4097, 0, 0.5f, SUM, 13); /* small mode: two chunks in check_local_sizes */
        if (test_large("overlap losses on 3 x 349527 elements (2^20 + 5)"))
            check_overlap(ctx, op, 3, 349527, 1, SMOOTH, MEAN, 997);
    }

    /* boxes and directional losses: 1 item, odd counts, chunk edges, 1e4 inputs */
    for (int op = 0; op < N_POINT; op++) {
        check_point(ctx, op, 1, SUM, 0, 1);
        check_point(ctx, op, 13, MEAN, 0, 1);
        check_point(ctx, op, 1025, SUM, 1, 1);
        if (!small) check_point(ctx, op, 4099, MEAN, 0, 7); /* small mode: two chunks in check_local_sizes */
        if (test_large("box and directional losses on 2^18 + 3 items"))
            check_point(ctx, op, (1u << 18) + 3, MEAN, 0, 1009);
    }
    check_diou_degenerate(ctx);
    check_gmadl_tails(ctx);

    /* NONE: every loss once on the simulator (batch 1 for the harmonic loss,
     * several rows and a prime number of classes for the margin losses, an
     * odd sample length, two chunks of boxes and of elements); more shapes
     * on a real device */
    const int every_none = test_large("NONE on more shapes (1000 classes, 2 chunks of overlap samples)");
    for (int op = 0; op < N_EMBED; op++) {
        check_none_embed(ctx, op, op == E_HARMONIC ? 1 : 7, op == E_HARMONIC ? 5 : 31, 5);
        if (every_none) check_none_embed(ctx, op, 13, 1000, 17);
    }
    for (int op = 0; op < N_OVERLAP; op++) {
        check_none_items(ctx, 1, op, 3, 7);
        if (every_none) check_none_items(ctx, 1, op, 5, 4097);
    }
    for (int op = 0; op < N_POINT; op++) {
        check_none_items(ctx, 0, op, op == P_DIOU ? 1025 : 4099, 0);
        if (every_none) check_none_items(ctx, 0, op, 1, 0);
    }
    check_local_sizes(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
