/* Helpers shared by the contrastive tests (test_contrastive.c,
 * test_contrastive_infonce_tiled.c): the InfoNCE-family cases, their double-precision
 * reference value (tests/ref/ref_contrastive.c) and the device call. */
#ifndef CLNN_TEST_CONTRASTIVE_UTIL_H
#define CLNN_TEST_CONTRASTIVE_UTIL_H

#include "layer_util.h"
#include "ref/ref_contrastive.h"

#include <stdint.h>

enum { K_ONE_WAY = 0, K_SYMMETRIC = 1, K_NT_XENT = 2, K_SUPCON = 3 };
static const char *const nce_kind_names[4] = {"one-way", "symmetric", "nt-xent", "supcon"};

/* One InfoNCE-family case: n pairs of d features in [-amp, amp). */
typedef struct nce_case {
    size_t n, d;
    int kind;
    float tau, margin;
    int normalize, decoupled;
    clnn_reduction red;
    float amp;
} nce_case;

/* A case's inputs on the host (float for the device, double for the
 * reference) and on the device. Labels (SupCon) repeat every `classes`. */
typedef struct nce_data {
    const nce_case *c;
    float *z1f, *z2f;
    double *z1, *z2;
    int32_t *labels;
    clnn_tensor *t1, *t2, *tl;
    int tiled; /* nce_op runs clnn_infonce_tiled */
} nce_data;

static inline nce_data nce_data_make(clnn_context *ctx, const nce_case *c, unsigned seed, size_t classes)
{
    nce_data v = {c, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    size_t m = c->n * c->d, shape[2] = {c->n, c->d};
    v.z1f = util_random(m, seed, -c->amp, c->amp);
    v.z2f = util_random(m, seed + 7, -c->amp, c->amp);
    v.z1 = util_to_double(v.z1f, m);
    v.z2 = util_to_double(v.z2f, m);
    v.labels = malloc(c->n * sizeof *v.labels + 1);
    REQUIRE(v.labels, "host memory");
    for (size_t i = 0; i < c->n; i++) v.labels[i] = (int32_t)(i % classes) * 3 - 2; /* any values */
    v.t1 = test_tensor_from(ctx, 2, shape, v.z1f);
    v.t2 = test_tensor_from(ctx, 2, shape, v.z2f);
    REQUIRE(clnn_tensor_create(ctx, CLNN_INT32, 1, &c->n, &v.tl) == CLNN_OK, "%s", clnn_last_error(ctx));
    REQUIRE(clnn_tensor_upload(v.tl, v.labels, c->n * sizeof *v.labels) == CLNN_OK, "%s", clnn_last_error(ctx));
    return v;
}

static inline void nce_data_free(nce_data *v)
{
    free(v->z1f), free(v->z2f), free(v->z1), free(v->z2), free(v->labels);
    clnn_tensor_release(v->t1), clnn_tensor_release(v->t2), clnn_tensor_release(v->tl);
}

/* The reference loss at the current double inputs (a util_fd_check callback). */
static inline double nce_ref_value(void *user)
{
    const nce_data *v = user;
    const nce_case *c = v->c;
    int mean = c->red == CLNN_REDUCE_MEAN;
    if (c->kind == K_SUPCON)
        return ref_supcon(v->z1, v->z2, v->labels, c->n, c->d, c->tau, c->margin, c->normalize, c->decoupled, mean);
    return ref_infonce(v->z1, v->z2, c->n, c->d, c->kind, c->tau, c->margin, c->normalize, c->decoupled, mean);
}

/* The largest |logit| of the case, for the fp32 tolerances: |s|/tau + |margin|/tau. */
static inline double nce_max_logit(const nce_data *v)
{
    const nce_case *c = v->c;
    double smax = 0.0, nmax = 0.0;
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < c->n; i++) {
            const double *r = (w ? v->z2 : v->z1) + i * c->d;
            double ss = 0.0;
            for (size_t k = 0; k < c->d; k++) ss += r[k] * r[k];
            if (ss > nmax) nmax = ss;
        }
    smax = c->normalize ? 1.0 : nmax; /* Cauchy-Schwarz */
    return (smax + fabs(c->margin)) / c->tau;
}

/* Runs the case on the device: the materialised op, or the tiled one. */
static inline clnn_status nce_run(clnn_context *ctx, const nce_data *v, int tiled, clnn_tensor *loss, clnn_tensor *g1,
                                  clnn_tensor *g2)
{
    const nce_case *c = v->c;
    clnn_contrastive_options o;
    clnn_contrastive_options_init(&o);
    o.temperature = c->tau, o.margin = c->margin, o.normalize = c->normalize, o.decoupled = c->decoupled;
    o.reduction = c->red;
    if (c->kind == K_SUPCON) return clnn_supcon(ctx, v->t1, v->t2, v->tl, &o, loss, g1, g2);
    clnn_infonce_mode mode = (clnn_infonce_mode)c->kind;
    return tiled ? clnn_infonce_tiled(ctx, v->t1, v->t2, mode, &o, loss, g1, g2)
                 : clnn_infonce(ctx, v->t1, v->t2, mode, &o, loss, g1, g2);
}

