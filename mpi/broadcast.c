/* clnn_mpi_broadcast: the root's tensors to every rank (initial parameters
 * and optimizer state), bit for bit. */
#include "mpi_internal.h"

static clnn_status bcast_step(clnn_mpi_call *c, float *buf, size_t n, void *user)
{
    return clnn_mpi__bcast(c, buf, (int)n, *(const int *)user);
}

clnn_status clnn_mpi_broadcast(clnn_context *ctx, MPI_Comm comm, int root, const clnn_mpi_options *opt, size_t count,
                               clnn_tensor *const *tensors)
{
    clnn_mpi_call c = {.fn = __func__, .ctx = ctx};
    CLNN_MPI_TRY(clnn_mpi__check_comm(&c, comm));
    clnn_status local = clnn_mpi__options(&c, opt);
    if (local == CLNN_OK && (root < 0 || root >= c.size))
        local = clnn_mpi__fail(&c, CLNN_ERR_INVALID_ARGUMENT, "%s: root is %d, must be a rank of comm (0 .. %d)", c.fn,
                               root, c.size - 1);
    if (local == CLNN_OK) local = clnn_mpi__check_tensors(&c, ctx, count, tensors);
    if (local == CLNN_OK) local = clnn_mpi__stage(&c);
    clnn_status st = clnn_mpi__agree(&c, local, root, "roots");
    /* the root only reads, the others only write */
    if (st == CLNN_OK) st = clnn_mpi__pipeline(&c, c.rank == root, c.rank != root, bcast_step, &root);
    clnn_mpi__unstage(&c);
    return st;
}
