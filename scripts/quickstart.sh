#!/usr/bin/env bash
# Quick start: set everything up, then run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/main-job.sh
