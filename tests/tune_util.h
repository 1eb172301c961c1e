/* Helpers shared by the tuner's tests on the device (test_tune,
 * test_tune_modes). */
#ifndef CLNN_TEST_TUNE_UTIL_H
#define CLNN_TEST_TUNE_UTIL_H

#include "check.h"

/* The heuristic (mode off) local size of a 1-D kernel for a problem. */
static inline size_t heuristic_local(clnn_context *ctx, const char *kernel, const size_t problem[2])
{
    clnn_tune_config def = {{0, 0, 0}, {0}};
    clnn_tune_mode mode;
    CHECK_OK(ctx, clnn_tune_get_mode(ctx, &mode));
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, CLNN_TUNE_OFF));
    CHECK_OK(ctx, clnn_tune_resolve(ctx, kernel, problem, &def, NULL));
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, mode));
    return def.local[0];
}

#endif
