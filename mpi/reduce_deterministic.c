/* The deterministic reduction of a bucket: a reduce-scatter and an
 * all-gather built from MPI operations that only move data.
 *   1. The bucket is cut into one segment per rank (sizes differing by at
 *      most one, lower ranks larger). MPI_Alltoallv sends segment r of
 *      every rank to rank r, which then holds every rank's copy of it.
 *   2. Rank r adds each element's copies in rank order 0, 1, ..., in
 *      double, and rounds once to float (after dividing by the rank count
 *      for a mean).
 *   3. MPI_Allgatherv copies every rank's finished segment to every rank.
 * Each element is thus computed once, by one rank, in an order fixed by
 * the rank count alone: the same bits on every rank and every run with as
 * many ranks, whatever the bucket size (segments only decide who adds),
 * the network or the MPI library, which adds nothing itself. */
#include "mpi_internal.h"

#include <stdlib.h>

struct clnn_mpi_det {
    int mean;
    float *recv;          /* every rank's copy of this rank's segment, rank after rank */
    int *counts, *displs; /* each rank's segment of the bucket */
    int *recv_counts, *recv_displs;
};

clnn_mpi_det *clnn_mpi__det_create(const clnn_mpi_call *c, int mean)
{
    size_t ranks = (size_t)c->size, per = c->bucket < c->total ? c->bucket : c->total;
    size_t segment = (per + ranks - 1) / ranks;
    clnn_mpi_det *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->mean = mean;
    d->recv = malloc((segment ? segment : 1) * ranks * sizeof(float));
    d->counts = malloc(4 * ranks * sizeof(int));
    if (!d->recv || !d->counts) {
        free(d->recv);
        free(d->counts);
        free(d);
        return NULL;
    }
    d->displs = d->counts + ranks;
    d->recv_counts = d->displs + ranks;
    d->recv_displs = d->recv_counts + ranks;
    return d;
}

void clnn_mpi__det_release(const clnn_mpi_call *c, clnn_mpi_det *d)
{
    if (!d || c->abandoned) return;
    free(d->recv);
    free(d->counts);
    free(d);
}

/* Segments of a bucket of n elements over the ranks; this rank receives its
 * own segment's length from every rank. */
static void cut(clnn_mpi_det *d, int ranks, int me, size_t n)
{
    size_t base = n / (size_t)ranks, extra = n % (size_t)ranks, offset = 0;
    for (int r = 0; r < ranks; r++) {
        d->counts[r] = (int)(base + ((size_t)r < extra));
        d->displs[r] = (int)offset;
        offset += (size_t)d->counts[r];
    }
    for (int r = 0; r < ranks; r++) {
        d->recv_counts[r] = d->counts[me];
        d->recv_displs[r] = r * d->counts[me];
    }
}

clnn_status clnn_mpi__det_step(clnn_mpi_call *c, float *buf, size_t n, void *user)
{
    clnn_mpi_det *d = user;
    int ranks = c->size, me = c->rank;
    cut(d, ranks, me, n);
    CLNN_MPI_TRY(clnn_mpi__alltoallv(c, buf, d->counts, d->displs, d->recv, d->recv_counts, d->recv_displs));
    size_t len = (size_t)d->counts[me];
    float *mine = buf + d->displs[me];
    for (size_t e = 0; e < len; e++) {
        double sum = 0.0;
        for (int r = 0; r < ranks; r++) sum += (double)d->recv[(size_t)r * len + e];
        mine[e] = (float)(d->mean ? sum / ranks : sum);
    }
    return clnn_mpi__allgatherv(c, buf, d->counts, d->displs);
}
