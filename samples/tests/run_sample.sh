#!/bin/sh
# Runs a sample briefly on a few hundred real Fashion-MNIST images and checks
# its contract: exit status 0, a CSV of the curves (written beside a link
# planted at the old temp name, which must not be followed), and a last line
# of exactly "test_accuracy=0.xxxx" above chance level (0.1) by a clear
# margin; missing data (--data, or CLNN_FASHION_MNIST naming a directory that
# does not exist) is an error that names the directory.
# Usage: run_sample.sh SAMPLE_BINARY WORKDIR [EXTRA_FLAGS...]
# (extra flags come after the common ones, so they override them: a sample
# whose step costs many passes runs a lighter setting)
set -eu
bin="$1"; work="$2"; shift 2
rm -rf "$work"; mkdir -p "$work"; cd "$work"
# a link planted at the name the old CSV writer used for its temp file
echo precious > victim.txt; ln -s victim.txt curves.csv.tmp
"$bin" --epochs 2 --train-limit 768 --test-limit 300 --batch 64 --quiet --csv curves.csv "$@" > out.log 2>&1 || {
  cat out.log; echo "0 passed, 1 failed"; exit 1; }
cat out.log
last=$(tail -n 1 out.log)
pass=0; fail=0
if echo "$last" | grep -Eq '^test_accuracy=0\.[0-9]{4}$'; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: last line '$last'"; fi
acc=$(echo "$last" | sed 's/^test_accuracy=//')
if awk "BEGIN{exit !($acc > 0.4)}"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: accuracy $acc is not above 0.4"; fi
if [ "$(wc -l < curves.csv)" -eq 3 ] && head -n 1 curves.csv | grep -q '^epoch,loss,train_accuracy,test_accuracy'; then
  pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: curves.csv"; cat curves.csv; fi
# missing data: a clear message that says how to get it, exit status 1
if "$bin" --data "$work/no-such-dir" > missing.log 2>&1; then fail=$((fail+1)); echo "FAIL: ran without data"
elif grep -q "apt-get install dataset-fashion-mnist" missing.log; then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL: missing-data message:"; cat missing.log; fi
if [ "$(cat victim.txt)" = precious ] && [ -f curves.csv ] && [ ! -L curves.csv ]; then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL: the CSV writer followed the link planted at curves.csv.tmp"; fi
# an explicit data directory that does not exist: an error naming it, never another copy
if CLNN_FASHION_MNIST="$work/not-here" "$bin" --epochs 1 --train-limit 64 --test-limit 64 > env.log 2>&1; then
  fail=$((fail+1)); echo "FAIL: CLNN_FASHION_MNIST=$work/not-here ran on another copy"
elif grep -q "$work/not-here" env.log; then pass=$((pass+1))
else fail=$((fail+1)); echo "FAIL: the message does not name $work/not-here:"; cat env.log; fi
# a bad flag is refused with status 2
if "$bin" --epochs zero > bad.log 2>&1; then fail=$((fail+1)); echo "FAIL: bad flag accepted"
else rc=$?; if [ $rc -eq 2 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: bad flag status $rc"; fi; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
