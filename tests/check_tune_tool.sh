#!/bin/sh
# The real clnn-tune binary against a private tuning database: --list names
# the tunable kernels; --dry-run says what it would tune and writes nothing;
# a small random search prints its table (every column and the
# geometric-mean line) and saves a valid database holding that kernel;
# --export, --import and --merge carry the same entries; a corrupt, foreign
# or missing file is refused with a non-zero exit and leaves the target
# byte-identical; bad flags and values (a word as --seed, --budget 1e30,
# 17 --sizes) and unknown kernels exit non-zero with a message and write
# nothing; a directory or FIFO at the database path, or a FIFO as the
# import source, is refused without blocking; a path past 1024 bytes is
# used whole. Timings are printed, never asserted. Candidate counts and
# which fixed local sizes can run come from the kernel's limit on this
# device, which --dry-run prints (never PoCL's numbers).
# Usage: check_tune_tool.sh CLNN_TUNE WORKDIR
set -u
tune="$1"; work="$2"
# the JSON checks need jq: without it the test is skipped (exit 77), not passed
command -v jq > /dev/null 2>&1 || { echo "SKIP: jq not found (apt-get install jq)"; exit 77; }
rm -rf "$work"; mkdir -p "$work/db" || exit 1
cd "$work" || exit 1
db="$work/db/tuning.json"
export CLNN_TUNE_DB="$db"
unset CLNN_TUNE # the tool's own mode is not under test here
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: counts a pass when COMMAND succeeds
check() { what="$1"; shift; if "$@"; then ok; else bad "$what"; fi; }
# run NAME ARGS...: clnn-tune with ARGS, stdout in NAME.out, stderr in NAME.err, status in $rc
run() { name="$1"; shift; "$tune" "$@" > "$name.out" 2> "$name.err"; rc=$?; }
show() { echo "--- clnn-tune $1 (exit $rc)"; cat "$1.out" "$1.err"; }
# the database directory holds nothing at all (no file, no lock, no temp file)
db_empty() { [ -z "$(ls -A "$work/db")" ]; }
# is_db FILE: FILE is valid JSON in the clnn-tuning format
is_db() { jq -e '.format == "clnn-tuning" and .version == 1 and (.entries | type) == "array"' "$1" > /dev/null 2>&1; }
# entries FILE: the entries, sorted, one per line (to compare two files)
entries() { jq -c '.entries | sort_by(.device, .kernel, .bucket) | .[]' "$1"; }
# no_temp DIR: no temp file of an atomic write left behind
no_temp() { [ -z "$(find "$1" -name '*.tmp.*')" ]; }

# ------------------------------------------------------------------ --list
run list --list
show list
check "--list exits 0" [ "$rc" -eq 0 ]
check "--list prints its header" grep -q '^kernel  *dims  *tunable by  *parameters' list.out
for k in tensor.fill_f32 tensor.fill_i32 tensor.copy tensor.scale tensor.axpy tensor.random_uniform \
         tensor.random_normal softmax.forward optim.step; do
  check "--list names $k" grep -q "^$k  *[12]  *clnn-tune  *local" list.out
done
nk=$(grep -c '^[a-z_0-9]*\.[a-z_0-9.]*  *[12]  ' list.out)
check "--list lists at least 20 kernels (got $nk)" [ "$nk" -ge 20 ]
check "--list writes no database" db_empty

# --------------------------------------------------------------- --dry-run
run dry --kernel tensor.fill_f32,tensor.copy --sizes 4096,1000 --strategy random --budget 3 --dry-run
show dry
check "--dry-run exits 0" [ "$rc" -eq 0 ]
for k in tensor.fill_f32 tensor.copy; do
  for s in 4096x1 1000x1; do
    check "--dry-run would tune $k at $s" \
      grep -q "^would tune $k  *size $s: [0-9][0-9]* candidates (default local=" dry.out
  done
