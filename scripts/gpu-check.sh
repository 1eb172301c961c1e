#!/usr/bin/env bash
# Checks clnn on one OpenCL device, for a machine with a GPU (or any device:
# --device selects it), and writes a report: REPORT_DIR/gpu-check.md and
# REPORT_DIR/gpu-check.json, with each step's log beside them.
#
# Steps: the build (skipped with --no-build, e.g. where a build was carried
# in), clnn-info, building every kernel program (cold, then from clnn's
# binary cache), the test suite on the device (ctest without the Oclgrind
# and limits labels), tuning the MLP sample's kernels on first use (CLNN_TUNE=on, as the
# main job does; needs Fashion-MNIST: --data DIR or the Debian package), and
# clnn-bench --quick (copy bandwidth, tuned vs default, every group).
#
# Nothing here asserts a speed; a step that fails is reported and the next
# one still runs. Exit status: 0 when every step passed.
#
#   usage: scripts/gpu-check.sh [--device SEL] [--build-dir DIR] [--out REPORT_DIR]
#                               [--data DIR] [--no-build] [--jobs N] [--test-timeout S] [--tests REGEX]
#   --tests REGEX runs only the matching tests (ctest -R), for a short check
set -uo pipefail
cd "$(dirname "$0")/.."

device=gpu build=build out="${OUT:-gpu-check}" data="" do_build=1 jobs=$(nproc 2>/dev/null || echo 2)
test_timeout=600 tests_regex=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --test-timeout) test_timeout=$2; shift 2 ;;
    --tests) tests_regex=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
export CLNN_DEVICE="$device"
# a private tuning database and binary cache: the report measures this run only
export CLNN_TUNE_DB="$out/tune.json" CLNN_CACHE_DIR="$out/kernel-cache"
rm -rf "$CLNN_TUNE_DB" "$CLNN_CACHE_DIR"

steps=()      # "name|status|seconds|summary"
failed=0
run_step() {  # run_step NAME SUMMARY_FUNCTION COMMAND...: logs to $out/NAME.log
  local name=$1 summarize=$2; shift 2
  local t0=$(date +%s) status=passed
  echo "gpu-check: $name" >&2
  if ! "$@" >"$out/$name.log" 2>&1; then status=failed; failed=1; fi
  local secs=$(( $(date +%s) - t0 ))
  steps+=("$name|$status|$secs|$($summarize "$out/$name.log")")
}
tail_line() { tail -n 1 "$1" | tr -d '|' | cut -c1-200; }
ctest_line() { grep -E 'tests passed|tests failed' "$1" | tail -n 1 | tr -d '|'; }

build_step() {
  command -v cmake >/dev/null || { echo "cmake not found: build elsewhere and pass --no-build"; return 1; }
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build "$build" -j"$jobs"
}
if [ $do_build -eq 1 ]; then run_step build tail_line build_step; fi
[ -x "$build/tools/clnn-info" ] || { echo "gpu-check: no $build/tools/clnn-info (build first)" >&2; exit 1; }

run_step clnn-info tail_line "$build/tools/clnn-info"
"$build/tools/clnn-info" --json >"$out/clnn-info.json" 2>/dev/null
run_step build-all-cold tail_line "$build/tools/clnn-info" --build-all
run_step build-all-cached tail_line "$build/tools/clnn-info" --build-all
# Without ctest (a machine with no CMake), every test program runs directly,
# each with a private cache and tuning database, as ctest would.
direct_tests() {
  local pass=0 fail=0 t name failed_list=""
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    [ -n "$tests_regex" ] && ! [[ $name =~ $tests_regex ]] && continue
    if CLNN_CACHE_DIR="$out/test-cache/$name" CLNN_TUNE_DB="$out/test-tune/$name.json" \
         timeout "$test_timeout" "$t" >"$out/test-$name.log" 2>&1; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1)); failed_list+="    $fail - $name (Failed)"$'\n'
    fi
  done
  [ $fail -gt 0 ] && printf 'The following tests FAILED:\n%s' "$failed_list"
  echo "$((100 * pass / (pass + fail > 0 ? pass + fail : 1)))% tests passed, $fail tests failed out of $((pass + fail)) (run directly: no ctest)"
  [ $fail -eq 0 ]
}
if command -v ctest >/dev/null; then
  # Not the Oclgrind label (a simulator, not this device), nor the limits
  # label: its shim makes every device report itself a GPU, which a type
  # selector such as --device cpu then no longer matches.
  ctest_filter=(-LE 'oclgrind|limits')
  [ -n "$tests_regex" ] && ctest_filter+=(-R "$tests_regex")
  run_step tests ctest_line ctest --test-dir "$build" "${ctest_filter[@]}" -j"$jobs" --timeout "$test_timeout" \
    --output-on-failure
else
  run_step tests ctest_line direct_tests
fi

tune_step() {
  local args=(--epochs 1 --train-limit 1024 --test-limit 1024 --quiet --csv "$out/tuning.csv")
  [ -n "$data" ] && args+=(--data "$data")
  CLNN_TUNE=on "$build/samples/fashion_mlp" "${args[@]}" && "$build/tools/clnn-tune" --export "$out/tuned.json" &&
    echo "tuning database entries: $(grep -c '"kernel"' "$out/tuned.json")"
}
run_step tune-mlp tail_line tune_step
run_step bench tail_line "$build/tools/clnn-bench" --quick --json "$out/bench.json"

