/* Regularizer values and gradients against the double-precision reference
 * (tests/ref/ref_reg.c) on awkward shapes; every gradient against central
 * finite differences of the reference value; determinism of the reductions;
 * the gradient operations (global-norm clip factor, perpGrad coefficients)
 * and their use in the fused step.
 *
 * Tolerances: values |dev − ref| <= 1e-4·(1 + |ref|): fp32 sums over at most
 * 2^20 terms in a two-stage tree (<= 256 + 4096 sequential additions per
 * path, so a worst-case relative error of about 4352·6e-8 = 2.6e-4 of the sum
 * of magnitudes; the terms here are non-negative, so the sum of magnitudes is
 * the value, and random rounding keeps it far below that bound).
 * Gradients vs finite differences: h = 1e-5 in double on the reference value
 * (truncation O(h²) ~ 1e-10, rounding ~ 1e-11), compared with
 * |dev − fd| <= 1e-4·(1 + max|fd|): the device gradient is fp32 (a few ulp per
 * element; the Gram products of the orthogonality gradient add up to `cols`
 * products). Weights are kept away from the kinks of |w| (|w| >= 0.05). */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_context *ctx;

static void fill_away_from_zero(float *w, size_t n, unsigned seed)
{
    test_fill_uniform(w, n, seed, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) w[i] = (w[i] < 0 ? -1.0f : 1.0f) * (0.05f + 0.95f * fabsf(w[i]));
}

static double *to_d(const float *a, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    REQUIRE(d, "out of memory");
    for (size_t i = 0; i < n; i++) d[i] = a[i];
    return d;
}

static float download1(clnn_tensor *t)
{
    float v[2] = {0, 0};
    CHECK_OK(ctx, clnn_tensor_download(t, v, clnn_tensor_count(t) * sizeof(float)));
    return v[0];
}

static void check_value(const char *what, float dev, double ref)
{
    CHECK(fabs(dev - ref) <= 1e-4 * (1 + fabs(ref)), "%s: device %.9g, reference %.9g", what, (double)dev, ref);
}

/* A value function of the reference, for finite differences. */
typedef double (*ref_value_fn)(const double *w, const void *user);

/* Checks grad (device, float) against central differences of f at w, on at
 * most `limit` elements spread over the tensor. */
static void check_fd(const char *what, ref_value_fn f, const void *user, double *w, size_t n, const float *grad,
                     size_t limit)
{
    const double h = 1e-5;
    size_t stride = n > limit ? n / limit : 1;
    double worst = 0, maxfd = 0;
    double *fd = malloc(n * sizeof *fd);
    REQUIRE(fd, "out of memory");
    for (size_t i = 0; i < n; i += stride) {
        double w0 = w[i];
        w[i] = w0 + h;
        double fp = f(w, user);
        w[i] = w0 - h;
        double fm = f(w, user);
        w[i] = w0;
        fd[i] = (fp - fm) / (2 * h);
        if (fabs(fd[i]) > maxfd) maxfd = fabs(fd[i]);
    }
    for (size_t i = 0; i < n; i += stride) {
        double e = fabs(grad[i] - fd[i]);
        if (e > worst) worst = e;
    }
    CHECK(worst <= 1e-4 * (1 + maxfd), "%s: gradient vs finite differences off by %.3g (max |fd| %.3g)", what,
          worst, maxfd);
    free(fd);
}

/* ---------------------------------------------------------- elementwise */

typedef struct elem_user {
    size_t n;
    const double *mask;
    double l1, l2;
} elem_user;

static double elem_value(const double *w, const void *u)
{
    const elem_user *e = u;
    return ref_reg_elementwise(e->n, w, e->mask, e->l1, e->l2);
}

