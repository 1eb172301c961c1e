/* InfoNCE with a MoCo queue of extra negatives (clnn_contrastive_options'
 * queue, CLNN_INFONCE_MOCO) and clnn_moco_queue_push:
 *  - both paths (clnn_infonce, clnn_infonce_tiled) against the double
 *    reference (ref_infonce_queue, from the definition) in every mode, with
 *    margin, decoupled, normalize on and off, MEAN and SUM: the value, both
 *    gradients against central differences, repeat / loss-only /
 *    gradient-only bits (op_check);
 *  - the two paths against each other (the bounds of clnn_infonce_tiled);
 *  - NONE: the per-anchor values against the reference, the gradients SUM's
 *    bits;
 *  - the temperature gradient with the queue's terms against central
 *    differences in tau;
 *  - the same bits under forced tile and local sizes (tiled_lse,
 *    tiled_grad, contrastive.rows);
 *  - a caller's options without the queue field (the size of the struct
 *    before it) get the queue-less bits whatever follows; MOCO on one pair
 *    is ONE_WAY with the queue (its only in-batch candidate is the positive);
 *  - clnn_moco_queue_push: placement, wraparound, the returned pointer, rows
 *    it must not touch;
 *  - bad inputs of both, with sentinels. */
#include "contrastive_util.h"

#include <float.h>
#include <stddef.h>

enum { M_ONE_WAY = 0, M_SYMMETRIC = 1, M_NT_XENT = 2, M_MOCO = 3 };
static const char *const mode_names[4] = {"one-way", "symmetric", "nt-xent", "moco"};

/* n pairs and a queue of k rows, d features in [-amp, amp). */
typedef struct moco_case {
    size_t n, d, k;
    int mode;
    float tau, margin;
    int normalize, decoupled;
    clnn_reduction red;
    float amp;
} moco_case;

typedef struct moco_data {
    const moco_case *c;
    float *z1f, *z2f, *qf;
    double *z1, *z2, *q;
    clnn_tensor *t1, *t2, *tq;
    int tiled;
    double tau; /* the reference's (perturbed by the temperature's differences) */
} moco_data;

static moco_data data_make(clnn_context *ctx, const moco_case *c, unsigned seed)
{
    moco_data v = {c, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, c->tau};
    const size_t m = c->n * c->d, mq = c->k * c->d, shape[2] = {c->n, c->d}, qshape[2] = {c->k, c->d};
    v.z1f = util_random(m, seed, -c->amp, c->amp);
    v.z2f = util_random(m, seed + 7, -c->amp, c->amp);
    v.qf = util_random(mq, seed + 13, -c->amp, c->amp);
    v.z1 = util_to_double(v.z1f, m), v.z2 = util_to_double(v.z2f, m), v.q = util_to_double(v.qf, mq);
    v.t1 = test_tensor_from(ctx, 2, shape, v.z1f);
    v.t2 = test_tensor_from(ctx, 2, shape, v.z2f);
    v.tq = test_tensor_from(ctx, 2, qshape, v.qf);
    return v;
}

static void data_free(moco_data *v)
{
    free(v->z1f), free(v->z2f), free(v->qf), free(v->z1), free(v->z2), free(v->q);
    clnn_tensor_release(v->t1), clnn_tensor_release(v->t2), clnn_tensor_release(v->tq);
}

static size_t anchors_of(const moco_case *c)
{
    return c->mode == M_SYMMETRIC || c->mode == M_NT_XENT ? 2 * c->n : c->n;
}

static double ref_value(void *user)
{
    const moco_data *v = user;
    const moco_case *c = v->c;
    return ref_infonce_queue(v->z1, v->z2, v->q, c->n, c->d, c->k, c->mode, v->tau, c->margin, c->normalize,
                             c->decoupled, c->red == CLNN_REDUCE_MEAN, NULL);
}

/* The largest |logit|: (max |s| + |margin|) / tau, |s| <= 1 normalised,
 * else the largest squared row norm (Cauchy-Schwarz). */
