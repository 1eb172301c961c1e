#!/usr/bin/env bash
# Runs a command with Mesa's rusticl (device llvmpipe) as the only OpenCL
# implementation, leaving the system's /etc/OpenCL/vendors alone: the ICD
# loader is pointed at a vendors directory of our own that names only
# rusticl's library. Needs Debian's mesa-opencl-icd (scripts/setup.sh).
#   usage: scripts/with-rusticl.sh COMMAND [ARGS...]
#   e.g.   scripts/with-rusticl.sh ctest --test-dir build -LE oclgrind
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
lib=libRusticlOpenCL.so.1
if ! ldconfig -p 2>/dev/null | grep -q "$lib"; then
  echo "with-rusticl: $lib not found (apt-get install mesa-opencl-icd)" >&2
  exit 1
fi
vendors="${XDG_CACHE_HOME:-$HOME/.cache}/clnn/rusticl-vendors"
mkdir -p "$vendors"
echo "$lib" > "$vendors/rusticl.icd"
export OCL_ICD_VENDORS="$vendors" RUSTICL_ENABLE=llvmpipe
exec "$@"
