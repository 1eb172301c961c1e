/* Group "conv": conv2d forward and attention forward in GFLOPS against
 * CLBlast SGEMM of the equivalent GEMM measured in the same run, and batch
 * norm forward (training) in GB/s against the device copy bandwidth. */
#include "bench.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_time_clblast(bench_env *env, size_t m, size_t n, size_t k, size_t batch)
{
    cl_context cl;
    cl_command_queue q;
    clnn_context_cl(env->ctx, &cl, &q, NULL);
    cl_int err;
    cl_mem a = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4 * m * k * batch, NULL, &err);
    cl_mem b = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4 * k * n * batch, NULL, &err);
    cl_mem c = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4 * m * n * batch, NULL, &err);
    double t[64], result = -1;
    int reps = env->repeats < 64 ? env->repeats : 64;
    if (!a || !b || !c) goto out;
    float zero = 0;
    clEnqueueFillBuffer(q, a, &zero, 4, 0, 4 * m * k * batch, 0, NULL, NULL);
    clEnqueueFillBuffer(q, b, &zero, 4, 0, 4 * k * n * batch, 0, NULL, NULL);
    for (int i = -1; i < reps; i++) {
        cl_event ev = NULL;
        CLBlastStatusCode st =
            batch == 1 ? CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, m, n, k, 1.0f, a, 0,
                                      k, b, 0, n, 0.0f, c, 0, n, &q, &ev)
                       : CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, m, n,
                                                    k, 1.0f, a, 0, k, m * k, b, 0, n, k * n, 0.0f, c, 0, n, m * n, batch,
                                                    &q, &ev);
        if (st != CLBlastSuccess) goto out;
        clWaitForEvents(1, &ev);
        cl_ulong t0 = 0, t1 = 0;
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(ev);
        if (i >= 0) t[i] = 1e-9 * (double)(t1 - t0);
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    result = t[reps / 2];
out:
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    if (c) clReleaseMemObject(c);
    return result;
}

typedef struct conv_args {
    clnn_tensor *x, *w, *b, *y;
    clnn_conv2d_params p;
} conv_args;

typedef struct bn_args {
    clnn_tensor *x, *g, *b, *rm, *rv, *y, *sm, *si;
} bn_args;

typedef struct attn_args {
    clnn_tensor *q, *k, *v, *p, *o;
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
    return clnn_conv2d_forward(bench_ctx, a->x, a->w, a->b, &a->p, a->y) != CLNN_OK;
}

static int run_bn(void *p)
{
    bn_args *a = p;
    return clnn_batchnorm_forward(bench_ctx, a->x, a->g, a->b, a->rm, a->rv, 1, 0.1f, 1e-5f, a->y, a->sm, a->si) !=
           CLNN_OK;
}

static int run_attn(void *p)
{
    attn_args *a = p;
    return clnn_attention_forward(bench_ctx, a->q, a->k, a->v, 0, a->p, a->o) != CLNN_OK;
}

static void bench_conv2d(bench_env *env)
{
    size_t N = env->quick ? 2 : 8, C = 32, H = env->quick ? 16 : 32, K = 32, R = 3;
    conv_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 4, K, C, R, R, 0), tensor(env, 1, K, 1, 1, 1, 0),
                   tensor(env, 4, N, K, H, H, 0), {{1, 1}, {1, 1}, {1, 1}, 1}};
    if (!a.x || !a.w || !a.b || !a.y) goto out;
    double flops = 2.0 * (double)(N * K * H * H) * (double)(C * R * R);
    double t = bench_time(env, run_conv_ctx, &a);
    double tref = bench_time_clblast(env, K, N * H * H, C * R * R, 1);
    char name[96];
    snprintf(name, sizeof name, "conv2d fwd N%zu C%zu %zux%zu K%zu 3x3", N, C, H, H, K);
    if (t > 0 && tref > 0)
        bench_report(env, "conv", name, flops / t * 1e-9, "GFLOPS", flops / tref * 1e-9, "CLBlast SGEMM same MNK");
    else
        fprintf(stderr, "bench conv: %s\n", clnn_last_error(env->ctx));
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.w), clnn_tensor_release(a.b), clnn_tensor_release(a.y);
}

static void bench_batchnorm(bench_env *env)
{
    size_t N = env->quick ? 2 : 8, C = 64, H = 32;
    bn_args a = {tensor(env, 4, N, C, H, H, 0), tensor(env, 1, C, 1, 1, 1, 1), tensor(env, 1, C, 1, 1, 1, 0),
                 tensor(env, 1, C, 1, 1, 1, 0), tensor(env, 1, C, 1, 1, 1, 1), tensor(env, 4, N, C, H, H, 0),
                 tensor(env, 1, C, 1, 1, 1, 0), tensor(env, 1, C, 1, 1, 1, 0)};
    if (!a.x || !a.y) goto out;
    double t = bench_time(env, run_bn, &a);
    /* the least traffic possible: read x once, write y once (the kernel reads x three times) */
    double bytes = 2.0 * 4.0 * (double)(N * C * H * H);
    char name[96];
    snprintf(name, sizeof name, "batchnorm fwd train N%zu C%zu %zux%zu", N, C, H, H);
    if (t > 0) bench_report(env, "conv", name, bytes / t * 1e-9, "GB/s", env->copy_gbps, "copy bandwidth");
    else fprintf(stderr, "bench batchnorm: %s\n", clnn_last_error(env->ctx));
out:
    clnn_tensor_release(a.x), clnn_tensor_release(a.g), clnn_tensor_release(a.b), clnn_tensor_release(a.rm);
    clnn_tensor_release(a.rv), clnn_tensor_release(a.y), clnn_tensor_release(a.sm), clnn_tensor_release(a.si);
}

static void bench_attention(bench_env *env)
{
    size_t B = 2, Hd = 4, S = env->quick ? 128 : 256, D = 64;
    attn_args a = {tensor(env, 4, B, Hd, S, D, 0), tensor(env, 4, B, Hd, S, D, 0), tensor(env, 4, B, Hd, S, D, 0),
                   tensor(env, 4, B, Hd, S, S, 0), tensor(env, 4, B, Hd, S, D, 0)};
    if (!a.q || !a.k || !a.v || !a.p || !a.o) goto out;
    double flops = 2.0 * 2.0 * (double)(B * Hd) * (double)(S * S * D); /* two GEMMs; softmax not counted */
    double t = bench_time(env, run_attn, &a);
    /* reference: the same two GEMM shapes in CLBlast, strided-batched */
    double t1 = bench_time_clblast(env, S, S, D, B * Hd), t2 = bench_time_clblast(env, S, D, S, B * Hd);
    char name[96];
    snprintf(name, sizeof name, "attention fwd B%zu H%zu S%zu D%zu", B, Hd, S, D);
    if (t > 0 && t1 > 0 && t2 > 0)
        bench_report(env, "conv", name, flops / t * 1e-9, "GFLOPS", flops / (t1 + t2) * 1e-9, "CLBlast batched GEMMs");
    else
        fprintf(stderr, "bench attention: %s\n", clnn_last_error(env->ctx));
out:
    clnn_tensor_release(a.q), clnn_tensor_release(a.k), clnn_tensor_release(a.v), clnn_tensor_release(a.p);
    clnn_tensor_release(a.o);
}

void bench_conv(bench_env *env)
{
    bench_ctx = env->ctx;
    bench_conv2d(env);
    bench_batchnorm(env);
    bench_attention(env);
}
