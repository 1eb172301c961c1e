/* Stochastic regularizers and Mixup: memory-bound kernels, reported in GB/s
 * (the bytes each must read and write once) against the device copy
 * bandwidth measured first in the same run. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum { DROPCONNECT, SPATIAL, DROPBLOCK, NOISE, MIXOUT, MIXUP, NKERNELS };
static const char *const names[NKERNELS] = {"DropConnect forward",    "spatial dropout forward",
                                            "DropBlock forward b=3",  "Gaussian noise forward",
                                            "Mixout forward",         "Mixup forward"};
/* floats moved per element: DropConnect, spatial dropout and noise read x and
 * write y; Mixout and Mixup read two inputs; DropBlock counts its essential
 * traffic (read x, write y and the mask), not its intermediate passes. */
static const double floats_moved[NKERNELS] = {2, 2, 3, 2, 3, 3};

typedef struct stoch_args {
    clnn_context *ctx;
    clnn_tensor *x, *other, *y, *mask, *perm;
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
    case NOISE: st = clnn_noise_forward(a->ctx, a->x, CLNN_NOISE_GAUSSIAN, 0.1f, 1, a->y); break;
    case MIXOUT: st = clnn_mixout_forward(a->ctx, a->x, a->other, 0.3f, 1, a->y); break;
    case MIXUP: st = clnn_mixup_forward(a->ctx, a->x, a->perm, 0.3f, a->y); break;
    }
    return st != CLNN_OK;
}

void bench_stochastic(bench_env *env)
{
    /* [N, C, H, W] = [64, 64, 32, 32] (16 MiB per tensor), quick: [16, 64, 32, 32] */
    size_t shape[4] = {env->quick ? 16u : 64u, 64, 32, 32}, count = shape[0] * shape[1] * shape[2] * shape[3];
    stoch_args a = {env->ctx, NULL, NULL, NULL, NULL, NULL, 0};
    int32_t *perm = malloc(shape[0] * sizeof *perm);
    if (!perm || clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.x) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.other) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.y) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_FLOAT32, 4, shape, &a.mask) != CLNN_OK ||
        clnn_tensor_create(env->ctx, CLNN_INT32, 1, shape, &a.perm) != CLNN_OK ||
        clnn_tensor_random_uniform(a.x, 1, 0, -1.0f, 1.0f) != CLNN_OK ||
        clnn_tensor_random_uniform(a.other, 2, 0, -1.0f, 1.0f) != CLNN_OK ||
        clnn_permutation_sample(3, shape[0], perm) != CLNN_OK ||
        clnn_tensor_upload(a.perm, perm, shape[0] * sizeof *perm) != CLNN_OK) {
        fprintf(stderr, "bench stochastic: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    for (int k = 0; k < NKERNELS; k++) {
        a.which = k;
        double t = bench_time(env, run, &a);
        double gbps = t > 0 ? floats_moved[k] * 4.0 * (double)count / t * 1e-9 : 0;
        char name[96];
        snprintf(name, sizeof name, "%s %zu MiB", names[k], count * 4 >> 20);
        bench_report(env, "stochastic", name, gbps, "GB/s", env->copy_gbps, "copy bandwidth");
    }
out:
    free(perm);
    clnn_tensor_release(a.x);
    clnn_tensor_release(a.other);
    clnn_tensor_release(a.y);
    clnn_tensor_release(a.mask);
    clnn_tensor_release(a.perm);
}
