#!/usr/bin/env bash
# The main job: select the device, measure its copy bandwidth, tune the
# kernels the MLP sample launches, then train the MLP for one epoch on
# Fashion-MNIST and print its test accuracy.
#
# Tuning runs the sample itself for a few batches with CLNN_TUNE=on: every
# kernel launch whose exact (device, kernel, size bucket) key is not in the
# tuning database yet is tuned on first use (random search, 16 candidates,
# each checked bit for bit against the default) and saved, so the epoch that
# follows finds the configurations of its own launches. A second run of this
# script finds them all in the database and tunes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
build/tools/clnn-info
build/tools/clnn-bench --only copy
echo "main-job: tuning the MLP's kernels on first use (CLNN_TUNE=on, 1024 images)"
t0=$(date +%s)
CLNN_TUNE=on build/samples/fashion_mlp --epochs 1 --train-limit 1024 --test-limit 1024 --quiet \
  --csv build/fashion_mlp_tuning.csv >/dev/null
echo "main-job: tuning pass done in $(( $(date +%s) - t0 )) s"
build/samples/fashion_mlp --epochs 1 --csv build/fashion_mlp.csv
