/* Every representation-loss function (include/clnn/representations.h) given
 * NULL or bad arguments returns an error status and a message naming the
 * function, and changes nothing: the outputs of the rejected calls keep their
 * sentinel. A batch of one sample is refused where the variance is needed. */
#include "check.h"

#include <math.h>

static const float SENTINEL = 7.0f;

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dtype, int ndim, size_t a, size_t b, size_t c)
{
    size_t shape[3] = {a, b, c};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, dtype, ndim, shape, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(ctx, clnn_tensor_fill(t, dtype == CLNN_INT32 ? 1.0f : SENTINEL));
    return t;
}
#define F2(ctx, a, b) make((ctx), CLNN_FLOAT32, 2, (a), (b), 1)

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const clnn_reduction SUM = CLNN_REDUCE_SUM, NONE = CLNN_REDUCE_NONE, BAD_RED = (clnn_reduction)9;
static clnn_context *ctx, *other;
static clnn_tensor *z, *z2, *dz, *dz2, *z1, *dz1, *z1b, *small, *wide, *flat, *cube, *ints, *loss, *loss2, *foreign,
    *labels, *labels4, *flabels, *centers, *centers3, *s, *p, *dp, *ds, *s_t, *pot, *pot_bad, *s1, *one, *one2,
    *labels2, *loss3, *loss12;

/* VICReg: variance and covariance share the single-branch checks */
static void vicreg_term_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f;
    for (int which = 0; which < 2; which++) {
        f = which ? "clnn_vicreg_covariance" : "clnn_vicreg_variance";
#define TERM(c, zz, l, g) (which ? clnn_vicreg_covariance((c), (zz), (l), (g)) : clnn_vicreg_variance((c), (zz), 1.0f, 1e-4f, (l), (g)))
        EXPECT_FAIL(NULL, INVAL, f, TERM(NULL, z, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, TERM(ctx, NULL, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, TERM(ctx, foreign, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, ints, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, flat, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, cube, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, z1, loss, dz1)); /* batch of one: no unbiased variance */
        CHECK(strstr(clnn_last_error(ctx), "N >= 2") != NULL, "batch-1 message: %s", clnn_last_error(ctx));
        EXPECT_FAIL(ctx, INVAL, f, TERM(ctx, z, NULL, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, z, loss2, dz));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, z, loss, small));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, z, loss, wide));
        EXPECT_FAIL(ctx, INVAL, f, TERM(ctx, z, loss, foreign));
        EXPECT_FAIL(ctx, INVAL, f, TERM(ctx, z, loss, z));
        EXPECT_FAIL(ctx, SHAPE, f, TERM(ctx, z, z, dz)); /* a 12-element loss */
