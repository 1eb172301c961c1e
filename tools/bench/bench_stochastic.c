/* Stochastic regularizers and batch augmentation: memory-bound kernels,
 * reported in GB/s (the bytes each must read and write once) against the
 * device copy bandwidth measured first in the same run. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum {
    DROPCONNECT, SPATIAL, DROPBLOCK, DROPBLOCK_BWD, DEPTH, NOISE, NOISE_UNIFORM, MIXOUT, MIXUP, CUTMIX, CUTOUT,
    MIX_LABELS, NKERNELS
};
/* floats moved per element of x [N, C, H, W]: DropConnect, spatial dropout,
 * the noises and Cutout read x and write y (Cutout also reads the zeroed
 * square, as dropout reads its dropped entries); stochastic depth, Mixout
 * and Mixup read two inputs and write y; CutMix reads each element once,
 * from x or x[perm], and writes y; DropBlock counts its essential traffic
 * (read x, write y and the mask), not its intermediate passes, and its
 * backward reads dy and the mask and writes dx. Label mixing writes the
 * targets [L, K] (L K = the element count of x, K = 1024): one float per
 * element, plus the int32 labels[n], perm[n] and labels[perm[n]] it reads
 * per row (LABEL_ROW_BYTES); validating labels and perm on the host is not
 * device time and is not timed. */
static const bench_floats_row kernels[NKERNELS] = {
    {"DropConnect forward", 2},      {"spatial dropout forward", 2}, {"DropBlock forward b=3", 3},
    {"DropBlock backward", 3},       {"stochastic depth forward", 3}, {"Gaussian noise forward", 2},
    {"uniform noise forward", 2},    {"Mixout forward", 3},          {"Mixup forward", 3},
    {"CutMix forward", 2},           {"Cutout forward s=16", 2},     {"label mixing K=1024", 1},
};
#define LABEL_CLASSES 1024
#define LABEL_ROW_BYTES (3.0 * sizeof(int32_t))

typedef struct stoch_args {
    clnn_context *ctx;
    clnn_tensor *x, *other, *y, *mask, *perm, *labels, *label_perm, *targets;
    clnn_box box;
    int which;
} stoch_args;

static int run(void *p)
{
    stoch_args *a = p;
    clnn_status st = CLNN_ERR_INTERNAL;
    switch (a->which) {
    case DROPCONNECT: st = clnn_dropconnect_forward(a->ctx, a->x, 0.3f, 1, a->y); break;
    case SPATIAL: st = clnn_spatial_dropout_forward(a->ctx, a->x, 0.3f, 1, a->y); break;
    case DROPBLOCK: st = clnn_dropblock_forward(a->ctx, a->x, 3, 0.9f, 1, a->mask, a->y); break;
    case DROPBLOCK_BWD: st = clnn_dropblock_backward(a->ctx, a->other, a->mask, a->y); break;
    case DEPTH: st = clnn_stochastic_depth_forward(a->ctx, a->x, a->other, 0.2f, 1, a->y); break;
    case NOISE: st = clnn_noise_forward(a->ctx, a->x, CLNN_NOISE_GAUSSIAN, 0.1f, 1, a->y); break;
    case NOISE_UNIFORM: st = clnn_noise_forward(a->ctx, a->x, CLNN_NOISE_UNIFORM, 0.1f, 1, a->y); break;
    case MIXOUT: st = clnn_mixout_forward(a->ctx, a->x, a->other, 0.3f, 1, a->y); break;
    case MIXUP: st = clnn_mixup_forward(a->ctx, a->x, a->perm, 0.3f, a->y); break;
    case CUTMIX: st = clnn_cutmix_forward(a->ctx, a->x, a->perm, a->box, a->y); break;
    case CUTOUT: st = clnn_cutout_forward(a->ctx, a->x, 16, 1, a->y); break;
    case MIX_LABELS: st = clnn_mix_labels(a->ctx, a->labels, a->label_perm, 0.3f, a->targets); break;
    }
    return st != CLNN_OK;
}

/* An int32 [n] tensor holding a permutation of 0..n-1 (values mod `mod`). */
static clnn_status upload_permutation(bench_env *env, size_t n, int32_t mod, uint64_t seed, clnn_tensor **t)
{
    int32_t *v = malloc(n * sizeof *v);
    clnn_status st = v ? clnn_permutation_sample(seed, n, v) : CLNN_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; st == CLNN_OK && i < n; i++) v[i] %= mod;
    if (st == CLNN_OK) st = clnn_tensor_create(env->ctx, CLNN_INT32, 1, &n, t);
    if (st == CLNN_OK) st = clnn_tensor_upload(*t, v, n * sizeof *v);
    free(v);
    return st;
}

void bench_stochastic(bench_env *env)
{
    /* [N, C, H, W] = [64, 64, 32, 32] (16 MiB per tensor), quick: [16, 64, 32, 32] */
    size_t shape[4] = {env->quick ? 16u : 64u, 64, 32, 32}, count = shape[0] * shape[1] * shape[2] * shape[3];
    size_t label_rows = count / LABEL_CLASSES, tshape[2] = {label_rows, LABEL_CLASSES};
    stoch_args a = {env->ctx, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0, 0, 0, 0}, 0};
    float lambda_adjusted;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.x) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.other) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.y) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.mask) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 2, tshape, &a.targets) != CLNN_OK ||
        clnn_tensor_random_uniform(a.x, 1, 0, -1.0f, 1.0f) != CLNN_OK ||
        clnn_tensor_random_uniform(a.other, 2, 0, -1.0f, 1.0f) != CLNN_OK ||
        clnn_tensor_fill(a.mask, 1.0f) != CLNN_OK ||
        upload_permutation(env, shape[0], (int32_t)shape[0], 3, &a.perm) != CLNN_OK ||
        upload_permutation(env, label_rows, (int32_t)label_rows, 4, &a.label_perm) != CLNN_OK ||
        upload_permutation(env, label_rows, LABEL_CLASSES, 5, &a.labels) != CLNN_OK ||
        clnn_cutmix_sample_box(0.7f, shape[2], shape[3], 6, &a.box, &lambda_adjusted) != CLNN_OK) {
        fprintf(stderr, "bench stochastic: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    for (int k = 0; k < NKERNELS; k++) {
        a.which = k;
        double t = bench_time(env, run, &a);
        double bytes = kernels[k].floats * 4.0 * (double)count + (k == MIX_LABELS ? LABEL_ROW_BYTES * label_rows : 0);
        char name[96];
        snprintf(name, sizeof name, "%s %zu MiB", kernels[k].name, count * 4 >> 20);
        bench_report(env, "stochastic", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
    }
out:;
    clnn_tensor *all[] = {a.x, a.other, a.y, a.mask, a.perm, a.labels, a.label_perm, a.targets};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}
