#!/bin/sh
# clnn-bench runs every group in its quick mode and each group reports rows
# with a measured (non-zero) value: a bench that silently broke would
# otherwise only show when someone reads its table. No timing is asserted.
# Usage: check_bench.sh CLNN_BENCH WORKDIR
set -u
bench="$1"; work="$2"
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
pass=0; fail=0
groups=$("$bench" --help | sed -n 's/^groups: //p')
[ -n "$groups" ] || { echo "FAIL: no group list in --help"; echo "0 passed, 1 failed"; exit 1; }
if "$bench" --quick --repeats 1 --json out.json > out.txt 2> err.txt; then pass=$((pass+1)); else
  fail=$((fail+1)); echo "FAIL: clnn-bench exited with $?"; fi
cat out.txt
# a driver's own compiler warnings (Mesa 22.3 prints "MESA: warning: ..." on
# stderr while compiling some program under the limits shim) are shown, not
# counted: what the check looks for is clnn-bench reporting an error
grep '^MESA: warning:' err.txt | sed 's/^/NOTE: driver warning on stderr: /'
grep -v '^MESA: warning:' err.txt > clnn_err.txt
if [ -s clnn_err.txt ]; then fail=$((fail+1)); echo "FAIL: clnn-bench reported errors:"; cat clnn_err.txt; else pass=$((pass+1)); fi
# a group that cannot run here says so ("mpi  skipped: not started by
# mpirun"): counted as skipped, never as passed
skip=0
for g in $groups; do
  if grep -q "\"group\":[[:space:]]*\"$g\"" out.json 2>/dev/null; then pass=$((pass+1));
  elif grep -Eq "^$g +skipped: " out.txt; then skip=$((skip+1)); echo "SKIP: $(grep -E "^$g +skipped: " out.txt)"; else
    fail=$((fail+1)); echo "FAIL: group $g reported no row"; fi
done
zeros=$(grep -c '"value":[[:space:]]*0,' out.json 2>/dev/null)
if [ "${zeros:-0}" -eq 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $zeros rows have no measurement (value 0)"; fi
if [ "$skip" -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ "$fail" -eq 0 ]
