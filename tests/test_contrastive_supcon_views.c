/* The reduction NONE and the temperature gradient of the InfoNCE family,
 * and the supervised contrastive
 * loss over any number of views (clnn_supcon_views)
 * against the double reference of tests/ref (Khosla et al.'s L_out over V·N
 * stacked rows): V = 1, 2, 3 and 4, normalised or not, margin, decoupled,
 * MEAN and SUM; gradients against central differences of the reference;
 * V = 2 bit for bit clnn_supcon on the two halves; bad input that leaves the
 * outputs alone. */
#include "check.h"
#include "ref/ref_contrastive.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL -7.0f

typedef struct sv_case {
    size_t views, n, d;
    int normalize, decoupled;
    float margin, tau;
    clnn_reduction red;
} sv_case;

static double ref_of(const sv_case *c, const double *z, const int32_t *labels)
{
    return ref_supcon_views(z, c->views, labels, c->n, c->d, c->tau, c->margin, c->normalize, c->decoupled,
                            c->red == CLNN_REDUCE_MEAN);
}

static void check_case(clnn_context *ctx, const sv_case *c, unsigned seed)
{
    size_t rows = c->views * c->n, count = rows * c->d, shape[2] = {rows, c->d};
    float *z = malloc(count * sizeof *z);
    double *zd = malloc(count * sizeof *zd);
    int32_t *labels = malloc(c->n * sizeof *labels);
    REQUIRE(z && zd && labels, "host memory");
    test_fill_uniform(z, count, seed, -1.0f, 1.0f);
    for (size_t i = 0; i < c->n; i++) labels[i] = (int32_t)((i + seed) % 3); /* three classes, 2+ samples each when n >= 6 */
    for (size_t i = 0; i < count; i++) zd[i] = z[i];
    clnn_tensor *tz = test_tensor_from(ctx, 2, shape, z), *g = test_tensor_from(ctx, 2, shape, z), *tl = NULL, *loss = NULL;
    size_t one = 1;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &c->n, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, c->n * sizeof *labels));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss));
    clnn_contrastive_options o;
    clnn_contrastive_options_init(&o);
    o.temperature = c->tau, o.margin = c->margin, o.normalize = c->normalize, o.decoupled = c->decoupled;
    o.reduction = c->red;
    char what[160];
    snprintf(what, sizeof what, "supcon %zu views x %zu samples D %zu tau %g margin %g%s%s %s", c->views, c->n, c->d,
             (double)c->tau, (double)c->margin, c->normalize ? " normalize" : "", c->decoupled ? " decoupled" : "",
             c->red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    CHECK_OK(ctx, clnn_supcon_views(ctx, tz, c->views, tl, &o, loss, g));
    float l = 0.0f, *gd = test_download(ctx, g);
    CHECK_OK(ctx, clnn_tensor_download(loss, &l, sizeof l));
    double want = ref_of(c, zd, labels);
    CHECK(fabs(l - want) <= 1e-5 * (1.0 + fabs(want)), "%s: loss %.9g, reference %.9g", what, l, want);
    double worst = 0.0, gmax = 0.0;
    for (size_t i = 0; i < count; i++) gmax = fmax(gmax, fabs(gd[i]));
    for (size_t e = 0; e < count; e += count / 17 + 1) {
        double keep = zd[e], h = 1e-4, f[2];
        for (int s = 0; s < 2; s++) {
            zd[e] = keep + (s ? -h : h);
            f[s] = ref_of(c, zd, labels);
        }
        zd[e] = keep;
        double fd = (f[0] - f[1]) / (2 * h), d = fabs(gd[e] - fd) / (1e-3 * gmax + 1e-3 * fabs(fd) + 1e-9);
        if (d > worst) worst = d;
    }
    CHECK(worst <= 1.0, "%s: dz vs central differences %.3g of the tolerance", what, worst);

    if (c->views == 2) { /* the two-view call on the halves gives the same bits */
        size_t hshape[2] = {c->n, c->d};
        clnn_tensor *z1 = test_tensor_from(ctx, 2, hshape, z), *z2 = test_tensor_from(ctx, 2, hshape, z + c->n * c->d);
        clnn_tensor *g1 = test_tensor_from(ctx, 2, hshape, z), *g2 = test_tensor_from(ctx, 2, hshape, z), *loss2 = NULL;
        CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &loss2));
        CHECK_OK(ctx, clnn_supcon(ctx, z1, z2, tl, &o, loss2, g1, g2));
        float l2 = 0.0f, *a = test_download(ctx, g1), *b = test_download(ctx, g2);
        CHECK_OK(ctx, clnn_tensor_download(loss2, &l2, sizeof l2));
        CHECK(memcmp(&l, &l2, sizeof l) == 0 && !memcmp(gd, a, c->n * c->d * 4) && !memcmp(gd + c->n * c->d, b, c->n * c->d * 4),
              "%s: differs from clnn_supcon on the two halves", what);
        free(a), free(b);
        clnn_tensor_release(z1), clnn_tensor_release(z2), clnn_tensor_release(g1), clnn_tensor_release(g2);
        clnn_tensor_release(loss2);
    }
    free(z), free(zd), free(labels), free(gd);
    clnn_tensor_release(tz), clnn_tensor_release(g), clnn_tensor_release(tl), clnn_tensor_release(loss);
}

