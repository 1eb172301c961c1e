#!/usr/bin/env bash
# Runs a command with Mesa's rusticl (device llvmpipe) as the only OpenCL
# implementation, /etc/OpenCL/vendors left alone (scripts/with-icd.sh).
# Needs Debian's mesa-opencl-icd (scripts/setup.sh).
#   usage: scripts/with-rusticl.sh COMMAND [ARGS...]
#   e.g.   scripts/with-rusticl.sh ctest --test-dir build -LE oclgrind
exec "$(dirname "$0")/with-icd.sh" rusticl "$@"
