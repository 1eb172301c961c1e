#!/bin/sh
# Installs the build tree into a temporary prefix and builds a tiny program
# against it twice: with pkg-config and with CMake's find_package(clnn).
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

# pkg-config (the .pc was generated for the configured prefix; point it here)
sed "s|^prefix=.*|prefix=$prefix|; s|^libdir=.*|libdir=$libdir|; s|^includedir=.*|includedir=$prefix/include|" \
    "$libdir/pkgconfig/clnn.pc" > "$work/clnn.pc"
cc "$consumer/consumer.c" -o "$work/consumer-pc" $(PKG_CONFIG_PATH="$work" pkg-config --cflags --libs clnn)
LD_LIBRARY_PATH="$libdir" "$work/consumer-pc"

# CMake package
cmake -S "$consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log"
cmake --build "$work/cmake-build" >>"$work/cmake.log"
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer"
echo "2 passed, 0 failed"
