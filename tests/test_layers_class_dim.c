/* Softmax, log-softmax and cross-entropy along a chosen dimension
 * (clnn_softmax_dim_*, clnn_cross_entropy_options.class_dim): values against
 * the double reference of tests/ref on the data moved to [rows, C] on the
 * host, gradients against the closed forms in double and central
 * differences, cross-entropy over a dimension bit for bit equal to the
 * last-dimension call on the host-moved data (class weights, ignore_index,
 * smoothing, every reduction), forced local sizes, and bad input that
 * leaves every output alone. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL -7.0f

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* A shape and the class dimension's view [outer, classes, inner]. */
typedef struct dim_case {
    int ndim;
    size_t shape[4];
    int dim;
    size_t outer, classes, inner;
} dim_case;

static dim_case make_case(int ndim, const size_t *shape, int dim)
{
    dim_case c = {ndim, {1, 1, 1, 1}, dim, 1, 1, 1};
    memcpy(c.shape, shape, (size_t)ndim * sizeof *shape);
    int d = dim < 0 ? dim + ndim : dim;
    c.classes = shape[d];
    for (int i = 0; i < d; i++) c.outer *= shape[i];
    for (int i = d + 1; i < ndim; i++) c.inner *= shape[i];
    return c;
}

static size_t case_count(const dim_case *c) { return c->outer * c->classes * c->inner; }

/* x [outer, C, inner] -> out [outer * inner, C] (to_rows), or back. */
static void host_move(const dim_case *c, const float *src, float *dst, int to_rows)
{
    for (size_t o = 0; o < c->outer; o++)
        for (size_t k = 0; k < c->classes; k++)
            for (size_t i = 0; i < c->inner; i++) {
                size_t mid = (o * c->classes + k) * c->inner + i, row = (o * c->inner + i) * c->classes + k;
                if (to_rows)
                    dst[row] = src[mid];
                else
                    dst[mid] = src[row];
            }
}

static void host_move_d(const dim_case *c, const double *src, double *dst)
{
    for (size_t o = 0; o < c->outer; o++)
        for (size_t k = 0; k < c->classes; k++)
            for (size_t i = 0; i < c->inner; i++)
                dst[(o * c->classes + k) * c->inner + i] = src[(o * c->inner + i) * c->classes + k];
}

static clnn_tensor *upload_case(clnn_context *ctx, const dim_case *c, const float *x)
{
    return test_tensor_from(ctx, c->ndim, c->shape, x);
}

/* ---------------------------------------------------------------- softmax */

/* Forward against ref_softmax of the moved rows; backward against the
 * closed form in double from the device's y; central differences of
 * L = sum w . softmax(x) on a few elements; a second call gives the same bits. */