done
check "--dry-run prints 4 plans (got $(grep -c '^would tune' dry.out))" [ "$(grep -c '^would tune' dry.out)" -eq 4 ]
# the documented space (docs/tuning.md): powers of two from 8 (1 under a
# limit below 8) to min(1024, the kernel's limit), none beyond 8 above the
# next power of two of the size, plus the default when it is not one of them
space() { # space SIZE LIMIT DEFAULT
  awk -v n="$1" -v lim="$2" -v def="$3" 'BEGIN { top = lim < 1024 ? lim : 1024; pw = 1; while (pw < n) pw *= 2;
    c = 0; in_ = 0; for (l = (top < 8 ? 1 : 8); l <= top; l *= 2) if (l <= 8 || l <= pw) { c++; if (l == def) in_ = 1 }
    print c + !in_ }'
}
for k in tensor.fill_f32 tensor.copy; do
  for s in 4096 1000; do
    line=$(grep "^would tune $k  *size ${s}x1: " dry.out)
    lim=$(echo "$line" | sed -n 's/.*kernel limit \([0-9][0-9]*\))$/\1/p')
    def=$(echo "$line" | sed -n 's/.*(default local=\([0-9][0-9]*\),.*/\1/p')
    got=$(echo "$line" | sed -n 's/.*: \([0-9][0-9]*\) candidates.*/\1/p')
    check "--dry-run says $k's kernel limit and default at $s ($line)" [ -n "$lim" ] && [ -n "$def" ]
    all=$(space "$s" "${lim:-0}" "${def:-0}")
    want=$(( all < 4 ? all : 4 ))
    check "random --budget 3: $k at $s: default + 3 of the $all this device's limit $lim gives = $want (got $got)" \
      [ "$got" = "$want" ]
  done
done
check "--dry-run prints no table" sh -c '! grep -q "geometric-mean" dry.out'
check "--dry-run writes no database" db_empty

# ------------------------------------------------------------------ tuning
run tune --kernel tensor.fill_f32 --sizes 4096,1000 --strategy random --budget 3 --repeats 2 --seed 7
show tune
check "tuning exits 0" [ "$rc" -eq 0 ]
check "table header has every column" \
  grep -q '^kernel  *size  *default us  *best us  *speed-up  *local64 us  *local256 us  *chosen  *rejected$' tune.out
for s in 4096 1000; do
  row=$(grep "^tensor.fill_f32  *$s " tune.out)
  check "a table row for size $s" [ -n "$row" ]
  # kernel size default best speed-up local64 local256 chosen rejected; a
  # fixed size the kernel does not take here reads "-" (the limit --dry-run
  # printed); the exact times are checked positive in the saved file below
  lim=$(sed -n "s/^would tune tensor.fill_f32  *size ${s}x1: .*kernel limit \([0-9][0-9]*\))$/\1/p" dry.out)
  check "row $s: times, speed-up >= 1 (best never slower than the default), local 64 and 256 timed where the kernel limit ${lim:-?} takes them, nothing rejected" \
    awk -v r="$row" -v lim="${lim:-0}" 'BEGIN { n = split(r, f, " "); sub(/x$/, "", f[5]);
      fixed_ok = (lim >= 64 ? f[6] > 0 : f[6] == "-") && (lim >= 256 ? f[7] > 0 : f[7] == "-");
      exit !(lim > 0 && n == 9 && f[3] >= 0 && f[4] >= 0 && f[4] <= f[3] && f[5] >= 1 && fixed_ok && f[9] == 0) }'
done
check "geometric-mean line over 2 rows" \
  grep -q '^geometric-mean speed-up of tuned over: heuristic default [0-9.]*x, local 64 [0-9.]*x, local 256 [0-9.]*x (2 rows)$' tune.out
check "says where it saved" grep -qF "saved to $db" tune.out
check "tuning writes the database" [ -s "$db" ]
check "the database is valid JSON in the clnn-tuning format" is_db "$db"
check "the database holds tensor.fill_f32 for buckets 4096 and 1024" \
  sh -c 'jq -e "[.entries[] | select(.kernel == \"tensor.fill_f32\") | .bucket[0]] | sort == [1024, 4096]" "$1" > /dev/null' sh "$db"
check "the saved times are positive" \
  sh -c 'jq -e "[.entries[] | select(.kernel == \"tensor.fill_f32\") | .seconds > 0 and .default_seconds > 0] | all" "$1" > /dev/null' sh "$db"
