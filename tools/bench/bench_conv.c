/* Group "conv": conv2d forward, its two backward passes (and the forward
 * and data pass with reflect 'same' padding), conv_transpose2d's three
 * passes and attention
 * forward in GFLOPS against CLBlast SGEMM of the equivalent GEMM measured in
 * the same run (the im2col / col2im passes are counted in clnn's time, not in
 * the flops), and batch norm forward and backward (training) and max, average and
 * adaptive pooling forward and backward in GB/s against the device copy bandwidth. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum { CONV_FWD, CONV_BWD_DATA, CONV_BWD_WEIGHTS, N_CONV_OPS };
typedef struct conv_args {
    clnn_tensor *x, *w, *b, *y, *dx, *dw; /* y doubles as dy */
    clnn_conv2d_options p;
    int op;
    int transposed; /* the clnn_conv_transpose2d_* calls */
} conv_args;

enum { POOL_FWD, POOL_BWD, AVG_FWD, AVG_BWD, N_POOL_OPS };
enum { ADAPTIVE_MAX_FWD, ADAPTIVE_MAX_BWD, ADAPTIVE_AVG_FWD, ADAPTIVE_AVG_BWD, N_ADAPTIVE_OPS };
typedef struct pool_args {
    clnn_tensor *x, *y, *indices, *dx; /* y doubles as dy */
    clnn_pool2d_options p;
    int op;
} pool_args;

typedef struct bn_args {
    clnn_tensor *x, *g, *b, *rm, *rv, *y, *sm, *si, *dx, *dg, *db; /* y doubles as dy */
    int backward;
} bn_args;

enum { ATTN_STD_FWD, ATTN_STD_BWD, ATTN_FLASH_FWD, ATTN_FLASH_BWD };
typedef struct attn_args {
    clnn_tensor *q, *k, *v, *p, *o, *lse, *dq, *dk, *dv; /* o doubles as dout */
    int op;
} attn_args;

static clnn_tensor *tensor(bench_env *env, int ndim, size_t a, size_t b, size_t c, size_t d, float v)
{
    size_t shape[4] = {a, b, c, d};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, ndim, shape, &t) != CLNN_OK) return NULL;
    clnn_tensor_random_uniform(t, 42, (uint32_t)(a * 7 + d), v - 0.5f, v + 0.5f);
    return t;
}

static clnn_context *bench_ctx;

static int run_conv_ctx(void *p)
{
    conv_args *a = p;
    clnn_status st;
    if (a->transposed) {
        switch (a->op) {
        case CONV_FWD: st = clnn_conv_transpose2d_forward(bench_ctx, a->x, a->w, a->b, &a->p, a->y); break;
        case CONV_BWD_DATA: st = clnn_conv_transpose2d_backward_data(bench_ctx, a->y, a->w, &a->p, a->dx); break;
        default: st = clnn_conv_transpose2d_backward_weights(bench_ctx, a->x, a->y, &a->p, a->dw); break;
        }
        return st != CLNN_OK;
    }
    switch (a->op) {
    case CONV_FWD: st = clnn_conv2d_forward(bench_ctx, a->x, a->w, a->b, &a->p, a->y); break;
    case CONV_BWD_DATA: st = clnn_conv2d_backward_data(bench_ctx, a->y, a->w, &a->p, a->dx); break;
    default: st = clnn_conv2d_backward_weights(bench_ctx, a->x, a->y, &a->p, a->dw); break;
    }
    return st != CLNN_OK;
}

static int run_pool(void *p)
{
    pool_args *a = p;
    clnn_status st;
    switch (a->op) {
    case POOL_FWD: st = clnn_maxpool2d_forward(bench_ctx, a->x, &a->p, a->y, a->indices); break;
    case POOL_BWD: st = clnn_maxpool2d_backward(bench_ctx, a->y, a->indices, &a->p, a->dx); break;
    case AVG_FWD: st = clnn_avgpool2d_forward(bench_ctx, a->x, &a->p, a->y); break;
    default: st = clnn_avgpool2d_backward(bench_ctx, a->y, &a->p, a->dx); break;
    }
    return st != CLNN_OK;
}

