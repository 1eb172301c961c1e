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
    void *summaries;      /* cJSON array of the groups' summaries (bench_summarize) */
} bench_env;

/* Median device time in seconds of `repeats` runs of fn(arg), each timed with
 * the clnn profiler after one warm-up run; negative on error. */
double bench_time(bench_env *env, int (*fn)(void *arg), void *arg);

/* The host's monotonic clock, in seconds. */
double bench_now_seconds(void);

/* Median wall time in seconds of `repeats` runs of fn(arg), each followed by
 * clnn_finish, after one untimed run; negative on error. GEMM-shaped rows use
 * it: CLBlast's profiling event covers only its last kernel (a padding or
 * transpose step of the indirect GEMM), which the profiler would report as
 * the whole product. */
double bench_wall_time(bench_env *env, int (*fn)(void *arg), void *arg);
/* bench_wall_time of fn on two arguments, their runs alternating (a, b, a,
 * b, ...), so that a slow spell of a shared machine falls on both: for a
 * difference of two times; at least 3 repeats each whatever --repeats
 * says. 0, or -1 on error. */
int bench_wall_time_pair(bench_env *env, int (*fn)(void *arg), void *arg_a, void *arg_b, double *ta, double *tb);

/* One row-major CLBlast SGEMM C[m, n] = op(A) . op(B), op(A) = A [m, k] or
 * with trans_a A^T of A [k, m], op(B) = B [k, n] or with trans_b B^T of
 * B [n, k]; strided-batched when batch > 1. */
typedef struct bench_gemm {
    size_t m, n, k, batch;
    int trans_a, trans_b;
} bench_gemm;

/* Wall time (as bench_wall_time) of the GEMMs run back to back on the
 * context's queue, on zero-filled buffers sized for the largest; negative on
 * error. The CLBlast reference of every GEMM-shaped row. */
double bench_gemm_time(bench_env *env, const bench_gemm *gemms, size_t count);

/* A memory-bound row of a table: its name and the fp32 values it moves per
 * element (reads plus writes), as each table's comment counts them. */
typedef struct bench_floats_row {
    const char *name;
    double floats;
} bench_floats_row;

/* Adds a row: value in unit, reference value/label measured in the same run,
 * and prints it. ratio = value / reference (higher is better for rates). */
void bench_report(bench_env *env, const char *group, const char *name, double value, const char *unit,
                  double reference, const char *reference_label);

/* Prints and records the summary lines of the rows from first_row on: per
 * group and kind of reference, the median and smallest ratio, and for rows
 * against copy bandwidth how many are under 0.5x (bench_summary.c). */
void bench_summarize(bench_env *env, int first_row);

/* Every benchmark group; clnn-bench runs them in this order. */
void bench_copy(bench_env *env);
void bench_optim(bench_env *env); /* bench_optim.c: fused optimizer + regularizers */
void bench_optim_multi(bench_env *env); /* bench_optim_multi.c: the optimizer object, multi-tensor vs per tensor */
void bench_stochastic(bench_env *env);
void bench_layers(bench_env *env);
/* conv2d forward and backward, batch norm, max pooling, attention (bench_conv.c) */
void bench_conv(bench_env *env);
/* output regularizers (bench_outputs.c) */
void bench_outputs(bench_env *env);
/* representation losses (bench_representations.c) */
void bench_representations(bench_env *env);
/* one training step of each sample vs its GEMMs alone (bench_train.c) */
void bench_train(bench_env *env);
/* tuned vs heuristic default per tunable kernel (bench_tune.c) */
void bench_tune(bench_env *env);
/* classification losses, spherical Z-loss vs cross-entropy (bench_losses.c) */
void bench_losses(bench_env *env);
/* metric and overlap losses (bench_metric_losses.c) */
void bench_metric_losses(bench_env *env);

/* gradient combination, AdEMAMix, AMP, LOBSTER (bench_gradcomb.c) */
void bench_gradcomb(bench_env *env);
/* sort, top-k activation, Wasserstein, multi-sample dropout, MoE routing (bench_sparse.c) */
void bench_sparse(bench_env *env);
/* contrastive objectives, tiled vs materialised InfoNCE (bench_contrastive.c) */
void bench_contrastive(bench_env *env);
/* bench_robust.c: perturbations, robust losses, label weights */
void bench_robust(bench_env *env);
/* every program from clnn's binary cache vs built from source (bench_cache.c) */
void bench_cache(bench_env *env);
/* libclnn_mpi under mpirun: allreduce GB/s vs MPI_Allreduce, the MLP step's
 * scaling vs the ideal (bench_mpi.c; bench_mpi_none.c in a build without
 * MPI); started without mpirun it says that it skipped */
void bench_mpi(bench_env *env);
/* The rank mpirun gave this process (its environment), -1 when none: under
 * mpirun only rank 0 prints and writes --json. */
int bench_mpi_launched_rank(void);

/* How a caller times fn(arg): bench_wall_time alone, or across MPI ranks
 * (bench_mpi.c); user is the timer's own. */
typedef double (*bench_timer)(bench_env *env, int (*fn)(void *arg), void *arg, void *user);
/* One training step of the samples' MLP (mlp_train_step_dp, what
 * fashion_mlp runs) on `rows` random images of a global batch of `global`,
 * for group g, timed by timer; negative on error (bench_train.c). */
struct dp_group;
double bench_mlp_step_time(bench_env *env, clnn_context *ctx, const struct dp_group *g, size_t rows, size_t global,
                           bench_timer timer, void *user);

#endif
