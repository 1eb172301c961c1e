#!/bin/sh
# The shared library exports only clnn_* functions (clnn_mpi_* for
# libclnn_mpi) and carries its SONAME (default libclnn.so.0).
#   usage: check_exports.sh LIB [SONAME [PREFIX]]
lib="$1"; want=${2:-libclnn.so.0}; prefix=${3:-clnn_}
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v "^$prefix" | grep -Ev '^CLNN(_MPI)?_0$')
if [ -n "$bad" ]; then echo "symbols other than $prefix* exported:"; echo "$bad"; exit 1; fi
count=$(nm -D --defined-only "$lib" | awk '$2 == "T"' | grep -c " $prefix")
soname=$(readelf -d "$lib" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "$want" ] || { echo "SONAME is '$soname', expected '$want'"; exit 1; }
echo "exports: $count $prefix* functions, SONAME $soname"
echo "1 passed, 0 failed"
