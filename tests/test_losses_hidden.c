/* clnn_spherical_z_loss_hidden (include/clnn/losses.h) against the
 * double-precision reference of tests/ref/ref_losses.c, which forms the
 * logits o = W h + b explicitly and shares no algebra with the O(d²) path:
 * shapes N x d x C of 1 x 1 x 2, 1 x 17 x 2, 7 x 17 x 33, 9 x 5 x 4 and
 * 64 x 8 x 3 (labels repeat), 7 x 17 x 1000 and 3 x 128 x 1000, with and
 * without bias, each reduction; the loss per row and dh, dW, db against central finite
 * differences of the reference (every element, or every k-th for the large
 * ones); the same values as clnn_spherical_z_loss on the logits W h + b (its
 * dlogits taken through the layer on the host); identical bits on a second
 * call, from calls that ask for fewer outputs, and under forced local sizes
 * of the four kernels and under the tuner's replays; a bad label; the
 * rejected calls (C = 1 among them) changing nothing. */
#include "check.h"
#include "ref/ref_losses.h"

#include <math.h>

#define ZA 0.5f
#define ZB 2.0f
#define ZEPS 1e-3f

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static const char *red_name(clnn_reduction r)
{
    return r == CLNN_REDUCE_MEAN ? "mean" : r == CLNN_REDUCE_SUM ? "sum" : "none";
}

static clnn_tensor *int_tensor(clnn_context *ctx, const int32_t *v, size_t n)
{
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(ctx, clnn_tensor_upload(t, v, n * sizeof *v));
    return t;
}

static clnn_tensor *zeros(clnn_context *ctx, size_t a, size_t b) { return test_filled(ctx, CLNN_FLOAT32, a, b, 0.0f); }

/* A 1-D fp32 tensor [n] of value (db has bias's shape). */
static clnn_tensor *vec(clnn_context *ctx, size_t n, float value)
{
    float *x = malloc(n * sizeof *x);
    REQUIRE(x, "host memory");
    for (size_t i = 0; i < n; i++) x[i] = value;
    clnn_tensor *t = test_tensor_from(ctx, 1, &n, x);
    free(x);
    return t;
}

/* One case on the host (float and double) and the device. */
typedef struct zcase {
    size_t n, d, c;
    int has_bias;
    float *h, *w, *bias;
    double *hd, *wd, *bd;
    int32_t *labels;
    clnn_tensor *th, *tw, *tb, *tl;
    const double *row_w; /* the reference's row weights (check_weighted), or NULL */
} zcase;

