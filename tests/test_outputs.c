/* Output regularizers (include/clnn/outputs.h) against the double-precision
 * reference (tests/ref/ref_outputs.c): rows 1, 7, 13 x classes 1, 31, 257
 * (257 > the row skeleton's 256 lanes), both reductions, logits shifted to
 * magnitude 1e4, and one case of more than 2^20 elements. Every gradient is
 * compared with central finite differences of the reference value, taken in
 * double; two calls give identical bits; a call without the gradient gives
 * the same loss bits, and one without the loss the same gradient bits. The
 * reduction NONE (tests/reduce_none.h): one value per row against the
 * reference row, gradients equal to SUM's bit for bit. */
#include "check.h"
#include "reduce_none.h"
#include "ref/ref.h"

#include <float.h>
#include <math.h>

#define BETA 0.7f  /* confidence-penalty strength used throughout */
#define COEF 0.3f  /* z-loss coefficient */
#define ALPHA 0.35f

enum op { OP_ENTROPY, OP_ZLOSS, OP_KL_PQ, OP_KL_QP, OP_JS, OP_SMCE, OP_PROB_ENTROPY, N_OPS };
static const char *const op_names[N_OPS] = {"confidence_penalty", "z_loss", "kl(p||q)", "kl(q||p)", "js",
                                            "stablemax_ce", "prob_entropy"};
static int two_sets(int op) { return op == OP_KL_PQ || op == OP_KL_QP || op == OP_JS; }

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static clnn_tensor *new_tensor(clnn_context *ctx, clnn_dtype dtype, size_t rows, size_t cols)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, dtype, 2, shape, &t));
    REQUIRE(t, "tensor");
    return t;
}

static float read_scalar(clnn_context *ctx, const clnn_tensor *t)
{
    float v = NAN;
    CHECK_OK(ctx, clnn_tensor_download(t, &v, sizeof v));
    return v;
}

/* The reference value of one row (unreduced). */
static double ref_row(int op, const double *x, const double *q, size_t c, int label)
{
    switch (op) {
    case OP_ENTROPY: return -(double)BETA * ref_out_entropy(x, c);
    case OP_ZLOSS: {
        double l = ref_out_lse(x, c);
        return (double)COEF * l * l;
    }
    case OP_KL_PQ: return ref_out_kl(x, q, c);
    case OP_KL_QP: return ref_out_kl(q, x, c);
    case OP_JS: return ref_out_js(x, q, c);
    case OP_PROB_ENTROPY: return -(double)BETA * ref_out_prob_entropy(x, c);
    default: return ref_out_stablemax_ce(x, c, label);
    }
}

static clnn_status run_op(clnn_context *ctx, int op, const clnn_tensor *x, const clnn_tensor *q,
                          const clnn_tensor *labels, clnn_reduction red, clnn_tensor *loss, clnn_tensor *gx,
                          clnn_tensor *gq)
{
    switch (op) {
    case OP_ENTROPY: return clnn_confidence_penalty(ctx, x, BETA, red, loss, gx);
    case OP_ZLOSS: return clnn_z_loss(ctx, x, COEF, red, loss, gx);
    case OP_KL_PQ: return clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, red, loss, gx, gq);
    case OP_KL_QP: return clnn_kl_div_logits(ctx, x, q, CLNN_KL_QP, red, loss, gx, gq);
    case OP_JS: return clnn_js_div_logits(ctx, x, q, red, loss, gx, gq);
    case OP_PROB_ENTROPY: return clnn_prob_entropy_penalty(ctx, x, BETA, red, loss, gx);
    default: return clnn_stablemax_cross_entropy(ctx, x, labels, red, loss, gx);
    }
}

/* log sum_k exp(x_k - m0) */
static double shifted_log_sum(const double *x, size_t c, double m0)
{
    double sum = 0.0;
    for (size_t k = 0; k < c; k++) sum += exp(x[k] - m0);
    return log(sum);
}

/* Central difference of the reference row value wrt element j of row `in`
 * (x when which = 0, q otherwise), in double. h = 1e-5: truncation error
 * ~h^2 |f'''| < 1e-8 and rounding ~1e-16 |f| / h < 1e-9 (z-loss rows of
 * 1e8 are differenced before squaring, below); StableMax is C^1 with a jump
 * of s'' at 0, which adds at most ~h to a difference straddling it. */
static double fd_row(int op, const float *xr, const float *qr, size_t c, int label, int which, size_t j)
{
    double *x = malloc(c * sizeof *x), *q = malloc(c * sizeof *q);
    REQUIRE(x && q, "host memory");
    for (size_t k = 0; k < c; k++) x[k] = xr[k], q[k] = qr[k];
    double *v = which ? q : x, h = 1e-5, orig = v[j];
    /* z-loss: with lse = m0 + L, L = log sum exp(x - m0) for the fixed m0 of
     * the unperturbed row, COEF (lse+^2 - lse-^2) = COEF (L+ - L-)(2 m0 + L+ + L-):
     * differences of L near 1, not of squares near 1e8 */
    double m0 = -INFINITY;
    for (size_t k = 0; k < c; k++) m0 = x[k] > m0 ? x[k] : m0;
    v[j] = orig + h;
    double up = op == OP_ZLOSS ? shifted_log_sum(x, c, m0) : ref_row(op, x, q, c, label);
    v[j] = orig - h;
    double down = op == OP_ZLOSS ? shifted_log_sum(x, c, m0) : ref_row(op, x, q, c, label);
    free(x);
    free(q);
    if (op == OP_ZLOSS) return (double)COEF * (up - down) * (2 * m0 + up + down) / (2 * h);
    return (up - down) / (2 * h);
}