check "tuning leaves no temp file" no_temp "$work/db"
cp "$db" tuned.json

# ------------------------------------------- --export / --import / --merge
run export --export export.json
show export
n=$(jq '.entries | length' "$db")
check "--export exits 0" [ "$rc" -eq 0 ]
check "--export reports $n entries" grep -qF "exported $n entries to export.json" export.out
check "the export is a valid database" is_db export.json
entries "$db" > want.txt
entries export.json > got.txt 2>/dev/null
check "the database has entries to compare" [ -s want.txt ]
check "the export holds the database's entries" cmp -s want.txt got.txt
check "--export leaves the database byte-identical" cmp -s "$db" tuned.json

mkdir -p db2
db2="$work/db2/tuning.json"
export CLNN_TUNE_DB="$db2"
run import --import export.json
show import
check "--import exits 0" [ "$rc" -eq 0 ]
check "--import reports $n entries" grep -qF "imported $n entries from export.json into $db2" import.out
check "the imported database is valid" is_db "$db2"
entries "$db2" > got.txt 2>/dev/null
check "--import into an empty database gives the same entries" cmp -s want.txt got.txt
check "--import leaves no temp file" no_temp "$work/db2"

run merge --merge merged.json export.json
show merge
check "--merge exits 0" [ "$rc" -eq 0 ]
check "--merge reports $n entries" grep -qF "merged.json now holds $n entries" merge.out
check "the merged database is valid" is_db merged.json
entries merged.json > got.txt 2>/dev/null
check "--merge into a new database gives the same entries" cmp -s want.txt got.txt
check "--merge leaves the user database byte-identical" cmp -s "$db" tuned.json

# corrupt, foreign and missing files are refused; the target keeps its bytes
head -c 200 export.json > truncated.json
printf '{"format":"something-else","version":1,"entries":[]}\n' > foreign.json
printf 'not json at all\n' > garbage.json
cp "$db2" db2.before
cp merged.json merged.before
cp export.json export.before
for f in truncated.json foreign.json garbage.json missing.json; do
  run import_bad --import "$f"
  show import_bad
  check "--import $f exits non-zero" [ "$rc" -ne 0 ]
  check "--import $f says why" grep -qF -- "--import: clnn_tune_db_import: $f is" import_bad.err
  check "--import $f leaves the target byte-identical" cmp -s "$db2" db2.before
  run merge_bad --merge merged.json "$f"
  show merge_bad
  check "--merge $f exits non-zero" [ "$rc" -ne 0 ]
  check "--merge $f says why" grep -qF -- "--merge: clnn_tune_db_merge: $f is not a readable" merge_bad.err
  check "--merge $f leaves the target byte-identical" cmp -s merged.json merged.before
done
check "the refused files leave no temp or .rejected file" \
  sh -c '[ -z "$(find . -name "*.tmp.*" -o -name "*.rejected")" ]'
check "the refused imports and merges changed no other file" \
  sh -c 'cmp -s export.json export.before && cmp -s "$1" tuned.json' sh "$db"
export CLNN_TUNE_DB="$db"
# a corrupt destination is refused too, not overwritten
cp truncated.json dst_corrupt.json
run merge_dst --merge dst_corrupt.json export.json
show merge_dst
check "--merge into a corrupt file exits non-zero" [ "$rc" -ne 0 ]
check "--merge into a corrupt file says why" grep -qF "dst_corrupt.json exists and is not a readable" merge_dst.err
check "--merge into a corrupt file leaves it byte-identical" cmp -s dst_corrupt.json truncated.json