static int run_adaptive_pool(void *p)
{
    pool_args *a = p;
    clnn_status st;
    switch (a->op) {
    case ADAPTIVE_MAX_FWD: st = clnn_adaptive_maxpool2d_forward(bench_ctx, a->x, a->y, a->indices); break;
    case ADAPTIVE_MAX_BWD: st = clnn_adaptive_maxpool2d_backward(bench_ctx, a->y, a->indices, a->dx); break;
    case ADAPTIVE_AVG_FWD: st = clnn_adaptive_avgpool2d_forward(bench_ctx, a->x, a->y); break;
    default: st = clnn_adaptive_avgpool2d_backward(bench_ctx, a->y, a->dx); break;
    }
    return st != CLNN_OK;
}

static int run_bn(void *p)
{
    bn_args *a = p;
    if (a->backward)
        return clnn_batchnorm_backward(bench_ctx, a->x, a->y, a->g, a->sm, a->si, 1, a->dx, a->dg, a->db) != CLNN_OK;
    return clnn_batchnorm_forward(bench_ctx, a->x, a->g, a->b, a->rm, a->rv, 1, 0.1f, 1e-5f, a->y, a->sm, a->si) !=
           CLNN_OK;
}

static int run_attn(void *p)
{
    attn_args *a = p;
    switch (a->op) {
    case ATTN_STD_BWD:
        return clnn_attention_backward(bench_ctx, a->q, a->k, a->v, a->p, a->o, a->dq, a->dk, a->dv) != CLNN_OK;
    case ATTN_FLASH_FWD:
        return clnn_attention_flash_forward(bench_ctx, a->q, a->k, a->v, NULL, NULL, NULL, a->o, a->lse) != CLNN_OK;
    case ATTN_FLASH_BWD:
        return clnn_attention_flash_backward(bench_ctx, a->q, a->k, a->v, NULL, NULL, a->o, a->lse, a->o, NULL, a->dq,
                                             a->dk, a->dv) != CLNN_OK;
    default:
        return clnn_attention_forward(bench_ctx, a->q, a->k, a->v, 0, a->p, a->o) != CLNN_OK;
    }
}

/* A GEMM-shaped row: flops in t seconds against the same flops in the CLBlast reference's tref. */
static void report_gflops(bench_env *env, const char *name, double flops, double t, double tref, const char *label)
{
    if (t > 0 && tref > 0) bench_report(env, "conv", name, flops / t * 1e-9, "GFLOPS", flops / tref * 1e-9, label);
    else fprintf(stderr, "bench conv: %s: %s\n", name, clnn_last_error(env->ctx));
}

static void bench_conv2d(bench_env *env)
{
    size_t N = env->quick ? 2 : 8, C = 32, H = env->quick ? 16 : 32, K = 32, R = 3;
    conv_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 4, K, C, R, R, 0), tensor(env, 1, K, 1, 1, 1, 0),
                   tensor(env, 4, N, K, H, H, 0), tensor(env, 4, N, C, H, H, 0), tensor(env, 4, K, C, R, R, 0),
                   {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 1, 0, 0, {0, 0}, 0, {0, 0}}, 0, 0};
    if (!a.x || !a.w || !a.b || !a.y || !a.dx || !a.dw) goto out;
    double flops = 2.0 * (double)(N * K * H * H) * (double)(C * R * R); /* each of the three passes */
    /* the whole batch as one im2col product: y = W col, dcol = Wᵀ dy (then col2im), dW = dy colᵀ */
    size_t crs = C * R * R, npq = N * H * H;
    const struct {
        const char *name;
        bench_gemm same;
    } ops[N_CONV_OPS] = {{"fwd", {K, npq, crs, 1, 0, 0}}, {"bwd data", {crs, npq, K, 1, 1, 0}},
                         {"bwd weights", {K, crs, npq, 1, 0, 1}}};
    for (a.op = 0; a.op < N_CONV_OPS; a.op++) {
        double t = bench_wall_time(env, run_conv_ctx, &a);
        double tref = bench_gemm_time(env, &ops[a.op].same, 1);
        char name[96];
        snprintf(name, sizeof name, "conv2d %s N%zu C%zu %zux%zu K%zu 3x3", ops[a.op].name, N, C, H, H, K);
        report_gflops(env, name, flops, t, tref, "CLBlast SGEMM same MNK");
    }
    /* reflect padding 'same': im2col reads the mirrored pixel, col2im gathers the border's extra positions */
    a.p.pad[0] = a.p.pad[1] = 0, a.p.pad_same = 1, a.p.padding_mode = CLNN_PAD_REFLECT;
    for (a.op = 0; a.op < CONV_BWD_WEIGHTS; a.op++) {
        double t = bench_wall_time(env, run_conv_ctx, &a);
        double tref = bench_gemm_time(env, &ops[a.op].same, 1);
        char name[96];
        snprintf(name, sizeof name, "conv2d reflect %s N%zu C%zu %zux%zu K%zu 3x3", ops[a.op].name, N, C, H, H,
                 K);
        report_gflops(env, name, flops, t, tref, "CLBlast SGEMM same MNK");
    }
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.w), clnn_tensor_release(a.b), clnn_tensor_release(a.y);
    clnn_tensor_release(a.dx), clnn_tensor_release(a.dw);
}