static void elementwise(size_t n, int fd)
{
    const clnn_reg regs[3] = {{CLNN_REG_L2, 0.7f, 0, NULL}, {CLNN_REG_L1, 0.3f, 0, NULL},
                              {CLNN_REG_ELASTIC_NET, 0.2f, 0.9f, NULL}};
    float *w = malloc(n * sizeof(float)), *mask = malloc(n * sizeof(float)), *grad = malloc(n * sizeof(float));
    REQUIRE(w && mask && grad, "out of memory");
    fill_away_from_zero(w, n, (unsigned)n);
    test_fill_uniform(mask, n, (unsigned)n + 1, 0, 1);
    for (size_t i = 0; i < n; i++) mask[i] = mask[i] < 0.5f ? 1.0f : 0.0f;
    double *wd = to_d(w, n), *md = to_d(mask, n);
    clnn_tensor *tw = test_tensor_from(ctx, 1, &n, w), *tm = test_tensor_from(ctx, 1, &n, mask);
    clnn_tensor *tg = test_tensor_from(ctx, 1, &n, w), *tv = NULL;
    size_t one = 1;
    float zero = 0;
    tv = test_tensor_from(ctx, 1, &one, &zero);
    for (int k = 0; k < 3; k++)
        for (int masked = 0; masked < 2; masked++) {
            const clnn_reg *r = &regs[k];
            elem_user u = {n, masked ? md : NULL, r->kind == CLNN_REG_L2 ? 0 : r->strength,
                           r->kind == CLNN_REG_L2 ? r->strength : r->kind == CLNN_REG_ELASTIC_NET ? r->strength2 : 0};
            char what[96];
            snprintf(what, sizeof what, "reg kind %d masked %d n=%zu", (int)r->kind, masked, n);
            CHECK_OK(ctx, clnn_reg_value(ctx, tw, masked ? tm : NULL, r, tv));
            float v1 = download1(tv);
            check_value(what, v1, elem_value(wd, &u));
            /* determinism: the same call gives the same bits */
            CHECK_OK(ctx, clnn_reg_value(ctx, tw, masked ? tm : NULL, r, tv));
            float v2 = download1(tv);
            CHECK(memcmp(&v1, &v2, sizeof v1) == 0, "%s: two runs differ (%.9g, %.9g)", what, (double)v1, (double)v2);
            /* gradient accumulates onto grad = 0 */
            CHECK_OK(ctx, clnn_tensor_fill(tg, 0.0f));
            CHECK_OK(ctx, clnn_reg_grad(ctx, tw, masked ? tm : NULL, r, tg));
            CHECK_OK(ctx, clnn_tensor_download(tg, grad, n * sizeof(float)));
            if (fd) check_fd(what, elem_value, &u, wd, n, grad, 64);
            /* accumulation: a second call doubles it */
            CHECK_OK(ctx, clnn_reg_grad(ctx, tw, masked ? tm : NULL, r, tg));
            float *g2 = malloc(n * sizeof(float));
            REQUIRE(g2, "out of memory");
            CHECK_OK(ctx, clnn_tensor_download(tg, g2, n * sizeof(float)));
            int same = 1;
            for (size_t i = 0; i < n; i++) same &= g2[i] == 2 * grad[i];
            CHECK(same, "%s: grad does not accumulate", what);
            free(g2);
        }
    clnn_tensor_release(tw), clnn_tensor_release(tm), clnn_tensor_release(tg), clnn_tensor_release(tv);
    free(w), free(mask), free(grad), free(wd), free(md);
}

/* --------------------------------------------------------------- groups */

typedef struct group_user {
    size_t rows, cols;
    int by_cols, kind; /* kind 0 group lasso, 1 norm loss, 2 orthogonality */
    double lambda;
} group_user;

static double group_value(const double *w, const void *u)
{
    const group_user *g = u;
    if (g->kind == 0) return ref_group_lasso(w, g->rows, g->cols, g->by_cols, g->lambda);
    if (g->kind == 1) return ref_norm_loss(w, g->rows, g->cols, g->lambda);
    return ref_ortho(w, g->rows, g->cols, g->lambda);
}

