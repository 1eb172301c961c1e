/* Group "contrastive" (include/clnn/contrastive.h):
 *  - the GEMM-shaped objectives in GFLOPS of their nominal GEMM work against
 *    CLBlast SGEMM of the similarity GEMM's shape timed in the same run;
 *  - the row-wise ones (alignment, variance) in GB/s against the copy bandwidth;
 *  - tiled vs materialised InfoNCE (one-way, D = 128, with both gradients) as
 *    N grows: time (GFLOPS rows) and peak device memory measured with
 *    clnn_context_memory_stats (inputs and gradients included), then the
 *    largest N each fits in a 1 GiB budget, from the allocation formulas the
 *    measured peaks are checked against;
 *  - MoCo: InfoNCE with a queue of K negatives (CLNN_INFONCE_MOCO, both
 *    paths) against CLBlast of its GEMMs, and clnn_moco_queue_push against
 *    the copy bandwidth.
 * N runs over the comma-separated CLNN_BENCH_CONTRASTIVE_N (default
 * "1024,4096"; "1024" with --quick; e.g. "16384,65536"). The peak comes from one call on its own; from
 * 16384 on that call is also the time (a call takes minutes on a CPU),
 * smaller ones take the median of the repeats; the CLBlast reference is then
 * timed on 4096-row slabs of the similarity GEMM. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define D 128
#define BUDGET_BYTES (1024.0 * 1024.0 * 1024.0)

typedef struct ctr_args {
    clnn_context *ctx;
    int op, tiled;
    clnn_tensor *x, *y, *dx, *dy, *loss, *labels, *e, *de, *w, *b;
    clnn_tensor *queue; /* OP_MOCO, OP_PUSH */
    clnn_status status; /* of the last call */
} ctr_args;

enum { OP_INFONCE, OP_SUPCON, OP_UNIFORMITY, OP_GE2E, OP_BARLOW, OP_ALIGN, OP_VARIANCE, OP_MOCO, OP_PUSH };

static int run_op(void *p)
{
    ctr_args *a = p;
    clnn_status st;
    switch (a->op) {
    case OP_INFONCE:
        st = a->tiled ? clnn_infonce_tiled(a->ctx, a->x, a->y, CLNN_INFONCE_ONE_WAY, NULL, a->loss, a->dx, a->dy)
                      : clnn_infonce(a->ctx, a->x, a->y, CLNN_INFONCE_ONE_WAY, NULL, a->loss, a->dx, a->dy);
        break;
    case OP_SUPCON: st = clnn_supcon(a->ctx, a->x, a->y, a->labels, NULL, a->loss, a->dx, a->dy); break;
    case OP_UNIFORMITY: st = clnn_uniformity_loss(a->ctx, a->x, 2.0f, a->loss, a->dx); break;
    case OP_GE2E: st = clnn_ge2e_loss(a->ctx, a->e, a->w, a->b, CLNN_REDUCE_MEAN, a->loss, a->de, NULL, NULL); break;
    case OP_BARLOW: st = clnn_barlow_twins(a->ctx, a->x, a->y, 5e-3f, a->loss, a->dx, a->dy); break;
    case OP_ALIGN: st = clnn_alignment_loss(a->ctx, a->x, a->y, 2.0f, a->loss, a->dx, a->dy); break;
    case OP_MOCO: {
        clnn_contrastive_options o;
        clnn_contrastive_options_init(&o);
        o.queue = a->queue;
        st = a->tiled ? clnn_infonce_tiled(a->ctx, a->x, a->y, CLNN_INFONCE_MOCO, &o, a->loss, a->dx, a->dy)
                      : clnn_infonce(a->ctx, a->x, a->y, CLNN_INFONCE_MOCO, &o, a->loss, a->dx, a->dy);
        break;
    }
    case OP_PUSH: {
        size_t next;
        st = clnn_moco_queue_push(a->ctx, a->x, 7, a->queue, &next); /* wraps when 7 + N > K */
        break;
    }
    default: st = clnn_output_variance_penalty(a->ctx, a->x, 1.0f, CLNN_REDUCE_MEAN, a->loss, a->dx); break;
    }
    a->status = st;
    return st != CLNN_OK;
}

static clnn_tensor *tensor(bench_env *env, clnn_dtype dtype, int ndim, size_t d0, size_t d1, size_t d2)
{
    size_t shape[3] = {d0, d1, d2};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, dtype, ndim, shape, &t) != CLNN_OK) return NULL;
    clnn_status st = dtype == CLNN_FLOAT32 ? clnn_tensor_random_uniform(t, 5, (uint32_t)(d0 + d1), -1.0f, 1.0f)
                                           : clnn_tensor_fill(t, 1.0f);
    if (st != CLNN_OK) clnn_tensor_release(t), t = NULL;
    return t;
}

