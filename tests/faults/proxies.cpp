#include "tests/faults/proxies.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "tests/support/local.h"

namespace ebb::testing {
namespace {

bool SendAll(int fd, const char* data, size_t size) {
  size_t off = 0;
  while (off < size) {
    const ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool SendAll(int fd, const std::string& s) {
  return SendAll(fd, s.data(), s.size());
}

int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads one request (head and Content-Length body) from `fd`; the head's Connection header is
// replaced by "close" so that the upstream ends its answer by closing.
bool ReadRequest(int fd, std::string* out) {
  std::string buf;
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[8192];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  std::string head, lower;
  size_t length = 0;
  size_t pos = 0;
  while (pos < end) {
    size_t e = buf.find("\r\n", pos);
    if (e == std::string::npos || e > end) e = end;
    const std::string line = buf.substr(pos, e - pos);
    lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.rfind("content-length:", 0) == 0) length = std::stoul(line.substr(15));
    if (lower.rfind("connection:", 0) != 0) head += line + "\r\n";
    pos = e + 2;
  }
  std::string body = buf.substr(end + 4);
  while (body.size() < length) {
    char tmp[8192];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    body.append(tmp, static_cast<size_t>(n));
  }
  *out = head + "Connection: close\r\n\r\n" + body;
  return true;
}

}  // namespace

LoopbackServer::LoopbackServer() {
  listen_fd_ = ListenLoopback(&port_);
}

LoopbackServer::~LoopbackServer() {
  Shutdown();
}

void LoopbackServer::Begin() {
  acceptor_ = std::thread([this] { Accept(); });
}

void LoopbackServer::Shutdown() {
  if (stop_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : conns_) t.join();
  for (int fd : fds_) ::close(fd);
}

bool LoopbackServer::Sleep(Duration d) const {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stop_.load()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return false;
}

void LoopbackServer::Accept() {
  for (int index = 0; !stop_.load(); ++index) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    conns_.emplace_back([this, fd, index] { Serve(fd, index); });
  }
}

TcpFaultProxy::TcpFaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  Begin();
}

TcpFaultProxy::~TcpFaultProxy() {
  Shutdown();
}

void TcpFaultProxy::Set(TcpFault fault, Duration byte_interval, Duration lifetime) {
  byte_interval_ms_ = byte_interval.count();
  lifetime_ms_ = lifetime.count();
  fault_ = fault;
}

void TcpFaultProxy::Serve(int fd, int index) {
  connections_.fetch_add(1);
  if (fault_.load() == TcpFault::kFlaky && index % 2 == 1) {
    cuts_.fetch_add(1);
    ::shutdown(fd, SHUT_RDWR);
    return;
  }
  const int up = ConnectLoopback(upstream_port_);
  if (up < 0) {
    ::shutdown(fd, SHUT_RDWR);
    return;
  }
  const auto born = std::chrono::steady_clock::now();
  std::string to_client;  // bytes from the server not yet passed on (dribble)
  auto next_byte = born;
  for (;;) {
    if (stopping()) break;
    const auto now = std::chrono::steady_clock::now();
    const TcpFault fault = fault_.load();
    if (fault == TcpFault::kFlaky && now - born > std::chrono::milliseconds(lifetime_ms_.load())) {
      cuts_.fetch_add(1);
      break;
    }
    if (!to_client.empty() && (fault != TcpFault::kDribble || now >= next_byte)) {
      const size_t n = fault == TcpFault::kDribble ? 1 : to_client.size();
      if (!SendAll(fd, to_client.data(), n)) break;
      to_client.erase(0, n);
      next_byte = now + std::chrono::milliseconds(byte_interval_ms_.load());
    }
    pollfd p[2] = {{fd, POLLIN, 0}, {up, POLLIN, 0}};
    if (::poll(p, 2, 20) < 0) break;
    char buf[16384];
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0 || !SendAll(up, buf, static_cast<size_t>(n))) break;
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(up, buf, sizeof buf, 0);
      if (n <= 0) break;
      to_client.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(up);
  ::shutdown(fd, SHUT_RDWR);
}

HttpFaultProxy::HttpFaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  Begin();
}

HttpFaultProxy::~HttpFaultProxy() {
  Shutdown();
}

void HttpFaultProxy::Set(HttpFault fault) {
  std::lock_guard lock(mu_);
  fault_ = std::move(fault);
}

void HttpFaultProxy::Serve(int fd, int) {
  std::string request;
  if (!ReadRequest(fd, &request)) return;
  requests_.fetch_add(1);
  HttpFault f;
  {
    std::lock_guard lock(mu_);
    f = fault_;
  }
  if (f.delay.count() > 0 && !Sleep(f.delay)) return;
  if (f.endless_bytes > 0) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n" +
                    std::string("Content-Length: ") + std::to_string(f.endless_bytes) + "\r\n\r\n" +
                    f.body);
    const std::string spaces(1 << 20, ' ');
    int64_t left = f.endless_bytes - static_cast<int64_t>(f.body.size());
    while (left > 0 && !stopping()) {
      const size_t n = static_cast<size_t>(std::min<int64_t>(left, 1 << 20));
      if (!SendAll(fd, spaces.data(), n)) break;  // the client gave up: what a cap looks like
      left -= static_cast<int64_t>(n);
    }
  } else if (f.status > 0) {
    SendAll(fd, "HTTP/1.1 " + std::to_string(f.status) +
                    " Injected\r\nContent-Type: " + f.content_type +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(f.body.size()) +
                    "\r\n\r\n" + f.body);
  } else {
    const int up = ConnectLoopback(upstream_port_);
    if (up >= 0 && SendAll(up, request)) {
      char buf[16384];
      for (ssize_t n; (n = ::recv(up, buf, sizeof buf, 0)) > 0;)
        if (!SendAll(fd, buf, static_cast<size_t>(n))) break;
    }
    if (up >= 0) ::close(up);
  }
  ::shutdown(fd, SHUT_RDWR);
}

}  // namespace ebb::testing
