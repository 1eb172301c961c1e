#!/bin/sh
# Installs the build tree into a temporary prefix and builds a tiny program
# against it twice: with pkg-config and with CMake's find_package(clnn).
# When the build has libclnn_mpi, an MPI program too, both ways
# (pkg-config clnn_mpi, find_package(clnn_mpi)); without it, no clnn/mpi.h
# is installed.
set -eu
build="$1"; consumer="$2"; work="$3"
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
echo "$((2 + 2 * mpi)) passed, 0 failed"
