#!/bin/sh
# Every kernel the tuner lists can be tuned by clnn-tune: one small random
# search per kernel (the default and one more candidate, which must give the
# default's bits) through its family's exercise, against a private database
# that is not written. Fails on any kernel whose exercise or tuning fails
# (clnn-tune exits non-zero and names it) or whose candidate gives other
# bits, and when the table has fewer rows than --list has tunable kernels.
# Timings are printed, never asserted.
# Usage: check_tune_every_kernel.sh CLNN_TUNE WORKDIR
set -u
tune="$1"; work="$2"
rm -rf "$work"; mkdir -p "$work" || exit 1
cd "$work" || exit 1
export CLNN_TUNE_DB="$work/tuning.json"
unset CLNN_TUNE
"$tune" --list > list.out 2> list.err || { echo "FAIL: --list"; cat list.err; exit 1; }
want=$(awk '$3 == "clnn-tune"' list.out | wc -l)
"$tune" --sizes 256 --strategy random --budget 1 --repeats 1 --seed 3 --no-save > tune.out 2> tune.err
rc=$?
cat tune.out
fail=0
[ "$rc" -eq 0 ] || { echo "FAIL: clnn-tune exited $rc:"; tr '\r' '\n' < tune.err | grep 'clnn-tune:'; fail=1; }
if tr '\r' '\n' < tune.err | grep -q 'rejected (wrong output)'; then
  echo "FAIL: a candidate gave other bits than the default:"
  tr '\r' '\n' < tune.err | grep 'rejected (wrong output)'
  fail=1
fi
got=$(sed -n 's/.*(\([0-9][0-9]*\) rows)$/\1/p' tune.out)
[ "${got:-0}" -eq "$want" ] || { echo "FAIL: $got rows tuned, --list has $want tunable kernels"; fail=1; }
[ -e "$work/tuning.json" ] && { echo "FAIL: --no-save wrote the database"; fail=1; }
[ "$fail" -eq 0 ] && echo "every one of the $want tunable kernels tuned at size 256"
exit "$fail"