static void check_softmax_dim(clnn_context *ctx, const dim_case *c, int log_out, unsigned seed, float spread)
{
    size_t n = case_count(c), rows = c->outer * c->inner, C = c->classes;
    float *x = malloc(n * sizeof *x), *w = malloc(n * sizeof *w), *xr = malloc(n * sizeof *xr);
    double *yr = malloc(n * sizeof *yr), *want = malloc(n * sizeof *want);
    REQUIRE(x && w && xr && yr && want, "host memory");
    test_fill_uniform(x, n, seed, -spread, spread);
    test_fill_uniform(w, n, seed + 1, -1.0f, 1.0f);
    host_move(c, x, xr, 1);
    ref_softmax(xr, rows, C, log_out, yr);
    host_move_d(c, yr, want);
    clnn_tensor *tx = upload_case(ctx, c, x), *ty = upload_case(ctx, c, x), *tw = upload_case(ctx, c, w);
    clnn_tensor *tdx = upload_case(ctx, c, x);
    char what[128];
    snprintf(what, sizeof what, "%s dim %d of [%zu, %zu, %zu, %zu] (%d dims)", log_out ? "log_softmax" : "softmax",
             c->dim, c->shape[0], c->shape[1], c->shape[2], c->shape[3], c->ndim);
    CHECK_OK(ctx, log_out ? clnn_log_softmax_dim_forward(ctx, tx, c->dim, ty) : clnn_softmax_dim_forward(ctx, tx, c->dim, ty));
    float *y = test_download(ctx, ty);
    /* exp and log within a few ulp, sums of C terms in fp32 */
    double rtol = (8.0 + (double)C) * 1.2e-7, atol = log_out ? rtol * (1.0 + spread) : 1e-9;
    double err = test_max_rel_error(y, want, n, atol, rtol);
    CHECK(err <= 1.0, "%s: forward error %.3g of the tolerance", what, err);

    CHECK_OK(ctx, log_out ? clnn_log_softmax_dim_backward(ctx, ty, tw, c->dim, tdx)
                          : clnn_softmax_dim_backward(ctx, ty, tw, c->dim, tdx));
    float *dx = test_download(ctx, tdx);
    for (size_t o = 0; o < c->outer; o++)
        for (size_t i = 0; i < c->inner; i++) {
            size_t base = o * C * c->inner + i;
            double a = 0.0;
            for (size_t k = 0; k < C; k++) {
                size_t e = base + k * c->inner;
                a += log_out ? w[e] : (double)w[e] * y[e];
            }
            for (size_t k = 0; k < C; k++) {
                size_t e = base + k * c->inner;
                want[e] = log_out ? w[e] - exp((double)y[e]) * a : (double)y[e] * (w[e] - a);
            }
        }
    err = test_max_rel_error(dx, want, n, 1e-6 * (1.0 + (double)C / 64), 1e-5);
    CHECK(err <= 1.0, "%s: backward error %.3g of the tolerance", what, err);

    /* central differences of sum w . y on the double reference, moved rows */
    double worst = 0.0;
    for (size_t e = 0; e < n; e += n / 7 + 1) {
        size_t o = e / (C * c->inner), i = e % c->inner, k = (e / c->inner) % C, row = o * c->inner + i;
        float keep = xr[row * C + k];
        const float h = 1.0f / 256;
        double f[2];
        for (int s = 0; s < 2; s++) {
            xr[row * C + k] = keep + (s ? -h : h);
            ref_softmax(xr + row * C, 1, C, log_out, yr);
            f[s] = 0.0;
            for (size_t j = 0; j < C; j++) f[s] += (double)w[o * C * c->inner + j * c->inner + i] * yr[j];
        }
        xr[row * C + k] = keep;
        double fd = (f[0] - f[1]) / (2.0 * h), d = fabs(dx[e] - fd) / (1e-3 + 1e-3 * fabs(fd));
        if (d > worst) worst = d;
    }
    CHECK(worst <= 1.0, "%s: backward vs central differences %.3g of the tolerance", what, worst);

    CHECK_OK(ctx, log_out ? clnn_log_softmax_dim_forward(ctx, tx, c->dim, ty) : clnn_softmax_dim_forward(ctx, tx, c->dim, ty));
    float *y2 = test_download(ctx, ty);
    CHECK(same_bits(y, y2, n), "%s: a second call changed bits", what);
    free(x), free(w), free(xr), free(yr), free(want), free(y), free(dx), free(y2);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(tw), clnn_tensor_release(tdx);
}

/* ---------------------------------------------------------- cross-entropy */

typedef struct ce_setup {
    clnn_reduction reduction;
    float eps;
    int weighted; /* class weights and an ignored label */
    int soft;
} ce_setup;

/* One call on the device; ce_opts fills the options. */
static void ce_opts(const ce_setup *s, clnn_tensor *class_weights, int class_dim, clnn_cross_entropy_options *o)
{
    clnn_cross_entropy_options_init(o);
    o->reduction = s->reduction;
    o->label_smoothing = s->eps;
    o->ignore_index = s->weighted ? 3 : -100;
    o->class_weights = s->weighted && !s->soft ? class_weights : NULL;
    o->class_dim = class_dim;
}

/* The loss and gradient over dimension dim against the same call on the
 * host-moved data with the classes last: the same bits (the kernel is the
 * same; only the moves differ); and, unweighted, against the double
 * reference. */
