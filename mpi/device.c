/* One rank per device: the local rank and the context on its device. */
#include "mpi_internal.h"

#include <stdio.h>

/* Collective over c->comm: the ranks sharing this rank's machine. */
static clnn_status node_position(clnn_mpi_call *c, int *local_rank, int *local_size)
{
    MPI_Comm node;
    int rc = MPI_Comm_split_type(c->comm, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node);
    if (rc != MPI_SUCCESS) return clnn_mpi__mpi_failed(c, "MPI_Comm_split_type", rc);
    MPI_Comm_rank(node, local_rank);
    MPI_Comm_size(node, local_size);
    MPI_Comm_free(&node);
    return CLNN_OK;
}

clnn_status clnn_mpi_local_rank(MPI_Comm comm, int *local_rank, int *local_size)
{
    clnn_mpi_call c = {.fn = __func__};
    CLNN_MPI_TRY(clnn_mpi__check_comm(&c, comm));
    int lr = 0, ls = 0;
    /* the collective part first: a NULL output on one rank leaves no other waiting */
    CLNN_MPI_TRY(node_position(&c, &lr, &ls));
    if (!local_rank) return clnn_mpi__fail(&c, CLNN_ERR_INVALID_ARGUMENT, "%s: local_rank is NULL", c.fn);
    *local_rank = lr;
    if (local_size) *local_size = ls;
    return CLNN_OK;
}

/* This rank's device and context (NULL selector: CLNN_DEVICE, else the default). */
static clnn_status open_device(clnn_mpi_call *c, const char *selector, int local_rank, int local_size,
                               clnn_context **made)
{
    size_t index = 0, matches = 0;
    clnn_status st = clnn_device_select_nth(selector, (size_t)local_rank, &index, &matches);
    if (st != CLNN_OK)
        return clnn_mpi__fail(c, st, "%s: rank %d (local rank %d of %d) has no device: %s", c->fn, c->rank,
                              local_rank, local_size, clnn_last_error(NULL));
    char by_index[32];
    snprintf(by_index, sizeof by_index, "%zu", index);
    st = clnn_context_create(by_index, made);
    if (st != CLNN_OK)
        return clnn_mpi__fail(c, st, "%s: rank %d (local rank %d of %d) cannot open device %zu: %s", c->fn, c->rank,
                              local_rank, local_size, index, clnn_last_error(NULL));
    return CLNN_OK;
}

clnn_status clnn_mpi_context_create(MPI_Comm comm, const char *selector, clnn_context **out)
{
    clnn_mpi_call c = {.fn = __func__};
    CLNN_MPI_TRY(clnn_mpi__check_comm(&c, comm));
    int lr = 0, ls = 0;
    clnn_status local = node_position(&c, &lr, &ls);
    if (local != CLNN_OK) return local; /* MPI failed: no agreement possible */
    clnn_context *made = NULL;
    if (!out) local = clnn_mpi__fail(&c, CLNN_ERR_INVALID_ARGUMENT, "%s: out is NULL", c.fn);
    if (local == CLNN_OK) local = open_device(&c, selector, lr, ls, &made);
    clnn_status st = clnn_mpi__agree(&c, local, 0, "");
    if (st != CLNN_OK) {
        clnn_context_release(made);
        return st;
    }
    *out = made;
    return CLNN_OK;
}
