/* data_parallel.h over MPI (libclnn_mpi). */
#include "data_parallel.h"

#include "model_util.h"

#include <clnn/mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int running = -1; /* this rank's number while MPI runs */

/* A rank leaving before dp_stop ends the job, or the others would wait for
 * it in their next collective forever. */
static void abort_job(void)
{
    if (running < 0) return;
    fprintf(stderr, "rank %d exits before the end of training: MPI_Abort ends every rank\n", running);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

int dp_start(const char *name, int mpi, dp_group *g)
{
    *g = (dp_group){0, 1, 0};
    if (!mpi) return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "%s: MPI_Init failed\n", name);
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &g->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g->size);
    g->mpi = 1;
    running = g->rank;
    atexit(abort_job);
    return 0;
}

void dp_stop(dp_group *g)
{
    if (!g->mpi) return;
    running = -1;
    MPI_Finalize();
    g->mpi = 0;
}

clnn_status dp_context_create(const char *selector, clnn_context **ctx)
{
    return clnn_mpi_context_create(MPI_COMM_WORLD, selector, ctx);
}

void dp_average(clnn_context *ctx, const dp_group *g, clnn_tensor *const *grads, size_t count, size_t shard,
                size_t global)
{
    if (!g->mpi) return;
    /* mean over ranks of (shard * size / global) * mean over the shard = mean over the global batch */
    float weight = (float)((double)shard * g->size / (double)global);
    for (size_t i = 0; weight != 1.0f && i < count; i++) CK(ctx, clnn_scale(grads[i], weight));
    CK(ctx, clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_MEAN, NULL, count, grads));
}

void dp_broadcast(clnn_context *ctx, const dp_group *g, clnn_tensor *const *tensors, size_t count)
{
    if (g->mpi) CK(ctx, clnn_mpi_broadcast(ctx, MPI_COMM_WORLD, 0, NULL, count, tensors));
}

void dp_gather(const dp_group *g, double x, double *all)
{
    if (g->mpi) MPI_Allgather(&x, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, MPI_COMM_WORLD);
    else all[0] = x;
}

static uint64_t hash_tensors(clnn_context *ctx, clnn_tensor *const *tensors, size_t count)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < count; i++) {
        size_t bytes = clnn_tensor_count(tensors[i]) * sizeof(float);
        unsigned char *p = malloc(bytes);
        if (!p) {
            fprintf(stderr, "out of host memory\n");
            exit(1);
        }
        CK(ctx, clnn_tensor_download(tensors[i], p, bytes));
        for (size_t k = 0; k < bytes; k++) h = (h ^ p[k]) * 1099511628211ull;
        free(p);
    }
    return h;
}

uint64_t dp_check_identical(clnn_context *ctx, const dp_group *g, clnn_tensor *const *tensors, size_t count,
                            const char *when)
{
    if (!g->mpi) return 0;
    uint64_t h = hash_tensors(ctx, tensors, count);
    unsigned long long mine = h, lo = h, hi = h;
    MPI_Allreduce(&mine, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (lo != hi) {
        fprintf(stderr, "rank %d: the parameters differ across the ranks %s: this rank's hash %016llx, the ranks' "
                        "range %016llx .. %016llx\n", g->rank, when, mine, lo, hi);
        exit(1);
    }
    return h;
}
