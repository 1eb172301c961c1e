/* Overlap, box and directional losses of include/clnn/metric_losses.h
 * (soft Dice, soft Jaccard, DIoU, MADL and GMADL) against the
 * double-precision references of tests/ref/ref_metric_losses.c on awkward
 * shapes: batch 1, one element per sample, odd lengths, samples and items
 * that are not multiples of any local size, chunk edges, inputs shifted to
 * magnitude 1e4, degenerate boxes, GMADL's tails, and (test_large) cases of
 * 2^18..2^20 elements. Every gradient is compared with central differences
 * of the reference value (in double); two calls give identical bits, so do
 * calls with fewer outputs, and so do two forced local sizes. The reduction
 * NONE (tests/reduce_none.h): one value per sample, box or element against
 * the reference, the gradients SUM's bit for bit. The embedding losses:
 * tests/test_metric_losses.c. */
#include "metric_losses_util.h"
#include "reduce_none.h"
#include "ref/ref_metric_losses.h"

/* ==================================================== overlap losses */

enum { O_DICE, O_DICE_SQUARED, O_JACCARD, N_OVERLAP };
static const char *const overlap_names[N_OVERLAP] = {"dice", "dice-squared", "jaccard"};
#define SMOOTH 1.0f

static double overlap_sample(int op, const double *p, const double *t, size_t len, double smooth)
{
    return op == O_JACCARD ? ref_soft_jaccard(p, t, len, smooth) : ref_soft_dice(p, t, len, op == O_DICE_SQUARED, smooth);
}

static clnn_status run_overlap(clnn_context *ctx, int op, const clnn_tensor *p, const clnn_tensor *t, float smooth,
                               clnn_reduction red, clnn_tensor *loss, clnn_tensor *g)
{
    if (op == O_JACCARD) return clnn_soft_jaccard_loss(ctx, p, t, smooth, red, loss, g);
    return clnn_soft_dice_loss(ctx, p, t, op == O_DICE_SQUARED, smooth, red, loss, g);
}

/* n samples of len elements; binary targets (segmentation masks) or soft. */
static void check_overlap(clnn_context *ctx, int op, size_t n, size_t len, int binary, float smooth,
                          clnn_reduction red, size_t stride)
{
    size_t total = n * len;
    float *p = xmalloc(total * sizeof *p), *t = xmalloc(total * sizeof *t);
    test_fill_uniform(p, total, (unsigned)(n * 7 + len + (size_t)op), 0.0f, 1.0f);
    test_fill_uniform(t, total, (unsigned)(n * 5 + len), 0.0f, 1.0f);
    if (binary)
        for (size_t i = 0; i < total; i++) t[i] = t[i] < 0.3f ? 1.0f : 0.0f;
    char what[160];
    snprintf(what, sizeof what, "%s %zu x %zu %s smooth %g %s", overlap_names[op], n, len, binary ? "binary" : "soft",
             (double)smooth, red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    clnn_tensor *tp = upload(ctx, n, len, p), *tt = upload(ctx, n, len, t);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *g = new_tensor(ctx, CLNN_FLOAT32, n, len);
    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, loss, g));
    float value = read_scalar(ctx, loss), *gd = test_download(ctx, g);
    double *pd = to_double(p, total), *td = to_double(t, total), want = 0.0;
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    for (size_t s = 0; s < n; s++) want += overlap_sample(op, pd + s * len, td + s * len, len, smooth);
    want *= scale;
    /* the per-sample ratio of fp32 sums over len elements: 1e-6 relative per
     * sample, plus the losses' cancellation 1 - q near q = 1 */
    double tol = 2e-6 * (double)n * scale + 1e-6 * fabs(want);
    CHECK(fabs(value - want) <= tol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", what, value, want, tol);

    size_t count = 0;
    float *got = xmalloc(total * sizeof *got);
    double *fd = xmalloc(total * sizeof *fd);
    for (size_t e = 0; e < total; e += stride) {
        size_t s = e / len;
        double keep = pd[e], h = 1e-6, up, down;
        pd[e] = keep + h;
        up = overlap_sample(op, pd + s * len, td + s * len, len, smooth);
        pd[e] = keep - h;
        down = overlap_sample(op, pd + s * len, td + s * len, len, smooth);
        pd[e] = keep;
        got[count] = gd[e];
        fd[count++] = scale * (up - down) / (2 * h);
    }
    check_grad(what, "dprobs", got, fd, count, 1e-3);

    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, loss, g));
    float value2 = read_scalar(ctx, loss), *gd2 = test_download(ctx, g);
    CHECK(same_bits(&value, &value2, 1) && same_bits(gd, gd2, total), "%s: a second call changed bits", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, NULL, g));
    gd2 = test_download(ctx, g);
    CHECK(same_bits(gd, gd2, total) && read_scalar(ctx, loss) == -7.0f, "%s: gradient-only call differs", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(g, 0.0f));
    CHECK_OK(ctx, run_overlap(ctx, op, tp, tt, smooth, red, loss, NULL));
    gd2 = test_download(ctx, g);
    CHECK(read_scalar(ctx, loss) == value && gd2[0] == 0.0f && gd2[total - 1] == 0.0f,
          "%s: loss-only call differs or wrote the gradient", what);
    free(gd2);
    free(p), free(t), free(gd), free(pd), free(td), free(got), free(fd);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}
