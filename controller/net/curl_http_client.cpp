#include "controller/net/curl_http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <tuple>
#include <utility>

namespace ebb::net {
namespace {

std::once_flag g_curl_init;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

const char* MethodName(HttpMethod m) {
  return m == HttpMethod::kPost ? "POST" : "GET";
}

ErrorCode CodeForCurl(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorCode::kTimeout;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return ErrorCode::kInvalidConfig;
    case CURLE_SSL_CLIENTCERT:  // the server refused our certificate (or wanted one)
      return ErrorCode::kPermissionDenied;
    case CURLE_PEER_FAILED_VERIFICATION:
      return ErrorCode::kPermissionDenied;
    case CURLE_WRITE_ERROR:
      return ErrorCode::kParse;
    default:
      return ErrorCode::kUnavailable;
  }
}

// What to change for a TLS failure, in the metric block's field names (tls.caFile, ...). The
// server's refusal of our certificate arrives as a TLS alert on a read (TLS 1.3 checks it after
// the handshake), so it is recognised by the alert's text.
std::string TlsHint(CURLcode code, std::string_view detail, ErrorCode* error_code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
      return " (the server's certificate is not trusted: check tls.caFile or tls.caSecretKeyRef)";
    case CURLE_SSL_CACERT_BADFILE:
      return " (tls.caFile / tls.caSecretKeyRef)";
    case CURLE_SSL_CERTPROBLEM:
      return " (tls.certFile / tls.keyFile, or their SecretKeyRefs)";
    case CURLE_SSL_CLIENTCERT:
      return " (the server wants a client certificate it accepts: tls.certFile / tls.keyFile)";
    default:
      break;
  }
  for (std::string_view alert : {"alert certificate required", "alert unknown ca",
                                 "alert bad certificate", "alert handshake failure"}) {
    if (detail.find(alert) != std::string_view::npos) {
      *error_code = ErrorCode::kPermissionDenied;
      return " (the server refused the client certificate, or wants one: tls.certFile / "
             "tls.keyFile)";
    }
  }
  return "";
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string_view rest = url;
  std::string scheme;
  if (auto p = rest.find("://"); p != std::string_view::npos) {
    scheme = std::string(rest.substr(0, p + 3));
    rest.remove_prefix(p + 3);
  }
  if (auto q = rest.find_first_of("?#"); q != std::string_view::npos) rest = rest.substr(0, q);
  const auto slash = rest.find('/');
  const auto at = rest.substr(0, slash).rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  return scheme + std::string(rest);
}

struct CurlHttpClient::Transfer {
  EasyPtr easy;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  const HttpRequest* request = nullptr;
  std::string body;
  std::size_t limit = 0;
  bool too_large = false;
  char errbuf[CURL_ERROR_SIZE] = {};

  static std::size_t Write(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t bytes = size * n;
    if (t->body.size() + bytes > t->limit) {
      t->too_large = true;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    t->body.append(data, bytes);
    return bytes;
  }
};

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) : options_(options) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_.reset(curl_share_init());
  if (share_) {
    curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &CurlHttpClient::LockCallback);
    curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &CurlHttpClient::UnlockCallback);
    curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, static_cast<void*>(this));
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
}

CurlHttpClient::~CurlHttpClient() {
  // Handles must leave the share before the share is cleaned up.
  std::lock_guard lock(idle_mu_);
  idle_.clear();
}

void CurlHttpClient::LockCallback(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  auto* self = static_cast<CurlHttpClient*>(user);
  self->share_locks_.at(static_cast<std::size_t>(data)).lock();
}

void CurlHttpClient::UnlockCallback(CURL*, curl_lock_data data, void* user) {
  auto* self = static_cast<CurlHttpClient*>(user);
  self->share_locks_.at(static_cast<std::size_t>(data)).unlock();
}