static void groups(size_t rows, size_t cols, int with_ortho, int fd)
{
    size_t n = rows * cols, shape[2] = {rows, cols}, one = 1;
    float *w = malloc(n * sizeof(float)), *grad = malloc(n * sizeof(float)), zero = 0;
    REQUIRE(w && grad, "out of memory");
    fill_away_from_zero(w, n, (unsigned)(rows * 31 + cols));
    double *wd = to_d(w, n);
    clnn_tensor *tw = test_tensor_from(ctx, 2, shape, w), *tg = test_tensor_from(ctx, 2, shape, w);
    clnn_tensor *tv = test_tensor_from(ctx, 1, &one, &zero);
    const float lambda = 0.37f;
    for (int kind = 0; kind < (with_ortho ? 3 : 2); kind++)
        for (int by_cols = 0; by_cols < (kind == 0 ? 2 : 1); by_cols++) {
            group_user u = {rows, cols, by_cols, kind, lambda};
            clnn_group_dim dim = by_cols ? CLNN_GROUP_COLUMNS : CLNN_GROUP_ROWS;
            char what[96];
            snprintf(what, sizeof what, "%s%s %zux%zu", kind == 0 ? "group lasso" : kind == 1 ? "norm loss" : "ortho",
                     by_cols ? " (columns)" : "", rows, cols);
            CHECK_OK(ctx, kind == 0   ? clnn_reg_group_lasso_value(ctx, tw, lambda, dim, tv)
                          : kind == 1 ? clnn_reg_norm_loss_value(ctx, tw, lambda, tv)
                                      : clnn_reg_ortho_value(ctx, tw, lambda, tv));
            float v1 = download1(tv);
            check_value(what, v1, group_value(wd, &u));
            CHECK_OK(ctx, kind == 0   ? clnn_reg_group_lasso_value(ctx, tw, lambda, dim, tv)
                          : kind == 1 ? clnn_reg_norm_loss_value(ctx, tw, lambda, tv)
                                      : clnn_reg_ortho_value(ctx, tw, lambda, tv));
            float v2 = download1(tv);
            CHECK(memcmp(&v1, &v2, sizeof v1) == 0, "%s: two runs differ", what);
            CHECK_OK(ctx, clnn_tensor_fill(tg, 0.0f));
            CHECK_OK(ctx, kind == 0   ? clnn_reg_group_lasso_grad(ctx, tw, lambda, dim, tg)
                          : kind == 1 ? clnn_reg_norm_loss_grad(ctx, tw, lambda, tg)
                                      : clnn_reg_ortho_grad(ctx, tw, lambda, tg));
            CHECK_OK(ctx, clnn_tensor_download(tg, grad, n * sizeof(float)));
            if (fd) check_fd(what, group_value, &u, wd, n, grad, 200);
        }
    /* block soft-threshold against its definition: w_g·max(0, 1 − t/||w_g||) */
    for (int by_cols = 0; by_cols < 2; by_cols++) {
        const float lr = 0.5f, lam = 0.8f; /* threshold 0.4: some groups vanish when the groups are short */
        size_t groups_n = by_cols ? cols : rows;
        double *nrm = malloc(groups_n * sizeof *nrm), *ref = malloc(n * sizeof *ref);
        REQUIRE(nrm && ref, "out of memory");
        ref_group_norms(wd, rows, cols, by_cols, nrm);
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                double g = nrm[by_cols ? c : r], f = 1 - (double)lr * lam / g;
                ref[r * cols + c] = wd[r * cols + c] * (f > 0 ? f : 0);
            }
        CHECK_OK(ctx, clnn_tensor_upload(tw, w, n * sizeof(float)));
        CHECK_OK(ctx, clnn_reg_group_lasso_prox(ctx, lam, lr, by_cols ? CLNN_GROUP_COLUMNS : CLNN_GROUP_ROWS, tw));
        CHECK_OK(ctx, clnn_tensor_download(tw, grad, n * sizeof(float)));
        double e = test_max_rel_error(grad, ref, n, 1e-6, 1e-5);
        CHECK(e <= 1, "group prox %zux%zu by_cols %d: error %.3g of tolerance", rows, cols, by_cols, e);
        free(nrm), free(ref);
    }
    clnn_tensor_release(tw), clnn_tensor_release(tg), clnn_tensor_release(tv);
    free(w), free(grad), free(wd);
}

/* A conv filter bank [K, C, kh, kw]: group lasso per output filter is the
 * rows grouping of the [K, C·kh·kw] view; masked L1 on chosen input channels
 * is the elementwise L1 with a channel mask. */