/* ======================================================= DIoU and MADL */

/* Box pairs: centres in [0, 10), sizes in [0.5, 3); the target is the box
 * moved by up to 2 and resized, so pairs overlap, nest or miss. A pred
 * coordinate equal to a target coordinate of the same axis is a kink of the
 * loss (min / max ties, touching boxes; check_box_degenerate has them):
 * rounding at 1e4 makes a few, and the pred box is moved off them so that
 * central differences apply. */
static void make_boxes(size_t n, unsigned seed, int big, float *p, float *t)
{
    float *u = xmalloc(8 * n * sizeof *u);
    test_fill_uniform(u, 8 * n, seed, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        const float *v = u + 8 * i;
        float cx = 10 * v[0], cy = 10 * v[1], w = 0.5f + 2.5f * v[2], h = 0.5f + 2.5f * v[3];
        float tx = cx + 4 * v[4] - 2, ty = cy + 4 * v[5] - 2, tw = 0.5f + 2.5f * v[6], th = 0.5f + 2.5f * v[7];
        float off = big ? 1e4f : 0.0f;
        float pb[4] = {cx - w / 2 + off, cy - h / 2 + off, cx + w / 2 + off, cy + h / 2 + off};
        float tb[4] = {tx - tw / 2 + off, ty - th / 2 + off, tx + tw / 2 + off, ty + th / 2 + off};
        for (int axis = 0; axis < 2; axis++)
            for (int tie = 1; tie;) {
                tie = 0;
                for (int a = axis; a < 4; a += 2)
                    for (int b = axis; b < 4; b += 2) tie |= pb[a] == tb[b];
                if (tie) pb[axis] += big ? 1e-2f : 1e-5f, pb[axis + 2] += big ? 1e-2f : 1e-5f;
            }
        memcpy(p + 4 * i, pb, sizeof pb);
        memcpy(t + 4 * i, tb, sizeof tb);
    }
    free(u);
}

enum { P_GIOU, P_DIOU, P_CIOU, P_MADL, P_GMADL, P_GMADL_SQ, N_POINT };
static const char *const point_names[N_POINT] = {"giou", "diou", "ciou", "madl", "gmadl a=5", "gmadl a=5 b=2"};
static const float point_a[N_POINT] = {0, 0, 0, 0, 5, 5}, point_b[N_POINT] = {0, 0, 0, 1, 1, 2};

static int is_box(int op) { return op <= P_CIOU; }

/* CIoU's alpha per box, held constant while a finite difference runs (the
 * gradient holds it constant); NULL: computed from the boxes. */
static const double *ciou_alpha_held;

/* The reference term of item i (a box for DIoU, an element otherwise). */
static double point_item(int op, const double *p, const double *t, size_t i)
{
    if (op == P_GIOU) return ref_giou(p + 4 * i, t + 4 * i);
    if (op == P_DIOU) return ref_diou(p + 4 * i, t + 4 * i);
    if (op == P_CIOU) return ref_ciou(p + 4 * i, t + 4 * i, ciou_alpha_held ? ciou_alpha_held[i] : -1.0);
    return ref_madl(p[i], t[i], point_a[op], point_b[op]);
}

static clnn_status run_point(clnn_context *ctx, int op, const clnn_tensor *p, const clnn_tensor *t,
                             clnn_reduction red, clnn_tensor *loss, clnn_tensor *g)
{
    if (op == P_GIOU) return clnn_giou_loss(ctx, p, t, red, loss, g);
    if (op == P_DIOU) return clnn_diou_loss(ctx, p, t, red, loss, g);
    if (op == P_CIOU) return clnn_ciou_loss(ctx, p, t, red, loss, g);
    return clnn_madl_loss(ctx, p, t, point_a[op], point_b[op], red, loss, g);
}

