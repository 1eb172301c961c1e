/* Representation losses (include/clnn/representations.h) against the
 * double-precision references of tests/ref/ref_representations.c, written
 * from the papers' formulas: VICReg's terms and combined loss, center loss
 * and its center update, Huber, pseudo-Huber, and log-domain Sinkhorn with
 * its backward. Shapes 1, 2, primes and sizes that are not multiples of a
 * local size, one large case of each behind test_large(). Every gradient is
 * compared with central finite differences of the reference, in double. The
 * same bits come back from a second call and under forced local sizes. The
 * reduction NONE (tests/reduce_none.h): center loss per sample, Huber per
 * element, pseudo-Huber per row, gradients equal to SUM's. */
#include "check.h"
#include "reduce_none.h"
#include "ref/ref_representations.h"

#include <math.h>

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static clnn_tensor *new_tensor(clnn_context *ctx, clnn_dtype dtype, int ndim, const size_t *shape)
{
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, dtype, ndim, shape, &t));
    REQUIRE(t, "tensor");
    return t;
}
#define NEW2(ctx, a, b) new_tensor((ctx), CLNN_FLOAT32, 2, (const size_t[2]){(a), (b)})
#define FROM2(ctx, a, b, data) test_tensor_from((ctx), 2, (const size_t[2]){(a), (b)}, (data))

static float read_scalar(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

static double *to_double(const float *x, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    REQUIRE(d, "host memory");
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static float *uniform(size_t n, unsigned seed, float lo, float hi)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    REQUIRE(x, "host memory");
    test_fill_uniform(x, n, seed, lo, hi);
    return x;
}

/* The value against the reference: fp32 sums of positive terms, 2e-5 relative
 * (plus 1e-7 absolute for values near 0). */
static void check_value(const char *what, float got, double want)
{
    double err = fabs((double)got - want) / (1e-7 + 2e-5 * fabs(want));
    CHECK(err <= 1.0, "%s: value %.9g, reference %.9g (error %.3g of tolerance)", what, got, want, err);
}

/* A reference loss as a function of one input array x (the other inputs in
 * arg). A loss that is a sum over rows of row_len elements is evaluated on
 * rows [r0, r0 + nr) only (the rows a perturbation changes; the others
 * cancel in a difference); nr = 0 means the whole loss. */
typedef double (*ref_fn)(const void *arg, const double *x, size_t r0, size_t nr);

/* Central differences of f at every stride-th element of x0 against grad.
 * h = 1e-4 on inputs of size ~1: truncation ~h² |f'''| and rounding ~1e-16/h
 * are both far below the fp32 error of the device. Tolerance: 1e-3 relative
 * plus 1e-4 of the largest difference (fp32 sums of ~N·D terms). row_len:
 * see ref_fn (0: not a sum over rows). */
static void check_grad(const char *what, ref_fn f, const void *arg, const float *x0, size_t n, const float *grad,
                       size_t stride, double h, size_t row_len)
{
    double *x = to_double(x0, n), *fd = malloc(n * sizeof *fd), scale = 0.0;
    float *got = malloc(n * sizeof *got);
    REQUIRE(fd && got, "host memory");
    size_t count = 0;
    for (size_t e = 0; e < n; e += stride) {
        size_t r0 = row_len ? e / row_len : 0, nr = row_len ? 1 : 0;
        x[e] = (double)x0[e] + h;
        double up = f(arg, x, r0, nr);
        x[e] = (double)x0[e] - h;
        double down = f(arg, x, r0, nr);
        x[e] = x0[e];
        fd[count] = (up - down) / (2 * h);
        got[count++] = grad[e];
        scale = fabs(fd[count - 1]) > scale ? fabs(fd[count - 1]) : scale;
    }
    double err = test_max_rel_error(got, fd, count, 1e-4 * scale + 1e-12, 1e-3);
    CHECK(err <= 1.0, "%s: gradient vs finite differences: error %.3g of tolerance (%zu elements)", what, err, count);
    free(x), free(fd), free(got);
}

/* ---------------------------------------------------------------- VICReg */

enum { VIC_VARIANCE, VIC_COVARIANCE, VIC_INVARIANCE, VIC_LOSS };
static const char *const vic_names[] = {"vicreg variance", "vicreg covariance", "vicreg invariance", "vicreg loss"};
static const clnn_vicreg_options VOPT = {sizeof(clnn_vicreg_options), 2.5f, 3.0f, 0.7f, 1.0f, 1e-4f};

typedef struct vic_arg {
    int op, wrt2; /* wrt2: x is z2 (the other branch fixed) */
    size_t n, d;
    const double *other;
} vic_arg;

static double vic_ref(const void *p, const double *x, size_t r0, size_t nr)
{
    const vic_arg *a = p;
    (void)r0, (void)nr; /* not a sum over rows */
    const double *z = a->wrt2 ? a->other : x, *z2 = a->wrt2 ? x : a->other;
    switch (a->op) {
    case VIC_VARIANCE: return ref_vicreg_variance(x, a->n, a->d, VOPT.gamma, VOPT.eps);
    case VIC_COVARIANCE: return ref_vicreg_covariance(x, a->n, a->d);
    case VIC_INVARIANCE: return ref_vicreg_invariance(z, z2, a->n * a->d);
    default:
        return ref_vicreg_loss(z, z2, a->n, a->d, VOPT.lambda, VOPT.mu, VOPT.nu, VOPT.gamma, VOPT.eps);
    }
}

/* Embeddings whose columns have different means and spreads (standard
 * deviations 0.17 to 1.6), so that the hinge (gamma 1) is active for some
 * features and not for others. */
static float *embeddings(size_t n, size_t d, unsigned seed)
{
    float *z = uniform(n * d, seed, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) z[i * d + j] = z[i * d + j] * (0.3f + 2.5f * (float)j / (float)d) + sinf((float)j);
    return z;
}

static clnn_status vic_run(clnn_context *ctx, int op, const clnn_tensor *z, const clnn_tensor *z2, clnn_tensor *loss,
                           clnn_tensor *dz, clnn_tensor *dz2)
{
    switch (op) {
    case VIC_VARIANCE: return clnn_vicreg_variance(ctx, z, VOPT.gamma, VOPT.eps, loss, dz);
    case VIC_COVARIANCE: return clnn_vicreg_covariance(ctx, z, loss, dz);
    case VIC_INVARIANCE: return clnn_vicreg_invariance(ctx, z, z2, loss, dz, dz2);
    default: return clnn_vicreg_loss(ctx, z, z2, &VOPT, loss, dz, dz2);
    }
}

static void check_vicreg(clnn_context *ctx, int op, size_t n, size_t d, size_t stride)
{
    char what[96];
    snprintf(what, sizeof what, "%s %zux%zu", vic_names[op], n, d);
    size_t count = n * d;
    int two = op == VIC_INVARIANCE || op == VIC_LOSS;
    float *z = embeddings(n, d, (unsigned)(n * 31 + d)), *z2 = embeddings(n, d, (unsigned)(n * 17 + d + 5));
    clnn_tensor *tz = FROM2(ctx, n, d, z), *tz2 = FROM2(ctx, n, d, z2);
    clnn_tensor *loss = NEW2(ctx, 1, 1), *dz = NEW2(ctx, n, d), *dz2 = two ? NEW2(ctx, n, d) : NULL;
    CHECK_OK(ctx, vic_run(ctx, op, tz, tz2, loss, dz, dz2));
    float value = read_scalar(ctx, loss), *g = test_download(ctx, dz), *g2 = two ? test_download(ctx, dz2) : NULL;
    double *zd = to_double(z, count), *z2d = to_double(z2, count);
    vic_arg a = {op, 0, n, d, z2d};
    check_value(what, value, vic_ref(&a, zd, 0, 0));
    check_grad(what, vic_ref, &a, z, count, g, stride, 1e-4, 0);
    if (two) {
        vic_arg b = {op, 1, n, d, zd};
        char w2[128];
        snprintf(w2, sizeof w2, "%s (dz2)", what);
        check_grad(w2, vic_ref, &b, z2, count, g2, stride, 1e-4, 0);
    }
    /* the same bits again; loss-only and gradient-only calls agree */
    CHECK_OK(ctx, vic_run(ctx, op, tz, tz2, loss, dz, dz2));
    float v2 = read_scalar(ctx, loss), *h = test_download(ctx, dz);
    CHECK(same_bits(&value, &v2, 1) && same_bits(g, h, count), "%s: a second call changed bits", what);
    CHECK_OK(ctx, vic_run(ctx, op, tz, tz2, loss, NULL, NULL));
    float v3 = read_scalar(ctx, loss);
    CHECK(same_bits(&value, &v3, 1), "%s: loss-only call gives other bits", what);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -3.0f));
    CHECK_OK(ctx, vic_run(ctx, op, tz, tz2, NULL, dz, dz2));
    float *h2 = test_download(ctx, dz);
    CHECK(same_bits(g, h2, count) && read_scalar(ctx, loss) == -3.0f, "%s: gradient-only call differs", what);
    free(z), free(z2), free(zd), free(z2d), free(g), free(g2), free(h), free(h2);
    clnn_tensor_release(tz), clnn_tensor_release(tz2), clnn_tensor_release(loss);
    clnn_tensor_release(dz), clnn_tensor_release(dz2);
}

