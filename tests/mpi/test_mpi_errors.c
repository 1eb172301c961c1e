/* libclnn_mpi's refusals under mpirun (2 or 3 ranks): bad arguments on
 * every rank, and on one rank only (a tensor of another context, another
 * size, count, split, op, root or bucket than the others), each failing on
 * every rank -- none left waiting -- with a message naming the function
 * and the rank at fault, the tensors unchanged everywhere; then a good call
 * still works.
 *   test_mpi_errors abort:   rank 1 fails outside the library and calls
 *                            MPI_Abort while rank 0 waits in an allreduce
 *   test_mpi_errors timeout: rank 1 stalls; rank 0's allreduce with a
 *                            2 s timeout fails with CLNN_ERR_COMM and the
 *                            test ends the job with MPI_Abort
 * (run_mpi_test.sh checks that both end the job quickly, non-zero, with the
 * messages). */
#define _POSIX_C_SOURCE 200809L
#include "mpi_util.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

static int rank, ranks;
static clnn_context *ctx, *other;
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;

#define SENTINEL 7.0f

/* The call must fail with `expect` on this rank, naming fn and saying
 * `words` (NULL: no more to check). */
#define EXPECT_REFUSED(context, expect, fn, words, call)                                                        \
    do {                                                                                                       \
        EXPECT_FAIL(context, expect, fn, call);                                                                \
        const char *w_ = (words);                                                                              \
        CHECK(!w_ || strstr(clnn_last_error(context), w_), "rank %d: %s: message '%s' lacks '%s'", rank, #call, \
              clnn_last_error(context), w_ ? w_ : "");                                                         \
    } while (0)

/* The tensor still holds SENTINEL everywhere: a refused call changes nothing. */
static void expect_untouched(const clnn_tensor *t, const char *what)
{
    size_t n = clnn_tensor_count(t);
    float *x = test_download(clnn_tensor_context(t), t);
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) changed += x[i] != SENTINEL;
    CHECK(changed == 0, "rank %d: %s changed %zu elements", rank, what, changed);
    free(x);
}

/* Calls that fail before MPI is up or without a communicator. */
static void before_mpi(void)
{
    clnn_context *c = test_context();
    clnn_tensor *t = test_filled(c, CLNN_FLOAT32, 4, 0, SENTINEL);
    EXPECT_REFUSED(c, INVAL, "clnn_mpi_allreduce", "not initialized",
                   clnn_mpi_allreduce(c, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 1, &t));
    int lr;
    EXPECT_REFUSED(NULL, INVAL, "clnn_mpi_local_rank", "not initialized",
                   clnn_mpi_local_rank(MPI_COMM_WORLD, &lr, NULL));
    expect_untouched(t, "a call before MPI_Init");
    clnn_tensor_release(t);
    clnn_context_release(c);
}

/* Every rank passes the same bad argument. */
static void bad_everywhere(clnn_tensor *t, clnn_tensor *ti)
{
    clnn_tensor *twice[2] = {t, t}, *null_one[1] = {NULL}, *with_int[2] = {t, ti};
    clnn_mpi_options o;
    clnn_mpi_options_init(&o);
    EXPECT_REFUSED(NULL, INVAL, "clnn_mpi_allreduce", "ctx is NULL",
                   clnn_mpi_allreduce(NULL, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 1, &t));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "MPI_COMM_NULL",
                   clnn_mpi_allreduce(ctx, MPI_COMM_NULL, CLNN_MPI_SUM, NULL, 1, &t));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "tensors is NULL",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 1, NULL));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "tensors[0] is NULL",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 1, null_one));
    EXPECT_REFUSED(ctx, SHAPE, "clnn_mpi_allreduce", "float32",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 2, with_int));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "share memory",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 2, twice));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "op is 5",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, (clnn_mpi_op)5, NULL, 1, &t));
    o.size = 0;
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "opt->size",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, &o, 1, &t));
    clnn_mpi_options_init(&o);
    o.bucket_bytes = 2;
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "bucket_bytes",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, &o, 1, &t));
    clnn_mpi_options_init(&o);
    o.deterministic = 2;
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "deterministic",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, &o, 1, &t));
    clnn_mpi_options_init(&o);
    o.timeout_seconds = NAN;
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_broadcast", "timeout_seconds",
                   clnn_mpi_broadcast(ctx, MPI_COMM_WORLD, 0, &o, 1, &t));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_broadcast", "root is -1",
                   clnn_mpi_broadcast(ctx, MPI_COMM_WORLD, -1, NULL, 1, &t));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_broadcast", "must be a rank",
                   clnn_mpi_broadcast(ctx, MPI_COMM_WORLD, ranks, NULL, 1, &t));
    EXPECT_REFUSED(NULL, INVAL, "clnn_mpi_local_rank", "local_rank is NULL",
                   clnn_mpi_local_rank(MPI_COMM_WORLD, NULL, NULL));
    clnn_context *made = NULL;
    EXPECT_REFUSED(NULL, INVAL, "clnn_mpi_context_create", "out is NULL",
                   clnn_mpi_context_create(MPI_COMM_WORLD, NULL, NULL));
    EXPECT_REFUSED(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_mpi_context_create", "no-such-device",
                   clnn_mpi_context_create(MPI_COMM_WORLD, "no-such-device", &made));
    CHECK(made == NULL, "rank %d: no context on failure", rank);
    expect_untouched(t, "the refused calls");
}

