/* Dice and Jaccard per class from logits (clnn_class_overlap_loss) against
 * a double reference written from the definitions (softmax over C or
 * sigmoid, one-hot targets, per-class sums over the batch or per sample and
 * class, smp's mask of empty classes, smp's ignore_index dropping a
 * position from every sum): values, gradients wrt the logits
 * against central differences of the reference, runs longer than a chunk,
 * repeated calls, and bad input that leaves every output alone. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL -7.0f

typedef struct class_case {
    size_t n, c, s; /* logits [n, c, s] */
    int use_labels;
    clnn_class_overlap_options o;
} class_case;

/* The loss terms (C or N·C) of the reference; returns how many. */
static size_t ref_terms(const class_case *k, const double *z, const int32_t *labels, const float *targets,
                        double *terms)
{
    size_t n = k->n, C = k->c, S = k->s, groups = k->o.per_sample ? n * C : C;
    double *I = calloc(groups, sizeof *I), *P = calloc(groups, sizeof *P), *T = calloc(groups, sizeof *T);
    REQUIRE(I && P && T, "host memory");
    for (size_t a = 0; a < n; a++)
        for (size_t pos = 0; pos < S; pos++) {
            if (k->use_labels && k->o.use_ignore_index && labels[a * S + pos] == k->o.ignore_index) continue;
            double m = -INFINITY, sum = 0.0;
            for (size_t c = 0; c < C; c++) m = fmax(m, z[(a * C + c) * S + pos]);
            for (size_t c = 0; c < C; c++) sum += exp(z[(a * C + c) * S + pos] - m);
            for (size_t c = 0; c < C; c++) {
                size_t e = (a * C + c) * S + pos, gidx = k->o.per_sample ? a * C + c : c;
                double p = k->o.activation == CLNN_OVERLAP_SOFTMAX ? exp(z[e] - m) / sum : 1.0 / (1.0 + exp(-z[e]));
                double t = k->use_labels ? (labels[a * S + pos] == (int32_t)c) : targets[e];
                I[gidx] += p * t;
                P[gidx] += k->o.squared ? p * p : p;
                T[gidx] += k->o.squared ? t * t : t;
            }
        }
    double sm = k->o.smooth;
    for (size_t g = 0; g < groups; g++) {
        double q = k->o.jaccard ? (I[g] + sm) / (P[g] + T[g] - I[g] + sm) : (2 * I[g] + sm) / (P[g] + T[g] + sm);
        terms[g] = k->o.skip_empty && T[g] == 0.0 ? 0.0 : 1.0 - q;
    }
    free(I), free(P), free(T);
    return groups;
}

static double ref_loss(const class_case *k, const double *z, const int32_t *labels, const float *targets)
{
    double terms[4096], total = 0.0;
    size_t g = ref_terms(k, z, labels, targets, terms);
    for (size_t i = 0; i < g; i++) total += terms[i];
    return k->o.reduction == CLNN_REDUCE_MEAN ? total / (double)g : total;
}

