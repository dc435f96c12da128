#include "controller/kube/kube_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "controller/base/text.h"

namespace ebb::kube {

const char* ToString(Verb v) {
  switch (v) {
    case Verb::kGet:
      return "GET";
    case Verb::kPost:
      return "POST";
    case Verb::kPut:
      return "PUT";
    case Verb::kPatch:
      return "PATCH";
    case Verb::kDelete:
      return "DELETE";
  }
  return "?";
}

ErrorCode CodeForStatus(long status) {  // NOLINT(google-runtime-int)
  if (status == 401 || status == 403) return ErrorCode::kPermissionDenied;
  if (status == 404 || status == 410) return ErrorCode::kNotFound;
  if (status == 409) return ErrorCode::kConflict;
  if (status == 408 || status == 504) return ErrorCode::kTimeout;
  if (status == 429 || status >= 500) return ErrorCode::kUnavailable;
  return ErrorCode::kInvalidConfig;
}

namespace {

// "Forbidden", "message" from a Status reply; nullopt for any other body.
std::optional<std::pair<std::string, std::string>> StatusParts(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto member = [&](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (member("kind") != "Status") return std::nullopt;
  // A Status message quotes names and the RBAC rule; 1 KiB keeps all of that.
  return std::pair{SafeText(member("reason"), 64), SafeText(member("message"), 1024)};
}

}  // namespace

std::string StatusText(const std::string& body) {
  if (auto st = StatusParts(body)) return st->first + (st->first.empty() ? "" : ": ") + st->second;
  return SafeText(body);
}

std::string DescribeFailure(Verb verb, const std::string& path, const ApiResponse& r) {
  std::string msg = std::string(ToString(verb)) + " " + path + ": HTTP " + std::to_string(r.status);
  if (auto st = StatusParts(r.body)) {
    msg += " " + st->first + ": " + st->second;
  } else if (!r.body.empty()) {
    msg += ": " + SafeText(r.body);
  }
  return msg;
}

struct KubeClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

namespace {

// Accept JSON, and the bearer token when there is one (curl copies the strings).
curl_slist* JsonHeaders(const std::string& token) {
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (!token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  return headers;
}

struct Transfer {
  std::string body;
  int retry_after_s = -1;
  std::size_t max_bytes = 64u << 20;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->body.size() + len > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, len);
  return len;
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string lower(line.substr(0, kName.size()));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == kName) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      int s = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
      (void)p;
      if (ec == std::errc()) t->retry_after_s = s;  // HTTP-date form: treated as absent
    }
  }
  return len;
}

ErrorCode CodeForCurl(CURLcode c) {
  if (c == CURLE_OPERATION_TIMEDOUT) return ErrorCode::kTimeout;
  if (c == CURLE_SSL_CACERT || c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CERTPROBLEM)
    return ErrorCode::kPermissionDenied;
  return ErrorCode::kUnavailable;
}

void SetBlob(CURL* h, CURLoption opt, const std::string& pem) {
  curl_blob b{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(h, opt, &b);
}

}  // namespace

KubeClient::KubeClient(KubeConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      limiter_(options_.qps, options_.burst) {
  token_ = config_.token;
}

void KubeClient::Throttle() {
  const Duration wait = limiter_.Reserve(std::chrono::steady_clock::now());
  if (wait.count() <= 0) return;
  stats_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  std::this_thread::sleep_for(wait);
}

KubeClient::~KubeClient() = default;

std::string KubeClient::Token(bool force_reload) {
  std::lock_guard lock(token_mu_);
  if (config_.token_file.empty()) return token_;
  const Timestamp now = SystemClock().Now();
  if (force_reload || token_.empty() || now - token_read_at_ >= options_.token_reload_period) {
    std::ifstream in(config_.token_file);
    if (in) {
      std::ostringstream s;
      s << in.rdbuf();
      std::string t = s.str();
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      if (!t.empty()) token_ = std::move(t);  // keep the old one if the file is mid-rotation
    }
    token_read_at_ = now;
  }
  return token_;
}

std::unique_ptr<KubeClient::Handle> KubeClient::Acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  return h;
}

void KubeClient::Release(std::unique_ptr<Handle> h) {
  std::lock_guard lock(pool_mu_);
  if (idle_.size() < 32) idle_.push_back(std::move(h));
}

