/* The fused optimizer step (AdamW + L1 + mask + device clip factor) against
 * the same work as separate kernels, and its bandwidth against the device's
 * copy bandwidth. Bytes are counted as the kernels must move them:
 *   fused:   read w, g, m, v, mask; write w, m, v             = 8 x 4n bytes
 *   unfused: scale g (r g, w g), masked decay (r w, mask, w w),
 *            Adam (r w, g, m, v, w w, m, v), masked L1 prox (r w, mask, w w)
 *                                                              = 16 x 4n bytes */
#include "bench.h"

#include <stdio.h>

typedef struct optim_args {
    clnn_context *ctx;
    clnn_tensor *w, *g, *m, *v, *mask, *clip;
    float clip_host;
} optim_args;

static const float LR = 1e-3f, WD = 0.01f, L1 = 1e-4f;

static int run_fused(void *p)
{
    optim_args *a = p;
    clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, LR, 0, 0, 0.9f, 0.999f, 1e-8f, WD, 10};
    clnn_param prm = {a->w, a->g, a->m, a->v, a->mask, 0};
    clnn_reg regs[2] = {{CLNN_REG_L1, L1, 0, NULL}, {CLNN_REG_CLIP, 1.0f, 0, a->clip}};
    return clnn_optim_step(a->ctx, &o, 1, &prm, 2, regs) != CLNN_OK;
}

static int run_unfused(void *p)
{
    optim_args *a = p;
    clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAM, LR, 0, 0, 0.9f, 0.999f, 1e-8f, 0, 10};
    clnn_param prm = {a->w, a->g, a->m, a->v, NULL, 0};
    clnn_reg decay = {CLNN_REG_DECAY, WD, 0, NULL}, l1 = {CLNN_REG_L1, L1, 0, NULL};
    return clnn_scale(a->g, a->clip_host) != CLNN_OK || clnn_reg_prox(a->ctx, a->mask, &decay, LR, a->w) != CLNN_OK ||
           clnn_optim_step(a->ctx, &o, 1, &prm, 0, NULL) != CLNN_OK ||
           clnn_reg_prox(a->ctx, a->mask, &l1, LR, a->w) != CLNN_OK;
}

typedef struct value_args {
    clnn_context *ctx;
    clnn_tensor *w, *mask, *value;
    int which; /* 0 masked L1 value, 1 group lasso over rows */
} value_args;

static int run_value(void *p)
{
    value_args *a = p;
    clnn_reg l1 = {CLNN_REG_L1, 1e-4f, 0, NULL};
    if (a->which == 0) return clnn_reg_value(a->ctx, a->w, a->mask, &l1, a->value) != CLNN_OK;
    return clnn_reg_group_lasso_value(a->ctx, a->w, 1e-4f, CLNN_GROUP_ROWS, a->value) != CLNN_OK;
}

/* Term values: bytes = what the reduction must read (w, and the mask when
 * masked); the partial sums are at most 1/256 of that and not counted. */