static void check_case(clnn_context *ctx, const class_case *k, unsigned seed)
{
    size_t count = k->n * k->c * k->s, shape[3] = {k->n, k->c, k->s}, lshape[2] = {k->n, k->s};
    float *z = malloc(count * sizeof *z), *targets = malloc(count * sizeof *targets);
    int32_t *labels = malloc(k->n * k->s * sizeof *labels);
    double *zd = malloc(count * sizeof *zd), terms[4096];
    REQUIRE(z && targets && labels && zd, "host memory");
    test_fill_uniform(z, count, seed, -3.0f, 3.0f);
    test_fill_uniform(targets, count, seed + 1, 0.0f, 1.0f);
    for (size_t i = 0; i < count; i++) targets[i] = targets[i] < 0.3f ? 1.0f : 0.0f; /* multilabel 0/1 */
    for (size_t i = 0; i < k->n * k->s; i++) labels[i] = (int32_t)((i * 5 + seed) % k->c);
    if (k->o.skip_empty) { /* class 1 absent: no label and no target */
        for (size_t i = 0; i < k->n * k->s; i++) labels[i] = labels[i] == 1 ? 0 : labels[i];
        for (size_t a = 0; a < k->n; a++)
            for (size_t pos = 0; pos < k->s; pos++) targets[(a * k->c + 1) * k->s + pos] = 0.0f;
    }
    if (k->o.use_ignore_index && (k->o.ignore_index < 0 || k->o.ignore_index >= (int32_t)k->c)) /* padding */
        for (size_t i = 1; i < k->n * k->s; i += 4) labels[i] = k->o.ignore_index;
    for (size_t i = 0; i < count; i++) zd[i] = z[i];
    size_t groups = ref_terms(k, zd, labels, targets, terms);
    double want = ref_loss(k, zd, labels, targets);

    clnn_tensor *tz = test_tensor_from(ctx, 3, shape, z), *tt = test_tensor_from(ctx, 3, shape, targets);
    clnn_tensor *g = test_tensor_from(ctx, 3, shape, z), *tl = NULL, *loss = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 2, lshape, &tl));
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, k->n * k->s * sizeof *labels));
    size_t nloss = k->o.reduction == CLNN_REDUCE_NONE ? groups : 1;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &nloss, &loss));
    char what[200];
    snprintf(what, sizeof what, "%s%s %s [%zu, %zu, %zu] %s%s smooth %g %s", k->o.jaccard ? "jaccard" : "dice",
             k->o.squared ? " squared" : "", k->o.activation == CLNN_OVERLAP_SOFTMAX ? "softmax" : "sigmoid", k->n,
             k->c, k->s, k->use_labels ? "labels" : "targets", k->o.per_sample ? " per sample" : "",
             (double)k->o.smooth, k->o.skip_empty ? "skip empty" : "");
    const clnn_tensor *lab = k->use_labels ? tl : NULL, *tar = k->use_labels ? NULL : tt;
    CHECK_OK(ctx, clnn_class_overlap_loss(ctx, tz, lab, tar, &k->o, loss, g));
    float *l = test_download(ctx, loss), *gd = test_download(ctx, g);
    if (k->o.reduction == CLNN_REDUCE_NONE) {
        double err = test_max_rel_error(l, terms, groups, 1e-6, 1e-5);
        CHECK(err <= 1.0, "%s: per-term losses %.3g of the tolerance", what, err);
    } else {
        CHECK(fabs(l[0] - want) <= 1e-5 * (1.0 + fabs(want)), "%s: loss %.9g, reference %.9g", what, l[0], want);
    }
    /* central differences of the reduced reference (NONE: of the sum of the terms, SUM's gradient) */
    class_case kr = *k;
    if (kr.o.reduction == CLNN_REDUCE_NONE) kr.o.reduction = CLNN_REDUCE_SUM;
    double worst = 0.0, gmax = 0.0;
    for (size_t i = 0; i < count; i++) gmax = fmax(gmax, fabs(gd[i]));
    for (size_t e = 0; e < count; e += count / 23 + 1) {
        double keep = zd[e], h = 1e-4, f[2];
        for (int s = 0; s < 2; s++) {
            zd[e] = keep + (s ? -h : h);
            f[s] = ref_loss(&kr, zd, labels, targets);
        }
        zd[e] = keep;
        double fd = (f[0] - f[1]) / (2 * h), d = fabs(gd[e] - fd) / (1e-4 * gmax + 1e-3 * fabs(fd) + 1e-9);
        if (d > worst) worst = d;
    }
    CHECK(worst <= 1.0, "%s: dlogits vs central differences %.3g of the tolerance", what, worst);
    if (k->o.use_ignore_index) { /* exactly 0 at every ignored position */
        int zero = 1;
        for (size_t e = 0; e < count; e++)
            if (labels[(e / (k->c * k->s)) * k->s + e % k->s] == k->o.ignore_index) zero &= gd[e] == 0.0f;
        CHECK(zero, "%s: dlogits not 0 at an ignored position", what);
    }
    CHECK_OK(ctx, clnn_class_overlap_loss(ctx, tz, lab, tar, &k->o, loss, g));
    float *l2 = test_download(ctx, loss), *gd2 = test_download(ctx, g);
    CHECK(memcmp(l, l2, nloss * sizeof *l) == 0 && memcmp(gd, gd2, count * sizeof *gd) == 0,
          "%s: a second call changed bits", what);
    free(z), free(targets), free(labels), free(zd), free(l), free(gd), free(l2), free(gd2);
    clnn_tensor *all[] = {tz, tt, g, tl, loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

static void check_errors(clnn_context *ctx)
{
    size_t shape[3] = {2, 3, 4}, lshape[2] = {2, 4};
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 2, 12, 0.5f), *t = test_filled(ctx, CLNN_FLOAT32, 2, 12, 1.0f);
    clnn_tensor *g = test_filled(ctx, CLNN_FLOAT32, 2, 12, SENTINEL), *g24 = test_filled(ctx, CLNN_FLOAT32, 24, 0, SENTINEL);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, SENTINEL), *loss4 = test_filled(ctx, CLNN_FLOAT32, 4, 0, SENTINEL);
    clnn_tensor *z1 = test_filled(ctx, CLNN_FLOAT32, 24, 0, 0.5f), *tl = NULL, *tl5 = NULL;
    CHECK_OK(ctx, clnn_tensor_reshape(z, 3, shape));
    CHECK_OK(ctx, clnn_tensor_reshape(t, 3, shape));
    CHECK_OK(ctx, clnn_tensor_reshape(g, 3, shape));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 2, lshape, &tl));
    CHECK_OK(ctx, clnn_tensor_fill(tl, 0.0f));
    size_t five = 5;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &five, &tl5));
    CHECK_OK(ctx, clnn_tensor_fill(tl5, 0.0f));
    clnn_class_overlap_options o, bad;
    clnn_class_overlap_options_init(&o);
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const char *f = "clnn_class_overlap_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_class_overlap_loss(NULL, z, tl, NULL, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, NULL, tl, NULL, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, t, &o, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, NULL, NULL, &o, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_class_overlap_loss(ctx, z1, NULL, z1, &o, loss, g24));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_class_overlap_loss(ctx, z, tl5, NULL, &o, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_class_overlap_loss(ctx, z, NULL, g24, &o, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &o, loss, g24));
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, NULL, t, &o, loss, (clnn_tensor *)t));
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &o, NULL, NULL));
    bad = o, bad.reduction = CLNN_REDUCE_NONE; /* 3 classes, 4 losses */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss4, g));
    bad = o, bad.jaccard = 1, bad.squared = 1;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.jaccard = 2;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.activation = (clnn_overlap_activation)5;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.per_sample = 2;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.skip_empty = -1;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.smooth = -1.0f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.smooth = NAN;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.reduction = (clnn_reduction)7;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.use_ignore_index = 2;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    bad = o, bad.use_ignore_index = 1; /* targets: no labels to ignore */
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, NULL, t, &bad, loss, g));
    bad = o, bad.size = 3;
    EXPECT_FAIL(ctx, INVAL, f, clnn_class_overlap_loss(ctx, z, tl, NULL, &bad, loss, g));
    test_expect_filled(ctx, "loss", loss, SENTINEL);
    test_expect_filled(ctx, "loss4", loss4, SENTINEL);
    test_expect_filled(ctx, "dlogits", g, SENTINEL);
    test_expect_filled(ctx, "g24", g24, SENTINEL);
    test_expect_filled(ctx, "targets", t, 1.0f);
    clnn_tensor *all[] = {z, t, g, g24, loss, loss4, z1, tl, tl5};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* make's case with labels equal to ignore_index dropped. */