#undef TERM
    }
    f = "clnn_vicreg_variance";
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_variance(ctx, z, -1.0f, 1e-4f, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_variance(ctx, z, nan, 1e-4f, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_variance(ctx, z, 1.0f, 0.0f, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_variance(ctx, z, 1.0f, inf, loss, dz));
}

static void vicreg_invariance_errors(void)
{
    const char *f = "clnn_vicreg_invariance";
    EXPECT_FAIL(NULL, INVAL, f, clnn_vicreg_invariance(NULL, z, z2, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, NULL, z2, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, z, NULL, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, z, foreign, loss, dz, dz2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_invariance(ctx, z, small, loss, dz, dz2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_invariance(ctx, z, wide, loss, dz, dz2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_invariance(ctx, z, ints, loss, dz, dz2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_invariance(ctx, z, flat, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, z, z2, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_invariance(ctx, z, z2, loss2, dz, dz2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_invariance(ctx, z, z2, loss, dz, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, z, z2, loss, dz, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, z, z2, loss, z2, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, z, z2, loss, dz, z));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, one, one2, loss, loss, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_invariance(ctx, one, one2, loss, NULL, loss));
}

static void vicreg_loss_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_vicreg_loss";
    clnn_vicreg_options o = {sizeof(clnn_vicreg_options), 25.0f, 25.0f, 1.0f, 1.0f, 1e-4f};
    EXPECT_FAIL(NULL, INVAL, f, clnn_vicreg_loss(NULL, z, z2, &o, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, NULL, z2, &o, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, z, NULL, &o, loss, dz, dz2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_loss(ctx, z1, z1b, &o, loss, dz1, NULL)); /* batch of one */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_loss(ctx, z, small, &o, loss, dz, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, z, z2, &o, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, z, z2, &o, loss, dz2, dz2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, z, z2, &o, loss, dz, z));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_vicreg_loss(ctx, z, z2, &o, loss2, dz, dz2));
    for (int k = 0; k < 5; k++) {
        float bad[2] = {-1.0f, nan};
        for (int b = 0; b < 2; b++) {
            clnn_vicreg_options w = o;
            float *field[5] = {&w.lambda, &w.mu, &w.nu, &w.gamma, &w.eps};
            *field[k] = bad[b];
            EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, z, z2, &w, loss, dz, dz2));
        }
    }
    {
        clnn_vicreg_options w = o;
        w.size = sizeof w + 8; /* a newer header than the library */
        EXPECT_FAIL(ctx, INVAL, f, clnn_vicreg_loss(ctx, z, z2, &w, loss, dz, dz2));
    }
}

/* center loss */
static void center_loss_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_center_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_center_loss(NULL, z, labels, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, NULL, labels, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, NULL, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, labels, NULL, SUM, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, labels, foreign, SUM, loss, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, flabels, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels4, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels, centers3, SUM, loss, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, ints, labels, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, cube, labels, centers, SUM, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, labels, centers, BAD_RED, loss, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, labels, centers, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels, centers, SUM, loss2, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels, centers, SUM, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, labels, centers, SUM, loss, z));
    /* NONE: one loss per sample (3) */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels, centers, NONE, loss, dz));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels, centers, NONE, loss12, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss(ctx, z, labels, centers, SUM, loss3, dz));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss(ctx, z, labels, centers, NONE, loss3, z));

    f = "clnn_center_loss_update";
    EXPECT_FAIL(NULL, INVAL, f, clnn_center_loss_update(NULL, z, labels, 0.5f, centers));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, NULL, labels, 0.5f, centers));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, z, NULL, 0.5f, centers));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, z, labels, 0.5f, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss_update(ctx, z, labels4, 0.5f, centers));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss_update(ctx, z, flabels, 0.5f, centers));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_center_loss_update(ctx, z, labels, 0.5f, centers3));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, z, labels, -0.1f, centers));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, z, labels, 1.5f, centers));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, z, labels, nan, centers));
    EXPECT_FAIL(ctx, INVAL, f, clnn_center_loss_update(ctx, small, labels2, 0.5f, small));
}

/* Huber and pseudo-Huber share their checks */
static void huber_errors(void)
{
    const float inf = INFINITY;
    const char *f;
    for (int which = 0; which < 2; which++) {
        f = which ? "clnn_pseudo_huber_loss" : "clnn_huber_loss";
        clnn_status (*fn)(clnn_context *, const clnn_tensor *, const clnn_tensor *, float, clnn_reduction,
                          clnn_tensor *, clnn_tensor *) = which ? clnn_pseudo_huber_loss : clnn_huber_loss;
        EXPECT_FAIL(NULL, INVAL, f, fn(NULL, z, z2, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, NULL, z2, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, NULL, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, foreign, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, ints, z2, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, small, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, wide, 1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, 0.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, -1.0f, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, inf, SUM, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, 1.0f, BAD_RED, loss, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, 1.0f, SUM, NULL, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, z2, 1.0f, SUM, loss2, dz));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, z2, 1.0f, SUM, loss, small));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, 1.0f, SUM, loss, z2));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, 1.0f, SUM, loss, foreign));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, one, one2, 1.0f, SUM, loss, loss));
        /* NONE: Huber keeps one loss per element (12), pseudo-Huber one per row (3) */
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, z2, 1.0f, NONE, loss, dz));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, z2, 1.0f, NONE, which ? loss12 : loss3, dz));
        EXPECT_FAIL(ctx, SHAPE, f, fn(ctx, z, z2, 1.0f, SUM, which ? loss3 : loss12, dz));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, z, z2, 1.0f, NONE, which ? loss3 : loss12, z));
        EXPECT_FAIL(ctx, INVAL, f, fn(ctx, one, one2, 1.0f, NONE, loss, loss));
    }
}

