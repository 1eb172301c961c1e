#!/usr/bin/env bash
# Prepares, on this (Debian) machine, what a lent GPU machine with no package
# registry needs to run scripts/gpu-check.sh: a build in build-gpu/, the
# runtime libraries clnn links as .deb files in .gpu/debs, and a small
# Fashion-MNIST subset in .gpu/fashion (2048 training and 1024 test images)
# for the tuning step. Both folders are ignored by git (.git/info/exclude)
# and travel with the working tree (64 MiB at most): carry [".gpu", "build-gpu"]
# and run `bash scripts/gpu-run.sh` there (docs/gpu.md).
set -euo pipefail
cd "$(dirname "$0")/.."
for d in .gpu build-gpu; do
  grep -qx "$d" .git/info/exclude 2>/dev/null || echo "$d" >>.git/info/exclude
done
rm -rf .gpu build-gpu
mkdir -p .gpu/debs .gpu/fashion
(cd .gpu/debs && apt-get download ocl-icd-libopencl1 libclblast1 libcjson1 libxxhash0 >/dev/null)
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-gpu -j"$(nproc)" >/dev/null
find build-gpu -name '*.o' -delete   # objects are not needed to run, and the carry is small

# The idx files with their headers' counts cut to the subset (gzip, as the
# Debian package ships them).
python3 - <<'PY'
import gzip, struct
src = "/usr/share/datasets/fashion-mnist"
for split, n in (("train", 2048), ("t10k", 1024)):
    for kind, item in (("images-idx3", 784), ("labels-idx1", 1)):
        with gzip.open(f"{src}/{split}-{kind}-ubyte.gz") as f:
            data = f.read()
        header = 16 if kind.startswith("images") else 8
        out = bytearray(data[:header])
        struct.pack_into(">I", out, 4, n)
        out += data[header:header + n * item]
        with gzip.open(f".gpu/fashion/{split}-{kind}-ubyte.gz", "wb") as f:
            f.write(bytes(out))
PY
du -sh .gpu build-gpu
echo "gpu-prepare: carry [\".gpu\", \"build-gpu\"] and run: bash scripts/gpu-run.sh"