static void conv_filters(void)
{
    const size_t K = 6, C = 5, kh = 3, kw = 3, shape[4] = {K, C, kh, kw}, n = K * C * kh * kw, one = 1;
    float *w = malloc(n * sizeof(float)), *mask = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
    REQUIRE(w && mask && out, "out of memory");
    fill_away_from_zero(w, n, 77);
    for (size_t i = 0; i < n; i++) mask[i] = ((i / (kh * kw)) % C == 1 || (i / (kh * kw)) % C == 3) ? 1.0f : 0.0f;
    double *wd = to_d(w, n), *md = to_d(mask, n);
    float zero = 0;
    clnn_tensor *tw = test_tensor_from(ctx, 4, shape, w), *tg = test_tensor_from(ctx, 4, shape, w);
    clnn_tensor *tm = test_tensor_from(ctx, 4, shape, mask), *tv = test_tensor_from(ctx, 1, &one, &zero);
    const float lambda = 0.37f;
    group_user u = {K, C * kh * kw, 0, 0, lambda};
    CHECK_OK(ctx, clnn_reg_group_lasso_value(ctx, tw, lambda, CLNN_GROUP_ROWS, tv));
    check_value("group lasso per conv filter", download1(tv), group_value(wd, &u));
    CHECK_OK(ctx, clnn_tensor_fill(tg, 0.0f));
    CHECK_OK(ctx, clnn_reg_group_lasso_grad(ctx, tw, lambda, CLNN_GROUP_ROWS, tg));
    CHECK_OK(ctx, clnn_tensor_download(tg, out, n * sizeof(float)));
    check_fd("group lasso per conv filter", group_value, &u, wd, n, out, n);

    /* masked L1 on input channels 1 and 3: value, gradient, and the proximal
     * step leaving the other channels bit-identical */
    clnn_reg l1 = {CLNN_REG_L1, 0.2f, 0, NULL};
    elem_user e = {n, md, 0.2, 0};
    CHECK_OK(ctx, clnn_reg_value(ctx, tw, tm, &l1, tv));
    check_value("channel-masked L1", download1(tv), elem_value(wd, &e));
    CHECK_OK(ctx, clnn_tensor_fill(tg, 0.0f));
    CHECK_OK(ctx, clnn_reg_grad(ctx, tw, tm, &l1, tg));
    CHECK_OK(ctx, clnn_tensor_download(tg, out, n * sizeof(float)));
    check_fd("channel-masked L1", elem_value, &e, wd, n, out, n);
    const float lr = 0.5f; /* threshold 0.1 */
    CHECK_OK(ctx, clnn_reg_prox(ctx, tm, &l1, lr, tw));
    CHECK_OK(ctx, clnn_tensor_download(tw, out, n * sizeof(float)));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double t = mask[i] * (double)lr * 0.2f, a = fabs(wd[i]) - t;
        double ref = mask[i] == 0 ? wd[i] : (a > 0 ? (wd[i] > 0 ? a : -a) : 0);
        bad += mask[i] == 0 ? out[i] != w[i] : fabs(out[i] - ref) > 1e-6;
    }
    CHECK(bad == 0, "channel-masked L1 prox: %zu entries wrong", bad);
    clnn_tensor_release(tw), clnn_tensor_release(tg), clnn_tensor_release(tm), clnn_tensor_release(tv);
    free(w), free(mask), free(out), free(wd), free(md);
}

/* ------------------------------------------------- gradient operations */

