/* Every metric / overlap loss function (include/clnn/metric_losses.h) given
 * NULL or bad arguments returns an error status and a message naming the
 * function, and changes nothing: the outputs of the rejected calls (and
 * AdaFace's statistics) keep their sentinel. */
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
static clnn_tensor *x, *w, *w3, *w5, *labels, *labels4, *flabels, *ints, *loss, *loss2, *dx, *dw, *dw3, *small, *stats,
    *stats3, *foreign, *one, *one_w, *labels1, *x12, *w12, *d12, *boxes, *tboxes, *boxes3, *gbox, *loss3, *loss12;

static void harmonic_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_harmonic_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_harmonic_loss(NULL, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, NULL, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, NULL, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, NULL, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, foreign, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, ints, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w5, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, flabels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels4, 2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 0.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, -2.0f, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, nan, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, inf, 1e-12f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 0.0f, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, nan, NULL, SUM, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, BAD_RED, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss2, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, small, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, x, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, w));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, foreign, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss, ints, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w3, labels, 2.0f, 1e-12f, NULL, SUM, loss, dx, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, one, one_w, labels1, 2.0f, 1e-12f, NULL, SUM, loss, loss, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, one, one_w, labels1, 2.0f, 1e-12f, NULL, SUM, loss, NULL, loss));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, NONE, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, NONE, loss12, dx, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, SUM, loss3, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, x, w, labels, 2.0f, 1e-12f, NULL, NONE, loss3, x, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_harmonic_loss(ctx, one, one_w, labels1, 2.0f, 1e-12f, NULL, NONE, loss, loss, NULL));
}

static void margin_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_margin_options_init";
    clnn_margin_options opt;
    EXPECT_FAIL(NULL, INVAL, f, clnn_margin_options_init(NULL, CLNN_MARGIN_ARCFACE));
    EXPECT_FAIL(NULL, INVAL, f, clnn_margin_options_init(&opt, (clnn_margin_kind)3));

    f = "clnn_margin_loss";
    clnn_margin_options arc, ada, bad;
    CHECK_OK(ctx, clnn_margin_options_init(&arc, CLNN_MARGIN_ARCFACE));
    CHECK_OK(ctx, clnn_margin_options_init(&ada, CLNN_MARGIN_ADAFACE));
    bad = arc;
    bad.size = 0; /* never initialised */
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    EXPECT_FAIL(NULL, INVAL, f, clnn_margin_loss(NULL, x, w, labels, &arc, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, NULL, w, labels, &arc, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, foreign, labels, &arc, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w5, labels, &arc, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels4, NULL, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &arc, NULL, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &arc, NULL, loss, dx, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &arc, NULL, loss, dx, w));
    bad = arc, bad.kind = (clnn_margin_kind)7;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.reduction = BAD_RED;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.scale = 0.0f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.scale = inf;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.margin = -0.1f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.margin = nan;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.margin = 2.0f; /* ArcFace: above pi/2 */
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    bad = arc, bad.easy_margin = 2;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &arc, stats, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &ada, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &ada, stats3, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &ada, ints, loss, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &ada, foreign, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &ada, stats, stats, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x12, w12, labels1, &ada, d12, loss, d12, NULL));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x12, w12, labels1, &ada, x12, loss, NULL, NULL));
    bad = arc, bad.reduction = NONE; /* one loss per row of x: 3 */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss, dx, dw));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss2, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_margin_loss(ctx, x, w, labels, &arc, NULL, loss3, dx, dw));
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, NULL, loss3, x, NULL));
    bad = ada, bad.h = 0.0f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, stats, loss, dx, dw));
    bad = ada, bad.momentum = 1.5f;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, stats, loss, dx, dw));
    bad = ada, bad.momentum = nan;
    EXPECT_FAIL(ctx, INVAL, f, clnn_margin_loss(ctx, x, w, labels, &bad, stats, loss, dx, dw));
}