static zcase make_case(clnn_context *ctx, size_t n, size_t d, size_t c, int has_bias)
{
    zcase z = {n, d, c, has_bias, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    z.h = malloc(n * d * sizeof *z.h), z.w = malloc(c * d * sizeof *z.w), z.bias = malloc(c * sizeof *z.bias);
    z.hd = malloc(n * d * sizeof *z.hd), z.wd = malloc(c * d * sizeof *z.wd), z.bd = malloc(c * sizeof *z.bd);
    z.labels = malloc(n * sizeof *z.labels);
    REQUIRE(z.h && z.w && z.bias && z.hd && z.wd && z.bd && z.labels, "host memory");
    unsigned seed = (unsigned)(n * 131 + d * 17 + c * 7 + (unsigned)has_bias);
    test_fill_uniform(z.h, n * d, seed, -1.0f, 1.0f);
    test_fill_uniform(z.w, c * d, seed + 1, -0.5f, 0.5f);
    test_fill_uniform(z.bias, c, seed + 2, -1.0f, 1.0f);
    for (size_t i = 0; i < n * d; i++) z.hd[i] = z.h[i];
    for (size_t i = 0; i < c * d; i++) z.wd[i] = z.w[i];
    for (size_t i = 0; i < c; i++) z.bd[i] = z.bias[i];
    for (size_t r = 0; r < n; r++) z.labels[r] = (int32_t)((r * 7 + 3) % c);
    size_t hs[2] = {n, d}, ws[2] = {c, d};
    z.th = test_tensor_from(ctx, 2, hs, z.h);
    z.tw = test_tensor_from(ctx, 2, ws, z.w);
    z.tb = test_tensor_from(ctx, 1, &c, z.bias);
    z.tl = int_tensor(ctx, z.labels, n);
    return z;
}

static void free_case(zcase *z)
{
    free(z->h), free(z->w), free(z->bias), free(z->hd), free(z->wd), free(z->bd), free(z->labels);
    clnn_tensor_release(z->th), clnn_tensor_release(z->tw), clnn_tensor_release(z->tb), clnn_tensor_release(z->tl);
}

/* The reference's total: scale times the (weighted) sum of its rows. */
static double ref_total(const zcase *z, double scale)
{
    double *v = malloc(z->n * sizeof *v), t = 0.0;
    REQUIRE(v, "host memory");
    ref_loss_spherical_z_hidden(z->hd, z->wd, z->has_bias ? z->bd : NULL, z->labels, z->n, z->d, z->c, ZA, ZB,
                                (double)ZEPS, v);
    for (size_t r = 0; r < z->n; r++) t += (z->row_w ? z->row_w[r] : 1.0) * v[r];
    free(v);
    return scale * t;
}

/* Central difference of the reference total wrt x[i] (x one of z's double arrays). */
static double fd(zcase *z, double *x, size_t i, double scale)
{
    const double step = 1e-5, x0 = x[i];
    x[i] = x0 + step;
    double up = ref_total(z, scale);
    x[i] = x0 - step;
    double down = ref_total(z, scale);
    x[i] = x0;
    return (up - down) / (2 * step);
}

/* got[i] for i = 0, stride, 2 stride, ... against the finite differences; the
 * absolute tolerance follows the gradient's magnitude (fp32 moments). */
static void check_grad(zcase *z, const char *what, const char *name, const float *got, double *x, size_t count,
                       size_t stride, double scale)
{
    size_t m = 0;
    float *g = malloc(count * sizeof *g);
    double *want = malloc(count * sizeof *want), big = 0.0;
    REQUIRE(g && want, "host memory");
    int finite = 1;
    for (size_t i = 0; i < count; i++) finite &= isfinite(got[i]) != 0;
    CHECK(finite, "%s: %s not finite", what, name);
    for (size_t i = 0; i < count; i += stride) {
        g[m] = got[i];
        want[m] = fd(z, x, i, scale);
        big = fmax(big, fabs(want[m]));
        m++;
    }
    double e = test_max_rel_error(g, want, m, 1e-6 * scale + 1e-4 * big, 1e-3);
    CHECK(e <= 1.0, "%s: %s vs finite differences: error %.3g of tolerance (%zu elements)", what, name, e, m);
    free(g), free(want);
}

static clnn_status run(clnn_context *ctx, const zcase *z, clnn_reduction red, clnn_tensor *loss, clnn_tensor *dh,
                       clnn_tensor *dw, clnn_tensor *db)
{
    return clnn_spherical_z_loss_hidden(ctx, z->th, z->tw, z->has_bias ? z->tb : NULL, z->tl, ZA, ZB, ZEPS, NULL, red,
                                        loss, dh, dw, db);
}

/* The same values as clnn_spherical_z_loss on the logits W h + b (formed on
 * the host in double, rounded to fp32), its dlogits taken through the layer
 * on the host: dh = dlogits W, dW = dlogits^T h, db = the column sums. */
static void check_vs_logits(clnn_context *ctx, const zcase *z, const char *what, const float *v, const float *gh,
                            const float *gw, const float *gb)
{
    size_t n = z->n, d = z->d, c = z->c;
    float *o = malloc(n * c * sizeof *o);
    double *wh = calloc(n * d, sizeof *wh), *ww = calloc(c * d, sizeof *ww), *wb = calloc(c, sizeof *wb);
    REQUIRE(o && wh && ww && wb, "host memory");
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < c; j++) {
            double s = z->has_bias ? z->bd[j] : 0.0;
            for (size_t k = 0; k < d; k++) s += z->wd[j * d + k] * z->hd[r * d + k];
            o[r * c + j] = (float)s;
        }
    size_t shape[2] = {n, c};
    clnn_tensor *to = test_tensor_from(ctx, 2, shape, o), *loss = zeros(ctx, n, 1), *g = zeros(ctx, n, c);
    CHECK_OK(ctx, clnn_spherical_z_loss(ctx, to, z->tl, ZA, ZB, ZEPS, NULL, CLNN_REDUCE_NONE, loss, g));
    float *lv = test_download(ctx, loss), *gl = test_download(ctx, g);
    double *lvd = malloc(n * sizeof *lvd);
    REQUIRE(lvd, "host memory");
    for (size_t r = 0; r < n; r++) lvd[r] = lv[r];
    double e = test_max_rel_error(v, lvd, n, 1e-5, 1e-4);
    CHECK(e <= 1.0, "%s: loss vs clnn_spherical_z_loss on W h + b: error %.3g of tolerance", what, e);
    double big_h = 0, big_w = 0, big_b = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < c; j++) {
            double gj = gl[r * c + j];
            for (size_t k = 0; k < d; k++) {
                wh[r * d + k] += gj * z->wd[j * d + k];
                ww[j * d + k] += gj * z->hd[r * d + k];
            }
            wb[j] += gj;
        }
    for (size_t i = 0; i < n * d; i++) big_h = fmax(big_h, fabs(wh[i]));
    for (size_t i = 0; i < c * d; i++) big_w = fmax(big_w, fabs(ww[i]));
    for (size_t i = 0; i < c; i++) big_b = fmax(big_b, fabs(wb[i]));
    e = test_max_rel_error(gh, wh, n * d, 1e-6 + 1e-4 * big_h, 1e-3);
    CHECK(e <= 1.0, "%s: dh vs clnn_spherical_z_loss's dlogits . W: error %.3g of tolerance", what, e);
    e = test_max_rel_error(gw, ww, c * d, 1e-6 + 1e-4 * big_w, 1e-3);
    CHECK(e <= 1.0, "%s: dW vs dlogits^T . h: error %.3g of tolerance", what, e);
    if (gb) {
        e = test_max_rel_error(gb, wb, c, 1e-6 + 1e-4 * big_b, 1e-3);
        CHECK(e <= 1.0, "%s: db vs the column sums of dlogits: error %.3g of tolerance", what, e);
    }
    free(o), free(wh), free(ww), free(wb), free(lv), free(gl), free(lvd);
    clnn_tensor_release(to), clnn_tensor_release(loss), clnn_tensor_release(g);
}