static double max_logit(const moco_data *v)
{
    const moco_case *c = v->c;
    double nmax = 0.0;
    const double *rows[3] = {v->z1, v->z2, v->q};
    const size_t counts[3] = {c->n, c->n, c->k};
    for (int w = 0; w < 3; w++)
        for (size_t i = 0; i < counts[w]; i++) {
            double ss = 0.0;
            for (size_t k = 0; k < c->d; k++) ss += rows[w][i * c->d + k] * rows[w][i * c->d + k];
            nmax = fmax(nmax, ss);
        }
    return ((c->normalize ? 1.0 : nmax) + fabs(c->margin)) / c->tau;
}

/* G of clnn_infonce_tiled's gradient bound: an anchor's weight over tau
 * times the largest candidate entry as it reaches the gradient. */
static double grad_scale(const moco_data *v)
{
    const moco_case *c = v->c;
    double zmax = 0.0, hmax = 0.0, nmin = INFINITY;
    const double *rows[3] = {v->z1, v->z2, v->q};
    const size_t counts[3] = {c->n, c->n, c->k};
    for (int w = 0; w < 3; w++)
        for (size_t i = 0; i < counts[w]; i++) {
            const double *r = rows[w] + i * c->d;
            double ss = 0.0, rmax = 0.0;
            for (size_t k = 0; k < c->d; k++) ss += r[k] * r[k], rmax = fmax(rmax, fabs(r[k]));
            const double norm = fmax(sqrt(ss), 1e-12);
            zmax = fmax(zmax, rmax), hmax = fmax(hmax, rmax / norm), nmin = fmin(nmin, norm);
        }
    const double weight = c->red == CLNN_REDUCE_MEAN ? 1.0 / (double)anchors_of(c) : 1.0;
    return weight / c->tau * (c->normalize ? hmax / nmin : zmax);
}

static void describe(const moco_case *c, int tiled, char *buf, size_t len)
{
    const char *red = c->red == CLNN_REDUCE_MEAN ? "mean" : c->red == CLNN_REDUCE_SUM ? "sum" : "none";
    snprintf(buf, len, "%s n=%zu d=%zu K=%zu tau=%g margin=%g%s%s %s amp=%g%s", mode_names[c->mode], c->n, c->d,
             c->k, (double)c->tau, (double)c->margin, c->normalize ? " normalized" : "",
             c->decoupled ? " decoupled" : "", red, (double)c->amp, tiled ? " tiled" : "");
}

static void options_of(const moco_case *c, const moco_data *v, clnn_contrastive_options *o)
{
    clnn_contrastive_options_init(o);
    o->temperature = c->tau, o->margin = c->margin, o->normalize = c->normalize, o->decoupled = c->decoupled;
    o->reduction = c->red;
    o->queue = v->tq;
}

static clnn_status run(clnn_context *ctx, const moco_data *v, int tiled, clnn_reduction red, clnn_tensor *loss,
                       clnn_tensor *g1, clnn_tensor *g2)
{
    clnn_contrastive_options o;
    options_of(v->c, v, &o);
    o.reduction = red;
    const clnn_infonce_mode mode = (clnn_infonce_mode)v->c->mode;
    return tiled ? clnn_infonce_tiled(ctx, v->t1, v->t2, mode, &o, loss, g1, g2)
                 : clnn_infonce(ctx, v->t1, v->t2, mode, &o, loss, g1, g2);
}

static clnn_status op_run(clnn_context *ctx, void *user, clnn_tensor *loss, clnn_tensor *const *g)
{
    const moco_data *v = user;
    return run(ctx, v, v->tiled, v->c->red, loss, g[0], g[1]);
}

/* ------------------------------------------------ against the reference */

static void check_reference(clnn_context *ctx, const moco_case *c, int tiled, size_t fd_limit)
{
    moco_data v = data_make(ctx, c, (unsigned)(c->n * 131 + c->k * 17 + c->d * 7 + (size_t)c->mode));
    v.tiled = tiled;
    op_case oc = {.nin = 2, .in = {v.t1, v.t2}, .host = {v.z1, v.z2}, .count = {c->n * c->d, c->n * c->d},
                  .ref = ref_value, .run = op_run, .user = &v, .fd_limit = fd_limit};
    describe(c, tiled, oc.what, sizeof oc.what);
    /* as check_nce: the logits' fp32 rounding per anchor, softmax weights of them */
    const double lmax = max_logit(&v), anchors = c->red == CLNN_REDUCE_SUM ? (double)anchors_of(c) : 1.0;
    oc.vtol = 1e-5 * (1.0 + fabs(ref_value(&v))) + 1e-6 * lmax * anchors;
    oc.grad_rel = 1e-4 + 2e-7 * lmax;
    op_check(ctx, &oc);
    data_free(&v);
}

