/* clnn_mpi_allreduce and clnn_mpi_broadcast under mpirun (2 or 3 ranks,
 * tests/mpi/CMakeLists.txt), against references computed here on the host
 * from every rank's known inputs (mpi_test_inputs), in double:
 *   - the deterministic mode gives exactly (float) of the sum in rank order
 *     in double (divided by the rank count for a mean), the documented
 *     contract, the same bits on every rank, with any bucket size, bounded
 *     or not, and twice in a row;
 *   - the MPI_Allreduce mode is within the rounding of a float sum;
 *   - awkward sizes: 1 element, one bucket + 1, 10^6 in one bucket and in
 *     sixteen, a list of tensors straddling buckets, count 0;
 *   - the broadcast gives the root's bits to every rank.
 * test_mpi_allreduce --hash FILE: rank 0 writes the hash of every
 * deterministic result, for the comparison of two runs (run_mpi_test.sh). */
#include "mpi_util.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int rank, ranks;
static clnn_context *ctx;

#define MAX_TENSORS 8
#define SMALL_BUCKET 1024 /* bytes: 256 floats */

/* A call to run: tensor sizes, bucket, mode, op, timeout. */
typedef struct call_case {
    const char *name;
    size_t sizes[MAX_TENSORS];
    size_t count;
    size_t bucket_bytes;
    int deterministic;
    clnn_mpi_op op;
    double timeout;
} call_case;

/* The reference of tensor `tensor`: ref (double, rank-order sum, divided
 * for a mean) and mag (the sum of magnitudes, for the MPI mode's bound). */
static void reference(size_t n, unsigned tensor, int mean, double *ref, double *mag)
{
    float *x = malloc(n * sizeof *x);
    REQUIRE(x, "out of memory");
    for (size_t i = 0; i < n; i++) ref[i] = mag[i] = 0.0;
    for (int r = 0; r < ranks; r++) {
        mpi_test_inputs(x, n, tensor, r);
        for (size_t i = 0; i < n; i++) ref[i] += (double)x[i], mag[i] += fabs((double)x[i]);
    }
    for (size_t i = 0; mean && i < n; i++) ref[i] /= ranks, mag[i] /= ranks;
    free(x);
}

/* Compares tensor `tensor`'s result with its reference; counts mismatches. */
static size_t compare(const call_case *k, unsigned tensor, const float *got, size_t n)
{
    double *ref = malloc(n * sizeof *ref), *mag = malloc(n * sizeof *mag);
    REQUIRE(ref && mag, "out of memory");
    reference(n, tensor, k->op == CLNN_MPI_MEAN, ref, mag);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int ok = k->deterministic ? got[i] == (float)ref[i]
                                  : fabs((double)got[i] - ref[i]) <= (ranks + 1) * FLT_EPSILON * mag[i] + 1e-30;
        if (!ok && bad++ < 3)
            fprintf(stderr, "rank %d: %s: tensor %u [%zu] is %.9g, reference %.9g\n", rank, k->name, tensor, i,
                    (double)got[i], ref[i]);
    }
    free(ref);
    free(mag);
    return bad;
}

/* Runs the case on every rank; returns the hash of its results. */
static uint64_t run_case(const call_case *k)
{
    clnn_tensor *t[MAX_TENSORS];
    float *host[MAX_TENSORS];
    for (size_t j = 0; j < k->count; j++) {
        host[j] = malloc(k->sizes[j] * sizeof(float));
        REQUIRE(host[j], "out of memory");
        mpi_test_inputs(host[j], k->sizes[j], (unsigned)j, rank);
        t[j] = test_tensor_from(ctx, 1, &k->sizes[j], host[j]);
    }
    clnn_mpi_options o;
    clnn_mpi_options_init(&o);
    if (k->bucket_bytes) o.bucket_bytes = k->bucket_bytes;
    o.deterministic = k->deterministic;
    o.timeout_seconds = k->timeout;
    CHECK_OK(ctx, clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, k->op, &o, k->count, t));
    uint64_t h = MPI_TEST_HASH0;
    size_t bad = 0;
    for (size_t j = 0; j < k->count; j++) {
        CHECK_OK(ctx, clnn_tensor_download(t[j], host[j], k->sizes[j] * sizeof(float)));
        bad += compare(k, (unsigned)j, host[j], k->sizes[j]);
        h = mpi_test_hash(host[j], k->sizes[j], h);
        clnn_tensor_release(t[j]);
        free(host[j]);
    }
    CHECK(bad == 0, "rank %d: %s: %zu elements off the reference", rank, k->name, bad);
    if (k->deterministic) CHECK(mpi_test_same_everywhere(h), "rank %d: %s: the ranks' bits differ", rank, k->name);
    return h;
}