CurlHttpClient::EasyPtr CurlHttpClient::Acquire() {
  {
    std::lock_guard lock(idle_mu_);
    if (!idle_.empty()) {
      EasyPtr h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return EasyPtr(curl_easy_init());
}

void CurlHttpClient::Release(EasyPtr handle) {
  if (!handle) return;
  std::lock_guard lock(idle_mu_);
  if (idle_.size() < options_.max_idle_handles) idle_.push_back(std::move(handle));
}

Result<void> CurlHttpClient::Prepare(Transfer& t, const HttpRequest& request) {
  t.easy = Acquire();
  if (!t.easy) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* h = t.easy.get();
  curl_easy_reset(h);
  t.request = &request;
  t.limit = options_.max_response_bytes;
  t.errbuf[0] = '\0';
  if (share_) curl_easy_setopt(h, CURLOPT_SHARE, share_.get());
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Transfer::Write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, static_cast<void*>(&t));
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 64L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate if offered
  // A declared length over the cap is refused before a byte is read; the write callback caps
  // the rest (chunked, or decompressed beyond the limit).
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.limit));
  const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // TLS: verification on unless explicitly disabled.
  const long verify = request.tls.insecure_skip_verify ? 0L : 1L;
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, request.tls.insecure_skip_verify ? 0L : 2L);
  // PEM from a Secret goes in as a blob (copied by curl): it never touches the filesystem.
  const auto blob = [h](CURLoption option, const std::string& pem) {
    curl_blob b{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(h, option, &b);
  };
  if (!request.tls.ca_pem.empty()) {
    blob(CURLOPT_CAINFO_BLOB, request.tls.ca_pem);
  } else if (!request.tls.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, request.tls.ca_file.c_str());
  }
  // curl reuses a pooled connection whatever the key file now is: an unreadable certificate or
  // key file (a wrong path, a rotation gone wrong) must still fail the read, naming the field.
  for (const auto& [field, path, pem] :
       {std::tuple{"tls.certFile", &request.tls.cert_file, &request.tls.cert_pem},
        std::tuple{"tls.keyFile", &request.tls.key_file, &request.tls.key_pem}}) {
    if (path->empty() || !pem->empty()) continue;
    if (::access(path->c_str(), R_OK) != 0) {
      const int e = errno;
      return MakeError(ErrorCode::kInvalidConfig,
                       std::string(field) + ": cannot read " + *path + ": " + std::strerror(e));
    }
  }
  if (!request.tls.cert_pem.empty()) {
    blob(CURLOPT_SSLCERT_BLOB, request.tls.cert_pem);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!request.tls.cert_file.empty()) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, request.tls.cert_file.c_str());
  }
  if (!request.tls.key_pem.empty()) {
    blob(CURLOPT_SSLKEY_BLOB, request.tls.key_pem);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!request.tls.key_file.empty()) {
    curl_easy_setopt(h, CURLOPT_SSLKEY, request.tls.key_file.c_str());
  }
  if (!request.basic_user.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(h, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, request.basic_password.c_str());
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      return MakeError(ErrorCode::kInternal, "out of memory building headers");
    }
    list = next;
  }
  t.headers.reset(list);
  if (list != nullptr) curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  if (request.method == HttpMethod::kPost) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  return {};
}

Result<HttpResponse> CurlHttpClient::Finish(Transfer& t, CURLcode code) {
  const std::string where =
      std::string(MethodName(t.request->method)) + " " + RedactUrl(t.request->url);
  Result<HttpResponse> out = MakeError(ErrorCode::kInternal, "unset");
  if (code == CURLE_OK) {
    HttpResponse resp;
    curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &resp.status);
    resp.body = std::move(t.body);
    out = std::move(resp);
  } else if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    out = MakeError(ErrorCode::kParse, where + ": answer refused: larger than " +
                                           std::to_string(t.limit) +
                                           " bytes, the cap on one response");
  } else {
    std::string detail = t.errbuf[0] != '\0' ? std::string(t.errbuf) : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT) {
      detail = "no response within " + std::to_string(t.request->timeout.count()) + " ms (" +
               detail + ")";
    }
    ErrorCode error_code = CodeForCurl(code);
    detail += TlsHint(code, detail, &error_code);
    out = MakeError(error_code, where + ": " + detail);
  }
  t.headers.reset();
  // Drop our pointers into `t` before the handle goes back to the pool.
  curl_easy_setopt(t.easy.get(), CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(t.easy.get(), CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(t.easy.get(), CURLOPT_WRITEDATA, nullptr);
  if (code == CURLE_OK || code == CURLE_HTTP_RETURNED_ERROR) {
    Release(std::move(t.easy));
  } else {
    t.easy.reset();  // do not reuse a handle after a transport failure
  }
  return out;
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  Transfer t;
  if (auto ok = Prepare(t, request); !ok) return ok.error();
  const CURLcode code = curl_easy_perform(t.easy.get());
  return Finish(t, code);
}

std::vector<Result<HttpResponse>> CurlHttpClient::SendAll(std::span<const HttpRequest> requests,
                                                          std::size_t max_in_flight) {
  std::vector<Result<HttpResponse>> out(requests.size(),
                                        MakeError(ErrorCode::kInternal, "not sent"));
  if (requests.empty()) return out;
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!multi) {
    for (auto& r : out) r = MakeError(ErrorCode::kInternal, "curl_multi_init failed");
    return out;
  }
  max_in_flight = std::max<std::size_t>(1, max_in_flight);
  std::deque<Transfer> transfers(requests.size());  // stable addresses
  std::size_t next = 0;
  std::size_t running = 0;
  auto start_more = [&] {
    while (running < max_in_flight && next < requests.size()) {
      const std::size_t i = next++;
      Transfer& t = transfers[i];
      if (auto ok = Prepare(t, requests[i]); !ok) {
        out[i] = ok.error();
        t.easy.reset();
        continue;
      }
      curl_easy_setopt(t.easy.get(), CURLOPT_PRIVATE, reinterpret_cast<char*>(i));  // NOLINT
      curl_multi_add_handle(multi.get(), t.easy.get());
      ++running;
    }
  };
  start_more();
  while (running > 0) {
    int still = 0;
    curl_multi_perform(multi.get(), &still);
    int queued = 0;
    bool finished_any = false;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      const auto i = reinterpret_cast<std::size_t>(priv);  // NOLINT
      const CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi.get(), msg->easy_handle);
      out[i] = Finish(transfers[i], code);
      --running;
      finished_any = true;
    }
    if (finished_any) {
      start_more();
      continue;
    }
    if (running > 0) curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
  }
  return out;
}

}  // namespace ebb::net
