#include "scalers/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "controller/base/text.h"

namespace ebb::scalers {
namespace {

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

int ClampLen(std::size_t n) {
  return static_cast<int>(std::min<std::size_t>(n, INT_MAX));
}

}  // namespace

Result<std::unique_ptr<TlsStream>> TlsStream::Create(int fd, const TlsClientConfig& config,
                                                     const TlsMaterial& material,
                                                     const std::string& host) {
  auto ctx = ClientContext(config, material);
  if (!ctx) return ctx.error();
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx->get());
  if (ssl == nullptr) return MakeError(ErrorCode::kInternal, config.field + ": SSL_new failed");
  const std::string name = config.server_name.empty() ? host : config.server_name;
  std::unique_ptr<TlsStream> stream(new TlsStream(ssl, *ctx, config, name));
  if (SSL_set_fd(ssl, fd) != 1) return MakeError(ErrorCode::kInternal, "SSL_set_fd failed");
  const bool ip = IsIpLiteral(name);
  // SNI carries host names only (RFC 6066); an IP address is checked against the IP SANs.
  // (SSL_set_tlsext_host_name spelled out: the macro's C cast trips -Wold-style-cast.)
  if (!ip) {
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  }
  if (!config.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (ok != 1) {
      return MakeError(ErrorCode::kInvalidConfig, config.FieldOf("serverName") + ": \"" +
                                                      SafeText(name) +
                                                      "\" cannot be checked against a certificate");
    }
  }
  return stream;
}

TlsStream::TlsStream(ssl_st* ssl, std::shared_ptr<ssl_ctx_st> ctx, TlsClientConfig config,
                     std::string name)
    : ssl_(ssl), ctx_(std::move(ctx)), config_(std::move(config)), name_(std::move(name)) {}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

TlsStream::Io TlsStream::Handshake() {
  ERR_clear_error();
  const int rc = SSL_connect(ssl_);
  return Outcome(rc, /*handshake=*/true);
}

TlsStream::Io TlsStream::Read(char* buf, std::size_t cap) {
  ERR_clear_error();
  const int rc = SSL_read(ssl_, buf, ClampLen(cap));
  return Outcome(rc, /*handshake=*/false);
}

TlsStream::Io TlsStream::Write(const char* data, std::size_t len) {
  ERR_clear_error();
  const int rc = SSL_write(ssl_, data, ClampLen(len));
  return Outcome(rc, /*handshake=*/false);
}

TlsStream::Io TlsStream::Outcome(int rc, bool handshake) {
  Io io;
  if (rc > 0) {
    io.bytes = handshake ? 0 : static_cast<std::size_t>(rc);
    return io;
  }
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      io.status = Status::kWantRead;
      return io;
    case SSL_ERROR_WANT_WRITE:
      io.status = Status::kWantWrite;
      return io;
    case SSL_ERROR_ZERO_RETURN:
      io.status = Status::kClosed;
      return io;
    default:
      io.status = Status::kFailed;
      io.alert = ERR_peek_error() != 0;
      io.error = Failure(handshake);
      return io;
  }
}

Error TlsStream::Failure(bool handshake) {
  const int saved_errno = errno;
  const std::string stage = handshake ? "TLS handshake" : "TLS";
  const long verify = SSL_get_verify_result(ssl_);  // NOLINT(google-runtime-int)
  if (handshake && !config_.insecure_skip_verify && verify != X509_V_OK) {
    std::string msg =
        stage + ": the server's certificate was refused: " + X509_verify_cert_error_string(verify);
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        msg += " (it is not issued for \"" + SafeText(name_) + "\"; set " +
               config_.FieldOf("serverName") + " to a name the certificate holds)";
        break;
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        msg +=
            " (renew the server's certificate; " + config_.FieldOf("caFile") + " cannot fix this)";
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        msg += config_.sources.ca.empty()
                   ? " (not signed by a CA in the system trust store; set " +
                         config_.FieldOf("caFile") + " to the CA that signed it)"
                   : " (not signed by a CA in " + config_.sources.ca.field + " (" +
                         SafeText(config_.sources.ca.Describe()) + "))";
        break;
      default:
        break;
    }
    ERR_clear_error();
    return MakeError(ErrorCode::kPermissionDenied, msg);
  }
  const unsigned long first = ERR_peek_error();  // NOLINT(google-runtime-int)
  std::string detail;
  while (const unsigned long e = ERR_get_error()) {  // NOLINT(google-runtime-int)
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!detail.empty()) detail += "; ";
    detail += buf;
  }
  if (first == 0) {
    detail = saved_errno != 0 ? std::strerror(saved_errno) : "the server closed the connection";
    return MakeError(ErrorCode::kUnavailable, stage + ": " + detail);
  }
  detail = SafeText(detail);
  switch (ERR_GET_REASON(first)) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      if (config_.sources.cert.empty()) {
        return MakeError(ErrorCode::kPermissionDenied,
                         stage + ": the server requires a client certificate; set " +
                             config_.FieldOf("certFile") + " and " + config_.FieldOf("keyFile") +
                             " (" + detail + ")");
      }
      break;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return MakeError(ErrorCode::kPermissionDenied,
                       stage + ": the server refused the client certificate in " +
                           config_.FieldOf("certFile") + " (" + detail + ")");
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      return MakeError(ErrorCode::kUnavailable,
                       stage +
                           ": the server did not answer in TLS (is this a plain Redis port? "
                           "drop rediss:// and tls:) (" +
                           detail + ")");
    default:
      break;
  }
  return MakeError(ErrorCode::kUnavailable, stage + ": " + detail);
}

}  // namespace ebb::scalers
