/* clnn_sigmoid_loss (include/clnn/layers.h): BCE with logits with PyTorch's
 * weight= (per class and per element) and pos_weight=, and torchvision's
 * sigmoid focal loss (gamma 2 with alpha 0.25, gamma 0.5 without alpha,
 * gamma 0 with alpha), against double code from those definitions: values
 * per element (NONE) and reduced, gradients against central differences,
 * soft and hard targets, logits up to ±30 and a case past one chunk of 4096
 * elements; plain BCE against clnn_bce_with_logits; bad input refused with
 * the outputs unchanged. */
#include "check.h"

#include <math.h>

typedef struct sig_case {
    size_t rows, cols;
    float gamma, alpha;
    int weight; /* 0 none, 1 per class, 2 per element */
    int pos_weight;
    clnn_reduction red;
} sig_case;

static double softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

static double ref_term(double x, double t, double w, double pw, double gamma, double alpha)
{
    if (gamma == 0.0 && alpha < 0.0) return w * (pw * t * softplus(-x) + (1.0 - t) * softplus(x));
    const double p = 1.0 / (1.0 + exp(-x)), ce = t * softplus(-x) + (1.0 - t) * softplus(x);
    const double pt = p * t + (1.0 - p) * (1.0 - t), at = alpha < 0.0 ? 1.0 : alpha * t + (1.0 - alpha) * (1.0 - t);
    return w * at * pow(1.0 - pt, gamma) * ce;
}

static const char *red_name(clnn_reduction r)
{
    return r == CLNN_REDUCE_MEAN ? "mean" : r == CLNN_REDUCE_SUM ? "sum" : "none";
}

static void check_case(clnn_context *ctx, const sig_case *k)
{
    const size_t n = k->rows * k->cols, c = k->cols, nloss = k->red == CLNN_REDUCE_NONE ? n : 1;
    float *x = malloc(n * sizeof *x), *t = malloc(n * sizeof *t), *w = malloc(n * sizeof *w);
    float *pw = malloc(c * sizeof *pw);
    double *fd = malloc(n * sizeof *fd);
    REQUIRE(x && t && w && pw && fd, "host memory");
    test_fill_uniform(x, n, (unsigned)(n + c), -6.0f, 6.0f);
    test_fill_uniform(t, n, (unsigned)(n + 2), 0.0f, 1.0f);
    for (size_t i = 0; i < n; i += 3) t[i] = t[i] < 0.5f ? 0.0f : 1.0f; /* hard targets too */
    if (n > 4) x[1] = 30.0f, x[4] = -30.0f;
    test_fill_uniform(w, n, 5, 0.5f, 1.5f);
    test_fill_uniform(pw, c, 7, 0.5f, 3.0f);
    size_t shape[2] = {k->rows, k->cols};
    const size_t wcount = k->weight == 1 ? c : n;
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tt = test_tensor_from(ctx, 2, shape, t);
    clnn_tensor *tw = test_tensor_from(ctx, 1, &wcount, w), *tpw = test_tensor_from(ctx, 1, &c, pw);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, nloss, 1, 0.0f), *g = test_filled(ctx, CLNN_FLOAT32, k->rows, k->cols, 0.0f);
    clnn_sigmoid_loss_options o;
    clnn_sigmoid_loss_options_init(&o);
    o.reduction = k->red;
    o.gamma = k->gamma;
    o.alpha = k->alpha;
    o.weight = k->weight ? tw : NULL;
    o.pos_weight = k->pos_weight ? tpw : NULL;
    CHECK_OK(ctx, clnn_sigmoid_loss(ctx, tx, tt, &o, loss, g));
    float *v = test_download(ctx, loss), *gv = test_download(ctx, g);
    char what[128];
    snprintf(what, sizeof what, "sigmoid loss %zux%zu gamma %g alpha %g weight %d pos_weight %d %s", k->rows, k->cols,
             (double)k->gamma, (double)k->alpha, k->weight, k->pos_weight, red_name(k->red));
    const double scale = k->red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    double want = 0.0, mag = 0.0;
    for (size_t e = 0; e < n; e++) {
        const double we = k->weight == 0 ? 1.0 : w[k->weight == 1 ? e % c : e];
        const double pe = k->pos_weight ? pw[e % c] : 1.0;
        const double ve = ref_term(x[e], t[e], we, pe, k->gamma, k->alpha);
        if (k->red == CLNN_REDUCE_NONE)
            CHECK(fabs(v[e] - ve) <= 1e-6 + 2e-5 * fabs(ve), "%s: element %zu %.9g, reference %.9g", what, e,
                  (double)v[e], ve);
        want += ve, mag += fabs(ve);
        const double h = 1e-4;
        fd[e] = scale * (ref_term((double)x[e] + h, t[e], we, pe, k->gamma, k->alpha) -
                         ref_term((double)x[e] - h, t[e], we, pe, k->gamma, k->alpha)) /
                (2 * h);
    }
    if (k->red != CLNN_REDUCE_NONE)
        CHECK(fabs(v[0] - scale * want) <= scale * (1e-6 * (double)n + 2e-5 * mag), "%s: %.9g, reference %.9g", what,
              (double)v[0], scale * want);
    const double e = test_max_rel_error(gv, fd, n, 2e-6 * scale, 2e-4);
    CHECK(e <= 1.0, "%s: gradient vs finite differences: error %.3g of tolerance", what, e);
    free(x), free(t), free(w), free(pw), free(fd), free(v), free(gv);
    clnn_tensor_release(tx), clnn_tensor_release(tt), clnn_tensor_release(tw), clnn_tensor_release(tpw);
    clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* Plain BCE (no weights, gamma 0, no alpha) against clnn_bce_with_logits:
 * the same definition, so the same value within fp32 rounding. */
