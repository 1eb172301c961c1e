/* Helpers shared by the contrastive tests (test_contrastive.c,
 * test_infonce_tiled.c): the InfoNCE-family cases, their double-precision
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
} nce_data;

static inline nce_data nce_data_make(clnn_context *ctx, const nce_case *c, unsigned seed, size_t classes)
{
    nce_data v = {c, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
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
    clnn_contrastive_options o = {c->tau, c->margin, c->normalize, c->decoupled, c->red};
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

#endif
