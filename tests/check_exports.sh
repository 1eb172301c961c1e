#!/bin/sh
# The shared library exports only clnn_* functions and carries SONAME libclnn.so.0.
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^clnn_' | grep -v '^CLNN_0$')
if [ -n "$bad" ]; then echo "non-clnn symbols exported:"; echo "$bad"; exit 1; fi
count=$(nm -D --defined-only "$lib" | awk '$2 == "T"' | grep -c ' clnn_')
soname=$(readelf -d "$lib" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libclnn.so.0" ] || { echo "SONAME is '$soname'"; exit 1; }
echo "exports: $count clnn_* functions, SONAME $soname"
echo "1 passed, 0 failed"