static float *make_input(size_t n, unsigned seed, float lo, float hi, size_t cols, int big)
{
    float *x = malloc(n * sizeof *x);
    REQUIRE(x, "host memory");
    test_fill_uniform(x, n, seed, lo, hi);
    if (big) /* the first row near 1e4 */
        for (size_t j = 0; j < cols; j++) x[j] += 1e4f;
    return x;
}

/* The loss against the reference sum of the rows, times scale: fp32
 * accumulation over the rows and classes: 1e-5 of the magnitude of the
 * terms, plus 1e-6 absolute for values that cancel to ~0 (KL of nearly equal
 * rows, cols = 1) */
static void check_value(const char *what, int op, const float *x, const float *q, const int32_t *labels, size_t rows,
                        size_t cols, double scale, float value)
{
    double want = 0.0, mag = 0.0;
    double *row_x = malloc(cols * sizeof *row_x), *row_q = malloc(cols * sizeof *row_q);
    REQUIRE(row_x && row_q, "host memory");
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) row_x[j] = x[r * cols + j], row_q[j] = q[r * cols + j];
        double v = ref_row(op, row_x, row_q, cols, labels[r]);
        want += v;
        mag += fabs(v);
    }
    want *= scale;
    mag *= scale;
    double err = fabs((double)value - want) / (1e-6 + 1e-5 * mag);
    CHECK(err <= 1.0, "%s: loss %.9g, reference %.9g (error %.3g of tolerance)", what, value, want, err);
    free(row_x), free(row_q);
}

/* One op on one shape: value, gradients (FD on every element, or every
 * `stride`-th), repeatability and the optional outputs. */
static void check_case(clnn_context *ctx, int op, size_t rows, size_t cols, clnn_reduction red, int big,
                       size_t stride)
{
    size_t n = rows * cols;
    unsigned seed = (unsigned)(rows * 977 + cols * 13 + (unsigned)op);
    /* prob_entropy takes probability-like entries in (0, 1]; h = 1e-5 stays
     * well inside their domain (>= 1e-3) */
    int probs = op == OP_PROB_ENTROPY;
    float *x = make_input(n, seed, probs ? 1e-3f : -5.0f, probs ? 1.0f : 5.0f, cols, big && !probs), *q = make_input(n, seed + 1, -3.0f, 3.0f, cols, big);
    int32_t *labels = malloc(rows * sizeof *labels);
    REQUIRE(labels, "host memory");
    for (size_t i = 0; i < rows; i++) labels[i] = (int32_t)((i * 7 + 3) % cols);
    size_t shape[2] = {rows, cols};
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tq = test_tensor_from(ctx, 2, shape, q);
    clnn_tensor *tl = new_tensor(ctx, CLNN_INT32, rows, 1);
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1), *gx = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    clnn_tensor *gq = two_sets(op) ? new_tensor(ctx, CLNN_FLOAT32, rows, cols) : NULL;
    char what[160];
    snprintf(what, sizeof what, "%s %zux%zu %s%s", op_names[op], rows, cols, red == CLNN_REDUCE_MEAN ? "mean" : "sum",
             big ? " (1e4 logits)" : "");

    CHECK_OK(ctx, run_op(ctx, op, tx, tq, tl, red, loss, gx, gq));
    float value = read_scalar(ctx, loss);
    float *g1 = test_download(ctx, gx), *g2 = gq ? test_download(ctx, gq) : NULL;

    /* value: the reference sum of the rows, scaled */
    double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)rows : 1.0;
    check_value(what, op, x, q, labels, rows, cols, scale, value);

    /* gradients against central differences of the reference: the device
     * works in fp32 on terms of size ~1 (p_j log p_j, lse, s'(x)/S), so
     * 2e-5 absolute (times the reduction scale) + 1e-3 relative */
    size_t count = 0;
    float *got = malloc(2 * n * sizeof *got);
    double *fd = malloc(2 * n * sizeof *fd);
    REQUIRE(got && fd, "host memory");
    for (int which = 0; which <= (two_sets(op) ? 1 : 0); which++)
        for (size_t e = 0; e < n; e += stride) {
            size_t r = e / cols, j = e % cols;
            got[count] = (which ? g2 : g1)[e];
            fd[count++] = scale * fd_row(op, x + r * cols, q + r * cols, cols, labels[r], which, j);
        }
    double err = test_max_rel_error(got, fd, count, 2e-5 * scale, 1e-3);
    CHECK(err <= 1.0, "%s: gradient vs finite differences: error %.3g of tolerance (%zu elements)", what, err, count);

    /* the same bits again, and from the loss-only / gradient-only calls */
    CHECK_OK(ctx, run_op(ctx, op, tx, tq, tl, red, loss, gx, gq));
    float value2 = read_scalar(ctx, loss);
    float *h1 = test_download(ctx, gx), *h2 = gq ? test_download(ctx, gq) : NULL;
    CHECK(same_bits(&value, &value2, 1) && same_bits(g1, h1, n) && (!gq || same_bits(g2, h2, n)),
          "%s: a second call changed bits", what);
    CHECK_OK(ctx, clnn_tensor_fill(gx, 0.0f));
    CHECK_OK(ctx, run_op(ctx, op, tx, tq, tl, red, loss, NULL, NULL));
    float value3 = read_scalar(ctx, loss);
    float *h3 = test_download(ctx, gx);
    CHECK(same_bits(&value, &value3, 1), "%s: loss-only call gives other bits", what);
    CHECK(h3[0] == 0.0f && h3[n - 1] == 0.0f, "%s: loss-only call wrote the gradient", what);
    CHECK_OK(ctx, clnn_tensor_fill(loss, -7.0f));
    CHECK_OK(ctx, run_op(ctx, op, tx, tq, tl, red, NULL, gx, gq));
    float *h4 = test_download(ctx, gx);
    CHECK(same_bits(g1, h4, n) && read_scalar(ctx, loss) == -7.0f, "%s: gradient-only call differs", what);

    free(h1), free(h2), free(h3), free(h4), free(g1), free(g2), free(got), free(fd);
    free(x), free(q), free(labels);
    clnn_tensor_release(tx), clnn_tensor_release(tq), clnn_tensor_release(tl);
    clnn_tensor_release(loss), clnn_tensor_release(gx), clnn_tensor_release(gq);
}

