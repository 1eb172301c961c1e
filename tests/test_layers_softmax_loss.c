/* Softmax, log-softmax and the losses against the double-precision reference
 * (tests/ref/ref_layers.c): rows of length 1, primes, rows longer than the
 * 256 lanes of the row skeleton, batch 1, logits of magnitude 1e4 and one
 * case of more than 2^20 elements; backward passes against central finite
 * differences of the reference; repeated calls give identical bits. The
 * reduction NONE (tests/reduce_none.h): per-row cross-entropy and
 * per-element MSE / BCE against the reference, gradients equal to SUM's. */
#include "check.h"
#include "reduce_none.h"
#include "ref/ref.h"

#include <float.h>
#include <math.h>

static clnn_tensor *new_tensor(clnn_context *ctx, size_t rows, size_t cols)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &t));
    REQUIRE(t, "tensor");
    return t;
}

static float read_scalar(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* Test logits: uniform in [-5, 5]; with big, the first rows are shifted to
 * magnitude 1e4 (all near 1e4, and a mix of +-1e4 with small gaps). */
static float *make_logits(size_t rows, size_t cols, unsigned seed, int big)
{
    float *x = malloc(rows * cols * sizeof *x);
    REQUIRE(x, "host memory");
    test_fill_uniform(x, rows * cols, seed, -5.0f, 5.0f);
    if (big) {
        for (size_t j = 0; j < cols; j++) x[j] += 1e4f;
        if (rows > 1)
            for (size_t j = 0; j < cols; j++) x[cols + j] = (j % 2 ? -1e4f : 1e4f) - (float)(j % 7);
    }
    return x;
}

/* ------------------------------------------------------------- softmax */

/* The reference gradient of L = sum dy * y(x) into want: with fd, central
 * differences of the double reference (step 2^-10: truncation below 1e-7;
 * divided by the steps fp32 really took, which differ from 2^-10 where
 * x +- h crosses a power of two), else the closed form in double from yref. */
static void softmax_grad_ref(float *x, const float *dy, const double *yref, size_t rows, size_t cols, int log_out,
                             int fd, double *want)
{
    if (fd) {
        double *yp = malloc(cols * sizeof *yp), *ym = malloc(cols * sizeof *ym);
        REQUIRE(yp && ym, "host memory");
        const float h = 1.0f / 1024;
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < cols; j++) {
                float *xr = x + r * cols, keep = xr[j];
                const float xp = keep + h, xm = keep - h;
                xr[j] = xp;
                ref_softmax(xr, 1, cols, log_out, yp);
                xr[j] = xm;
                ref_softmax(xr, 1, cols, log_out, ym);
                xr[j] = keep;
                double g = 0;
                for (size_t k = 0; k < cols; k++)
                    g += dy[r * cols + k] * (yp[k] - ym[k]) / ((double)xp - (double)xm);
                want[r * cols + j] = g;
            }
        free(yp);
        free(ym);
    } else {
        for (size_t r = 0; r < rows; r++) {
            double s = 0;
            for (size_t k = 0; k < cols; k++)
                s += dy[r * cols + k] * (log_out ? 1.0 : yref[r * cols + k]);
            for (size_t j = 0; j < cols; j++) {
                double yj = yref[r * cols + j], g = dy[r * cols + j];
                want[r * cols + j] = log_out ? g - exp(yj) * s : yj * (g - s);
            }
        }
    }
}

