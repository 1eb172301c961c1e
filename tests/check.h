/* Minimal test harness: CHECK records a failure with file:line and goes on;
 * check_summary() prints "N passed, N failed" and returns the exit code. */
#ifndef CLNN_TEST_CHECK_H
#define CLNN_TEST_CHECK_H

#include <clnn/clnn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_passed, check_failed, check_skipped;

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

/* The call must fail with `expect` and leave a message in clnn_last_error(ctx)
 * that contains `fn` (the function's name): the bad-input tables use it. */
#define EXPECT_FAIL(ctx, expect, fn, call)                                                   \
    do {                                                                                    \
        clnn_status st_ = (call);                                                           \
        const char *msg_ = clnn_last_error(ctx);                                            \
        CHECK(st_ == (expect), "%s returned %s, expected %s", #call, clnn_status_string(st_), \
              clnn_status_string(expect));                                                  \
        CHECK(strstr(msg_, fn) != NULL, "%s: message '%s' does not name %s", #call, msg_, fn); \
    } while (0)


/* Checks every element of fp32 tensor t still equals value (the sentinel a
 * bad-input test filled it with): rejected calls must change nothing. */
void test_expect_filled(clnn_context *ctx, const char *name, const clnn_tensor *t, float value);

int check_summary(void);

/* Small-shapes mode (CLNN_TEST_SMALL=1, set only by the oclgrind_* tests,
 * where a simulated device runs ~10^4x slower): large cases are skipped.
 * test_large(what) returns 1 when the large case should run; otherwise it
 * prints "SKIP <what>" and counts the skip, which check_summary() reports --
 * a skipped case never counts as passed. Typical use:
 *     if (test_large("fill of 2^20 + 3 elements")) fill_case(ctx, (1u << 20) + 3);
 */
int test_small(void);
int test_large(const char *what);
/* Records a case that cannot run here (printed "SKIP <why>", counted, never passed). */
void test_skip(const char *why);

/* Announces that the next OpenCL call fails on purpose (e.g. a deliberately
 * broken kernel), so that tests/run_oclgrind.sh does not count Oclgrind's
 * API-error report for it as a finding: one call per expected error, e.g.
 * test_expect_api_error("clBuildProgram", "CL_BUILD_PROGRAM_FAILURE"). */
void test_expect_api_error(const char *function, const char *error);

/* A context on the device CLNN_DEVICE selects (the default device otherwise);
 * exits when none can be created, because nothing else can be tested. */
clnn_context *test_context(void);

/* Deterministic pseudo-random floats in [lo, hi) for test inputs. */
void test_fill_uniform(float *x, size_t n, unsigned seed, float lo, float hi);

/* Largest |a-b| / (atol + rtol*|b|) over n elements; <= 1 means within tolerance. */
double test_max_rel_error(const float *a, const double *b, size_t n, double atol, double rtol);

/* Uploads host data into a new fp32 tensor of the given shape. */
clnn_tensor *test_tensor_from(clnn_context *ctx, int ndim, const size_t *shape, const float *data);

/* A new tensor [a, b] ([a] when b is 0) of dtype with every element set to
 * value (bad-input tests fill their outputs with a sentinel); exits when it
 * cannot be made. */
clnn_tensor *test_filled(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b, float value);

/* Downloads a whole fp32 tensor into new host memory (caller frees); exits
 * when host memory runs out. */
float *test_download(clnn_context *ctx, const clnn_tensor *t);

/* The kernel header cl/<header> of the source tree (cl_dir: CLNN_CL_DIR)
 * followed by the test's own kernels, built with the raw OpenCL API on ctx's
 * device; *c, *q and *dev receive ctx's OpenCL objects. Stops the test when
 * the header cannot be read or the program does not build. */
cl_program test_cl_program(clnn_context *ctx, const char *cl_dir, const char *header, const char *kernels,
                           cl_context *c, cl_command_queue *q, cl_device_id *dev);

/* Tuning options for the tests: random search over 4 candidates, one
 * repeat, no warm-up, nothing stored. */
void test_tune_quick_options(clnn_tune_options *o);

/* The tuner's exercise of kernel `id` (a row of its family's _tunables.def table) on problem,
 * replayed under test_tune_quick_options: every candidate's buffers must
 * match the default's bit for bit, none may fail, and at least 2 must be
 * compared unless the search space has one point. */
void test_tuner_replays(clnn_context *ctx, const char *id, const size_t problem[2]);

/* Row packings of the row kernels that hold several rows per work-group
 * (MULTIROW of cl/rowreduce.clh): test_force_row_packing forces packing i
 * (0 <= i < TEST_ROW_PACKINGS) on kernel `id` -- several rows per group
 * under local sizes 1, 3, 32, 48, 64 and 256, one row per group under 3
 * and 64 -- and returns 1, with its name in what; a packing that does not
 * fit the device is skipped (SKIP, returns 0). clnn_tune_force(ctx, NULL,
 * NULL) undoes it. Same bits as the default under every packing is the
 * rule (the lanes and their tree depend on the row length only). */
#define TEST_ROW_PACKINGS 8
int test_force_row_packing(clnn_context *ctx, const char *id, size_t i, char *what, size_t len);
/* The shapes the row-packing checks run: rows of 1, 2, 10, 31 and 33
 * classes (1 to 64 lanes: up to 256 rows in a work-group) and 97 rows, a
 * count no packing divides (small mode: 1, 10 and 33 classes, 23 rows).
 * Returns how many class counts *classes holds. */
size_t test_row_packing_shapes(const size_t **classes, size_t *rows);

/* The largest 1-D local size, at most want, that kernel_id (built with
 * cfg's parameters; cfg NULL: their fallback values) accepts on ctx's device
 * (clnn_tune_limits_get: the kernel's CL_KERNEL_WORK_GROUP_SIZE and the
 * device's first side). The forced-local-size tests ask it instead of
 * assuming PoCL's limits; it prints a line when it gives less than want. */
size_t test_local_fit(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg, size_t want);

#endif