/* NONE: the per-row values of each op against ref_row. */
typedef struct none_arg {
    int op;
    const clnn_tensor *x, *q, *labels;
} none_arg;

static clnn_status none_call(clnn_context *ctx, const void *p, clnn_reduction red, clnn_tensor *loss,
                             clnn_tensor *const *grads)
{
    const none_arg *a = p;
    return run_op(ctx, a->op, a->x, a->q, a->labels, red, loss, grads[0], two_sets(a->op) ? grads[1] : NULL);
}

static void check_none(clnn_context *ctx, int op, size_t rows, size_t cols, int big)
{
    size_t n = rows * cols, shape[2] = {rows, cols};
    int probs = op == OP_PROB_ENTROPY;
    unsigned seed = (unsigned)(rows * 31 + cols * 7 + (unsigned)op);
    float *x = make_input(n, seed, probs ? 1e-3f : -5.0f, probs ? 1.0f : 5.0f, cols, big && !probs);
    float *q = make_input(n, seed + 1, -3.0f, 3.0f, cols, big);
    int32_t *labels = malloc(rows * sizeof *labels);
    double *ref = malloc(rows * sizeof *ref), *row_x = malloc(cols * sizeof *row_x), *row_q = malloc(cols * sizeof *row_q);
    REQUIRE(labels && ref && row_x && row_q, "host memory");
    for (size_t r = 0; r < rows; r++) {
        labels[r] = (int32_t)((r * 5 + 2) % cols);
        for (size_t j = 0; j < cols; j++) row_x[j] = x[r * cols + j], row_q[j] = q[r * cols + j];
        ref[r] = ref_row(op, row_x, row_q, cols, labels[r]);
    }
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tq = test_tensor_from(ctx, 2, shape, q);
    clnn_tensor *tl = new_tensor(ctx, CLNN_INT32, rows, 1);
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
    clnn_tensor *grads[2] = {new_tensor(ctx, CLNN_FLOAT32, rows, cols), new_tensor(ctx, CLNN_FLOAT32, rows, cols)};
    char what[128];
    snprintf(what, sizeof what, "%s %zux%zu none%s", op_names[op], rows, cols, big ? " (1e4 logits)" : "");
    none_arg a = {op, tx, tq, tl};
    /* one fp32 row each: 1e-5 of the row's value, 1e-6 absolute near 0, as in check_case */
    rn_case c = {what, none_call, &a, rows, ref, 1e-6, 1e-5, two_sets(op) ? 2u : 1u, grads};
    rn_check(ctx, &c);
    free(x), free(q), free(labels), free(ref), free(row_x), free(row_q);
    clnn_tensor_release(tx), clnn_tensor_release(tq), clnn_tensor_release(tl);
    clnn_tensor_release(grads[0]), clnn_tensor_release(grads[1]);
}

