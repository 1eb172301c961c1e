#!/bin/sh
# clnn-bench's mpi group through mpirun on 2 ranks (quick sizes, one
# repeat): rows for the allreduce in both modes against MPI_Allreduce on
# host buffers and for the MLP step's scaling against the ideal, each with
# a measured value, their summary lines, one table (rank 0's); and started
# without mpirun the group says that it skipped and reports nothing. No
# timing is asserted.
# Usage: check_bench_mpi.sh CLNN_BENCH MPIRUN_SH WORKDIR
set -u
bench="$1"; mpirun_sh="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
pass=0; fail=0
check() { if eval "$1"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $2"; fi; }
sh "$mpirun_sh" 2 "$bench" --quick --repeats 1 --only mpi --json out.json > out.txt 2> err.txt; rc=$?
cat out.txt err.txt
check '[ "$rc" -eq 0 ]' "mpirun clnn-bench exited with $rc"
rows() { grep -c "\"name\":[[:space:]]*\"$1" out.json 2>/dev/null; }
check '[ "$(rows "allreduce 4 MiB, deterministic")" -eq 1 ] && [ "$(rows "allreduce 4 MiB, MPI_Allreduce")" -eq 1 ]' \
      "no allreduce rows in both modes"
check '[ "$(rows "MLP step, batch 128 over 2 ranks")" -eq 1 ]' "no scaling row"
check 'grep -q "\"reference_label\":[[:space:]]*\"MPI_Allreduce, host\"" out.json' "no MPI_Allreduce reference"
check 'grep -q "\"reference_label\":[[:space:]]*\"ideal: 2 x 1 rank\"" out.json' "no ideal reference"
check '! grep -q "\"value\":[[:space:]]*0," out.json' "a row has no measurement"
check '[ "$(grep -c "^summary    mpi vs" out.txt)" -eq 2 ]' "summary lines"
check '[ "$(grep -c "^clnn-bench " out.txt)" -eq 1 ]' "more than one rank printed its table"
"$bench" --quick --repeats 1 --only mpi --json alone.json > alone.txt 2>&1
check 'grep -q "^mpi  *skipped: not started by mpirun" alone.txt' "without mpirun: no skip message"
check '! grep -q "\"group\":[[:space:]]*\"mpi\"" alone.json' "without mpirun: the mpi group reported rows"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
