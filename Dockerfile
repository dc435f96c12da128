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
      libyaml-cpp-dev libssl-dev tzdata \
      dpkg-dev autoconf automake libtool zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
# libcurl for HTTP(S) over OpenSSL only, from Debian's own source with its patches (the CVE fixes;
# not its GnuTLS/NSS flavour patches), in place of Debian's libcurl, which also loads GnuTLS,
# Kerberos, LDAP, RTMP, SSH, IDN and PSL libraries ebb never uses: 3.6 MB of idle RSS
# (BENCHMARKS.md, "Idle RSS"). Same soname and versioned symbols (CURL_OPENSSL_4), so ebb links
# against Debian's headers as before. Before `COPY . /src`: this layer is rebuilt only when the
# base image or the package list changes.
RUN --mount=type=cache,target=/ccache,id=ebb-ccache \
    set -eu; export CCACHE_DIR=/ccache; \
    for f in /etc/apt/sources.list.d/*.sources; do \
      if [ -f "$f" ]; then sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"; fi; done; \
    [ ! -f /etc/apt/sources.list ] || sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
      >/etc/apt/sources.list.d/deb-src.list; \
    apt-get update >/dev/null; \
    mkdir /curl && cd /curl && apt-get source curl >/dev/null 2>&1; \
    cd /curl/curl-*/; \
    for p in 99_nss.patch 90_gnutls.patch; do patch -R -p1 -s <debian/patches/$p; done; \
    autoreconf -fi >/dev/null 2>&1; \
    ./configure CC="ccache gcc" --with-openssl --without-gnutls --disable-static \
      --enable-versioned-symbols --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
      --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
      --disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-manual --disable-docs \
      --without-librtmp --without-libssh2 --without-libssh --without-libidn2 --without-libpsl \
      --without-brotli --without-zstd --without-nghttp2 --without-gssapi >/dev/null; \
    make -j"$(nproc)" -C lib >/dev/null; \
    install -m 644 lib/.libs/libcurl.so.4.* "$(readlink -f "/usr/lib/$(gcc -print-multiarch)/libcurl.so.4")"; \
    cd / && rm -rf /curl /var/lib/apt/lists/*; \
    ! ldd "/usr/lib/$(gcc -print-multiarch)/libcurl.so.4" | grep -E 'gnutls|ldap|rtmp|krb5|ssh|idn2|psl'
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
EXPOSE 8080
ENTRYPOINT ["/ebb", "run"]
LABEL org.opencontainers.image.title="ebb" \
      org.opencontainers.image.description="A horizontal autoscaler for Kubernetes workloads"