/* KL and JS with only dzq (the other gradient NULL) match the full call. */
static void check_single_gradients(clnn_context *ctx)
{
    size_t rows = 7, cols = 31, n = rows * cols, shape[2] = {rows, cols};
    float *x = make_input(n, 5, -5.0f, 5.0f, cols, 0), *q = make_input(n, 6, -3.0f, 3.0f, cols, 0);
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tq = test_tensor_from(ctx, 2, shape, q);
    clnn_tensor *g1 = new_tensor(ctx, CLNN_FLOAT32, rows, cols), *g2 = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    for (int op = OP_KL_PQ; op <= OP_JS; op++) {
        CHECK_OK(ctx, run_op(ctx, op, tx, tq, NULL, CLNN_REDUCE_SUM, NULL, g1, g2));
        float *full = test_download(ctx, g2);
        CHECK_OK(ctx, clnn_tensor_fill(g2, 0.0f));
        CHECK_OK(ctx, run_op(ctx, op, tx, tq, NULL, CLNN_REDUCE_SUM, NULL, NULL, g2));
        float *alone = test_download(ctx, g2);
        CHECK(same_bits(full, alone, n), "%s: dzq alone differs from dzq with dzp", op_names[op]);
        free(full), free(alone);
    }
    free(x), free(q);
    clnn_tensor_release(tx), clnn_tensor_release(tq), clnn_tensor_release(g1), clnn_tensor_release(g2);
}

/* Standard normal samples (Box-Muller on test_fill_uniform) scaled by sd
 * and shifted by off, rounded to fp32. */
static void fill_normal(float *x, size_t n, unsigned seed, float sd, float off)
{
    float *u = malloc(2 * n * sizeof *u);
    REQUIRE(u, "host memory");
    test_fill_uniform(u, 2 * n, seed, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        double r = sqrt(-2.0 * log(1.0 - (double)u[2 * i])), t = 6.283185307179586 * (double)u[2 * i + 1];
        x[i] = (float)((double)sd * r * cos(t) + (double)off);
    }
    free(u);
}

/* Issue 19, KL cancellation: the two logit sets at different offsets (zp
 * around +off, zq around -off, 2 randn spread, as in the issue), so the
 * cross-set terms Σp(zp - zq) and m_p - m_q are ~2 off. The per-row KL (both
 * directions) and JS (NONE) and every gradient entry against double code
 * written here from the definitions (values: tests/ref's ref_out_kl /
 * ref_out_js): dzp_j = p_j (d_j - KL), d_j = log p_j - log q_j, dzq_j = q_j -
 * p_j; JS: dzp_j = p_j (g_j - Σ_k p_k g_k), g_j = ½ log(p_j / m_j), and the
 * same with q.
 *
 * Tolerance 1e-5 relative to each quantity's own scale: the row value to
 * Σ_j p_j |d_j| (>= KL; ½Σ(p|g_p| + q|g_q|) for JS), the gradient entries
 * to p_j (|d_j| + KL) and p_j + q_j. What the kernel promises: every log p_j
 * and log q_j exact to fp32 (z_j - m exact, log s to a few ulp: OpenCL's
 * log and exp may be off by 3-4 ulp), so d_j and the sums carry ~1e-6 of
 * those scales; independent of the offset. Before the fix the value moved
 * by ~6e-8 x the gap between the sets: 2.6e-3 on a KL of 3.3 at a gap of
 * 2e4 (260 x the tolerance), 1e-4 at a gap of 1e3. */
