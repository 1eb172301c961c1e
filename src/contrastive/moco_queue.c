/* MoCo's queue update (clnn_moco_queue_push, include/clnn/contrastive.h):
 * the keys into the ring buffer at its pointer, wrapping around, in one
 * launch of moco_queue_push (cl/contrastive.cl). */
#include "contrastive/contrastive_internal.h"

clnn_status clnn_moco_queue_push(clnn_context *ctx, const clnn_tensor *keys, size_t ptr, clnn_tensor *queue,
                                 size_t *next_ptr)
{
    CLNN_ENTRY(ctx);
    size_t n, d, k, qd;
    TRY(clnn__check_rows(ctx, fn, "keys", keys, &n, &d));
    TRY(clnn__check_tensor(ctx, fn, "queue", queue));
    TRY(clnn__check_rows(ctx, fn, "queue", queue, &k, &qd));
    CHECK_ARG(ctx, next_ptr != NULL, "%s: next_ptr is NULL", fn);
    CHECK_SHAPE(ctx, qd == d, "%s: queue rows have %zu features, keys %zu", fn, qd, d);
    CHECK_SHAPE(ctx, n <= k, "%s: %zu keys do not fit a queue of %zu rows (a push would overwrite its own rows)", fn,
                n, k);
    CHECK_ARG(ctx, ptr < k, "%s: ptr %zu is not a row of the queue (%zu rows)", fn, ptr, k);
    CHECK_ARG(ctx, !clnn__alias(keys, queue), "%s: keys and queue share memory", fn);
    /* element i of keys goes to element ptr·d + i of queue, wrapped at k·d */
    CHECK_SHAPE(ctx, queue->count + keys->count <= 0xFFFFFFFFu,
                "%s: the queue and the keys hold %zu elements together, more than 2^32 - 1", fn,
                queue->count + keys->count);
    cl_uint count = (cl_uint)keys->count, start = (cl_uint)(ptr * d), total = (cl_uint)queue->count;
    clnn__karg a[] = {KARG_BUF(queue->buffer), KARG_BUF(keys->buffer), KARG(count), KARG(start), KARG(total)};
    size_t problem[2] = {keys->count, 1};
    TRY(clnn__run(ctx, fn, &clnn__ctr_queue_push, problem, 5, a));
    *next_ptr = ptr + n >= k ? ptr + n - k : ptr + n;
    return CLNN_OK;
}
