#!/usr/bin/env bash
# Installs everything ebb needs to build, test and run its examples on a fresh Debian 12 machine.
# Idempotent; skips apt when every package is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ccache clang-format git
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev prometheus-cpp-dev libhiredis-dev libspdlog-dev
  catch2 libyaml-cpp-dev zlib1g-dev
  # real servers for the integration tests
  redis-server redis-tools prometheus openssl curl jq python3 python3-celery python3-redis
  python3-yaml rabbitmq-server python3-amqp python3-bcrypt
  etcd-server
  # the fault matrix steps the wall clock of one process (LD_PRELOAD)
  libfaketime
  # libFuzzer targets (scripts/fuzz.sh): clang with its fuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
  # container image build (podman/buildah from a debootstrap base)
  podman buildah runc debootstrap uidmap containernetworking-plugins iptables catatonit
  fuse-overlayfs slirp4netns
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The manifest tests' validators come from npm (Debian's nodejs + npm, unless a node is there).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