static void check_softmax(clnn_context *ctx, size_t rows, size_t cols, int big)
{
    size_t n = rows * cols;
    float *x = make_logits(rows, cols, (unsigned)(rows * 131 + cols), big), *dy = malloc(n * sizeof *dy);
    double *want = malloc(n * sizeof *want), *yref = malloc(n * sizeof *yref);
    REQUIRE(dy && want && yref, "host memory");
    test_fill_uniform(dy, n, (unsigned)(n + 5), -1.0f, 1.0f);
    size_t shape[2] = {rows, cols};
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tdy = test_tensor_from(ctx, 2, shape, dy);
    clnn_tensor *ty = new_tensor(ctx, rows, cols), *tdx = new_tensor(ctx, rows, cols);
    for (int log_out = 0; log_out <= 1; log_out++) {
        const char *what = log_out ? "log_softmax" : "softmax";
        CHECK_OK(ctx, log_out ? clnn_log_softmax_forward(ctx, tx, ty) : clnn_softmax_forward(ctx, tx, ty));
        float *y = test_download(ctx, ty);
        ref_softmax(x, rows, cols, log_out, yref);
        /* exp and log are within 4 ulp in fp32 and the row sum adds about
         * log2(256) + cols/256 roundings: rtol 2e-5. Log-softmax of 1e4
         * logits: x - max is exact or off by an ulp of 2e4 (1e-3) relative
         * to values of that size, hence atol 1e-5 plus rtol. */
        double e = test_max_rel_error(y, yref, n, log_out ? 1e-5 : 1e-7, 2e-5);
        CHECK(e <= 1, "%s forward %zux%zu%s: error %.3g of tolerance", what, rows, cols, big ? " (1e4)" : "", e);

        /* backward from y: reference gradient of L = sum dy * y(x). Central
         * differences of the double reference for small rows (step 2^-10:
         * truncation below 1e-7; divided by the steps fp32 really took,
         * which differ from 2^-10 where x +- h crosses a power of two); the
         * closed form in double for the large ones. Device dx is fp32 from
         * fp32 y: atol 1e-6, rtol 1e-4. */
        CHECK_OK(ctx, log_out ? clnn_log_softmax_backward(ctx, ty, tdy, tdx) : clnn_softmax_backward(ctx, ty, tdy, tdx));
        float *dx = test_download(ctx, tdx);
        softmax_grad_ref(x, dy, yref, rows, cols, log_out, n <= 4096 && !big, want);
        e = test_max_rel_error(dx, want, n, 1e-6, 1e-4);
        CHECK(e <= 1, "%s backward %zux%zu%s: error %.3g of tolerance", what, rows, cols, big ? " (1e4)" : "", e);

        /* determinism: the same call again gives the same bits */
        CHECK_OK(ctx, log_out ? clnn_log_softmax_backward(ctx, ty, tdy, tdx) : clnn_softmax_backward(ctx, ty, tdy, tdx));
        float *dx2 = test_download(ctx, tdx);
        CHECK(same_bits(dx, dx2, n), "%s backward %zux%zu not reproducible", what, rows, cols);
        free(y);
        free(dx);
        free(dx2);
    }
    clnn_tensor_release(tx);
    clnn_tensor_release(tdy);
    clnn_tensor_release(ty);
    clnn_tensor_release(tdx);
    free(x);
    free(dy);
    free(want);
    free(yref);
}

/* ------------------------------------------------------- cross-entropy */

typedef struct ce_case {
    size_t rows, cols;
    float eps;
    int mean;
    int ignore_every; /* every k-th label is the ignore index (0: none) */
    int big;          /* 1e4 logits in the first rows */
} ce_case;

/* Compares the device loss and gradient with the reference; checks the
 * gradient against central differences of the reference loss when small. */
static void compare_ce(clnn_context *ctx, const char *what, const ce_case *c, float loss, const float *grad,
                       double (*ref_loss)(const void *arg, float *logits, double *grad), const void *arg,
                       float *logits)
{
    size_t n = c->rows * c->cols;
    double *want = malloc(n * sizeof *want);
    REQUIRE(want, "host memory");
    double ref = ref_loss(arg, logits, want);
    /* loss: fp32 log-sum-exp per row (rtol ~1e-6) summed over rows by a
     * fixed tree: rtol 2e-5; atol 1e-6 for losses near 0 */
    double e = fabs(loss - ref) / (1e-6 + 2e-5 * fabs(ref));
    CHECK(e <= 1, "%s %zux%zu eps %g %s: loss %.9g, reference %.9g", what, c->rows, c->cols, (double)c->eps,
          c->mean ? "mean" : "sum", (double)loss, ref);
    /* gradient scale * (softmax - t): fp32 softmax, atol 1e-6 * scale */
    double scale = c->mean ? 1.0 / (double)c->rows : 1.0;
    e = test_max_rel_error(grad, want, n, 1e-6 * scale + 1e-9, 1e-4);
    CHECK(e <= 1, "%s %zux%zu gradient: error %.3g of tolerance", what, c->rows, c->cols, e);
    if (n <= 512 && !c->big) { /* central differences, step 2^-10 (over the steps fp32 took) */
        const float h = 1.0f / 1024;
        for (size_t i = 0; i < n; i++) {
            const float keep = logits[i], xp = keep + h, xm = keep - h;
            logits[i] = xp;
            double lp = ref_loss(arg, logits, NULL);
            logits[i] = xm;
            double lm = ref_loss(arg, logits, NULL);
            logits[i] = keep;
            want[i] = (lp - lm) / ((double)xp - (double)xm);
        }
        /* truncation h^2/6 |f'''| < 1e-7 * scale; fp32 gradient as above */
        e = test_max_rel_error(grad, want, n, 1e-6 * scale + 1e-9, 1e-3);
        CHECK(e <= 1, "%s %zux%zu gradient vs finite differences: error %.3g of tolerance", what, c->rows, c->cols,
              e);
    }
    free(want);
}