/* Dice and Jaccard share their checks; both are run through them */
static void overlap_errors(void)
{
    const float nan = NAN;
    const char *f;
    for (int which = 0; which < 2; which++) {
        f = which ? "clnn_soft_jaccard_loss" : "clnn_soft_dice_loss";
#define OVERLAP(c, p, t, s, r, l, g) \
    (which ? clnn_soft_jaccard_loss(c, p, t, s, r, l, g) : clnn_soft_dice_loss(c, p, t, 1, s, r, l, g))
        EXPECT_FAIL(NULL, INVAL, f, OVERLAP(NULL, x, dw3, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, NULL, dw3, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, NULL, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, foreign, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, ints, dw3, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, small, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, w, 1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, -1.0f, SUM, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, nan, SUM, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, 1.0f, BAD_RED, loss, dx));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, 1.0f, SUM, NULL, NULL));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, dw3, 1.0f, SUM, loss2, dx));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, dw3, 1.0f, SUM, loss, small));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, 1.0f, SUM, loss, x));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, 1.0f, SUM, loss, dw3));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, one, one_w, 1.0f, SUM, loss, loss));
        /* NONE: one loss per sample (3) */
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, dw3, 1.0f, NONE, loss, dx));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, dw3, 1.0f, NONE, loss12, dx));
        EXPECT_FAIL(ctx, SHAPE, f, OVERLAP(ctx, x, dw3, 1.0f, SUM, loss3, NULL));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, x, dw3, 1.0f, NONE, loss3, dw3));
        EXPECT_FAIL(ctx, INVAL, f, OVERLAP(ctx, one, one_w, 1.0f, NONE, loss, loss));
#undef OVERLAP
    }
    EXPECT_FAIL(ctx, INVAL, "clnn_soft_dice_loss", clnn_soft_dice_loss(ctx, x, dw3, 2, 1.0f, SUM, loss, dx));
}

typedef clnn_status (*box_loss_fn)(clnn_context *, const clnn_tensor *, const clnn_tensor *, clnn_reduction,
                                    clnn_tensor *, clnn_tensor *);

static void box_errors(const char *f, box_loss_fn box)
{
    EXPECT_FAIL(NULL, INVAL, f, box(NULL, boxes, tboxes, SUM, loss, gbox));
    EXPECT_FAIL(ctx, INVAL, f, box(ctx, NULL, tboxes, SUM, loss, gbox));
    EXPECT_FAIL(ctx, INVAL, f, box(ctx, boxes, NULL, SUM, loss, gbox));
    EXPECT_FAIL(ctx, SHAPE, f, box(ctx, boxes3, boxes3, SUM, loss, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, box(ctx, boxes, boxes3, SUM, loss, gbox));
    EXPECT_FAIL(ctx, SHAPE, f, box(ctx, boxes, ints, SUM, loss, gbox));
    EXPECT_FAIL(ctx, INVAL, f, box(ctx, boxes, tboxes, BAD_RED, loss, gbox));
    EXPECT_FAIL(ctx, INVAL, f, box(ctx, boxes, tboxes, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, box(ctx, boxes, tboxes, SUM, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, box(ctx, boxes, tboxes, SUM, loss, tboxes));
    EXPECT_FAIL(ctx, SHAPE, f, box(ctx, boxes, tboxes, SUM, gbox, NULL));
    EXPECT_FAIL(ctx, INVAL, f, box(ctx, boxes, tboxes, SUM, loss, foreign));
}

static void madl_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *f = "clnn_madl_loss";
    EXPECT_FAIL(NULL, INVAL, f, clnn_madl_loss(NULL, x, dw3, 1.0f, 1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, NULL, dw3, 1.0f, 1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, x, small, 1.0f, 1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, ints, dw3, 1.0f, 1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, -1.0f, 1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, inf, 1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, -1.0f, SUM, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, nan, SUM, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, BAD_RED, loss, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, SUM, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, SUM, loss2, dx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, SUM, loss, small));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, SUM, loss, dw3));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, one, one_w, 1.0f, 1.0f, SUM, loss, loss));
    /* NONE: one loss per element (12) */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, NONE, loss, dx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, NONE, loss3, dx));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, SUM, loss12, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, NONE, dx, dx));
    EXPECT_FAIL(ctx, INVAL, f, clnn_madl_loss(ctx, x, dw3, 1.0f, 1.0f, NONE, dw3, NULL));
}