static void gradient_ops(void)
{
    size_t sizes[3] = {1, 1031, 77}, two = 2, three = 3;
    clnn_tensor *g[3], *w[3];
    double sumsq = 0, gw[3] = {0}, ww[3] = {0};
    for (int i = 0; i < 3; i++) {
        float *a = malloc(sizes[i] * sizeof(float)), *b = malloc(sizes[i] * sizeof(float));
        REQUIRE(a && b, "out of memory");
        test_fill_uniform(a, sizes[i], 40u + (unsigned)i, -2, 2);
        test_fill_uniform(b, sizes[i], 50u + (unsigned)i, -1, 1);
        for (size_t j = 0; j < sizes[i]; j++) {
            sumsq += (double)a[j] * a[j];
            gw[i] += (double)a[j] * b[j];
            ww[i] += (double)b[j] * b[j];
        }
        g[i] = test_tensor_from(ctx, 1, &sizes[i], a);
        w[i] = test_tensor_from(ctx, 1, &sizes[i], b);
        free(a), free(b);
    }
    float zeros[3] = {0, 0, 0}, out[3];
    clnn_tensor *factor = test_tensor_from(ctx, 1, &two, zeros), *coef = test_tensor_from(ctx, 1, &three, zeros);
    const float max_norms[2] = {5.0f, 1e6f}; /* clipping and not clipping */
    for (int k = 0; k < 2; k++) {
        CHECK_OK(ctx, clnn_grad_clip_factor(ctx, 3, (const clnn_tensor *const *)g, max_norms[k], factor));
        CHECK_OK(ctx, clnn_tensor_download(factor, out, 2 * sizeof(float)));
        double norm = sqrt(sumsq), f = max_norms[k] / (norm + 1e-6);
        f = f < 1 ? f : 1;
        CHECK(fabs(out[1] - norm) <= 1e-5 * norm, "global norm %.9g, reference %.9g", (double)out[1], norm);
        CHECK(fabs(out[0] - f) <= 1e-5 * f, "clip factor %.9g, reference %.9g", (double)out[0], f);
    }
    CHECK_OK(ctx, clnn_grad_perp_coef(ctx, 3, (const clnn_tensor *const *)w, (const clnn_tensor *const *)g, coef));
    CHECK_OK(ctx, clnn_tensor_download(coef, out, 3 * sizeof(float)));
    for (int i = 0; i < 3; i++) {
        double c = gw[i] / ww[i];
        CHECK(fabs(out[i] - c) <= 1e-4 * (1 + fabs(c)), "perp coef %d: %.9g, reference %.9g", i, (double)out[i], c);
    }
    /* a zero weight tensor has coefficient 0, not NaN */
    CHECK_OK(ctx, clnn_tensor_fill(w[0], 0.0f));
    CHECK_OK(ctx, clnn_grad_perp_coef(ctx, 3, (const clnn_tensor *const *)w, (const clnn_tensor *const *)g, coef));
    CHECK_OK(ctx, clnn_tensor_download(coef, out, 3 * sizeof(float)));
    CHECK(out[0] == 0.0f, "perp coef of a zero tensor is %g", (double)out[0]);

    /* perpGrad end to end: after a full projection (alpha 1) and plain SGD
     * with lr 1 from w, the update direction -g_perp is orthogonal to w */
    CHECK_OK(ctx, clnn_grad_perp_coef(ctx, 3, (const clnn_tensor *const *)w, (const clnn_tensor *const *)g, coef));
    clnn_tensor *w1 = NULL;
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &sizes[1], &w1) == CLNN_OK, "w1");
    CHECK_OK(ctx, clnn_tensor_copy(w1, w[1]));
    /* parameter index 1 in the list uses coef[1] */
    clnn_param ps[2] = {{w[0], g[0], NULL, NULL, NULL, 0}, {w1, g[1], NULL, NULL, NULL, 0}};
    clnn_optim_options sgd = {sizeof(clnn_optim_options), CLNN_OPTIM_SGD, 1.0f, 0, 0, 0, 0, 0, 0, 0};
    clnn_reg perp = {CLNN_REG_PERPGRAD, 1.0f, 0, coef};
    CHECK_OK(ctx, clnn_optim_step(ctx, &sgd, 2, ps, 1, &perp));
    float *a = malloc(sizes[1] * sizeof(float)), *b = malloc(sizes[1] * sizeof(float));
    REQUIRE(a && b, "out of memory");
    CHECK_OK(ctx, clnn_tensor_download(w1, a, sizes[1] * sizeof(float)));
    CHECK_OK(ctx, clnn_tensor_download(w[1], b, sizes[1] * sizeof(float)));
    double dot = 0, du = 0;
    for (size_t j = 0; j < sizes[1]; j++) dot += (double)(a[j] - b[j]) * b[j], du += (double)(a[j] - b[j]) * (a[j] - b[j]);
    CHECK(fabs(dot) <= 1e-4 * sqrt(du * ww[1]), "perpGrad update not orthogonal to w: <dw, w> = %.3g", dot);
    free(a), free(b);
    clnn_tensor_release(w1);
    for (int i = 0; i < 3; i++) clnn_tensor_release(g[i]), clnn_tensor_release(w[i]);
    clnn_tensor_release(factor), clnn_tensor_release(coef);
}

/* clip_grad_norm_ with norm_type 1, 3 and INFINITY against the norms in
 * double (p = 2 must give clnn_grad_clip_factor's bits), clip_grad_value_
 * against clamping on the host, and their refusals. */
