// A small Kubernetes REST client over libcurl: JSON GET/POST/PUT/PATCH/DELETE with bounded
// timeouts, bearer tokens re-read as they rotate, client certificates, 429/Retry-After handling,
// and streaming WATCH. Errors carry the verb, path, HTTP status and the server's Status message.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"
#include "controller/kube/api_request.h"
#include "controller/kube/kube_config.h"
#include "controller/kube/rate_limiter.h"

namespace ebb::kube {

enum class Verb { kGet, kPost, kPut, kPatch, kDelete };
const char* ToString(Verb v);

struct ClientOptions {
  Duration request_timeout = Seconds(10);  // whole request, connect included
  Duration connect_timeout = Seconds(3);
  int max_throttle_retries = 3;           // 429 (and 5xx with Retry-After), as client-go does
  Duration max_retry_after = Seconds(5);  // a longer Retry-After is capped, never ignored
  std::string user_agent = "ebb";
  Duration token_reload_period = Seconds(60);  // client-go re-reads token files every minute
  // A larger reply is refused (kParse) rather than held: lists are paged, so only a broken or
  // hostile server sends this much. A watch's single event line has the same cap.
  std::size_t max_response_bytes = 64u << 20;
  // Client-side rate limit (rate_limiter.h): every request, retries and watches included, takes
  // a token. qps <= 0: none (tests, tools); `ebb run` sets --kube-api-qps/--kube-api-burst.
  double qps = 0;
  int burst = 0;
};

// Told about every request the client sends (each retry too), from the sending thread.
using CallObserver = std::function<void(const ApiCall&)>;

struct ApiResponse {
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  std::string body;
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  nlohmann::json object;
};

// Counters a benchmark or /metrics can read; writes are POST/PUT/PATCH/DELETE.
struct ClientStats {
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> throttled{0};     // 429 answers seen
  std::atomic<uint64_t> errors{0};        // transport errors and 5xx
  std::atomic<uint64_t> rate_limited{0};  // requests that waited for the client-side limit
};

// HTTP status -> ErrorCode: 401/403 kPermissionDenied, 404/410 kNotFound, 409 kConflict,
// 408/504 kTimeout, 429/5xx kUnavailable, 400/422 and other 4xx kInvalidConfig.
ErrorCode CodeForStatus(long status);  // NOLINT(google-runtime-int)

class KubeClient {
 public:
  explicit KubeClient(KubeConfig config, ClientOptions options = {});
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // Any HTTP status comes back as a response; only transport failures are errors.
  // `content_type` defaults to application/json for bodies.
  // `timeout` 0: ClientOptions::request_timeout.
  Result<ApiResponse> Do(Verb verb, const std::string& path, const std::string& body = "",
                         const std::string& content_type = "", Duration timeout = Duration(0));

  // JSON helpers: non-2xx becomes an Error whose message names verb, path, status and reason.
  Result<nlohmann::json> Get(const std::string& path);
  // A read allowed longer than request_timeout: a list page from a loaded server.
  Result<nlohmann::json> Get(const std::string& path, Duration timeout);
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body);
  Result<nlohmann::json> Put(const std::string& path, const nlohmann::json& body);
  Result<nlohmann::json> MergePatch(const std::string& path, const nlohmann::json& patch);
  Result<nlohmann::json> Delete(const std::string& path);

  // Streams `path` (which must carry watch=1 and its query) calling on_event per event until
  // the server ends the stream (ok), `stop` becomes true (ok), or an error. A stream that sends
  // nothing for `idle_timeout` is treated as dead (kTimeout): bookmarks keep healthy ones busy.
  // `on_open` runs once the server has answered 200, i.e. the watch is established.
  Result<void> Watch(const std::string& path, const std::function<void(WatchEvent&&)>& on_event,
                     const std::atomic<bool>& stop, Duration idle_timeout = Seconds(90),
                     const std::function<void()>& on_open = {});

  const ClientStats& stats() const { return stats_; }
  // Set before the client is shared between threads.
  void set_observer(CallObserver observer) { observer_ = std::move(observer); }

 private:
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> h);
  void Configure(Handle& h);
  std::string Token(bool force_reload);
  Result<nlohmann::json> JsonCall(Verb verb, const std::string& path, const std::string& body,
                                  const std::string& content_type, Duration timeout = Duration(0));
  void Throttle();
  void Observe(Verb verb, const std::string& path, bool watch, long code,  // NOLINT
               Duration elapsed, std::string error);

  KubeConfig config_;
  ClientOptions options_;
  ClientStats stats_;
  TokenBucket limiter_;
  CallObserver observer_;
  std::mutex token_mu_;
  std::string token_;
  Timestamp token_read_at_{};
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

// "GET /apis/apps/v1/...: HTTP 404 NotFound: deployments.apps \"web\" not found" from a reply.
// The server's text is made valid UTF-8 and bounded (it may come from a proxy, not the server).
std::string DescribeFailure(Verb verb, const std::string& path, const ApiResponse& r);

// A reply's Status message ("reason: message"), or a bounded quote of a body that is not a
// Status; valid UTF-8 either way.
std::string StatusText(const std::string& body);

}  // namespace ebb::kube
