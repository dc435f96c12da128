// A TLS client session over a connected non-blocking socket the caller owns. It never waits:
// every call says whether it finished or needs the socket readable/writable first, so the
// caller's poll() with its one deadline covers the handshake as it covers every read.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "controller/base/result.h"
#include "scalers/tls_config.h"

struct ssl_st;

namespace ebb::scalers {

class TlsStream {
 public:
  enum class Status { kDone, kWantRead, kWantWrite, kClosed, kFailed };
  struct Io {
    Status status = Status::kDone;
    std::size_t bytes = 0;
    Error error;         // kFailed: what went wrong and which field to change
    bool alert = false;  // kFailed by what TLS said (an alert, a bad record), not the socket
  };

  // `host` is the address's host: the name sent (SNI) and verified unless config.server_name.
  static Result<std::unique_ptr<TlsStream>> Create(int fd, const TlsClientConfig& config,
                                                   const TlsMaterial& material,
                                                   const std::string& host);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  Io Handshake();
  Io Read(char* buf, std::size_t cap);
  Io Write(const char* data, std::size_t len);

 private:
  TlsStream(ssl_st* ssl, std::shared_ptr<ssl_ctx_st> ctx, TlsClientConfig config, std::string name);
  Io Outcome(int rc, bool handshake);
  Error Failure(bool handshake);

  ssl_st* ssl_;
  std::shared_ptr<ssl_ctx_st> ctx_;
  TlsClientConfig config_;
  std::string name_;  // the name verified
};

}  // namespace ebb::scalers
