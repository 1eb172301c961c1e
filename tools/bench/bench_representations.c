/* Representation losses (include/clnn/representations.h): the memory-bound
 * ones in GB/s against the device copy bandwidth measured in the same run.
 * GB/s counts the minimum traffic of value + gradient: each input read once,
 * each output written once (the VICReg variance reads z twice, once for the
 * column statistics and once for the gradient; the VICReg invariance reads
 * z and z' and writes both gradients; Sinkhorn counts the scores
 * read by each half-iteration and P written once, but it is bound by its
 * one exp per element and half-iteration, not by memory: its ratio says how
 * far from the copy bandwidth that leaves it). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum { HUBER, PSEUDO_HUBER, CENTER_LOSS, CENTER_UPDATE, VARIANCE, INVARIANCE, SINKHORN, N_OPS };
static const char *const op_names[N_OPS] = {"Huber value+grad",           "pseudo-Huber value+grad (rows of 1024)",
                                            "center loss value+grad",     "center update",
                                            "VICReg variance value+grad", "VICReg invariance value+2 grads",
                                            "Sinkhorn fwd (exp-bound)"};

#define SINKHORN_ITERS 10

typedef struct repr_args {
    clnn_context *ctx;
    int op;
    clnn_tensor *x, *y, *g, *loss, *labels, *centers, *s, *p, *g2;
} repr_args;

static int run_op(void *p)
{
    repr_args *a = p;
    clnn_status st;
    switch (a->op) {
    case HUBER: st = clnn_huber_loss(a->ctx, a->x, a->y, 0.5f, CLNN_REDUCE_MEAN, a->loss, a->g); break;
    case PSEUDO_HUBER: st = clnn_pseudo_huber_loss(a->ctx, a->x, a->y, 0.5f, CLNN_REDUCE_MEAN, a->loss, a->g); break;
    case CENTER_LOSS:
        st = clnn_center_loss(a->ctx, a->x, a->labels, a->centers, CLNN_REDUCE_MEAN, a->loss, a->g);
        break;
    case CENTER_UPDATE: st = clnn_center_loss_update(a->ctx, a->x, a->labels, 0.01f, a->centers); break;
    case VARIANCE: st = clnn_vicreg_variance(a->ctx, a->x, 1.0f, 1e-4f, a->loss, a->g); break;
    case INVARIANCE: st = clnn_vicreg_invariance(a->ctx, a->x, a->y, a->loss, a->g, a->g2); break;
    default: st = clnn_sinkhorn_forward(a->ctx, a->s, 0.5f, SINKHORN_ITERS, a->p, NULL); break;
    }
    return st != CLNN_OK;
}

static clnn_tensor *tensor(bench_env *env, clnn_dtype dtype, int ndim, const size_t *shape, unsigned seed)
{
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, dtype, ndim, shape, &t) != CLNN_OK) return NULL;
    if (dtype == CLNN_FLOAT32 ? clnn_tensor_random_uniform(t, seed, 0, -1.0f, 1.0f) : CLNN_OK) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

void bench_representations(bench_env *env)
{
    /* embeddings [N, D] = [4096, 1024] (16 MiB), 1000 classes; Sinkhorn [B, 512, 512] */
    size_t n = env->quick ? 1024 : 4096, d = 1024, k = 1000, batch = env->quick ? 4 : 16;
    size_t xs[2] = {n, d}, cs[2] = {k, d}, one = 1, ss[3] = {batch, 512, 512};
    repr_args a = {env->ctx, 0, tensor(env, CLNN_FLOAT32, 2, xs, 1), tensor(env, CLNN_FLOAT32, 2, xs, 2),
                   tensor(env, CLNN_FLOAT32, 2, xs, 3), tensor(env, CLNN_FLOAT32, 1, &one, 4),
                   tensor(env, CLNN_INT32, 1, &n, 5),   tensor(env, CLNN_FLOAT32, 2, cs, 6),
                   tensor(env, CLNN_FLOAT32, 3, ss, 7), tensor(env, CLNN_FLOAT32, 3, ss, 8),
                   tensor(env, CLNN_FLOAT32, 2, xs, 9)};
    int32_t *labels = malloc(n * sizeof *labels);
    for (size_t i = 0; labels && i < n; i++) labels[i] = (int32_t)((i * 7 + 3) % k); /* every class present */
    if (!labels || !a.x || !a.y || !a.g || !a.loss || !a.labels || !a.centers || !a.s || !a.p || !a.g2 ||
        clnn_tensor_upload(a.labels, labels, n * sizeof *labels) != CLNN_OK) {
        fprintf(stderr, "bench representations: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    double nd = (double)n * (double)d, kd = (double)k * (double)d, scount = (double)batch * 512 * 512;
    const double floats[N_OPS] = {3 * nd, 3 * nd, 2 * nd + kd + (double)n, nd + 2 * kd + (double)n, 2 * nd,
                                  4 * nd, (2 * SINKHORN_ITERS + 1) * scount};
    for (a.op = 0; a.op < N_OPS; a.op++) {
        double t = bench_time(env, run_op, &a);
        char name[96];
        if (a.op == SINKHORN)
            snprintf(name, sizeof name, "%s %zux512x512, %d it.", op_names[a.op], batch, SINKHORN_ITERS);
        else snprintf(name, sizeof name, "%s %zux%zu", op_names[a.op], n, d);
        bench_report(env, "representations", name, t > 0 ? floats[a.op] * 4.0 / t * 1e-9 : 0, "GB/s", env->copy_gbps,
                     "copy bandwidth");
    }
out:
    free(labels);
    clnn_tensor *all[] = {a.x, a.y, a.g, a.loss, a.labels, a.centers, a.s, a.p, a.g2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}
