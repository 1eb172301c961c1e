/* Live and peak bytes of the device buffers clnn allocates on a context
 * (tensors and internal scratch), for clnn_context_memory_stats. A buffer
 * counts from its creation until OpenCL frees it: a destructor callback
 * (clSetMemObjectDestructorCallback) subtracts it, possibly from a runtime
 * thread and possibly after the context is gone, so the counters live in a
 * block of their own, reference-counted by the context and by every tracked
 * buffer. Buffers wrapped from the caller and CLBlast's own temporaries are
 * not counted. */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>

struct clnn__mem_stats {
    atomic_size_t live, peak;
    atomic_int refs; /* the context + each tracked buffer not yet freed */
};

typedef struct tracked {
    struct clnn__mem_stats *stats;
    size_t bytes;
} tracked;

static void stats_drop(struct clnn__mem_stats *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) free(s);
}

static void CL_CALLBACK on_free(cl_mem mem, void *user)
{
    (void)mem;
    tracked *t = user;
    atomic_fetch_sub(&t->stats->live, t->bytes);
    stats_drop(t->stats);
    free(t);
}

void clnn__mem_track(clnn_context *ctx, cl_mem buf, size_t bytes)
{
    if (!ctx->mem) { /* first buffer of the context */
        ctx->mem = calloc(1, sizeof *ctx->mem);
        if (!ctx->mem) return; /* statistics only: the allocation itself stands */
        atomic_init(&ctx->mem->refs, 1);
    }
    struct clnn__mem_stats *s = ctx->mem;
    tracked *t = malloc(sizeof *t);
    if (!t) return;
    t->stats = s;
    t->bytes = bytes;
    atomic_fetch_add(&s->refs, 1);
    size_t live = atomic_fetch_add(&s->live, bytes) + bytes;
    if (clSetMemObjectDestructorCallback(buf, on_free, t) != CL_SUCCESS) {
        atomic_fetch_sub(&s->live, bytes);
        atomic_fetch_sub(&s->refs, 1);
        free(t);
        return;
    }
    size_t peak = atomic_load(&s->peak);
    while (live > peak && !atomic_compare_exchange_weak(&s->peak, &peak, live)) {
    }
}

void clnn__mem_release(clnn_context *ctx)
{
    if (ctx->mem) stats_drop(ctx->mem);
    ctx->mem = NULL;
}

clnn_status clnn_context_memory_stats(const clnn_context *ctx, size_t *live, size_t *peak)
{
    CLNN_ENTRY(ctx);
    if (live) *live = ctx->mem ? atomic_load(&ctx->mem->live) : 0;
    if (peak) *peak = ctx->mem ? atomic_load(&ctx->mem->peak) : 0;
    return CLNN_OK;
}

clnn_status clnn_context_memory_reset_peak(clnn_context *ctx)
{
    CLNN_ENTRY(ctx);
    if (ctx->mem) atomic_store(&ctx->mem->peak, atomic_load(&ctx->mem->live));
    return CLNN_OK;
}
