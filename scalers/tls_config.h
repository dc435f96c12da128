// TLS settings of a Redis connection (`rediss://` addresses and the `tls:` block) and the OpenSSL
// client contexts built from them. Verification is on unless the user turns it off by name:
// the server's chain must lead to the CA bundle (or the system store) and its certificate must
// hold the server name (the address's host, or `serverName`).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "scalers/config_util.h"
#include "scalers/tls_sources.h"

struct ssl_ctx_st;

namespace ebb::scalers {

struct TlsClientConfig {
  bool enabled = false;
  // CA bundle (none: the system trust store), client certificate chain and its key: files or
  // Secrets (tls_sources.h).
  TlsSources sources;
  std::string server_name;  // SNI and the name verified; empty = the address's host
  bool insecure_skip_verify = false;
  // Field path of the block ("spec.metrics[0].redis.tls"), so errors say what to change. Not
  // part of the identity: two autoscalers with the same settings share a connection.
  std::string field;

  // Identity of the settings for pooled connections (file names and Secret references, not
  // contents).
  std::string Key() const;
  // `field` + "." + name, e.g. "spec.metrics[0].redis.tls.caFile".
  std::string FieldOf(std::string_view name) const;
};

inline constexpr std::string_view kTlsFields[] = {
    "caFile",  "caSecretKeyRef",  "certFile",   "certSecretKeyRef",
    "keyFile", "keySecretKeyRef", "serverName", "insecureSkipVerify"};

// Reads the `tls:` block of `r` (if any) into `out`. `scheme_tls` is true for a `rediss://`
// address (TLS on with defaults); `scheme_plain` for an explicit `redis://`, which contradicts a
// `tls:` block. Problems are recorded with their field paths.
void ParseTlsBlock(ConfigReader& r, bool scheme_tls, bool scheme_plain, TlsClientConfig* out);

struct SslCtxDeleter {
  void operator()(ssl_ctx_st* ctx) const;
};

// An OpenSSL client context for `config` with `material` (ResolveTls: files and Secret PEMs),
// shared by every connection with the same settings and rebuilt when a file or a Secret's
// contents change (a rotated certificate is picked up on the next connect). Errors
// (kInvalidConfig) name the field whose file or Secret could not be used.
Result<std::shared_ptr<ssl_ctx_st>> ClientContext(const TlsClientConfig& config,
                                                  const TlsMaterial& material);

}  // namespace ebb::scalers