static void check_kl_offsets(clnn_context *ctx, float off)
{
    const size_t rows = 7, cols = 33, n = rows * cols, shape[2] = {rows, cols};
    float *zp = malloc(n * sizeof *zp), *zq = malloc(n * sizeof *zq);
    REQUIRE(zp && zq, "host memory");
    fill_normal(zp, n, 19, 2.0f, off);
    fill_normal(zq, n, 91, 2.0f, -off);
    clnn_tensor *tp = test_tensor_from(ctx, 2, shape, zp), *tq = test_tensor_from(ctx, 2, shape, zq);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, rows, 1);
    clnn_tensor *gp = new_tensor(ctx, CLNN_FLOAT32, rows, cols), *gq = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    double *a = malloc(cols * sizeof *a), *b = malloc(cols * sizeof *b), *la = malloc(cols * sizeof *la),
           *lb = malloc(cols * sizeof *lb);
    REQUIRE(a && b && la && lb, "host memory");
    for (int op = OP_KL_PQ; op <= OP_JS; op++) {
        CHECK_OK(ctx, run_op(ctx, op, tp, tq, NULL, CLNN_REDUCE_NONE, loss, gp, gq));
        float *v = test_download(ctx, loss), *g1 = test_download(ctx, gp), *g2 = test_download(ctx, gq);
        double worst_v = 0.0, worst_g = 0.0;
        for (size_t r = 0; r < rows; r++) {
            /* a: the first argument of the divergence, b: the second (KL(q||p) swaps them) */
            const float *ra = (op == OP_KL_QP ? zq : zp) + r * cols, *rb = (op == OP_KL_QP ? zp : zq) + r * cols;
            const float *ga = (op == OP_KL_QP ? g2 : g1) + r * cols, *gb = (op == OP_KL_QP ? g1 : g2) + r * cols;
            for (size_t j = 0; j < cols; j++) a[j] = ra[j], b[j] = rb[j];
            double lsa = ref_out_lse(a, cols), lsb = ref_out_lse(b, cols), want, scale = 0.0;
            for (size_t j = 0; j < cols; j++) la[j] = a[j] - lsa, lb[j] = b[j] - lsb;
            if (op == OP_JS) {
                double sa = 0.0, sb = 0.0; /* Σ p g_p, Σ q g_q */
                want = ref_out_js(a, b, cols);
                for (size_t j = 0; j < cols; j++) {
                    double pa = exp(la[j]), pb = exp(lb[j]), lm = log(0.5 * (pa + pb));
                    sa += pa * 0.5 * (la[j] - lm), sb += pb * 0.5 * (lb[j] - lm);
                    scale += 0.5 * (pa * fabs(la[j] - lm) + pb * fabs(lb[j] - lm));
                }
                for (size_t j = 0; j < cols; j++) {
                    double pa = exp(la[j]), pb = exp(lb[j]), lm = log(0.5 * (pa + pb));
                    double ka = 0.5 * (la[j] - lm), kb = 0.5 * (lb[j] - lm);
                    double e1 = fabs(ga[j] - pa * (ka - sa)) / (1e-5 * pa * (fabs(ka) + fabs(sa)));
                    double e2 = fabs(gb[j] - pb * (kb - sb)) / (1e-5 * pb * (fabs(kb) + fabs(sb)));
                    worst_g = fmax(worst_g, fmax(e1 != e1 ? INFINITY : e1, e2 != e2 ? INFINITY : e2));
                }
            } else {
                want = ref_out_kl(a, b, cols);
                for (size_t j = 0; j < cols; j++) scale += exp(la[j]) * fabs(la[j] - lb[j]);
                for (size_t j = 0; j < cols; j++) {
                    double pa = exp(la[j]), pb = exp(lb[j]), d = la[j] - lb[j];
                    double e1 = fabs(ga[j] - pa * (d - want)) / (1e-5 * pa * (fabs(d) + want));
                    double e2 = fabs(gb[j] - (pb - pa)) / (1e-5 * (pa + pb));
                    worst_g = fmax(worst_g, fmax(e1 != e1 ? INFINITY : e1, e2 != e2 ? INFINITY : e2));
                }
            }
            double e = fabs(v[r] - want) / (1e-5 * scale);
            worst_v = fmax(worst_v, e != e ? INFINITY : e);
            if (r == 0)
                printf("%s, logit sets at +-%g: row 0 %.9g, reference %.9g", op_names[op], (double)off, v[r], want);
        }
        printf("; worst errors %.3g (values), %.3g (gradients) of the tolerance\n", worst_v, worst_g);
        CHECK(worst_v <= 1.0, "%s at +-%g: row values off by %.3g of the tolerance (1e-5 of their scale)",
              op_names[op], (double)off, worst_v);
        CHECK(worst_g <= 1.0, "%s at +-%g: gradients off by %.3g of the tolerance (1e-5 of their scale)",
              op_names[op], (double)off, worst_g);
        free(v), free(g1), free(g2);
    }
    free(zp), free(zq), free(a), free(b), free(la), free(lb);
    clnn_tensor_release(tp), clnn_tensor_release(tq), clnn_tensor_release(loss);
    clnn_tensor_release(gp), clnn_tensor_release(gq);
}

/* StableMax forward against the reference; backward against central
 * differences of L(x) = sum_j dy_j y_j(x). */
static void check_stablemax(clnn_context *ctx, size_t rows, size_t cols, size_t stride)
{
    size_t n = rows * cols, shape[2] = {rows, cols};
    float *x = make_input(n, (unsigned)(rows + cols), -5.0f, 5.0f, cols, 0);
    float *dy = make_input(n, (unsigned)(rows * cols + 11), -1.0f, 1.0f, cols, 0);
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tdy = test_tensor_from(ctx, 2, shape, dy);
    clnn_tensor *ty = new_tensor(ctx, CLNN_FLOAT32, rows, cols), *tdx = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    CHECK_OK(ctx, clnn_stablemax_forward(ctx, tx, ty));
    CHECK_OK(ctx, clnn_stablemax_backward(ctx, tx, tdy, tdx));
    float *y = test_download(ctx, ty), *dx = test_download(ctx, tdx);
    double *yref = malloc(n * sizeof *yref), *xd = malloc(cols * sizeof *xd), *yd = malloc(cols * sizeof *yd);
    float *got = malloc(n * sizeof *got);
    double *fd = malloc(n * sizeof *fd);
    REQUIRE(yref && xd && yd && got && fd, "host memory");
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) xd[j] = x[r * cols + j];
        ref_out_stablemax(xd, cols, yref + r * cols);
    }
    /* fp32 sums of ~cols positive terms: 1e-5 relative */
    double err = test_max_rel_error(y, yref, n, 1e-7, 1e-5);
    CHECK(err <= 1.0, "stablemax forward %zux%zu: error %.3g of tolerance", rows, cols, err);
    size_t count = 0;
    for (size_t e = 0; e < n; e += stride) {
        size_t r = e / cols, j = e % cols;
        double d[2];
        for (int s = 0; s < 2; s++) {
            for (size_t k = 0; k < cols; k++) xd[k] = x[r * cols + k];
            xd[j] += s ? -1e-5 : 1e-5;
            ref_out_stablemax(xd, cols, yd);
            d[s] = 0.0;
            for (size_t k = 0; k < cols; k++) d[s] += dy[r * cols + k] * yd[k];
        }
        got[count] = dx[e];
        fd[count++] = (d[0] - d[1]) / 2e-5;
    }
    err = test_max_rel_error(got, fd, count, 1e-6, 1e-3);
    CHECK(err <= 1.0, "stablemax backward %zux%zu vs finite differences: error %.3g of tolerance", rows, cols, err);
    CHECK_OK(ctx, clnn_stablemax_backward(ctx, tx, tdy, tdx));
    float *dx2 = test_download(ctx, tdx);
    CHECK(same_bits(dx, dx2, n), "stablemax backward: a second call changed bits");
    free(x), free(dy), free(y), free(dx), free(dx2), free(yref), free(xd), free(yd), free(got), free(fd);
    clnn_tensor_release(tx), clnn_tensor_release(tdy), clnn_tensor_release(ty), clnn_tensor_release(tdx);
}

