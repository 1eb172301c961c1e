/* libclnn_mpi: data-parallel training over MPI, a companion library of
 * clnn (pkg-config clnn_mpi, or CMake find_package(clnn_mpi) and clnn::clnn_mpi;
 * libclnn itself does not depend on MPI). docs/distributed.md shows how to
 * run it on one machine and on a cluster.
 *
 * Every rank holds the model; each takes a shard of the global batch,
 * computes its gradients, and clnn_mpi_allreduce averages them so that the
 * optimizer step sees the same gradients everywhere.
 *
 * Conventions, beyond those of <clnn/clnn.h>:
 *   - Every function here is collective over its communicator: every rank
 *     calls it, in the same order, with tensors of the same sizes.
 *   - Arguments are checked on every rank and then agreed on collectively
 *     before any data moves: a bad argument on one rank (NULL, a tensor of
 *     another context, another size than on rank 0, another op) fails the
 *     call on every rank, each with a message naming the rank at fault, and
 *     changes nothing anywhere. No rank is left waiting.
 *   - Failures return a clnn_status with the message in clnn_last_error(ctx)
 *     (clnn_last_error(NULL) for the calls without a context). A failure
 *     of MPI itself is CLNN_ERR_COMM (with MPI's default error handler,
 *     MPI_ERRORS_ARE_FATAL, MPI ends the job first).
 *   - A rank that stops outside these calls (a crash, an error of the
 *     application) leaves the others waiting in the next one: mpirun ends
 *     the job when a rank exits without MPI_Finalize, and an application
 *     should call MPI_Abort on its own errors. With opt->timeout_seconds > 0
 *     a call that waits longer than that for the other ranks fails with
 *     CLNN_ERR_COMM instead of waiting on; MPI then still holds the call's
 *     pending operation, so the only way on is MPI_Abort.
 *   - The calls download the tensors to host memory bucket by bucket, move
 *     them with MPI and upload the results; they return when the tensors
 *     hold the result. They enqueue on the context's in-order queue, so
 *     they see every earlier call's results. A device copy that fails on one
 *     rank once data moves fails the call on every rank (the others still
 *     finish it, so none waits), and leaves the tensors undefined everywhere.
 *   - They call MPI from the calling thread: below MPI_THREAD_SERIALIZED,
 *     call them from the thread that initialized MPI.
 */
#ifndef CLNN_MPI_H
#define CLNN_MPI_H

#include <clnn/clnn.h>
#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CLNN_MPI_BUILDING_LIBRARY)
#define CLNN_MPI_API __attribute__((visibility("default")))
#else
#define CLNN_MPI_API
#endif

typedef enum clnn_mpi_op {
    CLNN_MPI_SUM = 0, /* every rank gets the sum over the ranks */
    CLNN_MPI_MEAN = 1 /* the sum divided by the number of ranks */
} clnn_mpi_op;

/* clnn_mpi_options_init sets the defaults given with each field. */
typedef struct clnn_mpi_options {
    size_t size;
    /* Tensors are packed in list order into host buckets of this many bytes
     * (a tensor may span buckets): one MPI operation per bucket, not per
     * tensor, and the download of bucket i+1 and the upload of bucket i-1
     * run on the device's queue while bucket i is reduced. Default 4 MiB
     * (1 Mi floats); 4 bytes .. 1 GiB, rounded down to whole floats. Every
     * rank must use the same. */
    size_t bucket_bytes;
    /* 1 (default): the sum of each element is computed by one rank in rank
     * order, in double, rounded once to float, and copied to the others
     * (reduce-scatter as MPI_Alltoallv, all-gather as MPI_Allgatherv; MPI
     * moves the bits, it adds nothing): the same bits on every rank, on
     * every run with the same number of ranks, whatever the bucket size or
     * the MPI library. 0: MPI_Allreduce (MPI_SUM on MPI_FLOAT) per bucket,
     * whose order of additions is MPI's: neither bits across runs nor the
     * same bits on every rank are promised. Every rank must use the same. */
    int deterministic;
    /* 0 (default): wait for the other ranks as MPI does. Otherwise each wait
     * inside a call is bounded by this many seconds and fails with
     * CLNN_ERR_COMM past it (see the header's comment: then MPI_Abort). */
    double timeout_seconds;
} clnn_mpi_options;

CLNN_MPI_API void clnn_mpi_options_init(clnn_mpi_options *opt);

/* In place on every rank: tensors[i] = op over the ranks of tensors[i].
 * count fp32 tensors of ctx (no two sharing memory); count and every
 * tensor's element count must be the same on every rank (shapes may
 * differ). opt NULL means the defaults. count 0 is a valid, collective
 * no-op. */
CLNN_MPI_API clnn_status clnn_mpi_allreduce(clnn_context *ctx, MPI_Comm comm, clnn_mpi_op op,
                                            const clnn_mpi_options *opt, size_t count, clnn_tensor *const *tensors);

/* In place: every rank's tensors[i] = root's tensors[i], bit for bit (the
 * initial parameters and optimizer state). Arguments as for
 * clnn_mpi_allreduce; root is a rank of comm, the same on every rank. */
CLNN_MPI_API clnn_status clnn_mpi_broadcast(clnn_context *ctx, MPI_Comm comm, int root,
                                            const clnn_mpi_options *opt, size_t count, clnn_tensor *const *tensors);

/* This rank's position among the ranks of comm on its machine, and how
 * many there are (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED, which
 * needs no launcher's variables). Collective over comm. */
CLNN_MPI_API clnn_status clnn_mpi_local_rank(MPI_Comm comm, int *local_rank, int *local_size);

/* A context on this rank's device: slot local_rank of the devices the
 * selector matches (clnn_device_select_nth; NULL or "" means CLNN_DEVICE,
 * else the default), so that the ranks of a machine take its GPUs in rank
 * order, one each, and share them in turn when there are more ranks than
 * GPUs. Collective over comm: when a rank cannot make its context, every
 * rank fails (naming that rank) and *out is left as it was everywhere. */
CLNN_MPI_API clnn_status clnn_mpi_context_create(MPI_Comm comm, const char *selector, clnn_context **out);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_MPI_H */
