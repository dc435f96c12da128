#include "scalers/tls_config.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>

#include "controller/base/text.h"

namespace ebb::scalers {
namespace {

// What identifies a file's current contents without reading it: a rotated certificate (a new
// file renamed over the old, as Kubernetes does with Secret volumes) changes one of these.
std::string FileStamp(const std::string& path) {
  if (path.empty()) return "-";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

// OpenSSL's queued errors for this thread as one line (and the queue emptied).
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {  // NOLINT(google-runtime-int)
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("unknown error") : SafeText(out);
}

Error FileError(const TlsClientConfig& c, std::string_view field, const std::string& path,
                std::string_view what) {
  return MakeError(ErrorCode::kInvalidConfig, c.FieldOf(field) + ": cannot use " + SafeText(path) +
                                                  " as " + std::string(what) + ": " +
                                                  OpenSslErrors());
}

// The same for a PEM read from a Secret: the reference is named, never the contents.
Error SecretError(const SecretRef& ref, std::string_view what) {
  return MakeError(ErrorCode::kInvalidConfig, ref.field + ": Secret " + ref.secret_name + " key " +
                                                  ref.secret_key + " does not hold " +
                                                  std::string(what) + ": " + OpenSslErrors());
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate of `pem` into the context's trust store; false when it holds none.
bool LoadCaPem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  if (added > 0) ERR_clear_error();  // the end of the PEM reads as an error
  return added > 0;
}

// The leaf and any intermediates of `pem`, as SSL_CTX_use_certificate_chain_file does.
bool LoadChainPem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  X509* leaf = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) return false;
  const bool ok = SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  if (!ok) return false;
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
      X509_free(ca);
      return false;
    }
  }
  ERR_clear_error();
  return true;
}

bool LoadKeyPem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return false;
  const bool ok = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  return ok;
}

Result<std::shared_ptr<ssl_ctx_st>> BuildContext(const TlsClientConfig& c, const TlsMaterial& m) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SslCtxDeleter{});
  if (!ctx) {
    return MakeError(ErrorCode::kInternal,
                     c.field + ": cannot create a TLS context: " + OpenSslErrors());
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (c.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (!m.ca_pem.empty()) {
      if (!LoadCaPem(ctx.get(), m.ca_pem)) return SecretError(c.sources.ca, "a CA bundle (PEM)");
    } else if (!m.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx.get(), m.ca_file.c_str(), nullptr) != 1) {
        return FileError(c, "caFile", m.ca_file, "a CA bundle (PEM)");
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return MakeError(ErrorCode::kInvalidConfig, c.FieldOf("caFile") +
                                                      ": the system trust store cannot be "
                                                      "loaded; set caFile: " +
                                                      OpenSslErrors());
    }
  }
  if (!m.cert_pem.empty()) {
    if (!LoadChainPem(ctx.get(), m.cert_pem)) {
      return SecretError(c.sources.cert, "a client certificate (PEM)");
    }
  } else if (!m.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), m.cert_file.c_str()) != 1) {
      return FileError(c, "certFile", m.cert_file, "a client certificate (PEM)");
    }
  }
  if (!m.key_pem.empty()) {
    if (!LoadKeyPem(ctx.get(), m.key_pem)) {
      return SecretError(c.sources.key, "a private key (PEM, unencrypted)");
    }
  } else if (!m.key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), m.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return FileError(c, "keyFile", m.key_file, "a private key (PEM, unencrypted)");
    }
  }
  if (!c.sources.cert.empty() && SSL_CTX_check_private_key(ctx.get()) != 1) {
    return MakeError(ErrorCode::kInvalidConfig,
                     c.FieldOf("keyFile") + ": the key does not belong to the certificate in " +
                         c.FieldOf("certFile"));
  }
  return ctx;
}

}  // namespace

void SslCtxDeleter::operator()(ssl_ctx_st* ctx) const {
  SSL_CTX_free(ctx);
}

std::string TlsClientConfig::Key() const {
  if (!enabled) return "";
  return "tls(" + sources.Key() + ",sni=" + server_name +
         (insecure_skip_verify ? ",insecure" : "") + ")";
}

std::string TlsClientConfig::FieldOf(std::string_view name) const {
  return (field.empty() ? std::string("tls") : field) + "." + std::string(name);
}

void ParseTlsBlock(ConfigReader& r, bool scheme_tls, bool scheme_plain, TlsClientConfig* out) {
  out->field = r.FieldPath("tls");
  out->enabled = scheme_tls;
  std::optional<ConfigReader> t = r.Object("tls");
  if (!t && !r.Has("tls") && r.auth()) {
    bool by_auth = false;
    for (std::string_view f : kTlsSecretFields) {
      by_auth = by_auth || r.auth()->keys.count(std::string(f)) != 0;
    }
    if (by_auth && !scheme_tls) {
      r.Problem("authenticationRef",
                "gives TLS files (keys.tls.*) but the connection is not TLS: write rediss:// or "
                "add a tls: block");
    }
    if (by_auth && scheme_tls) t = r.Absent("tls");
  }
  if (!t) return;
  if (scheme_plain) {
    r.Problem("tls", "the address says redis:// (no TLS); write rediss:// or host:port");
  }
  out->enabled = true;
  t->RejectUnknown(std::vector<std::string_view>(std::begin(kTlsFields), std::end(kTlsFields)));
  ReadTlsSources(*t, &out->sources);
  if (auto v = t->String("serverName")) {
    if (v->empty()) t->Problem("serverName", "must not be empty");
    out->server_name = *v;
  }
  if (auto skip = t->Bool("insecureSkipVerify")) out->insecure_skip_verify = *skip;
  if (out->insecure_skip_verify && !out->sources.ca.empty()) {
    t->Problem("insecureSkipVerify",
               "with insecureSkipVerify the CA (caFile / caSecretKeyRef) would be ignored; drop "
               "one");
  }
}

Result<std::shared_ptr<ssl_ctx_st>> ClientContext(const TlsClientConfig& config,
                                                  const TlsMaterial& material) {
  struct Cached {
    std::string stamp;
    std::shared_ptr<ssl_ctx_st> ctx;
  };
  static std::mutex mu;
  static std::map<std::string, Cached> cache;
  // A Secret's PEM is known by its hash: the cache never holds the text as a key.
  const auto pem_stamp = [](const std::string& pem) {
    return pem.empty() ? std::string("-") : std::to_string(std::hash<std::string>{}(pem));
  };
  const std::string stamp = FileStamp(material.ca_file) + "|" + FileStamp(material.cert_file) +
                            "|" + FileStamp(material.key_file);
  // Secret PEMs are part of the key: the same references in two namespaces are two Secrets.
  const std::string key = config.Key() + "|" + pem_stamp(material.ca_pem) + "|" +
                          pem_stamp(material.cert_pem) + "|" + pem_stamp(material.key_pem);
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it != cache.end() && it->second.stamp == stamp) return it->second.ctx;
  auto built = BuildContext(config, material);
  if (!built) return built.error();
  // A rotated Secret is a new key, so the old context would stay forever: drop every context
  // no connection holds any more (only here, so a hit never pays for the sweep).
  for (auto i = cache.begin(); i != cache.end();)
    i = i->second.ctx.use_count() == 1 ? cache.erase(i) : std::next(i);
  cache[key] = Cached{stamp, *built};
  return built;
}

}  // namespace ebb::scalers
