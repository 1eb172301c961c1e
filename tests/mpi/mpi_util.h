/* What the MPI tests share: start and summary over every rank, each rank's
 * known inputs and a hash of results. */
#ifndef CLNN_TEST_MPI_UTIL_H
#define CLNN_TEST_MPI_UTIL_H

#include "check.h"

#include <clnn/mpi.h>
#include <stdint.h>

/* MPI_Init; *rank and *size of MPI_COMM_WORLD. */
void mpi_test_init(int *argc, char ***argv, int *rank, int *size);
/* Adds up every rank's checks, prints "N passed, N failed" once (rank 0),
 * finalizes MPI and returns the exit status (1 on every rank if any
 * failed). */
int mpi_test_summary(void);

/* Element i of input tensor `tensor` on rank r: uniform in [-1, 1) times
 * 2^e, e cycling over -40 .. 40 with i and 29 apart from rank to rank,
 * and every fifth element of ranks 0 and 1 cancelling at 2^60: sums in
 * another order, even in double, round differently. */
void mpi_test_inputs(float *x, size_t n, unsigned tensor, int r);

/* FNV-1a of the bytes of x, continuing from h (start with MPI_TEST_HASH0). */
#define MPI_TEST_HASH0 1469598103934665603ull
uint64_t mpi_test_hash(const float *x, size_t n, uint64_t h);

/* 1 when h is the same on every rank of MPI_COMM_WORLD. */
int mpi_test_same_everywhere(uint64_t h);

#endif