static void check_point(clnn_context *ctx, int op, size_t items, clnn_reduction red, int big, size_t stride)
{
    size_t width = is_box(op) ? 4 : 1, total = items * width;
    float *p = xmalloc(total * sizeof *p), *t = xmalloc(total * sizeof *t);
    if (is_box(op)) {
        make_boxes(items, (unsigned)items, big, p, t);
    } else { /* returns of either sign; big: products up to 1e8 (saturated sigmoid) */
        test_fill_uniform(p, total, (unsigned)items + 3, -1.0f, 1.0f);
        test_fill_uniform(t, total, (unsigned)items + 4, -1.0f, 1.0f);
        for (size_t i = 0; big && i < total; i++) p[i] *= 1e4f, t[i] *= 1e4f;
    }
    char what[160];
    snprintf(what, sizeof what, "%s %zu %s%s", point_names[op], items, red == CLNN_REDUCE_MEAN ? "mean" : "sum",
             big ? " (1e4 inputs)" : "");
    clnn_tensor *tp = upload(ctx, items, width, p), *tt = upload(ctx, items, width, t);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *g = new_tensor(ctx, CLNN_FLOAT32, items, width);
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, loss, g));
    float value = read_scalar(ctx, loss), *gd = test_download(ctx, g);
    double *pd = to_double(p, total), *td = to_double(t, total), want = 0.0, mag = 0.0;
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)items : 1.0;
    for (size_t i = 0; i < items; i++) {
        double v = point_item(op, pd, td, i);
        want += v, mag += fabs(v);
    }
    /* fp32 terms (1e-6 relative each, boxes far from the origin included),
     * summed in fp32 */
    double tol = 2e-6 * scale * mag + 1e-7;
    CHECK(fabs(value - scale * want) <= tol, "%s: loss %.9g, reference %.9g (tolerance %.3g)", what, value,
          scale * want, tol);

    size_t count = 0;
    float *got = xmalloc(total * sizeof *got);
    double *fd = xmalloc(total * sizeof *fd), *alpha = NULL;
    if (op == P_CIOU) {
        alpha = xmalloc(items * sizeof *alpha);
        for (size_t i = 0; i < items; i++) alpha[i] = ref_ciou_alpha(pd + 4 * i, td + 4 * i);
        ciou_alpha_held = alpha;
    }
    for (size_t e = 0; e < total; e += stride) {
        size_t i = e / width;
        double keep = pd[e], h = 1e-6, up, down; /* absolute: boxes at 1e4 keep their curvature scale */
        pd[e] = keep + h;
        up = point_item(op, pd, td, i);
        pd[e] = keep - h;
        down = point_item(op, pd, td, i);
        pd[e] = keep;
        got[count] = gd[e];
        fd[count++] = scale * (up - down) / (2 * h);
    }
    ciou_alpha_held = NULL;
    free(alpha);
    if (op == P_MADL) { /* the sign's gradient: 0 everywhere (no finite difference straddles a sign change here) */
        size_t nonzero = 0;
        for (size_t i = 0; i < total; i++) nonzero += gd[i] != 0.0f;
        CHECK(nonzero == 0 && max_abs(fd, count) == 0.0, "%s: %zu nonzero gradient entries", what, nonzero);
    } else {
        check_grad(what, "dpred", got, fd, count, 1e-3);
    }

    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, loss, g));
    float value2 = read_scalar(ctx, loss), *gd2 = test_download(ctx, g);
    CHECK(same_bits(&value, &value2, 1) && same_bits(gd, gd2, total), "%s: a second call changed bits", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(g, 3.0f));
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, loss, NULL));
    gd2 = test_download(ctx, g);
    CHECK(read_scalar(ctx, loss) == value && gd2[0] == 3.0f, "%s: loss-only call differs or wrote the gradient", what);
    free(gd2);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, red, NULL, g));
    gd2 = test_download(ctx, g);
    CHECK(same_bits(gd, gd2, total) && read_scalar(ctx, loss) == -7.0f, "%s: gradient-only call differs", what);
    free(gd2);
    free(p), free(t), free(gd), free(pd), free(td), free(got), free(fd);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* Issue 19, GMADL tails: the gradient where the sigmoid saturates, v = a R
 * R^ from 0.25 to 80 in magnitude, both signs, against double code written
 * here from the definition: loss = -(σ(v) - ½)|R|^b = -½ tanh(v/2) |R|^b,
 * d/dR^ = -a R σ'(v) |R|^b, σ'(v) = e/(1 + e)², e = exp(-|v|) (NONE: one
 * value per element). a, R and R^ are powers of two or small integers, so v
 * and |R|^b are exact in fp32 and the reference sees the device's inputs.
 * Tolerance 1e-5 of each value and each gradient entry: what the kernel
 * promises is e to OpenCL's exp (3-4 ulp) and a few roundings, ~1e-6; e
 * stays a normal float up to |v| = 87 (beyond, the true gradient is below
 * FLT_MIN). Before the fix e was 1 + expm1(-|v|): 2.6% off at v = 15,
 * -0 instead of -4.14e-8 at v = 17 (pred 17, target 1, a = b = 1). */