# ------------------------------------------------------------------ report
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037')"; }
selected_info() {  # the selected device's object from clnn-info --json, flattened to one line
  tr -d '\n' <"$out/clnn-info.json" | grep -o '{[^{}]*"selected":[[:space:]]*true[^{}]*}' | head -n 1
}
sel=$(selected_info)
json_get() {  # json_get KEY TEXT: the first string value of KEY in TEXT
  printf '%s' "$2" | grep -o "\"$1\":[[:space:]]*\"[^\"]*\"" | head -n 1 | sed 's/^"[^"]*":[[:space:]]*"\(.*\)"$/\1/'
}
dev_name=$(json_get name "$sel")
dev_driver=$(json_get driver_version "$sel")
dev_platform=$(json_get platform_name "$sel")
dev_type=$(json_get type "$sel")
bench_value() {  # bench_value GROUP NAME_PREFIX: the value of the first matching row of bench.json
  tr -d '\n' <"$out/bench.json" 2>/dev/null | grep -o "{[^{}]*\"group\":[[:space:]]*\"$1\"[^{}]*}" |
    grep "\"name\":[[:space:]]*\"$2" | head -n 1 | grep -o '"value":[[:space:]]*[0-9.eE+-]*' | sed 's/.*:[[:space:]]*//'
}
copy_gbps=$(bench_value copy "copy kernel")
enqueue_gbps=$(bench_value copy "clEnqueueCopyBuffer")
tune_geomean=$(bench_value tune "geometric mean")
programs=$(grep -o 'built [0-9]* programs' "$out/build-all-cold.log" 2>/dev/null | grep -o '[0-9]*')
cold_s=$(grep -o 'in [0-9.]* s' "$out/build-all-cold.log" 2>/dev/null | grep -o '[0-9.]*')
cached_s=$(grep -o 'in [0-9.]* s' "$out/build-all-cached.log" 2>/dev/null | grep -o '[0-9.]*')
round3() { [ -n "$1" ] && LC_ALL=C printf '%.3g' "$1"; }  # for the markdown; the JSON keeps every digit
tests_line=$(ctest_line "$out/tests.log")
failing=$(sed -n '/The following tests FAILED/,$p' "$out/tests.log" 2>/dev/null | grep -E '^[[:space:]]+[0-9]+ - ' |
  sed 's/^[[:space:]]*[0-9]* - //' | tr '\n' ';')

{
  echo "# clnn gpu-check: ${dev_name:-unknown device}"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), clnn $(git describe --always --dirty 2>/dev/null || echo '?'), CLNN_DEVICE=$device"
  echo
  echo "| device | platform | driver | type | tests | programs built (cold / cached s) | copy GB/s | tuned/default |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  echo "| ${dev_name:-?} | ${dev_platform:-?} | ${dev_driver:-?} | ${dev_type:-?} | ${tests_line:-not run} |" \
       "${programs:-?} (${cold_s:-?} / ${cached_s:-?}) | $(round3 "$copy_gbps") (enqueue copy $(round3 "$enqueue_gbps")) |" \
       "$(round3 "$tune_geomean")x |"
  echo
  [ -n "$failing" ] && { echo "Failing tests: ${failing//;/ }"; echo; }
  echo "| step | status | seconds | summary |"
  echo "| --- | --- | --- | --- |"
  for s in "${steps[@]}"; do IFS='|' read -r n st secs sum <<<"$s"; echo "| $n | $st | $secs | $sum |"; done
  echo
  echo "Logs beside this file; clnn-bench's rows in bench.json, the device in clnn-info.json."
} >"$out/gpu-check.md"

{
  echo "{"
  echo "  \"device\": $(json_string "${dev_name:-}"), \"platform\": $(json_string "${dev_platform:-}"),"
  echo "  \"driver\": $(json_string "${dev_driver:-}"), \"type\": $(json_string "${dev_type:-}"),"
  echo "  \"selector\": $(json_string "$device"), \"tests\": $(json_string "${tests_line:-}"),"
  echo "  \"failing_tests\": $(json_string "${failing:-}"),"
  echo "  \"programs_built\": ${programs:-null}, \"build_all_cold_s\": ${cold_s:-null}, \"build_all_cached_s\": ${cached_s:-null},"
  echo "  \"copy_kernel_gbps\": ${copy_gbps:-null}, \"enqueue_copy_gbps\": ${enqueue_gbps:-null},"
  echo "  \"tuned_over_default_geomean\": ${tune_geomean:-null},"
  echo "  \"steps\": ["
  n=${#steps[@]} i=0
  for s in "${steps[@]}"; do
    IFS='|' read -r name st secs sum <<<"$s"; i=$((i + 1))
    echo "    {\"name\": $(json_string "$name"), \"status\": $(json_string "$st"), \"seconds\": $secs, \"summary\": $(json_string "$sum")}$([ $i -lt $n ] && echo ,)"
  done
  echo "  ]"
  echo "}"
} >"$out/gpu-check.json"

cat "$out/gpu-check.md"
exit $failed