# -------------------------------------------- bad flags and unknown kernels
rm -rf "$work/db3"; mkdir -p "$work/db3"
export CLNN_TUNE_DB="$work/db3/tuning.json"
refuse() { # refuse NAME MESSAGE ARGS...: non-zero exit, MESSAGE on stderr, nothing written
  name="$1"; msg="$2"; shift 2
  run "$name" "$@"
  show "$name"
  check "clnn-tune $* exits non-zero" [ "$rc" -ne 0 ]
  check "clnn-tune $* says '$msg'" grep -qF -- "$msg" "$name.err"
  check "clnn-tune $* prints nothing on stdout" [ ! -s "$name.out" ]
  check "clnn-tune $* writes no database" [ -z "$(ls -A "$work/db3")" ]
}
refuse bogus "unknown option '--bogus'" --bogus
refuse bogus_val "unknown option '--bogus'" --bogus 3 --kernel tensor.copy
refuse nokernel "no tunable kernel matches --kernel tensor.nope" --kernel tensor.nope --sizes 64
refuse nofamily "no tunable kernel matches --kernel (any) --family nofamily" --family nofamily --sizes 64
refuse strategy "unknown strategy 'fastest'" --kernel tensor.copy --strategy fastest
refuse sizes "--sizes wants N or NxM" --kernel tensor.copy --sizes 0
refuse budget "--budget wants a count (20) or seconds (30s)" --kernel tensor.copy --budget -1
refuse repeats "--repeats wants" --kernel tensor.copy --sizes 64 --repeats 0
refuse missing_val "usage: clnn-tune" --kernel
# values that used to be taken as something else (--dry-run: the old tool went on and printed its plan)
refuse seed_word "--seed wants a whole number in 0..18446744073709551615, not 'banana'" \
  --kernel tensor.copy --seed banana --dry-run
refuse seed_negative "--seed wants a whole number" --kernel tensor.copy --seed -1 --dry-run
refuse budget_huge "--budget wants a count (20) or seconds (30s): a whole count of 1..1000000" \
  --kernel tensor.copy --budget 1e30 --dry-run
refuse budget_nan "--budget wants a count (20) or seconds (30s)" --kernel tensor.copy --budget nan --dry-run
refuse budget_fraction "--budget wants a count (20) or seconds (30s)" --kernel tensor.copy --budget 2.5 --dry-run
refuse sizes_17 "--sizes takes at most 16 sizes" \
  --kernel tensor.copy --sizes 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 --dry-run
refuse sizes_range "--sizes wants N or NxM" --kernel tensor.copy --sizes 99999999999999999999999 --dry-run

# ------------------------------ the database path holds something else
# (docs/tuning.md, "File rules"); a FIFO must not block: timeout turns a
# hang into exit status 124
trun() { name="$1"; shift; timeout 60 "$tune" "$@" > "$name.out" 2> "$name.err"; rc=$?; }
refused_in_time() { [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; }
mkdir -p "$work/odd/d"; echo "the user's notes" > "$work/odd/d/notes"
export CLNN_TUNE_DB="$work/odd/d"
trun odd_dir --import tuned.json
show odd_dir
check "--import into a directory at the database path exits non-zero" refused_in_time
check "it says the path is a directory" grep -qF "$work/odd/d is a directory, not a regular file" odd_dir.err
check "the directory and its contents stay" [ -f "$work/odd/d/notes" ]
check "nothing renamed aside" [ -z "$(ls "$work/odd" | grep -v '^d$')" ]
mkfifo "$work/odd/fifo"
export CLNN_TUNE_DB="$work/odd/fifo"
trun odd_fifo --import tuned.json
show odd_fifo
check "--import into a FIFO at the database path exits non-zero without blocking" refused_in_time
check "it says the path is a FIFO" grep -qF "a FIFO, not a regular file" odd_fifo.err
check "the FIFO stays" [ -p "$work/odd/fifo" ]
export CLNN_TUNE_DB="$work/odd/db.json"
trun odd_src --import "$work/odd/fifo"
show odd_src
check "--import from a FIFO exits non-zero without blocking" refused_in_time
check "it says the source is a FIFO" grep -qF -- "--import: clnn_tune_db_import: $work/odd/fifo is a FIFO" odd_src.err
# a path longer than the 1024 bytes the tool and library once cut it to
long="$work/odd"
while [ "${#long}" -lt 1100 ]; do long="$long/abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"; done
mkdir -p "$long"
export CLNN_TUNE_DB="$long/tuning.json"
trun odd_long --import tuned.json
show odd_long > /dev/null
check "--import into a ${#long}-character path exits 0" [ "$rc" -eq 0 ]
check "the database is written at the whole path" is_db "$long/tuning.json"
check "the tool names the whole path" grep -qF "into $long/tuning.json" odd_long.out

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
