/* The reduction CLNN_REDUCE_NONE, checked the same way for every loss
 * (test_layers_softmax_loss, test_outputs, test_representations, test_losses,
 * test_metric_losses, test_metric_losses_overlap): the per-term values against the test's own
 * double-precision reference, their sum against the SUM call's value, the
 * gradients bit for bit against SUM's, repeatability, and the loss-only and
 * gradient-only calls. */
#ifndef CLNN_TEST_REDUCE_NONE_H
#define CLNN_TEST_REDUCE_NONE_H

#include "check.h"

#include <math.h>

/* One call of the loss under test with the given reduction and outputs
 * (loss and grads[k] may be NULL); the callback restores any state the loss
 * updates (ELR targets, AdaFace statistics) first, so that every call sees
 * the same inputs. */
typedef clnn_status (*rn_call)(clnn_context *ctx, const void *arg, clnn_reduction red, clnn_tensor *loss,
                               clnn_tensor *const *grads);

typedef struct rn_case {
    const char *what;
    rn_call call;
    const void *arg;
    size_t terms;            /* elements of NONE's loss: rows, samples, boxes or elements */
    const double *ref;       /* the reference value of each term */
    double atol, rtol;       /* per term: |value - ref| <= atol + rtol |ref| */
    size_t ngrads;
    clnn_tensor *const *grads; /* the call's gradient tensors (the right shapes) */
} rn_case;

static inline int rn_same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Downloads every gradient of c into g[k] (caller frees). */
static inline void rn_download_grads(clnn_context *ctx, const rn_case *c, float **g)
{
    for (size_t k = 0; k < c->ngrads; k++) g[k] = test_download(ctx, c->grads[k]);
}

static inline int rn_grads_equal(const rn_case *c, float *const *a, float *const *b)
{
    int same = 1;
    for (size_t k = 0; k < c->ngrads; k++) same &= rn_same_bits(a[k], b[k], clnn_tensor_count(c->grads[k]));
    return same;
}

static inline void rn_free_grads(const rn_case *c, float **g)
{
    for (size_t k = 0; k < c->ngrads; k++) free(g[k]), g[k] = NULL;
}

static inline void rn_fill_grads(clnn_context *ctx, const rn_case *c, float value)
{
    for (size_t k = 0; k < c->ngrads; k++) CHECK_OK(ctx, clnn_tensor_fill(c->grads[k], value));
}

/* rn_check with a tolerance of its own for each term: |value - ref| <=
 * term_atol[i] + rtol |ref|, for losses whose fp32 error depends on the
 * inputs rather than on the term's size (NULL: c->atol for every term). */
static inline void rn_check_terms(clnn_context *ctx, const rn_case *c, const double *term_atol)
{
    enum { MAX_GRADS = 4 };
    REQUIRE(c->ngrads <= MAX_GRADS, "rn_check: at most %d gradients", MAX_GRADS);
    clnn_tensor *none_grads[MAX_GRADS] = {NULL, NULL, NULL, NULL};
    float *g_sum[MAX_GRADS] = {NULL}, *g_none[MAX_GRADS] = {NULL}, *g_again[MAX_GRADS] = {NULL};
    clnn_tensor *sum_loss = test_filled(ctx, CLNN_FLOAT32, 1, 0, NAN);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, c->terms, 0, NAN);

    /* SUM: the value and the gradients NONE must reproduce */
    rn_fill_grads(ctx, c, -3.0f);
    CHECK_OK(ctx, c->call(ctx, c->arg, CLNN_REDUCE_SUM, sum_loss, c->grads));
    float *sum = test_download(ctx, sum_loss);
    rn_download_grads(ctx, c, g_sum);

    /* NONE: every term written, each against the reference */
    rn_fill_grads(ctx, c, -5.0f);
    CHECK_OK(ctx, c->call(ctx, c->arg, CLNN_REDUCE_NONE, loss, c->grads));
    float *v = test_download(ctx, loss);
    rn_download_grads(ctx, c, g_none);
    size_t bad = 0, first = 0;
    double total = 0.0, mag = 0.0;
    for (size_t i = 0; i < c->terms; i++) {
        double atol = term_atol ? term_atol[i] : c->atol;
        int ok = fabs((double)v[i] - c->ref[i]) <= atol + c->rtol * fabs(c->ref[i]);
        if (!ok && bad++ == 0) first = i;
        total += v[i];
        mag += fabs((double)v[i]);
    }
    CHECK(bad == 0, "%s: NONE: %zu of %zu terms off the reference (first %zu: %.9g, reference %.9g)", c->what, bad,
          c->terms, first, bad ? v[first] : 0.0f, bad ? c->ref[first] : 0.0);
    /* the SUM value is the same terms summed in fp32 by a fixed tree: equal up
     * to that rounding, 1e-5 of the terms' magnitude (+ 1e-6 near 0) */
    CHECK(fabs(total - sum[0]) <= 1e-6 + 1e-5 * mag, "%s: sum of the NONE terms %.9g, SUM value %.9g", c->what,
          total, (double)sum[0]);
    CHECK(rn_grads_equal(c, g_none, g_sum), "%s: NONE's gradient differs from SUM's in its bits", c->what);

    /* again: the same bits */
    rn_fill_grads(ctx, c, -5.0f);
    CHECK_OK(ctx, c->call(ctx, c->arg, CLNN_REDUCE_NONE, loss, c->grads));
    float *v2 = test_download(ctx, loss);
    rn_download_grads(ctx, c, g_again);
    CHECK(rn_same_bits(v, v2, c->terms) && rn_grads_equal(c, g_none, g_again), "%s: NONE: a second call changed bits",
          c->what);
    rn_free_grads(c, g_again);
    free(v2);

    /* the loss alone: the same values, the gradients untouched */
    rn_fill_grads(ctx, c, -5.0f);
    CHECK_OK(ctx, clnn_tensor_fill(loss, NAN));
    CHECK_OK(ctx, c->call(ctx, c->arg, CLNN_REDUCE_NONE, loss, none_grads));
    v2 = test_download(ctx, loss);
    CHECK(rn_same_bits(v, v2, c->terms), "%s: NONE: the loss-only call gives other values", c->what);
    for (size_t k = 0; k < c->ngrads; k++) {
        float *g = test_download(ctx, c->grads[k]);
        size_t n = clnn_tensor_count(c->grads[k]), changed = 0;
        for (size_t i = 0; i < n; i++) changed += g[i] != -5.0f;
        CHECK(changed == 0, "%s: NONE: the loss-only call wrote gradient %zu", c->what, k);
        free(g);
    }
    free(v2);

    /* the gradients alone: SUM's bits, the loss untouched */
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, c->call(ctx, c->arg, CLNN_REDUCE_NONE, NULL, c->grads));
    rn_download_grads(ctx, c, g_again);
    CHECK(rn_grads_equal(c, g_again, g_sum), "%s: NONE: the gradient-only call differs from SUM's", c->what);
    test_expect_filled(ctx, c->what, loss, -7.0f);

    rn_free_grads(c, g_sum), rn_free_grads(c, g_none), rn_free_grads(c, g_again);
    free(sum), free(v);
    clnn_tensor_release(sum_loss), clnn_tensor_release(loss);
}

static inline void rn_check(clnn_context *ctx, const rn_case *c) { rn_check_terms(ctx, c, NULL); }

#endif