static void check_gmadl_tails(clnn_context *ctx)
{
    static const float preds[] = {0.25f, 1, 3, 8, 15, 16, 17, 20, 24, 30, 40, 50, 64, 80};
    static const struct {
        float a, b, r;
    } sets[] = {{1, 1, 1}, {1, 1, -1}, {0.5f, 2, 2}, {2, 0.5f, -0.5f}, {4, 1, 0.25f}};
    const size_t np = sizeof preds / sizeof preds[0], n = 2 * np;
    float p[2 * sizeof preds / sizeof preds[0]], t[2 * sizeof preds / sizeof preds[0]];
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        const float a = sets[s].a, b = sets[s].b;
        for (size_t i = 0; i < np; i++) { /* v = +-preds[i] */
            p[2 * i] = preds[i] / (a * sets[s].r), p[2 * i + 1] = -p[2 * i];
            t[2 * i] = t[2 * i + 1] = sets[s].r;
        }
        clnn_tensor *tp = upload(ctx, n, 1, p), *tt = upload(ctx, n, 1, t);
        clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, n, 0), *g = new_tensor(ctx, CLNN_FLOAT32, n, 1);
        CHECK_OK(ctx, clnn_madl_loss(ctx, tp, tt, a, b, CLNN_REDUCE_NONE, loss, g));
        float *v = test_download(ctx, loss), *gd = test_download(ctx, g);
        double worst_v = 0.0, worst_g = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double r = t[i], u = (double)a * r * p[i], w = pow(fabs(r), (double)b), e = exp(-fabs(u));
            const double want = -0.5 * tanh(u / 2) * w, gw = -(double)a * r * (e / ((1 + e) * (1 + e))) * w;
            double ev = fabs(v[i] - want) / (1e-5 * fabs(want)), eg = fabs(gd[i] - gw) / (1e-5 * fabs(gw));
            worst_v = fmax(worst_v, ev != ev ? INFINITY : ev);
            worst_g = fmax(worst_g, eg != eg ? INFINITY : eg);
            if (s == 0 && (p[i] == 15.0f || p[i] == 17.0f))
                printf("gmadl a=1 b=1, pred %g, target 1: loss %.9g (reference %.9g), gradient %.9g (reference %.9g)\n",
                       (double)p[i], v[i], want, gd[i], gw);
        }
        printf("gmadl a=%g b=%g target %g, |v| 0.25 to 80: worst errors %.3g (values), %.3g (gradients) of the "
               "tolerance\n",
               (double)a, (double)b, (double)sets[s].r, worst_v, worst_g);
        CHECK(worst_v <= 1.0 && worst_g <= 1.0,
              "gmadl a=%g b=%g target %g in the sigmoid's tails: values off by %.3g, gradients by %.3g of the "
              "tolerance (1e-5 relative)",
              (double)a, (double)b, (double)sets[s].r, worst_v, worst_g);
        free(v), free(gd);
        clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
    }
}

/* The box losses on degenerate boxes (header): identical points, a
 * zero-width box, an inverted box, identical boxes, touching boxes: values
 * against the reference, gradients finite. */
