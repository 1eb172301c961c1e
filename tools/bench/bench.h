/* clnn-bench internals: a benchmark is a function that measures something on
 * env->ctx and reports rows; every row carries a reference measured in the same
 * run (copy bandwidth, CLBlast, default configuration) and the ratio to it. */
#ifndef CLNN_BENCH_H
#define CLNN_BENCH_H

#include <clnn/clnn.h>

typedef struct bench_env {
    clnn_context *ctx;
    int quick;            /* smaller sizes and fewer repeats (tests, CI) */
    int repeats;          /* timed repeats per measurement (median taken) */
    double copy_gbps;     /* device copy bandwidth measured first in this run */
    void *rows;           /* cJSON array of results */
} bench_env;

/* Median device time in seconds of `repeats` runs of fn(arg), each timed with
 * the clnn profiler after one warm-up run; negative on error. */
double bench_time(bench_env *env, int (*fn)(void *arg), void *arg);

/* Median device time of a CLBlast (strided-batched when batch > 1) SGEMM,
 * row-major C[m,n] = A[m,k] . B[k,n], from its own profiling event
 * (bench_conv.c); negative on error. */
double bench_time_clblast(bench_env *env, size_t m, size_t n, size_t k, size_t batch);

/* Adds a row: value in unit, reference value/label measured in the same run,
 * and prints it. ratio = value / reference (higher is better for rates). */
void bench_report(bench_env *env, const char *group, const char *name, double value, const char *unit,
                  double reference, const char *reference_label);

/* Every benchmark group; clnn-bench runs them in this order. */
void bench_copy(bench_env *env);
void bench_optim(bench_env *env); /* bench_optim.c: fused optimizer + regularizers */
void bench_stochastic(bench_env *env);
void bench_layers(bench_env *env);
/* conv2d, batch norm, attention (bench_conv.c) */
void bench_conv(bench_env *env);
/* output regularizers (bench_outputs.c) */
void bench_outputs(bench_env *env);
/* contrastive objectives, tiled vs materialised InfoNCE (bench_contrastive.c) */
void bench_contrastive(bench_env *env);

#endif