/* Releases every tensor and leaves a ready for the next op. */
static void release_args(ctr_args *a)
{
    clnn_tensor *all[] = {a->x, a->y, a->dx, a->dy, a->loss, a->labels, a->e, a->de, a->w, a->b, a->queue};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    *a = (ctr_args){a->ctx, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
}

/* Two views [n, d], their gradients and a loss. */
static int make_pair(bench_env *env, ctr_args *a, size_t n, size_t d)
{
    *a = (ctr_args){env->ctx, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLNN_OK};
    a->x = tensor(env, CLNN_FLOAT32, 2, n, d, 0), a->y = tensor(env, CLNN_FLOAT32, 2, n, d, 0);
    a->dx = tensor(env, CLNN_FLOAT32, 2, n, d, 0), a->dy = tensor(env, CLNN_FLOAT32, 2, n, d, 0);
    a->loss = tensor(env, CLNN_FLOAT32, 1, 1, 0, 0);
    a->labels = tensor(env, CLNN_INT32, 1, n, 0, 0);
    return a->x && a->y && a->dx && a->dy && a->loss && a->labels;
}

/* Waits until the runtime has freed the buffers of earlier calls (their
 * destructor callbacks may run shortly after clnn_finish): two reads of the
 * live bytes 10 ms apart agree, 2 s at most. */
static void settle(bench_env *env)
{
    size_t live = 0, prev = (size_t)-1;
    for (int i = 0; i < 200 && live != prev; i++) {
        prev = live;
        clnn_finish(env->ctx);
        nanosleep(&(struct timespec){0, 10000000}, NULL);
        clnn_context_memory_stats(env->ctx, &live, NULL);
    }
}

/* One call timed by the wall clock up to clnn_finish (no warm-up: the
 * kernels were built by a smaller call first; CLBlast's event would cover
 * only its last kernel, so device time would flatter the materialised
 * path); negative on error. */
static double time_once(bench_env *env, ctr_args *a)
{
    struct timespec t0, t1;
    if (clnn_finish(env->ctx) != CLNN_OK) return -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (run_op(a) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
}

/* The CLBlast reference of GEMM-shaped rows: `count` products m x n x k. */
static double clblast_ref(bench_env *env, size_t m, size_t n, size_t k, double count)
{
    const bench_gemm g = {m, n, k, 1, 0, 0};
    double t = bench_gemm_time(env, &g, 1);
    return t > 0 ? count * t : -1;
}

/* Device bytes of a one-way InfoNCE call with gradients, inputs and outputs
 * included: z1, z2, dz1, dz2 (4nd), the loss, the stacked views and their
 * gradient (4nd), 1/norms (2n), partials (n), and the n x n matrix or the
 * per-anchor lse (n). The measured peaks below are compared with it. */
static double infonce_bytes(double n, double d, int tiled)
{
    return 4.0 * (8.0 * n * d + 1.0 + 3.0 * n + (tiled ? n : n * n));
}

/* The largest n with infonce_bytes(n) <= budget (bisection; monotone in n). */
static double largest_n(double budget, int tiled)
{
    double lo = 1, hi = 1e9;
    while (hi - lo > 1) {
        double mid = floor((lo + hi) / 2);
        if (infonce_bytes(mid, D, tiled) <= budget) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Tiled vs materialised at one n: GFLOPS rows and the peak memory row. */
static void infonce_at(bench_env *env, size_t n, double tref)
{
    ctr_args a;
    double t[2] = {-1, -1}, peak_mib[2] = {0, 0}, flops = 6.0 * (double)n * (double)n * D;
    if (!make_pair(env, &a, n, D)) {
        fprintf(stderr, "bench contrastive: n = %zu: %s\n", n, clnn_last_error(env->ctx));
        release_args(&a);
        return;
    }
    a.op = OP_INFONCE;
    for (a.tiled = 0; a.tiled < 2; a.tiled++) {
        /* one call on its own for the peak (the frees of earlier calls settled
         * first), then the median of repeats where a call is short */
        size_t peak = 0;
        settle(env);
        clnn_context_memory_reset_peak(env->ctx);
        t[a.tiled] = time_once(env, &a);
        settle(env);
        clnn_context_memory_stats(env->ctx, NULL, &peak);
        if (t[a.tiled] > 0 && n < 16384) t[a.tiled] = bench_wall_time(env, run_op, &a);
        if (t[a.tiled] < 0) {
            printf("contrastive: %s at n = %zu did not run: %s\n", a.tiled ? "tiled" : "materialised", n,
                   clnn_last_error(env->ctx));
            continue;
        }
        peak_mib[a.tiled] = (double)peak / (1024.0 * 1024.0);
        double want = infonce_bytes((double)n, D, a.tiled);
        if (fabs((double)peak - want) > 0.01 * want)
            printf("contrastive: note: %s peak %zu bytes at n = %zu, the formula says %.0f (other tensors live?)\n",
                   a.tiled ? "tiled" : "materialised", peak, n, want);
        char name[96];
        snprintf(name, sizeof name, "infonce 1-way %s N=%zu D=%d", a.tiled ? "tiled" : "materialised", n, D);
        bench_report(env, "contrastive", name, flops / t[a.tiled] * 1e-9, "GFLOPS", flops / tref * 1e-9,
                     "CLBlast NxNxD x3");
    }
    if (t[0] > 0 && t[1] > 0) {
        char name[96];
        snprintf(name, sizeof name, "tiled/materialised time N=%zu", n);
        bench_report(env, "contrastive", name, t[1] * 1e3, "ms", t[0] * 1e3, "materialised ms");
    }
    if (peak_mib[1] > 0) { /* a materialised call that could not allocate: its formula */
        char name[96];
        snprintf(name, sizeof name, "tiled/materialised peak memory N=%zu", n);
        bench_report(env, "contrastive", name, peak_mib[1], "MiB",
                     peak_mib[0] > 0 ? peak_mib[0] : infonce_bytes((double)n, D, 0) / (1024.0 * 1024.0),
                     peak_mib[0] > 0 ? "materialised MiB" : "materialised (formula)");
    }
    release_args(&a);
}

/* A fixed-size op: GFLOPS of `flops` against CLBlast time tref, or GB/s of `bytes` against the copy bandwidth. */
static void fixed_op(bench_env *env, ctr_args *a, const char *name, double flops, double tref, double bytes)
{
    /* wall clock for the GEMM-shaped ops, as for their CLBlast reference */
    double t = flops > 0 ? bench_wall_time(env, run_op, a) : bench_time(env, run_op, a);
    if (t <= 0 && a->status == CLNN_ERR_UNSUPPORTED) { /* e.g. a loop too long for llvmpipe: not an error */
        printf("%-10s skipped: %s: %s\n", "contrastive", name, clnn_last_error(env->ctx));
        return;
    }
    if (t <= 0) {
        fprintf(stderr, "bench contrastive: %s: %s\n", name, clnn_last_error(env->ctx));
        return;
    }
    if (flops > 0) bench_report(env, "contrastive", name, flops / t * 1e-9, "GFLOPS", flops / tref * 1e-9,
                                "CLBlast same GEMMs");
    else bench_report(env, "contrastive", name, bytes / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
}

static void other_ops(bench_env *env)
{
    size_t n = env->quick ? 1024 : 4096, rows = env->quick ? 8192 : 65536, spk = 64, utt = 10;
    double dn = (double)n, dd = D;
    ctr_args a = {env->ctx, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLNN_OK};
    char name[96];
    if (make_pair(env, &a, n, D)) {
        /* SupCon: 2n x 2n similarities; forward GEMM + two gradient GEMMs */
        a.op = OP_SUPCON;
        snprintf(name, sizeof name, "supcon N=%zu D=%d", n, D);
        fixed_op(env, &a, name, 3 * 2.0 * 4 * dn * dn * dd, clblast_ref(env, 2 * n, 2 * n, D, 3), 0);
        a.op = OP_UNIFORMITY; /* Gram + W x */
        snprintf(name, sizeof name, "uniformity N=%zu D=%d", n, D);
        fixed_op(env, &a, name, 2 * 2.0 * dn * dn * dd, clblast_ref(env, n, n, D, 2), 0);
        a.op = OP_BARLOW; /* C = y1^T y2 and two gradient GEMMs: D x D x n */
        snprintf(name, sizeof name, "barlow twins N=%zu D=%d", n, D);
        fixed_op(env, &a, name, 3 * 2.0 * dd * dd * dn, clblast_ref(env, D, D, n, 3), 0);
    }
    release_args(&a);
    a.e = tensor(env, CLNN_FLOAT32, 3, spk, utt, D), a.de = tensor(env, CLNN_FLOAT32, 3, spk, utt, D);
    a.w = tensor(env, CLNN_FLOAT32, 1, 1, 0, 0), a.b = tensor(env, CLNN_FLOAT32, 1, 1, 0, 0);
    a.loss = tensor(env, CLNN_FLOAT32, 1, 1, 0, 0);
    if (a.e && a.de && a.w && a.b && a.loss) { /* E C^T, A C, A^T E: (S U) x S x D each */
        a.op = OP_GE2E;
        snprintf(name, sizeof name, "ge2e %zux%zux%d", spk, utt, D);
        double f = 3 * 2.0 * (double)(spk * utt) * (double)spk * dd;
        fixed_op(env, &a, name, f, clblast_ref(env, spk * utt, spk, D, 3), 0);
    }
    release_args(&a);
    if (make_pair(env, &a, rows, D)) { /* x, y read, dx, dy written; then x read, dx written */
        a.op = OP_ALIGN;
        snprintf(name, sizeof name, "alignment %zux%d", rows, D);
        fixed_op(env, &a, name, 0, 0, 4.0 * (double)rows * dd * sizeof(float));
        a.op = OP_VARIANCE;
        snprintf(name, sizeof name, "output variance %zux%d", rows, D);
        fixed_op(env, &a, name, 0, 0, 2.0 * (double)rows * dd * sizeof(float));
    }
    release_args(&a);
}

/* MoCo: N queries and keys against a queue of K (one-way, D = 128, both
 * gradients): S = Q [K; queue]ᵀ (N x (N + K) x D), dQ from it (N x D x (N +
 * K)), dK from its in-batch part (N x D x N); and pushing a batch of keys. */
static void moco_ops(bench_env *env)
{
    const size_t n = 256, k = env->quick ? 4096 : 16384;
    const double dn = (double)n, dk = (double)k, dd = D;
    ctr_args a;
    char name[96];
    if (make_pair(env, &a, n, D) && (a.queue = tensor(env, CLNN_FLOAT32, 2, k, D, 0)) != NULL) {
        const double flops = 2.0 * dn * (dn + dk) * dd * 2 + 2.0 * dn * dn * dd;
        const double tref = clblast_ref(env, n, n + k, D, 1) + clblast_ref(env, n, D, n + k, 1) +
                            clblast_ref(env, n, D, n, 1);
        a.op = OP_MOCO;
        for (a.tiled = 0; a.tiled < 2; a.tiled++) {
            snprintf(name, sizeof name, "moco %s N=%zu K=%zu D=%d", a.tiled ? "tiled" : "materialised", n, k, D);
            fixed_op(env, &a, name, flops, tref, 0);
        }
    }
    release_args(&a);
    /* the push of a batch big enough to show the bandwidth (256 keys are
     * 128 KiB, mostly launch overhead) */
    const size_t np = env->quick ? 4096 : 16384, kp = 4 * np;
    if (make_pair(env, &a, np, D) && (a.queue = tensor(env, CLNN_FLOAT32, 2, kp, D, 0)) != NULL) {
        a.op = OP_PUSH; /* the keys read, the same bytes written */
        snprintf(name, sizeof name, "moco queue push N=%zu K=%zu D=%d", np, kp, D);
        fixed_op(env, &a, name, 0, 0, 2.0 * (double)np * dd * sizeof(float));
    }
    release_args(&a);
}

void bench_contrastive(bench_env *env)
{
    other_ops(env);
    moco_ops(env);
    const char *s = getenv("CLNN_BENCH_CONTRASTIVE_N");
    if (!s) s = env->quick ? "1024" : "1024,4096";
    for (char *end; *s; s = *end == ',' ? end + 1 : end) {
        size_t n = (size_t)strtoull(s, &end, 10);
        if (end == s || n < 2) break;
        /* reference: the similarity GEMM N x N x D and the two gradient GEMMs (N x D x N) */
        double tref = n < 16384 ? clblast_ref(env, n, n, D, 1) + clblast_ref(env, n, D, n, 2)
                                : clblast_ref(env, 4096, n, D, 3.0 * (double)n / 4096.0); /* slabs */
        infonce_at(env, n, tref);
    }
    double nt = largest_n(BUDGET_BYTES, 1), nm = largest_n(BUDGET_BYTES, 0);
    bench_report(env, "contrastive", "largest N in 1 GiB, D=128 (formula)", nt, "N", nm, "materialised N");
}
