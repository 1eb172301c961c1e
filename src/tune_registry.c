/* Which tunable kernels clnn ships, and how the tuner exercises each family
 * without a model: it calls the family's public op on random inputs of the
 * requested size, and the tuner replays the launch that op makes (tune.c).
 *
 * Adding a family is one line in `families` below: its NULL-terminated
 * tunables list (declared in internal.h) and an exercise function, or NULL
 * when its kernels can only be tuned on first use (mode on). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef clnn_status (*exercise_fn)(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2]);

static clnn_status exercise_tensor(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2]);

static const struct family {
    const clnn__tunable *const *tunables;
    exercise_fn exercise;
} families[] = {
    {clnn__tensor_tunables, exercise_tensor},
};
#define N_FAMILIES (sizeof families / sizeof families[0])

const clnn__tunable *clnn__tunable_at(size_t index)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const clnn__tunable *const *t = families[f].tunables; *t; t++)
            if (index-- == 0) return *t;
    return NULL;
}

const clnn__tunable *clnn__tunable_find(const char *id)
{
    const clnn__tunable *t;
    for (size_t i = 0; id && (t = clnn__tunable_at(i)); i++)
        if (strcmp(t->id, id) == 0) return t;
    return NULL;
}

static exercise_fn exercise_of(const clnn__tunable *t)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const clnn__tunable *const *p = families[f].tunables; *p; p++)
            if (*p == t) return families[f].exercise;
    return NULL;
}

int clnn__tune_exercisable(const clnn__tunable *t) { return exercise_of(t) != NULL; }

clnn_status clnn__tune_exercise(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    exercise_fn fn = exercise_of(t);
    if (!fn)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "clnn_tune_kernel: kernel '%s' has no synthetic exercise; it is tuned on first use "
                          "(CLNN_TUNE=on)", t->id);
    return fn(ctx, t, problem);
}

/* ------------------------------------------------------- tensor family */

/* A tensor of n elements holding reproducible values in [-1, 1). */
static clnn_status random_tensor(clnn_context *ctx, clnn_dtype dtype, size_t n, unsigned seed, clnn_tensor **out)
{
    TRY(clnn_tensor_create(ctx, dtype, 1, &n, out));
    uint32_t *host = malloc(n * sizeof *host);
    if (!host) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "clnn_tune_kernel: out of host memory");
    for (size_t i = 0; i < n; i++) {
        float v = clnn_philox_uniform(seed, 0, i) * 2.0f - 1.0f;
        if (dtype == CLNN_INT32) host[i] = (uint32_t)(int32_t)(v * 1000.0f);
        else memcpy(&host[i], &v, sizeof v);
    }
    clnn_status st = clnn_tensor_upload(*out, host, n * sizeof *host);
    free(host);
    return st;
}

/* problem = {elements, 1}: every tensor kernel is one work-item per element. */
static clnn_status exercise_tensor(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    size_t n = problem[0] * (problem[1] ? problem[1] : 1);
    const char *k = t->id + strlen("tensor.");
    clnn_tensor *x = NULL, *y = NULL;
    clnn_status st = random_tensor(ctx, strcmp(k, "fill_i32") == 0 ? CLNN_INT32 : CLNN_FLOAT32, n, 1, &x);
    if (st == CLNN_OK) st = random_tensor(ctx, CLNN_FLOAT32, n, 2, &y);
    if (st == CLNN_OK) {
        if (strcmp(k, "fill_f32") == 0 || strcmp(k, "fill_i32") == 0) st = clnn_tensor_fill(x, 3.0f);
        else if (strcmp(k, "copy") == 0) st = clnn_tensor_copy(y, x);
        else if (strcmp(k, "scale") == 0) st = clnn_scale(x, 0.75f);
        else if (strcmp(k, "axpy") == 0) st = clnn_axpy(0.5f, x, y);
        else if (strcmp(k, "random_uniform") == 0) st = clnn_tensor_random_uniform(x, 42, 3, -1.0f, 1.0f);
        else if (strcmp(k, "random_normal") == 0) st = clnn_tensor_random_normal(x, 42, 3, 0.0f, 1.0f);
        else st = clnn__fail(ctx, CLNN_ERR_INTERNAL, "clnn_tune_kernel: no exercise for '%s'", t->id);
    }
    if (st == CLNN_OK) st = clnn_finish(ctx);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    return st;
}