static void clip_norms_and_values(void)
{
    const size_t sizes[3] = {5, 4099, 1}, two = 2;
    clnn_tensor *g[3];
    float *host[3];
    for (int i = 0; i < 3; i++) {
        host[i] = malloc(sizes[i] * sizeof(float));
        REQUIRE(host[i], "out of memory");
        test_fill_uniform(host[i], sizes[i], 70u + (unsigned)i, -2, 2);
        g[i] = test_tensor_from(ctx, 1, &sizes[i], host[i]);
    }
    host[2][0] = 7.5f; /* the largest magnitude, in the one-element tensor */
    CHECK_OK(ctx, clnn_tensor_upload(g[2], host[2], sizeof(float)));
    const clnn_tensor *const *cg = (const clnn_tensor *const *)g;
    float zeros[2] = {0, 0}, out[2], out2[2];
    clnn_tensor *factor = test_tensor_from(ctx, 1, &two, zeros);
    const float types[3] = {1.0f, 3.0f, INFINITY};
    for (int k = 0; k < 3; k++) {
        double acc = 0.0;
        for (int i = 0; i < 3; i++)
            for (size_t j = 0; j < sizes[i]; j++) {
                const double a = fabs((double)host[i][j]);
                acc = isinf(types[k]) ? (a > acc ? a : acc) : acc + pow(a, types[k]);
            }
        const double norm = isinf(types[k]) ? acc : pow(acc, 1.0 / types[k]), f = fmin(1.0, 4.0 / (norm + 1e-6));
        CHECK_OK(ctx, clnn_grad_clip_factor_p(ctx, 3, cg, 4.0f, types[k], factor));
        CHECK_OK(ctx, clnn_tensor_download(factor, out, sizeof out));
        CHECK(fabs(out[1] - norm) <= 1e-5 * norm, "%g-norm %.9g, reference %.9g", types[k], (double)out[1], norm);
        CHECK(fabs(out[0] - f) <= 1e-5 * f, "%g-norm clip factor %.9g, reference %.9g", types[k], (double)out[0], f);
    }
    CHECK_OK(ctx, clnn_grad_clip_factor_p(ctx, 3, cg, 4.0f, 2.0f, factor));
    CHECK_OK(ctx, clnn_tensor_download(factor, out, sizeof out));
    CHECK_OK(ctx, clnn_grad_clip_factor(ctx, 3, cg, 4.0f, factor));
    CHECK_OK(ctx, clnn_tensor_download(factor, out2, sizeof out2));
    CHECK(memcmp(out, out2, sizeof out) == 0, "norm_type 2 differs from clnn_grad_clip_factor");
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_grad_clip_factor_p",
                clnn_grad_clip_factor_p(ctx, 3, cg, 4.0f, 0.0f, factor));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_grad_clip_factor_p",
                clnn_grad_clip_factor_p(ctx, 3, cg, -1.0f, 1.0f, factor));

    CHECK_OK(ctx, clnn_grad_clip_value(ctx, 3, g, 0.5f));
    for (int i = 0; i < 3; i++) {
        float *got = test_download(ctx, g[i]);
        size_t bad = 0;
        for (size_t j = 0; j < sizes[i]; j++) bad += got[j] != fminf(fmaxf(host[i][j], -0.5f), 0.5f);
        CHECK(bad == 0, "clip by value: %zu of %zu elements of grads[%d] differ from the clamp", bad, sizes[i], i);
        free(got);
    }
    float *before = test_download(ctx, g[1]);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_grad_clip_value", clnn_grad_clip_value(ctx, 3, g, -1.0f));
    clnn_tensor *twice[2] = {g[1], g[1]};
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_grad_clip_value", clnn_grad_clip_value(ctx, 2, twice, 0.1f));
    float *after = test_download(ctx, g[1]);
    CHECK(memcmp(before, after, sizes[1] * sizeof(float)) == 0, "a refused clip by value changed a gradient");
    free(before), free(after);
    for (int i = 0; i < 3; i++) clnn_tensor_release(g[i]), free(host[i]);
    clnn_tensor_release(factor);
}

int main(void)
{
    ctx = test_context();
    clip_norms_and_values();
    /* 4099 and 40009: several blocks of the GPU shape of the reductions
     * (cl/reduce_deterministic.cl, BLOCKS=1), lanes of 3 to 10 elements, none a
     * multiple of 256 */
    static const size_t sizes[] = {1, 2, 3, 13, 257, 1000, 4099, 40009};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        if (sizes[s] < 10000 || test_large("elementwise regularizers on 40009 elements")) elementwise(sizes[s], 1);
    if (test_large("elementwise regularizers on 2^20 + 5 elements")) elementwise(((size_t)1 << 20) + 5, 1); /* large: finite differences on 64 spread elements */
    static const size_t shapes[][2] = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {13, 11}, {31, 4}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) groups(shapes[s][0], shapes[s][1], 1, 1);
    if (test_large("group regularizers on 1027 x 1021")) groups(1027, 1021, 0, 1); /* large (>= 2^20 elements): values, gradients at 200 spread elements, prox */
    conv_filters();
    gradient_ops();
    clnn_context_release(ctx);
    return check_summary();
}