static class_case ignoring(class_case k, int32_t ignore_index)
{
    k.o.use_ignore_index = 1;
    k.o.ignore_index = ignore_index;
    return k;
}

static class_case make(size_t n, size_t c, size_t s, int labels, int jaccard, int squared, int act, int per_sample,
                       int skip, float smooth, clnn_reduction red)
{
    class_case k = {n, c, s, labels, {0}};
    clnn_class_overlap_options_init(&k.o);
    k.o.jaccard = jaccard, k.o.squared = squared, k.o.activation = (clnn_overlap_activation)act;
    k.o.per_sample = per_sample, k.o.skip_empty = skip, k.o.smooth = smooth, k.o.reduction = red;
    return k;
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction MEAN = CLNN_REDUCE_MEAN, SUM = CLNN_REDUCE_SUM, NONE = CLNN_REDUCE_NONE;
    const class_case cases[] = {
        make(2, 3, 20, 1, 0, 0, CLNN_OVERLAP_SOFTMAX, 0, 0, 0.0f, MEAN),  /* smp multiclass Dice */
        make(2, 3, 20, 1, 1, 0, CLNN_OVERLAP_SOFTMAX, 0, 0, 0.0f, MEAN),  /* smp multiclass Jaccard */
        make(2, 4, 20, 1, 0, 0, CLNN_OVERLAP_SOFTMAX, 0, 1, 0.0f, MEAN),  /* an absent class, skipped */
        make(3, 4, 7, 1, 0, 1, CLNN_OVERLAP_SOFTMAX, 1, 0, 1e-5f, MEAN),  /* MONAI per sample, squared */
        make(3, 4, 7, 0, 0, 0, CLNN_OVERLAP_SIGMOID, 0, 0, 1.0f, SUM),    /* multilabel */
        make(3, 4, 7, 0, 1, 0, CLNN_OVERLAP_SIGMOID, 1, 1, 0.0f, NONE),   /* per sample and class terms */
        make(5, 3, 1, 1, 0, 0, CLNN_OVERLAP_SOFTMAX, 0, 0, 0.0f, NONE),   /* [N, C] */
        make(1, 2, 1, 1, 0, 0, CLNN_OVERLAP_SOFTMAX, 1, 0, 1.0f, MEAN),   /* one position */
        make(2, 3, 4100, 1, 0, 0, CLNN_OVERLAP_SOFTMAX, 0, 0, 0.0f, MEAN), /* runs of two chunks, 2 runs a class */
        make(2, 3, 4100, 0, 1, 0, CLNN_OVERLAP_SIGMOID, 1, 0, 0.5f, SUM),
        ignoring(make(2, 3, 20, 1, 0, 0, CLNN_OVERLAP_SOFTMAX, 0, 0, 0.0f, MEAN), 255), /* padding label 255 */
        ignoring(make(3, 4, 7, 1, 1, 0, CLNN_OVERLAP_SOFTMAX, 1, 1, 1e-5f, NONE), 0),   /* class 0 ignored */
        ignoring(make(2, 3, 20, 1, 0, 0, CLNN_OVERLAP_SIGMOID, 0, 0, 1.0f, SUM), -100), /* dp != 0 at p = 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(ctx, &cases[i], (unsigned)(7 * i + 3));
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
