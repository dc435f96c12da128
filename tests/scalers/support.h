// Test support for the scalers tests: the shared real servers (started by the ctest fixture
// `scalers_servers`, or by the test binary itself when run by hand), small loopback servers made
// in-process, and shell helpers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/base/time.h"
#include "scalers/config_util.h"
#include "tests/support/local.h"

namespace ebb::testing {

struct Servers {
  std::string dir;
  int redis_port = 0;       // no auth
  int redis_auth_port = 0;  // requirepass "default-secret"; ACL users ebb/ebb-secret, limited
  int prom_port = 0;        // history from fixtures/gen_history.py
  int prom_tls_port = 0;    // https, CA at dir/tls/ca.crt
  std::string ca_file() const { return dir + "/tls/ca.crt"; }
  std::string wrong_ca_file() const { return dir + "/tls/wrong-ca.crt"; }
};
const Servers& SharedServers();

std::string FixturesDir();

// Secrets held in memory behind the scalers' SecretReader port (the real reader is
// kube::SecretCache, tested against the API server in tests/kube and tests/e2e): a scaler test
// gives its block Secret references and the values the servers need.
class MapSecrets final : public scalers::SecretReader {
 public:
  void Set(const std::string& ns, const std::string& name, const std::string& key,
           std::string value) {
    std::lock_guard lock(mu_);
    values_[ns + "/" + name + "/" + key] = std::move(value);
  }
  Result<std::string> Read(const std::string& ns, const std::string& name,
                           const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = values_.find(ns + "/" + name + "/" + key);
    if (it == values_.end()) return MakeError(ErrorCode::kNotFound, "the Secret has no such key");
    return it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> values_;
};

// The whole contents of a file (a certificate the fixture made), for a Secret's value.
std::string FileText(const std::string& path);

// Servers a fixture script runs in a fresh temporary folder: `<script> start DIR [args]` writes
// DIR/env as KEY=port lines; the destructor runs `<script> stop DIR` and removes the folder.
class FixtureServers {
 public:
  FixtureServers(const std::string& script, const std::string& args = "");
  ~FixtureServers();
  FixtureServers(const FixtureServers&) = delete;
  FixtureServers& operator=(const FixtureServers&) = delete;
  int port(const std::string& key) const;  // throws when the script wrote no such key
  const std::string& dir() const { return dir_; }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string script_;
  std::string dir_;
  std::map<std::string, int> ports_;
};
// Sends the lines to `redis-cli -p port -n db` (with the default password when `password` set).
std::string RedisCli(int port, int db, const std::vector<std::string>& lines,
                     const std::string& password = "");

// A one-route HTTP/1.1 server answering every request with a fixed status and body, recording
// the raw requests it saw.
class CannedHttpServer {
 public:
  CannedHttpServer(int status, std::string body);
  ~CannedHttpServer();
  int port() const { return port_; }
  std::vector<std::string> requests();

 private:
  void Serve();
  int fd_ = -1;
  int port_ = 0;
  int status_;
  std::string body_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// A TCP proxy on loopback in front of a real server: what the client sends goes through at
// once, what the server answers comes back one byte per `interval` (a server, or a network,
// that trickles). Every connection is served on its own thread until either side closes.
class DribbleProxy {
 public:
  DribbleProxy(int upstream_port, Duration interval);
  ~DribbleProxy();
  DribbleProxy(const DribbleProxy&) = delete;
  DribbleProxy& operator=(const DribbleProxy&) = delete;
  int port() const { return port_; }

 private:
  void Accept();
  void Serve(int client);
  int fd_ = -1;
  int port_ = 0;
  int upstream_port_;
  Duration interval_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

inline Timestamp At(int64_t unix_seconds) {
  return FromUnixMillis(unix_seconds * 1000);
}

}  // namespace ebb::testing