static void check_case(clnn_context *ctx, size_t n, size_t d, size_t c, int has_bias, clnn_reduction red,
                       size_t stride)
{
    zcase z = make_case(ctx, n, d, c, has_bias);
    size_t nloss = red == CLNN_REDUCE_NONE ? n : 1;
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    char what[160];
    snprintf(what, sizeof what, "Z-hidden N=%zu d=%zu C=%zu %s%s", n, d, c, red_name(red), has_bias ? "" : " (no bias)");
    clnn_tensor *loss = zeros(ctx, nloss, 1), *dh = zeros(ctx, n, d), *dw = zeros(ctx, c, d);
    clnn_tensor *db = has_bias ? vec(ctx, c, 0.0f) : NULL;
    CHECK_OK(ctx, run(ctx, &z, red, loss, dh, dw, db));
    float *v = test_download(ctx, loss), *gh = test_download(ctx, dh), *gw = test_download(ctx, dw);
    float *gb = db ? test_download(ctx, db) : NULL;

    double *rv = malloc(n * sizeof *rv), want = 0.0, mag = 0.0;
    REQUIRE(rv, "host memory");
    ref_loss_spherical_z_hidden(z.hd, z.wd, has_bias ? z.bd : NULL, z.labels, n, d, c, ZA, ZB, (double)ZEPS, rv);
    for (size_t r = 0; r < n; r++) {
        if (red == CLNN_REDUCE_NONE) {
            double e = fabs(v[r] - rv[r]) / (1e-5 + 1e-4 * fabs(rv[r]));
            CHECK(e <= 1.0, "%s: row %zu loss %.9g, reference %.9g", what, r, v[r], rv[r]);
        }
        want += rv[r], mag += fabs(rv[r]);
    }
    if (red != CLNN_REDUCE_NONE) {
        double e = fabs(v[0] - scale * want) / (1e-5 + 1e-4 * scale * mag);
        CHECK(e <= 1.0, "%s: loss %.9g, reference %.9g (error %.3g of tolerance)", what, v[0], scale * want, e);
    }
    /* the gradients of NONE are SUM's */
    double gscale = red == CLNN_REDUCE_NONE ? 1.0 : scale;
    check_grad(&z, what, "dh", gh, z.hd, n * d, stride > 1 ? 3 : 1, gscale);
    check_grad(&z, what, "dW", gw, z.wd, c * d, stride, gscale);
    if (gb) check_grad(&z, what, "db", gb, z.bd, c, stride > 1 ? 7 : 1, gscale);
    if (red == CLNN_REDUCE_NONE) check_vs_logits(ctx, &z, what, v, gh, gw, gb);

    /* the same bits again; from a loss-only call, a dh-only call, a dW-only call */
    CHECK_OK(ctx, run(ctx, &z, red, loss, dh, dw, db));
    float *v2 = test_download(ctx, loss), *gh2 = test_download(ctx, dh), *gw2 = test_download(ctx, dw);
    float *gb2 = db ? test_download(ctx, db) : NULL;
    CHECK(same_bits(v, v2, nloss) && same_bits(gh, gh2, n * d) && same_bits(gw, gw2, c * d) &&
              (!gb || same_bits(gb, gb2, c)),
          "%s: a second call changed bits", what);
    free(v2), free(gh2), free(gw2), free(gb2);
    CHECK_OK(ctx, clnn_tensor_fill(dh, -3.0f));
    CHECK_OK(ctx, clnn_tensor_fill(dw, -3.0f));
    CHECK_OK(ctx, run(ctx, &z, red, loss, NULL, NULL, NULL));
    v2 = test_download(ctx, loss);
    CHECK(same_bits(v, v2, nloss), "%s: loss-only call gives other bits", what);
    test_expect_filled(ctx, "dh (loss-only call)", dh, -3.0f);
    test_expect_filled(ctx, "dW (loss-only call)", dw, -3.0f);
    free(v2);
    CHECK_OK(ctx, run(ctx, &z, red, NULL, dh, NULL, NULL));
    gh2 = test_download(ctx, dh);
    CHECK(same_bits(gh, gh2, n * d), "%s: dh-only call gives other bits", what);
    test_expect_filled(ctx, "dW (dh-only call)", dw, -3.0f);
    free(gh2);
    CHECK_OK(ctx, run(ctx, &z, red, NULL, NULL, dw, NULL));
    gw2 = test_download(ctx, dw);
    CHECK(same_bits(gw, gw2, c * d), "%s: dW-only call gives other bits", what);
    free(gw2);
    if (db) {
        CHECK_OK(ctx, clnn_tensor_fill(db, -3.0f));
        CHECK_OK(ctx, run(ctx, &z, red, NULL, NULL, NULL, db));
        gb2 = test_download(ctx, db);
        CHECK(same_bits(gb, gb2, c), "%s: db-only call gives other bits", what);
        free(gb2);
    }

    free(v), free(gh), free(gw), free(gb), free(rv);
    clnn_tensor_release(loss), clnn_tensor_release(dh), clnn_tensor_release(dw), clnn_tensor_release(db);
    free_case(&z);
}

