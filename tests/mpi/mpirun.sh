#!/bin/sh
# mpirun for the tests: NP ranks of PROGRAM on this machine, whatever its
# core count and user. With Open MPI: --oversubscribe (more ranks than
# cores), --bind-to none (ranks share the cores with PoCL's threads), and
# --allow-run-as-root where the tests run as root (CI does); a waiting rank
# yields its core (mpi_yield_when_idle: Open MPI does so by itself only for
# more ranks than cores, and 2 ranks spinning on a 2-core machine that also
# runs other tests took 5x as long); its shared-memory transport copies
# through a buffer rather than by cross-process memory access (CMA), which
# containers often refuse.
#   usage: mpirun.sh NP PROGRAM [ARGS...]
np="$1"; shift
launcher=${MPIEXEC:-mpirun}
if "$launcher" --version 2>/dev/null | grep -q "Open MPI"; then
  set -- --oversubscribe --bind-to none "$@"
  [ "$(id -u)" -eq 0 ] && set -- --allow-run-as-root "$@"
  export OMPI_MCA_mpi_yield_when_idle="${OMPI_MCA_mpi_yield_when_idle:-1}"
  export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
fi
exec "$launcher" -np "$np" "$@"