/* ------------------------------------------------------ the two paths */

typedef struct path_out {
    float val, *h1, *h2;
} path_out;

static void run_paths(clnn_context *ctx, const moco_data *v, clnn_reduction red, path_out out[2])
{
    for (int tiled = 0; tiled < 2; tiled++) {
        clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v->t1), *g2 = like(ctx, v->t2);
        CHECK_OK(ctx, run(ctx, v, tiled, red, loss, g1, g2));
        out[tiled].val = util_scalar(ctx, loss);
        out[tiled].h1 = util_download(ctx, g1);
        out[tiled].h2 = util_download(ctx, g2);
        clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
    }
}

/* Tiled vs materialised: the bounds clnn_infonce_tiled documents (loss
 * 2e-6 relative + 1e-6 l_max per anchor; gradients 1e-5 of the largest
 * entry + 8 eps (1 + l_max) G). */
static void check_paths(clnn_context *ctx, const moco_case *c)
{
    moco_data v = data_make(ctx, c, (unsigned)(c->n + 3 * c->d + 5 * c->k));
    path_out out[2];
    run_paths(ctx, &v, c->red, out);
    char what[200];
    describe(c, 0, what, sizeof what);
    const size_t m = c->n * c->d;
    double gmax = fmax(util_max_abs(out[0].h1, m), util_max_abs(out[0].h2, m)), gdiff = 0.0;
    for (size_t i = 0; i < m; i++)
        gdiff = fmax(gdiff, fmax(fabs(out[0].h1[i] - out[1].h1[i]), fabs(out[0].h2[i] - out[1].h2[i])));
    if (gdiff != gdiff) gdiff = INFINITY;
    const double lmax = max_logit(&v), anchors = c->red == CLNN_REDUCE_SUM ? (double)anchors_of(c) : 1.0;
    const double bound = 1e-5 * gmax + 8.0 * FLT_EPSILON * (1.0 + lmax) * grad_scale(&v);
    const double vdiff = fabs((double)out[0].val - out[1].val);
    printf("tiled vs materialised, %s: loss %.9g vs %.9g, gradients |diff| <= %.3g of max %.3g (bound %.3g)\n", what,
           out[1].val, out[0].val, gdiff, gmax, bound);
    CHECK(vdiff <= 2e-6 * (1.0 + fabs(out[0].val)) + 1e-6 * lmax * anchors, "%s: tiled loss %.9g, materialised %.9g",
          what, out[1].val, out[0].val);
    CHECK(gdiff <= bound, "%s: tiled gradients differ by %.3g (bound %.3g)", what, gdiff, bound);
    for (int k = 0; k < 2; k++) free(out[k].h1), free(out[k].h2);
    data_free(&v);
}

/* NONE: one value per anchor (the reference's, each within the per-anchor
 * tolerance) and SUM's gradient bits, on both paths. */