/* Rank 1 alone passes something else: every rank fails; rank 1 says why,
 * the others name rank 1 (or the ranks that differ). */
static void bad_on_one_rank(clnn_tensor *t)
{
    int odd = rank == 1;
    const char *refused = odd ? NULL : "rank 1 of";
    clnn_tensor *foreign = test_filled(other, CLNN_FLOAT32, 4, 0, SENTINEL);
    clnn_tensor *longer = test_filled(ctx, CLNN_FLOAT32, odd ? 5 : 4, 0, SENTINEL);
    clnn_tensor *a = test_filled(ctx, CLNN_FLOAT32, odd ? 7 : 3, 0, SENTINEL);
    clnn_tensor *b = test_filled(ctx, CLNN_FLOAT32, odd ? 3 : 7, 0, SENTINEL);
    clnn_tensor *mine[1] = {odd ? foreign : t}, *split[2] = {a, b};
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", odd ? "another context" : refused,
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 1, mine));
    EXPECT_REFUSED(ctx, SHAPE, "clnn_mpi_allreduce", "tensors differ",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_MEAN, NULL, 1, &longer));
    EXPECT_REFUSED(ctx, SHAPE, "clnn_mpi_allreduce", "tensors differ",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, odd ? 2 : 1, split));
    EXPECT_REFUSED(ctx, SHAPE, "clnn_mpi_allreduce", "split them differently",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 2, split));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "ops",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, odd ? CLNN_MPI_MEAN : CLNN_MPI_SUM, NULL, 1, &t));
    clnn_mpi_options o;
    clnn_mpi_options_init(&o);
    o.bucket_bytes = odd ? 64 : 128;
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_allreduce", "options differ",
                   clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, &o, 1, &t));
    EXPECT_REFUSED(ctx, INVAL, "clnn_mpi_broadcast", "roots",
                   clnn_mpi_broadcast(ctx, MPI_COMM_WORLD, odd, NULL, 1, &t));
    clnn_context *made = NULL;
    EXPECT_REFUSED(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_mpi_context_create", odd ? "no-such-device" : refused,
                   clnn_mpi_context_create(MPI_COMM_WORLD, odd ? "no-such-device" : NULL, &made));
    CHECK(made == NULL, "rank %d: no context on any rank when one fails", rank);
    const clnn_tensor *all[] = {t, foreign, longer, a, b};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) expect_untouched(all[i], "a call refused on one rank");
    for (size_t i = 1; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release((clnn_tensor *)all[i]);
}

/* After all the refusals the ranks are still in step: a good call works. */
static void still_in_step(clnn_tensor *t)
{
    CHECK_OK(ctx, clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, NULL, 1, &t));
    float x[4];
    CHECK_OK(ctx, clnn_tensor_download(t, x, sizeof x));
    CHECK(x[0] == SENTINEL * (float)ranks && x[3] == SENTINEL * (float)ranks, "rank %d: sum %g", rank, (double)x[0]);
}

/* A rank that fails outside the library, or stalls: the job must end. */
static int failing_rank(const char *mode)
{
    clnn_tensor *t = test_filled(ctx, CLNN_FLOAT32, 4, 0, SENTINEL);
    clnn_mpi_options o;
    clnn_mpi_options_init(&o);
    o.timeout_seconds = strcmp(mode, "timeout") == 0 ? 2.0 : 0.0;
    if (rank == 1 && o.timeout_seconds == 0) {
        fprintf(stderr, "rank 1: simulated failure outside clnn: MPI_Abort\n");
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    if (rank == 1) {
        sleep(60); /* stalls; MPI_Abort from rank 0 ends it */
        return 1;
    }
    clnn_status st = clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_SUM, &o, 1, &t);
    fprintf(stderr, "rank %d: clnn_mpi_allreduce returned %s: %s\n", rank, clnn_status_string(st),
            clnn_last_error(ctx));
    MPI_Abort(MPI_COMM_WORLD, st == CLNN_ERR_COMM ? 4 : 5);
    return 1;
}

int main(int argc, char **argv)
{
    before_mpi();
    mpi_test_init(&argc, &argv, &rank, &ranks);
    ctx = test_context();
    other = test_context();
    if (argc == 2) return failing_rank(argv[1]);
    clnn_tensor *t = test_filled(ctx, CLNN_FLOAT32, 4, 0, SENTINEL);
    clnn_tensor *ti = test_filled(ctx, CLNN_INT32, 4, 0, 1.0f);
    bad_everywhere(t, ti);
    if (ranks > 1) bad_on_one_rank(t);
    still_in_step(t);
    clnn_tensor_release(t);
    clnn_tensor_release(ti);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return mpi_test_summary();
}