/* Soft-target mixing from labels and from soft rows; a label out of range
 * makes its row NaN; the mixed targets feed clnn_cross_entropy_soft. */
static void check_mix(clnn_context *ctx, size_t rows, size_t cols)
{
    size_t n = rows * cols, shape[2] = {rows, cols};
    float *p = make_input(n, (unsigned)(rows * 3 + cols), 0.0f, 1.0f, cols, 0);
    float *y = make_input(n, (unsigned)(rows * 5 + cols), 0.0f, 1.0f, cols, 0);
    int32_t *labels = malloc(rows * sizeof *labels);
    double *want = malloc(n * sizeof *want), *onehot = malloc(cols * sizeof *onehot), *pd = malloc(cols * sizeof *pd),
           *yd = malloc(cols * sizeof *yd);
    REQUIRE(labels && want && onehot && pd && yd, "host memory");
    for (size_t i = 0; i < rows; i++) labels[i] = (int32_t)((i * 5 + 1) % cols);
    clnn_tensor *tp = test_tensor_from(ctx, 2, shape, p), *ty = test_tensor_from(ctx, 2, shape, y);
    clnn_tensor *tl = new_tensor(ctx, CLNN_INT32, rows, 1), *tt = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));

    CHECK_OK(ctx, clnn_soft_targets_mix_labels(ctx, tl, tp, ALPHA, tt));
    float *t = test_download(ctx, tt);
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) onehot[j] = (int32_t)j == labels[r], pd[j] = p[r * cols + j];
        ref_out_mix(onehot, pd, cols, ALPHA, want + r * cols);
    }
    /* one fp32 multiply-add per element */
    double err = test_max_rel_error(t, want, n, 1e-7, 1e-6);
    CHECK(err <= 1.0, "mix labels %zux%zu: error %.3g of tolerance", rows, cols, err);
    free(t);

    CHECK_OK(ctx, clnn_soft_targets_mix(ctx, ty, tp, ALPHA, tt));
    t = test_download(ctx, tt);
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) yd[j] = y[r * cols + j], pd[j] = p[r * cols + j];
        ref_out_mix(yd, pd, cols, ALPHA, want + r * cols);
    }
    err = test_max_rel_error(t, want, n, 1e-7, 1e-6);
    CHECK(err <= 1.0, "mix soft %zux%zu: error %.3g of tolerance", rows, cols, err);
    free(t);

    /* the targets are usable as soft targets: cross-entropy of logits p against them */
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1);
    CHECK_OK(ctx, clnn_cross_entropy_soft(ctx, tp, tt, NULL, loss, NULL));
    double ce = 0.0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) pd[j] = p[r * cols + j];
        double lse = ref_out_lse(pd, cols);
        for (size_t j = 0; j < cols; j++) ce += want[r * cols + j] * (lse - pd[j]);
    }
    ce /= (double)rows;
    float got = read_scalar(ctx, loss);
    CHECK(fabs(got - ce) <= 1e-5 * (1 + fabs(ce)), "mix -> cross_entropy_soft %zux%zu: %g vs %g", rows, cols, got, ce);

    if (rows > 1) { /* row 1 gets a label out of range */
        labels[1] = (int32_t)cols;
        CHECK_OK(ctx, clnn_tensor_upload(tl, labels, rows * sizeof *labels));
        CHECK_OK(ctx, clnn_soft_targets_mix_labels(ctx, tl, tp, ALPHA, tt));
        t = test_download(ctx, tt);
        CHECK(isnan(t[cols]) && isnan(t[2 * cols - 1]) && !isnan(t[0]), "mix labels: out-of-range label row not NaN");
        free(t);
    }
    free(p), free(y), free(labels), free(want), free(onehot), free(pd), free(yd);
    clnn_tensor_release(tp), clnn_tensor_release(ty), clnn_tensor_release(tl), clnn_tensor_release(tt);
    clnn_tensor_release(loss);
}

