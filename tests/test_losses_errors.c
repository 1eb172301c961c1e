/* Every classification loss (include/clnn/losses.h) given NULL or bad
 * arguments returns an error status and a message naming the function, and
 * changes nothing: the outputs and ELR's state keep their sentinel. */
#include "check.h"

#include <math.h>

static const float SENTINEL = 7.0f;

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b)
{
    return test_filled(ctx, dtype, a, b, dtype == CLNN_INT32 ? 1.0f : SENTINEL);
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const clnn_reduction SUM = CLNN_REDUCE_SUM, NONE = CLNN_REDUCE_NONE, BAD_RED = (clnn_reduction)9;
static clnn_context *ctx, *other;
static clnn_tensor *x, *t, *x1, *g1c, *x2, *g2c, *small, *wide, *ints, *labels, *labels4, *flabels, *loss, *loss2,
    *rowloss, *g, *alpha, *alpha3, *state, *state3, *ids, *foreign;

static void focal_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_focal_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_focal_loss(NULL, x, labels, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, NULL, labels, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, NULL, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, foreign, labels, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, ints, labels, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, flabels, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels4, NULL, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, alpha3, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, ids, 2, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, -1, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, nan, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, inf, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, 2, -1.5f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, 2, nan, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, BAD_RED, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, loss2, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, rowloss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, NONE, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, loss, small));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, loss, wide));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, loss, foreign));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x, labels, NULL, 2, 0, NULL, SUM, loss, x));
    /* one class: per-row losses of 3 elements, which can alias the [3, 1] logits or gradient */
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x1, labels, NULL, 2, 0, NULL, NONE, x1, g1c));
    EXPECT_FAIL(ctx, INVAL, f, clnn_focal_loss(ctx, x1, labels, NULL, 2, 0, NULL, NONE, g1c, g1c));
}