/* conv_transpose2d 4x4, stride 2, pad 1 (the 2x upsampling of generators):
 * x [N, C, H, H], w [C, K, 4, 4] -> y [N, K, 2H, 2H]. */
static void bench_conv_transpose2d(bench_env *env)
{
    size_t N = env->quick ? 2 : 8, C = 32, H = env->quick ? 8 : 16, K = 32, R = 4, P = 2 * H;
    conv_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 4, C, K, R, R, 0), tensor(env, 1, K, 1, 1, 1, 0),
                   tensor(env, 4, N, K, P, P, 0), tensor(env, 4, N, C, H, H, 0), tensor(env, 4, C, K, R, R, 0),
                   {sizeof(clnn_conv2d_options), {2, 2}, {1, 1}, {1, 1}, 1, 0, 0, {0, 0}, 0, {0, 0}}, 0, 1};
    if (!a.x || !a.w || !a.b || !a.y || !a.dx || !a.dw) goto out;
    double flops = 2.0 * (double)(N * C * H * H) * (double)(K * R * R); /* each of the three passes */
    /* the adjoint conv2d's im2col products: dcol = Wᵀ x (then col2im), dx = W col, dW = x colᵀ */
    size_t krs = K * R * R, nhw = N * H * H;
    const struct {
        const char *name;
        bench_gemm same;
    } ops[N_CONV_OPS] = {{"fwd", {krs, nhw, C, 1, 1, 0}}, {"bwd data", {C, nhw, krs, 1, 0, 0}},
                         {"bwd weights", {C, krs, nhw, 1, 0, 1}}};
    for (a.op = 0; a.op < N_CONV_OPS; a.op++) {
        double t = bench_wall_time(env, run_conv_ctx, &a);
        double tref = bench_gemm_time(env, &ops[a.op].same, 1);
        char name[96];
        snprintf(name, sizeof name, "convT2d %s N%zu C%zu %zux%zu K%zu 4x4/2", ops[a.op].name, N, C, H, H,
                 K);
        report_gflops(env, name, flops, t, tref, "CLBlast SGEMM same MNK");
    }
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.w), clnn_tensor_release(a.b), clnn_tensor_release(a.y);
    clnn_tensor_release(a.dx), clnn_tensor_release(a.dw);
}