void KubeClient::Configure(Handle& h) {
  CURL* c = h.curl;
  curl_easy_reset(c);  // keeps the connection cache: keep-alive survives between requests
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (!config_.ca_pem.empty())
    SetBlob(c, CURLOPT_CAINFO_BLOB, config_.ca_pem);
  else if (!config_.ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config_.client_cert_pem.empty())
    SetBlob(c, CURLOPT_SSLCERT_BLOB, config_.client_cert_pem);
  else if (!config_.client_cert_file.empty())
    curl_easy_setopt(c, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
  if (!config_.client_key_pem.empty())
    SetBlob(c, CURLOPT_SSLKEY_BLOB, config_.client_key_pem);
  else if (!config_.client_key_file.empty())
    curl_easy_setopt(c, CURLOPT_SSLKEY, config_.client_key_file.c_str());
}

Result<ApiResponse> KubeClient::Do(Verb verb, const std::string& path, const std::string& body,
                                   const std::string& content_type, Duration timeout) {
  // The request timeout starts once the client-side limit lets the request go.
  Throttle();
  auto handle = Acquire();
  const auto deadline =
      std::chrono::steady_clock::now() + (timeout.count() > 0 ? timeout : options_.request_timeout);
  bool reloaded_token = false;
  for (int attempt = 0;; ++attempt) {
    Configure(*handle);
    CURL* c = handle->curl;
    Transfer t;
    const std::string url = config_.server + path;
    t.max_bytes = options_.max_response_bytes;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Release(std::move(handle));
      return MakeError(ErrorCode::kTimeout, std::string(ToString(verb)) + " " + path +
                                                ": timed out (throttled by the API server)");
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &ReadHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_slist* headers = JsonHeaders(Token(false));
    std::string ctype;
    switch (verb) {
      case Verb::kGet:
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        break;
      case Verb::kDelete:
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
        break;
      case Verb::kPost:
      case Verb::kPut:
      case Verb::kPatch:
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        if (verb != Verb::kPost) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, ToString(verb));
        ctype = "Content-Type: " +
                (content_type.empty() ? std::string("application/json") : content_type);
        headers = curl_slist_append(headers, ctype.c_str());
        break;
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    const auto sent_at = std::chrono::steady_clock::now();
    const CURLcode code = curl_easy_perform(c);
    const auto elapsed =
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - sent_at);
    curl_slist_free_all(headers);
    // The Authorization header must not linger in a pooled handle.
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    (verb == Verb::kGet ? stats_.reads : stats_.writes).fetch_add(1, std::memory_order_relaxed);
    if (code != CURLE_OK) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      Release(std::move(handle));
      std::string what = curl_easy_strerror(code);
      ErrorCode ec = CodeForCurl(code);
      if (t.too_large) {
        what = "reply refused: larger than " + std::to_string(t.max_bytes) +
               " bytes, the cap on one API response";
        ec = ErrorCode::kParse;
      }
      Observe(verb, path, false, 0, elapsed, what);
      return MakeError(ec, std::string(ToString(verb)) + " " + config_.server + path + ": " + what);
    }
    long status = 0;  // NOLINT(google-runtime-int)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    Observe(verb, path, false, status, elapsed,
            status >= 200 && status < 300 ? std::string() : StatusText(t.body));
    if (status >= 500) stats_.errors.fetch_add(1, std::memory_order_relaxed);
    if (status == 401 && !reloaded_token && !config_.token_file.empty()) {
      // The projected token may have rotated under us: re-read it once before giving up.
      reloaded_token = true;
      (void)Token(true);
      continue;
    }
    const bool throttled = status == 429 || (status >= 500 && t.retry_after_s >= 0);
    if (status == 429) stats_.throttled.fetch_add(1, std::memory_order_relaxed);
    if (throttled && attempt < options_.max_throttle_retries) {
      // Honour Retry-After (client-go's checkWait), capped and within the request deadline.
      Duration wait = Seconds(std::max(t.retry_after_s, 1));
      wait = std::min(wait, options_.max_retry_after);
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (wait < remaining) {
        std::this_thread::sleep_for(wait);
        Throttle();
        continue;
      }
    }
    Release(std::move(handle));
    return ApiResponse{status, std::move(t.body)};
  }
}

Result<nlohmann::json> KubeClient::JsonCall(Verb verb, const std::string& path,
                                            const std::string& body,
                                            const std::string& content_type, Duration timeout) {
  auto r = Do(verb, path, body, content_type, timeout);
  if (!r) return r.error();
  if (r->status < 200 || r->status >= 300)
    return MakeError(CodeForStatus(r->status), DescribeFailure(verb, path, *r));
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded())
    return MakeError(ErrorCode::kParse,
                     std::string(ToString(verb)) + " " + path + ": reply is not JSON");
  return j;
}

void KubeClient::Observe(Verb verb, const std::string& path, bool watch,
                         long code,  // NOLINT(google-runtime-int)
                         Duration elapsed, std::string error) {
  if (!observer_) return;
  ApiCall call{DescribeRequest(verb, path, watch), code, elapsed, std::move(error)};
  try {
    observer_(call);
  } catch (...) {  // NOLINT(bugprone-empty-catch): may run inside libcurl's callback frames
    // Reporting must never fail the request (nor unwind through C); the next call reports again.
  }
}

