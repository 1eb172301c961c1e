#!/usr/bin/env bash
# The main job: show the selected device, then measure it.
set -euo pipefail
cd "$(dirname "$0")/.."
build/tools/clnn-info
build/tools/clnn-bench --only copy