static void check_box_degenerate(clnn_context *ctx, int op)
{
    float p[] = {1, 1, 1, 1, /**/ 2, 0, 2, 3, /**/ 3, 3, 1, 1, /**/ 0, 0, 2, 2, /**/ 0, 0, 1, 1, /**/ 5, 5, 5, 5};
    float t[] = {1, 1, 1, 1, /**/ 0, 0, 4, 4, /**/ 0, 0, 2, 2, /**/ 0, 0, 2, 2, /**/ 1, 0, 2, 1, /**/ 0, 0, 1, 1};
    size_t n = sizeof p / sizeof p[0] / 4;
    clnn_tensor *tp = upload(ctx, n, 4, p), *tt = upload(ctx, n, 4, t);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 0), *g = new_tensor(ctx, CLNN_FLOAT32, n, 4);
    double pd[24], td[24], want = 0.0;
    for (size_t i = 0; i < 4 * n; i++) pd[i] = p[i], td[i] = t[i];
    for (size_t i = 0; i < n; i++) want += point_item(op, pd, td, i);
    CHECK_OK(ctx, run_point(ctx, op, tp, tt, CLNN_REDUCE_SUM, loss, g));
    float got = read_scalar(ctx, loss), *gd = test_download(ctx, g);
    int finite = 1;
    for (size_t i = 0; i < 4 * n; i++) finite &= isfinite(gd[i]) != 0;
    CHECK(fabs(got - want) <= 1e-5 * (1 + fabs(want)) && finite, "%s degenerate boxes: %g vs %g%s", point_names[op],
          got, want, finite ? "" : " (gradient not finite)");
    /* identical boxes: loss 0 */
    CHECK(fabs(point_item(op, pd, td, 3)) < 1e-6, "reference: identical boxes have %s loss 0", point_names[op]);
    free(gd);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* ======================================================= reduction NONE */

typedef struct none_arg {
    int overlap; /* 1 overlap, 0 point */
    int op;
    const clnn_tensor *a, *b; /* probs and targets, pred and target */
} none_arg;

static clnn_status none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                             clnn_tensor *const *grads)
{
    const none_arg *a = p;
    if (a->overlap) return run_overlap(ctx, a->op, a->a, a->b, SMOOTH, red, loss, grads[0]);
    return run_point(ctx, a->op, a->a, a->b, red, loss, grads[0]);
}

/* Overlap losses: one loss per sample; point losses: one per box or element. */
static void check_none_items(clnn_context *ctx, int overlap, int op, size_t n, size_t len)
{
    size_t width = overlap ? len : is_box(op) ? 4 : 1, total = n * width;
    float *p = xmalloc(total * sizeof *p), *t = xmalloc(total * sizeof *t);
    if (!overlap && is_box(op)) {
        make_boxes(n, (unsigned)n + 5, 0, p, t);
    } else {
        test_fill_uniform(p, total, (unsigned)(n * 3 + len + (size_t)op), overlap ? 0.0f : -1.0f, 1.0f);
        test_fill_uniform(t, total, (unsigned)(n * 3 + len + 9), overlap ? 0.0f : -1.0f, 1.0f);
    }
    double *pd = to_double(p, total), *td = to_double(t, total), *ref = xmalloc(n * sizeof *ref);
    for (size_t i = 0; i < n; i++)
        ref[i] = overlap ? overlap_sample(op, pd + i * len, td + i * len, len, SMOOTH) : point_item(op, pd, td, i);
    clnn_tensor *tp = upload(ctx, n, width, p), *tt = upload(ctx, n, width, t);
    clnn_tensor *g = new_tensor(ctx, CLNN_FLOAT32, n, width);
    char what[96];
    snprintf(what, sizeof what, "%s %zu x %zu none", overlap ? overlap_names[op] : point_names[op], n, width);
    none_arg a = {overlap, op, tp, tt};
    /* a ratio of fp32 sums (overlap) or one fp32 term: 2e-6 relative, plus 1e-6 near 0 */
    rn_case rc = {what, none_call, &a, n, ref, 1e-6, 2e-6, 1, &g};
    rn_check(ctx, &rc);
    free(p), free(t), free(pd), free(td), free(ref);
    clnn_tensor_release(tp), clnn_tensor_release(tt), clnn_tensor_release(g);
}

/* ========================================================= local sizes */

/* The tensors of the local-size check's loss calls. */
typedef struct local_args {
    clnn_tensor *tp, *tt, *boxes, *tboxes, *loss, *gp, *gbox;
} local_args;

