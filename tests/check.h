/* Minimal test harness: CHECK records a failure with file:line and goes on;
 * check_summary() prints "N passed, N failed" and returns the exit code. */
#ifndef CLNN_TEST_CHECK_H
#define CLNN_TEST_CHECK_H

#include <clnn/clnn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_passed, check_failed;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (cond) {                                                            \
            check_passed++;                                                    \
        } else {                                                               \
            check_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

/* Checks a clnn call succeeded; prints the library's message if not. */
#define CHECK_OK(ctx, call)                                                    \
    do {                                                                       \
        clnn_status check_st_ = (call);                                        \
        CHECK(check_st_ == CLNN_OK, "%s -> %s: %s", #call,                     \
              clnn_status_string(check_st_), clnn_last_error(ctx));            \
    } while (0)

/* Aborts the test program when a precondition for the remaining checks fails. */
#define REQUIRE(cond, ...)                                                     \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FATAL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

int check_summary(void);

/* A context on the device CLNN_DEVICE selects (the default device otherwise);
 * exits when none can be created, because nothing else can be tested. */
clnn_context *test_context(void);

/* Deterministic pseudo-random floats in [lo, hi) for test inputs. */
void test_fill_uniform(float *x, size_t n, unsigned seed, float lo, float hi);

/* Largest |a-b| / (atol + rtol*|b|) over n elements; <= 1 means within tolerance. */
double test_max_rel_error(const float *a, const double *b, size_t n, double atol, double rtol);

/* Uploads host data into a new fp32 tensor of the given shape. */
clnn_tensor *test_tensor_from(clnn_context *ctx, int ndim, const size_t *shape, const float *data);

/* Downloads a whole fp32 tensor into new host memory (caller frees); exits
 * when host memory runs out. */
float *test_download(clnn_context *ctx, const clnn_tensor *t);

#endif
