/* A tiny external MPI program built against an installed libclnn_mpi: one
 * rank (MPI's singleton start, no mpirun needed) sums a tensor over itself. */
#include <clnn/mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    clnn_context *ctx = NULL;
    if (clnn_mpi_context_create(MPI_COMM_WORLD, NULL, &ctx) != CLNN_OK) {
        fprintf(stderr, "consumer_mpi: %s\n", clnn_last_error(NULL));
        MPI_Finalize();
        return 1;
    }
    size_t n = 5;
    clnn_tensor *t = NULL;
    float out[5];
    int ok = clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t) == CLNN_OK && clnn_tensor_fill(t, 3.0f) == CLNN_OK &&
             clnn_mpi_allreduce(ctx, MPI_COMM_WORLD, CLNN_MPI_MEAN, NULL, 1, &t) == CLNN_OK &&
             clnn_tensor_download(t, out, sizeof out) == CLNN_OK && out[4] == 3.0f;
    if (!ok) fprintf(stderr, "consumer_mpi: %s\n", clnn_last_error(ctx));
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    MPI_Finalize();
    printf("consumer_mpi: clnn_mpi on clnn %s %s\n", clnn_version(), ok ? "works" : "FAILED");
    return ok ? 0 : 1;
}
