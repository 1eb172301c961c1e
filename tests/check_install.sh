#!/bin/sh
# Installs the build tree into a temporary prefix and builds a tiny program
# against it twice: with pkg-config and with CMake's find_package(clnn).
# When the build has libclnn_mpi, an MPI program too, both ways
# (pkg-config clnn_mpi, find_package(clnn_mpi)); without it, no clnn/mpi.h
# is installed. The installed tools run from the prefix with no
# LD_LIBRARY_PATH (their RPATH finds libclnn). Given PYTHON (the python3 the
# package was installed for), the installed clnn package runs a loss with
# that prefix's libclnn, and an install into $HOME/.local (a HOME of its
# own) is found by that python3 with no PYTHONPATH.
#   usage: check_install.sh BUILD CONSUMER WORK [PYTHON]
set -eu
build="$1"; consumer="$2"; work="$3"; python="${4:-}"
rm -rf "$work"; mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
test -f "$prefix/include/clnn/clnn.h"
lib=$(find "$prefix" -name 'libclnn.so.0' | head -n1); test -n "$lib"
libdir=$(dirname "$lib")
test -f "$libdir/pkgconfig/clnn.pc"
test -f "$libdir/cmake/clnn/clnnConfig.cmake"
mpi=0
if [ -e "$libdir/libclnn_mpi.so.0" ]; then
  mpi=1
  test -f "$prefix/include/clnn/mpi.h"
  test -f "$libdir/pkgconfig/clnn_mpi.pc"
  test -f "$libdir/cmake/clnn_mpi/clnn_mpiConfig.cmake"
else
  test ! -e "$prefix/include/clnn/mpi.h"
fi

# pkg-config (the .pc files were generated for the configured prefix; point them here)
for pc in clnn clnn_mpi; do
  [ -f "$libdir/pkgconfig/$pc.pc" ] || continue
  sed "s|^prefix=.*|prefix=$prefix|; s|^libdir=.*|libdir=$libdir|; s|^includedir=.*|includedir=$prefix/include|" \
      "$libdir/pkgconfig/$pc.pc" > "$work/$pc.pc"
done
cc "$consumer/consumer.c" -o "$work/consumer-pc" $(PKG_CONFIG_PATH="$work" pkg-config --cflags --libs clnn)
LD_LIBRARY_PATH="$libdir" "$work/consumer-pc"
if [ "$mpi" -eq 1 ]; then
  cc "$consumer/consumer_mpi.c" -o "$work/consumer_mpi-pc" $(PKG_CONFIG_PATH="$work" pkg-config --cflags --libs clnn_mpi)
  LD_LIBRARY_PATH="$libdir" "$work/consumer_mpi-pc"
fi

# CMake packages
cmake -S "$consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_MPI=$([ "$mpi" -eq 1 ] && echo ON || echo OFF) >"$work/cmake.log"
cmake --build "$work/cmake-build" >>"$work/cmake.log"
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer"
[ "$mpi" -eq 0 ] || LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer_mpi"

# the installed tools, from the prefix, without LD_LIBRARY_PATH
for tool in clnn-info clnn-tune clnn-bench; do
  readelf -d "$prefix/bin/$tool" | grep -q 'R.*PATH.*\$ORIGIN/\.\./' || { echo "FAIL: $tool has no \$ORIGIN RPATH"; exit 1; }
done
env -u LD_LIBRARY_PATH "$prefix/bin/clnn-info" > "$work/clnn-info.log"
env -u LD_LIBRARY_PATH "$prefix/bin/clnn-tune" --list > "$work/clnn-tune.log"
grep -q "softmax" "$work/clnn-tune.log"
passed=$((3 + 2 * mpi))

# the Python package: installed under the prefix, using that prefix's libclnn
if [ -n "$python" ]; then
  init=$(find "$prefix" -path '*/clnn/_install.py' | head -n1)
  test -n "$init" || { echo "FAIL: no clnn Python package under $prefix"; exit 1; }
  site=$(dirname "$(dirname "$init")")
  check='import clnn, os, sys, numpy as np
assert os.path.realpath(clnn.library_path) == os.path.realpath(sys.argv[1]), (clnn.library_path, sys.argv[1])
with clnn.Context() as ctx:
    v = clnn.loss_and_grad(ctx, "z_loss", np.zeros((2, 4), np.float32), coef=1.0, reduction="sum", grads=False)
assert abs(v - 2 * np.log(4) ** 2) < 1e-4, v  # two rows of (log 4)^2'
  env -u LD_LIBRARY_PATH -u CLNN_LIBRARY PYTHONPATH="$site" "$python" -c "$check" "$libdir/libclnn.so.0"
  # python3's user site: $HOME/.local, found without PYTHONPATH
  home="$work/home"
  HOME="$home" cmake --install "$build" --prefix "$home/.local" >"$work/install-home.log"
  found=$(cd / && env -u PYTHONPATH -u CLNN_LIBRARY -u LD_LIBRARY_PATH HOME="$home" PYTHONUSERBASE="$home/.local" \
          "$python" -c 'import clnn; print(clnn.__file__)')
  case "$found" in "$home/.local/"*) ;; *) echo "FAIL: python3 found clnn at $found, not under $home/.local"; exit 1;; esac
  passed=$((passed + 2))
fi
echo "$passed passed, 0 failed"
