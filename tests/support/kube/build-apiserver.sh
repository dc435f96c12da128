#!/usr/bin/env bash
# Builds a real kube-apiserver (and kube-controller-manager) from Debian bookworm's `kubernetes`
# source package, once per machine, into ${EBB_CACHE_DIR:-$HOME/.cache/ebb}/kube-<source version>/.
# Recipe and the reason for the reflect2 swap: docs in ../shared/docs/kube-apiserver-from-debian.md.
# Idempotent: if the cached binaries exist it prints their folder and exits at once.
# Prints the cache folder (holding bin/kube-apiserver, bin/kube-controller-manager) on stdout's last line.
set -euo pipefail

cache_root=${EBB_CACHE_DIR:-$HOME/.cache/ebb}
log() { echo "build-apiserver: $*" >&2; }

# A finished build under any version is enough when apt is not usable (no deb-src yet and no root):
# the version lookup needs deb-src, so look at what the cache already holds first.
find_cached() {
  local d
  for d in "$cache_root"/kube-*/; do
    [[ -x $d/bin/kube-apiserver && -f $d/.complete ]] && { echo "${d%/}"; return 0; }
  done
  return 1
}

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

ensure_debsrc() {
  if apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then return; fi
  log "adding deb-src for bookworm"
  local uris
  uris=$(awk '/^Types: deb$/{f=1} f&&/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  uris=${uris:-http://deb.debian.org/debian}
  as_root tee /etc/apt/sources.list.d/zz-ebb-debsrc.sources >/dev/null <<SRC
Types: deb-src
URIs: $uris
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  as_root apt-get update -qq >&2
}

if [[ ${1:-} != --rebuild ]] && cached=$(find_cached); then
  # Only trust it blindly when we cannot ask apt about the current version.
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then echo "$cached"; exit 0; fi
fi

ensure_debsrc
version=$(apt-cache showsrc kubernetes | awk '/^Version:/{print $2}' | sort -V | tail -1)
[[ -n $version ]] || { log "cannot determine the kubernetes source version"; exit 1; }
dest="$cache_root/kube-$version"
if [[ -x $dest/bin/kube-apiserver && -f $dest/.complete && ${1:-} != --rebuild ]]; then
  echo "$dest"; exit 0
fi

exec 9>"$cache_root.kube-build.lock" 2>/dev/null || { mkdir -p "$cache_root"; exec 9>"$cache_root.kube-build.lock"; }
flock 9   # a second concurrent caller waits for the first build instead of duplicating it
if [[ -x $dest/bin/kube-apiserver && -f $dest/.complete ]]; then echo "$dest"; exit 0; fi

log "building kube-apiserver from Debian source $version into $dest (about 6 minutes on 2 cores)"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get build-dep -y -qq -t bookworm kubernetes >&2
as_root apt-get install -y -qq -t bookworm --no-install-recommends \
  golang-github-modern-go-reflect2-dev etcd-server openssl curl >&2

work="$cache_root/kube-$version.work"
rm -rf "$work"; mkdir -p "$work/home"
cd "$work"
apt-get source -qq -t bookworm "kubernetes=$version" >&2
src=$(find . -maxdepth 1 -type d -name 'kubernetes-*' | head -1)
cd "$src"
# Go >= 1.18 breaks vendored reflect2 v1.0.1 (nil deref panic in JSON decode of maps, e.g. PATCH /scale).
rm -rf vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2

export PATH=/usr/lib/go-1.19/bin:$PATH CGO_ENABLED=0 GOPROXY=off GOFLAGS= HOME=$work/home
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2

mkdir -p "$dest/bin"
install -m755 _output/bin/kube-apiserver _output/bin/kube-controller-manager "$dest/bin/"
echo "$version" > "$dest/.complete"
cd /; rm -rf "$work"   # the tree with the Go build cache is ~2.2 GB; only the binaries are kept
log "done: $dest"
echo "$dest"
