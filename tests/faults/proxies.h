// Fault-injecting proxies in front of real servers on loopback: a TCP proxy for Redis (bytes
// dribbled, connections cut) and an HTTP proxy for Prometheus (canned error pages, delays, an
// endless answer). Whatever is not injected is the real server's own answer, byte for byte.
// A thread per connection; the destructor shuts every connection down and joins it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/base/time.h"

namespace ebb::testing {

// Runs `serve(fd)` on a thread per accepted loopback connection until destroyed.
class LoopbackServer {
 public:
  LoopbackServer();
  virtual ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  int port() const { return port_; }

 protected:
  void Begin();     // starts accepting (called by the subclass once it is built)
  void Shutdown();  // stops accepting and joins every connection (the subclass's destructor)
  virtual void Serve(int fd, int index) = 0;
  bool stopping() const { return stop_.load(); }
  // Waits up to `d` or until stopping; returns false when stopping.
  bool Sleep(Duration d) const;

 private:
  void Accept();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::thread acceptor_;
  std::vector<std::thread> conns_;
  std::vector<int> fds_;
};

enum class TcpFault {
  kNone,     // forward both ways
  kDribble,  // server -> client one byte per `byte_interval` (a server that is alive but slow)
  kFlaky,    // every other connection is closed at once; the others are cut after `lifetime`
};

class TcpFaultProxy : public LoopbackServer {
 public:
  explicit TcpFaultProxy(int upstream_port);
  ~TcpFaultProxy() override;
  void Set(TcpFault fault, Duration byte_interval = Seconds(1), Duration lifetime = Seconds(2));
  int connections() const { return connections_.load(); }
  int cuts() const { return cuts_.load(); }

 private:
  void Serve(int fd, int index) override;
  int upstream_port_;
  std::atomic<TcpFault> fault_{TcpFault::kNone};
  std::atomic<int64_t> byte_interval_ms_{1000}, lifetime_ms_{2000};
  std::atomic<int> connections_{0}, cuts_{0};
};

struct HttpFault {
  int status = 0;  // answer this instead of forwarding (0: forward)
  std::string content_type = "text/html";
  std::string body;
  Duration delay{0};          // before answering or forwarding
  int64_t endless_bytes = 0;  // > 0: answer 200 with `body` padded by spaces to this size
};

class HttpFaultProxy : public LoopbackServer {
 public:
  explicit HttpFaultProxy(int upstream_port);
  ~HttpFaultProxy() override;
  void Set(HttpFault fault);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  int requests() const { return requests_.load(); }

 private:
  void Serve(int fd, int index) override;
  int upstream_port_;
  std::mutex mu_;
  HttpFault fault_;
  std::atomic<int> requests_{0};
};

}  // namespace ebb::testing