static void bench_maxpool(bench_env *env)
{
    size_t N = env->quick ? 16 : 64, C = 64, H = 32, P = H / 2, ishape[4] = {N, C, P, P};
    pool_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 4, N, C, P, P, 0), NULL, tensor(env, 4, N, C, H, H, 0),
                   {sizeof(clnn_pool2d_options), {2, 2}, {2, 2}, {0, 0}, 0}, 0};
    if (!a.x || !a.y || !a.dx || clnn_tensor_create(env->ctx, CLNN_INT32, 4, ishape, &a.indices) != CLNN_OK) {
        fprintf(stderr, "bench maxpool: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    /* max: forward reads x, writes y and the int32 indices (a quarter of x
     * each); backward reads dy and the indices, writes dx: 1.5 x's bytes both
     * ways. Average: no indices, 1.25 x's bytes */
    static const char *const names[N_POOL_OPS] = {"maxpool 2x2/2 fwd", "maxpool 2x2/2 bwd", "avgpool 2x2/2 fwd",
                                                  "avgpool 2x2/2 bwd"};
    for (a.op = 0; a.op < N_POOL_OPS; a.op++) { /* forward first: the backward reads its indices */
        double bytes = (a.op < AVG_FWD ? 1.5 : 1.25) * 4.0 * (double)(N * C * H * H);
        double t = bench_time(env, run_pool, &a);
        char name[96];
        snprintf(name, sizeof name, "%s N%zu C%zu %zux%zu", names[a.op], N, C, H, H);
        if (t > 0) bench_report(env, "conv", name, bytes / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
        else fprintf(stderr, "bench pool: %s\n", clnn_last_error(env->ctx));
    }
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.y), clnn_tensor_release(a.indices), clnn_tensor_release(a.dx);
}

/* Adaptive pooling of 30 x 30 planes to 7 x 7 (windows of 5 overlapping by
 * one: the adaptive kernels, not the fixed-window ones). */
static void bench_adaptive_pool(bench_env *env)
{
    size_t N = env->quick ? 16 : 64, C = 64, H = 30, P = 7, ishape[4] = {N, C, P, P};
    pool_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 4, N, C, P, P, 0), NULL, tensor(env, 4, N, C, H, H, 0),
                   {0}, 0};
    if (!a.x || !a.y || !a.dx || clnn_tensor_create(env->ctx, CLNN_INT32, 4, ishape, &a.indices) != CLNN_OK) {
        fprintf(stderr, "bench adaptive pool: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    static const char *const names[N_ADAPTIVE_OPS] = {"adaptive maxpool fwd", "adaptive maxpool bwd",
                                                      "adaptive avgpool fwd", "adaptive avgpool bwd"};
    for (a.op = 0; a.op < N_ADAPTIVE_OPS; a.op++) { /* forward first: the backward reads its indices */
        /* the least traffic: x (or dx) once, y (or dy) once, the indices once for max */
        const int max = a.op < ADAPTIVE_AVG_FWD;
        double bytes = 4.0 * (double)(N * C) * (double)(H * H + P * P * (max ? 2 : 1));
        double t = bench_time(env, run_adaptive_pool, &a);
        char name[96];
        snprintf(name, sizeof name, "%s N%zu C%zu %zux%zu -> %zux%zu", names[a.op], N, C, H, H, P, P);
        if (t > 0) bench_report(env, "conv", name, bytes / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
        else fprintf(stderr, "bench adaptive pool: %s\n", clnn_last_error(env->ctx));
    }
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.y), clnn_tensor_release(a.indices), clnn_tensor_release(a.dx);
}

static void bench_batchnorm(bench_env *env)
{
    size_t N = env->quick ? 2 : 8, C = 64, H = 32;
    bn_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 1, C, 1, 1, 1, 1), tensor(env, 1, C, 1, 1, 1, 0),
                 tensor(env, 1, C, 1, 1, 1, 0), tensor(env, 1, C, 1, 1, 1, 1), tensor(env, 4, N, C, H, H, 0),
                 tensor(env, 1, C, 1, 1, 1, 0), tensor(env, 1, C, 1, 1, 1, 0), tensor(env, 4, N, C, H, H, 0),
                 tensor(env, 1, C, 1, 1, 1, 0), tensor(env, 1, C, 1, 1, 1, 0), 0};
    if (!a.x || !a.y || !a.dx) goto out;
    for (a.backward = 0; a.backward < 2; a.backward++) { /* forward first: the backward reads its statistics */
        double t = bench_time(env, run_bn, &a);
        /* the least traffic possible: forward reads x once and writes y once;
         * backward reads x and dy once and writes dx once */
        double bytes = (a.backward ? 3.0 : 2.0) * 4.0 * (double)(N * C * H * H);
        char name[96];
        snprintf(name, sizeof name, "batchnorm %s train N%zu C%zu %zux%zu", a.backward ? "bwd" : "fwd", N, C, H, H);
        if (t > 0) bench_report(env, "conv", name, bytes / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
        else fprintf(stderr, "bench batchnorm: %s\n", clnn_last_error(env->ctx));
    }
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.g), clnn_tensor_release(a.b), clnn_tensor_release(a.rm);
    clnn_tensor_release(a.rv), clnn_tensor_release(a.y), clnn_tensor_release(a.sm), clnn_tensor_release(a.si);
    clnn_tensor_release(a.dx), clnn_tensor_release(a.dg), clnn_tensor_release(a.db);
}