static void check_vs_bce(clnn_context *ctx)
{
    const size_t rows = 9, cols = 11;
    float x[99], t[99];
    test_fill_uniform(x, 99, 3, -5.0f, 5.0f);
    test_fill_uniform(t, 99, 4, 0.0f, 1.0f);
    size_t shape[2] = {rows, cols};
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tt = test_tensor_from(ctx, 2, shape, t);
    clnn_tensor *l1 = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f), *l2 = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f);
    CHECK_OK(ctx, clnn_sigmoid_loss(ctx, tx, tt, NULL, l1, NULL));
    CHECK_OK(ctx, clnn_bce_with_logits(ctx, tx, tt, CLNN_REDUCE_MEAN, l2, NULL));
    float *a = test_download(ctx, l1), *b = test_download(ctx, l2);
    CHECK(fabsf(a[0] - b[0]) <= 1e-6f * fabsf(b[0]), "plain sigmoid loss %.9g vs clnn_bce_with_logits %.9g",
          (double)a[0], (double)b[0]);
    free(a), free(b);
    clnn_tensor_release(tx), clnn_tensor_release(tt), clnn_tensor_release(l1), clnn_tensor_release(l2);
}

static void check_errors(clnn_context *ctx)
{
    const char *fn = "clnn_sigmoid_loss";
    clnn_tensor *x = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *t = test_filled(ctx, CLNN_FLOAT32, 3, 4, 1.0f);
    clnn_tensor *t5 = test_filled(ctx, CLNN_FLOAT32, 3, 5, 1.0f), *w5 = test_filled(ctx, CLNN_FLOAT32, 5, 1, 1.0f);
    clnn_tensor *w4 = test_filled(ctx, CLNN_FLOAT32, 4, 1, 1.0f), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    clnn_tensor *g = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f);
    clnn_sigmoid_loss_options o;
    clnn_sigmoid_loss_options_init(&o);
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_sigmoid_loss(ctx, x, t5, &o, loss, g));
    o.weight = w5;
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_sigmoid_loss(ctx, x, t, &o, loss, g));
    o.weight = NULL;
    o.gamma = -1.0f;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_sigmoid_loss(ctx, x, t, &o, loss, g));
    o.gamma = 2.0f;
    o.alpha = 1.5f;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_sigmoid_loss(ctx, x, t, &o, loss, g));
    o.alpha = 0.25f;
    o.pos_weight = w4;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_sigmoid_loss(ctx, x, t, &o, loss, g));
    clnn_sigmoid_loss_options_init(&o);
    o.reduction = (clnn_reduction)5;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_sigmoid_loss(ctx, x, t, &o, loss, g));
    clnn_sigmoid_loss_options_init(&o);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_sigmoid_loss(ctx, x, t, &o, loss, x));
    test_expect_filled(ctx, "loss", loss, -7.0f);
    test_expect_filled(ctx, "dlogits", g, -7.0f);
    clnn_tensor_release(x), clnn_tensor_release(t), clnn_tensor_release(t5), clnn_tensor_release(w5);
    clnn_tensor_release(w4), clnn_tensor_release(loss), clnn_tensor_release(g);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction SUM = CLNN_REDUCE_SUM, MEAN = CLNN_REDUCE_MEAN, NONE = CLNN_REDUCE_NONE;
    const sig_case cases[] = {
        {1, 1, 0.0f, -1.0f, 0, 0, SUM},   {7, 13, 0.0f, -1.0f, 1, 1, MEAN}, {7, 13, 0.0f, -1.0f, 2, 1, NONE},
        {7, 13, 2.0f, 0.25f, 0, 0, MEAN}, {7, 13, 2.0f, 0.25f, 1, 0, NONE}, {7, 13, 0.5f, -1.0f, 2, 0, SUM},
        {7, 13, 0.0f, 0.25f, 0, 0, MEAN}, {5, 1000, 2.0f, 0.25f, 1, 0, SUM}, {3, 2000, 0.0f, -1.0f, 1, 1, MEAN},
    };
    const size_t ncases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < ncases; i++)
        if (!test_small() || cases[i].rows * cases[i].cols < 4096) check_case(ctx, &cases[i]);
    check_vs_bce(ctx);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