static void check_none(clnn_context *ctx, const moco_case *c)
{
    moco_data v = data_make(ctx, c, (unsigned)(c->n * 5 + c->k));
    const size_t na = anchors_of(c), m = c->n * c->d;
    double *want = malloc(na * sizeof *want);
    REQUIRE(want, "host memory");
    ref_infonce_queue(v.z1, v.z2, v.q, c->n, c->d, c->k, c->mode, c->tau, c->margin, c->normalize, c->decoupled, 0,
                      want);
    const double lmax = max_logit(&v);
    char what[200];
    for (int tiled = 0; tiled < 2; tiled++) {
        describe(c, tiled, what, sizeof what);
        clnn_tensor *loss = util_tensor(ctx, na, 1, 1, 1, 1), *sum = util_tensor(ctx, 1, 1, 1, 1, 1);
        clnn_tensor *g1 = like(ctx, v.t1), *g2 = like(ctx, v.t2), *s1 = like(ctx, v.t1), *s2 = like(ctx, v.t2);
        CHECK_OK(ctx, run(ctx, &v, tiled, CLNN_REDUCE_NONE, loss, g1, g2));
        CHECK_OK(ctx, run(ctx, &v, tiled, CLNN_REDUCE_SUM, sum, s1, s2));
        float *got = util_download(ctx, loss);
        double worst = 0.0;
        for (size_t i = 0; i < na; i++) {
            const double err = fabs(got[i] - want[i]) / (1e-5 * (1.0 + fabs(want[i])) + 1e-6 * lmax);
            worst = err > worst || err != err ? err : worst;
        }
        CHECK(worst <= 1.0, "%s: per-anchor losses off by %.3g of the tolerance", what, worst);
        float *a1 = util_download(ctx, g1), *a2 = util_download(ctx, g2), *b1 = util_download(ctx, s1),
              *b2 = util_download(ctx, s2);
        CHECK(util_same_bits(a1, b1, m) && util_same_bits(a2, b2, m), "%s: NONE's gradients are not SUM's bits", what);
        free(got), free(a1), free(a2), free(b1), free(b2);
        clnn_tensor *all[] = {loss, sum, g1, g2, s1, s2};
        for (size_t i = 0; i < 6; i++) clnn_tensor_release(all[i]);
    }
    free(want);
    data_free(&v);
}

/* dL/dtau with the queue's terms, against central differences of the
 * reference in tau, both paths. */
static void check_temperature(clnn_context *ctx, const moco_case *c)
{
    moco_data v = data_make(ctx, c, (unsigned)(c->n * 3 + c->k * 11));
    char what[200];
    for (int tiled = 0; tiled < 2; tiled++) {
        describe(c, tiled, what, sizeof what);
        clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *dtau = util_tensor(ctx, 1, 1, 1, 1, 1);
        clnn_contrastive_options o;
        options_of(c, &v, &o);
        CHECK_OK(ctx, clnn_infonce_temperature_grad(ctx, v.t1, v.t2, (clnn_infonce_mode)c->mode, &o, tiled, loss, NULL,
                                                    NULL, dtau));
        const float got = util_scalar(ctx, dtau);
        const double h = 1e-5 * c->tau;
        v.tau = c->tau + h;
        const double up = ref_value(&v);
        v.tau = c->tau - h;
        const double down = ref_value(&v), fd = (up - down) / (2.0 * h);
        v.tau = c->tau;
        CHECK(fabs(got - fd) <= 1e-4 * (1.0 + fabs(fd)), "%s: dL/dtau %.7g, central differences %.7g", what, got, fd);
        clnn_tensor_release(loss), clnn_tensor_release(dtau);
    }
    data_free(&v);
}

/* ------------------------------------------------------------- bits */

/* The bits of the loss and both gradients of a call under each forced
 * configuration of kernel_id (tiled: TR, TC, DK and a local size; rows: a
 * local size), against the first. */
static void check_config_bits(clnn_context *ctx, const moco_case *c, const char *kernel_id, int tiled)
{
    static const clnn_tune_config tiles[] = {
        {{1, 1, 1}, {8, 32, 4}}, {{64, 1, 1}, {32, 64, 16}}, {{7, 1, 1}, {16, 128, 8}}, {{3, 1, 1}, {64, 32, 4}}};
    static const clnn_tune_config rows[] = {{{1, 1, 1}, {0}}, {{64, 1, 1}, {0}}, {{7, 1, 1}, {0}}};
    const clnn_tune_config *configs = tiled ? tiles : rows;
    const size_t nconf = tiled ? 4 : 3, m = c->n * c->d;
    moco_data v = data_make(ctx, c, 77);
    v.tiled = tiled;
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g[2] = {like(ctx, v.t1), like(ctx, v.t2)};
    const int same = same_bits_under_configs(ctx, kernel_id, configs, nconf, op_run, &v, loss, g, m);
    char what[200];
    describe(c, tiled, what, sizeof what);
    CHECK(same, "%s: %s gives other bits under other tile and local sizes", what, kernel_id);
    clnn_tensor_release(loss), clnn_tensor_release(g[0]), clnn_tensor_release(g[1]);
    data_free(&v);
}

