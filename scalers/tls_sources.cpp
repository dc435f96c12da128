#include "scalers/tls_sources.h"

#include <optional>
#include <vector>

namespace ebb::scalers {

std::string TlsSources::Key() const {
  return "ca=" + ca.Describe() + ",cert=" + cert.Describe() + ",key=" + key.Describe();
}

void ReadTlsSources(ConfigReader& t, TlsSources* out) {
  out->ca = ReadSecretRef(t, "ca");
  out->cert = ReadSecretRef(t, "cert");
  out->key = ReadSecretRef(t, "key");
  for (const SecretRef* ref : {&out->ca, &out->cert, &out->key}) {
    // ...FromEnv would put a PEM in the controller's environment: not offered.
    if (!ref->from_env.empty()) {
      t.Problem(ref->field.substr(ref->field.rfind('.') + 1),
                "not offered for TLS files: use the ...File or ...SecretKeyRef form");
    }
  }
  if (out->cert.empty() != out->key.empty()) {
    t.Problem(out->cert.empty() ? "certFile" : "keyFile",
              "set both certFile and keyFile (or their SecretKeyRef forms): a client "
              "certificate and its key");
  }
}

Result<TlsMaterial> ResolveTls(const TlsSources& sources, const SecretScope& scope) {
  TlsMaterial m;
  const struct {
    const SecretRef* ref;
    std::string* file;
    std::string* pem;
  } parts[] = {{&sources.ca, &m.ca_file, &m.ca_pem},
               {&sources.cert, &m.cert_file, &m.cert_pem},
               {&sources.key, &m.key_file, &m.key_pem}};
  for (const auto& p : parts) {
    if (!p.ref->from_file.empty()) {
      *p.file = p.ref->from_file;
    } else if (p.ref->from_secret()) {
      auto v = ResolveSecret(*p.ref, scope);
      if (!v) return v.error();
      if (v->empty()) {
        return MakeError(ErrorCode::kInvalidConfig,
                         p.ref->field + ": Secret " + p.ref->secret_name + " key " +
                             p.ref->secret_key + " is empty (a PEM was expected)");
      }
      *p.pem = std::move(v).value();
    }
  }
  return m;
}

void ParseHttpTlsBlock(ConfigReader& r, bool https, HttpTlsConfig* out) {
  std::optional<ConfigReader> tls = r.Object("tls");
  bool by_auth = false;
  if (!tls && !r.Has("tls") && r.auth()) {
    for (std::string_view f : kTlsSecretFields) {
      by_auth = by_auth || r.auth()->keys.count(std::string(f)) != 0;
    }
    if (by_auth) tls = r.Absent("tls");
  }
  if (!tls) return;
  std::vector<std::string_view> known(std::begin(kTlsSourceFields), std::end(kTlsSourceFields));
  known.push_back("insecureSkipVerify");
  tls->RejectUnknown(known);
  ReadTlsSources(*tls, &out->sources);
  if (auto skip = tls->Bool("insecureSkipVerify")) out->insecure_skip_verify = *skip;
  if (out->insecure_skip_verify && !out->sources.ca.empty()) {
    tls->Problem("insecureSkipVerify", "with insecureSkipVerify the CA would be ignored; drop one");
  }
  if (!https) {
    if (by_auth) {
      r.Problem("authenticationRef",
                "gives TLS files (keys.tls.*), which need an https:// serverAddress");
    } else {
      tls->Problem("caFile", "tls settings need an https:// serverAddress");
    }
  }
}

Result<net::TlsOptions> ResolveHttpTls(const HttpTlsConfig& config, const SecretScope& scope) {
  net::TlsOptions o;
  o.insecure_skip_verify = config.insecure_skip_verify;
  if (!config.sources.any()) return o;
  auto m = ResolveTls(config.sources, scope);
  if (!m) return m.error();
  o.ca_file = std::move(m->ca_file);
  o.cert_file = std::move(m->cert_file);
  o.key_file = std::move(m->key_file);
  o.ca_pem = std::move(m->ca_pem);
  o.cert_pem = std::move(m->cert_pem);
  o.key_pem = std::move(m->key_pem);
  return o;
}

}  // namespace ebb::scalers
