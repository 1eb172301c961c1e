/* clnn_mpi_allreduce: the gradient average of data-parallel training. */
#include "mpi_internal.h"

/* The bucket step of the fast mode: MPI_Allreduce, whose order of
 * additions is MPI's own (user: 1 for a mean). */
static clnn_status fast_step(clnn_mpi_call *c, float *buf, size_t n, void *user)
{
    const int *mean = user;
    clnn_status st = clnn_mpi__allreduce_sum(c, buf, (int)n);
    if (st == CLNN_OK && *mean)
        for (size_t i = 0; i < n; i++) buf[i] /= (float)c->size;
    return st;
}

clnn_status clnn_mpi_allreduce(clnn_context *ctx, MPI_Comm comm, clnn_mpi_op op, const clnn_mpi_options *opt,
                               size_t count, clnn_tensor *const *tensors)
{
    clnn_mpi_call c = {.fn = __func__, .ctx = ctx};
    CLNN_MPI_TRY(clnn_mpi__check_comm(&c, comm));
    clnn_status local = clnn_mpi__options(&c, opt);
    if (local == CLNN_OK && op != CLNN_MPI_SUM && op != CLNN_MPI_MEAN)
        local = clnn_mpi__fail(&c, CLNN_ERR_INVALID_ARGUMENT, "%s: op is %d, must be CLNN_MPI_SUM or CLNN_MPI_MEAN",
                               c.fn, (int)op);
    if (local == CLNN_OK) local = clnn_mpi__check_tensors(&c, ctx, count, tensors);
    if (local == CLNN_OK) local = clnn_mpi__stage(&c);
    int mean = op == CLNN_MPI_MEAN;
    clnn_mpi_det *det = NULL;
    if (local == CLNN_OK && c.opt.deterministic && c.total > 0 && !(det = clnn_mpi__det_create(&c, mean)))
        local = clnn_mpi__fail(&c, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory for the reduction's scratch", c.fn);
    clnn_status st = clnn_mpi__agree(&c, local, (long)op, "ops (CLNN_MPI_SUM 0, CLNN_MPI_MEAN 1)");
    if (st == CLNN_OK && det) st = clnn_mpi__pipeline(&c, 1, 1, clnn_mpi__det_step, det);
    else if (st == CLNN_OK) st = clnn_mpi__pipeline(&c, 1, 1, fast_step, &mean);
    clnn_mpi__det_release(&c, det);
    clnn_mpi__unstage(&c);
    return st;
}