/* StableMax cross-entropy: a label out of range gives NaN loss and row. */
static void check_smce_bad_label(clnn_context *ctx)
{
    size_t rows = 3, cols = 5, shape[2] = {rows, cols};
    float x[15];
    test_fill_uniform(x, 15, 3, -2.0f, 2.0f);
    int32_t labels[3] = {0, 5, 2};
    clnn_tensor *tx = test_tensor_from(ctx, 2, shape, x), *tl = new_tensor(ctx, CLNN_INT32, rows, 1);
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1), *g = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    CHECK_OK(ctx, clnn_tensor_upload(tl, labels, sizeof labels));
    CHECK_OK(ctx, clnn_stablemax_cross_entropy(ctx, tx, tl, CLNN_REDUCE_SUM, loss, g));
    float *gg = test_download(ctx, g);
    CHECK(isnan(read_scalar(ctx, loss)) && isnan(gg[5]) && !isnan(gg[0]) && !isnan(gg[10]),
          "stablemax_ce: label 5 of 5 classes must give NaN");
    free(gg);
    clnn_tensor_release(tx), clnn_tensor_release(tl), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* prob_entropy with zero entries: 0 log 0 = 0 in the value, and the gradient
 * there is beta (log FLT_MIN + 1), as documented. */
static void check_prob_entropy_zeros(clnn_context *ctx)
{
    size_t rows = 2, cols = 5, shape[2] = {rows, cols};
    float p[10] = {0.5f, 0.0f, 0.25f, 0.25f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    clnn_tensor *tp = test_tensor_from(ctx, 2, shape, p), *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1);
    clnn_tensor *g = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    CHECK_OK(ctx, clnn_prob_entropy_penalty(ctx, tp, BETA, CLNN_REDUCE_SUM, loss, g));
    double pd[5] = {0.5, 0.0, 0.25, 0.25, 0.0};
    double want = -(double)BETA * ref_out_prob_entropy(pd, 5); /* row 2 (one-hot) has H = 0 */
    float got = read_scalar(ctx, loss), *gg = test_download(ctx, g);
    CHECK(fabs(got - want) <= 1e-6 * (1 + fabs(want)), "prob_entropy with zeros: %g vs %g", got, want);
    double at_zero = (double)BETA * (log((double)FLT_MIN) + 1.0);
    CHECK(fabs(gg[1] - at_zero) <= 1e-5 * fabs(at_zero) && fabs(gg[5] - BETA) <= 1e-6,
          "prob_entropy gradient at 0: %g (want %g), at 1: %g (want %g)", gg[1], at_zero, gg[5], (double)BETA);
    free(gg);
    clnn_tensor_release(tp), clnn_tensor_release(loss), clnn_tensor_release(g);
}

/* ------------------------------------------------ rows per work-group */

/* The row kernels and an op that launches each (N_OPS: StableMax forward
 * and backward). */
static const struct {
    const char *id;
    int op;
} packed_kernels[] = {{"outputs.entropy_penalty", OP_ENTROPY}, {"outputs.z_loss", OP_ZLOSS},
                      {"outputs.kl_logits", OP_KL_PQ},         {"outputs.js_logits", OP_JS},
                      {"outputs.stablemax_ce", OP_SMCE},       {"outputs.prob_entropy", OP_PROB_ENTROPY},
                      {"outputs.stablemax_rows", N_OPS}};

/* Every output of op (MEAN) on in = {x, q, labels} into out: loss | gx | gq,
 * or StableMax y | dx (dy = q); returns how many floats. */
static size_t run_packed(clnn_context *ctx, int op, clnn_tensor *const *in, size_t rows, size_t cols, float *out)
{
    const size_t n = rows * cols;
    clnn_tensor *loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1), *ga = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    clnn_tensor *gb = new_tensor(ctx, CLNN_FLOAT32, rows, cols);
    size_t count;
    if (op == N_OPS) {
        CHECK_OK(ctx, clnn_stablemax_forward(ctx, in[0], ga));
        CHECK_OK(ctx, clnn_stablemax_backward(ctx, in[0], in[1], gb));
        CHECK_OK(ctx, clnn_tensor_download(ga, out, n * sizeof *out));
        CHECK_OK(ctx, clnn_tensor_download(gb, out + n, n * sizeof *out));
        count = 2 * n;
    } else {
        CHECK_OK(ctx, run_op(ctx, op, in[0], in[1], in[2], CLNN_REDUCE_MEAN, loss, ga, two_sets(op) ? gb : NULL));
        CHECK_OK(ctx, clnn_tensor_download(loss, out, sizeof *out));
        CHECK_OK(ctx, clnn_tensor_download(ga, out + 1, n * sizeof *out));
        count = 1 + n;
        if (two_sets(op)) {
            CHECK_OK(ctx, clnn_tensor_download(gb, out + 1 + n, n * sizeof *out));
            count += n;
        }
    }
    clnn_tensor_release(loss), clnn_tensor_release(ga), clnn_tensor_release(gb);
    return count;
}

