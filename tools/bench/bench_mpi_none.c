/* The mpi group in a build without MPI: it says so and measures nothing. */
#include "bench.h"

#include <stdio.h>

int bench_mpi_launched_rank(void) { return -1; }

void bench_mpi(bench_env *env)
{
    (void)env;
    printf("%-10s skipped: clnn-bench was built without MPI (apt-get install libopenmpi-dev openmpi-bin, then "
           "configure again)\n", "mpi");
}