static void bench_attention(bench_env *env)
{
    size_t B = 2, Hd = 4, S = env->quick ? 128 : 256, D = 64;
    attn_args a = {tensor(env, 4, B, Hd, S, D, 0), tensor(env, 4, B, Hd, S, D, 0), tensor(env, 4, B, Hd, S, D, 0),
                   tensor(env, 4, B, Hd, S, S, 0), tensor(env, 4, B, Hd, S, D, 0), tensor(env, 3, B, Hd, S, 0, 0),
                   tensor(env, 4, B, Hd, S, D, 0), tensor(env, 4, B, Hd, S, D, 0), tensor(env, 4, B, Hd, S, D, 0),
                   ATTN_STD_FWD};
    if (!a.q || !a.k || !a.v || !a.p || !a.o || !a.lse || !a.dq || !a.dk || !a.dv) goto out;
    double flops = 2.0 * 2.0 * (double)(B * Hd) * (double)(S * S * D); /* two GEMMs; softmax not counted */
    double t = bench_wall_time(env, run_attn, &a);
    /* reference: the same two GEMM shapes in CLBlast, strided-batched, back to back */
    const bench_gemm pair[2] = {{S, S, D, B * Hd, 0, 1}, {S, D, S, B * Hd, 0, 0}};
    double tpair = bench_gemm_time(env, pair, 2);
    char name[96];
    snprintf(name, sizeof name, "attention fwd B%zu H%zu S%zu D%zu", B, Hd, S, D);
    report_gflops(env, name, flops, t, tpair, "CLBlast batched GEMMs");
    /* the memory-efficient path against the standard one, runs alternating;
     * flops: the standard path's GEMMs (2 forward, 4 backward), not the
     * memory-efficient path's recomputation */
    attn_args std = a, eff = a;
    for (int bwd = 0; bwd < 2; bwd++) {
        double ts = 0, te = 0;
        std.op = bwd ? ATTN_STD_BWD : ATTN_STD_FWD, eff.op = bwd ? ATTN_FLASH_BWD : ATTN_FLASH_FWD;
        if (bwd) { /* the backward passes read their forward's probs, out and lse */
            std.op = ATTN_STD_FWD, eff.op = ATTN_FLASH_FWD;
            if (run_attn(&std) || run_attn(&eff)) ts = te = -1;
            std.op = ATTN_STD_BWD, eff.op = ATTN_FLASH_BWD;
        }
        if (ts == 0 && bench_wall_time_pair(env, run_attn, &eff, &std, &te, &ts) != 0) ts = te = -1;
        snprintf(name, sizeof name, "attention memory-efficient %s B%zu H%zu S%zu D%zu", bwd ? "bwd" : "fwd", B, Hd,
                 S, D);
        report_gflops(env, name, (bwd ? 2.0 : 1.0) * flops, te, ts, "standard path (CLBlast + softmax)");
    }
out:
    clnn_tensor_release(a.q), clnn_tensor_release(a.k), clnn_tensor_release(a.v), clnn_tensor_release(a.p);
    clnn_tensor_release(a.o), clnn_tensor_release(a.lse), clnn_tensor_release(a.dq), clnn_tensor_release(a.dk);
    clnn_tensor_release(a.dv);
}

void bench_conv(bench_env *env)
{
    bench_ctx = env->ctx;
    bench_conv2d(env);
    bench_conv_transpose2d(env);
    bench_batchnorm(env);
    bench_maxpool(env);
    bench_adaptive_pool(env);
    bench_attention(env);
}