/* The combined loss equals λ·s + μ(v + v') + ν(c + c') of the single-term calls. */
static void check_vicreg_parts(clnn_context *ctx)
{
    size_t n = 9, d = 7;
    float *z = embeddings(n, d, 3), *z2 = embeddings(n, d, 4);
    clnn_tensor *tz = FROM2(ctx, n, d, z), *tz2 = FROM2(ctx, n, d, z2), *loss = NEW2(ctx, 1, 1);
    float parts[5], total;
    CHECK_OK(ctx, clnn_vicreg_invariance(ctx, tz, tz2, loss, NULL, NULL));
    parts[0] = read_scalar(ctx, loss);
    for (int k = 0; k < 2; k++) {
        CHECK_OK(ctx, clnn_vicreg_variance(ctx, k ? tz2 : tz, VOPT.gamma, VOPT.eps, loss, NULL));
        parts[1 + k] = read_scalar(ctx, loss);
        CHECK_OK(ctx, clnn_vicreg_covariance(ctx, k ? tz2 : tz, loss, NULL));
        parts[3 + k] = read_scalar(ctx, loss);
    }
    CHECK_OK(ctx, clnn_vicreg_loss(ctx, tz, tz2, &VOPT, loss, NULL, NULL));
    total = read_scalar(ctx, loss);
    double want = VOPT.lambda * (double)parts[0] + VOPT.mu * ((double)parts[1] + parts[2]) +
                  VOPT.nu * ((double)parts[3] + parts[4]);
    check_value("vicreg loss = weighted single terms", total, want);
    /* NULL options: the paper's weights */
    CHECK_OK(ctx, clnn_vicreg_loss(ctx, tz, tz2, NULL, loss, NULL, NULL));
    double *zd = to_double(z, n * d), *z2d = to_double(z2, n * d);
    check_value("vicreg loss, paper weights", read_scalar(ctx, loss),
                ref_vicreg_loss(zd, z2d, n, d, 25.0, 25.0, 1.0, 1.0, 1e-4));
    free(z), free(z2), free(zd), free(z2d);
    clnn_tensor_release(tz), clnn_tensor_release(tz2), clnn_tensor_release(loss);
}

