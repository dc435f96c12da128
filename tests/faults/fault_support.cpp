#include "tests/faults/fault_support.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>

namespace ebb::testing {

Ctl::Ctl(const std::string& ns, const std::string& identity, std::vector<std::string> extra,
         std::vector<std::string> env) {
  log_file = TheCluster().dir + "/ebb-" + ns + "-" + identity + ".log";
  std::vector<std::string> argv = {EBB_BINARY,
                                   "run",
                                   "--kubeconfig",
                                   TheCluster().sa_kubeconfig(),
                                   "--namespace",
                                   ns,
                                   "--metrics-bind-address",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--leader-election-namespace",
                                   "ebb-system",
                                   "--leader-election-id",
                                   Unique("faults"),
                                   "--identity",
                                   identity};
  argv.insert(argv.end(), extra.begin(), extra.end());
  env.push_back("EBB_LOG_LEVEL=info");
  proc = std::make_unique<Process>(argv, log_file, env);
}

std::string Ctl::Get(const std::string& path) const {
  return Shell("curl -s -m 5 -w ' %{http_code}' http://127.0.0.1:" + std::to_string(port) + path +
               " || true");
}

double Ctl::Metric(const std::string& prefix) const {
  std::istringstream in(Get("/metrics"));
  double sum = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto space = line.rfind(' ');
    if (space != std::string::npos) sum += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

std::string Unique(const std::string& prefix) {
  static std::mt19937 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000);
}

void CreateTarget(const std::string& ns, const std::string& name, int replicas) {
  auto r =
      Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment(name, replicas));
  if (!r) throw std::runtime_error(r.error().message);
}

nlohmann::json Status(const std::string& ns, const std::string& name) {
  return GetObject("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/" + name)
      .value("status", nlohmann::json::object());
}

nlohmann::json Condition(const nlohmann::json& status, const std::string& type) {
  for (const auto& c : status.value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == type) return c;
  return nlohmann::json::object();
}

std::string ConditionReason(const std::string& ns, const std::string& name,
                            const std::string& type) {
  return Condition(Status(ns, name), type).value("reason", "");
}

std::vector<nlohmann::json> Events(const std::string& ns, const std::string& reason) {
  std::vector<nlohmann::json> out;
  const nlohmann::json list = GetObject("/api/v1/namespaces/" + ns + "/events");
  for (const auto& e : list["items"])
    if (e.value("reason", "") == reason) out.push_back(e);
  return out;
}

std::vector<nlohmann::json> EventsFor(const std::string& ns, const std::string& name,
                                      const std::string& reason) {
  std::vector<nlohmann::json> out;
  for (auto& e : Events(ns, reason))
    if (e["involvedObject"].value("name", "") == name) out.push_back(std::move(e));
  return out;
}

std::string WaitForReason(const std::string& ns, const std::string& name, const std::string& type,
                          const std::string& reason, Duration timeout) {
  nlohmann::json c;
  if (WaitFor(
          [&] {
            c = Condition(Status(ns, name), type);
            return c.value("reason", "") == reason;
          },
          timeout))
    return c.value("message", "");
  return "(timed out; last: " + c.value("reason", "") + ": " + c.value("message", "") + ")";
}

std::string AutoscalerYaml(const std::string& name, const std::string& metric,
                           const std::string& extra_spec, int down_window_s, int interval_s) {
  return R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: )" +
         name + R"(}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: )" +
         name + R"(}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: )" +
         std::to_string(interval_s) + "\n" + extra_spec +
         R"(  metrics:
)" + metric +
         R"(
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
    scaleDown:
      stabilizationWindowSeconds: )" +
         std::to_string(down_window_s) + R"(
      policies: [{type: Percent, value: 100, periodSeconds: 1}]
)";
}

std::string RedisMetric(int port, const std::string& connection, const std::string& source) {
  return R"(    - type: Redis
      name: backlog
      redis:
        address: 127.0.0.1:)" +
         std::to_string(port) + "\n" + connection + "        " + source + R"(
        target: {type: AverageValue, averageValue: "5"}
)";
}

std::string Push(const std::string& key, int n) {
  std::string args = "rpush " + key;
  for (int i = 0; i < n; ++i) args += " t" + std::to_string(i);
  return args;
}

ReplicaMonitor::ReplicaMonitor(std::string ns, std::vector<std::string> deployments)
    : ns_(std::move(ns)), deployments_(std::move(deployments)) {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      for (const auto& d : deployments_) {
        const int r = SpecReplicas(ns_, d);
        std::lock_guard lock(mu_);
        if (r >= 0) seen_[d].push_back(r);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

ReplicaMonitor::~ReplicaMonitor() {
  stop_ = true;
  thread_.join();
}

int ReplicaMonitor::min(const std::string& d) {
  std::lock_guard lock(mu_);
  const auto& v = seen_[d];
  return v.empty() ? -1 : *std::min_element(v.begin(), v.end());
}

int ReplicaMonitor::max(const std::string& d) {
  std::lock_guard lock(mu_);
  const auto& v = seen_[d];
  return v.empty() ? -1 : *std::max_element(v.begin(), v.end());
}

void ReplicaMonitor::Reset() {
  std::lock_guard lock(mu_);
  seen_.clear();
}

std::string ReplicaMonitor::History(const std::string& d) {
  std::lock_guard lock(mu_);
  std::string out;
  int last = -2;
  for (int r : seen_[d])
    if (r != last) out += (out.empty() ? "" : " -> ") + std::to_string(last = r);
  return out;
}

AuthRedis::AuthRedis() : port_(FreePort()) {
  dir_ = TheCluster().dir + "/redis-auth-" + std::to_string(port_);
  Shell(RepoDir() + "/tests/scalers/fixtures/redis.sh start " + std::to_string(port_) + " " + dir_ +
        " --requirepass default-secret --user ebb on '>ebb-secret' '~*' '&*' '+@all'"
        " --user limited on '>limited-secret' '~allowed:*' '+@all'");
}

AuthRedis::~AuthRedis() {
  Shell(RepoDir() + "/tests/scalers/fixtures/redis.sh stop " + dir_);
}

std::string AuthRedis::Cli(const std::string& args) const {
  return Shell("redis-cli --no-auth-warning -a default-secret -p " + std::to_string(port_) + " " +
               args);
}

EmptyPrometheus::EmptyPrometheus() : port_(FreePort()) {
  dir_ = TheCluster().dir + "/prometheus-" + std::to_string(port_);
  Shell(RepoDir() + "/tests/scalers/fixtures/prometheus.sh start " + std::to_string(port_) + " " +
        dir_);
}

EmptyPrometheus::~EmptyPrometheus() {
  Shell(RepoDir() + "/tests/scalers/fixtures/prometheus.sh stop " + dir_);
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace ebb::testing
