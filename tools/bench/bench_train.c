/* One full training step of each sample (samples/common/mlp_model.c,
 * cnn_model.c and transformer_model.c, the same code the samples run):
 * forward, cross-entropy, backward, fused AdamW (+ dropout, cutout,
 * group-lasso prox, gradient clipping as the samples use them), timed by
 * the wall clock up to clnn_finish, on random images.
 *
 * Reference, measured in the same run: the step's matrix products alone, as
 * CLBlast SGEMMs of the same shapes (the convolutions as one im2col GEMM over
 * the whole batch), launched back to back and timed the same way. The ratio
 * (step images/s over GEMM-only images/s) is the share of the step's time
 * that the unavoidable GEMM work takes: 1.0 would mean everything else
 * (im2col, batch norm, pooling, activations, loss, optimizer, launch
 * overhead) is free. */
#include "bench.h"

#include "cnn_model.h"
#include "mlp_model.h"
#include "transformer_model.h"

#include <stdio.h>
#include <stdlib.h>

/* Random images in [0, 1) and labels (i * 7 + 1) % 10 into x and labels. */
static int fill_batch(clnn_tensor *x, clnn_tensor *labels, size_t n)
{
    int32_t *y = malloc(n * sizeof *y);
    if (!y) return 1;
    for (size_t i = 0; i < n; i++) y[i] = (int32_t)((i * 7 + 1) % 10);
    int rc = clnn_tensor_random_uniform(x, 3, 0, 0.0f, 1.0f) != CLNN_OK ||
             clnn_tensor_upload(labels, y, n * sizeof *y) != CLNN_OK;
    free(y);
    return rc;
}

static void report_step(bench_env *env, const char *name, size_t batch, double t_step, const bench_gemm *shapes,
                        size_t count)
{
    double t_gemm = bench_gemm_time(env, shapes, count);
    if (t_step <= 0 || t_gemm <= 0) {
        fprintf(stderr, "bench train: %s: %s\n", name, clnn_last_error(env->ctx));
        return;
    }
    char label[96];
    snprintf(label, sizeof label, "%s (%.2f ms)", name, 1e3 * t_step);
    bench_report(env, "train", label, (double)batch / t_step, "img/s", (double)batch / t_gemm, "its GEMMs alone");
}

/* ------------------------------------------------------------------- MLP */

typedef struct mlp_args {
    clnn_context *ctx;
    mlp model;
    mlp_batch batch;
    const dp_group *g;
    size_t global;
    unsigned long step;
} mlp_args;

static int run_mlp_step(void *p)
{
    mlp_args *a = p;
    clnn_cross_entropy_options ce = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100};
    a->step++;
    mlp_train_step_dp(a->ctx, &a->model, &a->batch, &ce, 0.2f, a->step, 1e-3f, 0.01f, a->step, a->g, a->global);
    return clnn_finish(a->ctx) != CLNN_OK;
}

static int failed_step(void *p)
{
    (void)p;
    return 1;
}

double bench_mlp_step_time(bench_env *env, clnn_context *ctx, const dp_group *g, size_t rows, size_t global,
                           bench_timer timer, void *user)
{
    mlp_args a = {.ctx = ctx, .g = g, .global = global};
    mlp_create(ctx, &a.model, 1);
    mlp_batch_create(ctx, &a.batch, rows);
    /* the timer runs either way: across ranks it is collective, and a step that fails fails it everywhere */
    int bad = fill_batch(a.batch.x, a.batch.labels, rows);
    double t = timer(env, bad ? failed_step : run_mlp_step, &a, user);
    mlp_batch_release(&a.batch);
    mlp_release(&a.model);
    return bad ? -1 : t;
}

static double wall_timer(bench_env *env, int (*fn)(void *arg), void *arg, void *user)
{
    (void)user;
    return bench_wall_time(env, fn, arg);
}

static void bench_mlp(bench_env *env)
{
    size_t n = 128; /* the sample's default batch */
    const dp_group one = {0, 1, 0};
    double t = bench_mlp_step_time(env, env->ctx, &one, n, n, wall_timer, NULL);
    /* forward x W^T per layer, dW = dz^T x per layer, dx = dz W for layers 2 and 3 */
    const size_t in[3] = {784, 512, 256}, out[3] = {512, 256, 10};
    bench_gemm shapes[8];
    size_t count = 0;
    for (int l = 0; l < 3; l++) {
        shapes[count++] = (bench_gemm){n, out[l], in[l], 1, 0, 1};
        shapes[count++] = (bench_gemm){out[l], in[l], n, 1, 0, 0};
        if (l > 0) shapes[count++] = (bench_gemm){n, in[l], out[l], 1, 0, 0};
    }
    report_step(env, "MLP 784-512-256-10 step, batch 128", n, t, shapes, count);
}

/* ------------------------------------------------------------------- CNN */

typedef struct cnn_args {
    clnn_context *ctx;
    cnn model;
    cnn_batch batch;
    unsigned long step;
} cnn_args;

static int run_cnn_step(void *p)
{
    cnn_args *a = p;
    clnn_cross_entropy_options ce = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.0f, -100};
    a->step++;
    cnn_train_step(a->ctx, &a->model, &a->batch, &ce, 6, a->step, 2e-3f, 0.01f, 0.1f, a->step);
    return 0;
}