static void check_ce_dim(clnn_context *ctx, const dim_case *c, const ce_setup *s, unsigned seed)
{
    size_t n = case_count(c), rows = c->outer * c->inner, C = c->classes;
    float *x = malloc(n * sizeof *x), *t = malloc(n * sizeof *t), *xr = malloc(n * sizeof *xr);
    float *tr = malloc(n * sizeof *tr), *cw = malloc(C * sizeof *cw);
    int32_t *labels = malloc(rows * sizeof *labels);
    REQUIRE(x && t && xr && tr && cw && labels, "host memory");
    test_fill_uniform(x, n, seed, -4.0f, 4.0f);
    test_fill_uniform(t, n, seed + 1, 0.0f, 1.0f);
    test_fill_uniform(cw, C, seed + 2, 0.5f, 2.0f);
    for (size_t r = 0; r < rows; r++) labels[r] = (int32_t)((r * 7 + seed) % C);
    if (s->weighted && rows > 2) labels[1] = 3; /* ignored */
    host_move(c, x, xr, 1);
    host_move(c, t, tr, 1);
    size_t rshape[2] = {rows, C}, cshape[1] = {C}, lshape[1] = {rows};
    clnn_tensor *tx = upload_case(ctx, c, x), *tt = upload_case(ctx, c, t), *tg = upload_case(ctx, c, x);
    clnn_tensor *txr = test_tensor_from(ctx, 2, rshape, xr), *ttr = test_tensor_from(ctx, 2, rshape, tr);
    clnn_tensor *tgr = test_tensor_from(ctx, 2, rshape, xr), *tcw = test_tensor_from(ctx, 1, cshape, cw);
    clnn_tensor *tl = NULL, *loss = NULL, *loss_r = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, lshape, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
    size_t nloss = s->reduction == CLNN_REDUCE_NONE ? rows : 1;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &nloss, &loss));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &nloss, &loss_r));
    clnn_cross_entropy_options o, o_last;
    ce_opts(s, tcw, c->dim, &o);
    ce_opts(s, tcw, 0, &o_last);
    char what[160];
    snprintf(what, sizeof what, "cross-entropy (%s) dim %d of [%zu, %zu, %zu, %zu], %s, eps %g%s",
             s->soft ? "soft" : "labels", c->dim, c->shape[0], c->shape[1], c->shape[2], c->shape[3],
             s->reduction == CLNN_REDUCE_MEAN ? "mean" : s->reduction == CLNN_REDUCE_SUM ? "sum" : "none",
             (double)s->eps, s->weighted ? ", class weights, ignore_index" : "");
    if (s->soft) {
        CHECK_OK(ctx, clnn_cross_entropy_soft(ctx, tx, tt, &o, loss, tg));
        CHECK_OK(ctx, clnn_cross_entropy_soft(ctx, txr, ttr, &o_last, loss_r, tgr));
    } else {
        CHECK_OK(ctx, clnn_cross_entropy_labels(ctx, tx, tl, &o, loss, tg));
        CHECK_OK(ctx, clnn_cross_entropy_labels(ctx, txr, tl, &o_last, loss_r, tgr));
    }
    float *l = test_download(ctx, loss), *lr = test_download(ctx, loss_r), *g = test_download(ctx, tg);
    float *gr = test_download(ctx, tgr), *g_moved = malloc(n * sizeof *g_moved);
    REQUIRE(g_moved, "host memory");
    host_move(c, gr, g_moved, 0);
    CHECK(same_bits(l, lr, nloss) && same_bits(g, g_moved, n), "%s: differs from the classes-last call", what);

    if (!s->weighted && s->reduction != CLNN_REDUCE_NONE) {
        double *gref = malloc(n * sizeof *gref), *gwant = malloc(n * sizeof *gwant);
        REQUIRE(gref && gwant, "host memory");
        int mean = s->reduction == CLNN_REDUCE_MEAN;
        double v = s->soft ? ref_cross_entropy_soft(xr, tr, rows, C, s->eps, mean, gref)
                           : ref_cross_entropy_labels(xr, labels, rows, C, s->eps, -100, mean, gref);
        host_move_d(c, gref, gwant);
        CHECK(fabs(l[0] - v) <= 1e-5 * (1.0 + fabs(v)), "%s: loss %.9g, reference %.9g", what, l[0], v);
        double err = test_max_rel_error(g, gwant, n, 1e-6, 1e-4);
        CHECK(err <= 1.0, "%s: gradient error %.3g of the tolerance", what, err);
        free(gref), free(gwant);
    }
    free(x), free(t), free(xr), free(tr), free(cw), free(labels), free(l), free(lr), free(g), free(gr), free(g_moved);
    clnn_tensor *all[] = {tx, tt, tg, txr, ttr, tgr, tcw, tl, loss, loss_r};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* ------------------------------------------------------------ local sizes */