/* Label weights (clnn_label_weights): row weights in [0, 2], class weights
 * in [0.5, 1.5], every third row's label ignore_index (-100; the reference
 * keeps the row's class and weighs it 0): the loss and dh, dW, db against
 * the weighted reference and its central differences. */
static void check_weighted(clnn_context *ctx, size_t n, size_t d, size_t c, clnn_reduction red)
{
    zcase z = make_case(ctx, n, d, c, 1);
    float *rw = malloc(n * sizeof *rw), *cw = malloc(c * sizeof *cw);
    double *w = malloc(n * sizeof *w), sum_w = 0.0;
    int32_t *dev_labels = malloc(n * sizeof *dev_labels);
    REQUIRE(rw && cw && w && dev_labels, "host memory");
    test_fill_uniform(rw, n, 61, 0.0f, 2.0f);
    test_fill_uniform(cw, c, 67, 0.5f, 1.5f);
    for (size_t r = 0; r < n; r++) {
        const int ignored = r % 3 == 1;
        dev_labels[r] = ignored ? -100 : z.labels[r];
        w[r] = ignored ? 0.0 : (double)rw[r] * cw[z.labels[r]];
        sum_w += w[r];
    }
    CHECK_OK(ctx, clnn_tensor_upload(z.tl, dev_labels, n * sizeof *dev_labels));
    z.row_w = w;
    clnn_tensor *trw = test_tensor_from(ctx, 1, &n, rw), *tcw = test_tensor_from(ctx, 1, &c, cw);
    clnn_label_weights lw;
    clnn_label_weights_init(&lw);
    lw.row_weights = trw;
    lw.class_weights = tcw;
    const size_t nloss = red == CLNN_REDUCE_NONE ? n : 1;
    clnn_tensor *loss = zeros(ctx, nloss, 1), *dh = zeros(ctx, n, d), *dw = zeros(ctx, c, d), *db = vec(ctx, c, 0.0f);
    CHECK_OK(ctx, clnn_spherical_z_loss_hidden(ctx, z.th, z.tw, z.tb, z.tl, ZA, ZB, ZEPS, &lw, red, loss, dh, dw, db));
    float *v = test_download(ctx, loss), *gh = test_download(ctx, dh), *gw = test_download(ctx, dw);
    float *gb = test_download(ctx, db);
    char what[160];
    snprintf(what, sizeof what, "Z-hidden N=%zu d=%zu C=%zu %s, weighted", n, d, c, red_name(red));
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / sum_w : 1.0;
    if (red == CLNN_REDUCE_NONE) {
        double *rv = malloc(n * sizeof *rv);
        REQUIRE(rv, "host memory");
        ref_loss_spherical_z_hidden(z.hd, z.wd, z.bd, z.labels, n, d, c, ZA, ZB, (double)ZEPS, rv);
        for (size_t r = 0; r < n; r++)
            CHECK(fabs(v[r] - w[r] * rv[r]) <= 1e-5 + 1e-4 * fabs(w[r] * rv[r]), "%s: row %zu loss %.9g, want %.9g",
                  what, r, v[r], w[r] * rv[r]);
        free(rv);
    } else {
        const double want = ref_total(&z, scale);
        CHECK(fabs(v[0] - want) <= 1e-5 + 1e-4 * fabs(want), "%s: loss %.9g, reference %.9g", what, v[0], want);
    }
    check_grad(&z, what, "dh", gh, z.hd, n * d, 1, scale);
    check_grad(&z, what, "dW", gw, z.wd, c * d, 1, scale);
    check_grad(&z, what, "db", gb, z.bd, c, 1, scale);
    free(v), free(gh), free(gw), free(gb), free(rw), free(cw), free(w), free(dev_labels);
    clnn_tensor_release(loss), clnn_tensor_release(dh), clnn_tensor_release(dw), clnn_tensor_release(db);
    clnn_tensor_release(trw), clnn_tensor_release(tcw);
    free_case(&z);
}

