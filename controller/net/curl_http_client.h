// libcurl implementation of HttpClient. Easy handles are pooled and reused, and every handle joins
// one CURLSH that shares the connection cache, DNS cache and TLS sessions, so repeated queries to
// the same Prometheus reuse keep-alive connections whichever thread sends them. SendAll drives a
// curl multi handle with a bounded number of transfers in flight (no thread per request).
#pragma once

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "controller/net/http_client.h"

namespace ebb::net {

struct CurlHttpClientOptions {
  std::size_t max_idle_handles = 64;          // pooled easy handles kept between requests
  std::size_t max_response_bytes = 16 << 20;  // larger bodies fail with kParse
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  std::vector<Result<HttpResponse>> SendAll(std::span<const HttpRequest> requests,
                                            std::size_t max_in_flight) override;

 private:
  struct EasyDeleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
  };
  struct ShareDeleter {
    void operator()(CURLSH* s) const { curl_share_cleanup(s); }
  };
  using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
  struct Transfer;

  EasyPtr Acquire();
  void Release(EasyPtr handle);
  Result<void> Prepare(Transfer& t, const HttpRequest& request);
  Result<HttpResponse> Finish(Transfer& t, CURLcode code);

  static void LockCallback(CURL* handle, curl_lock_data data, curl_lock_access access, void* user);
  static void UnlockCallback(CURL* handle, curl_lock_data data, void* user);

  CurlHttpClientOptions options_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks_;
  std::unique_ptr<CURLSH, ShareDeleter> share_;
  std::mutex idle_mu_;
  std::vector<EasyPtr> idle_;
};

// "https://user:pw@host:9090/api/v1/query?x" -> "https://host:9090/api/v1/query" (for messages).
std::string RedactUrl(std::string_view url);

}  // namespace ebb::net