/* The loss and gradient bits of one call with the given options. */
static int same_call(clnn_context *ctx, const moco_data *v, clnn_infonce_mode mode, int tiled,
                     const clnn_contrastive_options *a, const clnn_contrastive_options *b)
{
    const size_t m = v->c->n * v->c->d;
    float *h[2][3];
    for (int k = 0; k < 2; k++) {
        clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v->t1), *g2 = like(ctx, v->t2);
        const clnn_contrastive_options *o = k ? b : a;
        CHECK_OK(ctx, tiled ? clnn_infonce_tiled(ctx, v->t1, v->t2, mode, o, loss, g1, g2)
                            : clnn_infonce(ctx, v->t1, v->t2, mode, o, loss, g1, g2));
        h[k][0] = util_download(ctx, loss), h[k][1] = util_download(ctx, g1), h[k][2] = util_download(ctx, g2);
        clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
    }
    const int same = util_same_bits(h[0][0], h[1][0], 1) && util_same_bits(h[0][1], h[1][1], m) &&
                     util_same_bits(h[0][2], h[1][2], m);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3; i++) free(h[k][i]);
    return same;
}

/* Options whose size ends before the queue (a caller built before it) are
 * the queue-less call, whatever the memory after them holds; MOCO on one
 * pair is ONE_WAY with the queue. */
static void check_abi_and_moco_one_pair(clnn_context *ctx)
{
    const moco_case c = {6, 5, 7, M_ONE_WAY, 0.2f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    moco_data v = data_make(ctx, &c, 5);
    clnn_contrastive_options with, old, plain;
    options_of(&c, &v, &with);
    plain = with, plain.queue = NULL;
    old = with, old.size = offsetof(clnn_contrastive_options, queue); /* queue still set: must not be read */
    for (int tiled = 0; tiled < 2; tiled++)
        for (int mode = 0; mode < 3; mode++) {
            CHECK(same_call(ctx, &v, (clnn_infonce_mode)mode, tiled, &plain, &old),
                  "mode %d%s: options without the queue field give other bits than queue NULL", mode,
                  tiled ? " tiled" : "");
            CHECK(!same_call(ctx, &v, (clnn_infonce_mode)mode, tiled, &plain, &with),
                  "mode %d%s: the queue changes nothing", mode, tiled ? " tiled" : "");
        }
    data_free(&v);
    const moco_case one = {1, 6, 9, M_MOCO, 0.1f, 0.1f, 1, 0, CLNN_REDUCE_SUM, 1.0f};
    moco_data w = data_make(ctx, &one, 9);
    options_of(&one, &w, &with);
    for (int tiled = 0; tiled < 2; tiled++) {
        const moco_data *p = &w;
        float *a[3], *b[3];
        for (int k = 0; k < 2; k++) {
            clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, p->t1), *g2 = like(ctx, p->t2);
            const clnn_infonce_mode mode = k ? CLNN_INFONCE_MOCO : CLNN_INFONCE_ONE_WAY;
            CHECK_OK(ctx, tiled ? clnn_infonce_tiled(ctx, p->t1, p->t2, mode, &with, loss, g1, g2)
                                : clnn_infonce(ctx, p->t1, p->t2, mode, &with, loss, g1, g2));
            float **h = k ? b : a;
            h[0] = util_download(ctx, loss), h[1] = util_download(ctx, g1), h[2] = util_download(ctx, g2);
            clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
        }
        CHECK(util_same_bits(a[0], b[0], 1) && util_same_bits(a[1], b[1], 6) && util_same_bits(a[2], b[2], 6),
              "MOCO on one pair is not ONE_WAY with the queue%s", tiled ? " (tiled)" : "");
        for (int i = 0; i < 3; i++) free(a[i]), free(b[i]);
    }
    data_free(&w);
}

/* ------------------------------------------------------------- queue push */

/* Pushes of n keys into a queue of k rows from each pointer: the pushed
 * rows land at (ptr + r) mod k, the others keep their values, and the
 * returned pointer is (ptr + n) mod k. */
