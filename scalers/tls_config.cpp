#include "scalers/tls_config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <map>
#include <mutex>

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

Result<std::shared_ptr<ssl_ctx_st>> BuildContext(const TlsClientConfig& c) {
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
    if (!c.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx.get(), c.ca_file.c_str(), nullptr) != 1) {
        return FileError(c, "caFile", c.ca_file, "a CA bundle (PEM)");
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return MakeError(ErrorCode::kInvalidConfig, c.FieldOf("caFile") +
                                                      ": the system trust store cannot be "
                                                      "loaded; set caFile: " +
                                                      OpenSslErrors());
    }
  }
  if (!c.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), c.cert_file.c_str()) != 1) {
      return FileError(c, "certFile", c.cert_file, "a client certificate (PEM)");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return FileError(c, "keyFile", c.key_file, "a private key (PEM, unencrypted)");
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      return MakeError(ErrorCode::kInvalidConfig,
                       c.FieldOf("keyFile") + ": the key does not belong to the certificate in " +
                           c.FieldOf("certFile"));
    }
  }
  return ctx;
}

}  // namespace

void SslCtxDeleter::operator()(ssl_ctx_st* ctx) const {
  SSL_CTX_free(ctx);
}

std::string TlsClientConfig::Key() const {
  if (!enabled) return "";
  return "tls(ca=" + ca_file + ",cert=" + cert_file + ",key=" + key_file + ",sni=" + server_name +
         (insecure_skip_verify ? ",insecure" : "") + ")";
}

std::string TlsClientConfig::FieldOf(std::string_view name) const {
  return (field.empty() ? std::string("tls") : field) + "." + std::string(name);
}

void ParseTlsBlock(ConfigReader& r, bool scheme_tls, bool scheme_plain, TlsClientConfig* out) {
  out->field = r.FieldPath("tls");
  out->enabled = scheme_tls;
  auto t = r.Object("tls");
  if (!t) return;
  if (scheme_plain) {
    r.Problem("tls", "the address says redis:// (no TLS); write rediss:// or host:port");
  }
  out->enabled = true;
  t->RejectUnknown(std::vector<std::string_view>(std::begin(kTlsFields), std::end(kTlsFields)));
  for (auto [key, dest] : {std::pair{"caFile", &out->ca_file},
                           {"certFile", &out->cert_file},
                           {"keyFile", &out->key_file},
                           {"serverName", &out->server_name}}) {
    if (auto v = t->String(key)) {
      if (v->empty()) t->Problem(key, "must not be empty");
      *dest = *v;
    }
  }
  if (out->cert_file.empty() != out->key_file.empty()) {
    t->Problem(out->cert_file.empty() ? "certFile" : "keyFile",
               "set both certFile and keyFile (a client certificate and its key)");
  }
  if (auto skip = t->Bool("insecureSkipVerify")) out->insecure_skip_verify = *skip;
  if (out->insecure_skip_verify && !out->ca_file.empty()) {
    t->Problem("insecureSkipVerify",
               "with insecureSkipVerify the caFile would be ignored; drop one");
  }
}

Result<std::shared_ptr<ssl_ctx_st>> ClientContext(const TlsClientConfig& config) {
  struct Cached {
    std::string stamp;
    std::shared_ptr<ssl_ctx_st> ctx;
  };
  static std::mutex mu;
  static std::map<std::string, Cached> cache;
  const std::string stamp = FileStamp(config.ca_file) + "|" + FileStamp(config.cert_file) + "|" +
                            FileStamp(config.key_file);
  std::lock_guard lock(mu);
  auto it = cache.find(config.Key());
  if (it != cache.end() && it->second.stamp == stamp) return it->second.ctx;
  auto built = BuildContext(config);
  if (!built) return built.error();
  cache[config.Key()] = Cached{stamp, *built};
  return built;
}

}  // namespace ebb::scalers
