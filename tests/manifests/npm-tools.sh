#!/usr/bin/env bash
# Installs the pinned npm validators (npm/package-lock.json) once per machine into
# ${EBB_CACHE_DIR:-$HOME/.cache/ebb}/npm/<lock hash>. Offline after the first install: an
# existing, complete install is reused without touching the network.
#   npm-tools.sh        prints that directory
#   npm-tools.sh DIR    makes DIR a place to run this folder's *.mjs scripts from (copies them,
#                       links node_modules)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "npm-tools: node and npm are required (Debian: apt-get install nodejs npm)" >&2
  exit 1
}
hash=$(cat "$here/npm/package.json" "$here/npm/package-lock.json" | sha256sum | cut -c1-12)
dir=${EBB_CACHE_DIR:-$HOME/.cache/ebb}/npm/$hash
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9  # ctest -j: one installer at a time
if [ ! -f "$dir/.complete" ]; then
  cp "$here/npm/package.json" "$here/npm/package-lock.json" "$dir/"
  # kubernetes-models 5 declares node>=22 but works on Debian's node 20 (EBADENGINE warning).
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  touch "$dir/.complete"
fi
if [ $# -eq 0 ]; then
  echo "$dir"
else
  mkdir -p "$1"
  cp "$here"/*.mjs "$1/"
  ln -sfn "$dir/node_modules" "$1/node_modules"
fi
