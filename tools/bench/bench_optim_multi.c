/* The optimizer object's multi-tensor step (up to 8 tensors a launch)
 * against the same AdamW step launched per tensor (clnn_optim_step over the
 * same list: one launch each), on 100 small tensors of mixed sizes, where
 * launches rather than bytes cost the time. Wall time, the two alternating
 * (bench_wall_time_pair); bytes as the kernels must move them: read w, g, m,
 * v, write w, m, v = 7 x 4n bytes for both. */
#include "bench.h"

#include <stdio.h>

enum { NT = 100 };

typedef struct multi_args {
    clnn_context *ctx;
    clnn_optimizer_state *opt;
    clnn_param p[NT]; /* the per-tensor call's list (its own m, v) */
    int per_tensor;
} multi_args;

static int run_step(void *p)
{
    multi_args *a = p;
    if (a->per_tensor) {
        clnn_optim_options o;
        clnn_optim_options_init(&o);
        o.step = 10;
        return clnn_optim_step(a->ctx, &o, NT, a->p, 0, NULL) != CLNN_OK;
    }
    return clnn_optimizer_step(a->opt, 0, NULL) != CLNN_OK;
}

void bench_optim_multi(bench_env *env)
{
    multi_args fused = {env->ctx, NULL, {{0}}, 0}, unfused = {env->ctx, NULL, {{0}}, 1};
    clnn_param obj[NT] = {{0}};
    size_t total = 0;
    int ok = clnn_optimizer_create(env->ctx, NULL, 0, &fused.opt) == CLNN_OK;
    for (size_t i = 0; i < NT && ok; i++) {
        /* 1 .. ~16 K elements: biases, norm gains and small matrices */
        size_t n = i % 10 == 0 ? 1 + i : (i * 7919) % 16384 + 1;
        clnn_tensor *t[6] = {NULL};
        for (int k = 0; k < 6 && ok; k++)
            ok = clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &n, &t[k]) == CLNN_OK &&
                 clnn_tensor_random_uniform(t[k], 11, (uint32_t)(6 * i + (size_t)k), k >= 4 ? 0.0f : -1.0f, 1.0f) ==
                     CLNN_OK;
        /* w, g of the object; w, g, m, v of the per-tensor list (m, v: t[4], t[5]) */
        obj[i] = (clnn_param){t[0], t[1], NULL, NULL, NULL, 0};
        unfused.p[i] = (clnn_param){t[2], t[3], t[4], t[5], NULL, 0};
        total += n;
    }
    clnn_param_group g;
    clnn_param_group_init(&g);
    g.nparams = NT, g.params = obj;
    ok = ok && clnn_optimizer_add_group(fused.opt, &g) == CLNN_OK;
    double tf = 0, tu = 0;
    if (!ok || bench_wall_time_pair(env, run_step, &fused, &unfused, &tf, &tu) != 0 || tf <= 0 || tu <= 0) {
        fprintf(stderr, "bench optim (multi-tensor): %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    double bytes = 7.0 * 4.0 * (double)total;
    char name[128];
    snprintf(name, sizeof name, "AdamW optimizer object, %d tensors (%zu K elements), multi-tensor", NT, total >> 10);
    bench_report(env, "optim", name, bytes / tf * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    snprintf(name, sizeof name, "same AdamW step per tensor (%d launches)", NT);
    bench_report(env, "optim", name, bytes / tu * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    bench_report(env, "optim", "multi-tensor step time (ms)", tf * 1e3, "ms", tu * 1e3, "per-tensor time (ms)");
out:
    for (size_t i = 0; i < NT; i++) {
        clnn_tensor_release(obj[i].w), clnn_tensor_release((clnn_tensor *)obj[i].g);
        clnn_tensor_release(unfused.p[i].w), clnn_tensor_release((clnn_tensor *)unfused.p[i].g);
        clnn_tensor_release(unfused.p[i].m), clnn_tensor_release(unfused.p[i].v);
    }
    clnn_optimizer_release(fused.opt);
}