static void check_push(clnn_context *ctx, size_t n, size_t k, size_t d)
{
    const size_t kshape[2] = {n, d}, qshape[2] = {k, d};
    float *keys = util_random(n * d, (unsigned)(n * 31 + k), -1.0f, 1.0f), *q0 = util_random(k * d, 3, 5.0f, 6.0f);
    clnn_tensor *tk = test_tensor_from(ctx, 2, kshape, keys), *tq = test_tensor_from(ctx, 2, qshape, q0);
    int ok = 1;
    for (size_t ptr = 0; ptr < k; ptr++) {
        CHECK_OK(ctx, clnn_tensor_upload(tq, q0, k * d * sizeof(float)));
        size_t next = 12345;
        CHECK_OK(ctx, clnn_moco_queue_push(ctx, tk, ptr, tq, &next));
        float *got = util_download(ctx, tq);
        for (size_t row = 0; row < k; row++) {
            const size_t r = (row + k - ptr) % k; /* the key that lands here, if r < n */
            const float *want = r < n ? keys + r * d : q0 + row * d;
            ok &= util_same_bits(got + row * d, want, d);
        }
        ok &= next == (ptr + n) % k;
        free(got);
    }
    CHECK(ok, "clnn_moco_queue_push of %zu keys into %zu rows of %zu: rows or pointer wrong", n, k, d);
    free(keys), free(q0);
    clnn_tensor_release(tk), clnn_tensor_release(tq);
}

/* ------------------------------------------------------------ bad input */

