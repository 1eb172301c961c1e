/* The mpi group: libclnn_mpi under mpirun, every rank on its own device
 * (clnn_mpi_context_create), e.g.
 *     mpirun -np 2 clnn-bench --only mpi
 * Started without a launcher it says that it skipped (never a pass).
 *   - allreduce GB/s: clnn_mpi_allreduce (mean) of one fp32 tensor, in
 *     both modes, as 4 N bytes over the slowest rank's time, against
 *     MPI_Allreduce (sum) of a host buffer of the same size, in the same
 *     run: the ratio is what the device round trip, the buckets and the
 *     deterministic scheme cost over MPI alone.
 *   - scaling: one training step of the samples' MLP (bench_mlp_step_time:
 *     mlp_train_step_dp, the step fashion_mlp --mpi runs) on a global batch of 128 images
 *     shared by every rank, in images/s, against the ideal: the ranks
 *     times the images/s of rank 0 alone on the whole batch, measured in
 *     the same run while the other ranks wait without spinning. The ratio
 *     is the scaling efficiency from 1 rank to all of them.
 * Times are medians over --repeats of the slowest rank's wall time, each
 * repeat started together (MPI_Barrier). */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include "data_parallel.h"

#include <clnn/mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MPI_GROUP "mpi"
#define MAX_REPEATS 64

int bench_mpi_launched_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return -1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over repeats of the slowest rank's time of fn(arg) on the
 * communicator *comm, after one untimed run; negative when fn failed on
 * some rank. A bench_timer. */
static double timed(bench_env *env, int (*fn)(void *arg), void *arg, void *user)
{
    MPI_Comm comm = *(const MPI_Comm *)user;
    int bad = fn(arg), n = env->repeats < MAX_REPEATS ? env->repeats : MAX_REPEATS;
    double t[MAX_REPEATS];
    for (int i = 0; i < n; i++) {
        MPI_Barrier(comm);
        double t0 = bench_now_seconds();
        bad |= fn(arg);
        double mine = bench_now_seconds() - t0;
        MPI_Allreduce(&mine, &t[i], 1, MPI_DOUBLE, MPI_MAX, comm);
    }
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_LOR, comm);
    qsort(t, (size_t)n, sizeof t[0], by_value);
    return bad ? -1 : t[n / 2];
}

/* Waits for every rank of comm without taking a core from the one that
 * measures alone (a spinning MPI_Barrier would). */
static void wait_quietly(MPI_Comm comm)
{
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    for (int done = 0; !done;) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (!done) nanosleep(&(struct timespec){0, 1000000L}, NULL);
    }
}

/* ------------------------------------------------------------ allreduce */

typedef struct allreduce_args {
    clnn_context *ctx;
    clnn_tensor *t;
    clnn_mpi_options opt;
    float *host;
    int n;
} allreduce_args;

static int run_clnn(void *p)
{
    allreduce_args *a = p;
    return clnn_mpi_allreduce(a->ctx, MPI_COMM_WORLD, CLNN_MPI_MEAN, &a->opt, 1, &a->t) != CLNN_OK;
}

static int run_host(void *p)
{
    allreduce_args *a = p;
    return MPI_Allreduce(MPI_IN_PLACE, a->host, a->n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS;
}

static void allreduce_rows(bench_env *env, clnn_context *ctx, size_t n)
{
    allreduce_args a = {ctx, NULL, {0}, calloc(n, sizeof(float)), (int)n};
    clnn_mpi_options_init(&a.opt);
    int bad = !a.host || clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &a.t) != CLNN_OK ||
              clnn_tensor_random_uniform(a.t, 7, 0, -1.0f, 1.0f) != CLNN_OK;
    if (bad) fprintf(stderr, "bench mpi: %s\n", a.t ? clnn_last_error(ctx) : "out of memory");
    /* every rank measures, or none: a rank alone in a collective would wait forever */
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    if (bad) {
        free(a.host);
        clnn_tensor_release(a.t);
        return;
    }
    MPI_Comm world = MPI_COMM_WORLD;
    double bytes = 4.0 * (double)n, t_host = timed(env, run_host, &a, &world);
    for (int det = 1; det >= 0; det--) {
        a.opt.deterministic = det;
        double t = timed(env, run_clnn, &a, &world);
        char name[96];
        snprintf(name, sizeof name, "allreduce %.0f MiB, %s", bytes / (1 << 20),
                 det ? "deterministic" : "MPI_Allreduce");
        if (t <= 0 || t_host <= 0) fprintf(stderr, "bench mpi: %s: %s\n", name, clnn_last_error(ctx));
        else bench_report(env, MPI_GROUP, name, bytes / t * 1e-9, "GB/s", bytes / t_host * 1e-9, "MPI_Allreduce, host");
    }
    clnn_tensor_release(a.t);
    free(a.host);
}

/* --------------------------------------------------------------- scaling */

static void scaling_row(bench_env *env, clnn_context *ctx, int rank, int ranks)
{
    const size_t global = 128; /* fashion_mlp's default batch */
    MPI_Comm self = MPI_COMM_SELF, world = MPI_COMM_WORLD;
    const dp_group one = {0, 1, 0}, all = {rank, ranks, 1};
    double t1 = -1;
    if (rank == 0) t1 = bench_mlp_step_time(env, ctx, &one, global, global, timed, &self);
    wait_quietly(world);
    MPI_Bcast(&t1, 1, MPI_DOUBLE, 0, world);
    size_t start, rows;
    dp_shard(&all, global, &start, &rows);
    double tp = bench_mlp_step_time(env, ctx, &all, rows, global, timed, &world);
    char name[96], ideal[32];
    snprintf(name, sizeof name, "MLP step, batch %zu over %d ranks", global, ranks);
    snprintf(ideal, sizeof ideal, "ideal: %d x 1 rank", ranks);
    if (t1 <= 0 || tp <= 0) fprintf(stderr, "bench mpi: %s: %s\n", name, clnn_last_error(ctx));
    else bench_report(env, MPI_GROUP, name, (double)global / tp, "img/s", ranks * (double)global / t1, ideal);
}

void bench_mpi(bench_env *env)
{
    if (bench_mpi_launched_rank() < 0) {
        printf("%-10s skipped: not started by mpirun (mpirun -np 2 clnn-bench --only mpi)\n", MPI_GROUP);
        return;
    }
    int rank = 0, ranks = 1;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    clnn_context *ctx = NULL;
    if (ranks < 2) {
        printf("%-10s skipped: 1 rank (mpirun -np 2 or more)\n", MPI_GROUP);
    } else if (clnn_mpi_context_create(MPI_COMM_WORLD, NULL, &ctx) != CLNN_OK) {
        fprintf(stderr, "bench mpi: %s\n", clnn_last_error(NULL));
    } else {
        const size_t sizes[] = {(size_t)1 << 20, (size_t)1 << 24};
        for (size_t i = 0; i < (env->quick ? 1u : 2u); i++) allreduce_rows(env, ctx, sizes[i]);
        scaling_row(env, ctx, rank, ranks);
    }
    clnn_context_release(ctx);
    MPI_Finalize();
}