/* The same bits for forced local sizes 1, 3, 64, 256 of each kernel. */
static void check_local_sizes(clnn_context *ctx)
{
    static const char *const kernels[] = {"losses.spherical_z_hidden", "losses.spherical_z_hidden_wfix",
                                          "losses.spherical_z_hidden_scatter",
                                          "losses.spherical_z_hidden_colsum"};
    const size_t locals[] = {1, 3, 64, 256}, n = 9, d = 17, c = 4;
    zcase z = make_case(ctx, n, d, c, 1);
    clnn_tensor *loss = zeros(ctx, n, 1), *dh = zeros(ctx, n, d), *dw = zeros(ctx, c, d), *db = vec(ctx, c, 0.0f);
    CHECK_OK(ctx, run(ctx, &z, CLNN_REDUCE_NONE, loss, dh, dw, db));
    float *v0 = test_download(ctx, loss), *h0 = test_download(ctx, dh), *w0 = test_download(ctx, dw);
    float *b0 = test_download(ctx, db);
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        for (size_t i = 0; i < 4; i++) {
            clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
            if (clnn_tune_force(ctx, kernels[k], &cfg) != CLNN_OK) {
                char why[128];
                snprintf(why, sizeof why, "%s with local size %zu (does not fit this device)", kernels[k], locals[i]);
                test_skip(why);
                continue;
            }
            CHECK_OK(ctx, run(ctx, &z, CLNN_REDUCE_NONE, loss, dh, dw, db));
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            float *v = test_download(ctx, loss), *gh = test_download(ctx, dh), *gw = test_download(ctx, dw);
            float *gb = test_download(ctx, db);
            CHECK(same_bits(v0, v, n) && same_bits(h0, gh, n * d) && same_bits(w0, gw, c * d) &&
                      same_bits(b0, gb, c),
                  "%s: local size %zu changes bits", kernels[k], locals[i]);
            free(v), free(gh), free(gw), free(gb);
        }
    free(v0), free(h0), free(w0), free(b0);
    clnn_tensor_release(loss), clnn_tensor_release(dh), clnn_tensor_release(dw), clnn_tensor_release(db);
    free_case(&z);
}

