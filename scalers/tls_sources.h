// Where a TLS block's CA bundle, client certificate and key come from. Each is a file
// (`caFile`, `certFile`, `keyFile`: the TLS library reads it at every connect, so a rotated
// Secret volume is picked up) or a key of a Secret in the Autoscaler's namespace
// (`caSecretKeyRef`, ..., or `authenticationRef.keys.tls.ca`, ...) holding the PEM itself, read
// through the SecretReader at every poll. Shared by the Redis `tls:` block and the HTTP
// sources' (Prometheus, RabbitMQ).
#pragma once

#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "controller/net/http_client.h"
#include "scalers/config_util.h"

namespace ebb::scalers {

struct TlsSources {
  SecretRef ca;    // from_file: a path handed to the library; from_secret: the PEM
  SecretRef cert;  // client certificate chain, with key
  SecretRef key;   // its private key (unencrypted)
  bool any() const { return !ca.empty() || !cert.empty() || !key.empty(); }
  bool from_secret() const { return ca.from_secret() || cert.from_secret() || key.from_secret(); }
  // Identity for shared connections: the references, never the contents.
  std::string Key() const;
};

inline constexpr std::string_view kTlsSourceFields[] = {
    "caFile", "caSecretKeyRef", "certFile", "certSecretKeyRef", "keyFile", "keySecretKeyRef"};
// The authenticationRef keys a block with a `tls:` part accepts.
inline constexpr std::string_view kTlsSecretFields[] = {"tls.ca", "tls.cert", "tls.key"};

// Reads the three sources of the `tls` reader `t`; a certificate without its key (or the other
// way round) is a problem.
void ReadTlsSources(ConfigReader& t, TlsSources* out);

// The material for one connect: paths for file sources, PEM text for Secret sources. Errors name
// the field, the Secret and the key, never the contents.
struct TlsMaterial {
  std::string ca_file, cert_file, key_file;
  std::string ca_pem, cert_pem, key_pem;
};
Result<TlsMaterial> ResolveTls(const TlsSources& sources, const SecretScope& scope);

// The `tls:` block of an HTTP source (Prometheus, RabbitMQ): the sources above plus
// `insecureSkipVerify` (off by default; contradicts a CA). `https` says whether the server
// address is https://; a tls block (or authenticationRef TLS keys) on http:// is a problem.
struct HttpTlsConfig {
  TlsSources sources;
  bool insecure_skip_verify = false;
};
void ParseHttpTlsBlock(ConfigReader& r, bool https, HttpTlsConfig* out);
Result<net::TlsOptions> ResolveHttpTls(const HttpTlsConfig& config, const SecretScope& scope);

}  // namespace ebb::scalers