/* The column and move kernels under local sizes 1 and 37 (or the most the
 * kernel takes) give the default's bits (each column or element is one
 * work-item's); the scalar form of the column kernels is run by the shapes
 * of main. */
static void check_local_sizes(clnn_context *ctx)
{
    /* inner 40: the float8 variant, 15 work-items (a count no local size but 1, 3, 5 and 15 divides) */
    const size_t shape[4] = {3, 11, 5, 8};
    dim_case c = make_case(4, shape, 1);
    size_t n = case_count(&c), rows = c.outer * c.inner;
    float *x = malloc(n * sizeof *x);
    int32_t *labels = malloc(rows * sizeof *labels);
    REQUIRE(x && labels, "host memory");
    test_fill_uniform(x, n, 5, -3.0f, 3.0f);
    for (size_t r = 0; r < rows; r++) labels[r] = (int32_t)(r % c.classes);
    clnn_tensor *tx = upload_case(ctx, &c, x), *ty = upload_case(ctx, &c, x), *tdx = upload_case(ctx, &c, x);
    clnn_tensor *tg = upload_case(ctx, &c, x), *tl = NULL, *loss = NULL;
    size_t one = 1;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &rows, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss));
    clnn_cross_entropy_options o;
    clnn_cross_entropy_options_init(&o);
    o.class_dim = 1;
    static const char *const ids[] = {"softmax.dim_forward", "softmax.dim_backward", "loss.class_dim_move"};
    for (size_t k = 0; k < 3; k++) {
        float *first[2] = {NULL, NULL};
        size_t sizes[3] = {0, 1, test_local_fit(ctx, ids[k], NULL, 37)};
        for (int s = 0; s < 3; s++) {
            clnn_tune_config cfg = {{sizes[s], 1, 1}, {0}};
            if (s) CHECK_OK(ctx, clnn_tune_force(ctx, ids[k], &cfg));
            CHECK_OK(ctx, clnn_softmax_dim_forward(ctx, tx, 1, ty));
            CHECK_OK(ctx, clnn_softmax_dim_backward(ctx, ty, tx, 1, tdx));
            CHECK_OK(ctx, clnn_cross_entropy_labels(ctx, tx, tl, &o, loss, tg));
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            float *a = test_download(ctx, k == 0 ? ty : k == 1 ? tdx : tg);
            if (s == 0) {
                first[0] = a;
                continue;
            }
            CHECK(same_bits(a, first[0], n), "%s: local size %zu changes the bits", ids[k], sizes[s]);
            free(a);
        }
        free(first[0]);
    }
    free(x), free(labels);
    clnn_tensor *all[] = {tx, ty, tdx, tg, tl, loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* -------------------------------------------------------------- bad input */

static void check_errors(clnn_context *ctx)
{
    const size_t shape[4] = {2, 3, 4, 5}, flat[2] = {24, 5}, other[4] = {2, 3, 5, 4};
    float *x = calloc(120, sizeof *x);
    REQUIRE(x, "host memory");
    clnn_tensor *tx = test_tensor_from(ctx, 4, shape, x), *y = test_tensor_from(ctx, 4, shape, x);
    clnn_tensor *yf = test_tensor_from(ctx, 2, flat, x), *yo = test_tensor_from(ctx, 4, other, x);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, SENTINEL), *tl = NULL;
    size_t lrows = 40;
    int32_t labels[40] = {0};
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &lrows, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, sizeof labels));
    clnn_tensor *outs[] = {y, yf, yo};
    for (size_t i = 0; i < 3; i++) CHECK_OK(ctx, clnn_tensor_fill(outs[i], SENTINEL));
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const char *f = "clnn_softmax_dim_forward", *fl = "clnn_log_softmax_dim_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_softmax_dim_forward(NULL, tx, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_softmax_dim_forward(ctx, NULL, 1, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_softmax_dim_forward(ctx, tx, 4, y));
    EXPECT_FAIL(ctx, INVAL, f, clnn_softmax_dim_forward(ctx, tx, -5, y));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_softmax_dim_forward(ctx, tx, 1, yf));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_softmax_dim_forward(ctx, tx, 1, yo));
    EXPECT_FAIL(ctx, INVAL, fl, clnn_log_softmax_dim_backward(ctx, tx, tx, 1, (clnn_tensor *)tx));
    EXPECT_FAIL(ctx, SHAPE, fl, clnn_log_softmax_dim_backward(ctx, tx, yo, 1, y));
    EXPECT_FAIL(ctx, INVAL, fl, clnn_log_softmax_dim_backward(ctx, tx, tx, 9, y));

    clnn_cross_entropy_options o;
    clnn_cross_entropy_options_init(&o);
    o.class_dim = 4;
    const char *fc = "clnn_cross_entropy_labels", *fs = "clnn_cross_entropy_soft";
    EXPECT_FAIL(ctx, INVAL, fc, clnn_cross_entropy_labels(ctx, tx, tl, &o, loss, y));
    o.class_dim = -5;
    EXPECT_FAIL(ctx, INVAL, fc, clnn_cross_entropy_labels(ctx, tx, tl, &o, loss, y));
    o.class_dim = 1; /* 2 x 4 x 5 = 40 rows: dlogits of another shape with the same count and last dimension */
    EXPECT_FAIL(ctx, SHAPE, fc, clnn_cross_entropy_labels(ctx, tx, tl, &o, loss, yf));
    o.class_dim = 2; /* 30 rows, 40 labels */
    EXPECT_FAIL(ctx, SHAPE, fc, clnn_cross_entropy_labels(ctx, tx, tl, &o, loss, y));
    o.class_dim = 1;
    EXPECT_FAIL(ctx, SHAPE, fs, clnn_cross_entropy_soft(ctx, tx, yo, &o, loss, y));
    EXPECT_FAIL(ctx, SHAPE, fs, clnn_cross_entropy_soft(ctx, tx, yf, &o, loss, y));
    test_expect_filled(ctx, "loss", loss, SENTINEL);
    test_expect_filled(ctx, "y", y, SENTINEL);
    test_expect_filled(ctx, "yf", yf, SENTINEL);
    test_expect_filled(ctx, "yo", yo, SENTINEL);
    free(x);
    clnn_tensor *all[] = {tx, y, yf, yo, loss, tl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const int small = test_small();
    const size_t nchw[4] = {2, 5, 3, 4}, wide[3] = {2, 1000, 3}, one[1] = {7}, odd[4] = {3, 1, 7, 2};
    /* inner a multiple of 8: the float8 variant (VW=8) */
    const size_t vec[4] = {2, 5, 4, 4}, vec_wide[3] = {3, 300, 8};
    dim_case cases[] = {make_case(4, nchw, 1), make_case(4, vec, 1), make_case(4, nchw, -1),
                        make_case(4, nchw, 0), make_case(4, nchw, -2), make_case(3, wide, 1),
                        make_case(3, vec_wide, 1), make_case(1, one, 0), make_case(4, odd, 1),
                        make_case(4, odd, 2)};
    size_t ncases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < ncases; i++)
        for (int log_out = 0; log_out < 2; log_out++) {
            if (small && i >= 7 && log_out) continue;
            check_softmax_dim(ctx, &cases[i], log_out, (unsigned)(3 * i + 1), 5.0f);
        }
    for (size_t i = 0; i < 2; i++) { /* large logits: the max is subtracted (both widths) */
        check_softmax_dim(ctx, &cases[i], 0, 99, 1e4f);
        check_softmax_dim(ctx, &cases[i], 1, 98, 1e4f);
    }

    const ce_setup setups[] = {{CLNN_REDUCE_MEAN, 0.0f, 0, 0}, {CLNN_REDUCE_SUM, 0.1f, 0, 0},
                               {CLNN_REDUCE_NONE, 0.0f, 1, 0}, {CLNN_REDUCE_MEAN, 0.1f, 1, 0},
                               {CLNN_REDUCE_MEAN, 0.1f, 0, 1}, {CLNN_REDUCE_NONE, 0.0f, 0, 1}};
    const size_t seg[4] = {2, 6, 5, 3};
    dim_case ce_cases[] = {make_case(4, seg, 1), make_case(3, wide, 1), make_case(4, seg, -3)};
    for (size_t i = 0; i < sizeof ce_cases / sizeof ce_cases[0]; i++)
        for (size_t s = 0; s < sizeof setups / sizeof setups[0]; s++) {
            if (small && i == 1 && s > 1) continue;
            check_ce_dim(ctx, &ce_cases[i], &setups[s], (unsigned)(10 * i + s));
        }
    check_local_sizes(ctx);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
