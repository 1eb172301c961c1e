/* Classification losses (include/clnn/losses.h): value + gradient of each
 * row-kernel loss on [rows, 1000] logits in GB/s against the device copy
 * bandwidth measured in the same run, and the spherical Z-loss against
 * cross-entropy (clnn_cross_entropy_labels: log-softmax and NLL with their
 * gradient, fused) in device time per row at 10, 1000 and 100000 classes.
 *
 * GB/s counts the minimum traffic: each input read once and each output
 * written once (the kernels read a row two to four times; on a device
 * without caches that shows as a lower ratio). From logits, both losses
 * read every logit, so both grow linearly with C; the Z-loss replaces the
 * exponential per element by two sums. The paper's C-independent cost needs
 * the hidden layer: clnn_spherical_z_loss_hidden is timed against dense +
 * cross-entropy + dense backward, a whole output-layer step each, at
 * d = 128, per step and per extra row (docs/kernels.md). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum {
    OP_FOCAL,
    OP_POLY1,
    OP_SQUENTROPY,
    OP_NCE_RCE,
    OP_GCE,
    OP_NFL_RCE,
    OP_ENCOURAGING,
    OP_ASL,
    OP_SPHERICAL,
    OP_ELR,
    OP_CE, /* the reference of the Z-loss rows (clnn/layers.h) */
    N_OPS
};
static const char *const op_names[N_OPS] = {"focal (gamma 2, alpha)", "Poly-1 CE", "squentropy", "NCE+RCE", "GCE",
                                            "NFL+RCE", "encouraging (LE 0.75)", "ASL", "spherical Z-loss", "ELR+CE",
                                            "cross-entropy"};
/* fp32 arrays of [rows, classes] each op reads or writes once (labels and
 * sample ids come on top: 4 bytes per row) */
static const int op_arrays[N_OPS] = {2, 2, 2, 2, 2, 2, 2, 3, 2, 4, 2};

typedef struct losses_args {
    clnn_context *ctx;
    int op;
    clnn_tensor *x, *targets, *labels, *ids, *state, *alpha, *loss, *grad;
} losses_args;

static int run_op(void *p)
{
    const losses_args *a = p;
    const clnn_reduction m = CLNN_REDUCE_MEAN;
    const clnn_robust_loss_options nce_rce = {sizeof(clnn_robust_loss_options), .nce = 1, .rce = 1, .rce_log_zero = -4};
    const clnn_robust_loss_options nfl_rce = {sizeof(clnn_robust_loss_options), .nfl = 1, .nfl_gamma = 0.5f, .rce = 1,
                                              .rce_log_zero = -4};
    const clnn_robust_loss_options gce = {sizeof(clnn_robust_loss_options), .gce = 1, .gce_q = 0.7f};
    clnn_status st;
    switch (a->op) {
    case OP_FOCAL: st = clnn_focal_loss(a->ctx, a->x, a->labels, a->alpha, 2.0f, 0.0f, NULL, m, a->loss, a->grad); break;
    case OP_POLY1: st = clnn_poly1_cross_entropy(a->ctx, a->x, a->labels, 1.0f, NULL, m, a->loss, a->grad); break;
    case OP_SQUENTROPY: st = clnn_squentropy(a->ctx, a->x, a->labels, NULL, m, a->loss, a->grad); break;
    case OP_NCE_RCE: st = clnn_robust_loss(a->ctx, a->x, a->labels, &nce_rce, NULL, m, a->loss, a->grad); break;
    case OP_GCE: st = clnn_robust_loss(a->ctx, a->x, a->labels, &gce, NULL, m, a->loss, a->grad); break;
    case OP_NFL_RCE: st = clnn_robust_loss(a->ctx, a->x, a->labels, &nfl_rce, NULL, m, a->loss, a->grad); break;
    case OP_ENCOURAGING: st = clnn_encouraging_loss(a->ctx, a->x, a->labels, 0.75f, NULL, m, a->loss, a->grad); break;
    case OP_ASL: st = clnn_asymmetric_loss(a->ctx, a->x, a->targets, 0.0f, 4.0f, 0.05f, NULL, m, a->loss, a->grad); break;
    case OP_SPHERICAL:
        st = clnn_spherical_z_loss(a->ctx, a->x, a->labels, 0.1f, 10.0f, 1e-6f, NULL, m, a->loss, a->grad);
        break;
    case OP_ELR: st = clnn_elr_loss(a->ctx, a->x, a->labels, a->ids, a->state, 3.0f, 0.7f, NULL, m, a->loss, a->grad); break;
    default: st = clnn_cross_entropy_labels(a->ctx, a->x, a->labels, NULL, a->loss, a->grad); break;
    }
    return st != CLNN_OK;
}