typedef clnn_status (*none_fn)(clnn_context *, const clnn_tensor *, const clnn_tensor *, const clnn_tensor *, int,
                               const clnn_contrastive_options *, clnn_tensor *, clnn_tensor *, clnn_tensor *);

static clnn_status call_none(clnn_context *ctx, int which, const clnn_tensor *z1, const clnn_tensor *z2,
                             const clnn_tensor *labels, int mode, const clnn_contrastive_options *o, clnn_tensor *loss,
                             clnn_tensor *g1, clnn_tensor *g2)
{
    if (which == 0) return clnn_infonce(ctx, z1, z2, (clnn_infonce_mode)mode, o, loss, g1, g2);
    if (which == 1) return clnn_infonce_tiled(ctx, z1, z2, (clnn_infonce_mode)mode, o, loss, g1, g2);
    return clnn_supcon(ctx, z1, z2, labels, o, loss, g1, g2);
}

/* NONE: one value per anchor (N for ONE_WAY, 2N for SYMMETRIC and NT_XENT,
 * each direction of SYMMETRIC weighted ½); their sum is SUM's loss and the
 * gradients are SUM's bit for bit; ONE_WAY's values against the definition
 * ℓ_i = −l_ii + log Σ_j exp l_ij in double. */
static void check_none(clnn_context *ctx, int which, int mode)
{
    const size_t n = 7, d = 5, shape[2] = {n, d};
    float z[2 * 7 * 5];
    int32_t labels[7];
    test_fill_uniform(z, 2 * n * d, (unsigned)(which * 3 + mode + 11), -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) labels[i] = (int32_t)(i % 3);
    size_t anchors = mode == CLNN_INFONCE_ONE_WAY ? n : 2 * n, one = 1;
    clnn_tensor *z1 = test_tensor_from(ctx, 2, shape, z), *z2 = test_tensor_from(ctx, 2, shape, z + n * d);
    clnn_tensor *ga = test_tensor_from(ctx, 2, shape, z), *gb = test_tensor_from(ctx, 2, shape, z);
    clnn_tensor *ha = test_tensor_from(ctx, 2, shape, z), *hb = test_tensor_from(ctx, 2, shape, z);
    clnn_tensor *lv = NULL, *ls = NULL, *tl = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &anchors, &lv));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &ls));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, sizeof labels));
    clnn_contrastive_options o;
    clnn_contrastive_options_init(&o);
    o.temperature = 0.2f;
    o.reduction = CLNN_REDUCE_NONE;
    CHECK_OK(ctx, call_none(ctx, which, z1, z2, tl, mode, &o, lv, ga, gb));
    o.reduction = CLNN_REDUCE_SUM;
    CHECK_OK(ctx, call_none(ctx, which, z1, z2, tl, mode, &o, ls, ha, hb));
    float *v = test_download(ctx, lv), *sum = test_download(ctx, ls), *a1 = test_download(ctx, ga);
    float *a2 = test_download(ctx, gb), *b1 = test_download(ctx, ha), *b2 = test_download(ctx, hb);
    double total = 0.0;
    for (size_t i = 0; i < anchors; i++) total += v[i];
    char what[64];
    snprintf(what, sizeof what, "%s mode %d NONE", which == 0 ? "infonce" : which == 1 ? "infonce_tiled" : "supcon",
             mode);
    CHECK(fabs(total - sum[0]) <= 1e-5 * (1.0 + fabs(sum[0])), "%s: values sum to %.9g, SUM gives %.9g", what, total,
          sum[0]);
    CHECK(!memcmp(a1, b1, n * d * 4) && !memcmp(a2, b2, n * d * 4), "%s: gradients differ from SUM's", what);
    if (mode == CLNN_INFONCE_ONE_WAY && which < 2) { /* ℓ_i from the definition, normalised rows */
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double l[7], m = -INFINITY, s = 0.0, ni = 0.0;
            for (size_t k = 0; k < d; k++) ni += (double)z[i * d + k] * z[i * d + k];
            for (size_t j = 0; j < n; j++) {
                double nj = 0.0, dot = 0.0;
                for (size_t k = 0; k < d; k++) {
                    nj += (double)z[(n + j) * d + k] * z[(n + j) * d + k];
                    dot += (double)z[i * d + k] * z[(n + j) * d + k];
                }
                l[j] = dot / sqrt(ni * nj) / 0.2;
                m = fmax(m, l[j]);
            }
            for (size_t j = 0; j < n; j++) s += exp(l[j] - m);
            double want = -l[i] + m + log(s);
            worst = fmax(worst, fabs(v[i] - want) / (1e-5 * (1.0 + fabs(want))));
        }
        CHECK(worst <= 1.0, "%s: per-anchor values %.3g of the tolerance", what, worst);
    }
    free(v), free(sum), free(a1), free(a2), free(b1), free(b2);
    clnn_tensor *all[] = {z1, z2, ga, gb, ha, hb, lv, ls, tl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* dL/dτ against central differences of ref_infonce in τ, both paths,
 * every mode, MEAN and SUM; its bad input. */
static void check_temperature_grad(clnn_context *ctx, int tiled, int mode, int normalize, int decoupled,
                                   clnn_reduction red)
{
    const size_t n = 9, d = 6, shape[2] = {n, d};
    float z[2 * 9 * 6];
    double zd[2 * 9 * 6];
    test_fill_uniform(z, 2 * n * d, (unsigned)(tiled * 7 + mode * 3 + normalize + 21), -1.0f, 1.0f);
    for (size_t i = 0; i < 2 * n * d; i++) zd[i] = z[i];
    const float tau = 0.3f;
    clnn_tensor *z1 = test_tensor_from(ctx, 2, shape, z), *z2 = test_tensor_from(ctx, 2, shape, z + n * d);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, 0.0f), *dtau = test_filled(ctx, CLNN_FLOAT32, 1, 0, 0.0f);
    clnn_contrastive_options o;
    clnn_contrastive_options_init(&o);
    o.temperature = tau, o.normalize = normalize, o.decoupled = decoupled, o.reduction = red;
    CHECK_OK(ctx, clnn_infonce_temperature_grad(ctx, z1, z2, (clnn_infonce_mode)mode, &o, tiled, loss, NULL, NULL, dtau));
    float got = 0.0f;
    CHECK_OK(ctx, clnn_tensor_download(dtau, &got, sizeof got));
    const int mean = red == CLNN_REDUCE_MEAN;
    double h = 1e-5, up = ref_infonce(zd, zd + n * d, n, d, mode, tau + h, 0.0, normalize, decoupled, mean);
    double down = ref_infonce(zd, zd + n * d, n, d, mode, tau - h, 0.0, normalize, decoupled, mean);
    double fd = (up - down) / (2 * h);
    CHECK(fabs(got - fd) <= 1e-4 * (1.0 + fabs(fd)), "temperature grad (%s, mode %d%s%s %s): %.7g, central differences %.7g",
          tiled ? "tiled" : "materialised", mode, normalize ? ", normalize" : "", decoupled ? ", decoupled" : "",
          mean ? "mean" : "sum", got, fd);
    if (tiled == 0 && mode == 0 && normalize) { /* bad input */
        const char *f = "clnn_infonce_temperature_grad";
        clnn_tensor *two = test_filled(ctx, CLNN_FLOAT32, 2, 0, -7.0f);
        CHECK_OK(ctx, clnn_tensor_fill(dtau, -7.0f));
        clnn_contrastive_options m = o;
        m.margin = 0.1f;
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_infonce_temperature_grad(ctx, z1, z2, 0, &m, 0, loss, NULL, NULL, dtau));
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_infonce_temperature_grad(ctx, z1, z2, 0, &o, 2, loss, NULL, NULL, dtau));
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_infonce_temperature_grad(ctx, z1, z2, 0, &o, 0, loss, NULL, NULL, NULL));
        EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_infonce_temperature_grad(ctx, z1, z2, 0, &o, 0, loss, NULL, NULL, two));
        EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_infonce_temperature_grad(ctx, z1, z2, 0, &o, 0, loss, NULL, NULL, loss));
        test_expect_filled(ctx, "dtemperature", dtau, -7.0f);
        test_expect_filled(ctx, "two", two, -7.0f);
        clnn_tensor_release(two);
    }
    clnn_tensor_release(z1), clnn_tensor_release(z2), clnn_tensor_release(loss), clnn_tensor_release(dtau);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 12, 4, 0.5f), *g = test_filled(ctx, CLNN_FLOAT32, 12, 4, SENTINEL);
    clnn_tensor *g5 = test_filled(ctx, CLNN_FLOAT32, 12, 5, SENTINEL), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, SENTINEL);
    clnn_tensor *tl = NULL, *tl5 = NULL;
    size_t four = 4, five = 5;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &four, &tl));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &five, &tl5));
    CHECK_OK(ctx, clnn_tensor_fill(tl, 0.0f));
    CHECK_OK(ctx, clnn_tensor_fill(tl5, 0.0f));
    clnn_contrastive_options o, bad;
    clnn_contrastive_options_init(&o);
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const char *f = "clnn_supcon_views";
    EXPECT_FAIL(NULL, INVAL, f, clnn_supcon_views(NULL, z, 3, tl, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, NULL, 3, tl, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, z, 0, tl, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, z, 5, tl, &o, loss, g)); /* 5 does not divide 12 */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_supcon_views(ctx, z, 3, tl5, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, z, 3, NULL, &o, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_supcon_views(ctx, z, 3, tl, &o, loss, g5));
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, z, 3, tl, &o, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, z, 3, tl, &o, loss, (clnn_tensor *)z));
    bad = o, bad.temperature = 0.0f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon_views(ctx, z, 3, tl, &bad, loss, g));
    bad = o, bad.reduction = CLNN_REDUCE_NONE; /* 12 anchors, a 1-element loss */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_supcon_views(ctx, z, 3, tl, &bad, loss, g));
    test_expect_filled(ctx, "loss", loss, SENTINEL);
    test_expect_filled(ctx, "dz", g, SENTINEL);
    test_expect_filled(ctx, "g5", g5, SENTINEL);
    test_expect_filled(ctx, "z", z, 0.5f);
    clnn_tensor *all[] = {z, g, g5, loss, tl, tl5};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const sv_case cases[] = {
        {2, 6, 5, 1, 0, 0.0f, 0.1f, CLNN_REDUCE_MEAN},  {3, 6, 5, 1, 0, 0.0f, 0.1f, CLNN_REDUCE_MEAN},
        {4, 7, 3, 0, 0, 0.0f, 0.5f, CLNN_REDUCE_SUM},   {3, 9, 8, 1, 1, 0.0f, 0.2f, CLNN_REDUCE_MEAN},
        {1, 9, 4, 1, 0, 0.2f, 0.3f, CLNN_REDUCE_MEAN},  {3, 40, 16, 1, 0, 0.1f, 0.07f, CLNN_REDUCE_MEAN},
        {2, 33, 7, 0, 1, 0.0f, 1.0f, CLNN_REDUCE_SUM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!test_small() || i != 5) check_case(ctx, &cases[i], (unsigned)(i * 5 + 1)); /* the simulator: no 120 rows */
    for (int which = 0; which < 3; which++)
        for (int mode = 0; mode < 3; mode++)
            if (which < 2 || mode == CLNN_INFONCE_NT_XENT) check_none(ctx, which, mode);
    for (int tiled = 0; tiled < 2; tiled++)
        for (int mode = 0; mode < 3; mode++) {
            check_temperature_grad(ctx, tiled, mode, 1, 0, CLNN_REDUCE_MEAN);
            if (!test_small()) check_temperature_grad(ctx, tiled, mode, 0, mode == 2, CLNN_REDUCE_SUM);
        }
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
