/* Which tunable kernels clnn ships, and how the tuner exercises each one
 * without a model: the families' tables (<family>_tunables.def, src/tune_table.h),
 * each next to its family's host code, collected by the build into
 * clnn__tune_families. Nothing here names a family or a kernel. */
#include "tune_family.h"
#include "tune_internal.h"

#include <string.h>

/* The family whose table lists t, or NULL. */
static const clnn__tune_family *family_of(const clnn__tunable *t)
{
    for (const clnn__tune_family *const *f = clnn__tune_families; *f; f++)
        for (const clnn__tunable *const *k = (*f)->kernels; *k; k++)
            if (*k == t) return *f;
    return NULL;
}

const clnn__tunable *clnn__tunable_at(size_t index)
{
    for (const clnn__tune_family *const *f = clnn__tune_families; *f; f++)
        for (const clnn__tunable *const *k = (*f)->kernels; *k; k++)
            if (index-- == 0) return *k;
    return NULL;
}

const clnn__tunable *clnn__tunable_find(const char *id)
{
    for (const clnn__tune_family *const *f = clnn__tune_families; id && *f; f++)
        for (const clnn__tunable *const *k = (*f)->kernels; *k; k++)
            if (strcmp((*k)->id, id) == 0) return *k;
    return NULL;
}

int clnn__tune_exercisable(const clnn__tunable *t)
{
    const clnn__tune_family *f = family_of(t);
    return f && f->exercise;
}

clnn_status clnn__tune_exercise(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    const clnn__tune_family *f = family_of(t);
    if (!f || !f->exercise)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "clnn_tune_kernel: kernel '%s' has no synthetic exercise; it is tuned on first use "
                          "(CLNN_TUNE=on)", t->id);
    return f->exercise(ctx, t, problem);
}
