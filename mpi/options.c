/* clnn_mpi_options: the defaults and the checks of a caller's copy. */
#include "mpi_internal.h"

#include <math.h>
#include <string.h>

void clnn_mpi_options_init(clnn_mpi_options *opt)
{
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->bucket_bytes = CLNN_MPI_DEFAULT_BUCKET_BYTES;
    opt->deterministic = 1;
    opt->timeout_seconds = 0.0;
}

clnn_status clnn_mpi__options(clnn_mpi_call *c, const clnn_mpi_options *opt)
{
    clnn_mpi_options_init(&c->opt);
    c->bucket = c->opt.bucket_bytes / sizeof(float);
    if (!opt) return CLNN_OK;
    /* a smaller size is an older header: its prefix over the defaults (the
     * convention of clnn's own option structs) */
    if (opt->size < sizeof opt->size || opt->size > sizeof *opt)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT,
                              "%s: opt->size is %zu, expected %zu (set it with clnn_mpi_options_init; 0 means it "
                              "was never initialised, a larger size comes from a newer header than this library)",
                              c->fn, opt->size, sizeof *opt);
    clnn_mpi_options o = c->opt;
    memcpy(&o, opt, opt->size);
    o.size = sizeof o;
    if (o.bucket_bytes < sizeof(float) || o.bucket_bytes > CLNN_MPI_MAX_BUCKET_BYTES)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: opt->bucket_bytes is %zu, must be %zu .. %zu", c->fn,
                              o.bucket_bytes, sizeof(float), CLNN_MPI_MAX_BUCKET_BYTES);
    if (o.deterministic != 0 && o.deterministic != 1)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT, "%s: opt->deterministic is %d, must be 0 or 1", c->fn,
                              o.deterministic);
    if (!isfinite(o.timeout_seconds) || o.timeout_seconds < 0)
        return clnn_mpi__fail(c, CLNN_ERR_INVALID_ARGUMENT,
                              "%s: opt->timeout_seconds is %g, must be 0 (no limit) or a finite positive time",
                              c->fn, o.timeout_seconds);
    c->opt = o;
    c->bucket = o.bucket_bytes / sizeof(float);
    return CLNN_OK;
}