typedef struct label_arg {
    const ce_case *c;
    const int32_t *labels;
} label_arg;

static double ref_labels(const void *p, float *logits, double *grad)
{
    const label_arg *a = p;
    return ref_cross_entropy_labels(logits, a->labels, a->c->rows, a->c->cols, a->c->eps, -100, a->c->mean, grad);
}

typedef struct soft_arg {
    const ce_case *c;
    const float *targets;
} soft_arg;

static double ref_soft(const void *p, float *logits, double *grad)
{
    const soft_arg *a = p;
    return ref_cross_entropy_soft(logits, a->targets, a->c->rows, a->c->cols, a->c->eps, a->c->mean, grad);
}

static void check_ce(clnn_context *ctx, const ce_case *c)
{
    size_t rows = c->rows, cols = c->cols, n = rows * cols, one = 1;
    float *x = make_logits(rows, cols, (unsigned)(n * 7 + 1), c->big), *targets = malloc(n * sizeof *targets);
    int32_t *labels = malloc(rows * sizeof *labels);
    REQUIRE(targets && labels, "host memory");
    for (size_t r = 0; r < rows; r++)
        labels[r] = c->ignore_every && r % (size_t)c->ignore_every == 1 ? -100 : (int32_t)((r * 7919) % cols);
    /* soft targets: positive weights; rows normalized except every third */
    test_fill_uniform(targets, n, (unsigned)(n + 3), 0.0f, 1.0f);
    for (size_t r = 0; r < rows; r++) {
        double s = 0;
        for (size_t j = 0; j < cols; j++) s += targets[r * cols + j];
        if (r % 3 != 2)
            for (size_t j = 0; j < cols; j++) targets[r * cols + j] = (float)(targets[r * cols + j] / s);
    }
    size_t shape[2] = {rows, cols};
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tt = test_tensor_from(ctx, 2, shape, targets);
    clnn_tensor *tl = NULL, *loss = NULL, *loss2 = NULL, *grad = new_tensor(ctx, rows, cols),
                *grad2 = new_tensor(ctx, rows, cols);
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &rows, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss2));
    clnn_cross_entropy_options opt;
    clnn_cross_entropy_options_init(&opt);
    opt.reduction = c->mean ? CLNN_REDUCE_MEAN : CLNN_REDUCE_SUM;
    opt.label_smoothing = c->eps;

    for (int soft = 0; soft <= 1; soft++) {
        const char *what = soft ? "ce_soft" : "ce_labels";
#define CE(l, g) (soft ? clnn_cross_entropy_soft(ctx, tx, tt, &opt, l, g) : clnn_cross_entropy_labels(ctx, tx, tl, &opt, l, g))
        CHECK_OK(ctx, CE(loss, grad)); /* the fused call training uses */
        float *g = test_download(ctx, grad);
        float v = read_scalar(ctx, loss);
        label_arg la = {c, labels};
        soft_arg sa = {c, targets};
        compare_ce(ctx, what, c, v, g, soft ? ref_soft : ref_labels, soft ? (const void *)&sa : (const void *)&la, x);
        /* value-only and gradient-only calls agree bit for bit with the
         * fused one, and repeated calls are reproducible */
        CHECK_OK(ctx, CE(loss2, NULL));
        CHECK_OK(ctx, CE(NULL, grad2));
        float *g2 = test_download(ctx, grad2);
        float v2 = read_scalar(ctx, loss2);
        CHECK(memcmp(&v, &v2, sizeof v) == 0 && same_bits(g, g2, n), "%s %zux%zu: fused and separate calls differ",
              what, rows, cols);
        free(g);
        free(g2);
#undef CE
    }
    clnn_tensor_release(tx);
    clnn_tensor_release(tt);
    clnn_tensor_release(tl);
    clnn_tensor_release(loss);
    clnn_tensor_release(loss2);
    clnn_tensor_release(grad);
    clnn_tensor_release(grad2);
    free(x);
    free(targets);
    free(labels);
}

