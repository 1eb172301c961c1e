#!/usr/bin/env bash
# Installs clnn's build and runtime dependencies (Debian 12, as root or with
# sudo) and builds clnn into build/ with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
          libclblast-dev libcjson-dev libxxhash-dev zlib1g-dev dataset-fashion-mnist gnuplot-nox jq
          oclgrind valgrind clang libclang-rt-14-dev     # reliability checks: docs/reliability.md
          mesa-opencl-icd clang-15                         # portability: rusticl, offline compiles (docs/portability.md)
          libopenmpi-dev openmpi-bin                       # libclnn_mpi, fashion_mlp --mpi (docs/distributed.md)
          python3 python3-numpy python3-pytest python3-torch python3-pyopencl)  # the Python package (docs/python.md)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLNN_WERROR=ON
cmake --build build -j"$(nproc)"