static void bench_values(bench_env *env, optim_args *a, size_t n)
{
    size_t one = 1, shape[2] = {n / 1024, 1024};
    value_args v = {env->ctx, a->w, a->mask, NULL, 0};
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &one, &v.value) != CLNN_OK) return;
    double t = bench_time(env, run_value, &v);
    char name[96];
    snprintf(name, sizeof name, "masked L1 value, %zu M", n >> 20);
    if (t > 0) bench_report(env, "optim", name, 8.0 * (double)n / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    v.which = 1;
    if (clnn_tensor_reshape(a->w, 2, shape) == CLNN_OK && (t = bench_time(env, run_value, &v)) > 0) {
        snprintf(name, sizeof name, "group lasso value, rows of [%zu, 1024]", shape[0]);
        bench_report(env, "optim", name, 4.0 * (double)n / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    }
    clnn_tensor_release(v.value);
}

/* The elementwise and mask kernels of the regularizer family, one row each:
 * GB/s counted as the bytes each must move (floats per element × 4n). */
typedef struct ops_args {
    clnn_context *ctx;
    clnn_tensor *w, *g, *a, *b, *mask, *logits, *scale, *zero, *u, *v, *sigma, *obs;
    int which;
} ops_args;

enum { OP_SAM, OP_EMA, OP_COMBINE, OP_APPLY, OP_NM, OP_TOPK, OP_MASKLLM, OP_QUANT, OP_QNOISE, OP_GLOBAL, OP_LN_ROWS, OP_LN_COLS,
       OP_LSQ, OP_OBSERVER, OP_POWER, OP_COUNT };

static int run_op(void *p)
{
    ops_args *o = p;
    clnn_tensor *wl[1] = {o->w}, *al[1] = {o->a}, *bl[1] = {o->b};
    const clnn_tensor *gl[1] = {o->g};
    const clnn_quant_options q = {sizeof(clnn_quant_options), 8, 0, 1};
    switch (o->which) {
    case OP_SAM: return clnn_sam_ascent(o->ctx, 1, gl, 0.05f, wl, bl) != CLNN_OK;
    case OP_EMA: return clnn_ema_update(o->ctx, 1, gl, 0.999f, al) != CLNN_OK;
    case OP_COMBINE: return clnn_grad_norm_penalty_combine(o->ctx, 1, gl, 0.5f, al) != CLNN_OK;
    case OP_APPLY: return clnn_prune_apply(o->ctx, o->mask, o->a) != CLNN_OK;
    case OP_NM: return clnn_prune_nm_mask(o->ctx, o->g, 2, 4, o->a) != CLNN_OK;
    case OP_TOPK: return clnn_prune_topk_mask(o->ctx, o->g, clnn_tensor_count(o->g) / 2, o->a) != CLNN_OK;
    case OP_MASKLLM: return clnn_maskllm_forward(o->ctx, o->logits, 0.5f, 1, 3, 0, o->a) != CLNN_OK;
    case OP_QUANT: return clnn_fake_quant_forward(o->ctx, o->g, o->scale, o->zero, &q, o->a) != CLNN_OK;
    case OP_QNOISE: return clnn_quant_noise(o->ctx, o->g, o->scale, &q, 5, 0, o->a) != CLNN_OK;
    case OP_GLOBAL: { /* g and w together, 30% pruned */
        const clnn_tensor *two[2] = {o->g, o->w};
        clnn_tensor *masks[2] = {o->a, o->b};
        return clnn_prune_global_mask(o->ctx, 2, two, 0.3, 0, masks) != CLNN_OK;
    }
    case OP_LN_ROWS: return clnn_prune_ln_structured_mask(o->ctx, o->g, 0.3, 0, 2.0f, 0, o->a) != CLNN_OK;
    case OP_LN_COLS: return clnn_prune_ln_structured_mask(o->ctx, o->g, 0.3, 0, 2.0f, 1, o->a) != CLNN_OK;
    case OP_LSQ: return clnn_lsq_backward(o->ctx, o->g, o->scale, o->zero, o->w, &q, 0.0f, o->a, o->u) != CLNN_OK;
    case OP_OBSERVER: { /* per channel along axis 1: 1024 channels of n/1024 strided elements */
        const clnn_quant_options qt = {sizeof(clnn_quant_options), 8, 0, 1, 1};
        return clnn_quant_observer_update(o->ctx, o->g, &qt, 0.01f, o->obs) != CLNN_OK;
    }
    default: return clnn_spectral_power_iteration(o->ctx, o->g, 1, o->u, o->v, o->sigma) != CLNN_OK;
    }
}

static void bench_reg_ops(bench_env *env, optim_args *opt, size_t n)
{
    size_t rows = n / 1024, shape[2] = {rows, 1024}, lshape[2] = {n / 4, 6}, one = 1, cols = 1024;
    ops_args o = {env->ctx, opt->w, opt->g, opt->m, opt->v, opt->mask, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    size_t two_cols = 2 * cols;
    int ok = clnn_tensor_reshape(o.g, 2, shape) == CLNN_OK && clnn_tensor_reshape(o.a, 2, shape) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 2, lshape, &o.logits) == CLNN_OK &&
             clnn_tensor_random_uniform(o.logits, 9, 0, -2, 2) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &rows, &o.scale) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &rows, &o.zero) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &rows, &o.u) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &cols, &o.v) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &one, &o.sigma) == CLNN_OK &&
             clnn_tensor_random_uniform(o.u, 3, 0, -1, 1) == CLNN_OK &&
             clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &two_cols, &o.obs) == CLNN_OK &&
             clnn_tensor_fill(o.obs, 0.0f) == CLNN_OK;
    clnn_quant_options q = {sizeof(clnn_quant_options), 8, 0, 1};
    ok = ok && clnn_quant_params(env->ctx, o.g, &q, o.scale, o.zero) == CLNN_OK;
    if (!ok) {
        fprintf(stderr, "bench optim (regularizer ops): %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    /* floats moved per element: SAM reads g twice (norm, update), w, writes w, saved */
    static const bench_floats_row rows_of[OP_COUNT] = {
        {"SAM ascent (norm + w += rho g/|g|, save w)", 5}, {"EMA update", 3},      {"gradient-norm penalty combine", 3},
        {"prune mask apply", 3},                            {"2:4 mask", 2},        {"top-k mask (32 passes)", 33},
        {"MaskLLM soft 2:4 mask forward", 2.5},             {"fake quant forward, per channel", 2},
        {"quantization noise", 2},
        /* global: per element of each of the 2 tensors gather 2, top-k 33, scatter 2 */
        {"global top-k mask over 2 tensors (gather, 32 passes, scatter)", 74},
        {"L2-structured mask, rows of [n/1024, 1024]", 2},
        {"L2-structured mask, columns of [n/1024, 1024]", 2},
        /* reads x, dy, writes dx and the two terms, reduction reads them */
        {"LSQ backward, per channel (dx + dscale)", 7},
        {"moving-average min/max observer, per channel along columns", 1},
        {"spectral power iteration (2 SGEMV)", 2},
    };
    for (int k = 0; k < OP_COUNT; k++) {
        o.which = k;
        double t = bench_time(env, run_op, &o);
        char name[96];
        snprintf(name, sizeof name, "%s, %zu M", rows_of[k].name, n >> 20);
        if (t > 0)
            bench_report(env, "optim", name, rows_of[k].floats * 4.0 * (double)n / t * 1e-9, "GB/s", env->copy_gbps,
                         "copy bandwidth");
    }
out:
    clnn_tensor_release(o.logits), clnn_tensor_release(o.scale), clnn_tensor_release(o.zero);
    clnn_tensor_release(o.u), clnn_tensor_release(o.v), clnn_tensor_release(o.sigma), clnn_tensor_release(o.obs);
}

void bench_optim(bench_env *env)
{
    size_t n = env->quick ? (size_t)1 << 20 : (size_t)1 << 24, one = 1;
    optim_args a = {env->ctx, NULL, NULL, NULL, NULL, NULL, NULL, 1.0f};
    clnn_tensor **all[] = {&a.w, &a.g, &a.m, &a.v, &a.mask};
    int ok = 1;
    for (size_t i = 0; i < 5 && ok; i++)
        ok = clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &n, all[i]) == CLNN_OK &&
             clnn_tensor_random_uniform(*all[i], 7, (uint32_t)i, i == 3 ? 0.0f : -1.0f, 1.0f) == CLNN_OK;
    ok = ok && clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &one, &a.clip) == CLNN_OK &&
         clnn_tensor_fill(a.clip, 1.0f) == CLNN_OK && clnn_tensor_fill(a.mask, 1.0f) == CLNN_OK;
    if (!ok) {
        fprintf(stderr, "bench optim: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    double t_fused = bench_time(env, run_fused, &a), t_unfused = bench_time(env, run_unfused, &a);
    double bytes_fused = 8.0 * 4.0 * (double)n, bytes_unfused = 16.0 * 4.0 * (double)n;
    if (t_fused <= 0 || t_unfused <= 0) {
        fprintf(stderr, "bench optim: timing failed: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    char name[96];
    snprintf(name, sizeof name, "adamw+l1+mask+clip fused, %zu M", n >> 20);
    bench_report(env, "optim", name, bytes_fused / t_fused * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    snprintf(name, sizeof name, "same work, 4 separate kernels, %zu M", n >> 20);
    bench_report(env, "optim", name, bytes_unfused / t_unfused * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    bench_report(env, "optim", "fused step time (ms)", t_fused * 1e3, "ms", t_unfused * 1e3, "unfused time (ms)");
    bench_report(env, "optim", "fused step bytes moved (MB)", bytes_fused * 1e-6, "MB", bytes_unfused * 1e-6,
                 "unfused bytes (MB)");
    bench_values(env, &a, n);
    bench_reg_ops(env, &a, n);
    bench_optim_multi(env);
out:
    for (size_t i = 0; i < 5; i++) clnn_tensor_release(*all[i]);
    clnn_tensor_release(a.clip);
}