/* The tuner's exercise of each kernel (src/losses.c) replays the
 * launch under sampled local sizes and compares every buffer bit for bit
 * with the default's (dW and db updated in place included). */
static void check_tuner(clnn_context *ctx)
{
    static const char *const ids[] = {"losses.spherical_z_hidden", "losses.spherical_z_hidden_wfix",
                                      "losses.spherical_z_hidden_scatter",
                                      "losses.spherical_z_hidden_colsum"};
    const size_t problem[2] = {7, 17};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) test_tuner_replays(ctx, ids[i], problem);
}

/* A label out of range (C, or negative: INT32_MIN sorts as -0.0 next to
 * label 0): its row's loss and dh NaN, the other rows finite; dW and db NaN
 * (shared by every row). */
static void check_bad_label(clnn_context *ctx, int32_t bad)
{
    const size_t n = 4, d = 5, c = 4;
    zcase z = make_case(ctx, n, d, c, 1);
    z.labels[1] = bad;
    z.labels[2] = 0;
    CHECK_OK(ctx, clnn_tensor_upload(z.tl, z.labels, n * sizeof *z.labels));
    clnn_tensor *loss = zeros(ctx, n, 1), *dh = zeros(ctx, n, d), *dw = zeros(ctx, c, d), *db = vec(ctx, c, 0.0f);
    CHECK_OK(ctx, run(ctx, &z, CLNN_REDUCE_NONE, loss, dh, dw, db));
    float *v = test_download(ctx, loss), *gh = test_download(ctx, dh), *gw = test_download(ctx, dw);
    float *gb = test_download(ctx, db);
    int ok = isnan(v[1]) && !isnan(v[0]) && !isnan(v[2]) && !isnan(v[3]) && isnan(gh[d]) && isnan(gh[2 * d - 1]) &&
             !isnan(gh[0]) && !isnan(gh[2 * d]) && isnan(gw[0]) && isnan(gb[0]);
    CHECK(ok, "Z-hidden: bad label %d must make its row NaN (loss, dh) and dW, db NaN", (int)bad);
    free(v), free(gh), free(gw), free(gb);
    clnn_tensor_release(loss), clnn_tensor_release(dh), clnn_tensor_release(dw), clnn_tensor_release(db);
    free_case(&z);
}

