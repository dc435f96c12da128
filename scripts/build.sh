#!/usr/bin/env bash
# Configures and builds one flavour of ebb. Usage: scripts/build.sh BUILD_DIR [cmake args...]
# Compiler output is cached per machine (ccache) outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$1
shift
export CCACHE_DIR=${EBB_CACHE_DIR:-$HOME/.cache/ebb}/ccache
# Relative paths in the cache key, so fresh clones (CI) hit what earlier builds compiled.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
mkdir -p "$CCACHE_DIR"
cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