/* Every label ignored: loss 0 and gradient 0 (mean over no rows); a label
 * out of range gives NaN for its row only. */
static void check_ce_special(clnn_context *ctx)
{
    size_t rows = 3, cols = 5, one = 1, shape[2] = {rows, cols};
    float *x = make_logits(rows, cols, 99, 0);
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tl = NULL, *loss = NULL, *grad = new_tensor(ctx, rows, cols);
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &rows, &tl));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss));
    int32_t ignored[3] = {7, 7, 7}, bad[3] = {0, 5, 2};
    clnn_cross_entropy_options opt = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, 7};
    CHECK_OK(ctx, clnn_tensor_upload(tl, ignored, sizeof ignored));
    CHECK_OK(ctx, clnn_cross_entropy_labels(ctx, tx, tl, &opt, loss, grad));
    float *g = test_download(ctx, grad);
    int zeros = 1;
    for (size_t i = 0; i < rows * cols; i++) zeros &= g[i] == 0.0f;
    CHECK(read_scalar(ctx, loss) == 0.0f && zeros, "all labels ignored: loss and gradient must be 0");
    free(g);
    CHECK_OK(ctx, clnn_tensor_upload(tl, bad, sizeof bad));
    CHECK_OK(ctx, clnn_cross_entropy_labels(ctx, tx, tl, &opt, loss, grad));
    g = test_download(ctx, grad);
    CHECK(isnan(read_scalar(ctx, loss)) && isnan(g[cols]) && !isnan(g[0]) && !isnan(g[2 * cols]),
          "label 5 of 5 classes: NaN loss and NaN gradient in its row only");
    free(g);
    clnn_tensor_release(tx);
    clnn_tensor_release(tl);
    clnn_tensor_release(loss);
    clnn_tensor_release(grad);
    free(x);
}

/* ------------------------------------------------ rows per work-group */

/* Every output of softmax forward and backward and of both cross-entropies
 * (MEAN, eps 0.1, every 5th label ignored) on x: y | dx | loss | dlogits |
 * loss | dlogits, 4 n + 2 floats into out. */
static void run_row_ops(clnn_context *ctx, size_t rows, size_t cols, clnn_tensor *const *in, float *out)
{
    const size_t n = rows * cols, one = 1;
    clnn_tensor *y = new_tensor(ctx, rows, cols), *dx = new_tensor(ctx, rows, cols), *g = new_tensor(ctx, rows, cols);
    clnn_tensor *loss = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss));
    const clnn_cross_entropy_options opt = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100};
    CHECK_OK(ctx, clnn_softmax_forward(ctx, in[0], y));
    CHECK_OK(ctx, clnn_softmax_backward(ctx, y, in[1], dx));
    CHECK_OK(ctx, clnn_tensor_download(y, out, n * sizeof *out));
    CHECK_OK(ctx, clnn_tensor_download(dx, out + n, n * sizeof *out));
    for (int soft = 0; soft <= 1; soft++) {
        float *o = out + 2 * n + (size_t)soft * (n + 1);
        CHECK_OK(ctx, soft ? clnn_cross_entropy_soft(ctx, in[0], in[3], &opt, loss, g)
                           : clnn_cross_entropy_labels(ctx, in[0], in[2], &opt, loss, g));
        CHECK_OK(ctx, clnn_tensor_download(loss, o, sizeof *o));
        CHECK_OK(ctx, clnn_tensor_download(g, o + 1, n * sizeof *o));
    }
    clnn_tensor_release(y);
    clnn_tensor_release(dx);
    clnn_tensor_release(g);
    clnn_tensor_release(loss);
}

