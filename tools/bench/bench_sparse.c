/* Sorting, sparsity and MoE routing (include/clnn/sparse.h). Memory-bound
 * rows in GB/s against the device copy bandwidth measured first in the same
 * run; the sort also in keys/s against the copy-limited key rate (one read
 * and one write of 4 bytes per key, copy bandwidth / 8), and multi-sample
 * dropout fused (one pass) against K separate clnn_dropout_forward calls.
 * GB/s counts each kernel's traffic as stated next to it. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>

enum { SORT, SORT_ROWS, TOPK, TOPK_SORTED, TOPK_BWD, NM_PROGRESSIVE, W2, MSD, MSD_UNFUSED, MSD_BWD, ROUTE, AUX, ROUTE_BWD, DISPATCH, DISPATCH_CAPACITY, COMBINE };

typedef struct sparse_args {
    clnn_context *ctx;
    int op;
    unsigned K;
    size_t k;
    clnn_tensor *a, *b, *c, *d, *ints, *ints2, *ints3;
} sparse_args;

static int run_op(void *p)
{
    sparse_args *s = p;
    clnn_status st = CLNN_OK;
    switch (s->op) {
    case SORT: st = clnn_sort(s->ctx, s->a, NULL, s->b, NULL); break;
    case SORT_ROWS: st = clnn_sort_rows(s->ctx, s->a, 0, s->b, s->ints); break;
    case TOPK: st = clnn_topk_activation_forward(s->ctx, s->a, s->k, s->b, NULL); break;
    case TOPK_SORTED: st = clnn_topk(s->ctx, s->a, s->k, s->d, s->ints); break;
    case TOPK_BWD: st = clnn_topk_activation_backward(s->ctx, s->a, s->b, s->k, s->c); break;
    /* 2:4 at step 500 of a 0..1000 ramp: a level between dense and 2:4 */
    case NM_PROGRESSIVE: st = clnn_prune_nm_progressive_mask(s->ctx, s->a, 2, 4, 0, 1000, 500, s->c); break;
    case W2: st = clnn_reg_wasserstein(s->ctx, s->a, s->b, 0.1f, s->c, s->d); break;
    case MSD: st = clnn_multi_dropout_forward(s->ctx, s->a, s->K, 0.1f, 1, 0, s->b); break;
    case MSD_UNFUSED:
        for (unsigned i = 0; i < s->K && st == CLNN_OK; i++) st = clnn_dropout_forward(s->ctx, s->a, 0.1f, 1, i, s->c, NULL);
        break;
    case MSD_BWD: st = clnn_multi_dropout_backward(s->ctx, s->b, s->K, 0.1f, 1, 0, s->c); break;
    case ROUTE: st = clnn_moe_route(s->ctx, s->a, s->b, s->k, CLNN_MOE_SIGMOID, 1, s->ints, s->c); break;
    case AUX: st = clnn_moe_aux_loss(s->ctx, s->a, s->ints, 0.01f, s->d, s->b); break;
    case ROUTE_BWD: st = clnn_moe_route_backward(s->ctx, s->a, s->ints, s->c, CLNN_MOE_SOFTMAX, 1, s->b); break;
    case DISPATCH: st = clnn_moe_dispatch(s->ctx, s->a, s->ints, s->ints2, s->ints3, s->b); break;
    /* capacity factor 1: E·C = T·k rows, so x_sorted (b) holds the buffer; counts in the first E offsets */
    case DISPATCH_CAPACITY:
        st = clnn_moe_dispatch_capacity(s->ctx, s->a, s->ints, s->K, s->ints2, NULL, s->ints3, s->b);
        break;
    default: st = clnn_moe_combine(s->ctx, s->b, s->ints3, s->c, s->a); break;
    }
    return st != CLNN_OK;
}

