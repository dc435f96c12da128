#!/usr/bin/env bash
# usage: bench/controller/minimal_libcurl.sh DIR
# Builds Debian's libcurl source (apt-get source: needs a deb-src entry) with HTTP(S) over
# OpenSSL only, into DIR, and prints the LD_LIBRARY_PATH that makes `ebb` load it instead of
# Debian's libcurl, which also loads GnuTLS, Kerberos, LDAP, RTMP, SSH, IDN and PSL libraries
# ebb never uses (3.6 MB of its idle RSS; BENCHMARKS.md, "Idle RSS"). Same soname and
# versioned symbols (CURL_OPENSSL_4): the ebb binary is not relinked.
set -euo pipefail
dir=${1:?DIR}
mkdir -p "$dir" && cd "$dir"
[[ -d curl-src ]] || { apt-get source --download-only curl >/dev/null 2>&1
  mkdir curl-src && tar xzf curl_*.orig.tar.gz -C curl-src --strip-components=1; }
cd curl-src
./configure --with-openssl --without-gnutls --disable-static --enable-versioned-symbols \
  --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
  --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
  --disable-ftp --disable-file --disable-manual --disable-docs --without-librtmp \
  --without-libssh2 --without-libssh --without-libidn2 --without-libpsl --without-brotli \
  --without-zstd --without-nghttp2 --without-gssapi >configure.log
make -j"$(nproc)" -C lib >make.log
echo "LD_LIBRARY_PATH=$PWD/lib/.libs"
