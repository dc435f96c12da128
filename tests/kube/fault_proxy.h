// A thin fault-injecting HTTP proxy for tests: plain HTTP from the client under test, HTTPS to
// the real kube-apiserver (through libcurl), with injected faults per path substring: extra
// latency, an HTTP status (429 with Retry-After, 5xx), a watch stream cut after N events, or a
// watch ERROR 410 Gone. Everything else is the real server's answer. Thread per connection.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/base/time.h"

namespace ebb::testing {

struct Fault {
  std::string path_contains;         // matches request targets containing this
  std::string method;                // and only this method ("": any)
  int times = 1;                     // how many matching requests it applies to (-1: all)
  int status = 0;                    // answer this status instead of forwarding (0: forward)
  int retry_after_s = -1;            // with `status`: a Retry-After header
  Duration latency{0};               // delay before forwarding
  int drop_watch_after_events = -1;  // watch: close the connection after this many events
  bool watch_gone = false;           // watch: answer one ERROR event with code 410

  static Fault On(std::string path, int times) {
    Fault f;
    f.path_contains = std::move(path);
    f.times = times;
    return f;
  }
  static Fault Status(std::string path, int times, int status, int retry_after_s = -1) {
    Fault f = On(std::move(path), times);
    f.status = status;
    f.retry_after_s = retry_after_s;
    return f;
  }
};

class FaultProxy {
 public:
  FaultProxy(std::string upstream, std::string ca_file);
  ~FaultProxy();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Add(Fault f);
  void Clear();
  int requests() const { return requests_.load(); }
  int faults_applied() const { return applied_.load(); }
  // "GET /apis/...?query" of every request forwarded or answered, in arrival order.
  std::vector<std::string> Seen() const;
  void ClearSeen();

 private:
  void Accept();
  void Serve(int fd);
  bool Take(const std::string& method, const std::string& target, Fault* out);
  std::string upstream_, ca_file_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, applied_{0};
  mutable std::mutex mu_;
  std::vector<Fault> faults_;
  std::vector<std::string> seen_;
  std::thread acceptor_;
  std::vector<std::thread> conns_;
  std::vector<int> conn_fds_;
};

}  // namespace ebb::testing