/* The default's bits come back under every row packing of each kernel. */
static void check_packing_bits(clnn_context *ctx, size_t rows, size_t cols)
{
    static const char *const ids[] = {"softmax.forward", "softmax.backward", "loss.ce_labels", "loss.ce_soft"};
    const size_t n = rows * cols, total = 4 * n + 2;
    float *x = make_logits(rows, cols, (unsigned)(n + 17), 0), *dy = malloc(n * sizeof *dy);
    float *t = malloc(n * sizeof *t), *want = malloc(total * sizeof *want), *got = malloc(total * sizeof *got);
    int32_t *labels = malloc(rows * sizeof *labels);
    REQUIRE(dy && t && want && got && labels, "host memory");
    test_fill_uniform(dy, n, (unsigned)(n + 19), -1.0f, 1.0f);
    test_fill_uniform(t, n, (unsigned)(n + 23), 0.0f, 1.0f);
    for (size_t r = 0; r < rows; r++) labels[r] = r % 5 == 4 ? -100 : (int32_t)((r * 7919) % cols);
    size_t shape[2] = {rows, cols};
    clnn_tensor *in[4] = {test_tensor_from(ctx, 2, shape, x), test_tensor_from(ctx, 2, shape, dy), NULL,
                          test_tensor_from(ctx, 2, shape, t)};
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &rows, &in[2]));
    CHECK_OK(ctx, clnn_tensor_upload(in[2], labels, rows * sizeof *labels));
    run_row_ops(ctx, rows, cols, in, want);
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        for (size_t i = 0; i < TEST_ROW_PACKINGS; i++) {
            char what[128];
            if (!test_force_row_packing(ctx, ids[k], i, what, sizeof what)) continue;
            run_row_ops(ctx, rows, cols, in, got);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            CHECK(same_bits(want, got, total), "%zux%zu: %s gives other bits than the default", rows, cols, what);
        }
    for (int i = 0; i < 4; i++) clnn_tensor_release(in[i]);
    free(x), free(dy), free(t), free(want), free(got), free(labels);
}

/* The default packing follows the device type (docs/design.md): on a GPU
 * rows of 10 classes (16 lanes) share a work-group of several rows'
 * lanes; elsewhere one row per group, at most 8 work-items on a CPU. */
static void check_default_packing(clnn_context *ctx)
{
    clnn_device_info info;
    CHECK_OK(ctx, clnn_context_device(ctx, &info));
    const size_t problem[2] = {97, 10};
    clnn_tune_config cfg;
    clnn_tune_set_mode(ctx, CLNN_TUNE_OFF); /* the heuristic alone */
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "softmax.forward", problem, &cfg, NULL));
    clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED);
    const int gpu = info.type == CLNN_DEVICE_GPU, cpu = info.type == CLNN_DEVICE_CPU;
    if (gpu)
        CHECK(cfg.params[0] == 1 && cfg.local[0] >= 32, "GPU: MULTIROW=%d local %zu for 10 classes, want several rows",
              cfg.params[0], cfg.local[0]);
    else
        CHECK(cfg.params[0] == 0 && (!cpu || cfg.local[0] <= 8),
              "non-GPU device: MULTIROW=%d local %zu for 10 classes, want one row per group", cfg.params[0],
              cfg.local[0]);
}

/* On test_row_packing_shapes: the defaults against the reference (several
 * rows per group on a GPU, one elsewhere), then the same bits under every
 * packing. */
static void check_row_packing(clnn_context *ctx)
{
    const size_t *classes;
    size_t rows;
    const size_t nc = test_row_packing_shapes(&classes, &rows);
    check_default_packing(ctx);
    for (size_t i = 0; i < nc; i++) {
        check_softmax(ctx, rows, classes[i], 0);
        const ce_case c = {rows, classes[i], 0.1f, 1, 5, 0};
        check_ce(ctx, &c);
        check_packing_bits(ctx, rows, classes[i]);
    }
}

