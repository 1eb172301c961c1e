/* Every contrastive function (include/clnn/contrastive.h) given NULL or bad
 * arguments returns an error status and a message naming the function, and
 * changes nothing: the outputs of the rejected calls keep their sentinel. */
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

/* The three InfoNCE-type entry points share their checks; each runs them. */
typedef clnn_status (*nce_fn)(clnn_context *, const clnn_tensor *, const clnn_tensor *, const clnn_tensor *,
                              clnn_infonce_mode, const clnn_contrastive_options *, clnn_tensor *, clnn_tensor *,
                              clnn_tensor *);
static clnn_status infonce(clnn_context *c, const clnn_tensor *a, const clnn_tensor *b, const clnn_tensor *l,
                           clnn_infonce_mode m, const clnn_contrastive_options *o, clnn_tensor *loss, clnn_tensor *d1,
                           clnn_tensor *d2)
{
    (void)l;
    return clnn_infonce(c, a, b, m, o, loss, d1, d2);
}
static clnn_status tiled(clnn_context *c, const clnn_tensor *a, const clnn_tensor *b, const clnn_tensor *l,
                         clnn_infonce_mode m, const clnn_contrastive_options *o, clnn_tensor *loss, clnn_tensor *d1,
                         clnn_tensor *d2)
{
    (void)l;
    return clnn_infonce_tiled(c, a, b, m, o, loss, d1, d2);
}
static clnn_status supcon(clnn_context *c, const clnn_tensor *a, const clnn_tensor *b, const clnn_tensor *l,
                          clnn_infonce_mode m, const clnn_contrastive_options *o, clnn_tensor *loss, clnn_tensor *d1,
                          clnn_tensor *d2)
{
    (void)m;
    return clnn_supcon(c, a, b, l, o, loss, d1, d2);
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static const clnn_reduction SUM = CLNN_REDUCE_SUM, BAD_RED = (clnn_reduction)9;
static const clnn_infonce_mode ONE = CLNN_INFONCE_ONE_WAY;
static const clnn_contrastive_options ok = {sizeof(clnn_contrastive_options), 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN};
static clnn_context *ctx, *other;
static clnn_tensor *x, *y, *small, *wide, *row1, *row1b, *ints, *labels, *labels4, *flabels, *loss, *loss2, *g1, *g2,
    *foreign, *e, *de, *e1, *w, *b, *dw, *db, *iw, *one, *one2, *labels1;

/* The checks clnn_infonce, clnn_infonce_tiled and clnn_supcon share (each runs them), then
 * the mode of the two InfoNCE calls, and SupCon's labels. */
static void infonce_family_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    clnn_contrastive_options bad[8], none = ok;
    for (int i = 0; i < 8; i++) bad[i] = ok;
    bad[0].temperature = 0.0f;
    bad[1].temperature = -0.1f;
    bad[2].temperature = nan;
    bad[3].temperature = 1e-40f; /* 1/temperature overflows */
    bad[4].margin = inf;
    bad[5].normalize = 2;
    bad[6].decoupled = -1;
    bad[7].reduction = BAD_RED;
    none.reduction = CLNN_REDUCE_NONE; /* one loss per anchor: a 1-element loss is refused */
    const char *f;

    const nce_fn fns[3] = {infonce, tiled, supcon};
    const char *const fn_names[3] = {"clnn_infonce", "clnn_infonce_tiled", "clnn_supcon"};
    for (int k = 0; k < 3; k++) {
        nce_fn F = fns[k];
        f = fn_names[k];
        EXPECT_FAIL(NULL, INVAL, f, F(NULL, x, y, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, NULL, y, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, NULL, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, foreign, y, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, foreign, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, ints, y, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, small, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, wide, labels, ONE, &ok, loss, g1, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, ints, labels, ONE, &ok, loss, g1, g2));
        for (int i = 0; i < 8; i++) EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &bad[i], loss, g1, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, y, labels, ONE, &none, loss, g1, g2));
        CHECK(strstr(clnn_last_error(ctx), "one per anchor") != NULL, "%s: NONE message '%s'", f,
              clnn_last_error(ctx));
        clnn_contrastive_options unsized = ok;
        unsized.size = 0; /* never initialised */
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &unsized, loss, g1, g2));
        CHECK(strstr(clnn_last_error(ctx), "opt->size is 0") != NULL, "%s: size message '%s'", f,
              clnn_last_error(ctx));
        clnn_contrastive_options dec = ok;
        dec.decoupled = 1;
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, row1, row1b, labels, ONE, &dec, loss, g1, g2)); /* no negatives */
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &ok, NULL, NULL, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, y, labels, ONE, &ok, loss2, g1, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, y, labels, ONE, &ok, loss, small, g2));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, y, labels, ONE, &ok, loss, g1, wide));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, y, labels, ONE, &ok, loss, ints, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &ok, loss, foreign, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &ok, loss, x, g2));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &ok, loss, g1, y));
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, x, y, labels, ONE, &ok, loss, g1, g1));
        EXPECT_FAIL(ctx, SHAPE, f, F(ctx, x, y, labels, ONE, &ok, g1, g1, NULL)); /* a 12-element loss */
        EXPECT_FAIL(ctx, INVAL, f, F(ctx, one, one2, labels1, ONE, &ok, loss, loss, NULL));
    }
    /* the mode of the two InfoNCE calls, and SupCon's labels */
    EXPECT_FAIL(ctx, INVAL, "clnn_infonce", clnn_infonce(ctx, x, y, (clnn_infonce_mode)4, &ok, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, "clnn_infonce_tiled",
                clnn_infonce_tiled(ctx, x, y, (clnn_infonce_mode)-1, &ok, loss, g1, g2));
    f = "clnn_supcon";
    EXPECT_FAIL(ctx, INVAL, f, clnn_supcon(ctx, x, y, NULL, &ok, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_supcon(ctx, x, y, flabels, &ok, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_supcon(ctx, x, y, labels4, &ok, loss, g1, g2));
}

static void alignment_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_alignment_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_alignment_loss(NULL, x, y, 2.0f, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, NULL, y, 2.0f, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, x, NULL, 2.0f, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_alignment_loss(ctx, x, small, 2.0f, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_alignment_loss(ctx, ints, y, 2.0f, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, x, y, 0.0f, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, x, y, nan, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, x, y, 2.0f, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_alignment_loss(ctx, x, y, 2.0f, loss, wide, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, x, y, 2.0f, loss, g1, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_alignment_loss(ctx, x, y, 2.0f, loss, g1, x));
}

static void uniformity_errors(void)
{
    const float inf = INFINITY;
    const char *f = "clnn_uniformity_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_uniformity_loss(NULL, x, 2.0f, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_uniformity_loss(ctx, NULL, 2.0f, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_uniformity_loss(ctx, foreign, 2.0f, loss, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_uniformity_loss(ctx, row1, 2.0f, loss, g1)); /* one row: no pairs */
    EXPECT_FAIL(ctx, INVAL, f, clnn_uniformity_loss(ctx, x, -1.0f, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_uniformity_loss(ctx, x, inf, loss, g1));
    EXPECT_FAIL(ctx, INVAL, f, clnn_uniformity_loss(ctx, x, 2.0f, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_uniformity_loss(ctx, x, 2.0f, loss2, g1));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_uniformity_loss(ctx, x, 2.0f, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_uniformity_loss(ctx, x, 2.0f, loss, x));
}

static void ge2e_errors(void)
{
    const char *f = "clnn_ge2e_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_ge2e_loss(NULL, e, w, b, SUM, loss, de, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, NULL, w, b, SUM, loss, de, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, NULL, b, SUM, loss, de, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, w, NULL, SUM, loss, de, dw, db));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_ge2e_loss(ctx, x, w, b, SUM, loss, g1, dw, db)); /* not 3-D */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_ge2e_loss(ctx, e1, w, b, SUM, loss, NULL, dw, db)); /* one utterance */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_ge2e_loss(ctx, e, loss2, b, SUM, loss, de, dw, db));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_ge2e_loss(ctx, e, iw, b, SUM, loss, de, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, w, b, BAD_RED, loss, de, dw, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, w, b, SUM, NULL, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_ge2e_loss(ctx, e, w, b, SUM, loss, g1, dw, db));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_ge2e_loss(ctx, e, w, b, SUM, loss, de, loss2, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, w, b, SUM, loss, de, dw, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, w, b, SUM, loss, de, w, db));
    EXPECT_FAIL(ctx, INVAL, f, clnn_ge2e_loss(ctx, e, w, b, SUM, loss, de, dw, loss));
}

static void barlow_twins_errors(void)
{
    const float nan = NAN;
    const char *f = "clnn_barlow_twins";
    EXPECT_FAIL(NULL, INVAL, f, clnn_barlow_twins(NULL, x, y, 0.005f, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_barlow_twins(ctx, x, NULL, 0.005f, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_barlow_twins(ctx, x, wide, 0.005f, loss, g1, g2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_barlow_twins(ctx, row1, row1b, 0.005f, loss, NULL, NULL)); /* batch 1 */
    EXPECT_FAIL(ctx, INVAL, f, clnn_barlow_twins(ctx, x, y, -0.1f, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_barlow_twins(ctx, x, y, nan, loss, g1, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_barlow_twins(ctx, x, y, 0.005f, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_barlow_twins(ctx, x, y, 0.005f, loss, small, g2));
    EXPECT_FAIL(ctx, INVAL, f, clnn_barlow_twins(ctx, x, y, 0.005f, loss, g2, g2));
}

static void variance_penalty_errors(void)
{
    const float nan = NAN;
    const char *f;
    for (int which = 0; which < 2; which++) {
        f = which ? "clnn_output_variance_penalty" : "clnn_task_variance_penalty";
        clnn_status (*pen)(clnn_context *, const clnn_tensor *, float, clnn_reduction, clnn_tensor *,
                           clnn_tensor *) = which ? clnn_output_variance_penalty : clnn_task_variance_penalty;
        EXPECT_FAIL(NULL, INVAL, f, pen(NULL, x, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, NULL, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, foreign, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, ints, 0.1f, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, nan, SUM, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, BAD_RED, loss, g1));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, SUM, NULL, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, loss2, g1));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, loss, wide));
        EXPECT_FAIL(ctx, INVAL, f, pen(ctx, x, 0.1f, SUM, loss, x));
        EXPECT_FAIL(ctx, SHAPE, f, pen(ctx, x, 0.1f, SUM, g1, g1)); /* a 12-element loss */
    }
}

int main(void)
{
    ctx = test_context(), other = test_context();
    x = make(ctx, CLNN_FLOAT32, 2, 3, 4, 0), y = make(ctx, CLNN_FLOAT32, 2, 3, 4, 0);
    small = make(ctx, CLNN_FLOAT32, 2, 2, 4, 0), wide = make(ctx, CLNN_FLOAT32, 2, 4, 3, 0);
    row1 = make(ctx, CLNN_FLOAT32, 2, 1, 4, 0), row1b = make(ctx, CLNN_FLOAT32, 2, 1, 4, 0);
    ints = make(ctx, CLNN_INT32, 2, 3, 4, 0), labels = make(ctx, CLNN_INT32, 1, 3, 0, 0);
    labels4 = make(ctx, CLNN_INT32, 1, 4, 0, 0), flabels = make(ctx, CLNN_FLOAT32, 1, 3, 0, 0);
    loss = make(ctx, CLNN_FLOAT32, 1, 1, 0, 0), loss2 = make(ctx, CLNN_FLOAT32, 1, 2, 0, 0);
    g1 = make(ctx, CLNN_FLOAT32, 2, 3, 4, 0), g2 = make(ctx, CLNN_FLOAT32, 2, 3, 4, 0);
    foreign = make(other, CLNN_FLOAT32, 2, 3, 4, 0);
    e = make(ctx, CLNN_FLOAT32, 3, 2, 3, 4), de = make(ctx, CLNN_FLOAT32, 3, 2, 3, 4);
    e1 = make(ctx, CLNN_FLOAT32, 3, 2, 1, 4), w = make(ctx, CLNN_FLOAT32, 1, 1, 0, 0);
    b = make(ctx, CLNN_FLOAT32, 1, 1, 0, 0), dw = make(ctx, CLNN_FLOAT32, 1, 1, 0, 0);
    db = make(ctx, CLNN_FLOAT32, 1, 1, 0, 0), iw = make(ctx, CLNN_INT32, 1, 1, 0, 0);
    /* 1x1 views, whose gradient could alias the 1-element loss */
    one = make(ctx, CLNN_FLOAT32, 2, 1, 1, 0), one2 = make(ctx, CLNN_FLOAT32, 2, 1, 1, 0);
    labels1 = make(ctx, CLNN_INT32, 1, 1, 0, 0);

    infonce_family_errors();
    alignment_errors();
    uniformity_errors();
    ge2e_errors();
    barlow_twins_errors();
    variance_penalty_errors();

    clnn_tensor *outputs[] = {x, y, small, wide, row1, row1b, loss, loss2, g1, g2,
                              e, de, e1,   w,    b,    dw,    db,   flabels, one, one2};
    const char *names[] = {"x", "y",  "small", "wide", "row1", "row1b", "loss",    "loss2", "g1",  "g2",
                           "e", "de", "e1",    "w",    "b",    "dw",    "db",      "flabels", "one", "one2"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        test_expect_filled(ctx, names[i], outputs[i], SENTINEL);
    clnn_tensor *all[] = {x,  y,  small, wide, row1, row1b, ints, labels, labels4, flabels, loss, loss2,
                          g1, g2, e,     de,   e1,   w,     b,    dw,     db,      iw,   one,   one2, labels1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