int main(void)
{
    ctx = test_context(), other = test_context();
    /* x [3, 4], w [5, 4] (and a w of x's shape, so that dx and dw could be one tensor) */
    x = make(ctx, CLNN_FLOAT32, 3, 4), w = make(ctx, CLNN_FLOAT32, 5, 4);
    w3 = make(ctx, CLNN_FLOAT32, 3, 4), w5 = make(ctx, CLNN_FLOAT32, 5, 5);
    labels = make(ctx, CLNN_INT32, 3, 1), labels4 = make(ctx, CLNN_INT32, 4, 1);
    flabels = make(ctx, CLNN_FLOAT32, 3, 1), ints = make(ctx, CLNN_INT32, 3, 4);
    loss = make(ctx, CLNN_FLOAT32, 1, 1), loss2 = make(ctx, CLNN_FLOAT32, 1, 2);
    dx = make(ctx, CLNN_FLOAT32, 3, 4), dw = make(ctx, CLNN_FLOAT32, 5, 4);
    dw3 = make(ctx, CLNN_FLOAT32, 3, 4), small = make(ctx, CLNN_FLOAT32, 2, 4);
    stats = make(ctx, CLNN_FLOAT32, 1, 2), stats3 = make(ctx, CLNN_FLOAT32, 1, 3);
    foreign = make(other, CLNN_FLOAT32, 3, 4);
    one = make(ctx, CLNN_FLOAT32, 1, 1), one_w = make(ctx, CLNN_FLOAT32, 1, 1);
    labels1 = make(ctx, CLNN_INT32, 1, 1);
    /* [1, 2]: an embedding of the size of AdaFace's statistics */
    x12 = make(ctx, CLNN_FLOAT32, 1, 2), w12 = make(ctx, CLNN_FLOAT32, 1, 2), d12 = make(ctx, CLNN_FLOAT32, 1, 2);
    boxes = make(ctx, CLNN_FLOAT32, 3, 4), tboxes = make(ctx, CLNN_FLOAT32, 3, 4);
    boxes3 = make(ctx, CLNN_FLOAT32, 4, 3), gbox = make(ctx, CLNN_FLOAT32, 3, 4);
    /* NONE losses: one per row / sample / box of x (3), one per element (12) */
    loss3 = make(ctx, CLNN_FLOAT32, 3, 1), loss12 = make(ctx, CLNN_FLOAT32, 12, 1);

    harmonic_errors();
    margin_errors();
    overlap_errors();
    box_errors("clnn_giou_loss", clnn_giou_loss);
    box_errors("clnn_diou_loss", clnn_diou_loss);
    box_errors("clnn_ciou_loss", clnn_ciou_loss);
    madl_errors();

    clnn_tensor *outputs[] = {x, w, w3, w5, flabels, loss, loss2, dx, dw, dw3, small, stats, stats3, one, one_w,
                              boxes, tboxes, boxes3, gbox, x12, w12, d12, loss3, loss12};
    const char *names[] = {"x",  "w",    "w3",    "w5",  "flabels", "loss",  "loss2",  "dx",     "dw",  "dw3",
                           "small", "stats", "stats3", "one", "one_w", "boxes", "tboxes", "boxes3", "gbox",
                           "x12", "w12", "d12", "loss3", "loss12"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        test_expect_filled(ctx, names[i], outputs[i], SENTINEL);

    clnn_tensor *all[] = {x,      w,     w3,   w5,    labels, labels4, flabels, ints,  loss,  loss2,
                          dx,     dw,    dw3,  small, stats,  stats3,  one,     one_w, labels1, boxes,
                          tboxes, boxes3, gbox, x12, w12, d12, loss3, loss12};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