/* ------------------------------------------------------ MSE and BCE */

static void check_pointwise(clnn_context *ctx, int bce, size_t n, int mean)
{
    const char *what = bce ? "bce_with_logits" : "mse";
    float *p = malloc(n * sizeof *p), *t = malloc(n * sizeof *t);
    double *want = malloc(n * sizeof *want);
    REQUIRE(p && t && want, "host memory");
    test_fill_uniform(p, n, (unsigned)(n + 11), bce ? -30.0f : -3.0f, bce ? 30.0f : 3.0f);
    test_fill_uniform(t, n, (unsigned)(n + 13), bce ? 0.0f : -3.0f, bce ? 1.0f : 3.0f);
    if (bce && n > 2) { p[0] = 1e4f; p[1] = -1e4f; } /* the stable form must not overflow */
    clnn_tensor *tp = test_tensor_from(ctx, 1, &n, p), *tt = test_tensor_from(ctx, 1, &n, t), *loss = NULL,
                *grad = NULL;
    size_t one = 1;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &grad));
    clnn_reduction red = mean ? CLNN_REDUCE_MEAN : CLNN_REDUCE_SUM;
#define LOSS(l, g) (bce ? clnn_bce_with_logits(ctx, tp, tt, red, l, g) : clnn_mse_loss(ctx, tp, tt, red, l, g))
    CHECK_OK(ctx, LOSS(loss, grad));
    float v = read_scalar(ctx, loss), *g = test_download(ctx, grad);
    double ref = bce ? ref_bce_with_logits(p, t, n, mean, want) : ref_mse(p, t, n, mean, want);
    /* fp32 terms (rtol ~1e-6) summed over chunks of 4096 by fixed trees */
    CHECK(fabs(v - ref) <= 1e-6 + 2e-5 * fabs(ref), "%s n=%zu %s: loss %.9g, reference %.9g", what, n,
          mean ? "mean" : "sum", (double)v, ref);
    double scale = mean ? 1.0 / (double)n : 1.0;
    double e = test_max_rel_error(g, want, n, 1e-7 * scale, 1e-5);
    CHECK(e <= 1, "%s n=%zu gradient: error %.3g of tolerance", what, n, e);
    if (n <= 64) { /* central differences of the reference, step 2^-10 */
        const float h = 1.0f / 1024;
        for (size_t i = 0; i < n; i++) {
            float keep = p[i];
            p[i] = keep + h;
            double lp = bce ? ref_bce_with_logits(p, t, n, mean, NULL) : ref_mse(p, t, n, mean, NULL);
            p[i] = keep - h;
            double lm = bce ? ref_bce_with_logits(p, t, n, mean, NULL) : ref_mse(p, t, n, mean, NULL);
            p[i] = keep;
            want[i] = (lp - lm) / (2.0 * h);
        }
        /* MSE is quadratic (differences exact up to rounding); BCE's third
         * derivative is below 0.1: truncation < 1e-8 */
        e = test_max_rel_error(g, want, n, 1e-6 * scale, 1e-4);
        CHECK(e <= 1, "%s n=%zu gradient vs finite differences: error %.3g of tolerance", what, n, e);
    }
    CHECK_OK(ctx, LOSS(loss, grad));
    float v2 = read_scalar(ctx, loss), *g2 = test_download(ctx, grad);
    CHECK(memcmp(&v, &v2, sizeof v) == 0 && same_bits(g, g2, n), "%s n=%zu not reproducible", what, n);
#undef LOSS
    free(g);
    free(g2);
    clnn_tensor_release(tp);
    clnn_tensor_release(tt);
    clnn_tensor_release(loss);
    clnn_tensor_release(grad);
    free(p);
    free(t);
    free(want);
}

/* ------------------------------------------------- reduction NONE */

typedef struct none_arg {
    const clnn_tensor *x, *t, *labels; /* labels NULL: soft targets t */
    float eps;
    int bce; /* point-wise losses: BCE or MSE */
} none_arg;

