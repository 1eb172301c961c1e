/* libclnn_mpi's internal declarations. The library is built on clnn's
 * public API only (include/clnn/clnn.h) plus the OpenCL objects it hands
 * out, so it links against libclnn.so like any application.
 * Path of a call: entry (allreduce.c, broadcast.c, device.c) -> local checks
 * (validate.c, options.c) -> the collective agreement (agree.c) -> the
 * bucket pipeline (pipeline.c) with a per-bucket step (allreduce.c,
 * reduce_deterministic.c, broadcast.c) -> MPI through collectives.c. */
#ifndef CLNN_MPI_INTERNAL_H
#define CLNN_MPI_INTERNAL_H

#include "clnn/mpi.h"

#include <stddef.h>
#include <stdint.h>

#define CLNN_MPI_DEFAULT_BUCKET_BYTES ((size_t)4 << 20)
#define CLNN_MPI_MAX_BUCKET_BYTES ((size_t)1 << 30)
#define CLNN_MPI_MESSAGE_LEN 512

/* One collective call: what every helper of it needs. */
typedef struct clnn_mpi_call {
    const char *fn;       /* the public function, first word of every message */
    clnn_context *ctx;    /* may be NULL until validated */
    MPI_Comm comm;
    int rank, size;
    clnn_mpi_options opt; /* the caller's, over the defaults */
    size_t count;         /* tensors */
    clnn_tensor *const *tensors;
    size_t total;         /* elements over every tensor */
    size_t bucket;        /* elements per bucket */
    cl_command_queue queue;
    float *stage[2];      /* the host buckets (pipeline.c) */
    /* set when a wait timed out: MPI still owns the operation's buffers,
     * which must then be left allocated */
    int abandoned;
} clnn_mpi_call;

#define CLNN_MPI_TRY(expr)                                                     \
    do {                                                                       \
        clnn_status try_status_ = (expr);                                      \
        if (try_status_ != CLNN_OK) return try_status_;                        \
    } while (0)

/* ---- options.c */
/* Copies the caller's options over the defaults (NULL: the defaults) and
 * checks them; on failure records the message and returns its status. */
clnn_status clnn_mpi__options(clnn_mpi_call *c, const clnn_mpi_options *opt);

/* ---- validate.c */
/* MPI is initialized (not finalized) and comm is an intra-communicator:
 * fills c->rank and c->size. Without these no agreement is possible, so a
 * failure here is the only one a rank reports alone. */
clnn_status clnn_mpi__check_comm(clnn_mpi_call *c, MPI_Comm comm);
/* ctx, the tensor list (non-NULL fp32 tensors of ctx, none sharing memory)
 * and the element total into c; records the message on failure. */
clnn_status clnn_mpi__check_tensors(clnn_mpi_call *c, clnn_context *ctx, size_t count,
                                    clnn_tensor *const *tensors);
/* Records a failure of call c as clnn's own calls do (context and thread). */
clnn_status clnn_mpi__fail(const clnn_mpi_call *c, clnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- agree.c */
/* Every rank's local verdict on a call, and its terms -- kind (the op of
 * an allreduce, the root of a broadcast), options and tensor sizes -- are
 * compared before any data moves, the same way on every rank: a failing
 * rank's status (the most negative one; its message quoted by the others), else
 * CLNN_ERR_SHAPE when the tensors differ, CLNN_ERR_INVALID_ARGUMENT when
 * the kind or the options differ, else CLNN_OK. local: this rank's checks
 * (their message recorded); what names the kind in messages. */
clnn_status clnn_mpi__agree(clnn_mpi_call *c, clnn_status local, long kind, const char *what);
/* After the data moved: every rank learns the worst local status (a device
 * transfer that failed on some rank); CLNN_OK when there was none. */
clnn_status clnn_mpi__agree_outcome(clnn_mpi_call *c, clnn_status local);

/* ---- pipeline.c */
/* Allocates the host buckets of c (two when there is more than one bucket),
 * as a local check: before the agreement, so that running out of memory on
 * one rank fails the call everywhere. */
clnn_status clnn_mpi__stage(clnn_mpi_call *c);
/* Frees them, unless c->abandoned (MPI may still write into one). */
void clnn_mpi__unstage(clnn_mpi_call *c);
/* The step applied to each bucket of n elements in host memory. */
typedef clnn_status (*clnn_mpi_bucket_step)(clnn_mpi_call *c, float *buf, size_t n, void *user);
/* Runs step over every bucket of c's tensors: with download, each bucket is
 * read from the device first (the next one's read queued before the step
 * runs); with upload, written back after it (queued, overlapping the next
 * bucket). Returns when every transfer finished; a device failure on this
 * rank still runs every step (zeros in, nothing written back) so that the
 * other ranks are not left waiting, and is agreed on at the end. */
clnn_status clnn_mpi__pipeline(clnn_mpi_call *c, int download, int upload, clnn_mpi_bucket_step step, void *user);

/* ---- collectives.c: MPI calls with c's bounded wait and messages */
/* Records that MPI's `call` returned rc (CLNN_ERR_COMM with MPI's words). */
clnn_status clnn_mpi__mpi_failed(const clnn_mpi_call *c, const char *call, int rc);
#define CLNN_MPI_MAX_TERMS 16
clnn_status clnn_mpi__allreduce_sum(clnn_mpi_call *c, float *buf, int n);
/* min[i] over the ranks of values[i] (n <= CLNN_MPI_MAX_TERMS), and the
 * lowest rank that holds it. */
clnn_status clnn_mpi__minloc(clnn_mpi_call *c, const long *values, int n, long *min, int *min_rank);
/* text (CLNN_MPI_MESSAGE_LEN bytes) from root to every rank. */
clnn_status clnn_mpi__bcast_text(clnn_mpi_call *c, char text[CLNN_MPI_MESSAGE_LEN], int root);
clnn_status clnn_mpi__alltoallv(clnn_mpi_call *c, const float *send, const int *send_counts, const int *send_displs,
                                float *recv, const int *recv_counts, const int *recv_displs);
clnn_status clnn_mpi__allgatherv(clnn_mpi_call *c, float *buf, const int *counts, const int *displs);
clnn_status clnn_mpi__bcast(clnn_mpi_call *c, float *buf, int n, int root);

/* ---- reduce_deterministic.c */
typedef struct clnn_mpi_det clnn_mpi_det;
/* Scratch for buckets of up to c->bucket elements, for a sum (mean 0) or a
 * mean (1); NULL when out of memory. */
clnn_mpi_det *clnn_mpi__det_create(const clnn_mpi_call *c, int mean);
/* Frees the scratch, unless c->abandoned (MPI may still write into it). */
void clnn_mpi__det_release(const clnn_mpi_call *c, clnn_mpi_det *d);
/* The bucket step of the deterministic mode (user: the clnn_mpi_det). */
clnn_status clnn_mpi__det_step(clnn_mpi_call *c, float *buf, size_t n, void *user);

#endif
