/* The local checks of a call: MPI and the communicator, the context and the
 * tensor list. Their verdict is then agreed on by every rank (agree.c). */
#include "mpi_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

clnn_status clnn_mpi__fail(const clnn_mpi_call *c, clnn_status status, const char *fmt, ...)
{
    char msg[CLNN_MPI_MESSAGE_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clnn_set_last_error(c->ctx, status, "%s", msg);
}

clnn_status clnn_mpi__check_comm(clnn_mpi_call *c, MPI_Comm comm)
{
    int up = 0, down = 0, inter = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (!up || down)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: MPI is %s (call it between MPI_Init and MPI_Finalize)",
                              c->fn, down ? "finalized" : "not initialized");
    if (comm == MPI_COMM_NULL) return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: comm is MPI_COMM_NULL", c->fn);
    if (MPI_Comm_test_inter(comm, &inter) != MPI_SUCCESS || inter)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: comm is %s", c->fn,
                              inter ? "an inter-communicator (pass an intra-communicator)" : "not a communicator");
    c->comm = comm;
    MPI_Comm_rank(comm, &c->rank);
    MPI_Comm_size(comm, &c->size);
    return CLNN_OK;
}

/* Where a tensor's bytes lie: its buffer, or a sub-buffer's parent and offset. */
typedef struct span {
    cl_mem root;
    size_t begin, end;
} span;

static span span_of(const clnn_tensor *t)
{
    cl_mem buf = clnn_tensor_buffer(t), parent = NULL;
    size_t offset = 0;
    span s = {buf, 0, clnn_tensor_count(t) * sizeof(float)};
    if (clGetMemObjectInfo(buf, CL_MEM_ASSOCIATED_MEMOBJECT, sizeof parent, &parent, NULL) == CL_SUCCESS && parent &&
        clGetMemObjectInfo(buf, CL_MEM_OFFSET, sizeof offset, &offset, NULL) == CL_SUCCESS)
        s = (span){parent, offset, offset + s.end};
    return s;
}

/* Two tensors of the list that share memory would be reduced twice. */
static clnn_status check_disjoint(clnn_mpi_call *c, size_t count, clnn_tensor *const *tensors)
{
    span *spans = malloc(count * sizeof *spans);
    if (!spans) return clnn_mpi__fail(c, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", c->fn);
    clnn_status st = CLNN_OK;
    for (size_t i = 0; i < count && st == CLNN_OK; i++) {
        spans[i] = span_of(tensors[i]);
        for (size_t j = 0; j < i && st == CLNN_OK; j++)
            if (spans[j].root == spans[i].root && spans[j].begin < spans[i].end && spans[i].begin < spans[j].end)
                st = clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: tensors[%zu] and tensors[%zu] share memory",
                                    c->fn, j, i);
    }
    free(spans);
    return st;
}

clnn_status clnn_mpi__check_tensors(clnn_mpi_call *c, clnn_context *ctx, size_t count, clnn_tensor *const *tensors)
{
    if (!ctx) return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", c->fn);
    c->ctx = ctx;
    if (count > 0 && !tensors)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: tensors is NULL with count %zu", c->fn, count);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        const clnn_tensor *t = tensors[i];
        if (!t) return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: tensors[%zu] is NULL", c->fn, i);
        if (clnn_tensor_context(t) != ctx)
            return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: tensors[%zu] belongs to another context", c->fn,
                                  i);
        if (clnn_tensor_dtype(t) != CLNN_FLOAT32)
            return clnn_mpi__fail(c, CLNN_ERR_SHAPE, "%s: tensors[%zu] must be float32", c->fn, i);
        if (clnn_tensor_count(t) > SIZE_MAX - total)
            return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: the tensors' sizes overflow", c->fn);
        total += clnn_tensor_count(t);
    }
    clnn_context_cl(ctx, NULL, &c->queue, NULL); /* cannot fail: ctx is not NULL */
    c->count = count;
    c->tensors = tensors;
    c->total = total;
    return count > 1 ? check_disjoint(c, count, tensors) : CLNN_OK;
}