/* Every case in both modes and both ops; the deterministic results' hash. */
static uint64_t sizes_and_modes(void)
{
    const call_case shapes[] = {
        {"1 element", {1}, 1, 0, 0, 0, 0},
        {"one bucket + 1", {SMALL_BUCKET / 4 + 1}, 1, SMALL_BUCKET, 0, 0, 0},
        {"10^6 in one bucket", {1000000}, 1, 0, 0, 0, 0},
        {"10^6 in 16 buckets", {1000000}, 1, 256 << 10, 0, 0, 0},
        {"tensors straddling buckets", {1, 3, 255, 256, 257, 1000, 4097}, 7, SMALL_BUCKET, 0, 0, 0},
        {"no tensor", {0}, 0, 0, 0, 0, 0},
    };
    uint64_t h = MPI_TEST_HASH0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int mode = 0; mode < 4; mode++) {
            call_case k = shapes[s];
            k.deterministic = mode < 2;
            k.op = mode % 2 ? CLNN_MPI_MEAN : CLNN_MPI_SUM;
            uint64_t got = run_case(&k);
            float bits[2];
            memcpy(bits, &got, sizeof bits);
            if (k.deterministic) h = mpi_test_hash(bits, 2, h);
        }
    return h;
}

/* The deterministic bits do not depend on the bucket size, the bounded
 * wait (nonblocking MPI operations) or the run. */
static void same_bits(void)
{
    call_case one = {"10^6, default bucket", {1000000}, 1, 0, 1, CLNN_MPI_MEAN, 0};
    call_case small = one, bounded = one, fast = one;
    small.name = "10^6, 4 KiB buckets", small.bucket_bytes = 4096;
    bounded.name = "10^6, bounded waits", bounded.timeout = 120;
    uint64_t first = run_case(&one), again = run_case(&one);
    CHECK(first == again, "rank %d: two runs in a row differ", rank);
    CHECK(run_case(&small) == first, "rank %d: the bucket size changed the bits", rank);
    CHECK(run_case(&bounded) == first, "rank %d: bounded waits changed the bits", rank);
    fast.name = "10^6, MPI_Allreduce, bounded waits", fast.deterministic = 0, fast.timeout = 120;
    run_case(&fast);
}

/* Every rank gets the root's bits, for the first and the last rank as root. */
static void broadcast(void)
{
    const size_t sizes[3] = {1, SMALL_BUCKET / 4 + 1, 1000};
    for (int root = 0; root < ranks; root += ranks - 1) {
        clnn_tensor *t[3];
        float *x[3], *want[3];
        for (int j = 0; j < 3; j++) {
            x[j] = malloc(sizes[j] * sizeof(float));
            want[j] = malloc(sizes[j] * sizeof(float));
            REQUIRE(x[j] && want[j], "out of memory");
            mpi_test_inputs(x[j], sizes[j], (unsigned)j, rank);
            mpi_test_inputs(want[j], sizes[j], (unsigned)j, root);
            t[j] = test_tensor_from(ctx, 1, &sizes[j], x[j]);
        }
        clnn_mpi_options o;
        clnn_mpi_options_init(&o);
        o.bucket_bytes = SMALL_BUCKET;
        CHECK_OK(ctx, clnn_mpi_broadcast(ctx, MPI_COMM_WORLD, root, &o, 3, t));
        for (int j = 0; j < 3; j++) {
            CHECK_OK(ctx, clnn_tensor_download(t[j], x[j], sizes[j] * sizeof(float)));
            CHECK(memcmp(x[j], want[j], sizes[j] * sizeof(float)) == 0, "rank %d: broadcast from %d: tensor %d",
                  rank, root, j);
            clnn_tensor_release(t[j]);
            free(x[j]);
            free(want[j]);
        }
        if (ranks == 1) break;
    }
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv, &rank, &ranks);
    const char *hash_file = argc == 3 && strcmp(argv[1], "--hash") == 0 ? argv[2] : NULL;
    int local_rank = -1, local_size = 0;
    CHECK_OK(NULL, clnn_mpi_local_rank(MPI_COMM_WORLD, &local_rank, &local_size));
    CHECK(local_size == ranks && local_rank == rank, "one machine: local rank %d of %d, rank %d of %d", local_rank,
          local_size, rank, ranks);
    clnn_status st = clnn_mpi_context_create(MPI_COMM_WORLD, NULL, &ctx);
    REQUIRE(st == CLNN_OK, "rank %d: clnn_mpi_context_create: %s", rank, clnn_last_error(NULL));

    uint64_t h = sizes_and_modes();
    same_bits();
    broadcast();
    if (hash_file && rank == 0) {
        FILE *f = fopen(hash_file, "w");
        CHECK(f && fprintf(f, "%016llx\n", (unsigned long long)h) > 0 && fclose(f) == 0, "cannot write %s",
              hash_file);
    }
    clnn_context_release(ctx);
    return mpi_test_summary();
}