static void check_errors(clnn_context *ctx)
{
    const float S = 7.0f;
    const char *f = "clnn_infonce", *ft = "clnn_infonce_tiled", *fp = "clnn_moco_queue_push";
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    clnn_tensor *z1 = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.5f), *z2 = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.25f);
    clnn_tensor *q = test_filled(ctx, CLNN_FLOAT32, 6, 3, 0.125f), *q4 = test_filled(ctx, CLNN_FLOAT32, 6, 4, 0.1f);
    clnn_tensor *qi = test_filled(ctx, CLNN_INT32, 6, 3, 1.0f), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, S);
    clnn_tensor *g1 = test_filled(ctx, CLNN_FLOAT32, 4, 3, S), *g2 = test_filled(ctx, CLNN_FLOAT32, 4, 3, S);
    clnn_tensor *gq = test_filled(ctx, CLNN_FLOAT32, 6, 3, S), *dt = test_filled(ctx, CLNN_FLOAT32, 1, 0, S);
    clnn_tensor *labels = test_filled(ctx, CLNN_INT32, 4, 0, 1.0f), *one = test_filled(ctx, CLNN_FLOAT32, 1, 3, 0.5f);
    clnn_tensor *one_g = test_filled(ctx, CLNN_FLOAT32, 1, 3, S), *gq4 = test_filled(ctx, CLNN_FLOAT32, 4, 3, S);
    clnn_tensor *n1 = test_filled(ctx, CLNN_FLOAT32, 4, 1, 0.5f), *n1b = test_filled(ctx, CLNN_FLOAT32, 4, 1, -0.5f);
    clnn_tensor *n1g = test_filled(ctx, CLNN_FLOAT32, 4, 1, S);
    clnn_contrastive_options o;
    clnn_contrastive_options_init(&o);
    clnn_contrastive_options bad = o;
    const clnn_infonce_mode ONE = CLNN_INFONCE_ONE_WAY, MOCO = CLNN_INFONCE_MOCO;
    for (int tiled = 0; tiled < 2; tiled++) {
        clnn_status (*nce)(clnn_context *, const clnn_tensor *, const clnn_tensor *, clnn_infonce_mode,
                           const clnn_contrastive_options *, clnn_tensor *, clnn_tensor *, clnn_tensor *) =
            tiled ? clnn_infonce_tiled : clnn_infonce;
        const char *fn = tiled ? ft : f;
        bad = o, bad.queue = q4; /* D 4, the views 3 */
        EXPECT_FAIL(ctx, SHAPE, fn, nce(ctx, z1, z2, ONE, &bad, loss, g1, g2));
        bad.queue = qi; /* int32 */
        EXPECT_FAIL(ctx, SHAPE, fn, nce(ctx, z1, z2, MOCO, &bad, loss, g1, g2));
        EXPECT_FAIL(ctx, INVAL, fn, nce(ctx, z1, z2, MOCO, &o, loss, g1, g2)); /* MOCO without a queue */
        bad.queue = g1; /* an output as the queue */
        EXPECT_FAIL(ctx, INVAL, fn, nce(ctx, z1, z2, ONE, &bad, loss, g1, g2));
        bad.queue = gq4; /* the queue is dz2 */
        EXPECT_FAIL(ctx, INVAL, fn, nce(ctx, z1, z2, ONE, &bad, loss, g1, gq4));
        bad.queue = q;
        EXPECT_FAIL(ctx, INVAL, fn, nce(ctx, z1, z2, (clnn_infonce_mode)4, &bad, loss, g1, g2));
        bad.temperature = 0.0f;
        EXPECT_FAIL(ctx, INVAL, fn, nce(ctx, z1, z2, MOCO, &bad, loss, g1, g2));
        bad = o, bad.queue = q, bad.reduction = CLNN_REDUCE_NONE; /* NONE wants 4 losses */
        EXPECT_FAIL(ctx, SHAPE, fn, nce(ctx, z1, z2, MOCO, &bad, loss, g1, g2));
    }
    /* decoupled on one pair: the queue gives the negatives; without it, none */
    bad = o, bad.decoupled = 1;
    EXPECT_FAIL(ctx, SHAPE, f, clnn_infonce(ctx, one, one, ONE, &bad, loss, one_g, NULL));
    bad.queue = q;
    CHECK_OK(ctx, clnn_infonce(ctx, one, one, MOCO, &bad, NULL, one_g, NULL));
    CHECK_OK(ctx, clnn_tensor_fill(one_g, S));
    /* SupCon refuses a queue */
    bad = o, bad.queue = q;
    EXPECT_FAIL(ctx, INVAL, "clnn_supcon", clnn_supcon(ctx, z1, z2, labels, &bad, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, "clnn_supcon_views", clnn_supcon_views(ctx, z1, 2, labels, &bad, loss, g1));
    /* the temperature gradient into the queue (1 row of 1 feature) */
    const char *fg = "clnn_infonce_temperature_grad";
    bad.queue = dt;
    for (int tiled = 0; tiled < 2; tiled++)
        EXPECT_FAIL(ctx, INVAL, fg, clnn_infonce_temperature_grad(ctx, n1, n1b, MOCO, &bad, tiled, NULL, n1g, NULL, dt));
    test_expect_filled(ctx, "loss", loss, S);
    test_expect_filled(ctx, "dz1", g1, S);
    test_expect_filled(ctx, "dz2", g2, S);
    test_expect_filled(ctx, "dtemperature", dt, S);
    test_expect_filled(ctx, "one_g", one_g, S);
    test_expect_filled(ctx, "queue as dz2", gq4, S);
    test_expect_filled(ctx, "dz1 of the temperature call", n1g, S);

    /* the push */
    size_t next = 99;
    EXPECT_FAIL(ctx, SHAPE, fp, clnn_moco_queue_push(ctx, gq, 0, g1, &next)); /* 6 keys, 4 rows */
    EXPECT_FAIL(ctx, SHAPE, fp, clnn_moco_queue_push(ctx, z1, 0, q4, &next)); /* D 3 into D 4 */
    EXPECT_FAIL(ctx, SHAPE, fp, clnn_moco_queue_push(ctx, labels, 0, gq, &next)); /* int32 keys */
    EXPECT_FAIL(ctx, INVAL, fp, clnn_moco_queue_push(ctx, z1, 6, gq, &next)); /* ptr = K */
    EXPECT_FAIL(ctx, INVAL, fp, clnn_moco_queue_push(ctx, z1, 0, gq, NULL));
    EXPECT_FAIL(ctx, INVAL, fp, clnn_moco_queue_push(ctx, gq, 0, gq, &next)); /* keys are the queue */
    EXPECT_FAIL(ctx, INVAL, fp, clnn_moco_queue_push(ctx, z1, 0, NULL, &next));
    EXPECT_FAIL(ctx, INVAL, fp, clnn_moco_queue_push(ctx, NULL, 0, gq, &next));
    EXPECT_FAIL(NULL, INVAL, fp, clnn_moco_queue_push(NULL, z1, 0, gq, &next));
    CHECK(next == 99, "a refused push changed next_ptr to %zu", next);
    test_expect_filled(ctx, "queue", gq, S);
    clnn_tensor *all[] = {z1, z2, q, q4, qi, loss, g1, g2, gq, dt, labels, one, one_g, gq4, n1, n1b, n1g};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    /* small: a few pairs and queue rows in every mode (the simulator's share) */
    static const moco_case small[] = {
        {3, 5, 4, M_MOCO, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
        {2, 3, 5, M_ONE_WAY, 0.5f, 0.3f, 0, 0, CLNN_REDUCE_SUM, 1.0f},
        {3, 4, 6, M_SYMMETRIC, 0.07f, 0.2f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
        {2, 3, 3, M_NT_XENT, 1.0f, 0.0f, 1, 1, CLNN_REDUCE_SUM, 1.0f},
        {1, 4, 2, M_MOCO, 0.2f, 0.1f, 0, 1, CLNN_REDUCE_MEAN, 1.0f},
    };
    /* past the default tiles (TR 8..32, TC 32..64) on either side, a queue
     * far longer than the batch, logits in the hundreds */
    static const moco_case medium[] = {
        {9, 17, 40, M_MOCO, 0.07f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
        {33, 7, 70, M_SYMMETRIC, 0.1f, 0.1f, 1, 0, CLNN_REDUCE_SUM, 1.0f},
        {20, 9, 130, M_NT_XENT, 0.2f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
        {5, 16, 300, M_MOCO, 0.05f, 0.0f, 1, 1, CLNN_REDUCE_SUM, 1.0f},
        {7, 11, 50, M_ONE_WAY, 0.1f, -0.2f, 0, 0, CLNN_REDUCE_MEAN, 2.0f},
    };
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        for (int tiled = 0; tiled < 2; tiled++) check_reference(ctx, &small[i], tiled, 40);
        check_paths(ctx, &small[i]);
        check_none(ctx, &small[i]);
    }
    const moco_case t0 = {3, 5, 4, M_MOCO, 0.3f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    const moco_case t1 = {3, 4, 5, M_SYMMETRIC, 0.3f, 0.0f, 0, 1, CLNN_REDUCE_SUM, 1.0f};
    const moco_case t2 = {2, 3, 3, M_NT_XENT, 0.5f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    check_temperature(ctx, &t0), check_temperature(ctx, &t1), check_temperature(ctx, &t2);
    /* 11 anchors past TR = 8; 11 + 29 = 40 candidates past TC = 32 */
    const moco_case bits = {11, 6, 29, M_SYMMETRIC, 0.1f, 0.1f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    const moco_case bits_moco = {11, 6, 29, M_MOCO, 0.1f, 0.0f, 1, 1, CLNN_REDUCE_SUM, 1.0f};
    check_config_bits(ctx, &bits, "contrastive.tiled_lse", 1);
    check_config_bits(ctx, &bits_moco, "contrastive.tiled_grad", 1);
    check_config_bits(ctx, &bits, "contrastive.rows", 0);
    check_abi_and_moco_one_pair(ctx);
    check_push(ctx, 3, 5, 4);
    check_push(ctx, 5, 5, 3);
    check_push(ctx, 1, 1, 2);
    check_errors(ctx);
    if (test_large("MoCo queue cases past the default tile sizes")) {
        for (size_t i = 0; i < sizeof medium / sizeof medium[0]; i++) {
            for (int tiled = 0; tiled < 2; tiled++) check_reference(ctx, &medium[i], tiled, 60);
            check_paths(ctx, &medium[i]);
            check_none(ctx, &medium[i]);
        }
        check_temperature(ctx, &medium[0]);
        const moco_case tl = {20, 9, 130, M_NT_XENT, 0.2f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f};
        check_temperature(ctx, &tl);
        check_push(ctx, 64, 200, 33);
    }
    clnn_context_release(ctx);
    return check_summary();
}