/* ------------------------------------------------------------ center loss */

typedef struct center_arg {
    const int32_t *labels;
    const double *centers;
    size_t n, d, k;
    int mean;
} center_arg;

static double center_ref(const void *p, const double *x, size_t r0, size_t nr)
{
    const center_arg *a = p;
    if (!nr) nr = a->n;
    double sum = ref_center_loss(x + r0 * a->d, a->labels + r0, a->centers, nr, a->d, a->k, 0);
    return a->mean ? sum / (double)a->n : sum;
}

static int32_t *make_labels(size_t n, size_t k)
{
    int32_t *l = malloc(n * sizeof *l);
    REQUIRE(l, "host memory");
    for (size_t i = 0; i < n; i++) l[i] = (int32_t)((i * 7 + 3) % k); /* repeats, and with k > n absent classes */
    return l;
}

static clnn_tensor *label_tensor(clnn_context *ctx, const int32_t *labels, size_t n)
{
    clnn_tensor *t = new_tensor(ctx, CLNN_INT32, 1, &n);
    CHECK_OK(ctx, clnn_tensor_upload(t, labels, n * sizeof *labels));
    return t;
}

static void check_center_loss(clnn_context *ctx, size_t n, size_t d, size_t k, clnn_reduction red, size_t stride)
{
    char what[96];
    snprintf(what, sizeof what, "center loss %zux%zu, %zu classes, %s", n, d, k,
             red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    float *x = uniform(n * d, (unsigned)(n + d), -2.0f, 2.0f), *c = uniform(k * d, (unsigned)(k + 7), -1.0f, 1.0f);
    int32_t *labels = make_labels(n, k);
    clnn_tensor *tx = FROM2(ctx, n, d, x), *tc = FROM2(ctx, k, d, c), *tl = label_tensor(ctx, labels, n);
    clnn_tensor *loss = NEW2(ctx, 1, 1), *dx = NEW2(ctx, n, d);
    CHECK_OK(ctx, clnn_center_loss(ctx, tx, tl, tc, red, loss, dx));
    float value = read_scalar(ctx, loss), *g = test_download(ctx, dx);
    double *cd = to_double(c, k * d), *xd = to_double(x, n * d);
    center_arg a = {labels, cd, n, d, k, red == CLNN_REDUCE_MEAN};
    check_value(what, value, center_ref(&a, xd, 0, 0));
    check_grad(what, center_ref, &a, x, n * d, g, stride, 1e-4, d);
    CHECK_OK(ctx, clnn_center_loss(ctx, tx, tl, tc, red, loss, NULL));
    float v2 = read_scalar(ctx, loss);
    CHECK(same_bits(&value, &v2, 1), "%s: loss-only call gives other bits", what);
    free(x), free(c), free(labels), free(g), free(cd), free(xd);
    clnn_tensor_release(tx), clnn_tensor_release(tc), clnn_tensor_release(tl);
    clnn_tensor_release(loss), clnn_tensor_release(dx);
}

/* A label out of range: NaN loss and NaN gradient row, others finite. */
static void check_center_bad_label(clnn_context *ctx)
{
    size_t n = 3, d = 4, k = 2;
    float x[12], c[8];
    test_fill_uniform(x, 12, 1, -1, 1);
    test_fill_uniform(c, 8, 2, -1, 1);
    int32_t labels[3] = {0, 2, 1};
    clnn_tensor *tx = FROM2(ctx, n, d, x), *tc = FROM2(ctx, k, d, c), *tl = label_tensor(ctx, labels, n);
    clnn_tensor *loss = NEW2(ctx, 1, 1), *dx = NEW2(ctx, n, d);
    CHECK_OK(ctx, clnn_center_loss(ctx, tx, tl, tc, CLNN_REDUCE_SUM, loss, dx));
    float *g = test_download(ctx, dx);
    CHECK(isnan(read_scalar(ctx, loss)) && isnan(g[4]) && isnan(g[7]) && !isnan(g[0]) && !isnan(g[11]),
          "center loss: label 2 of 2 classes must give NaN in its row only");
    free(g);
    clnn_tensor_release(tx), clnn_tensor_release(tc), clnn_tensor_release(tl);
    clnn_tensor_release(loss), clnn_tensor_release(dx);
}

/* The center update against the reference: repeated labels, classes without
 * samples, and (bad) labels -1 and k that must be ignored. */
static void check_center_update(clnn_context *ctx, size_t n, size_t d, size_t k, int bad)
{
    char what[96];
    snprintf(what, sizeof what, "center update %zux%zu, %zu classes%s", n, d, k, bad ? ", bad labels" : "");
    float *x = uniform(n * d, (unsigned)(3 * n + d), -2.0f, 2.0f), *c = uniform(k * d, (unsigned)(k + 1), -1.0f, 1.0f);
    int32_t *labels = make_labels(n, k);
    if (bad && n > 2) labels[1] = -1, labels[n - 1] = (int32_t)k;
    clnn_tensor *tx = FROM2(ctx, n, d, x), *tc = FROM2(ctx, k, d, c), *tl = label_tensor(ctx, labels, n);
    CHECK_OK(ctx, clnn_center_loss_update(ctx, tx, tl, 0.5f, tc));
    float *got = test_download(ctx, tc);
    double *want = to_double(c, k * d), *xd = to_double(x, n * d);
    int32_t *valid = malloc(n * sizeof *valid); /* the reference sees the ignored labels as absent classes */
    REQUIRE(valid, "host memory");
    for (size_t i = 0; i < n; i++) valid[i] = labels[i] < 0 || (size_t)labels[i] >= k ? INT32_MIN : labels[i];
    ref_center_update(xd, valid, n, d, k, 0.5, want);
    /* each center: an fp32 sum of its class's samples */
    double err = test_max_rel_error(got, want, k * d, 1e-6, 1e-5);
    CHECK(err <= 1.0, "%s: error %.3g of tolerance", what, err);
    free(x), free(c), free(labels), free(got), free(want), free(xd), free(valid);
    clnn_tensor_release(tx), clnn_tensor_release(tc), clnn_tensor_release(tl);
}

/* ---------------------------------------------------- Huber, pseudo-Huber */

typedef struct robust_arg {
    const double *target;
    size_t rows, cols;
    double param;
    int mean, pseudo;
} robust_arg;

/* rows of pseudo-Huber; Huber is a sum over single elements (row_len 1) */
static double robust_ref(const void *p, const double *x, size_t r0, size_t nr)
{
    const robust_arg *a = p;
    size_t len = a->pseudo ? a->cols : 1, total = a->pseudo ? a->rows : a->rows * a->cols;
    if (!nr) nr = total;
    const double *xr = x + r0 * len, *tr = a->target + r0 * len;
    double sum = a->pseudo ? ref_pseudo_huber(xr, tr, nr, len, a->param, 0) : ref_huber(xr, tr, nr, a->param, 0);
    return a->mean ? sum / (double)total : sum;
}

/* shape: ndim dimensions, the last one the pseudo-Huber row. Residuals in
 * (-3, 3): both sides of delta. */
static void check_robust(clnn_context *ctx, int pseudo, int ndim, const size_t *shape, float param,
                         clnn_reduction red, size_t stride)
{
    size_t count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i];
    size_t cols = shape[ndim - 1], rows = count / cols;
    char what[128];
    snprintf(what, sizeof what, "%s %zux%zu (%dD), %s %g, %s", pseudo ? "pseudo-Huber" : "Huber", rows, cols, ndim,
             pseudo ? "c" : "delta", (double)param, red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    float *p = uniform(count, (unsigned)(count + 3), -1.5f, 1.5f), *t = uniform(count, (unsigned)(count + 4), -1.5f, 1.5f);
    clnn_tensor *tp = test_tensor_from(ctx, ndim, shape, p), *tt = test_tensor_from(ctx, ndim, shape, t);
    clnn_tensor *loss = NEW2(ctx, 1, 1), *g = new_tensor(ctx, CLNN_FLOAT32, ndim, shape);
    CHECK_OK(ctx, pseudo ? clnn_pseudo_huber_loss(ctx, tp, tt, param, red, loss, g)
                         : clnn_huber_loss(ctx, tp, tt, param, red, loss, g));
    float value = read_scalar(ctx, loss), *gh = test_download(ctx, g);
    double *pd = to_double(p, count), *td = to_double(t, count);
    robust_arg a = {td, rows, cols, param, red == CLNN_REDUCE_MEAN, pseudo};
    check_value(what, value, robust_ref(&a, pd, 0, 0));
    /* Huber is C1 with a jump of h'' at |r| = delta: a difference straddling
     * it is off by at most ~h, so h = 1e-6 there */
    check_grad(what, robust_ref, &a, p, count, gh, stride, pseudo ? 1e-4 : 1e-6, pseudo ? cols : 1);
    CHECK_OK(ctx, pseudo ? clnn_pseudo_huber_loss(ctx, tp, tt, param, red, loss, NULL)
                         : clnn_huber_loss(ctx, tp, tt, param, red, loss, NULL));
    float v2 = read_scalar(ctx, loss);
    CHECK(same_bits(&value, &v2, 1), "%s: loss-only call gives other bits", what);
    free(p), free(t), free(gh), free(pd), free(td);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* ---------------------------------------------------------- reduction NONE */

enum { NONE_CENTER, NONE_HUBER, NONE_PSEUDO };
static const char *const none_names[] = {"center loss", "Huber", "pseudo-Huber"};

typedef struct none_arg {
    int kind;
    const clnn_tensor *x, *y, *labels; /* y: target, or the centers */
    float param;
} none_arg;

static clnn_status none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                             clnn_tensor *const *grads)
{
    const none_arg *a = p;
    switch (a->kind) {
    case NONE_CENTER: return clnn_center_loss(ctx, a->x, a->labels, a->y, red, loss, grads[0]);
    case NONE_HUBER: return clnn_huber_loss(ctx, a->x, a->y, a->param, red, loss, grads[0]);
    default: return clnn_pseudo_huber_loss(ctx, a->x, a->y, a->param, red, loss, grads[0]);
    }
}

/* x [rows, cols]: center loss with k classes (one term per sample), Huber
 * (one per element) or pseudo-Huber (one per row) with parameter 0.5. */
static void check_none(clnn_context *ctx, int kind, size_t rows, size_t cols, size_t k)
{
    size_t n = rows * cols, ny = kind == NONE_CENTER ? k * cols : n, terms = kind == NONE_HUBER ? n : rows;
    float *x = uniform(n, (unsigned)(n + 11 * (unsigned)kind), -1.5f, 1.5f);
    float *y = uniform(ny, (unsigned)(ny + 5), -1.5f, 1.5f);
    int32_t *labels = make_labels(rows, k ? k : 1);
    double *xd = to_double(x, n), *yd = to_double(y, ny), *ref = malloc(terms * sizeof *ref);
    REQUIRE(ref, "host memory");
    for (size_t i = 0; i < terms; i++)
        ref[i] = kind == NONE_CENTER  ? ref_center_loss(xd + i * cols, labels + i, yd, 1, cols, k, 0)
                 : kind == NONE_HUBER ? ref_huber(xd + i, yd + i, 1, 0.5, 0)
                                      : ref_pseudo_huber(xd + i * cols, yd + i * cols, 1, cols, 0.5, 0);
    clnn_tensor *tx = FROM2(ctx, rows, cols, x), *ty = FROM2(ctx, ny / cols, cols, y);
    clnn_tensor *tl = label_tensor(ctx, labels, rows), *g = NEW2(ctx, rows, cols);
    char what[96];
    snprintf(what, sizeof what, "%s %zux%zu none", none_names[kind], rows, cols);
    none_arg a = {kind, tx, ty, tl, 0.5f};
    /* an fp32 row sum (center loss, pseudo-Huber) or one fp32 term (Huber) */
    rn_case c = {what, none_call, &a, terms, ref, 1e-7, 1e-5, 1, &g};
    rn_check(ctx, &c);
    free(x), free(y), free(labels), free(xd), free(yd), free(ref);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(tl), clnn_tensor_release(g);
}

/* ----------------------------------------------------------------- Sinkhorn */

/* scores [batch, n, m] in (-2, 2) */
static void check_sinkhorn_forward(clnn_context *ctx, size_t batch, size_t n, size_t m, float tau, unsigned iters)
{
    char what[128];
    snprintf(what, sizeof what, "sinkhorn %zux%zux%zu tau %g, %u iterations", batch, n, m, (double)tau, iters);
    size_t count = batch * n * m, shape[3] = {batch, n, m};
    float *s = uniform(count, (unsigned)(count + iters), -2.0f, 2.0f);
    clnn_tensor *ts = test_tensor_from(ctx, 3, shape, s), *tp = new_tensor(ctx, CLNN_FLOAT32, 3, shape);
    CHECK_OK(ctx, clnn_sinkhorn_forward(ctx, ts, tau, iters, tp, NULL));
    float *p = test_download(ctx, tp);
    double *sd = to_double(s, count), *want = malloc(count * sizeof *want);
    REQUIRE(want, "host memory");
    ref_sinkhorn(sd, batch, n, m, tau, iters, want);
    /* exp of fp32 sums of terms up to |s|/tau: 1e-6 relative per unit of magnitude */
    double err = test_max_rel_error(p, want, count, 1e-7, 2e-6 * (1.0 + 2.0 / tau));
    CHECK(err <= 1.0, "%s: error %.3g of tolerance", what, err);
    free(s), free(p), free(sd), free(want);
    clnn_tensor_release(ts), clnn_tensor_release(tp);
}

/* After enough iterations the columns sum to n/m (exactly after every
 * iteration, up to rounding) and the rows to 1. */
static void check_sinkhorn_marginals(clnn_context *ctx, size_t batch, size_t n, size_t m, unsigned iters)
{
    size_t count = batch * n * m, shape[3] = {batch, n, m};
    float *s = uniform(count, 77, -2.0f, 2.0f);
    clnn_tensor *ts = test_tensor_from(ctx, 3, shape, s), *tp = new_tensor(ctx, CLNN_FLOAT32, 3, shape);
    CHECK_OK(ctx, clnn_sinkhorn_forward(ctx, ts, 0.5f, iters, tp, NULL));
    float *p = test_download(ctx, tp);
    double worst_row = 0.0, worst_col = 0.0, b_mass = (double)n / (double)m;
    for (size_t b = 0; b < batch; b++) {
        for (size_t i = 0; i < n; i++) {
            double sum = 0.0;
            for (size_t j = 0; j < m; j++) sum += p[(b * n + i) * m + j];
            worst_row = fabs(sum - 1.0) > worst_row ? fabs(sum - 1.0) : worst_row;
        }
        for (size_t j = 0; j < m; j++) {
            double sum = 0.0;
            for (size_t i = 0; i < n; i++) sum += p[(b * n + i) * m + j];
            worst_col = fabs(sum - b_mass) > worst_col ? fabs(sum - b_mass) : worst_col;
        }
    }
    /* converged (to fp32 rounding after ~40 iterations here): sums of at
     * most 9 fp32 entries, 2e-6 */
    CHECK(worst_col <= 2e-6 && worst_row <= 2e-6,
          "sinkhorn %zux%zux%zu marginals: rows off 1 by %.3g, columns off %g by %.3g", batch, n, m, worst_row,
          b_mass, worst_col);
    free(s), free(p);
    clnn_tensor_release(ts), clnn_tensor_release(tp);
}

/* L = Σ w·P(S) over one batch slice, by the reference. */
static double sinkhorn_slice_loss(const double *s, const float *w, size_t n, size_t m, float tau, unsigned iters)
{
    double *p = malloc(n * m * sizeof *p), sum = 0.0;
    REQUIRE(p, "host memory");
    ref_sinkhorn(s, 1, n, m, tau, iters, p);
    for (size_t e = 0; e < n * m; e++) sum += w[e] * p[e];
    free(p);
    return sum;
}

/* dL/dS of L = Σ w·P against central differences of the reference (only
 * the perturbed element's slice changes); with stored and recomputed
 * potentials (the same bits). */
static void check_sinkhorn_backward(clnn_context *ctx, size_t batch, size_t n, size_t m, float tau, unsigned iters,
                                    size_t stride)
{
    char what[128];
    snprintf(what, sizeof what, "sinkhorn backward %zux%zux%zu tau %g, %u iterations", batch, n, m, (double)tau, iters);
    size_t count = batch * n * m, shape[3] = {batch, n, m}, pot_count = iters * batch * (n + m);
    float *s = uniform(count, (unsigned)(count * 3 + iters), -2.0f, 2.0f), *w = uniform(count, 9, -1.0f, 1.0f);
    clnn_tensor *ts = test_tensor_from(ctx, 3, shape, s), *tw = test_tensor_from(ctx, 3, shape, w);
    clnn_tensor *tp = new_tensor(ctx, CLNN_FLOAT32, 3, shape), *tds = new_tensor(ctx, CLNN_FLOAT32, 3, shape);
    clnn_tensor *pot = new_tensor(ctx, CLNN_FLOAT32, 1, &pot_count);
    CHECK_OK(ctx, clnn_sinkhorn_forward(ctx, ts, tau, iters, tp, pot));
    CHECK_OK(ctx, clnn_sinkhorn_backward(ctx, ts, pot, tw, tau, iters, tds));
    float *ds = test_download(ctx, tds);
    double *sd = to_double(s, count), *fd = malloc(count * sizeof *fd), scale = 0.0, h = 1e-4;
    float *got = malloc(count * sizeof *got);
    REQUIRE(fd && got, "host memory");
    size_t k = 0;
    for (size_t e = 0; e < count; e += stride) {
        size_t b = e / (n * m);
        double *slice = sd + b * n * m;
        sd[e] = (double)s[e] + h;
        double up = sinkhorn_slice_loss(slice, w + b * n * m, n, m, tau, iters);
        sd[e] = (double)s[e] - h;
        double down = sinkhorn_slice_loss(slice, w + b * n * m, n, m, tau, iters);
        sd[e] = s[e];
        fd[k] = (up - down) / (2 * h);
        got[k++] = ds[e];
        scale = fabs(fd[k - 1]) > scale ? fabs(fd[k - 1]) : scale;
    }
    /* fp32 through 2·iters steps of exp-weighted sums: 1e-3 of the largest entry */
    double err = test_max_rel_error(got, fd, k, 1e-3 * scale + 1e-9, 2e-3);
    CHECK(err <= 1.0, "%s: vs finite differences: error %.3g of tolerance (%zu elements)", what, err, k);
    /* without potentials: recomputed, the same bits */
    CHECK_OK(ctx, clnn_tensor_fill(tds, 0.0f));
    CHECK_OK(ctx, clnn_sinkhorn_backward(ctx, ts, NULL, tw, tau, iters, tds));
    float *ds2 = test_download(ctx, tds);
    CHECK(same_bits(ds, ds2, count), "%s: recomputed potentials give other bits", what);
    free(s), free(w), free(ds), free(ds2), free(sd), free(fd), free(got);
    clnn_tensor_release(ts), clnn_tensor_release(tw), clnn_tensor_release(tp), clnn_tensor_release(tds);
    clnn_tensor_release(pot);
}

/* ------------------------------------------- bits under forced local sizes */

/* Fixed inputs of every op whose kernels reduce across work-items. */
typedef struct fixed_inputs {
    clnn_tensor *x, *y, *labels, *centers, *loss, *g, *s, *p, *pot, *ds;
    const float *c0; /* the initial centers (the update changes them) */
    size_t n, d, k, count, s_count;
} fixed_inputs;

enum { FIX_HUBER, FIX_PSEUDO, FIX_CENTER, FIX_UPDATE, FIX_VARIANCE, FIX_SINKHORN };

/* Runs one op and returns all its outputs in one host array of *len floats. */
static float *run_fixed(clnn_context *ctx, fixed_inputs *in, int op, size_t *len)
{
    float *out = malloc((2 + 2 * in->count + 2 * in->s_count) * sizeof *out);
    REQUIRE(out, "host memory");
    size_t at = 0;
#define TAKE(t, c)                                                                   \
    do {                                                                             \
        float *h_ = test_download(ctx, (t));                                         \
        memcpy(out + at, h_, (c) * sizeof *h_), at += (c), free(h_);                 \
    } while (0)
    switch (op) {
    case FIX_HUBER: CHECK_OK(ctx, clnn_huber_loss(ctx, in->x, in->y, 0.3f, CLNN_REDUCE_MEAN, in->loss, in->g)); break;
    case FIX_PSEUDO:
        CHECK_OK(ctx, clnn_pseudo_huber_loss(ctx, in->x, in->y, 0.3f, CLNN_REDUCE_SUM, in->loss, in->g));
        break;
    case FIX_CENTER:
        CHECK_OK(ctx, clnn_center_loss(ctx, in->x, in->labels, in->centers, CLNN_REDUCE_SUM, in->loss, in->g));
        break;
    case FIX_VARIANCE: CHECK_OK(ctx, clnn_vicreg_variance(ctx, in->x, 1.0f, 1e-4f, in->loss, in->g)); break;
    case FIX_UPDATE:
        CHECK_OK(ctx, clnn_tensor_upload(in->centers, in->c0, in->k * in->d * sizeof *in->c0));
        CHECK_OK(ctx, clnn_center_loss_update(ctx, in->x, in->labels, 0.5f, in->centers));
        TAKE(in->centers, in->k * in->d);
        break;
    default:
        CHECK_OK(ctx, clnn_sinkhorn_forward(ctx, in->s, 0.5f, 4, in->p, in->pot));
        CHECK_OK(ctx, clnn_sinkhorn_backward(ctx, in->s, in->pot, in->p, 0.5f, 4, in->ds));
        TAKE(in->p, in->s_count);
        TAKE(in->ds, in->s_count);
        break;
    }
    if (op != FIX_UPDATE && op != FIX_SINKHORN) {
        out[at++] = read_scalar(ctx, in->loss);
        TAKE(in->g, in->count);
    }
#undef TAKE
    *len = at;
    return out;
}

/* Every kernel that reduces across work-items, forced to local sizes 1, 3
 * and 64 (or the largest below 64 the kernel takes on this device), gives
 * the bits of the default configuration. */
static void check_local_sizes(clnn_context *ctx)
{
    /* 37 x 11 elements on the simulator; else 373 x 11 = 4103: two pair-loss chunks */
    fixed_inputs in = {0};
    in.n = test_small() ? 37 : 373, in.d = 11, in.k = 5, in.count = in.n * in.d, in.s_count = 2 * 13 * 17;
    size_t pot_count = 4 * 2 * (13 + 17), sshape[3] = {2, 13, 17};
    float *x = embeddings(in.n, in.d, 1), *y = embeddings(in.n, in.d, 2), *c = uniform(in.k * in.d, 3, -1, 1);
    float *s = uniform(in.s_count, 4, -2, 2);
    int32_t *labels = make_labels(in.n, in.k);
    in.c0 = c;
    in.x = FROM2(ctx, in.n, in.d, x), in.y = FROM2(ctx, in.n, in.d, y), in.labels = label_tensor(ctx, labels, in.n);
    in.centers = FROM2(ctx, in.k, in.d, c), in.loss = NEW2(ctx, 1, 1), in.g = NEW2(ctx, in.n, in.d);
    in.s = test_tensor_from(ctx, 3, sshape, s);
    in.p = new_tensor(ctx, CLNN_FLOAT32, 3, sshape), in.ds = new_tensor(ctx, CLNN_FLOAT32, 3, sshape);
    in.pot = new_tensor(ctx, CLNN_FLOAT32, 1, &pot_count);
    static const struct { const char *kernel; int op; } cases[] = {
        {"representations.pair_loss", FIX_HUBER},          {"representations.pseudo_huber_rows", FIX_PSEUDO},
        {"representations.center_loss_rows", FIX_CENTER},  {"representations.center_update", FIX_UPDATE},
        {"representations.col_moments", FIX_VARIANCE},     {"representations.col_stats", FIX_VARIANCE},
        {"representations.vicreg_value", FIX_VARIANCE},    {"representations.sinkhorn_rows", FIX_SINKHORN},
        {"representations.sinkhorn_cols", FIX_SINKHORN},   {"representations.sinkhorn_back_rows", FIX_SINKHORN},
        {"representations.sinkhorn_back_cols", FIX_SINKHORN}};
    /* local size 1 only off the simulator, where its many work-groups are slow */
    static const size_t locals[] = {3, 64, 1};
    const size_t nlocals = test_small() ? 2 : 3;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len, len2;
        float *ref = run_fixed(ctx, &in, cases[i].op, &len);
        for (size_t l = 0; l < nlocals; l++) {
            const size_t local = test_local_fit(ctx, cases[i].kernel, NULL, locals[l]);
            clnn_tune_config cfg = {{local, 1, 1}, {0}};
            CHECK_OK(ctx, clnn_tune_force(ctx, cases[i].kernel, &cfg));
            clnn_tune_config used;
            clnn_tune_match match;
            CHECK_OK(ctx, clnn_tune_resolve(ctx, cases[i].kernel, (const size_t[2]){in.n, in.d}, &used, &match));
            CHECK(match == CLNN_TUNE_MATCH_FORCED && used.local[0] == local, "%s: forced local size %zu not used",
                  cases[i].kernel, local);
            float *got = run_fixed(ctx, &in, cases[i].op, &len2);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            CHECK(len == len2 && same_bits(ref, got, len), "%s with local size %zu gives other bits",
                  cases[i].kernel, local);
            free(got);
        }
        free(ref);
    }
    free(x), free(y), free(c), free(s), free(labels);
    clnn_tensor *all[] = {in.x, in.y, in.labels, in.centers, in.loss, in.g, in.s, in.p, in.pot, in.ds};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* VICReg: N = 2 (the smallest batch with a variance), primes, rows and
 * columns that are no multiple of the 64 statistic lanes, D with and
 * without the float4 column path. sim: runs on the simulator too. */
static void vicreg_shapes(clnn_context *ctx, int full, int large)
{
    static const struct { size_t n, d; int sim; } vs[] = {
        {2, 1, 1},   {2, 13, 0}, {2, 31, 0}, {7, 1, 0},   {7, 13, 1}, {7, 31, 0},
        {17, 1, 0}, {17, 13, 0}, {17, 31, 0}, {67, 1, 0}, {67, 3, 1}, {67, 31, 0},
        {7, 8, 1},  {17, 12, 0}, {67, 4, 0}}; /* D a multiple of 4: the float4 column kernels */
    for (int op = 0; op < 4; op++)
        for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
            if (full || vs[i].sim) check_vicreg(ctx, op, vs[i].n, vs[i].d, vs[i].n * vs[i].d > 500 ? 7 : 1);
    check_vicreg(ctx, VIC_INVARIANCE, 1, 5, 1); /* the invariance alone allows one sample */
    check_vicreg_parts(ctx);
    if (large) {
        check_vicreg(ctx, VIC_VARIANCE, 1031, 257, 997);  /* 265k elements */
        check_vicreg(ctx, VIC_COVARIANCE, 4099, 17, 701); /* 70k elements, a 17x17 covariance */
        check_vicreg(ctx, VIC_LOSS, 1031, 64, 997);       /* 66k elements, float4 columns */
    }
}

/* center loss: one sample, repeated labels, more classes than samples */
static void center_loss_shapes(clnn_context *ctx, int full, int large)
{
    static const struct { size_t n, d, k; int sim; } cs[] = {
        {1, 1, 1, 1},   {1, 13, 1, 0}, {1, 257, 1, 0}, {7, 1, 5, 0},  {7, 13, 5, 1},  {7, 257, 5, 0},
        {13, 1, 3, 0}, {13, 13, 3, 0}, {13, 257, 3, 1}, {31, 1, 40, 0}, {31, 13, 40, 1}, {31, 257, 40, 0}};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        if (!full && !cs[i].sim) continue;
        check_center_loss(ctx, cs[i].n, cs[i].d, cs[i].k, CLNN_REDUCE_SUM, 1);
        check_center_loss(ctx, cs[i].n, cs[i].d, cs[i].k, CLNN_REDUCE_MEAN, 3);
        check_center_update(ctx, cs[i].n, cs[i].d, cs[i].k, 0);
        check_center_update(ctx, cs[i].n, cs[i].d, cs[i].k, 1);
    }
    check_center_bad_label(ctx);
    if (large) {
        check_center_loss(ctx, 4099, 257, 100, CLNN_REDUCE_MEAN, 1009);
        check_center_update(ctx, 4099, 257, 100, 1);
    }
}

