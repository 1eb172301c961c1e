#!/bin/sh
# fashion_mlp --mpi on NP ranks (tests/mpi/mpirun.sh), briefly (2 epochs on
# 768 real images, global batch 64), against the same run in one process:
# exit status 0; after each epoch the training state is the same bits on
# every rank (the sample compares the ranks' hashes and says so, or exits);
# the images/s of every rank and in total; a last line test_accuracy=0.xxxx
# within 0.03 of the single process's for the same global batch (not the
# same bits: each rank draws its own dropout masks for its rows, and the
# gradients are added in another order); the curves CSV from rank 0.
# Usage: run_sample_mpi.sh SAMPLE_BINARY MPIRUN_SH NP WORKDIR
set -eu
bin="$1"; mpirun_sh="$2"; np="$3"; work="$4"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
flags="--epochs 2 --train-limit 768 --test-limit 300 --batch 64 --quiet"
# shellcheck disable=SC2086
"$bin" $flags --csv single.csv > single.log 2>&1 || { cat single.log; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC2086
sh "$mpirun_sh" "$np" "$bin" --mpi $flags --csv mpi.csv > mpi.log 2>&1 || { cat mpi.log; echo "0 passed, 1 failed"; exit 1; }
cat mpi.log
pass=0; fail=0
check() { if eval "$1"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $2"; fi; }
single=$(sed -n 's/^test_accuracy=//p' single.log)
last=$(tail -n 1 mpi.log)
check 'echo "$last" | grep -Eq "^test_accuracy=0\.[0-9]{4}$"' "last line '$last'"
acc=$(echo "$last" | sed 's/^test_accuracy=//')
echo "single process: $single, $np ranks: $acc"
check 'awk "BEGIN{exit !($acc >= $single - 0.03 && $acc > 0.4)}"' "accuracy $acc on $np ranks is not within 0.03 of $single (one process)"
check '[ "$(grep -c "parameters identical on every rank (hash [0-9a-f]\{16\})" mpi.log)" -eq 2 ]' \
      "not one 'parameters identical' line per epoch"
check 'grep -q "^epoch 2: $np ranks: [0-9]* images/s in total (rank 0: [0-9]*.*rank $((np - 1)): [0-9]* images/s)" mpi.log' \
      "no images/s per rank and in total"
check '[ "$(wc -l < mpi.csv)" -eq 3 ]' "mpi.csv"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
