# syntax=docker/dockerfile:1
# ebb's controller image: built on Debian bookworm, shipped scratch-style (the binary, the shared
# libraries it loads, the dynamic loader, CA certificates, a non-root user; no shell).
#   docker build -t ebb .                                   (base image from a registry)
#   tests/container/build-image.sh                          (podman, a local debootstrap base)
ARG BASE_IMAGE=debian:bookworm

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake make pkg-config ccache ca-certificates \
      libcurl4-openssl-dev nlohmann-json3-dev prometheus-cpp-dev libhiredis-dev libspdlog-dev \
      libyaml-cpp-dev libssl-dev zlib1g-dev tzdata \
 && rm -rf /var/lib/apt/lists/*
# Only what the `ebb` target compiles (.dockerignore keeps tests, docs, manifests and builds out).
COPY . /src
# .dockerignore keeps .git out, so the revision for `ebb --version` and ebb_build_info comes in
# as an argument (tests/container/build-image.sh passes `git rev-parse`).
ARG EBB_REVISION=unknown
# The ccache directory survives between builds (a BuildKit/buildah cache mount).
RUN --mount=type=cache,target=/ccache,id=ebb-ccache \
    export CCACHE_DIR=/ccache \
 && cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DEBB_BUILD_TESTS=OFF \
      -DEBB_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DEBB_REVISION="${EBB_REVISION}" >/dev/null \
 && cmake --build /build -j"$(nproc)" --target ebb \
 && { ccache --show-stats | grep -E '^ *(Hits|Misses):' || true; }
# The runtime filesystem: ebb, every library ldd lists (with the loader), CA certificates, the
# time zones spec.schedules names (tzdata),
# passwd/group entries for the non-root user, name resolution config.
RUN set -eu; \
    mkdir -p /stage/etc/ssl/certs; \
    strip -o /stage/ebb /build/controller/ebb; \
    for lib in $(ldd /stage/ebb | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do \
      cp --parents -L "$lib" /stage/; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt /stage/etc/ssl/certs/; \
    mkdir -p /stage/usr/share && cp -r /usr/share/zoneinfo /stage/usr/share/; \
    echo 'nonroot:x:65532:65532:ebb:/nonexistent:/sbin/nologin' >/stage/etc/passwd; \
    echo 'nonroot:x:65532:' >/stage/etc/group; \
    echo 'hosts: files dns' >/stage/etc/nsswitch.conf; \
    chroot /stage /ebb --version

FROM scratch
COPY --from=build /stage/ /
USER 65532:65532
# libcurl pulls in GnuTLS (through librtmp and libldap, protocols ebb never uses); its implicit
# initialisation loads p11-kit modules at start-up for ~1 MB of resident memory and nothing else.
ENV GNUTLS_NO_IMPLICIT_INIT=1
EXPOSE 8080
ENTRYPOINT ["/ebb", "run"]
LABEL org.opencontainers.image.title="ebb" \
      org.opencontainers.image.description="A horizontal autoscaler for Kubernetes workloads"