/* Sinkhorn */
static void sinkhorn_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_sinkhorn_forward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_sinkhorn_forward(NULL, s, 1.0f, 2, p, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, NULL, 1.0f, 2, p, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, NULL, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, foreign, 1.0f, 2, p, pot));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_forward(ctx, s1, 1.0f, 2, p, pot));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_forward(ctx, ints, 1.0f, 2, p, pot));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, s_t, pot));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, s1, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, 0.0f, 2, p, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, nan, 2, p, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 0, p, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 10001, p, pot));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, p, pot_bad));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 3, p, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, s, pot));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, p, foreign));

    f = "clnn_sinkhorn_backward";
    EXPECT_FAIL(NULL, INVAL, f, clnn_sinkhorn_backward(NULL, s, pot, dp, 1.0f, 2, ds));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, NULL, pot, dp, 1.0f, 2, ds));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, pot, NULL, 1.0f, 2, ds));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, pot, dp, 1.0f, 2, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_backward(ctx, s, pot_bad, dp, 1.0f, 2, ds));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_backward(ctx, s, pot, s_t, 1.0f, 2, ds));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sinkhorn_backward(ctx, s, pot, dp, 1.0f, 2, s_t));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, pot, dp, -1.0f, 2, ds));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, NULL, dp, 1.0f, 0, ds));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, pot, dp, 1.0f, 2, dp));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, pot, dp, 1.0f, 2, s));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sinkhorn_backward(ctx, s, pot, dp, 1.0f, 2, foreign));
}

int main(void)
{
    ctx = test_context(), other = test_context();
    /* embeddings [3, 4] and friends */
    z = F2(ctx, 3, 4), z2 = F2(ctx, 3, 4), dz = F2(ctx, 3, 4), dz2 = F2(ctx, 3, 4);
    z1 = F2(ctx, 1, 4), dz1 = F2(ctx, 1, 4), z1b = F2(ctx, 1, 4), small = F2(ctx, 2, 4);
    wide = F2(ctx, 4, 3), flat = make(ctx, CLNN_FLOAT32, 1, 12, 1, 1);
    cube = make(ctx, CLNN_FLOAT32, 3, 3, 2, 2), ints = make(ctx, CLNN_INT32, 2, 3, 4, 1);
    loss = F2(ctx, 1, 1), loss2 = F2(ctx, 1, 2), foreign = F2(other, 3, 4);
    /* center loss: labels [3], centers [5, 4] */
    labels = make(ctx, CLNN_INT32, 1, 3, 1, 1), labels4 = make(ctx, CLNN_INT32, 1, 4, 1, 1);
    flabels = make(ctx, CLNN_FLOAT32, 1, 3, 1, 1), centers = F2(ctx, 5, 4), centers3 = F2(ctx, 5, 3);
    /* Sinkhorn: scores [2, 3, 5], potentials for 2 iterations = 2 * 2 * 8 */
    s = make(ctx, CLNN_FLOAT32, 3, 2, 3, 5), p = make(ctx, CLNN_FLOAT32, 3, 2, 3, 5);
    dp = make(ctx, CLNN_FLOAT32, 3, 2, 3, 5), ds = make(ctx, CLNN_FLOAT32, 3, 2, 3, 5);
    s_t = make(ctx, CLNN_FLOAT32, 3, 2, 5, 3), pot = make(ctx, CLNN_FLOAT32, 1, 32, 1, 1);
    pot_bad = make(ctx, CLNN_FLOAT32, 1, 31, 1, 1), s1 = make(ctx, CLNN_FLOAT32, 1, 30, 1, 1);
    /* 1x1 inputs, whose gradient could alias the 1-element loss; labels of `small` */
    one = F2(ctx, 1, 1), one2 = F2(ctx, 1, 1), labels2 = make(ctx, CLNN_INT32, 1, 2, 1, 1);
    /* NONE losses of z: one per row (3), one per element (12) */
    loss3 = make(ctx, CLNN_FLOAT32, 1, 3, 1, 1), loss12 = make(ctx, CLNN_FLOAT32, 1, 12, 1, 1);

    vicreg_term_errors();
    vicreg_invariance_errors();
    vicreg_loss_errors();
    center_loss_errors();
    huber_errors();
    sinkhorn_errors();

    clnn_tensor *outputs[] = {z,     z2,      dz,       dz2, z1, dz1, small, wide, loss, loss2,
                              centers, centers3, s, p, dp, ds, pot, one, one2, loss3, loss12};
    const char *names[] = {"z",       "z2",       "dz", "dz2", "z1", "dz1", "small", "wide", "loss", "loss2",
                           "centers", "centers3", "s",  "p",   "dp", "ds",  "pot",   "one",  "one2", "loss3", "loss12"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) test_expect_filled(ctx, names[i], outputs[i], SENTINEL);

    clnn_tensor *all[] = {z,      z2,     dz,      dz2,      z1,  dz1, z1b, small, wide, flat, cube, ints, loss,  loss2,
                          labels, labels4, flabels, centers, centers3, s, p, dp, ds, s_t, pot, pot_bad, s1, one, one2, labels2,
                          loss3,  loss12};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
