#!/usr/bin/env bash
# usage: bench/controller/image_idle_rss.sh IMAGE HOST_BUILD_DIR [ROUNDS]
# Idle RSS of the image's ebb against the host build's, alternating: the image's filesystem is
# exported (podman, tests/container/build-image.sh's storage) and its /ebb run with the image's
# own loader and libraries (ld.so --library-path), so exactly the image's libcurl, OpenSSL, libc
# are mapped; each run is bench.py's idle run (BENCH_IDLE_ONLY: `ebb run` with no Autoscalers
# against run.sh's API server, /proc/PID/smaps_rollup 5 s after ready).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=${1:?IMAGE}; build=$(cd "${2:?HOST_BUILD_DIR}" && pwd); rounds=${3:-2}
cache=${EBB_CACHE_DIR:-$HOME/.cache/ebb}/container
export CONTAINERS_CONF=$cache/containers.conf CONTAINERS_STORAGE_CONF=$cache/storage.conf
tmp=$(mktemp -d /tmp/ebb-image-rss.XXXXXX)
repo=$(cd "$here/../.." && pwd)
export BENCH_DIR=$tmp/bench  # one API server for every run, stopped at the end
trap '"$repo/tests/scalers/fixtures/redis.sh" stop "$BENCH_DIR/redis" >/dev/null 2>&1 || true
      "$repo/tests/support/kube/cluster.sh" stop "$BENCH_DIR/cluster" >/dev/null 2>&1 || true
      rm -rf "$tmp"' EXIT
id=$(podman create --entrypoint /ebb "$image" --version)
podman export "$id" | tar -x -C "$tmp" --exclude 'usr/share/zoneinfo/*'
podman rm "$id" >/dev/null
root=$tmp
mkdir -p "$tmp/fake/controller" && ln -s "$root/ebb" "$tmp/fake/controller/ebb"
libs="$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu"
cat >"$tmp/show.py" <<'PY'
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
s = r["idle_smaps_kb"]
print(f"RSS {r['idle_rss_mb']:.2f} MB (RssAnon {s['RssAnon'] / 1024:.2f}, RssFile {s['RssFile'] / 1024:.2f}, "
      f"Pss {s['Pss'] / 1024:.2f}), {s['Threads']} threads, load {' '.join(r['loadavg_start'])}")
PY
show() { python3 "$tmp/show.py"; }
for ((i = 0; i < rounds; i++)); do
  echo -n "image $image: "
  BENCH_IDLE_ONLY=1 BENCH_WRAP="$root/lib64/ld-linux-x86-64.so.2 --library-path $libs" \
    "$here/run.sh" "$tmp/fake" | show
  echo -n "host  $build/controller/ebb: "
  BENCH_IDLE_ONLY=1 "$here/run.sh" "$build" | show
done
