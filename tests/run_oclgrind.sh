#!/bin/sh
# Runs one test program on the Oclgrind simulator with its checks for
# out-of-bounds accesses, data races, uninitialized values and API misuse, in
# small-shapes mode, and fails on any finding.
#
#   usage: run_oclgrind.sh ICD_FILE KEEPALIVE_SHIM TEST_PROGRAM [ARGS...]
#
# ICD_FILE: an .icd file naming Oclgrind's ICD library; the OpenCL loader is
# pointed at it alone (OCL_ICD_VENDORS), so Oclgrind is the only device, and
# its checks are switched on through its OCLGRIND_* variables. (Not the
# `oclgrind` launcher: it LD_PRELOADs its runtime in front of everything, so
# the shim below could not interpose.) KEEPALIVE_SHIM: see
# tests/oclgrind_keepalive.c (works around a false positive of Oclgrind 21.10).
#
# Oclgrind exits 0 even when it found errors, so its output is parsed
# (not its --log file: Oclgrind reopens that, truncating it, for every
# OpenCL context, so a test with several contexts loses earlier findings):
#   - every kernel diagnostic (invalid read/write, data race, uninitialized
#     value, divergence, ...) carries a "<TAB>Kernel: <name>" line: a finding;
#   - every "Oclgrind - OpenCL runtime error detected" block
#     is an API finding, unless the test announced it beforehand with a line
#     "EXPECT-OCLGRIND-API-ERROR <function> <error>" (test_expect_api_error()
#     in tests/check.c), one line per expected error -- e.g. the deliberately
#     broken kernel in test_cache.c;
#   - any other line beginning with "Oclgrind" is a finding too.
set -u
icd=$1
shim=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/clnn-oclgrind.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# CLNN_DEVICE=oclgrind: if the loader did not find the simulator, selecting
# the device fails instead of the test quietly running on another one.
OCL_ICD_VENDORS=$icd OCLGRIND_CHECK_API=1 OCLGRIND_DATA_RACES=1 OCLGRIND_UNINITIALIZED=1 \
    LD_PRELOAD=$shim CLNN_TEST_SMALL=1 CLNN_DEVICE=oclgrind "$@" >"$work/out" 2>&1
rc=$?
cat "$work/out"

status=0

# API errors: pair each reported (function, error) with an announced one.
awk '
    /^EXPECT-OCLGRIND-API-ERROR / { expected[$2 " " $3]++; next }
    /^\tKernel: / {
        kind = message; sub(/ (at|to) .*0x[0-9a-f]+.*/, "", kind)
        if (!(($2 ": " kind) in kernel)) order[++m] = $2 ": " kind
        kernel[$2 ": " kind]++; bad = 1; next
    }
    NF { message = $0 }
    /^Oclgrind - OpenCL runtime error detected/ { in_block = 1; fn = ""; next }
    in_block && $1 == "Function:" { fn = $2; next }
    in_block && $1 == "Error:" { reported[++n] = fn " " $2; in_block = 0; next }
    /^Oclgrind/ { print "oclgrind: finding: " $0; bad = 1 }
    END {
        for (i = 1; i <= m; i++) print "oclgrind: kernel finding: " order[i] " (" kernel[order[i]] "x)"
        for (i = 1; i <= n; i++) {
            if (expected[reported[i]] > 0) { expected[reported[i]]--; continue }
            print "oclgrind: unexpected API error: " reported[i]; bad = 1
        }
        for (k in expected) if (expected[k] > 0) { print "oclgrind: announced API error did not happen: " k; bad = 1 }
        exit bad
    }' "$work/out" || status=1

if [ "$rc" -ne 0 ]; then
    echo "oclgrind: test exited with status $rc"
    status=1
fi
[ "$status" -eq 0 ] && echo "oclgrind: no findings"
exit "$status"
