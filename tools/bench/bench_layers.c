/* Layers: dense forward GFLOPS against CLBlast SGEMM of the same size timed in
 * the same run; fused softmax-cross-entropy (value + gradient), softmax and
 * layer norm forward and activation forward GB/s against the device copy
 * bandwidth. GB/s counts the minimum traffic (each input read once, each
 * output written once). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct layer_args {
    clnn_context *ctx;
    clnn_tensor *a, *b, *c, *d, *e;
    clnn_activation act;
} layer_args;

static clnn_tensor *bench_tensor(bench_env *env, clnn_dtype dtype, size_t rows, size_t cols, float fill)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, dtype, 2, shape, &t) != CLNN_OK) return NULL;
    if (dtype == CLNN_FLOAT32 ? clnn_tensor_random_uniform(t, 7, 0, -fill, fill) : clnn_tensor_fill(t, fill)) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

/* y = relu(x W^T + b) */
static int run_dense(void *p)
{
    layer_args *a = p;
    return clnn_dense_forward(a->ctx, a->a, a->b, a->c, CLNN_ACT_RELU, 0.0f, NULL, a->d) != CLNN_OK;
}

static void bench_dense(bench_env *env)
{
    size_t n = env->quick ? 256 : 1024, in = env->quick ? 512 : 1024, out = env->quick ? 512 : 1024;
    layer_args a = {env->ctx, bench_tensor(env, CLNN_FLOAT32, n, in, 1), bench_tensor(env, CLNN_FLOAT32, out, in, 1),
                    bench_tensor(env, CLNN_FLOAT32, 1, out, 1), bench_tensor(env, CLNN_FLOAT32, n, out, 1), NULL,
                    CLNN_ACT_RELU};
    if (!a.a || !a.b || !a.c || !a.d) {
        fprintf(stderr, "bench layers: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    double flops = 2.0 * (double)n * (double)in * (double)out;
    /* wall clock for both: CLBlast's event would cover only its last kernel */
    double t_dense = bench_wall_time(env, run_dense, &a);
    const bench_gemm same = {n, out, in, 1, 0, 1}; /* x W^T, as the layer computes it */
    double t_gemm = bench_gemm_time(env, &same, 1);
    char name[96];
    snprintf(name, sizeof name, "dense fwd relu+bias %zux%zux%zu", n, in, out);
    bench_report(env, "layers", name, t_dense > 0 ? flops / t_dense * 1e-9 : 0, "GFLOPS",
                 t_gemm > 0 ? flops / t_gemm * 1e-9 : 0, "CLBlast SGEMM same size");
out:
    clnn_tensor_release(a.a);
    clnn_tensor_release(a.b);
    clnn_tensor_release(a.c);
    clnn_tensor_release(a.d);
}

/* ---------------------------------------------------- memory-bound rows */

/* loss and dlogits of cross-entropy from logits with labels, one call */
static int run_softmax_ce(void *p)
{
    layer_args *a = p;
    return clnn_cross_entropy_labels(a->ctx, a->a, a->b, NULL, a->c, a->d) != CLNN_OK;
}

static int run_activation(void *p)
{
    layer_args *a = p;
    return clnn_activation_forward(a->ctx, a->a, a->act, 0.0f, a->b) != CLNN_OK;
}

static void bench_softmax_ce(bench_env *env)
{
    size_t rows = env->quick ? 1024 : 8192, classes = 1000;
    layer_args a = {env->ctx, bench_tensor(env, CLNN_FLOAT32, rows, classes, 5),
                    bench_tensor(env, CLNN_INT32, rows, 1, 3), bench_tensor(env, CLNN_FLOAT32, 1, 1, 0),
                    bench_tensor(env, CLNN_FLOAT32, rows, classes, 0), NULL, CLNN_ACT_NONE};
    if (!a.a || !a.b || !a.c || !a.d) {
        fprintf(stderr, "bench layers: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    double bytes = 2.0 * (double)rows * (double)classes * sizeof(float) + (double)rows * sizeof(int);
    double t = bench_time(env, run_softmax_ce, &a);
    char name[96];
    snprintf(name, sizeof name, "softmax-CE fwd+grad %zux%zu", rows, classes);
    bench_report(env, "layers", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
out:
    clnn_tensor_release(a.a);
    clnn_tensor_release(a.b);
    clnn_tensor_release(a.c);
    clnn_tensor_release(a.d);
}

/* row-wise forward passes on [rows, cols]: softmax reads x and writes y;
 * layer norm reads x, gamma and beta and writes y, save_mean and save_invstd */
enum { ROW_SOFTMAX, ROW_LAYERNORM, N_ROW_OPS };
typedef struct row_args {
    clnn_context *ctx;
    int op;
    clnn_tensor *x, *y, *gamma, *beta, *mean, *invstd;
} row_args;

static int run_rowwise(void *p)
{
    row_args *a = p;
    clnn_status st = a->op == ROW_SOFTMAX
                         ? clnn_softmax_forward(a->ctx, a->x, a->y)
                         : clnn_layernorm_forward(a->ctx, a->x, a->gamma, a->beta, 1e-5f, a->y, a->mean, a->invstd);
    return st != CLNN_OK;
}

static void bench_rowwise(bench_env *env)
{
    size_t rows = env->quick ? 1024 : 8192, cols = 1024;
    row_args a = {env->ctx, 0, bench_tensor(env, CLNN_FLOAT32, rows, cols, 5),
                  bench_tensor(env, CLNN_FLOAT32, rows, cols, 0), bench_tensor(env, CLNN_FLOAT32, 1, cols, 1),
                  bench_tensor(env, CLNN_FLOAT32, 1, cols, 1), bench_tensor(env, CLNN_FLOAT32, rows, 1, 0),
                  bench_tensor(env, CLNN_FLOAT32, rows, 1, 0)};
    clnn_tensor *all[] = {a.x, a.y, a.gamma, a.beta, a.mean, a.invstd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i]) {
            fprintf(stderr, "bench layers: %s\n", clnn_last_error(env->ctx));
            goto out;
        }
    static const char *const names[N_ROW_OPS] = {"softmax fwd", "layer norm fwd affine"};
    double rc = (double)rows * (double)cols;
    const double floats[N_ROW_OPS] = {2 * rc, 2 * rc + 2.0 * (double)cols + 2.0 * (double)rows};
    for (a.op = 0; a.op < N_ROW_OPS; a.op++) {
        double t = bench_time(env, run_rowwise, &a);
        char name[96];
        snprintf(name, sizeof name, "%s %zux%zu", names[a.op], rows, cols);
        bench_report(env, "layers", name, t > 0 ? floats[a.op] * sizeof(float) / t * 1e-9 : 0, "GB/s",
                     env->copy_gbps, "copy bandwidth");
    }
out:
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

static void bench_activation(bench_env *env)
{
    size_t count = env->quick ? (size_t)1 << 22 : (size_t)1 << 24;
    layer_args a = {env->ctx, bench_tensor(env, CLNN_FLOAT32, 1, count, 4),
                    bench_tensor(env, CLNN_FLOAT32, 1, count, 0), NULL, NULL, NULL, CLNN_ACT_NONE};
    static const clnn_activation acts[] = {CLNN_ACT_RELU, CLNN_ACT_GELU, CLNN_ACT_SILU};
    static const char *names[] = {"relu", "gelu", "silu"};
    if (!a.a || !a.b) {
        fprintf(stderr, "bench layers: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        a.act = acts[i];
        double t = bench_time(env, run_activation, &a);
        char name[96];
        snprintf(name, sizeof name, "activation %s fwd %zu MiB", names[i], count * sizeof(float) >> 20);
        bench_report(env, "layers", name, t > 0 ? 2.0 * (double)count * sizeof(float) / t * 1e-9 : 0, "GB/s",
                     env->copy_gbps, "copy bandwidth");
    }
out:
    clnn_tensor_release(a.a);
    clnn_tensor_release(a.b);
}

/* clnn_sigmoid_loss on [rows, 1000]: BCE with per-class weight and
 * pos_weight, and the sigmoid focal loss (gamma 2, alpha 0.25); value and
 * gradient read logits and targets and write the gradient. */
typedef struct sigmoid_args {
    clnn_context *ctx;
    clnn_tensor *x, *t, *loss, *grad;
    clnn_sigmoid_loss_options opt;
} sigmoid_args;

static int run_sigmoid(void *p)
{
    sigmoid_args *a = p;
    return clnn_sigmoid_loss(a->ctx, a->x, a->t, &a->opt, a->loss, a->grad) != CLNN_OK;
}

static void bench_sigmoid_losses(bench_env *env)
{
    size_t rows = env->quick ? 256 : 8192, cols = 1000;
    sigmoid_args a = {env->ctx, bench_tensor(env, CLNN_FLOAT32, rows, cols, 2), bench_tensor(env, CLNN_FLOAT32, rows, cols, 0),
                      bench_tensor(env, CLNN_FLOAT32, 1, 1, 0), bench_tensor(env, CLNN_FLOAT32, rows, cols, 0), {0}};
    clnn_tensor *w = bench_tensor(env, CLNN_FLOAT32, 1, cols, 1), *pw = bench_tensor(env, CLNN_FLOAT32, 1, cols, 1);
    clnn_tensor *all[] = {a.x, a.t, a.loss, a.grad, w, pw};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i]) {
            fprintf(stderr, "bench layers: %s\n", clnn_last_error(env->ctx));
            goto out;
        }
    for (int focal = 0; focal <= 1; focal++) {
        clnn_sigmoid_loss_options_init(&a.opt);
        a.opt.weight = w;
        a.opt.pos_weight = focal ? NULL : pw;
        a.opt.gamma = focal ? 2.0f : 0.0f;
        a.opt.alpha = focal ? 0.25f : -1.0f;
        double t = bench_time(env, run_sigmoid, &a);
        char name[96];
        snprintf(name, sizeof name, "%s %zux%zu", focal ? "sigmoid focal loss" : "BCE, weight + pos_weight", rows, cols);
        bench_report(env, "layers", name, t > 0 ? 3.0 * (double)rows * (double)cols * sizeof(float) / t * 1e-9 : 0,
                     "GB/s", env->copy_gbps, "copy bandwidth");
    }
out:
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* Along a dimension: softmax over C of [N, C, H·W] (reads x, writes y), and
 * cross-entropy over dim 1 with labels [N, H·W] (reads logits and labels,
 * writes dlogits; the moves to [rows, C] and back are extra traffic, which the
 * ratio counts against it). */
typedef struct class_dim_args {
    clnn_context *ctx;
    int ce;
    clnn_tensor *x, *y, *labels, *loss;
    clnn_cross_entropy_options opt;
} class_dim_args;

static int run_class_dim(void *p)
{
    class_dim_args *a = p;
    clnn_status st = a->ce ? clnn_cross_entropy_labels(a->ctx, a->x, a->labels, &a->opt, a->loss, a->y)
                           : clnn_softmax_dim_forward(a->ctx, a->x, 1, a->y);
    return st != CLNN_OK;
}

static void bench_class_dim(bench_env *env)
{
    size_t n = env->quick ? 4 : 16, classes = 21, pixels = 128 * 128; /* a segmentation head (Pascal VOC's classes) */
    class_dim_args a = {env->ctx, 0, bench_tensor(env, CLNN_FLOAT32, n * classes, pixels, 5),
                        bench_tensor(env, CLNN_FLOAT32, n * classes, pixels, 0),
                        bench_tensor(env, CLNN_INT32, n * pixels, 1, 3), bench_tensor(env, CLNN_FLOAT32, 1, 1, 0),
                        {0}};
    clnn_tensor *all[] = {a.x, a.y, a.labels, a.loss};
    const size_t shape[3] = {n, classes, pixels};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i] || (i < 2 && clnn_tensor_reshape(all[i], 3, shape) != CLNN_OK)) {
            fprintf(stderr, "bench layers: %s\n", clnn_last_error(env->ctx));
            goto out;
        }
    clnn_cross_entropy_options_init(&a.opt);
    a.opt.class_dim = 1;
    double elems = (double)n * (double)classes * (double)pixels;
    for (a.ce = 0; a.ce < 2; a.ce++) {
        double t = bench_time(env, run_class_dim, &a);
        double bytes = 2.0 * elems * sizeof(float) + (a.ce ? (double)n * (double)pixels * sizeof(int) : 0.0);
        char name[96];
        snprintf(name, sizeof name, "%s [%zu, %zu, %zu]", a.ce ? "CE over dim 1 fwd+grad" : "softmax over dim 1 fwd", n,
                 classes, pixels);
        bench_report(env, "layers", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
    }
out:
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

void bench_layers(bench_env *env)
{
    bench_dense(env);
    bench_softmax_ce(env);
    bench_rowwise(env);
    bench_class_dim(env);
    bench_activation(env);
    bench_sigmoid_losses(env);
}
