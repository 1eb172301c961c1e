#!/bin/sh
# One ctest entry of tests/mpi: a test program under mpirun (mpirun.sh).
#   run_mpi_test.sh NP MODE PROGRAM
# MODE plain:   the program's own checks; its status is the test's.
#      twice:   run twice with --hash; the deterministic results' hashes
#               of the two runs must be the same bits.
#      abort, timeout: a rank fails outside clnn (MPI_Abort) or stalls (the
#               others' bounded wait fails, then MPI_Abort): the job must
#               end within 30 s, non-zero, with the ranks' messages.
set -u
np="$1"; mode="$2"; prog="$3"
here=$(dirname "$0")
case "$mode" in
plain)
  exec sh "$here/mpirun.sh" "$np" "$prog" ;;
twice)
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  sh "$here/mpirun.sh" "$np" "$prog" --hash "$work/first" || exit 1
  sh "$here/mpirun.sh" "$np" "$prog" --hash "$work/second" || exit 1
  if cmp -s "$work/first" "$work/second"; then
    echo "two runs on $np ranks: the same bits ($(cat "$work/first"))"; echo "1 passed, 0 failed"
  else
    echo "FAIL: two runs on $np ranks differ: $(cat "$work/first") vs $(cat "$work/second")"; echo "0 passed, 1 failed"; exit 1
  fi ;;
abort|timeout)
  log=$(mktemp); trap 'rm -f "$log"' EXIT
  start=$(date +%s)
  sh "$here/mpirun.sh" "$np" "$prog" "$mode" > "$log" 2>&1; rc=$?
  took=$(( $(date +%s) - start ))
  cat "$log"
  pass=0; fail=0
  if [ "$rc" -ne 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: the job ended with status 0"; fi
  if [ "$took" -le 30 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: the job took $took s"; fi
  if [ "$mode" = abort ]; then want="simulated failure outside clnn"; else want="CLNN_ERR_COMM.*waited 2\.[0-9] s"; fi
  if grep -q "$want" "$log"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: no message '$want'"; fi
  if grep -q "MPI_ABORT was invoked\|MPI_Abort" "$log"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: no MPI_Abort"; fi
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] ;;
*)
  echo "run_mpi_test.sh: unknown mode $mode"; exit 2 ;;
esac
