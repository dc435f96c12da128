#include "tests/kube/fault_proxy.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace ebb::testing {
namespace {

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string Chunk(const std::string& data) {
  char len[32];
  std::snprintf(len, sizeof len, "%zx\r\n", data.size());
  return len + data + "\r\n";
}

struct Request {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

bool ReadRequest(int fd, std::string& buf, Request& r) {
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[8192];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  const std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const size_t s1 = line.find(' '), s2 = line.rfind(' ');
  r.method = line.substr(0, s1);
  r.target = line.substr(s1 + 1, s2 - s1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    const std::string h = head.substr(pos, e - pos);
    const size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string v = h.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      r.headers[name] = v;
    }
    pos = e + 2;
  }
  const size_t len =
      r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  while (buf.size() < len) {
    char tmp[8192];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  r.body = buf.substr(0, len);
  buf.erase(0, len);
  return true;
}

struct Stream {
  int fd = -1;
  bool watch = false;
  std::string pending;  // watch: partial line
  int events = 0;
  int drop_after = -1;
  bool headers_sent = false;
  long status = 0;  // NOLINT(google-runtime-int)
  std::string content_type;
  std::string body;  // non-watch: whole body
  CURL* curl = nullptr;
  bool dropped = false;
  const std::atomic<bool>* stop = nullptr;
};

// curl calls this about once a second even on a quiet watch: the proxy's destructor need not
// wait for the API server to end a watch on its own.
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Stream*>(user)->stop->load() ? 1 : 0;
}

size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Stream*>(user);
  const size_t len = size * n;
  if (!s->watch) {
    s->body.append(data, len);
    return len;
  }
  if (!s->headers_sent) {
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
    SendAll(s->fd,
            "HTTP/1.1 " + std::to_string(s->status) +
                " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    s->headers_sent = true;
  }
  s->pending.append(data, len);
  size_t nl;
  while ((nl = s->pending.find('\n')) != std::string::npos) {
    const std::string line = s->pending.substr(0, nl + 1);
    s->pending.erase(0, nl + 1);
    if (!SendAll(s->fd, Chunk(line))) return 0;
    if (++s->events == s->drop_after) {
      s->dropped = true;
      return 0;  // cut: the client sees the connection close mid-stream
    }
  }
  return len;
}

}  // namespace

FaultProxy::FaultProxy(std::string upstream, std::string ca_file)
    : upstream_(std::move(upstream)), ca_file_(std::move(ca_file)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  ::listen(listen_fd_, 64);
  acceptor_ = std::thread([this] { Accept(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : conns_) t.join();
}

void FaultProxy::Add(Fault f) {
  std::lock_guard lock(mu_);
  faults_.push_back(std::move(f));
}

void FaultProxy::Clear() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

std::vector<std::string> FaultProxy::Seen() const {
  std::lock_guard lock(mu_);
  return seen_;
}

void FaultProxy::ClearSeen() {
  std::lock_guard lock(mu_);
  seen_.clear();
}

bool FaultProxy::Take(const std::string& method, const std::string& target, Fault* out) {
  std::lock_guard lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (target.find(it->path_contains) == std::string::npos) continue;
    if (!it->method.empty() && it->method != method) continue;
    *out = *it;
    if (it->times > 0 && --it->times == 0) faults_.erase(it);
    applied_.fetch_add(1);
    return true;
  }
  return false;
}

void FaultProxy::Accept() {
  while (!stop_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::lock_guard lock(mu_);
    conn_fds_.push_back(fd);
    conns_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FaultProxy::Serve(int fd) {
  std::string buf;
  CURL* curl = curl_easy_init();
  for (;;) {
    // A fresh request each time: a Content-Length left over from the previous request on this
    // keep-alive connection would make the proxy wait for a body that never comes.
    Request r;
    if (stop_ || !ReadRequest(fd, buf, r)) break;
    requests_.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      seen_.push_back(r.method + " " + r.target);
    }
    Fault f;
    const bool faulty = Take(r.method, r.target, &f);
    if (faulty && f.latency.count() > 0) std::this_thread::sleep_for(f.latency);
    const bool watch = r.target.find("watch=1") != std::string::npos ||
                       r.target.find("watch=true") != std::string::npos;
    if (faulty && f.status > 0) {
      const std::string body =
          R"J({"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected by the test proxy","reason":"Injected","code":)J" +
          std::to_string(f.status) + "}";
      std::string resp = "HTTP/1.1 " + std::to_string(f.status) +
                         " Injected\r\nContent-Type: application/json\r\n";
      if (f.retry_after_s >= 0) resp += "Retry-After: " + std::to_string(f.retry_after_s) + "\r\n";
      resp += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (!SendAll(fd, resp)) break;
      continue;
    }
    if (watch && faulty && f.watch_gone) {
      SendAll(fd,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: "
              "chunked\r\n\r\n");
      SendAll(
          fd,
          Chunk(
              R"J({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version (injected)","reason":"Expired","code":410}})J"
              "\n"));
      SendAll(fd, "0\r\n\r\n");
      continue;
    }
    curl_easy_reset(curl);
    const std::string url = upstream_ + r.target;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    if (r.method != "GET") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
    curl_slist* hs = nullptr;
    for (const char* h : {"authorization", "content-type", "accept"}) {
      if (r.headers.count(h))
        hs = curl_slist_append(hs, (std::string(h) + ": " + r.headers[h]).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hs);
    Stream s;
    s.fd = fd;
    s.watch = watch;
    s.curl = curl;
    s.drop_after = faulty ? f.drop_watch_after_events : -1;
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnData);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    s.stop = &stop_;
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &s);
    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(hs);
    if (watch) {
      if (s.dropped || rc != CURLE_OK) break;  // close the client connection
      if (!s.headers_sent) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &s.status);
        SendAll(fd,
                "HTTP/1.1 " + std::to_string(s.status) +
                    " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      }
      if (!SendAll(fd, "0\r\n\r\n")) break;
      continue;
    }
    if (rc != CURLE_OK) break;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &s.status);
    const std::string resp =
        "HTTP/1.1 " + std::to_string(s.status) +
        " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(s.body.size()) +
        "\r\n\r\n" + s.body;
    if (!SendAll(fd, resp)) break;
  }
  curl_easy_cleanup(curl);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

}  // namespace ebb::testing
