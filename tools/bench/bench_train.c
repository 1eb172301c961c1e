/* One full training step of each sample (samples/common/mlp_model.c and
 * cnn_model.c, the same code the samples run): forward, cross-entropy,
 * backward, fused AdamW (+ dropout, cutout, group-lasso prox as the samples
 * use them), timed by the wall clock up to clnn_finish, on random images.
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

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct gemm_shape {
    size_t m, n, k;
} gemm_shape;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall time of env->repeats runs of fn(arg) + clnn_finish, after one
 * untimed warm-up run (kernel builds, CLBlast's compile, first touch). */
static double wall_time(bench_env *env, int (*fn)(void *arg), void *arg)
{
    if (fn(arg) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
    double t[64];
    int n = env->repeats < 64 ? env->repeats : 64;
    for (int i = 0; i < n; i++) {
        double t0 = now_seconds();
        if (fn(arg) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
        t[i] = now_seconds() - t0;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return t[n / 2];
}

/* ------------------------------------------------------- GEMM reference */

typedef struct gemm_args {
    clnn_context *ctx;
    const gemm_shape *shapes;
    size_t count;
    cl_mem a, b, c;
} gemm_args;

static int run_gemms(void *p)
{
    gemm_args *g = p;
    cl_command_queue q;
    clnn_context_cl(g->ctx, NULL, &q, NULL);
    for (size_t i = 0; i < g->count; i++) {
        const gemm_shape *s = &g->shapes[i];
        if (CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, s->m, s->n, s->k, 1.0f, g->a, 0,
                         s->k, g->b, 0, s->n, 0.0f, g->c, 0, s->n, &q, NULL) != CLBlastSuccess)
            return 1;
    }
    return 0;
}

static clnn_tensor *zeros(bench_env *env, size_t count)
{
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &count, &t) != CLNN_OK) return NULL;
    if (clnn_tensor_fill(t, 0.01f) != CLNN_OK) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

/* Wall time of the GEMM list on buffers big enough for its largest shapes. */
static double time_gemm_list(bench_env *env, const gemm_shape *shapes, size_t count)
{
    size_t a = 1, b = 1, c = 1;
    for (size_t i = 0; i < count; i++) {
        if (shapes[i].m * shapes[i].k > a) a = shapes[i].m * shapes[i].k;
        if (shapes[i].k * shapes[i].n > b) b = shapes[i].k * shapes[i].n;
        if (shapes[i].m * shapes[i].n > c) c = shapes[i].m * shapes[i].n;
    }
    clnn_tensor *ta = zeros(env, a), *tb = zeros(env, b), *tc = zeros(env, c);
    double t = -1;
    if (ta && tb && tc) {
        gemm_args g = {env->ctx, shapes, count, clnn_tensor_buffer(ta), clnn_tensor_buffer(tb), clnn_tensor_buffer(tc)};
        t = wall_time(env, run_gemms, &g);
    }
    clnn_tensor_release(ta);
    clnn_tensor_release(tb);
    clnn_tensor_release(tc);
    return t;
}

/* Random images in [0, 1) and labels (i * 7 + 1) % 10 into x and labels. */
static int fill_batch(bench_env *env, clnn_tensor *x, clnn_tensor *labels, size_t n)
{
    int32_t *y = malloc(n * sizeof *y);
    if (!y) return 1;
    for (size_t i = 0; i < n; i++) y[i] = (int32_t)((i * 7 + 1) % 10);
    int rc = clnn_tensor_random_uniform(x, 3, 0, 0.0f, 1.0f) != CLNN_OK ||
             clnn_tensor_upload(labels, y, n * sizeof *y) != CLNN_OK;
    free(y);
    (void)env;
    return rc;
}

static void report_step(bench_env *env, const char *name, size_t batch, double t_step, const gemm_shape *shapes,
                        size_t count)
{
    double t_gemm = time_gemm_list(env, shapes, count);
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
    unsigned long step;
} mlp_args;

static int run_mlp_step(void *p)
{
    mlp_args *a = p;
    clnn_cross_entropy_options ce = {CLNN_REDUCE_MEAN, 0.1f, -100};
    a->step++;
    mlp_train_step(a->ctx, &a->model, &a->batch, &ce, 0.2f, a->step, 1e-3f, 0.01f, a->step);
    return 0;
}

static void bench_mlp(bench_env *env)
{
    size_t n = 128; /* the sample's default batch */
    mlp_args a = {0};
    a.ctx = env->ctx;
    mlp_create(env->ctx, &a.model, 1);
    mlp_batch_create(env->ctx, &a.batch, n);
    double t = fill_batch(env, a.batch.x, a.batch.labels, n) ? -1 : wall_time(env, run_mlp_step, &a);
    /* forward x W^T per layer, dW = dz^T x per layer, dx = dz W for layers 2 and 3 */
    const size_t in[3] = {784, 512, 256}, out[3] = {512, 256, 10};
    gemm_shape shapes[8];
    size_t count = 0;
    for (int l = 0; l < 3; l++) {
        shapes[count++] = (gemm_shape){n, out[l], in[l]};
        shapes[count++] = (gemm_shape){out[l], in[l], n};
        if (l > 0) shapes[count++] = (gemm_shape){n, in[l], out[l]};
    }
    report_step(env, "MLP 784-512-256-10 step, batch 128", n, t, shapes, count);
    mlp_batch_release(&a.batch);
    mlp_release(&a.model);
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
    clnn_cross_entropy_options ce = {CLNN_REDUCE_MEAN, 0.0f, -100};
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
    double t = fill_batch(env, a.batch.x, a.batch.labels, n) ? -1 : wall_time(env, run_cnn_step, &a);
    /* conv as im2col GEMMs over the batch: forward [K, C*9] x [C*9, N*HW],
     * weight gradient [K, N*HW] x [N*HW, C*9], data gradient (conv2 only)
     * [C*9, K] x [K, N*HW]; then the dense layer's three products */
    const size_t px1 = n * 28 * 28, px2 = n * 14 * 14;
    const gemm_shape shapes[] = {
        {CNN_C1, px1, 9},          {CNN_C1, 9, px1},           {CNN_C2, px2, 9 * CNN_C1},
        {CNN_C2, 9 * CNN_C1, px2}, {9 * CNN_C1, px2, CNN_C2},  {n, CNN_CLASSES, CNN_FLAT},
        {CNN_CLASSES, CNN_FLAT, n}, {n, CNN_FLAT, CNN_CLASSES},
    };
    report_step(env, "CNN conv-bn-relu-pool x2 step, batch 64", n, t, shapes, sizeof shapes / sizeof shapes[0]);
    cnn_batch_release(&a.batch);
    cnn_release(&a.model);
}

void bench_train(bench_env *env)
{
    bench_mlp(env);
    bench_cnn(env);
}
