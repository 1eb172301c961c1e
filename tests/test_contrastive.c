/* Contrastive objectives (include/clnn/contrastive.h) against the
 * double-precision references of tests/ref/ref_contrastive.c: InfoNCE
 * (one-way, symmetric, NT-Xent) and SupCon with temperature 0.01..1, margin,
 * decoupling and normalisation; alignment, uniformity, GE2E, Barlow Twins and
 * both variance penalties. Shapes: batch 1 and 2 where defined, odd D, rows
 * longer than the row skeleton's 256 lanes, one case of >= 2^16 elements per
 * op (test_large). Every gradient (each input, and GE2E's w and b) against
 * central differences of the reference in double; two calls give the same
 * bits; a call without gradients gives the same loss bits and one without the
 * loss the same gradient bits; the row kernel gives the same bits under two
 * forced local sizes. The tiled InfoNCE has its own test (test_contrastive_infonce_tiled.c). */
#include "contrastive_util.h"

/* ------------------------------------------------------ InfoNCE family */

static const nce_case nce_cases[] = {
    /* batch 1: one-way and NT-Xent have only the positive (loss 0), d = 1 */
    {1, 1, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {1, 5, K_SYMMETRIC, 0.5f, 0.2f, 0, 0, CLNN_REDUCE_SUM, 1.0f},
    {1, 3, K_NT_XENT, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {1, 3, K_SUPCON, 0.2f, 0.0f, 1, 0, CLNN_REDUCE_SUM, 1.0f},
    /* batch 2 */
    {2, 3, K_ONE_WAY, 0.07f, 0.2f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
    {2, 5, K_NT_XENT, 1.0f, 0.0f, 0, 1, CLNN_REDUCE_SUM, 1.0f},
    {2, 1, K_SYMMETRIC, 0.3f, 0.0f, 0, 0, CLNN_REDUCE_MEAN, 1.0f},
    /* odd d, temperatures 0.01 .. 1 */
    {7, 17, K_ONE_WAY, 0.01f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {7, 17, K_SYMMETRIC, 0.1f, 0.3f, 1, 0, CLNN_REDUCE_SUM, 1.0f},
    {7, 17, K_NT_XENT, 0.5f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
    {13, 33, K_NT_XENT, 0.01f, 0.1f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {13, 9, K_SYMMETRIC, 1.0f, 0.0f, 0, 1, CLNN_REDUCE_MEAN, 1.0f},
    {11, 13, K_SUPCON, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {11, 13, K_SUPCON, 0.05f, 0.2f, 1, 1, CLNN_REDUCE_SUM, 1.0f},
    /* the ends of the temperature range for SupCon, tau 1 for one-way */
    {7, 17, K_SUPCON, 0.01f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {5, 9, K_SUPCON, 1.0f, 0.1f, 0, 1, CLNN_REDUCE_SUM, 1.0f},
    {7, 17, K_ONE_WAY, 1.0f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    /* tau 0.01 without normalisation: logits in the thousands, max-shifted, no overflow */
    {5, 17, K_NT_XENT, 0.01f, 0.0f, 0, 0, CLNN_REDUCE_MEAN, 3.0f},
    {5, 17, K_ONE_WAY, 0.01f, 0.5f, 0, 0, CLNN_REDUCE_SUM, 3.0f},
    /* rows longer than the skeleton's 256 lanes (NT-Xent: 2n = 262 candidates) */
    {131, 7, K_NT_XENT, 0.2f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {263, 5, K_ONE_WAY, 0.1f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
};

/* With every label distinct SupCon is NT-Xent; with every label in 2 classes
 * and decoupled, anchors keep negatives. */
static void check_supcon_is_ntxent(clnn_context *ctx)
{
    nce_case c = {9, 11, K_SUPCON, 0.1f, 0.1f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    nce_data v = nce_data_make(ctx, &c, 99, 9);
    clnn_tensor *l1 = util_tensor(ctx, 1, 1, 1, 1, 1), *l2 = util_tensor(ctx, 1, 1, 1, 1, 1);
    CHECK_OK(ctx, nce_run(ctx, &v, 0, l1, NULL, NULL));
    c.kind = K_NT_XENT;
    CHECK_OK(ctx, nce_run(ctx, &v, 0, l2, NULL, NULL));
    float a = util_scalar(ctx, l1), b = util_scalar(ctx, l2);
    CHECK(fabs(a - b) <= 1e-5 * (1 + fabs(b)), "supcon with distinct labels %g != nt-xent %g", a, b);
    nce_data_free(&v);
    clnn_tensor_release(l1), clnn_tensor_release(l2);
}

/* The row kernel gives the same bits with local size 1 and 64, or the
 * largest below 64 it takes on this device (fixed lanes). */
static void check_rows_local_size(clnn_context *ctx)
{
    nce_case c = {37, 19, K_NT_XENT, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    nce_data v = nce_data_make(ctx, &c, 5, 37);
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v.t1), *g2 = like(ctx, v.t2);
    float val[2], *grad[2];
    const size_t locals[2] = {1, test_local_fit(ctx, "contrastive.rows", NULL, 64)};
    for (int k = 0; k < 2; k++) {
        clnn_tune_config cfg = {{locals[k], 1, 1}, {0}};
        CHECK_OK(ctx, clnn_tune_force(ctx, "contrastive.rows", &cfg));
        CHECK_OK(ctx, nce_run(ctx, &v, 0, loss, g1, g2));
        val[k] = util_scalar(ctx, loss);
        grad[k] = util_download(ctx, g1);
    }
    CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
    CHECK(memcmp(&val[0], &val[1], sizeof val[0]) == 0 && util_same_bits(grad[0], grad[1], c.n * c.d),
          "contrastive.rows: local sizes 1 and %zu give other bits", locals[1]);
    free(grad[0]), free(grad[1]);
    nce_data_free(&v);
    clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
}

/* ------------------------------------------------ the other objectives */

/* Inputs of the other ops: up to three fp32 tensors and scalar parameters. */
typedef struct op_data {
    size_t dims[3];
    double p[2];
    int flag;
    clnn_reduction red;
    double *x[3];
    clnn_tensor *t[3];
} op_data;

static double align_ref(void *u)
{
    op_data *o = u;
    return ref_alignment(o->x[0], o->x[1], o->dims[0], o->dims[1], o->p[0]);
}
static clnn_status align_run(clnn_context *ctx, void *u, clnn_tensor *loss, clnn_tensor *const *g)
{
    op_data *o = u;
    return clnn_alignment_loss(ctx, o->t[0], o->t[1], (float)o->p[0], loss, g[0], g[1]);
}
static double unif_ref(void *u)
{
    op_data *o = u;
    return ref_uniformity(o->x[0], o->dims[0], o->dims[1], o->p[0]);
}
static clnn_status unif_run(clnn_context *ctx, void *u, clnn_tensor *loss, clnn_tensor *const *g)
{
    op_data *o = u;
    return clnn_uniformity_loss(ctx, o->t[0], (float)o->p[0], loss, g[0]);
}
static double ge2e_ref(void *u)
{
    op_data *o = u;
    return ref_ge2e(o->x[0], o->dims[0], o->dims[1], o->dims[2], o->x[1][0], o->x[2][0], o->red == CLNN_REDUCE_MEAN);
}
static clnn_status ge2e_run(clnn_context *ctx, void *u, clnn_tensor *loss, clnn_tensor *const *g)
{
    op_data *o = u;
    return clnn_ge2e_loss(ctx, o->t[0], o->t[1], o->t[2], o->red, loss, g[0], g[1], g[2]);
}
static double barlow_ref(void *u)
{
    op_data *o = u;
    return ref_barlow(o->x[0], o->x[1], o->dims[0], o->dims[1], o->p[0]);
}
static clnn_status barlow_run(clnn_context *ctx, void *u, clnn_tensor *loss, clnn_tensor *const *g)
{
    op_data *o = u;
    return clnn_barlow_twins(ctx, o->t[0], o->t[1], (float)o->p[0], loss, g[0], g[1]);
}
static double var_ref(void *u)
{
    op_data *o = u;
    return ref_variance(o->x[0], o->dims[0], o->dims[1], o->p[0], o->flag, o->red == CLNN_REDUCE_MEAN);
}
static clnn_status var_run(clnn_context *ctx, void *u, clnn_tensor *loss, clnn_tensor *const *g)
{
    op_data *o = u;
    return o->flag ? clnn_output_variance_penalty(ctx, o->t[0], (float)o->p[0], o->red, loss, g[0])
                   : clnn_task_variance_penalty(ctx, o->t[0], (float)o->p[0], o->red, loss, g[0]);
}

/* Fills input i of o with random values of the given shape and registers it in c. */
static void add_input(clnn_context *ctx, op_case *c, op_data *o, int ndim, const size_t *shape, unsigned seed,
                      float lo, float hi)
{
    int i = c->nin++;
    size_t n = 1;
    for (int k = 0; k < ndim; k++) n *= shape[k];
    float *f = util_random(n, seed, lo, hi);
    o->x[i] = util_to_double(f, n);
    o->t[i] = test_tensor_from(ctx, ndim, shape, f);
    c->in[i] = o->t[i];
    c->host[i] = o->x[i];
    c->count[i] = n;
    free(f);
}

static void op_free(op_case *c, op_data *o)
{
    for (int i = 0; i < c->nin; i++) free(o->x[i]), clnn_tensor_release(o->t[i]);
}

static void check_alignment(clnn_context *ctx, size_t n, size_t d, double alpha)
{
    op_data o = {{n, d, 0}, {alpha, 0}, 0, CLNN_REDUCE_MEAN, {NULL}, {NULL}};
    op_case c = {.ref = align_ref, .run = align_run, .user = &o, .fd_limit = 400};
    size_t shape[2] = {n, d};
    add_input(ctx, &c, &o, 2, shape, (unsigned)(n + d), -1.0f, 1.0f);
    add_input(ctx, &c, &o, 2, shape, (unsigned)(n * d + 3), -1.0f, 1.0f);
    snprintf(c.what, sizeof c.what, "alignment n=%zu d=%zu alpha=%g", n, d, alpha);
    c.vtol = 1e-5 * (1.0 + fabs(align_ref(&o)));
    c.grad_rel = 1e-4;
    op_check(ctx, &c);
    op_free(&c, &o);
}

/* amp: input range; with t = 50 and amp 2 the pair terms underflow fp32 unless max-shifted */
static void check_uniformity(clnn_context *ctx, size_t n, size_t d, double t, float amp)
{
    op_data o = {{n, d, 0}, {t, 0}, 0, CLNN_REDUCE_MEAN, {NULL}, {NULL}};
    op_case c = {.ref = unif_ref, .run = unif_run, .user = &o, .fd_limit = n * d > 10000 ? 12 : 400};
    size_t shape[2] = {n, d};
    add_input(ctx, &c, &o, 2, shape, (unsigned)(n * 5 + d), -amp, amp);
    snprintf(c.what, sizeof c.what, "uniformity n=%zu d=%zu t=%g amp=%g", n, d, t, (double)amp);
    /* distances from the Gram matrix: ~1e-7 of the squared norms, times t */
    double scale = t * (double)d * amp * amp;
    c.vtol = 1e-5 * (1.0 + fabs(unif_ref(&o))) + 2e-6 * scale;
    c.grad_rel = 1e-4 + 1e-6 * scale;
    op_check(ctx, &c);
    op_free(&c, &o);
}

static void check_ge2e(clnn_context *ctx, size_t spk, size_t utt, size_t d, float w, float b, clnn_reduction red,
                       size_t fd_limit)
{
    op_data o = {{spk, utt, d}, {0, 0}, 0, red, {NULL}, {NULL}};
    op_case c = {.ref = ge2e_ref, .run = ge2e_run, .user = &o, .fd_limit = fd_limit};
    size_t shape[3] = {spk, utt, d}, one = 1;
    add_input(ctx, &c, &o, 3, shape, (unsigned)(spk * 7 + utt * 3 + d), -1.0f, 1.0f);
    add_input(ctx, &c, &o, 1, &one, 1, w, w);
    add_input(ctx, &c, &o, 1, &one, 2, b, b);
    snprintf(c.what, sizeof c.what, "ge2e %zux%zux%zu w=%g b=%g %s", spk, utt, d, (double)w, (double)b,
             red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    double rows = red == CLNN_REDUCE_SUM ? (double)(spk * utt) : 1.0;
    c.vtol = 1e-5 * (1.0 + fabs(ge2e_ref(&o))) + 1e-6 * fabs(w) * rows;
    c.grad_rel = 2e-4;
    op_check(ctx, &c);
    op_free(&c, &o);
}

static void check_barlow(clnn_context *ctx, size_t n, size_t d, double lambda, size_t fd_limit)
{
    op_data o = {{n, d, 0}, {lambda, 0}, 0, CLNN_REDUCE_SUM, {NULL}, {NULL}};
    op_case c = {.ref = barlow_ref, .run = barlow_run, .user = &o, .fd_limit = fd_limit};
    size_t shape[2] = {n, d};
    add_input(ctx, &c, &o, 2, shape, (unsigned)(n * 3 + d), -1.0f, 1.0f);
    add_input(ctx, &c, &o, 2, shape, (unsigned)(n * 3 + d + 1), -1.0f, 1.0f);
    snprintf(c.what, sizeof c.what, "barlow twins n=%zu d=%zu lambda=%g", n, d, lambda);
    c.vtol = 1e-5 * (1.0 + fabs(barlow_ref(&o))) + 1e-6 * (double)(d * d) * (1.0 + lambda);
    c.grad_rel = 2e-4;
    op_check(ctx, &c);
    op_free(&c, &o);
}

static void check_variance(clnn_context *ctx, size_t rows, size_t cols, double coef, int by_columns,
                           clnn_reduction red, size_t fd_limit)
{
    op_data o = {{rows, cols, 0}, {coef, 0}, by_columns, red, {NULL}, {NULL}};
    op_case c = {.ref = var_ref, .run = var_run, .user = &o, .fd_limit = fd_limit};
    size_t shape[2] = {rows, cols};
    add_input(ctx, &c, &o, 2, shape, (unsigned)(rows * 11 + cols), -2.0f, 3.0f);
    snprintf(c.what, sizeof c.what, "%s variance %zux%zu coef=%g %s", by_columns ? "output" : "task", rows, cols,
             coef, red == CLNN_REDUCE_MEAN ? "mean" : "sum");
    c.vtol = 1e-5 * (1.0 + fabs(var_ref(&o))) + 1e-6 * fabs(coef) * (double)(by_columns ? cols : rows);
    c.grad_rel = 1e-4;
    op_check(ctx, &c);
    op_free(&c, &o);
}

/* Whether a case runs on the simulator (small mode): Oclgrind runs ~10^4x
 * slower (a CLBlast GEMM of a few rows takes ~0.2 s there), so it gets batch
 * 1 and 2, odd D, every kind and option, tau 0.01 with and without
 * normalisation, and each kernel on several work-groups. */
static const int nce_on_simulator[sizeof nce_cases / sizeof nce_cases[0]] = {1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0,
                                                                              0, 0, 1, 0, 0, 0, 1, 0, 0, 0};

int main(void)
{
    clnn_context *ctx = test_context();
    int medium = test_large("contrastive cases beyond the simulator's selection (rows past 256 lanes among them)");
    for (size_t i = 0; i < sizeof nce_cases / sizeof nce_cases[0]; i++)
        if (medium || nce_on_simulator[i]) check_nce(ctx, &nce_cases[i], nce_cases[i].decoupled ? 4 : 3, 300, 0);
    check_supcon_is_ntxent(ctx);
    check_rows_local_size(ctx);

    const size_t ad[][2] = {{1, 1}, {7, 17}, {2, 5}, {13, 301}};
    const double alphas[] = {2.0, 0.5, 1.0, 3.0};
    for (int i = 0; i < (medium ? 4 : 2); i++) check_alignment(ctx, ad[i][0], ad[i][1], alphas[i]);
    check_uniformity(ctx, 2, 1, 2.0, 1.0f);
    check_uniformity(ctx, 13, 33, 50.0, 2.0f); /* pair terms underflow fp32 unless max-shifted */
    if (medium) {
        check_uniformity(ctx, 3, 5, 0.5, 1.0f);
        check_uniformity(ctx, 7, 17, 2.0, 1.0f);
        check_uniformity(ctx, 300, 7, 2.0, 1.0f);
    }

    check_ge2e(ctx, 1, 2, 3, 10.0f, -5.0f, CLNN_REDUCE_SUM, 400);
    check_ge2e(ctx, 3, 5, 7, 10.0f, -5.0f, CLNN_REDUCE_MEAN, 400);
    if (medium) {
        check_ge2e(ctx, 2, 2, 2, 2.5f, 0.3f, CLNN_REDUCE_MEAN, 400);
        check_ge2e(ctx, 7, 3, 33, 5.0f, 1.0f, CLNN_REDUCE_SUM, 400);
        check_ge2e(ctx, 263, 2, 5, 3.0f, -1.0f, CLNN_REDUCE_MEAN, 300);
    }

    check_barlow(ctx, 2, 1, 0.0051, 400);
    check_barlow(ctx, 5, 7, 0.0051, 400);
    if (medium) {
        check_barlow(ctx, 2, 3, 0.5, 400);
        check_barlow(ctx, 13, 33, 0.0051, 400);
        check_barlow(ctx, 37, 3, 1.0, 400);
        check_barlow(ctx, 7, 300, 0.0051, 300);
    }

    for (int by_columns = 0; by_columns < 2; by_columns++) {
        check_variance(ctx, 1, 5, 0.7, by_columns, CLNN_REDUCE_SUM, 400);
        check_variance(ctx, 7, 33, 2.0, by_columns, CLNN_REDUCE_SUM, 400);
        if (medium) {
            check_variance(ctx, 3, 1, 1.0, by_columns, CLNN_REDUCE_MEAN, 400);
            check_variance(ctx, 2, 3, -0.5, by_columns, CLNN_REDUCE_MEAN, 400);
            check_variance(ctx, 7, 300, 2.0, by_columns, CLNN_REDUCE_SUM, 400);
            check_variance(ctx, 301, 7, 0.3, by_columns, CLNN_REDUCE_MEAN, 400);
        }
    }

    if (test_large("contrastive objectives on >= 2^16 elements")) {
        nce_case big[] = {{521, 131, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                          {263, 251, K_NT_XENT, 0.05f, 0.1f, 1, 1, CLNN_REDUCE_MEAN, 1.0f}};
        check_nce(ctx, &big[0], 3, 8, 0);
        check_nce(ctx, &big[1], 3, 4, 0);
        check_alignment(ctx, 521, 131, 2.0);
        check_uniformity(ctx, 521, 131, 2.0, 0.2f);
        check_ge2e(ctx, 64, 10, 129, 10.0f, -5.0f, CLNN_REDUCE_MEAN, 20);
        check_barlow(ctx, 521, 131, 0.0051, 10);
        check_variance(ctx, 1031, 257, 0.5, 0, CLNN_REDUCE_MEAN, 60);
        check_variance(ctx, 1031, 257, 0.5, 1, CLNN_REDUCE_MEAN, 60);
    }
    clnn_context_release(ctx);
    return check_summary();
}