static clnn_status ce_none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                                clnn_tensor *const *grads)
{
    const none_arg *a = p;
    clnn_cross_entropy_options opt = {sizeof(clnn_cross_entropy_options), red, a->eps, -100};
    return a->labels ? clnn_cross_entropy_labels(ctx, a->x, a->labels, &opt, loss, grads[0])
                     : clnn_cross_entropy_soft(ctx, a->x, a->t, &opt, loss, grads[0]);
}

static clnn_status pointwise_none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                                       clnn_tensor *const *grads)
{
    const none_arg *a = p;
    return a->bce ? clnn_bce_with_logits(ctx, a->x, a->t, red, loss, grads[0])
                  : clnn_mse_loss(ctx, a->x, a->t, red, loss, grads[0]);
}

/* Cross-entropy with NONE: one loss per row (ignored rows 0), each the
 * reference of that row alone. */
static void check_ce_none(clnn_context *ctx, size_t rows, size_t cols, float eps, int ignore_every)
{
    size_t n = rows * cols, shape[2] = {rows, cols};
    float *x = make_logits(rows, cols, (unsigned)(n * 5 + 2), 0), *targets = malloc(n * sizeof *targets);
    int32_t *labels = malloc(rows * sizeof *labels);
    double *ref = malloc(rows * sizeof *ref);
    REQUIRE(targets && labels && ref, "host memory");
    test_fill_uniform(targets, n, (unsigned)(n + 5), 0.0f, 1.0f);
    for (size_t r = 0; r < rows; r++)
        labels[r] = ignore_every && r % (size_t)ignore_every == 1 ? -100 : (int32_t)((r * 7919) % cols);
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tt = test_tensor_from(ctx, 2, shape, targets);
    clnn_tensor *tl = NULL, *grad = new_tensor(ctx, rows, cols);
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &rows, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
    for (int soft = 0; soft <= 1; soft++) {
        for (size_t r = 0; r < rows; r++)
            ref[r] = soft ? ref_cross_entropy_soft(x + r * cols, targets + r * cols, 1, cols, eps, 0, NULL)
                          : ref_cross_entropy_labels(x + r * cols, labels + r, 1, cols, eps, -100, 0, NULL);
        char what[96];
        snprintf(what, sizeof what, "%s %zux%zu eps %g none", soft ? "ce_soft" : "ce_labels", rows, cols, (double)eps);
        none_arg a = {tx, tt, soft ? NULL : tl, eps, 0};
        /* one fp32 log-sum-exp per row, as in compare_ce */
        rn_case c = {what, ce_none_call, &a, rows, ref, 1e-6, 2e-5, 1, &grad};
        rn_check(ctx, &c);
    }
    clnn_tensor_release(tx), clnn_tensor_release(tt), clnn_tensor_release(tl), clnn_tensor_release(grad);
    free(x), free(targets), free(labels), free(ref);
}

/* MSE and BCE with NONE: one loss per element (PyTorch's reduction='none'). */
static void check_pointwise_none(clnn_context *ctx, int bce, size_t n)
{
    float *p = malloc(n * sizeof *p), *t = malloc(n * sizeof *t);
    double *ref = malloc(n * sizeof *ref);
    REQUIRE(p && t && ref, "host memory");
    test_fill_uniform(p, n, (unsigned)(n + 17), bce ? -30.0f : -3.0f, bce ? 30.0f : 3.0f);
    test_fill_uniform(t, n, (unsigned)(n + 19), bce ? 0.0f : -3.0f, bce ? 1.0f : 3.0f);
    if (bce && n > 2) { p[0] = 1e4f; p[1] = -1e4f; }
    for (size_t i = 0; i < n; i++) ref[i] = bce ? ref_bce_with_logits(p + i, t + i, 1, 0, NULL) : ref_mse(p + i, t + i, 1, 0, NULL);
    clnn_tensor *tp = test_tensor_from(ctx, 1, &n, p), *tt = test_tensor_from(ctx, 1, &n, t);
    clnn_tensor *grad = test_filled(ctx, CLNN_FLOAT32, n, 0, 0.0f);
    char what[64];
    snprintf(what, sizeof what, "%s n=%zu none", bce ? "bce_with_logits" : "mse", n);
    none_arg a = {tp, tt, NULL, 0.0f, bce};
    /* one fp32 term each (rtol ~1e-6). BCE's max(p, 0) - p q cancels for
     * q near 1: its rounding error is a few ulp of |p|, not of the term
     * (p = 20, q = 0.999: term 0.02, error up to ~2e-6 without an FMA),
     * so each term gets 4 ulp of |p| on top. */
    double *atol = malloc(n * sizeof *atol);
    REQUIRE(atol, "host memory");
    for (size_t i = 0; i < n; i++) atol[i] = 1e-7 + (bce ? 4.0 * FLT_EPSILON * fabs((double)p[i]) : 0.0);
    rn_case c = {what, pointwise_none_call, &a, n, ref, 1e-7, 1e-5, 1, &grad};
    rn_check_terms(ctx, &c, atol);
    free(atol);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(grad);
    free(p), free(t), free(ref);
}

