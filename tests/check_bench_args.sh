#!/bin/sh
# clnn-bench's arguments: a bad --repeats (a word, negative, zero) or an
# --only that names no group exits 2 with a message (the group list for
# --only) before any device work; --json writes through a temp file of its
# own, never a file or link planted at "<json>.tmp" (the copy group only,
# quick: the one run that needs the device). No timing is asserted.
# Usage: check_bench_args.sh CLNN_BENCH WORKDIR
set -u
bench="$1"; work="$2"
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
pass=0; fail=0
check() { what="$1"; shift; if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $what"; fi; }
# refuse NAME MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing on stdout
refuse() {
  name="$1"; msg="$2"; shift 2
  "$bench" "$@" > "$name.out" 2> "$name.err"; rc=$?
  echo "--- clnn-bench $* (exit $rc)"; cat "$name.out" "$name.err"
  check "clnn-bench $* exits 2" [ "$rc" -eq 2 ]
  check "clnn-bench $* says '$msg'" grep -qF -- "$msg" "$name.err"
  check "clnn-bench $* prints nothing on stdout" [ ! -s "$name.out" ]
}
refuse repeats_word "--repeats wants a count of 1..1000, not 'abc'" --repeats abc
refuse repeats_negative "--repeats wants a count of 1..1000, not '-1'" --repeats -1
refuse repeats_zero "--repeats wants a count" --repeats 0
refuse only_nonsense "--only: no group 'nonsense'" --only nonsense
check "--only nonsense lists the groups" grep -q '^groups: copy optim ' only_nonsense.err
refuse only_near "--only: no group 'optimx'" --only copy,optimx
refuse only_empty "--only names no group" --only ''

# a link planted where the old writer put its temp file
echo precious > victim.txt
ln -s victim.txt out.json.tmp
"$bench" --quick --only copy --repeats 1 --json out.json > run.out 2> run.err; rc=$?
cat run.out run.err
check "clnn-bench --only copy --json exits 0" [ "$rc" -eq 0 ]
check "the planted link's target is untouched" [ "$(cat victim.txt)" = precious ]
check "the JSON is a regular file with the copy group's rows" sh -c '[ -f out.json ] && [ ! -L out.json ] && grep -q "\"group\":[[:space:]]*\"copy\"" out.json'
check "no temp file left" [ -z "$(ls | grep 'out.json.tmp.')" ]
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