static clnn_tensor *tensor(bench_env *env, clnn_dtype dtype, size_t rows, size_t cols)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, dtype, cols ? 2 : 1, shape, &t) != CLNN_OK) return NULL;
    if (dtype == CLNN_FLOAT32 ? clnn_tensor_random_uniform(t, 5, (uint32_t)rows, -1.0f, 1.0f) : clnn_tensor_fill(t, 0)) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

static void release(sparse_args *s)
{
    clnn_tensor *all[] = {s->a, s->b, s->c, s->d, s->ints, s->ints2, s->ints3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    s->a = s->b = s->c = s->d = s->ints = s->ints2 = s->ints3 = NULL;
}

static double timed(bench_env *env, sparse_args *s, int ok)
{
    if (!ok) {
        fprintf(stderr, "bench sparse: %s\n", clnn_last_error(env->ctx));
        return -1;
    }
    return bench_time(env, run_op, s);
}

static void report_gbps(bench_env *env, const char *name, double bytes, double t)
{
    bench_report(env, "sparse", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
}

/* Times op on the tensors in place and reports its GB/s under a printf-style name. */
static void gbps_row(bench_env *env, sparse_args *s, int op, double bytes, const char *fmt, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    s->op = op;
    report_gbps(env, name, bytes, bench_time(env, run_op, s));
}

static void bench_sort(bench_env *env, sparse_args *s, unsigned log2n)
{
    size_t n = (size_t)1 << log2n;
    char name[96];
    s->op = SORT, s->a = tensor(env, CLNN_FLOAT32, n, 0), s->b = tensor(env, CLNN_FLOAT32, n, 0);
    double t = timed(env, s, s->a && s->b);
    snprintf(name, sizeof name, "sort 2^%u fp32 keys", log2n);
    bench_report(env, "sparse", name, t > 0 ? (double)n / t * 1e-6 : 0, "Mkeys/s", env->copy_gbps * 1e3 / 8.0,
                 "copy-limited Mkeys/s");
    /* radix traffic: 4 passes of 8-bit digits (src/sparse/sparse_internal.h), each reading the keys
     * twice (count, scatter) and writing them once */
    snprintf(name, sizeof name, "sort 2^%u keys, 4 passes x 12 B/key", log2n);
    report_gbps(env, name, 4.0 * 12.0 * (double)n, t);
    release(s);
    /* the per-row sort of the same keys as [n / 1024, 1024], keys and indices, against the whole sort */
    s->op = SORT_ROWS, s->a = tensor(env, CLNN_FLOAT32, n >> 10, 1024), s->b = tensor(env, CLNN_FLOAT32, n >> 10, 1024);
    s->ints = tensor(env, CLNN_INT32, n >> 10, 1024);
    double tr = timed(env, s, s->a && s->b && s->ints);
    snprintf(name, sizeof name, "sort_rows 2^%u fp32 keys in rows of 1024, + indices", log2n);
    bench_report(env, "sparse", name, tr > 0 ? (double)n / tr * 1e-6 : 0, "Mkeys/s", t > 0 ? (double)n / t * 1e-6 : 0,
                 "whole-tensor sort Mkeys/s");
    release(s);
}

/* top-k activation: read x, write y; its backward: read x (the selection is recomputed) and dy, write dx;
 * the progressive 2:4 mask of the same weights: read w, write the mask */
static void bench_topk(bench_env *env, sparse_args *s)
{
    char name[96];
    size_t rows = env->quick ? 512 : 4096, cols = 4096;
    double rc = (double)(rows * cols);
    s->op = TOPK, s->k = 64, s->a = tensor(env, CLNN_FLOAT32, rows, cols);
    s->b = tensor(env, CLNN_FLOAT32, rows, cols), s->c = tensor(env, CLNN_FLOAT32, rows, cols);
    double t = timed(env, s, s->a && s->b && s->c);
    snprintf(name, sizeof name, "top-k activation %zux%zu k=64", rows, cols);
    report_gbps(env, name, 2.0 * 4.0 * rc, t);
    if (t > 0) {
        gbps_row(env, s, TOPK_BWD, 3.0 * 4.0 * rc, "top-k activation backward %zux%zu k=64", rows, cols);
        gbps_row(env, s, NM_PROGRESSIVE, 2.0 * 4.0 * rc, "progressive N:M mask 2:4 %zux%zu", rows, cols);
        /* torch.topk(sorted=True): read x, write values and indices */
        s->d = tensor(env, CLNN_FLOAT32, rows, 64), s->ints = tensor(env, CLNN_INT32, rows, 64);
        if (s->d && s->ints)
            gbps_row(env, s, TOPK_SORTED, 4.0 * (rc + 2.0 * 64.0 * (double)rows), "top-k sorted values + indices %zux%zu k=64",
                     rows, cols);
    }
    release(s);
}

/* Wasserstein value + gradient: the sort's traffic plus read s0, read/write grad, the diff and its sum */
static void bench_wasserstein(bench_env *env, sparse_args *s)
{
    size_t n = (size_t)1 << 20;
    s->op = W2, s->a = tensor(env, CLNN_FLOAT32, n, 0), s->b = tensor(env, CLNN_FLOAT32, n, 0);
    s->c = tensor(env, CLNN_FLOAT32, 1, 0), s->d = tensor(env, CLNN_FLOAT32, n, 0);
    int ok = s->a && s->b && s->c && s->d && clnn_sort(env->ctx, s->b, NULL, s->b, NULL) == CLNN_OK;
    double t = timed(env, s, ok);
    report_gbps(env, "Wasserstein value+grad 2^20 (argsort incl.)", (8.0 * 20.0 + 6.0 * 4.0) * (double)n, t);
    release(s);
}

/* multi-sample dropout, K = 8: read x once, write K copies; against K dropout calls */
static void bench_multi_dropout(bench_env *env, sparse_args *s)
{
    char name[96];
    size_t m = env->quick ? ((size_t)1 << 18) : ((size_t)1 << 21);
    s->op = MSD, s->a = tensor(env, CLNN_FLOAT32, m, 0), s->b = tensor(env, CLNN_FLOAT32, s->K, m);
    s->c = tensor(env, CLNN_FLOAT32, m, 0);
    double fused = timed(env, s, s->a && s->b && s->c);
    snprintf(name, sizeof name, "multi-sample dropout K=8 of %zu", m);
    report_gbps(env, name, (1.0 + s->K) * 4.0 * (double)m, fused);
    s->op = MSD_UNFUSED;
    double unfused = timed(env, s, 1);
    snprintf(name, sizeof name, "multi-sample dropout K=8 one pass vs 8 calls");
    bench_report(env, "sparse", name, fused > 0 ? 1.0 / fused : 0, "1/s", unfused > 0 ? 1.0 / unfused : 0,
                 "8 clnn_dropout calls");
    /* its backward: read the K gradients dy, write dx */
    if (fused > 0) gbps_row(env, s, MSD_BWD, (1.0 + s->K) * 4.0 * (double)m, "multi-sample dropout bwd K=8 of %zu", m);
    release(s);
}

/* MoE routing, T tokens x 64 experts, k = 8: read the logits and bias, write indices and gates */
static void bench_moe_route(bench_env *env, sparse_args *s)
{
    char name[96];
    size_t T = env->quick ? 8192 : 65536, E = 64;
    s->op = ROUTE, s->k = 8, s->a = tensor(env, CLNN_FLOAT32, T, E), s->b = tensor(env, CLNN_FLOAT32, E, 0);
    s->c = tensor(env, CLNN_FLOAT32, T, s->k), s->d = tensor(env, CLNN_FLOAT32, 1, 0);
    s->ints = tensor(env, CLNN_INT32, T, s->k);
    int ok = s->a && s->b && s->c && s->d && s->ints;
    double t = timed(env, s, ok);
    snprintf(name, sizeof name, "MoE route %zux%zu k=8 sigmoid+bias", T, E);
    report_gbps(env, name, 4.0 * (double)(T * E + 2 * T * s->k), t);
    /* Switch aux loss + gradient: read logits and indices, write dlogits (b: [T, E]) */
    clnn_tensor_release(s->b);
    s->op = AUX, s->b = tensor(env, CLNN_FLOAT32, T, E);
    t = timed(env, s, ok && s->b && clnn_finish(env->ctx) == CLNN_OK);
    snprintf(name, sizeof name, "MoE Switch aux loss+grad %zux%zu", T, E);
    report_gbps(env, name, 4.0 * (double)(2 * T * E + T * s->k), t);
    /* route backward, softmax renormalized (the gates need whole rows): read the logits, indices and dgates
     * (the gates in c), write dlogits (b) */
    if (t > 0)
        gbps_row(env, s, ROUTE_BWD, 4.0 * (double)(2 * T * E + 2 * T * s->k), "MoE route backward %zux%zu k=8 softmax",
                 T, E);
    release(s);
}

/* dispatch (sort of the T·k pairs included) and combine of [T, 256] tokens, 64 experts, k = 8:
 * dispatch reads x once per pair and writes x_sorted; combine reads y_sorted and writes y */
static void bench_moe_dispatch(bench_env *env, sparse_args *s)
{
    char name[96];
    size_t Td = env->quick ? 1024 : 8192, D = 256, E = 64, pairs = Td * 8;
    s->a = tensor(env, CLNN_FLOAT32, Td, D), s->b = tensor(env, CLNN_FLOAT32, pairs, D);
    s->c = tensor(env, CLNN_FLOAT32, Td, 8), s->ints = tensor(env, CLNN_INT32, Td, 8);
    s->ints2 = tensor(env, CLNN_INT32, E + 1, 0), s->ints3 = tensor(env, CLNN_INT32, Td, 8);
    s->d = tensor(env, CLNN_FLOAT32, Td, E);
    int ok = s->a && s->b && s->c && s->d && s->ints && s->ints2 && s->ints3 &&
             clnn_moe_route(env->ctx, s->d, NULL, 8, CLNN_MOE_SOFTMAX, 1, s->ints, s->c) == CLNN_OK;
    s->op = DISPATCH;
    double t = timed(env, s, ok);
    snprintf(name, sizeof name, "MoE dispatch %zux%zu, 64 experts k=8", Td, D);
    report_gbps(env, name, 8.0 * (double)(pairs * D), t);
    /* with a capacity of factor 1 (C = T·k / E): the zero fill of the buffer, then the same traffic */
    size_t shape_e[1] = {E};
    unsigned keep_K = s->K;
    s->K = (unsigned)(pairs / E);
    clnn_tensor *counts = NULL;
    ok = ok && clnn_tensor_create(env->ctx, CLNN_INT32, 1, shape_e, &counts) == CLNN_OK;
    clnn_tensor *offsets = s->ints2;
    s->ints2 = counts, s->op = DISPATCH_CAPACITY;
    t = timed(env, s, ok);
    snprintf(name, sizeof name, "MoE dispatch with capacity (factor 1) %zux%zu, 64 experts k=8", Td, D);
    report_gbps(env, name, 8.0 * (double)(pairs * D), t);
    s->ints2 = offsets, s->K = keep_K;
    clnn_tensor_release(counts);
    s->op = COMBINE;
    t = timed(env, s, ok);
    snprintf(name, sizeof name, "MoE combine %zux%zu, k=8", Td, D);
    report_gbps(env, name, 4.0 * (double)(pairs * D + Td * D), t);
    release(s);
}

void bench_sparse(bench_env *env)
{
    sparse_args s = {env->ctx, 0, 8, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    bench_sort(env, &s, 20);
    if (!env->quick) bench_sort(env, &s, 22);
    bench_topk(env, &s);
    bench_wasserstein(env, &s);
    bench_multi_dropout(env, &s);
    bench_moe_route(env, &s);
    bench_moe_dispatch(env, &s);
}