namespace {
// A body is written by us but may carry outside text (an error quoted in a status or an Event):
// invalid UTF-8 becomes U+FFFD instead of an exception.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

Result<nlohmann::json> KubeClient::Get(const std::string& path) {
  return JsonCall(Verb::kGet, path, "", "");
}
Result<nlohmann::json> KubeClient::Get(const std::string& path, Duration timeout) {
  return JsonCall(Verb::kGet, path, "", "", timeout);
}
Result<nlohmann::json> KubeClient::Post(const std::string& path, const nlohmann::json& body) {
  return JsonCall(Verb::kPost, path, Dump(body), "");
}
Result<nlohmann::json> KubeClient::Put(const std::string& path, const nlohmann::json& body) {
  return JsonCall(Verb::kPut, path, Dump(body), "");
}
Result<nlohmann::json> KubeClient::MergePatch(const std::string& path,
                                              const nlohmann::json& patch) {
  return JsonCall(Verb::kPatch, path, Dump(patch), "application/merge-patch+json");
}
Result<nlohmann::json> KubeClient::Delete(const std::string& path) {
  return JsonCall(Verb::kDelete, path, "", "");
}

namespace {

struct WatchState {
  const std::function<void(WatchEvent&&)>* on_event = nullptr;
  const std::function<void()>* on_open = nullptr;
  const std::atomic<bool>* stop = nullptr;
  std::string buffer;
  std::string error_body;  // a non-200 reply's body
  long status = 0;         // NOLINT(google-runtime-int)
  CURL* curl = nullptr;
  bool opened = false;
  std::size_t max_line = 0;
  std::string stream_error;  // why the stream was aborted: a bad line, an oversized event
};

// The end of the headers: a 200 means the watch is established, before any event arrives.
size_t WatchHeader(char* data, size_t size, size_t n, void* user) {
  auto* w = static_cast<WatchState*>(user);
  const size_t len = size * n;
  const std::string_view line(data, len);
  if (line == "\r\n" || line == "\n") {
    long status = 0;  // NOLINT(google-runtime-int)
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200 && !w->opened) {
      w->opened = true;
      if (*w->on_open) (*w->on_open)();
    }
  }
  return len;
}

size_t WatchWrite(char* data, size_t size, size_t n, void* user) {
  auto* w = static_cast<WatchState*>(user);
  const size_t len = size * n;
  if (w->status == 0) curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->status);
  if (w->status != 200) {
    if (w->error_body.size() < 4096) w->error_body.append(data, len);
    return len;
  }
  w->buffer.append(data, len);
  if (w->buffer.size() > w->max_line && w->buffer.find('\n') == std::string::npos) {
    w->stream_error = "an event line over " + std::to_string(w->max_line) + " bytes";
    return 0;  // abort: a line this long is not an object the server would send
  }
  size_t start = 0;
  for (;;) {
    const size_t nl = w->buffer.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(w->buffer.data() + start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    const auto type = j.is_object() ? j.find("type") : j.end();
    if (j.is_discarded() || !j.is_object() || type == j.end() || !type->is_string()) {
      w->stream_error = "bad event line";
      return 0;  // abort: the stream is corrupt, the caller re-lists
    }
    WatchEvent ev{type->get<std::string>(), std::move(j["object"])};
    // An exception must not unwind through libcurl's C frames.
    try {
      (*w->on_event)(std::move(ev));
    } catch (const std::exception& e) {
      w->stream_error = "event not handled: " + SafeText(e.what());
      return 0;
    }
  }
  w->buffer.erase(0, start);
  return len;
}

int WatchProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* w = static_cast<WatchState*>(user);
  return w->stop->load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace

Result<void> KubeClient::Watch(const std::string& path,
                               const std::function<void(WatchEvent&&)>& on_event,
                               const std::atomic<bool>& stop, Duration idle_timeout,
                               const std::function<void()>& on_open) {
  Throttle();
  Handle h;
  h.curl = curl_easy_init();
  Configure(h);
  CURL* c = h.curl;
  const std::string url = config_.server + path;
  WatchState w;
  w.on_event = &on_event;
  w.stop = &stop;
  w.curl = c;
  w.max_line = options_.max_response_bytes;
  const auto sent_at = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - sent_at);
  };
  const std::function<void()> opened = [&] {
    Observe(Verb::kGet, path, true, 200, since(), "");
    if (on_open) on_open();
  };
  w.on_open = &opened;
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &WatchHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &w);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WatchWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &w);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &WatchProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &w);
  // A dead connection (no bytes, no bookmarks) is noticed within idle_timeout.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(1, idle_timeout.count() / 1000)));
  curl_slist* headers = JsonHeaders(Token(false));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(c);
  curl_slist_free_all(headers);
  stats_.reads.fetch_add(1, std::memory_order_relaxed);
  if (stop.load()) return {};
  if (w.status == 0) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w.status);
  if (w.status != 0 && w.status != 200) {
    if (w.status == 401) (void)Token(true);
    Observe(Verb::kGet, path, true, w.status, since(), StatusText(w.error_body));
    return MakeError(CodeForStatus(w.status),
                     DescribeFailure(Verb::kGet, path, ApiResponse{w.status, w.error_body}));
  }
  if (!w.stream_error.empty())
    return MakeError(ErrorCode::kParse, "watch " + path + ": " + w.stream_error);
  if (code != CURLE_OK) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    if (!w.opened) Observe(Verb::kGet, path, true, 0, since(), curl_easy_strerror(code));
    return MakeError(CodeForCurl(code),
                     "watch " + config_.server + path + ": " + curl_easy_strerror(code));
  }
  return {};
}

}  // namespace ebb::kube
