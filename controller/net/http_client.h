// HTTP client interface used by the metric sources. One request in, one response (any status) or a
// typed transport error out; a batch call runs many requests with bounded concurrency.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"

namespace ebb::net {

enum class HttpMethod { kGet, kPost };

struct TlsOptions {
  std::string ca_file;    // PEM bundle; empty = system trust store
  std::string cert_file;  // client certificate (PEM), with key_file
  std::string key_file;   // its private key (PEM, unencrypted)
  // The same as PEM text (from a Secret), used instead of the file when set.
  std::string ca_pem, cert_pem, key_pem;
  bool insecure_skip_verify = false;  // only when the user asked for it
};

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;               // sent with kPost
  Duration timeout = Seconds(3);  // whole transfer, connect included
  TlsOptions tls;
  std::string basic_user;      // basic auth when non-empty
  std::string basic_password;  // never logged
};

struct HttpResponse {
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Transport failures come back as errors (kTimeout, kUnavailable, ...). Any HTTP status is a
  // response: the caller decides what a 4xx/5xx means (Prometheus puts its error in the body).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
  // Runs every request with at most `max_in_flight` at once; results in request order. The default
  // sends them one by one.
  virtual std::vector<Result<HttpResponse>> SendAll(std::span<const HttpRequest> requests,
                                                    std::size_t max_in_flight);
};

// Percent-encoding for query strings and x-www-form-urlencoded bodies (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);

// Error for an HTTP status that is not 2xx: 401/403 -> kPermissionDenied, 404 -> kNotFound,
// 408/504 -> kTimeout, 429/5xx -> kUnavailable, other 4xx -> kInvalidConfig.
ErrorCode CodeForHttpStatus(long status);  // NOLINT(google-runtime-int)

}  // namespace ebb::net