static inline void nce_describe(const nce_case *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s n=%zu d=%zu tau=%g margin=%g%s%s %s amp=%g", nce_kind_names[c->kind], c->n, c->d,
             (double)c->tau, (double)c->margin, c->normalize ? " normalized" : "", c->decoupled ? " decoupled" : "",
             c->red == CLNN_REDUCE_MEAN ? "mean" : "sum", (double)c->amp);
}

/* Anchors whose losses a value adds (for the SUM tolerance). */
static inline double nce_anchors(const nce_case *c)
{
    return c->kind == K_ONE_WAY ? (double)c->n : 2.0 * (double)c->n;
}

static inline float util_scalar(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

static inline double util_max_abs(const float *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* ------------------------------------------------------ generic harness */

/* One call of an op with up to 3 fp32 inputs, each with a gradient output:
 * op_check compares the value with the reference, every gradient with
 * central differences of the reference (h = 1e-5, in double), and checks
 * that repeated, loss-only, gradient-only and single-gradient calls give the
 * same bits. */
typedef struct op_case {
    char what[200];
    int nin;
    clnn_tensor *in[3];
    double *host[3];     /* the reference's copy of each input (perturbed by the differences) */
    size_t count[3];
    double (*ref)(void *user);
    clnn_status (*run)(clnn_context *ctx, void *user, clnn_tensor *loss, clnn_tensor *const *grads);
    void *user;
    double vtol;         /* absolute tolerance of the value */
    double grad_rel;     /* gradient atol = grad_rel * the largest |gradient| (+1e-7) */
    size_t fd_limit;     /* differences per input, spread evenly */
} op_case;

static inline clnn_tensor *like(clnn_context *ctx, const clnn_tensor *t)
{
    int ndim;
    size_t shape[CLNN_MAX_DIMS];
    clnn_tensor_shape(t, &ndim, shape);
    return util_tensor(ctx, shape[0], shape[1], shape[2], shape[3], ndim);
}

static inline void op_check(clnn_context *ctx, const op_case *c)
{
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g[3] = {NULL, NULL, NULL};
    for (int i = 0; i < c->nin; i++) g[i] = like(ctx, c->in[i]);
    CHECK_OK(ctx, c->run(ctx, c->user, loss, g));
    float value = util_scalar(ctx, loss);
    double want = c->ref(c->user);
    CHECK(fabs(value - want) <= c->vtol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", c->what, value, want,
          c->vtol);

    float *gh[3] = {NULL, NULL, NULL};
    double gmax = 0.0;
    for (int i = 0; i < c->nin; i++) {
        gh[i] = util_download(ctx, g[i]);
        double m = util_max_abs(gh[i], c->count[i]);
        gmax = m > gmax || m != m ? m : gmax;
    }
    for (int i = 0; i < c->nin; i++) {
        double err = util_fd_check(c->host[i], c->count[i], c->fd_limit, 1e-5, c->ref, c->user, gh[i],
                                   c->grad_rel * gmax + 1e-7, 1e-3);
        CHECK(err <= 1.0, "%s: gradient %d vs finite differences: error %.3g of tolerance", c->what, i, err);
    }

    /* the same bits again, from the loss-only and the gradient-only calls */
    CHECK_OK(ctx, c->run(ctx, c->user, loss, g));
    float value2 = util_scalar(ctx, loss);
    int same = memcmp(&value, &value2, sizeof value) == 0;
    for (int i = 0; i < c->nin; i++) {
        float *again = util_download(ctx, g[i]);
        same &= util_same_bits(gh[i], again, c->count[i]);
        free(again);
    }
    CHECK(same, "%s: a second call changed bits", c->what);
    clnn_tensor *none[3] = {NULL, NULL, NULL};
    CHECK_OK(ctx, c->run(ctx, c->user, loss, none));
    float value3 = util_scalar(ctx, loss);
    CHECK(memcmp(&value, &value3, sizeof value) == 0, "%s: the loss-only call gives other bits", c->what);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    for (int i = 0; i < c->nin; i++) CHECK_OK(ctx, clnn_tensor_fill(g[i], 0.0f));
    CHECK_OK(ctx, c->run(ctx, c->user, NULL, g));
    same = util_scalar(ctx, loss) == -7.0f;
    for (int i = 0; i < c->nin; i++) {
        float *again = util_download(ctx, g[i]);
        same &= util_same_bits(gh[i], again, c->count[i]);
        free(again);
    }
    CHECK(same, "%s: the gradient-only call differs (or wrote the loss)", c->what);
    /* each gradient alone (the others NULL) */
    for (int k = 0; k < c->nin && c->nin > 1; k++) {
        clnn_tensor *one[3] = {NULL, NULL, NULL};
        one[k] = g[k];
        CHECK_OK(ctx, clnn_tensor_fill(g[k], 0.0f));
        CHECK_OK(ctx, c->run(ctx, c->user, NULL, one));
        float *again = util_download(ctx, g[k]);
        CHECK(util_same_bits(gh[k], again, c->count[k]), "%s: gradient %d alone differs", c->what, k);
        free(again);
    }
    for (int i = 0; i < c->nin; i++) free(gh[i]), clnn_tensor_release(g[i]);
    clnn_tensor_release(loss);
}

/* ------------------------------------------------------ InfoNCE family */

/* Forces tile configuration cfg (TR, TC, DK and a local size, fitted to
 * the device) on kernel_id; 0 after a SKIP line when its local memory
 * does not fit the device. Undo with clnn_tune_force(ctx, NULL, NULL). */
static inline int force_tile_config(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg)
{
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, kernel_id, cfg, &lim));
    if (lim.local_mem > lim.device_local_mem) {
        char why[200];
        snprintf(why, sizeof why, "%s TR %d TC %d DK %d: needs %llu bytes of local memory, the device has %llu",
                 kernel_id, cfg->params[0], cfg->params[1], cfg->params[2], lim.local_mem, lim.device_local_mem);
        test_skip(why);
        return 0;
    }
    clnn_tune_config fitted = *cfg;
    fitted.local[0] = test_local_fit(ctx, kernel_id, &fitted, fitted.local[0]);
    CHECK_OK(ctx, clnn_tune_force(ctx, kernel_id, &fitted));
    return 1;
}

