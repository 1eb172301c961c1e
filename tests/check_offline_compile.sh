#!/bin/sh
# Compiles every kernel program offline with clang, the way vendor compilers
# see it, for spir64 and nvptx64 (and amdgcn where this clang has it), at -O0
# and -O2 with -cl-std=CL1.2. Fails on any compile error and on any call to a
# function that has no body: a helper declared plain `inline` gets no
# out-of-line body under OpenCL C's C99 rules, PoCL (-Dinline=) and Oclgrind
# (gnu89) hide that, and real drivers then fail with "unsupported call".
#
# The sources are what the runtime compiles: libclnn writes each program it
# builds, includes spliced and with its full build options, to
# CLNN_PROGRAM_DUMP. `clnn-info --build-all` gives every program with its
# default options; one small clnn-tune pass over every tunable kernel gives
# the options launches use (activation and optimizer variants, reduction
# terms, work-per-thread and vector-width parameters).
#
# usage: check_offline_compile.sh CLNN_INFO CLNN_TUNE WORKDIR
set -eu
info=$1 tune=$2 work=$3

clang=""
for c in clang-15 clang-16 clang-17 clang; do
  command -v "$c" >/dev/null 2>&1 && { clang=$c; break; }
done
if [ -z "$clang" ]; then
  echo "SKIP: no clang found (apt-get install clang-15)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work/dump" "$work/ir"
export CLNN_PROGRAM_DUMP="$work/dump" CLNN_CACHE_DIR=off CLNN_TUNE_DB="$work/tune.json"
"$info" --build-all
"$tune" --sizes 64x8 --budget 1 --repeats 1 --no-save >"$work/tune.log" 2>&1 || {
  cat "$work/tune.log"
  echo "FAIL: clnn-tune over every kernel failed"
  exit 1
}
programs=$(ls "$work/dump" | wc -l)
echo "$programs program builds captured ($(grep -h '^// clnn-program:' "$work"/dump/*.cl | sort -u | wc -l) programs)"
[ "$programs" -ge 37 ] || { echo "FAIL: expected every program at least once"; exit 1; }

# One compile: prints "FAIL ..." lines for errors and body-less calls.
cat >"$work/compile_one.sh" <<'EOF'
#!/bin/sh
clang=$1 target=$2 opt=$3 src=$4 ir=$5
opts=$(sed -n 2p "$src" | sed 's,^// clnn-options: ,,')
# shellcheck disable=SC2086 # the options are a list of flags
if ! $clang -x cl $opts -Xclang -finclude-default-header $target $opt -S -emit-llvm -o "$ir" "$src" \
     2>"$ir.err"; then
  echo "FAIL $(sed -n 1p "$src" | sed 's,^// clnn-program: ,,') ($opts) $target $opt: compile error:"
  head -n 20 "$ir.err"
  exit 0
fi
# OpenCL builtins are overloaded (mangled _Z...) and LLVM intrinsics start
# with llvm.; any other declared function is a call without a body.
missing=$(grep '^declare' "$ir" | grep -v '@_Z' | grep -v '@llvm\.' | sed 's/.*@\([A-Za-z0-9_.$]*\)(.*/\1/' | tr '\n' ' ')
[ -z "$missing" ] || echo "FAIL $(sed -n 1p "$src" | sed 's,^// clnn-program: ,,') ($opts) $target $opt: calls without a body: $missing"
rm -f "$ir" "$ir.err"
EOF

targets="-target|spir64 -target|nvptx64-nvidia-nvcl"
probe="$work/probe.cl"
echo "kernel void k(global float *x) { x[0] = 1.0f; }" >"$probe"
if $clang -x cl -cl-std=CL1.2 -target amdgcn-amd-amdhsa -mcpu=gfx906 -nogpulib -S -emit-llvm \
     -o /dev/null "$probe" 2>/dev/null; then
  targets="$targets -target|amdgcn-amd-amdhsa|-mcpu=gfx906|-nogpulib"
else
  echo "note: $clang has no amdgcn target; compiling for spir64 and nvptx64 only"
fi

jobs=$(nproc 2>/dev/null || echo 2)
status=0
for t in $targets; do
  target=$(echo "$t" | tr '|' ' ')
  for opt in -O0 -O2; do
    ls "$work/dump" | xargs -P "$jobs" -I{} sh "$work/compile_one.sh" "$clang" "$target" "$opt" \
      "$work/dump/{}" "$work/ir/{}.ll" >"$work/result.txt"
    fails=$(grep -c '^FAIL' "$work/result.txt" || true)
    echo "$clang $target $opt: $programs program builds, $fails failing"
    if [ "$fails" -gt 0 ]; then
      cat "$work/result.txt"
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "offline compile: every program compiles with a body for every call"
exit $status
