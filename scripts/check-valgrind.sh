#!/usr/bin/env bash
# valgrind memcheck over the tools: clnn-info and clnn-bench --quick must show
# no memory error and no leak from clnn's own code. Leaks allocated inside
# the OpenCL runtime (PoCL, LLVM, the ICD loader, ld.so) are suppressed by
# tests/sanitizers/valgrind.supp, which explains each entry.
#   usage: scripts/check-valgrind.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
command -v valgrind >/dev/null || { echo "check-valgrind: valgrind not installed (apt-get install valgrind)"; exit 1; }
# Kernels built under valgrind are cached here between runs (PoCL reports a
# different CPU under valgrind, so the normal cache does not apply).
export CLNN_CACHE_DIR=${CLNN_CACHE_DIR:-$PWD/$build/cache/valgrind}
status=0
# PoCL alone: Mesa's OpenCL libraries (mesa-opencl-icd) are not clnn's to check
icd_only=()
[ -f /etc/OpenCL/vendors/pocl.icd ] && icd_only=(scripts/with-icd.sh pocl)
# clnn-bench runs only its copy group: under valgrind every kernel PoCL compiles
# costs about a minute (LLVM runs under valgrind too), and the group exercises
# clnn's own context, program cache, tensors and profiler.
for tool in "clnn-info" "clnn-bench --quick --repeats 2 --only copy"; do
    log=$(mktemp)
    start=$(date +%s)
    # shellcheck disable=SC2086
    if "${icd_only[@]}" valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
            --suppressions=tests/sanitizers/valgrind.supp --num-callers=30 \
            "$build"/tools/$tool >"$log" 2>&1; then
        echo "check-valgrind: $tool: clean ($(grep -o 'suppressed: [0-9,]* bytes in [0-9,]* blocks' "$log" | head -1) in the OpenCL runtime), $(( $(date +%s) - start )) s"
    else
        cat "$log"
        echo "check-valgrind: $tool: FAILED (see the valgrind report above)"
        status=1
    fi
    rm -f "$log"
done
exit $status