/* Whether run (an op_case's run: loss, and g[0], g[1] of m elements each)
 * gives the same bits under every configuration of kernel_id that fits
 * (force_tile_config), the first one run being the reference. The forcing
 * is undone. */
static inline int same_bits_under_configs(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *configs,
                                          size_t nconf,
                                          clnn_status (*run)(clnn_context *, void *, clnn_tensor *,
                                                             clnn_tensor *const *),
                                          void *user, clnn_tensor *loss, clnn_tensor *const g[2], size_t m)
{
    float first_val = 0.0f, *first1 = NULL, *first2 = NULL;
    int same = 1, ran = 0;
    for (size_t k = 0; k < nconf; k++) {
        if (!force_tile_config(ctx, kernel_id, &configs[k])) continue;
        CHECK_OK(ctx, run(ctx, user, loss, g));
        float val = util_scalar(ctx, loss), *h1 = util_download(ctx, g[0]), *h2 = util_download(ctx, g[1]);
        if (!ran++) {
            first_val = val, first1 = h1, first2 = h2;
            continue;
        }
        same &= memcmp(&val, &first_val, sizeof val) == 0 && util_same_bits(h1, first1, m) &&
                util_same_bits(h2, first2, m);
        free(h1), free(h2);
    }
    CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
    free(first1), free(first2);
    return same;
}

static inline clnn_status nce_op(clnn_context *ctx, void *user, clnn_tensor *loss, clnn_tensor *const *g)
{
    const nce_data *v = user;
    return nce_run(ctx, v, v->tiled, loss, g[0], g[1]);
}

/* The case against the reference (value, finite differences, repeatability),
 * on the materialised or the tiled implementation. */
static inline void check_nce(clnn_context *ctx, const nce_case *c, size_t classes, size_t fd_limit, int tiled)
{
    nce_data v = nce_data_make(ctx, c, (unsigned)(c->n * 131 + c->d * 7 + (size_t)c->kind), classes);
    v.tiled = tiled;
    op_case oc = {.nin = 2, .in = {v.t1, v.t2}, .host = {v.z1, v.z2}, .count = {c->n * c->d, c->n * c->d},
                  .ref = nce_ref_value, .run = nce_op, .user = &v, .fd_limit = fd_limit};
    nce_describe(c, oc.what, sizeof oc.what);
    if (tiled) strncat(oc.what, " tiled", sizeof oc.what - strlen(oc.what) - 1);
    /* fp32: logits carry ~1e-7 |l| of rounding, which the loss (lse - l_pos)
     * keeps, per anchor (SUM adds them); gradients are softmax weights of
     * those logits: relative 2e-7 |l| on top of 1e-4 of the largest */
    double lmax = nce_max_logit(&v), anchors = c->red == CLNN_REDUCE_SUM ? nce_anchors(c) : 1.0;
    oc.vtol = 1e-5 * (1.0 + fabs(nce_ref_value(&v))) + 1e-6 * lmax * anchors;
    oc.grad_rel = 1e-4 + 2e-7 * lmax;
    op_check(ctx, &oc);
    nce_data_free(&v);
}

#endif