static void run_local(clnn_context *ctx, size_t k, const void *arg, clnn_tensor **out1, clnn_tensor **out2)
{
    const local_args *t = arg;
    *out1 = t->gp, *out2 = NULL;
    if (k == 0) {
        CHECK_OK(ctx, clnn_soft_jaccard_loss(ctx, t->tp, t->tt, 1.0f, CLNN_REDUCE_MEAN, t->loss, t->gp));
    } else if (k == 1) {
        CHECK_OK(ctx, clnn_ciou_loss(ctx, t->boxes, t->tboxes, CLNN_REDUCE_MEAN, t->loss, t->gbox));
        *out1 = t->gbox;
    } else {
        CHECK_OK(ctx, clnn_madl_loss(ctx, t->tp, t->tt, 3.0f, 1.0f, CLNN_REDUCE_MEAN, t->loss, t->gp));
    }
}

/* The overlap, DIoU and MADL kernels under forced local sizes (ml_check_local_sizes). */
static void check_local_sizes(clnn_context *ctx)
{
    static const char *const ids[] = {"metric.overlap_partial", "metric.box_iou", "metric.madl"};
    /* small mode: 2 chunks per sample, of MADL elements and of boxes */
    size_t n = test_small() ? 2 : 37, len = test_small() ? 4100 : 5000;
    float *x = xmalloc(n * len * sizeof *x), *y = xmalloc(n * len * sizeof *y);
    test_fill_uniform(x, n * len, 41, 0.0f, 1.0f);
    test_fill_uniform(y, n * len, 42, 0.0f, 1.0f);
    local_args t = {upload(ctx, n, len, x),
                    upload(ctx, n, len, y),
                    upload(ctx, n * len / 4, 4, x),
                    upload(ctx, n * len / 4, 4, y),
                    new_tensor(ctx, CLNN_FLOAT32, 1, 0),
                    new_tensor(ctx, CLNN_FLOAT32, n, len),
                    new_tensor(ctx, CLNN_FLOAT32, n * len / 4, 4)};
    ml_check_local_sizes(ctx, ids, sizeof ids / sizeof ids[0], run_local, &t, t.loss);
    clnn_tensor *all[] = {t.tp, t.tt, t.boxes, t.tboxes, t.loss, t.gp, t.gbox};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    free(x), free(y);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const int small = test_small();
    const clnn_reduction MEAN = CLNN_REDUCE_MEAN, SUM = CLNN_REDUCE_SUM;

    /* overlap losses: batch 1, one element per sample, odd lengths, chunk edges (4096) */
    for (int op = 0; op < N_OVERLAP; op++) {
        check_overlap(ctx, op, 1, 1, 1, SMOOTH, SUM, 1);
        check_overlap(ctx, op, 3, 7, 0, 0.0f, MEAN, 1);
        check_overlap(ctx, op, small ? 2 : 5, 257, 1, SMOOTH, MEAN, 1);
        if (!small) check_overlap(ctx, op, 2, 4097, 0, 0.5f, SUM, 13); /* small mode: two chunks in check_local_sizes */
        if (test_large("overlap losses on 3 x 349527 elements (2^20 + 5)"))
            check_overlap(ctx, op, 3, 349527, 1, SMOOTH, MEAN, 997);
    }

    /* boxes and directional losses: 1 item, odd counts, chunk edges, 1e4 inputs */
    for (int op = 0; op < N_POINT; op++) {
        check_point(ctx, op, 1, SUM, 0, 1);
        check_point(ctx, op, 13, MEAN, 0, 1);
        check_point(ctx, op, 1025, SUM, 1, 1);
        if (!small) check_point(ctx, op, 4099, MEAN, 0, 7); /* small mode: two chunks in check_local_sizes */
        if (test_large("box and directional losses on 2^18 + 3 items"))
            check_point(ctx, op, (1u << 18) + 3, MEAN, 0, 1009);
    }
    for (int op = P_GIOU; op <= P_CIOU; op++) check_box_degenerate(ctx, op);
    check_gmadl_tails(ctx);

    /* NONE: every loss once on the simulator (an odd sample length, two
     * chunks of boxes and of elements); more shapes on a real device */
    const int every_none = test_large("NONE on more shapes (2 chunks of overlap samples)");
    for (int op = 0; op < N_OVERLAP; op++) {
        check_none_items(ctx, 1, op, 3, 7);
        if (every_none) check_none_items(ctx, 1, op, 5, 4097);
    }
    for (int op = 0; op < N_POINT; op++) {
        check_none_items(ctx, 0, op, is_box(op) ? 1025 : 4099, 0);
        if (every_none) check_none_items(ctx, 0, op, 1, 0);
    }
    check_local_sizes(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
