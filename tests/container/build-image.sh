#!/usr/bin/env bash
# Builds ebb's image with podman from a local debootstrap base (no Docker engine, no registry),
# then runs `ebb --version` and `ebb simulate` on the celery example inside it and checks that
# the image is smaller than 40 MB and runs as a non-root user.
#   tests/container/build-image.sh [IMAGE]       (default localhost/ebb:dev)
# Per-machine state lives in ${EBB_CACHE_DIR:-$HOME/.cache/ebb}/container: the minbase tarball
# (made once, keyed on the suite name), podman's storage and the two config fixes of
# shared/docs/toolchain.md section 3 (runc instead of crun; ulimits within the host's limits).
# Needs: podman buildah runc debootstrap uidmap fuse-overlayfs slirp4netns catatonit
#        containernetworking-plugins iptables (scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
image=${1:-localhost/ebb:dev}
suite=bookworm
base=localhost/debian-$suite-minbase:latest
cache=${EBB_CACHE_DIR:-$HOME/.cache/ebb}/container
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9  # one build per machine at a time

for tool in podman debootstrap runc; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is not installed (scripts/setup.sh)"; exit 1; }
done

nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
cat >"$cache/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat >"$cache/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$cache/storage"
runroot = "$cache/run"
CONF
export CONTAINERS_CONF=$cache/containers.conf CONTAINERS_STORAGE_CONF=$cache/storage.conf

t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

# 1. The base image: debootstrap minbase once per machine, imported once per storage.
tarball=$cache/debootstrap-$suite-minbase.tar
if [ ! -s "$tarball" ]; then
  # The Debian mirror this machine's apt uses (deb822 or one-line sources).
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
             grep -v security | head -1)
  [ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
             awk '{print $2}' | grep -v security | head -1)
  [ -n "$mirror" ] || { echo "build-image: no Debian mirror in the apt sources"; exit 1; }
  echo "== debootstrap --variant=minbase $suite ($mirror)"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  nice -n 10 debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; exit 1; }
  tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
  echo "   debootstrap done after $(elapsed)"
fi
if ! podman image exists "$base"; then
  podman import --change 'CMD ["/bin/bash"]' "$tarball" "$base" >/dev/null
  echo "== imported $base after $(elapsed)"
fi

# 2. The image.
echo "== podman build $image"
tb=$(date +%s)
revision=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
nice -n 10 podman build --pull=never --build-arg "BASE_IMAGE=$base" \
  --build-arg "EBB_REVISION=$revision" -t "$image" \
  -f "$root/Dockerfile" "$root" >"$cache/build.log" 2>&1 || { tail -40 "$cache/build.log"; exit 1; }
grep -E '^ *(Hits|Misses):' "$cache/build.log" | sed 's/^/   ccache: /' || true
echo "   build took $(($(date +%s) - tb)) s"
podman image prune -f >/dev/null 2>&1 || true  # drop the previous build's dangling layers

# 3. Checks.
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { podman run --rm --read-only --network none --entrypoint /ebb "$@"; }

version=$(run "$image" --version) || fail "ebb --version exited $?"
[[ "$version" == "ebb "*"(revision $revision, "* ]] && echo "ok   $version" ||
  fail "--version should name revision $revision: $version"

user=$(podman image inspect --format '{{.Config.User}}' "$image")
[ "$user" = "65532:65532" ] && echo "ok   runs as $user" || fail "image user is '$user'"
# The image's libcurl is the HTTP(S)-over-OpenSSL-only build (Dockerfile): none of the libraries
# Debian's libcurl loads for protocols ebb never uses (3.6 MB of idle RSS, BENCHMARKS.md).
files=$(podman create --entrypoint /ebb "$image" --version) &&
  libs=$(podman export "$files" | tar -t | grep -E '\.so(\.|$)' | sed 's|.*/||' | sort | tr '\n' ' ') ||
  fail "could not list the image's files"
podman rm "$files" >/dev/null 2>&1 || true
unused=$(tr ' ' '\n' <<<"$libs" | { grep -E '^lib(gnutls|ldap|lber|rtmp|krb5|gssapi|ssh|idn2|psl|nghttp2|brotli|sasl|p11-kit|nettle|hogweed)' || true; } | tr '\n' ' ')
[[ $libs == *libcurl.so.4* && -z $unused ]] && echo "ok   libcurl without unused protocol libraries: $libs" ||
  fail "the image carries libraries ebb never uses: ${unused:-libcurl missing: $libs}"
entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")
[ "$entry" = '["/ebb","run"]' ] && echo "ok   entrypoint $entry" || fail "entrypoint is $entry"

if run -v "$root/examples:/examples:ro" "$image" simulate -f /examples/celery-worker.yaml \
     --metrics /examples/recordings/celery-arrivals.csv --json >"$cache/simulate.json" 2>"$cache/simulate.err"; then
  # The replay ran and scaled: ticks, replica-hours, and a queue that was served.
  if jq -e '.ticks > 0 and .replicaHours > 0 and .replicas.max > .replicas.min
            and .queues[0].served > 0' "$cache/simulate.json" >/dev/null; then
    echo "ok   ebb simulate (celery example) inside the image: $(head -c 160 "$cache/simulate.json")..."
  else
    fail "ebb simulate printed no replica figures: $(head -c 300 "$cache/simulate.json")"
  fi
else
  fail "ebb simulate failed in the image: $(tail -5 "$cache/simulate.err")"
fi

size=$(podman image inspect --format '{{.Size}}' "$image")
limit=$((40 * 1000 * 1000))
if [ "$size" -lt "$limit" ]; then
  echo "ok   image size $((size / 1000)) kB < 40 MB"
else
  fail "image is $((size / 1000)) kB, limit 40 MB"
fi
echo "== container test took $(elapsed)"
[ "$fails" -eq 0 ]