/* Huber and pseudo-Huber: {B, rows, cols} (B = 1: 2-D); 4099 elements are
 * two pair-loss chunks */
static void huber_shapes(clnn_context *ctx, int full, int large)
{
    static const struct { size_t shape[3]; int sim; } rs[] = {
        {{1, 1, 1}, 1}, {{1, 7, 13}, 0}, {{1, 13, 257}, 0}, {{2, 3, 5}, 1}, {{1, 1, 4099}, 1}, {{3, 4096, 1}, 0}};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        if (!full && !rs[i].sim) continue;
        const size_t *sh = rs[i].shape[0] == 1 ? rs[i].shape + 1 : rs[i].shape;
        int ndim = rs[i].shape[0] == 1 ? 2 : 3;
        size_t stride = rs[i].shape[0] * rs[i].shape[1] * rs[i].shape[2] > 1000 ? 13 : 1;
        for (int pseudo = 0; pseudo < 2; pseudo++) {
            check_robust(ctx, pseudo, ndim, sh, 0.5f, CLNN_REDUCE_SUM, stride);
            check_robust(ctx, pseudo, ndim, sh, 2.0f, CLNN_REDUCE_MEAN, stride);
        }
    }
    if (large) {
        const size_t big[2] = {4099, 257}; /* 1053443 > 2^20 elements */
        check_robust(ctx, 0, 2, big, 0.5f, CLNN_REDUCE_MEAN, 1009);
        check_robust(ctx, 1, 2, big, 0.5f, CLNN_REDUCE_MEAN, 1009);
    }
}

