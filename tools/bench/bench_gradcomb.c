/* Gradient combination and the AdEMAMix step (include/clnn/gradcomb.h,
 * clnn_ademamix_step): GB/s against the device copy bandwidth measured in
 * the same run, and the fused AdEMAMix step's time against the fused AdamW
 * step's on the same tensors. Bytes are what the kernels must move, n floats
 * per tensor (4n bytes each):
 *   AdamW step:      read w, g, m, v; write w, m, v                     7
 *   AdEMAMix step:   read w, g, m, v, m2; write w, m, v, m2             9
 *     (the same with decoupled decay + L1 in its regularizer list: the
 *     regularizers act in the same kernel and move nothing more)
 *   PCGrad, K lists: Gram pass reads K, combine reads K, writes 1       2K + 1
 *   weighted sum:    reads K, writes 1                                  K + 1
 *   surgery (Bloop): Gram pass reads ema, g_main, g_aux, writes ema;
 *                    combine reads 3, writes out                        8
 *   AMP ascent k>0:  read Δ, g, write Δ; read Δ, saved, write Δ, w      7
 *   LOBSTER, masked: read w, g, mask; write w, mask                     5 */
#include "bench.h"

#include <stdio.h>

enum { OP_ADAMW, OP_ADEMAMIX, OP_ADEMAMIX_REGS, OP_PCGRAD2, OP_PCGRAD4, OP_WSUM4, OP_SURGERY, OP_AMP, OP_LOBSTER, N_OPS };
static const char *const op_names[N_OPS] = {"AdamW step (fused)",     "AdEMAMix step (fused)",
                                            "AdEMAMix step + decay + L1 (fused)",
                                            "PCGrad, 2 lists",        "PCGrad, 4 lists",
                                            "weighted sum, 4 lists",  "gradient surgery EMA (Bloop)",
                                            "AMP ascent step",        "LOBSTER shrink + prune, masked"};
static const double op_floats[N_OPS] = {7, 9, 9, 5, 9, 5, 8, 7, 5};

#define NT 8
typedef struct gc_args {
    clnn_context *ctx;
    int op;
    clnn_tensor *t[NT]; /* w, g, m, v, m2 / four gradient lists, out, ema, saved */
} gc_args;

static int run_op(void *p)
{
    gc_args *a = p;
    clnn_tensor **t = a->t;
    const clnn_tensor *g[4] = {t[0], t[1], t[2], t[3]};
    clnn_tensor *out[1] = {t[4]}, *ema[1] = {t[5]}, *w[1] = {t[6]}, *saved[1] = {t[7]}, *delta[1] = {t[5]};
    clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, 1e-3f, 0, 0, 0.9f, 0.999f, 1e-8f, 0.01f, 10};
    clnn_param prm = {t[0], t[1], t[2], t[3], NULL, 0};
    clnn_tensor *m2[1] = {t[4]};
    clnn_amp_options amp = {sizeof(clnn_amp_options), 0.5f, 0.1f, 0};
    const clnn_reg regs[2] = {{CLNN_REG_DECAY, 0.01f, 0, NULL}, {CLNN_REG_L1, 1e-4f, 0, NULL}};
    clnn_status st;
    switch (a->op) {
    case OP_ADAMW: st = clnn_optim_step(a->ctx, &o, 1, &prm, 0, NULL); break;
    case OP_ADEMAMIX: /* nregs = 0 */
    case OP_ADEMAMIX_REGS: /* the decay moves from opt.weight_decay into the list, next to L1 */
        o.kind = CLNN_OPTIM_ADEMAMIX;
        if (a->op == OP_ADEMAMIX_REGS) o.weight_decay = 0;
        st = clnn_ademamix_step(a->ctx, &o, 5.0f, 0.9999f, 1, &prm, m2, a->op == OP_ADEMAMIX_REGS ? 2 : 0, regs);
        break;
    case OP_PCGRAD2: st = clnn_pcgrad(a->ctx, 2, 1, g, 1, 0, out); break;
    case OP_PCGRAD4: st = clnn_pcgrad(a->ctx, 4, 1, g, 1, 0, out); break;
    case OP_WSUM4: st = clnn_grad_weighted_sum(a->ctx, 4, 1, g, NULL, NULL, out); break;
    case OP_SURGERY:
        st = clnn_grad_surgery_ema(a->ctx, 1, g, g + 1, CLNN_SURGERY_EMA_MAIN, 0.9f, 0.5f, ema, out);
        break;
    case OP_AMP: st = clnn_amp_ascent(a->ctx, 1, g, &amp, 1, w, saved, delta); break;
    default: st = clnn_lobster_step(a->ctx, t[1], 1e-3f, 0.1f, 1.0f, 1e-6f, t[6], t[7]); break;
    }
    return st != CLNN_OK;
}

void bench_gradcomb(bench_env *env)
{
    size_t n = env->quick ? (size_t)1 << 20 : (size_t)1 << 24;
    gc_args a = {env->ctx, 0, {NULL}};
    int ok = 1;
    for (int i = 0; i < NT && ok; i++) /* v (t[3]) is a second moment: >= 0; t[7] doubles as LOBSTER's 0/1 mask */
        ok = clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &n, &a.t[i]) == CLNN_OK &&
             (i == 7 ? clnn_tensor_fill(a.t[i], 1.0f) : clnn_tensor_random_uniform(a.t[i], 5, (uint32_t)i,
                                                                                  i == 3 ? 0.0f : -1.0f, 1.0f)) ==
                 CLNN_OK;
    if (!ok) {
        fprintf(stderr, "bench gradcomb: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    double times[N_OPS] = {0};
    for (int k = 0; k < N_OPS; k++) {
        a.op = k;
        times[k] = bench_time(env, run_op, &a);
        if (times[k] <= 0) {
            fprintf(stderr, "bench gradcomb: %s: %s\n", op_names[k], clnn_last_error(env->ctx));
            continue;
        }
        char name[96];
        snprintf(name, sizeof name, "%s, %zu M", op_names[k], n >> 20);
        bench_report(env, "gradcomb", name, op_floats[k] * 4.0 * (double)n / times[k] * 1e-9, "GB/s", env->copy_gbps,
                     "copy bandwidth");
    }
    if (times[OP_ADAMW] > 0 && times[OP_ADEMAMIX] > 0)
        bench_report(env, "gradcomb", "AdEMAMix step time (ms)", times[OP_ADEMAMIX] * 1e3, "ms",
                     times[OP_ADAMW] * 1e3, "AdamW step time (ms)");
out:
    for (int i = 0; i < NT; i++) clnn_tensor_release(a.t[i]);
}
