#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang into
# build-fuzz/ and runs each for a bounded time on its seed corpus
# tests/fuzz/corpus/<name>/. New inputs go to build-fuzz/corpus/<name>/ (the
# repository's seeds stay as they are); a crash stops with the input saved
# under build-fuzz/artifacts/<name>/ -- fix the bug, then add that input to
# tests/fuzz/corpus/<name>/ so every later run replays it.
#   usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 45)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
command -v clang >/dev/null || { echo "fuzz: clang not installed (apt-get install clang libclang-rt-14-dev)"; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLNN_FUZZ=ON \
      -DCLNN_BUILD_TESTS=OFF -DCLNN_BUILD_TOOLS=OFF -DCLNN_BUILD_SAMPLES=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target clnn_fuzzers >/dev/null
# Leaks inside the OpenCL runtime are not clnn's (see the file); clnn's own still fail.
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
# PoCL alone: Mesa's OpenCL libraries (mesa-opencl-icd) keep allocations
# from code LeakSanitizer cannot name (scripts/with-icd.sh)
icd_only=()
[ -f /etc/OpenCL/vendors/pocl.icd ] && icd_only=(scripts/with-icd.sh pocl)
for bin in build-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    target=$(basename "$bin")
    name=${target#fuzz_}
    seeds=tests/fuzz/corpus/$name
    work=build-fuzz/corpus/$name
    artifacts=build-fuzz/artifacts/$name
    mkdir -p "$work" "$artifacts" "$seeds"
    log=$(mktemp)
    # -malloc_limit_mb: one allocation above 256 MiB is a finding (a corrupt
    # file or shape must not make clnn allocate that much).
    if "${icd_only[@]}" "$bin" -max_total_time="$seconds" -timeout=30 -malloc_limit_mb=256 -rss_limit_mb=2560 \
            -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz: $name: ${runs:-?} inputs in ${seconds} s (${rate:-?}/s), $(ls "$work" | wc -l) corpus entries, no crash"
    else
        grep -v '^#[0-9]' "$log" | tail -60
        echo "fuzz: $name: FAILED; the input is in $artifacts/"
        status=1
    fi
    rm -f "$log"
done
exit $status
