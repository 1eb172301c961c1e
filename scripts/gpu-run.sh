#!/usr/bin/env bash
# The device side of scripts/gpu-prepare.sh, on a lent GPU machine: installs
# the carried runtime libraries, makes sure the ICD loader finds NVIDIA's
# OpenCL library, then runs scripts/gpu-check.sh on the carried build and
# writes its report to $OUT (or gpu-check/). Not yet proven on such a
# machine: docs/gpu.md says what worked.
set -uo pipefail
cd "$(dirname "$0")/.."
for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
if ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  lib=$(ldconfig -p | grep -o '/[^ ]*libnvidia-opencl\.so\.1' | head -n 1)
  [ -z "$lib" ] && lib=$(find / -name 'libnvidia-opencl.so.1' 2>/dev/null | head -n 1)
  if [ -n "$lib" ]; then
    mkdir -p /etc/OpenCL/vendors && echo "$lib" >/etc/OpenCL/vendors/nvidia.icd
    echo "gpu-run: registered $lib"
  else
    echo "gpu-run: no libnvidia-opencl.so.1 found"
  fi
fi
nvidia-smi -L 2>/dev/null
bash scripts/gpu-check.sh --no-build --build-dir build-gpu --data .gpu/fashion --out "${OUT:-gpu-check}" "$@"