static void bench_cnn(bench_env *env)
{
    size_t n = 64; /* the sample's default batch */
    cnn_args a = {0};
    a.ctx = env->ctx;
    cnn_create(env->ctx, &a.model, 1);
    cnn_batch_create(env->ctx, &a.batch, n);
    double t = fill_batch(a.batch.x, a.batch.labels, n) ? -1 : bench_wall_time(env, run_cnn_step, &a);
    /* conv as im2col GEMMs over the batch: forward [K, C*9] x [C*9, N*HW],
     * weight gradient [K, N*HW] x [N*HW, C*9], data gradient (conv2 only)
     * [C*9, K] x [K, N*HW]; then the dense layer's three products */
    const size_t px1 = n * 28 * 28, px2 = n * 14 * 14;
    const bench_gemm shapes[] = {
        {CNN_C1, px1, 9, 1, 0, 0},          {CNN_C1, 9, px1, 1, 0, 0},          {CNN_C2, px2, 9 * CNN_C1, 1, 0, 0},
        {CNN_C2, 9 * CNN_C1, px2, 1, 0, 0}, {9 * CNN_C1, px2, CNN_C2, 1, 0, 0}, {n, CNN_CLASSES, CNN_FLAT, 1, 0, 1},
        {CNN_CLASSES, CNN_FLAT, n, 1, 0, 0}, {n, CNN_FLAT, CNN_CLASSES, 1, 0, 0},
    };
    report_step(env, "CNN conv-bn-relu-pool x2 step, batch 64", n, t, shapes, sizeof shapes / sizeof shapes[0]);
    cnn_batch_release(&a.batch);
    cnn_release(&a.model);
}

/* ----------------------------------------------------------- transformer */

typedef struct tf_args {
    clnn_context *ctx;
    transformer model;
    tf_batch batch;
} tf_args;

static int run_tf_step(void *p)
{
    tf_args *a = p;
    clnn_cross_entropy_options ce = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100};
    tf_train_step(a->ctx, &a->model, &a->batch, &ce, 2e-3f);
    return 0;
}

static void bench_transformer(bench_env *env)
{
    size_t n = 64; /* the sample's default batch */
    tf_args a = {0};
    a.ctx = env->ctx;
    tf_create(env->ctx, &a.model, 1, 2e-3f, 0.05f, 1.0f);
    tf_batch_create(env->ctx, &a.batch, n);
    double t = fill_batch(a.batch.x, a.batch.labels, n) ? -1 : bench_wall_time(env, run_tf_step, &a);
    /* every dense layer over the N = 28 n tokens: forward x W^T, dW = dz^T x
     * and (not for the token embedding) dx = dz W; the attention's products
     * per head as GEMMs batched over n * heads: forward scores and output,
     * backward the recomputed scores, dV, dP, dQ and dK */
    const size_t N = n * TF_SEQ, bh = n * TF_HEADS, S = TF_SEQ, dh = TF_DH;
    const size_t in[4] = {TF_D, TF_D, TF_D, TF_FF}, out[4] = {3 * TF_D, TF_D, TF_FF, TF_D};
    bench_gemm shapes[2 + TF_LAYERS * 19 + 3];
    size_t count = 0;
    shapes[count++] = (bench_gemm){N, TF_D, TF_IN, 1, 0, 1};
    shapes[count++] = (bench_gemm){TF_D, TF_IN, N, 1, 0, 0};
    for (int l = 0; l < TF_LAYERS; l++) {
        for (int d = 0; d < 4; d++) {
            shapes[count++] = (bench_gemm){N, out[d], in[d], 1, 0, 1};
            shapes[count++] = (bench_gemm){out[d], in[d], N, 1, 0, 0};
            shapes[count++] = (bench_gemm){N, in[d], out[d], 1, 0, 0};
        }
        shapes[count++] = (bench_gemm){S, S, dh, bh, 0, 1};
        shapes[count++] = (bench_gemm){S, dh, S, bh, 0, 0};
        shapes[count++] = (bench_gemm){S, S, dh, bh, 0, 1};
        shapes[count++] = (bench_gemm){S, dh, S, bh, 1, 0};
        shapes[count++] = (bench_gemm){S, S, dh, bh, 0, 1};
        shapes[count++] = (bench_gemm){S, dh, S, bh, 0, 0};
        shapes[count++] = (bench_gemm){S, dh, S, bh, 1, 0};
    }
    shapes[count++] = (bench_gemm){n, TF_CLASSES, TF_D, 1, 0, 1};
    shapes[count++] = (bench_gemm){TF_CLASSES, TF_D, n, 1, 0, 0};
    shapes[count++] = (bench_gemm){n, TF_D, TF_CLASSES, 1, 0, 0};
    report_step(env, "transformer 2 blocks d64 4 heads step, batch 64", n, t, shapes, count);
    tf_batch_release(&a.batch);
    tf_release(&a.model);
}

void bench_train(bench_env *env)
{
    bench_mlp(env);
    bench_cnn(env);
    bench_transformer(env);
}
