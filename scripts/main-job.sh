#!/usr/bin/env bash
# The main job: select the device, measure its copy bandwidth, tune the
# kernels the MLP sample launches (a small random-search budget; results are
# kept in the tuning database), then train the MLP for one epoch on
# Fashion-MNIST and print its test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
build/tools/clnn-info
build/tools/clnn-bench --only copy
build/tools/clnn-tune --sizes 128x256 --strategy random --budget 6 --repeats 3 \
  --kernel dense.bias_act,dense.dz,dense.db,activation.forward,activation.backward,dropout.forward,dropout.backward,softmax.forward,loss.ce_label_scale,loss.ce_labels,loss.sum,optim.step,tensor.fill_f32,tensor.random_uniform
build/samples/fashion_mlp --epochs 1 --csv build/fashion_mlp.csv