/* Rejected calls name the function and change no output. */
static void check_errors(clnn_context *ctx)
{
    const char *f = "clnn_spherical_z_loss_hidden";
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const clnn_reduction SUM = CLNN_REDUCE_SUM;
    const size_t n = 3, d = 5, c = 4;
    zcase z = make_case(ctx, n, d, c, 1);
    const float S = 42.0f;
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, S), *loss3 = test_filled(ctx, CLNN_FLOAT32, n, 1, S);
    clnn_tensor *dh = test_filled(ctx, CLNN_FLOAT32, n, d, S), *dw = test_filled(ctx, CLNN_FLOAT32, c, d, S);
    clnn_tensor *db = vec(ctx, c, S);
    clnn_tensor *w1 = test_filled(ctx, CLNN_FLOAT32, 1, d, 0.5f), *w2 = test_filled(ctx, CLNN_FLOAT32, 2, d, 0.5f);
    clnn_tensor *b2 = vec(ctx, 2, 0.0f), *dw2 = test_filled(ctx, CLNN_FLOAT32, 2, d, S), *db2 = vec(ctx, 2, S);
    clnn_tensor *wbad = test_filled(ctx, CLNN_FLOAT32, c, d + 1, 0.5f);
    clnn_tensor *b5 = vec(ctx, c + 1, 0.0f), *dwbad = test_filled(ctx, CLNN_FLOAT32, c + 1, d, S);
    size_t wflat_n = c * d;
    clnn_tensor *wflat = test_filled(ctx, CLNN_FLOAT32, wflat_n, 1, 0.5f);
    int32_t l2[2] = {0, 1};
    clnn_tensor *labels2 = int_tensor(ctx, l2, 2);
    const clnn_tensor *h = z.th, *w = z.tw, *b = z.tb, *l = z.tl;
    float inf = INFINITY, nan = NAN;
    EXPECT_FAIL(NULL, INVAL, f, clnn_spherical_z_loss_hidden(NULL, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, NULL, w, b, l, ZA, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, NULL, b, l, ZA, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, NULL, ZA, ZB, 0, NULL, SUM, loss, dh, dw, db));
    /* C = 1 and C = 2 (issue 19): with 2 classes every z-normalized row is
     * +-(1, -1), the loss constant (dh was rounding noise) */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w1, NULL, l, ZA, ZB, 0, NULL, SUM, loss, dh, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w2, b2, l, ZA, ZB, 1e-3f, NULL, SUM, loss, dh, dw2, db2));
    CHECK(strstr(clnn_last_error(ctx), "at least 3") && strstr(clnn_last_error(ctx), "constant"),
          "the 2-class message says why: '%s'", clnn_last_error(ctx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, wbad, NULL, l, ZA, ZB, 0, NULL, SUM, loss, dh, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, wflat, NULL, l, ZA, ZB, 0, NULL, SUM, loss, dh, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w, b5, l, ZA, ZB, 0, NULL, SUM, loss, dh, dw, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, labels2, ZA, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, 0, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, inf, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, nan, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, -1e-6f, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f,
                clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, (clnn_reduction)9, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, NULL, l, ZA, ZB, 0, NULL, SUM, loss, dh, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, NULL, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss3, dh, dw, db));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss, dw, dh, db));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss, dh, dwbad, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss, dh, dw, (clnn_tensor *)b));
    EXPECT_FAIL(ctx, INVAL, f,
                clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss, (clnn_tensor *)h, dw, db));
    EXPECT_FAIL(ctx, INVAL, f,
                clnn_spherical_z_loss_hidden(ctx, h, w, b, l, ZA, ZB, 0, NULL, SUM, loss, dh, (clnn_tensor *)w, db));
    test_expect_filled(ctx, "loss", loss, S);
    test_expect_filled(ctx, "loss3", loss3, S);
    test_expect_filled(ctx, "dh", dh, S);
    test_expect_filled(ctx, "dW", dw, S);
    test_expect_filled(ctx, "db", db, S);
    test_expect_filled(ctx, "dW (2 classes)", dw2, S);
    test_expect_filled(ctx, "db (2 classes)", db2, S);
    clnn_tensor_release(loss), clnn_tensor_release(loss3), clnn_tensor_release(dh), clnn_tensor_release(dw);
    clnn_tensor_release(db), clnn_tensor_release(w1), clnn_tensor_release(wbad), clnn_tensor_release(b5);
    clnn_tensor_release(dwbad), clnn_tensor_release(wflat), clnn_tensor_release(labels2);
    clnn_tensor_release(w2), clnn_tensor_release(b2), clnn_tensor_release(dw2), clnn_tensor_release(db2);
    free_case(&z);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction SUM = CLNN_REDUCE_SUM, MEAN = CLNN_REDUCE_MEAN, NONE = CLNN_REDUCE_NONE;
    check_errors(ctx);
    /* N x d x C, bias, reduction, FD stride of dW */
    check_case(ctx, 1, 1, 3, 1, SUM, 1);
    check_case(ctx, 1, 1, 3, 0, NONE, 1);
    check_case(ctx, 1, 17, 3, 0, MEAN, 1);
    check_case(ctx, 7, 17, 33, 1, NONE, 1);
    check_case(ctx, 9, 5, 4, 1, MEAN, 1);
    check_case(ctx, 9, 5, 4, 0, SUM, 1);
    check_case(ctx, 64, 8, 3, 1, SUM, 1); /* long interleaved label chains */
    check_weighted(ctx, 9, 5, 4, MEAN);
    check_weighted(ctx, 9, 5, 4, NONE);
    check_weighted(ctx, 64, 8, 3, SUM);
    if (test_large("Z-hidden 7 x 17 x 1000 and 3 x 128 x 1000")) {
        check_case(ctx, 7, 17, 1000, 1, NONE, 41);
        check_case(ctx, 7, 17, 1000, 1, MEAN, 97);
        check_case(ctx, 3, 128, 1000, 1, SUM, 997);
        check_case(ctx, 3, 128, 1000, 0, NONE, 997);
    }
    check_local_sizes(ctx);
    check_tuner(ctx);
    check_bad_label(ctx, 4);
    check_bad_label(ctx, -1);
    check_bad_label(ctx, INT32_MIN);
    clnn_context_release(ctx);
    return check_summary();
}
