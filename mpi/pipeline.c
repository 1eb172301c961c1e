/* The bucket pipeline: the tensors, concatenated in list order, are cut
 * into buckets of c->bucket elements (a tensor may span buckets; small
 * ones share one), and each bucket goes device -> host -> step (MPI) ->
 * device. Two host buckets alternate: while the step of bucket i runs on
 * this thread, the context's in-order queue writes bucket i-1 back and
 * then reads bucket i+1 into the same host memory, in that order (a rank
 * that only writes, a broadcast's receiver, waits for the write instead). */
#include "mpi_internal.h"

#include <stdlib.h>
#include <string.h>

/* A position in the concatenation: tensor index, element offset in it. */
typedef struct cursor {
    size_t t, off;
} cursor;

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

clnn_status clnn_mpi__stage(clnn_mpi_call *c)
{
    size_t per = min_size(c->bucket, c->total), buckets = c->total ? (c->total - 1) / c->bucket + 1 : 0;
    for (size_t i = 0; i < 2 && i < buckets; i++) {
        c->stage[i] = malloc(per * sizeof(float));
        if (!c->stage[i]) {
            clnn_mpi__unstage(c);
            return clnn_mpi__fail(c, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory for a bucket of %zu bytes",
                                  c->fn, per * sizeof(float));
        }
    }
    return CLNN_OK;
}

void clnn_mpi__unstage(clnn_mpi_call *c)
{
    if (c->abandoned) return;
    for (int i = 0; i < 2; i++) {
        free(c->stage[i]);
        c->stage[i] = NULL;
    }
}

/* Queues the copy of n elements between host and the tensors from *at on
 * (a read, or a write back), advancing *at, and flushes the queue so that it
 * starts; *last (when not NULL) gets the event of the final piece, which
 * on the in-order queue completes after every earlier one. */
static cl_int transfer(const clnn_mpi_call *c, cursor *at, float *host, size_t n, int write, cl_event *last)
{
    cl_int err = CL_SUCCESS;
    while (n > 0 && err == CL_SUCCESS) {
        const clnn_tensor *t = c->tensors[at->t];
        size_t len = min_size(clnn_tensor_count(t) - at->off, n);
        size_t offset = at->off * sizeof(float), bytes = len * sizeof(float);
        cl_event *ev = len == n ? last : NULL;
        err = write ? clEnqueueWriteBuffer(c->queue, clnn_tensor_buffer(t), CL_FALSE, offset, bytes, host, 0, NULL, ev)
                    : clEnqueueReadBuffer(c->queue, clnn_tensor_buffer(t), CL_FALSE, offset, bytes, host, 0, NULL, ev);
        host += len;
        n -= len;
        at->off += len;
        if (at->off == clnn_tensor_count(t)) at->t++, at->off = 0;
    }
    return err == CL_SUCCESS ? clFlush(c->queue) : err;
}

static cl_int wait_for(cl_event *ev)
{
    cl_int err = clWaitForEvents(1, ev);
    clReleaseEvent(*ev);
    *ev = NULL;
    return err;
}

clnn_status clnn_mpi__pipeline(clnn_mpi_call *c, int download, int upload, clnn_mpi_bucket_step step, void *user)
{
    if (c->total == 0) return CLNN_OK; /* every rank agreed on no data: nothing moves */
    cursor rd = {0, 0}, wr = {0, 0};
    /* ready: the read of the next bucket; written[k]: the write back from
     * host bucket k, which must be done before the step fills it again (on a
     * rank that also reads, the read queued after it has finished already) */
    cl_event ready = NULL, written[2] = {NULL, NULL};
    cl_int err = download ? transfer(c, &rd, c->stage[0], min_size(c->bucket, c->total), 0, &ready) : CL_SUCCESS;
    clnn_status st = CLNN_OK;
    for (size_t b = 0, done = 0; done < c->total && st == CLNN_OK; b++) {
        size_t n = min_size(c->bucket, c->total - done), next = min_size(c->bucket, c->total - done - n);
        float *host = c->stage[b % 2];
        if (written[b % 2] && err == CL_SUCCESS) err = wait_for(&written[b % 2]);
        if (download && err == CL_SUCCESS) err = wait_for(&ready);
        if (download && err == CL_SUCCESS && next > 0) err = transfer(c, &rd, c->stage[(b + 1) % 2], next, 0, &ready);
        /* a rank whose device failed still takes part, with zeros */
        if (err != CL_SUCCESS) memset(host, 0, n * sizeof(float));
        st = step(c, host, n, user);
        if (st == CLNN_OK && upload && err == CL_SUCCESS) err = transfer(c, &wr, host, n, 1, &written[b % 2]);
        done += n;
    }
    /* the last writes by their events: Mesa 22.3's rusticl returns from
     * clFinish before a queued write has read its host memory
     * (docs/portability.md), and the host buckets are freed next */
    for (int k = 0; k < 2; k++) {
        cl_int waited = written[k] ? wait_for(&written[k]) : CL_SUCCESS;
        if (err == CL_SUCCESS) err = waited;
    }
    if (ready) clReleaseEvent(ready);
    cl_int finished = clFinish(c->queue);
    if (err == CL_SUCCESS) err = finished;
    if (st != CLNN_OK) return st; /* MPI failed or timed out: no agreement is possible any more */
    clnn_status local = CLNN_OK;
    if (err != CL_SUCCESS)
        local = clnn_mpi__fail(c, CLNN_ERR_OPENCL, "%s: a copy between the device and host memory failed on rank %d "
                               "with OpenCL error %d", c->fn, c->rank, (int)err);
    return clnn_mpi__agree_outcome(c, local);
}