/* On test_row_packing_shapes: each op's default against the reference
 * (several rows per group on a GPU, one elsewhere), then the default's bits
 * under every row packing of its kernel. */
static void check_row_packing(clnn_context *ctx)
{
    const size_t *classes;
    size_t rows;
    const size_t nc = test_row_packing_shapes(&classes, &rows);
    for (size_t c = 0; c < nc; c++) {
        const size_t cols = classes[c], n = rows * cols, shape[2] = {rows, cols};
        for (int op = 0; op < N_OPS; op++) check_case(ctx, op, rows, cols, CLNN_REDUCE_MEAN, 0, 7);
        check_stablemax(ctx, rows, cols, 7);
        float *x = make_input(n, (unsigned)(n + 5), 1e-3f, 1.0f, cols, 0); /* also valid probabilities */
        float *q = make_input(n, (unsigned)(n + 7), -3.0f, 3.0f, cols, 0);
        int32_t *labels = malloc(rows * sizeof *labels);
        float *want = malloc((2 * n + 1) * sizeof *want), *got = malloc((2 * n + 1) * sizeof *got);
        REQUIRE(labels && want && got, "host memory");
        for (size_t r = 0; r < rows; r++) labels[r] = (int32_t)((r * 7 + 3) % cols);
        clnn_tensor *in[3] = {test_tensor_from(ctx, 2, shape, x), test_tensor_from(ctx, 2, shape, q),
                              new_tensor(ctx, CLNN_INT32, rows, 1)};
        CHECK_OK(ctx, clnn_tensor_upload(in[2], labels, rows * sizeof *labels));
        for (size_t k = 0; k < sizeof packed_kernels / sizeof packed_kernels[0]; k++) {
            const size_t count = run_packed(ctx, packed_kernels[k].op, in, rows, cols, want);
            for (size_t i = 0; i < TEST_ROW_PACKINGS; i++) {
                char what[128];
                if (!test_force_row_packing(ctx, packed_kernels[k].id, i, what, sizeof what)) continue;
                run_packed(ctx, packed_kernels[k].op, in, rows, cols, got);
                CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
                CHECK(same_bits(want, got, count), "%zux%zu: %s gives other bits than the default", rows, cols,
                      what);
            }
        }
        for (int i = 0; i < 3; i++) clnn_tensor_release(in[i]);
        free(x), free(q), free(labels), free(want), free(got);
    }
}

int main(void)
{
    clnn_context *ctx = test_context();
    const size_t rows[] = {1, 7, 13}, cols[] = {1, 31, 257};
    /* On the simulator (small mode) the 13-row cases are left out: rows 1 and
     * 7 already cover batch 1 and several groups, and 13 rows more than
     * double the simulated work (test time under Oclgrind ~140 s -> ~60 s). */
    const size_t nrows = test_large("output regularizers with 13 rows") ? 3 : 2;
    for (int op = 0; op < N_OPS; op++)
        for (size_t r = 0; r < nrows; r++)
            for (size_t c = 0; c < 3; c++) {
                check_case(ctx, op, rows[r], cols[c], CLNN_REDUCE_SUM, 0, 1);
                check_case(ctx, op, rows[r], cols[c], CLNN_REDUCE_MEAN, r == 1, 1);
            }
    /* NONE: batch 1, one class, a prime, more classes than lanes, 1e4 logits */
    static const size_t none_shapes[][2] = {{1, 1}, {7, 1}, {1, 31}, {13, 31}, {7, 257}};
    const int every_none = test_large("NONE on every shape (the simulator runs one per op)");
    for (int op = 0; op < N_OPS; op++)
        for (size_t s = 0; s < sizeof none_shapes / sizeof none_shapes[0]; s++)
            if (every_none || s == (size_t)op % 5) check_none(ctx, op, none_shapes[s][0], none_shapes[s][1], s == 3);
    check_single_gradients(ctx);
    check_kl_offsets(ctx, 1e4f);
    check_kl_offsets(ctx, 500.0f);
    check_prob_entropy_zeros(ctx);
    check_smce_bad_label(ctx);
    check_row_packing(ctx);
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < 3; c++) {
            check_stablemax(ctx, rows[r], cols[c], 1);
            check_mix(ctx, rows[r], cols[c]);
        }
    /* 4099 x 257 = 1053443 > 2^20 elements; finite differences on every 101st */
    if (test_large("output regularizers on 4099 x 257 logits")) {
        for (int op = 0; op < N_OPS; op++) check_case(ctx, op, 4099, 257, CLNN_REDUCE_MEAN, 0, 101);
        for (int op = 0; op < N_OPS; op++) check_none(ctx, op, 4099, 257, 0);
        check_stablemax(ctx, 4099, 257, 101);
        check_mix(ctx, 4099, 257);
    }
    clnn_context_release(ctx);
    return check_summary();
}
