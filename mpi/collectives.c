/* Every MPI operation of libclnn_mpi. Without a timeout, the blocking calls
 * (MPI's tuned algorithms). With opt.timeout_seconds, the nonblocking form
 * and a wait bounded by it: MPI_Test polls, with short sleeps once the
 * wait is long, so that a waiting rank leaves the cores to the others. */
#define _POSIX_C_SOURCE 200809L
#include "mpi_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define BUSY_POLLS 1000
#define POLL_SLEEP_NS 100000L

static int bounded(const clnn_mpi_call *c) { return c->opt.timeout_seconds > 0; }

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

clnn_status clnn_mpi__mpi_failed(const clnn_mpi_call *c, const char *call, int rc)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", rc);
    return clnn_mpi__fail(c, CLNN_ERR_COMM, "%s: %s failed on rank %d of %d: %s", c->fn, call, c->rank, c->size,
                          text);
}

/* rc: what starting the operation returned; req: the request to wait for
 * when the call is bounded (a blocking call is complete already). */
static clnn_status finish(clnn_mpi_call *c, const char *call, int rc, MPI_Request *req)
{
    if (rc != MPI_SUCCESS) return clnn_mpi__mpi_failed(c, call, rc);
    if (!bounded(c)) return CLNN_OK;
    double start = seconds_now();
    for (long polls = 0;; polls++) {
        int done = 0;
        rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return clnn_mpi__mpi_failed(c, call, rc);
        if (done) return CLNN_OK;
        double waited = seconds_now() - start;
        if (waited > c->opt.timeout_seconds) {
            /* a started collective cannot be cancelled: its buffers stay MPI's */
            c->abandoned = 1;
            return clnn_mpi__fail(c, CLNN_ERR_COMM,
                                  "%s: rank %d of %d waited %.1f s in %s for the other ranks (opt->timeout_seconds "
                                  "%g): a rank stopped or failed outside this call; end the job with MPI_Abort",
                                  c->fn, c->rank, c->size, waited, call, c->opt.timeout_seconds);
        }
        if (polls >= BUSY_POLLS) nanosleep(&(struct timespec){0, POLL_SLEEP_NS}, NULL);
    }
}

clnn_status clnn_mpi__allreduce_sum(clnn_mpi_call *c, float *buf, int n)
{
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = bounded(c) ? MPI_Iallreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, c->comm, &req)
                        : MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, c->comm);
    return finish(c, "MPI_Allreduce", rc, &req);
}

/* The small operations of the agreement work on buffers of their own, per
 * thread and never freed: after a timeout MPI may still write into them. */
static _Thread_local struct { long value; int rank; } minloc_in[CLNN_MPI_MAX_TERMS], minloc_out[CLNN_MPI_MAX_TERMS];
static _Thread_local char bcast_text[CLNN_MPI_MESSAGE_LEN];

clnn_status clnn_mpi__minloc(clnn_mpi_call *c, const long *values, int n, long *min, int *min_rank)
{
    for (int i = 0; i < n; i++) minloc_in[i].value = values[i], minloc_in[i].rank = c->rank;
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = bounded(c) ? MPI_Iallreduce(minloc_in, minloc_out, n, MPI_LONG_INT, MPI_MINLOC, c->comm, &req)
                        : MPI_Allreduce(minloc_in, minloc_out, n, MPI_LONG_INT, MPI_MINLOC, c->comm);
    clnn_status st = finish(c, "MPI_Allreduce", rc, &req);
    for (int i = 0; i < n && st == CLNN_OK; i++) min[i] = minloc_out[i].value, min_rank[i] = minloc_out[i].rank;
    return st;
}

clnn_status clnn_mpi__bcast_text(clnn_mpi_call *c, char text[CLNN_MPI_MESSAGE_LEN], int root)
{
    memcpy(bcast_text, text, sizeof bcast_text);
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = bounded(c) ? MPI_Ibcast(bcast_text, (int)sizeof bcast_text, MPI_CHAR, root, c->comm, &req)
                        : MPI_Bcast(bcast_text, (int)sizeof bcast_text, MPI_CHAR, root, c->comm);
    clnn_status st = finish(c, "MPI_Bcast", rc, &req);
    if (st == CLNN_OK) memcpy(text, bcast_text, sizeof bcast_text);
    text[CLNN_MPI_MESSAGE_LEN - 1] = '\0';
    return st;
}

clnn_status clnn_mpi__alltoallv(clnn_mpi_call *c, const float *send, const int *send_counts, const int *send_displs,
                                float *recv, const int *recv_counts, const int *recv_displs)
{
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = bounded(c) ? MPI_Ialltoallv(send, send_counts, send_displs, MPI_FLOAT, recv, recv_counts, recv_displs,
                                         MPI_FLOAT, c->comm, &req)
                        : MPI_Alltoallv(send, send_counts, send_displs, MPI_FLOAT, recv, recv_counts, recv_displs,
                                        MPI_FLOAT, c->comm);
    return finish(c, "MPI_Alltoallv", rc, &req);
}

clnn_status clnn_mpi__allgatherv(clnn_mpi_call *c, float *buf, const int *counts, const int *displs)
{
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = bounded(c) ? MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT, c->comm,
                                          &req)
                        : MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT, c->comm);
    return finish(c, "MPI_Allgatherv", rc, &req);
}

clnn_status clnn_mpi__bcast(clnn_mpi_call *c, float *buf, int n, int root)
{
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = bounded(c) ? MPI_Ibcast(buf, n, MPI_FLOAT, root, c->comm, &req)
                        : MPI_Bcast(buf, n, MPI_FLOAT, root, c->comm);
    return finish(c, "MPI_Bcast", rc, &req);
}
