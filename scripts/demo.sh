#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds ebb, and replays the bundled Celery worker recording
# (14 days of real arrivals) through the bundled Autoscaler: out/celery-timeline.csv,
# out/celery-report.html and a summary on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DEBB_BUILD_TESTS=OFF -DEBB_BUILD_BENCH=OFF
mkdir -p out
build-release/controller/ebb simulate -f examples/celery-worker.yaml \
  --metrics examples/recordings/celery-arrivals.csv \
  --out out/celery-timeline.csv --report out/celery-report.html
echo "report: $(pwd)/out/celery-report.html"
