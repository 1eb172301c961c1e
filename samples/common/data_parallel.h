/* Data parallelism for the samples (fashion_mlp --mpi, and clnn-bench's mpi
 * group, which times the same step): the ranks of MPI_COMM_WORLD, one
 * device each, each training on its shard of every global batch, the
 * gradients averaged by clnn_mpi_allreduce (libclnn_mpi, include/clnn/mpi.h)
 * before every optimizer step. data_parallel_mpi.c is built when CMake
 * finds MPI, data_parallel_none.c otherwise: there, and without --mpi, the
 * group is this one process and every call below is a no-op. */
#ifndef SAMPLES_DATA_PARALLEL_H
#define SAMPLES_DATA_PARALLEL_H

#include <clnn/clnn.h>

#include <stddef.h>
#include <stdint.h>

typedef struct dp_group {
    int rank, size; /* 0 and 1 for one process */
    int mpi;        /* MPI is running (--mpi) */
} dp_group;

/* With mpi: MPI_Init, and an exit hook that ends the whole job with
 * MPI_Abort when this rank exits before dp_stop (a failed clnn call, CK),
 * so that no rank waits for it forever. Returns 0, or 1 after a message
 * that starts with name (MPI not in this build). */
int dp_start(const char *name, int mpi, dp_group *g);
/* MPI_Finalize (nothing without MPI). */
void dp_stop(dp_group *g);

/* A context on this rank's device: slot "local rank" of the devices the
 * selector matches (clnn_mpi_context_create); collective. */
clnn_status dp_context_create(const char *selector, clnn_context **ctx);

/* Rank g->rank's shard [*start, *start + *n) of `total` items (a global
 * batch, the test set): contiguous, sizes differing by at most one. */
static inline void dp_shard(const dp_group *g, size_t total, size_t *start, size_t *n)
{
    size_t r = (size_t)g->rank, p = (size_t)g->size;
    *start = total * r / p;
    *n = total * (r + 1) / p - *start;
}

/* Averages the gradients of a shard of `shard` rows over the ranks so that
 * every rank holds the gradient of the mean loss over the global batch of
 * `global` rows: each rank's mean-loss gradients weighed by shard * size /
 * global (1 when the shards are equal), then the deterministic mean of
 * clnn_mpi_allreduce (the same bits on every rank). */
void dp_average(clnn_context *ctx, const dp_group *g, clnn_tensor *const *grads, size_t count, size_t shard,
                size_t global);
/* Rank 0's tensors to every rank (initial parameters, optimizer state). */
void dp_broadcast(clnn_context *ctx, const dp_group *g, clnn_tensor *const *tensors, size_t count);
/* x from every rank into all[g->size], on every rank. */
void dp_gather(const dp_group *g, double x, double *all);
/* The hash of the tensors' bytes (FNV-1a; 0 without MPI); exits with a
 * message when it differs on some rank (the training state must stay
 * bit-identical on every rank after every step). when: "after epoch 3". */
uint64_t dp_check_identical(clnn_context *ctx, const dp_group *g, clnn_tensor *const *tensors, size_t count,
                            const char *when);

#endif
