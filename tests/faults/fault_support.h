// Shared parts of the fault-matrix tests: the real `ebb run` binary under test, real servers
// (redis-server with a password and ACL users, an empty prometheus), Autoscaler documents, and a
// monitor that samples every target's replicas in the background so that an invariant broken
// for a moment between two checks is still seen.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/kube/kube_support.h"

namespace ebb::testing {

// `ebb run` as the test's service account, one namespace, its own Lease and metrics port.
struct Ctl {
  int port = FreePort();
  std::unique_ptr<Process> proc;
  std::string log_file;
  Ctl(const std::string& ns, const std::string& identity, std::vector<std::string> extra = {},
      std::vector<std::string> env = {});
  std::string log() const { return proc->log(); }
  // GET on the metrics port: the body followed by " <HTTP code>" ("000" when nothing answers).
  std::string Get(const std::string& path) const;
  // A metric's value summed over the lines starting with `prefix` (name and labels); 0 if none.
  double Metric(const std::string& prefix) const;
};

std::string Unique(const std::string& prefix);
void CreateTarget(const std::string& ns, const std::string& name, int replicas);
nlohmann::json Status(const std::string& ns, const std::string& name);
nlohmann::json Condition(const nlohmann::json& status, const std::string& type);
std::string ConditionReason(const std::string& ns, const std::string& name,
                            const std::string& type);
std::vector<nlohmann::json> Events(const std::string& ns, const std::string& reason);
// The Events with `reason` about Autoscaler `name`.
std::vector<nlohmann::json> EventsFor(const std::string& ns, const std::string& name,
                                      const std::string& reason);
// Waits until condition `type` of Autoscaler `name` has `reason`; returns its message, or
// "(timed out; last: <reason>: <message>)" -- which no test expects.
std::string WaitForReason(const std::string& ns, const std::string& name, const std::string& type,
                          const std::string& reason, Duration timeout);

// An Autoscaler on Deployment `name` (1..10 replicas, 1 s polls and no scale-down window unless
// given, scale steps unlimited) with the metric block `metric` (YAML, indented as a list item).
std::string AutoscalerYaml(const std::string& name, const std::string& metric,
                           const std::string& extra_spec = "", int down_window_s = 0,
                           int interval_s = 1);

// A Redis metric "backlog" at 5 per replica: `connection` holds extra lines of the redis block
// (8 spaces in, each ending in a newline), `source` is e.g. "lists: [jobs]".
std::string RedisMetric(int port, const std::string& connection, const std::string& source);
// "rpush KEY t0 t1 ..." with n items, for Redis::Cli.
std::string Push(const std::string& key, int n);

// Samples the spec replicas of the given Deployments every 100 ms.
class ReplicaMonitor {
 public:
  ReplicaMonitor(std::string ns, std::vector<std::string> deployments);
  ~ReplicaMonitor();
  int min(const std::string& d);
  int max(const std::string& d);
  void Reset();  // forget what was seen so far
  std::string History(const std::string& d);

 private:
  std::string ns_;
  std::vector<std::string> deployments_;
  std::mutex mu_;
  std::map<std::string, std::vector<int>> seen_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A redis-server with a password for `default` and ACL users: "ebb" (everything) and "limited"
// (keys `allowed:*` only), like tests/scalers' fixture.
class AuthRedis {
 public:
  AuthRedis();
  ~AuthRedis();
  int port() const { return port_; }
  std::string Cli(const std::string& args) const;  // as `default`

 private:
  int port_;
  std::string dir_;
};

// A real prometheus with no data and no scrape targets: answers are computed from the query
// alone (vector(NaN), absent(vector(1)), ...).
class EmptyPrometheus {
 public:
  EmptyPrometheus();
  ~EmptyPrometheus();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::string dir_;
};

int Count(const std::string& text, const std::string& needle);

}  // namespace ebb::testing