int main(void)
{
    clnn_context *ctx = test_context();
    static const size_t shapes[][2] = {{1, 1}, {7, 1}, {1, 7}, {13, 31}, {3, 257}, {5, 1000}, {1031, 1021}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (shapes[i][0] * shapes[i][1] < 8192 || test_large("softmax 1031 x 1021"))
            check_softmax(ctx, shapes[i][0], shapes[i][1], 0);
    check_softmax(ctx, 4, 13, 1);
    check_softmax(ctx, 3, 1000, 1);

    static const ce_case cases[] = {
        {1, 1, 0.0f, 1, 0, 0},   {1, 1, 0.1f, 0, 0, 0},   {7, 13, 0.1f, 1, 3, 0},  {7, 13, 0.0f, 0, 0, 0},
        {1, 31, 0.2f, 1, 0, 0},  {4, 13, 0.1f, 1, 0, 1},  {31, 1000, 0.2f, 1, 5, 0},
        {1031, 1021, 0.1f, 1, 4, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cases[i].rows * cases[i].cols < 65536 || test_large("cross-entropy 1031 x 1021")) check_ce(ctx, &cases[i]);
    check_ce_special(ctx);
    check_row_packing(ctx);

    static const size_t sizes[] = {1, 7, 4097, ((size_t)1 << 20) + 3};
    for (int bce = 0; bce <= 1; bce++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int mean = 0; mean <= 1; mean++)
                if (sizes[i] < 8192 || test_large(bce ? "bce on 2^20 + 3 elements" : "mse on 2^20 + 3 elements"))
                    check_pointwise(ctx, bce, sizes[i], mean);

    /* NONE: batch 1, one class, primes, more classes than lanes, ignored rows;
     * the simulator runs 1 x 2, 13 x 31 (ignored rows) and 3 x 257 */
    static const size_t none_shapes[][2] = {{1, 2}, {13, 31}, {3, 257}, {1, 1}, {7, 1}};
    const int every_none = test_large("cross-entropy NONE on 1 x 1, 7 x 1 and 1031 x 1021");
    for (size_t i = 0; i < sizeof none_shapes / sizeof none_shapes[0]; i++)
        if (i < 3 || every_none) check_ce_none(ctx, none_shapes[i][0], none_shapes[i][1], i % 2 ? 0.0f : 0.1f, i == 1 ? 3 : 0);
    if (every_none) check_ce_none(ctx, 1031, 1021, 0.1f, 4);
    /* 4097: one element past the first chunk of 4096; the simulator runs
     * MSE on 7 and BCE on 4097 (one kernel, two modes) */
    static const size_t none_sizes[] = {1, 7, 4097, ((size_t)1 << 20) + 3};
    const int every_point = test_large("MSE / BCE NONE on 1, 2^20 + 3 (and MSE 4097, BCE 7)");
    for (int bce = 0; bce <= 1; bce++)
        for (size_t i = 0; i < sizeof none_sizes / sizeof none_sizes[0]; i++)
            if (every_point || none_sizes[i] == (bce ? 4097u : 7u)) check_pointwise_none(ctx, bce, none_sizes[i]);
    clnn_context_release(ctx);
    return check_summary();
}
