/* Which tunable kernels clnn ships, and how the tuner exercises each one
 * without a model: the families' tables (CLNN_TUNE_FAMILY, src/tune_family.h),
 * each next to its family's host code, collected by the build into
 * clnn__tune_families. Nothing here names a family or a kernel. */
#include "tune_family.h"
#include "tune_internal.h"

#include <string.h>

/* The row of t, or NULL when no family lists it. */
static const clnn__tune_row *row_of(const clnn__tunable *t)
{
    for (const clnn__tune_row *const *f = clnn__tune_families; *f; f++)
        for (const clnn__tune_row *r = *f; r->t; r++)
            if (r->t == t) return r;
    return NULL;
}

const clnn__tunable *clnn__tunable_at(size_t index)
{
    for (const clnn__tune_row *const *f = clnn__tune_families; *f; f++)
        for (const clnn__tune_row *r = *f; r->t; r++)
            if (index-- == 0) return r->t;
    return NULL;
}

const clnn__tunable *clnn__tunable_find(const char *id)
{
    for (const clnn__tune_row *const *f = clnn__tune_families; id && *f; f++)
        for (const clnn__tune_row *r = *f; r->t; r++)
            if (strcmp(r->t->id, id) == 0) return r->t;
    return NULL;
}

int clnn__tune_exercisable(const clnn__tunable *t)
{
    const clnn__tune_row *r = row_of(t);
    return r && r->exercise;
}

clnn_status clnn__tune_exercise(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    const clnn__tune_row *r = row_of(t);
    if (!r || !r->exercise)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "clnn_tune_kernel: kernel '%s' has no synthetic exercise; it is tuned on first use "
                          "(CLNN_TUNE=on)", t->id);
    return r->exercise(ctx, t, problem);
}