/* NONE: one sample / element / row, primes, more than 256 row lanes, two
 * chunks of the elementwise Huber (4099 elements) */
static void none_shapes(clnn_context *ctx, int full, int large)
{
    static const struct { size_t rows, cols; int sim; } ns[] = {{1, 1, 1}, {7, 13, 1}, {3, 257, 0}, {1, 4099, 1}};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (int kind = 0; kind < 3; kind++)
            if (full || ns[i].sim) check_none(ctx, kind, ns[i].rows, ns[i].cols, ns[i].rows + 2);
    if (large)
        for (int kind = 0; kind < 3; kind++) check_none(ctx, kind, 4099, 257, 100);
}

/* Sinkhorn {B, N, M}: 1 x 1, non-square both ways, batches, > 64 rows */
static void sinkhorn_shapes(clnn_context *ctx, int full, int large)
{
    static const struct { size_t b, n, m; int sim; } sk[] = {
        {1, 1, 1, 1}, {1, 2, 3, 1}, {2, 5, 5, 0}, {3, 7, 13, 1}, {1, 13, 2, 0}, {2, 67, 31, 0}};
    const unsigned iters[] = {1, 3, 20};
    for (size_t i = 0; i < sizeof sk / sizeof sk[0]; i++)
        for (size_t t = 0; t < 3; t++) {
            if (!full && (!sk[i].sim || t == 2)) continue;
            check_sinkhorn_forward(ctx, sk[i].b, sk[i].n, sk[i].m, 1.0f, iters[t]);
            check_sinkhorn_forward(ctx, sk[i].b, sk[i].n, sk[i].m, 0.25f, iters[t]);
        }
    check_sinkhorn_marginals(ctx, 2, 9, 9, 60);
    check_sinkhorn_marginals(ctx, 1, 4, 6, 60);
    for (size_t i = 0; i < 5; i++) {
        if (!full && !sk[i].sim) continue;
        check_sinkhorn_backward(ctx, sk[i].b, sk[i].n, sk[i].m, 1.0f, 1, 1);
        check_sinkhorn_backward(ctx, sk[i].b, sk[i].n, sk[i].m, 0.5f, 5, 1);
    }
    if (full) check_sinkhorn_backward(ctx, 2, 67, 31, 0.5f, 3, 7);
    if (large) {
        check_sinkhorn_forward(ctx, 4, 181, 181, 0.5f, 10); /* 131k elements */
        check_sinkhorn_backward(ctx, 4, 181, 181, 0.5f, 10, 3001);
    }
}

int main(void)
{
    clnn_context *ctx = test_context();
    const int large = test_large("representation losses on 2^16..2^20 elements");
    /* On the simulator (small mode) only a subset of the shapes runs (each
     * kind of shape once: N = 1 and 2, primes, > 64 statistic lanes, > 256
     * row lanes, two chunks); the rest would take the simulated run past its
     * time limit. */
    const int full = test_large("representation shapes beyond the simulator subset");

    vicreg_shapes(ctx, full, large);
    center_loss_shapes(ctx, full, large);
    huber_shapes(ctx, full, large);
    none_shapes(ctx, full, large);
    sinkhorn_shapes(ctx, full, large);
    check_local_sizes(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