/* [rows, cols] fp32 uniform in [lo, hi) */
static clnn_tensor *f32(bench_env *env, size_t rows, size_t cols, float lo, float hi)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 2, shape, &t) != CLNN_OK) return NULL;
    if (clnn_tensor_random_uniform(t, 11, 0, lo, hi) != CLNN_OK) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

/* int32 [n]: i * step mod m (labels with step 7; distinct sample ids with step 1, m = n) */
static clnn_tensor *i32(bench_env *env, size_t n, size_t step, size_t m)
{
    clnn_tensor *t = NULL;
    int32_t *host = malloc(n * sizeof *host);
    if (host && clnn_tensor_create(env->ctx, CLNN_INT32, 1, &n, &t) == CLNN_OK) {
        for (size_t i = 0; i < n; i++) host[i] = (int32_t)(i * step % m);
        if (clnn_tensor_upload(t, host, n * sizeof *host) != CLNN_OK) {
            clnn_tensor_release(t);
            t = NULL;
        }
    }
    free(host);
    return t;
}

static void release_args(losses_args *a)
{
    clnn_tensor *all[] = {a->x, a->targets, a->labels, a->ids, a->state, a->alpha, a->loss, a->grad};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* The tensors of every op on [rows, cols]; 0 when one could not be made. */
static int make_args(bench_env *env, size_t rows, size_t cols, losses_args *a)
{
    *a = (losses_args){env->ctx, 0, f32(env, rows, cols, -5, 5), f32(env, rows, cols, 0, 1), i32(env, rows, 7, cols),
                       i32(env, rows, 1, rows), f32(env, rows, cols, 0, 0.5f / (float)cols), f32(env, cols, 1, 0.25f, 1),
                       f32(env, 1, 1, 0, 0), f32(env, rows, cols, 0, 0)};
    /* ASL targets 0/1: about one class in five positive */
    if (a->targets && clnn_tensor_random_uniform(a->targets, 3, 0, -4, 1) != CLNN_OK) return 0;
    if (a->targets) {
        float *host = malloc(rows * cols * sizeof *host);
        int ok = host && clnn_tensor_download(a->targets, host, rows * cols * sizeof *host) == CLNN_OK;
        for (size_t i = 0; ok && i < rows * cols; i++) host[i] = host[i] > 0.0f ? 1.0f : 0.0f;
        ok = ok && clnn_tensor_upload(a->targets, host, rows * cols * sizeof *host) == CLNN_OK;
        free(host);
        if (!ok) return 0;
    }
    return a->x && a->targets && a->labels && a->ids && a->state && a->alpha && a->loss && a->grad;
}

/* Every loss on [rows, 1000]: GB/s against the copy bandwidth. */
static void bandwidth_rows(bench_env *env)
{
    size_t rows = env->quick ? 1024 : 8192, classes = 1000;
    losses_args a;
    if (!make_args(env, rows, classes, &a)) {
        fprintf(stderr, "bench losses: %s\n", clnn_last_error(env->ctx));
        release_args(&a);
        return;
    }
    for (a.op = 0; a.op < N_OPS; a.op++) {
        double bytes = op_arrays[a.op] * (double)rows * (double)classes * sizeof(float);
        bytes += (double)rows * sizeof(int32_t) * (a.op == OP_ASL ? 0 : a.op == OP_ELR ? 2 : 1);
        double t = bench_time(env, run_op, &a);
        char name[96];
        snprintf(name, sizeof name, "%s %zux%zu", op_names[a.op], rows, classes);
        bench_report(env, "losses", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
    }
    release_args(&a);
}

/* Spherical Z-loss vs cross-entropy, value + gradient, at 10, 1000 and
 * 100000 classes and about the same number of logits each: device ns per
 * row (ratio < 1: the Z-loss is faster). */
static void z_vs_ce_rows(bench_env *env)
{
    const size_t classes[] = {10, 1000, 100000}, elements = env->quick ? (1u << 20) : (1u << 23);
    for (size_t i = 0; i < 3; i++) {
        size_t c = classes[i], rows = elements / c;
        losses_args a;
        if (!make_args(env, rows, c, &a)) {
            fprintf(stderr, "bench losses: %s\n", clnn_last_error(env->ctx));
            release_args(&a);
            continue;
        }
        a.op = OP_SPHERICAL;
        double tz = bench_time(env, run_op, &a);
        a.op = OP_CE;
        double tce = bench_time(env, run_op, &a);
        char name[96];
        snprintf(name, sizeof name, "spherical Z vs CE, C=%zu (%zu rows)", c, rows);
        if (tz > 0 && tce > 0)
            bench_report(env, "losses", name, tz / (double)rows * 1e9, "ns/row", tce / (double)rows * 1e9,
                         "CE ns/row (layers.h)");
        release_args(&a);
    }
}

/* One training step of an output layer o = W h + b, h [N, d], W [C, d], on
 * either loss: the hidden-layer Z-loss's whole call (loss, dh, dW, db), or
 * dense forward (the logits GEMM + bias) + cross-entropy (value, dlogits) +
 * dense backward (dh, dW, db: two GEMMs and the column sums). */
typedef struct zh_args {
    clnn_context *ctx;
    int ce;
    clnn_tensor *h, *w, *b, *labels, *loss, *dh, *dw, *db, *logits, *dlogits;
} zh_args;

static int run_zh(void *p)
{
    const zh_args *a = p;
    clnn_status st;
    if (!a->ce)
        return clnn_spherical_z_loss_hidden(a->ctx, a->h, a->w, a->b, a->labels, 0.1f, 10.0f, 1e-6f,
                                            NULL, CLNN_REDUCE_MEAN, a->loss, a->dh, a->dw, a->db) != CLNN_OK;
    st = clnn_dense_forward(a->ctx, a->h, a->w, a->b, CLNN_ACT_NONE, 0.0f, NULL, a->logits);
    if (st == CLNN_OK) st = clnn_cross_entropy_labels(a->ctx, a->logits, a->labels, NULL, a->loss, a->dlogits);
    if (st == CLNN_OK)
        st = clnn_dense_backward(a->ctx, a->h, a->w, NULL, a->dlogits, CLNN_ACT_NONE, 0.0f, 0, a->dh, a->dw, a->db);
    return st != CLNN_OK;
}

static void release_zh(zh_args *a)
{
    clnn_tensor *all[] = {a->h, a->w, a->b, a->labels, a->loss, a->dh, a->dw, a->db, a->logits, a->dlogits};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* The output layer's tensors for rows x c at d; 0 when one could not be
 * made (bias and db 1-D [c]). The logits and their gradient only for GEMM +
 * CE (ce 1): the Z-loss never forms them, and at 8192 rows x 100000 classes
 * they would pass a device's largest allocation (rusticl: 2 GiB). */
static int make_zh(bench_env *env, int ce, size_t rows, size_t d, size_t c, zh_args *a)
{
    *a = (zh_args){env->ctx,
                   ce,
                   f32(env, rows, d, -1, 1),
                   f32(env, c, d, -0.1f, 0.1f),
                   f32(env, c, 1, -0.1f, 0.1f),
                   i32(env, rows, 7, c),
                   f32(env, 1, 1, 0, 0),
                   f32(env, rows, d, 0, 0),
                   f32(env, c, d, 0, 0),
                   f32(env, c, 1, 0, 0),
                   ce ? f32(env, rows, c, 0, 0) : NULL,
                   ce ? f32(env, rows, c, 0, 0) : NULL};
    if (!(a->h && a->w && a->b && a->labels && a->loss && a->dh && a->dw && a->db && (!ce || (a->logits && a->dlogits))))
        return 0;
    return clnn_tensor_reshape(a->b, 1, &c) == CLNN_OK && clnn_tensor_reshape(a->db, 1, &c) == CLNN_OK;
}

/* Wall seconds of one step of the Z-loss (ce 0) or of GEMM + CE (ce 1) on
 * rows_a x c and rows_b x c, the runs alternating (bench_wall_time_pair);
 * CLBlast's profiling event covers only its last kernel, so GEMM steps are
 * timed by the wall clock. 0, or -1 when the tensors could not be made or a
 * call failed. */
static int time_zh_pair(bench_env *env, int ce, size_t rows_a, size_t rows_b, size_t d, size_t c, double *ta,
                        double *tb)
{
    zh_args a, b;
    int made_a = make_zh(env, ce, rows_a, d, c, &a), made_b = made_a && make_zh(env, ce, rows_b, d, c, &b), st = -1;
    if (made_b) st = bench_wall_time_pair(env, run_zh, &a, &b, ta, tb);
    if (st != 0) fprintf(stderr, "bench losses: %s\n", clnn_last_error(env->ctx));
    release_zh(&a);
    if (made_a) release_zh(&b);
    return st;
}

/* The hidden-layer Z-loss vs GEMM + cross-entropy, a whole step each (value
 * and the gradients of h, W, b), d = 128, C = 10, 1000, 100000 (ratio < 1:
 * the Z-loss step is faster). Two rows per C: ns per row of a step of N
 * rows, and the cost of one more row, (t(N2) - t(N1)) / (N2 - N1). The
 * Z-loss's per-row work is O(d²) whatever C is; its per-call statistics
 * (Q = WᵀW) and dW = W·M are O(C d²), shared by the rows: the second row
 * leaves them out. Its rows go from N to 8192 (8N without --quick): at
 * C = 100000 the per-call part is ~100 times a row's share of it at N, and
 * a shorter span drowns the difference in that part's noise; CE's step is
 * O(C d) per row, its rows go from N/4 to N (its logits are N x C). */
static void z_hidden_vs_ce_rows(bench_env *env)
{
    const size_t classes[] = {10, 1000, 100000}, d = 128, rows = env->quick ? 256 : 1024, many = 8192;
    for (size_t i = 0; i < 3; i++) {
        const size_t c = classes[i];
        double tz, tz_many, tce_few, tce;
        if (time_zh_pair(env, 0, rows, many, d, c, &tz, &tz_many) != 0 ||
            time_zh_pair(env, 1, rows / 4, rows, d, c, &tce_few, &tce) != 0)
            continue;
        char name[96];
        snprintf(name, sizeof name, "Z-hidden vs GEMM+CE step, d=128, C=%zu (%zu rows)", c, rows);
        bench_report(env, "losses", name, tz / (double)rows * 1e9, "ns/row", tce / (double)rows * 1e9,
                     "GEMM+CE ns/row");
        snprintf(name, sizeof name, "Z-hidden vs GEMM+CE per extra row, d=128, C=%zu", c);
        bench_report(env, "losses", name, (tz_many - tz) / (double)(many - rows) * 1e9, "ns/row",
                     (tce - tce_few) / (double)(rows - rows / 4) * 1e9, "GEMM+CE ns/row");
    }
}

void bench_losses(bench_env *env)
{
    bandwidth_rows(env);
    z_vs_ce_rows(env);
    z_hidden_vs_ce_rows(env);
}