static void poly1_errors(void)
{
    const float inf = INFINITY;
    const char *f = "clnn_poly1_cross_entropy";
    EXPECT_FAIL(NULL, INVAL, f, clnn_poly1_cross_entropy(NULL, x, labels, 1, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_poly1_cross_entropy(ctx, x, labels, -1.01f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_poly1_cross_entropy(ctx, x, labels, inf, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_poly1_cross_entropy(ctx, small, labels, 1, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_poly1_cross_entropy(ctx, x, labels, 1, NULL, BAD_RED, loss, g));
}

static void squentropy_errors(void)
{
    const char *f = "clnn_squentropy";
    EXPECT_FAIL(NULL, INVAL, f, clnn_squentropy(NULL, x, labels, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_squentropy(ctx, NULL, labels, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_squentropy(ctx, x1, labels, NULL, SUM, loss, g1c)); /* one class */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_squentropy(ctx, x, labels4, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_squentropy(ctx, x, labels, NULL, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_squentropy(ctx, x, labels, NULL, SUM, loss, x));
}

static void robust_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_robust_loss";
    const clnn_robust_loss_options ok = {sizeof(clnn_robust_loss_options), .nce = 1, .rce = 1, .rce_log_zero = -4};
    clnn_robust_loss_options w;
    EXPECT_FAIL(NULL, INVAL, f, clnn_robust_loss(NULL, x, labels, &ok, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, NULL, NULL, SUM, loss, g));
    w = ok;
    w.size = 0;
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, NULL, labels, &ok, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_robust_loss(ctx, x1, labels, &ok, NULL, SUM, loss, g1c)); /* NCE needs 2 classes */
    w = (clnn_robust_loss_options){sizeof(clnn_robust_loss_options), .nfl = 1, .nfl_gamma = 0.5f};
    EXPECT_FAIL(ctx, SHAPE, f, clnn_robust_loss(ctx, x1, labels, &w, NULL, SUM, loss, g1c)); /* and NFL */
    w = (clnn_robust_loss_options){sizeof(clnn_robust_loss_options), 0};
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g)); /* all zero */
    w = ok, w.mae = -1;
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    w = ok, w.ce = nan;
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    w = ok, w.rce_log_zero = 0;
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    w = ok, w.rce_log_zero = -inf;
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    w = (clnn_robust_loss_options){sizeof(clnn_robust_loss_options), .gce = 1, .gce_q = 0};
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    w.gce_q = 1.5f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    w = (clnn_robust_loss_options){sizeof(clnn_robust_loss_options), .nfl = 1, .nfl_gamma = -1};
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &w, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &ok, NULL, BAD_RED, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_robust_loss(ctx, x, labels, &ok, NULL, NONE, loss2, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_robust_loss(ctx, x, labels, &ok, NULL, SUM, loss, foreign));
}

static void encouraging_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_encouraging_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_encouraging_loss(NULL, x, labels, 0.75f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_encouraging_loss(ctx, x, labels, 0.0f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_encouraging_loss(ctx, x, labels, 1.01f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_encouraging_loss(ctx, x, labels, nan, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_encouraging_loss(ctx, x, ints, 0.75f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_encouraging_loss(ctx, x, labels, 0.75f, NULL, SUM, NULL, NULL));
}

static void asymmetric_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_asymmetric_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_asymmetric_loss(NULL, x, t, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, NULL, t, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, NULL, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, foreign, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_asymmetric_loss(ctx, x, small, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_asymmetric_loss(ctx, x, wide, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_asymmetric_loss(ctx, x, ints, 0, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, -1, 4, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, 0, nan, 0.05f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, 0, 4, -0.1f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, 0, 4, 1.0f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, 0, 4, 0.05f, NULL, BAD_RED, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_asymmetric_loss(ctx, x, t, 0, 4, 0.05f, NULL, NONE, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, 0, 4, 0.05f, NULL, SUM, loss, t));
    EXPECT_FAIL(ctx, INVAL, f, clnn_asymmetric_loss(ctx, x, t, 0, 4, 0.05f, NULL, SUM, NULL, NULL));
}

static void spherical_z_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_spherical_z_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_spherical_z_loss(NULL, x, labels, 0.1f, 10, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, NULL, labels, 0.1f, 10, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, NULL, 0.1f, 10, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss(ctx, x1, labels, 0.1f, 10, 0, NULL, SUM, loss, g1c));
    /* 2 classes (issue 19): every z-normalized row is +-(1, -1), the loss constant */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss(ctx, x2, labels, 0.1f, 10, 1e-3f, NULL, SUM, loss, g2c));
    CHECK(strstr(clnn_last_error(ctx), "at least 3") && strstr(clnn_last_error(ctx), "constant"),
          "the 2-class message says why: '%s'", clnn_last_error(ctx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss(ctx, x2, labels, 0.1f, 10, 0, NULL, NONE, rowloss, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss(ctx, x, labels4, 0.1f, 10, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, labels, 0, 10, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, labels, inf, 10, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, labels, 0.1f, nan, 0, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, labels, 0.1f, 10, -1e-6f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, labels, 0.1f, 10, 0, NULL, BAD_RED, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss(ctx, x, labels, 0.1f, 10, 0, NULL, SUM, loss, loss));
    EXPECT_FAIL(ctx, INVAL, f, clnn_spherical_z_loss(ctx, x, labels, 0.1f, 10, 0, NULL, SUM, loss, x));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_spherical_z_loss(ctx, x, labels, 0.1f, 10, 0, NULL, SUM, g, loss));
}

static void elr_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_elr_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_elr_loss(NULL, x, labels, ids, state, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, NULL, labels, ids, state, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, NULL, state, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, NULL, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, foreign, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_elr_loss(ctx, x, labels4, ids, state, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_elr_loss(ctx, x, labels, labels4, state, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_elr_loss(ctx, x, labels, flabels, state, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_elr_loss(ctx, x, labels, ids, state3, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_elr_loss(ctx, x, labels, ids, ints, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, x, 3, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, state, nan, 0.7f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, state, 3, 1.0f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, state, 3, -0.1f, NULL, SUM, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, state, 3, 0.7f, NULL, BAD_RED, loss, g));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, state, 3, 0.7f, NULL, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_elr_loss(ctx, x, labels, ids, state, 3, 0.7f, NULL, NONE, loss, g));
    /* outputs aliasing the state: per-row losses of one class, a gradient of the state's shape */
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x1, NULL, ids, g1c, 3, 0.7f, NULL, NONE, g1c, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, NULL, ids, t, 3, 0.7f, NULL, SUM, loss, t));
    EXPECT_FAIL(ctx, INVAL, f, clnn_elr_loss(ctx, x, labels, ids, state, 3, 0.7f, NULL, SUM, loss, x));
}

int main(void)
{
    ctx = test_context(), other = test_context();
    x = make(ctx, CLNN_FLOAT32, 3, 4), t = make(ctx, CLNN_FLOAT32, 3, 4);
    x1 = make(ctx, CLNN_FLOAT32, 3, 1), g1c = make(ctx, CLNN_FLOAT32, 3, 1);
    x2 = make(ctx, CLNN_FLOAT32, 3, 2), g2c = make(ctx, CLNN_FLOAT32, 3, 2);
    small = make(ctx, CLNN_FLOAT32, 2, 4), wide = make(ctx, CLNN_FLOAT32, 4, 3);
    ints = make(ctx, CLNN_INT32, 3, 4), labels = make(ctx, CLNN_INT32, 3, 1);
    labels4 = make(ctx, CLNN_INT32, 4, 1), flabels = make(ctx, CLNN_FLOAT32, 3, 1);
    loss = make(ctx, CLNN_FLOAT32, 1, 1), loss2 = make(ctx, CLNN_FLOAT32, 1, 2);
    rowloss = make(ctx, CLNN_FLOAT32, 3, 1), g = make(ctx, CLNN_FLOAT32, 3, 4);
    alpha = make(ctx, CLNN_FLOAT32, 4, 1), alpha3 = make(ctx, CLNN_FLOAT32, 3, 1);
    state = make(ctx, CLNN_FLOAT32, 5, 4), state3 = make(ctx, CLNN_FLOAT32, 5, 3);
    ids = make(ctx, CLNN_INT32, 3, 1);
    foreign = make(other, CLNN_FLOAT32, 3, 4);

    focal_errors();
    poly1_errors();
    squentropy_errors();
    robust_errors();
    encouraging_errors();
    asymmetric_errors();
    spherical_z_errors();
    elr_errors();

    clnn_tensor *outputs[] = {x,    t,       x1, g1c,   x2,     g2c,   small, wide,
                              loss, loss2, rowloss, g, alpha, alpha3, state, state3};
    const char *names[] = {"x",     "t",     "x1",      "g1c", "x2",    "g2c",    "small", "wide",
                           "loss",  "loss2", "rowloss", "g",   "alpha", "alpha3", "state", "state3"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        test_expect_filled(ctx, names[i], outputs[i], SENTINEL);

    clnn_tensor *all[] = {x,       t,   x1,    g1c,    x2,    g2c,   small, wide,  ints,   labels, labels4, flabels,
                          loss,    loss2, rowloss, g,  alpha, alpha3, state, state3, ids};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
