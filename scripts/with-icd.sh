#!/usr/bin/env bash
# Runs a command with one installed OpenCL implementation as the only one the
# ICD loader sees, leaving the system's /etc/OpenCL/vendors alone: the
# loader is pointed at a vendors directory of our own holding a copy of that
# implementation's .icd file.
#   usage: scripts/with-icd.sh pocl|rusticl COMMAND [ARGS...]
#   rusticl: Mesa's rusticl with its llvmpipe device (RUSTICL_ENABLE=llvmpipe)
#   pocl:    PoCL alone, e.g. for the sanitizer and valgrind runs, which
#            should not load Mesa's libraries (they keep allocations LeakSanitizer reports)
set -euo pipefail
[ $# -gt 1 ] || { echo "usage: $0 pocl|rusticl COMMAND [ARGS...]" >&2; exit 2; }
name=$1
shift
icd=/etc/OpenCL/vendors/$name.icd
if [ ! -f "$icd" ]; then
  echo "with-icd: $icd not found (apt-get install ${name/rusticl/mesa}-opencl-icd)" >&2
  exit 1
fi
vendors="${XDG_CACHE_HOME:-$HOME/.cache}/clnn/vendors-$name"
mkdir -p "$vendors"
cp "$icd" "$vendors/$name.icd"
export OCL_ICD_VENDORS="$vendors"
[ "$name" = rusticl ] && export RUSTICL_ENABLE=llvmpipe
exec "$@"
