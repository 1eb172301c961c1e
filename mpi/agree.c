/* The collective agreement of a call: before any data moves, one
 * MPI_Allreduce (MINLOC over each term and its negation) gives every rank
 * the smallest and largest value of each term and the ranks holding them;
 * every rank decides from the same numbers, so a bad argument on one rank
 * fails the call everywhere and no rank waits for a bucket that will never
 * come. Constant memory whatever the number of ranks. */
#include "mpi_internal.h"

#include <stdio.h>
#include <string.h>

enum { T_STATUS, T_KIND, T_DET, T_BUCKET, T_COUNT, T_TOTAL, T_HASH_LO, T_HASH_HI, T_N };

/* FNV-1a over the element counts, in list order. */
static uint64_t sizes_hash(size_t count, clnn_tensor *const *tensors)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < count; i++) {
        uint64_t n = clnn_tensor_count(tensors[i]);
        for (int b = 0; b < 8; b++) h = (h ^ ((n >> (8 * b)) & 0xff)) * 1099511628211ull;
    }
    return h;
}

/* The smallest and largest value of each term over the ranks, and where. */
typedef struct spread {
    long lo[T_N], hi[T_N];
    int lo_rank[T_N], hi_rank[T_N];
} spread;

static clnn_status gather_spread(clnn_mpi_call *c, const long *terms, spread *s)
{
    long v[2 * T_N], m[2 * T_N];
    int at[2 * T_N];
    for (int i = 0; i < T_N; i++) v[i] = terms[i], v[T_N + i] = -terms[i];
    clnn_status st = clnn_mpi__minloc(c, v, 2 * T_N, m, at);
    for (int i = 0; i < T_N && st == CLNN_OK; i++)
        s->lo[i] = m[i], s->lo_rank[i] = at[i], s->hi[i] = -m[T_N + i], s->hi_rank[i] = at[T_N + i];
    return st;
}

/* A rank refused the call: it keeps its own message, the others quote it. */
static clnn_status refused(clnn_mpi_call *c, clnn_status local, int at, clnn_status status)
{
    char text[CLNN_MPI_MESSAGE_LEN] = "";
    if (at == c->rank) snprintf(text, sizeof text, "%s", clnn_last_error(c->ctx));
    clnn_status st = clnn_mpi__bcast_text(c, text, at);
    if (local != CLNN_OK) return local;
    if (st != CLNN_OK) return st;
    return clnn_mpi__fail(c, status, "%s: rank %d of %d refused the call, so every rank does: %s", c->fn, at, c->size,
                          text);
}

static int differs(const spread *s, int term) { return s->lo[term] != s->hi[term]; }

static clnn_status decide(clnn_mpi_call *c, const spread *s, const char *what)
{
    static const char rule[] = "every rank passes tensors of the same sizes in the same order";
    if (differs(s, T_COUNT) || differs(s, T_TOTAL)) {
        int t = differs(s, T_COUNT) ? T_COUNT : T_TOTAL;
        return clnn_mpi__fail(c, CLNN_ERR_SHAPE,
                              "%s: the ranks' tensors differ: rank %d passes %ld %s, rank %d %ld (%s)", c->fn,
                              s->lo_rank[t], s->lo[t], t == T_COUNT ? "tensors" : "floats in all", s->hi_rank[t],
                              s->hi[t], rule);
    }
    if (differs(s, T_HASH_LO) || differs(s, T_HASH_HI)) {
        int t = differs(s, T_HASH_LO) ? T_HASH_LO : T_HASH_HI;
        return clnn_mpi__fail(c, CLNN_ERR_SHAPE,
                              "%s: the ranks' tensors differ: every rank passes %ld tensors of %ld floats in all, but "
                              "rank %d and rank %d split them differently (%s)",
                              c->fn, s->lo[T_COUNT], s->lo[T_TOTAL], s->lo_rank[t], s->hi_rank[t], rule);
    }
    if (differs(s, T_KIND))
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: the ranks' %s differ: rank %d passes %ld, rank %d %ld",
                              c->fn, what, s->lo_rank[T_KIND], s->lo[T_KIND], s->hi_rank[T_KIND], s->hi[T_KIND]);
    if (differs(s, T_DET) || differs(s, T_BUCKET)) {
        int t = differs(s, T_DET) ? T_DET : T_BUCKET;
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT,
                              "%s: the ranks' options differ: rank %d has %s %ld, rank %d %ld (every rank passes the "
                              "same options)",
                              c->fn, s->lo_rank[t], t == T_DET ? "deterministic" : "buckets of floats", s->lo[t],
                              s->hi_rank[t], s->hi[t]);
    }
    return CLNN_OK;
}

clnn_status clnn_mpi__agree(clnn_mpi_call *c, clnn_status local, long kind, const char *what)
{
    long terms[T_N] = {0};
    terms[T_STATUS] = local;
    terms[T_KIND] = kind;
    terms[T_DET] = c->opt.deterministic;
    terms[T_BUCKET] = (long)c->bucket;
    if (local == CLNN_OK) {
        uint64_t h = sizes_hash(c->count, c->tensors);
        terms[T_COUNT] = (long)c->count;
        terms[T_TOTAL] = (long)c->total;
        terms[T_HASH_LO] = (long)(h & 0xffffffffu);
        terms[T_HASH_HI] = (long)(h >> 32);
    }
    spread s;
    clnn_status st = gather_spread(c, terms, &s);
    if (st != CLNN_OK) return st;
    if (s.lo[T_STATUS] != CLNN_OK) return refused(c, local, s.lo_rank[T_STATUS], (clnn_status)s.lo[T_STATUS]);
    return decide(c, &s, what);
}

clnn_status clnn_mpi__agree_outcome(clnn_mpi_call *c, clnn_status local)
{
    long mine = local, worst = CLNN_OK;
    int at = 0;
    clnn_status st = clnn_mpi__minloc(c, &mine, 1, &worst, &at);
    if (st != CLNN_OK) return st;
    if (worst == CLNN_OK || local != CLNN_OK) return local;
    return clnn_mpi__fail(c, (clnn_status)worst,
                          "%s: rank %d of %d failed while the data moved (%s), so every rank does; the tensors' "
                          "contents are undefined on every rank",
                          c->fn, at, c->size, clnn_status_string((clnn_status)worst));
}
