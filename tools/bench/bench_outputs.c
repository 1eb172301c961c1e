/* Output regularizers (include/clnn/outputs.h): value + gradient of each row
 * term on [rows, 1000] logits, GB/s against the device copy bandwidth
 * measured in the same run. GB/s counts the minimum traffic: each input
 * read once and each gradient written once (the kernels read a row two or
 * three times; on a cache-less device that shows as a lower ratio). */
#include "bench.h"

#include <stdio.h>

typedef struct outputs_args {
    clnn_context *ctx;
    int op;
    clnn_tensor *x, *q, *labels, *loss, *gx, *gq, *probs;
} outputs_args;

enum { OP_ENTROPY, OP_ZLOSS, OP_KL, OP_JS, OP_SMCE, OP_MIX, OP_PROB_ENTROPY, OP_STABLEMAX, N_OPS };
static const char *const op_names[N_OPS] = {"confidence penalty", "z-loss",       "KL(p||q) both grads",
                                            "JS both grads",      "StableMax-CE", "soft-target mix",
                                            "prob-entropy penalty", "StableMax forward"};
/* fp32 arrays of [rows, classes] each op reads and writes (plus labels): the
 * probability-entropy penalty reads probs and writes dprobs, the StableMax
 * forward reads x and writes y */
static const int op_arrays[N_OPS] = {2, 2, 4, 4, 2, 3, 2, 2};

static int run_op(void *p)
{
    outputs_args *a = p;
    clnn_status st;
    switch (a->op) {
    case OP_ENTROPY: st = clnn_confidence_penalty(a->ctx, a->x, 0.1f, CLNN_REDUCE_MEAN, a->loss, a->gx); break;
    case OP_ZLOSS: st = clnn_z_loss(a->ctx, a->x, 1e-4f, CLNN_REDUCE_MEAN, a->loss, a->gx); break;
    case OP_KL:
        st = clnn_kl_div_logits(a->ctx, a->x, a->q, CLNN_KL_PQ, CLNN_REDUCE_MEAN, a->loss, a->gx, a->gq);
        break;
    case OP_JS: st = clnn_js_div_logits(a->ctx, a->x, a->q, CLNN_REDUCE_MEAN, a->loss, a->gx, a->gq); break;
    case OP_SMCE: st = clnn_stablemax_cross_entropy(a->ctx, a->x, a->labels, CLNN_REDUCE_MEAN, a->loss, a->gx); break;
    case OP_MIX: st = clnn_soft_targets_mix(a->ctx, a->x, a->q, 0.3f, a->gx); break;
    case OP_PROB_ENTROPY:
        st = clnn_prob_entropy_penalty(a->ctx, a->probs, 0.1f, CLNN_REDUCE_MEAN, a->loss, a->gx);
        break;
    default: st = clnn_stablemax_forward(a->ctx, a->x, a->gx); break;
    }
    return st != CLNN_OK;
}

static clnn_tensor *bench_tensor(bench_env *env, clnn_dtype dtype, size_t rows, size_t cols, float fill)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, dtype, 2, shape, &t) != CLNN_OK) return NULL;
    if (dtype == CLNN_FLOAT32 ? clnn_tensor_random_uniform(t, 11, 0, -fill, fill) : clnn_tensor_fill(t, fill)) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

void bench_outputs(bench_env *env)
{
    size_t rows = env->quick ? 1024 : 8192, classes = 1000;
    outputs_args a = {env->ctx, 0, bench_tensor(env, CLNN_FLOAT32, rows, classes, 5),
                      bench_tensor(env, CLNN_FLOAT32, rows, classes, 5), bench_tensor(env, CLNN_INT32, rows, 1, 3),
                      bench_tensor(env, CLNN_FLOAT32, 1, 1, 0), bench_tensor(env, CLNN_FLOAT32, rows, classes, 0),
                      bench_tensor(env, CLNN_FLOAT32, rows, classes, 0), bench_tensor(env, CLNN_FLOAT32, rows, classes, 0)};
    /* the entropy penalty's input: probability rows, StableMax of the logits */
    if (!a.x || !a.q || !a.labels || !a.loss || !a.gx || !a.gq || !a.probs ||
        clnn_stablemax_forward(env->ctx, a.x, a.probs) != CLNN_OK) {
        fprintf(stderr, "bench outputs: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    for (a.op = 0; a.op < N_OPS; a.op++) {
        double bytes = op_arrays[a.op] * (double)rows * (double)classes * sizeof(float);
        if (a.op == OP_SMCE) bytes += (double)rows * sizeof(int);
        double t = bench_time(env, run_op, &a);
        char name[96];
        snprintf(name, sizeof name, "%s %zux%zu", op_names[a.op], rows, classes);
        bench_report(env, "outputs", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
    }
out:
    clnn_tensor_release(a.x);
    clnn_tensor_release(a.q);
    clnn_tensor_release(a.labels);
    clnn_tensor_release(a.loss);
    clnn_tensor_release(a.gx);
    clnn_tensor_release(a.gq);
    clnn_tensor_release(a.probs);
}
