// Failures from outside, end to end with the real `ebb` binary: a metric source answering an HTML
// error page (one Autoscaler fails, visibly, and the process and the others go on), an API server
// that forbids everything, and one that cannot be reached (logged, counted, not ready).
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "controller/base/text.h"
#include "tests/kube/fault_proxy.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

std::string Unique(const std::string& p) {
  static std::mt19937 rng{std::random_device{}()};
  return p + "-" + std::to_string(rng() % 1000000);
}

// `ebb run` for one namespace with the given kubeconfig; /metrics and /readyz on its own port.
struct Run {
  int port = FreePort();
  std::unique_ptr<Process> proc;
  Run(const std::string& ns, const std::string& kubeconfig, const std::string& tag,
      std::vector<std::string> env = {}) {
    env.push_back("EBB_LOG_LEVEL=info");
    const std::string log_file = TheCluster().dir + "/ebb-" + ns + "-" + tag + ".log";
    proc = std::make_unique<Process>(
        std::vector<std::string>{EBB_BINARY, "run", "--kubeconfig", kubeconfig, "--namespace", ns,
                                 "--metrics-bind-address", "127.0.0.1:" + std::to_string(port),
                                 "--leader-election-namespace", "ebb-system",
                                 "--leader-election-id", Unique("lease"), "--identity", tag},
        log_file, env);
  }
  std::string log() const { return proc->log(); }
  // "BODY CODE" from the metrics port.
  std::string Get(const std::string& path) const {
    return Shell("curl -s --noproxy '*' -w ' %{http_code}' http://127.0.0.1:" +
                 std::to_string(port) + path + " || true");
  }
  bool Ready() const { return Get("/readyz").ends_with(" 200"); }
};

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// A metric line of /metrics with all of `labels` (prometheus-cpp orders labels by name).
bool HasSample(const std::string& metrics, const std::string& name,
               const std::vector<std::string>& labels) {
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(name + "{")) continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) return true;
  }
  return false;
}

// `text` as it appears inside a JSON log line's "msg".
std::string AsLogged(const std::string& text) {
  const std::string quoted = nlohmann::json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

// The service account's kubeconfig with another server (a fault proxy, or nothing at all).
std::string KubeconfigFor(const std::string& server, const std::string& tag) {
  std::ifstream in(TheCluster().sa_kubeconfig());
  std::stringstream text;
  text << in.rdbuf();
  const std::string path = TheCluster().dir + "/" + tag + ".kubeconfig";
  std::ofstream(path) << std::regex_replace(text.str(), std::regex("server: .*"),
                                            "server: " + server);
  return path;
}

nlohmann::json Condition(const nlohmann::json& obj, const std::string& type) {
  for (const auto& c :
       obj.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == type) return c;
  return nlohmann::json::object();
}

// A real Prometheus behind tests/support/http_fault_proxy.py (queries naming `ebb_broken` get a
// 503 HTML page whose bytes 199-201 are one character).
class BrokenPrometheus {
 public:
  BrokenPrometheus() : dir_(TheCluster().dir + "/" + Unique("prom")) {
    const int prom_port = FreePort();
    Shell(RepoDir() + "/tests/scalers/fixtures/prometheus.sh start " + std::to_string(prom_port) +
          " " + dir_);
    proxy_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3",
                                 RepoDir() + "/tests/support/http_fault_proxy.py",
                                 "http://127.0.0.1:" + std::to_string(prom_port),
                                 dir_ + "/proxy.port", "ebb_broken=html503"},
        dir_ + "/proxy.log");
    REQUIRE(WaitFor([&] { return std::ifstream(dir_ + "/proxy.port").good(); }, Seconds(10)));
    std::ifstream(dir_ + "/proxy.port") >> port_;
  }
  ~BrokenPrometheus() {
    proxy_.reset();
    Shell(RepoDir() + "/tests/scalers/fixtures/prometheus.sh stop " + dir_ + " || true");
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  std::unique_ptr<Process> proxy_;
  int port_ = 0;
};

std::string PrometheusAutoscaler(const std::string& name, const std::string& server,
                                 const std::string& query) {
  return R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: )" +
         name + R"(}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: )" +
         name + R"(}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: 1
  metrics:
    - type: Prometheus
      name: rps
      prometheus:
        serverAddress: )" +
         server + R"(
        query: ')" +
         query +
         R"('
        target: {type: AverageValue, averageValue: "10"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
)";
}

}  // namespace

TEST_CASE(
    "a metric source's HTML error page cut mid-character: that Autoscaler reports it, the "
    "others go on, the process stays up",
    "[e2e][kube][containment]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-html");
  BrokenPrometheus prom;
  for (const char* name : {"api", "web"}) {
    REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments",
                         Deployment(name, std::string(name) == "api" ? 4 : 1)));
  }
  ApplyYaml(PrometheusAutoscaler("api", prom.url(), "sum(ebb_broken) or vector(1)"), ns);
  ApplyYaml(PrometheusAutoscaler("web", prom.url(), "vector(30)"), ns);
  Run run(ns, TheCluster().sa_kubeconfig(), "html");
  const std::string api = "/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/api";
  // GetObject parses the stored object: it holds valid UTF-8, or the server would have refused it.
  REQUIRE(WaitFor(
      [&] {
        return Condition(GetObject(api), "ScalingActive").value("reason", "") ==
               "FailedGetPrometheusMetric";
      },
      Seconds(20)));
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "web") == 3; }, Seconds(20)));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a few more polls of the broken one
  REQUIRE(run.proc->running());
  const nlohmann::json obj = GetObject(api);
  INFO(obj.dump());
  const std::string error = obj["status"]["currentMetrics"][0]["error"];
  CHECK(error.find("HTTP 503: <html><head><title>503 Service Unavailable") != std::string::npos);
  CHECK(IsValidUtf8(error));
  const std::string message = Condition(obj, "ScalingActive")["message"];
  CHECK(IsValidUtf8(message));
  CHECK(SpecReplicas(ns, "api") == 4);  // missing data never scales down
  // The failure is logged once, not at every 1 s poll; the healthy Autoscaler logged nothing bad.
  const std::string log = run.log();
  INFO(log);
  CHECK(Count(log, "autoscaler " + ns + "/api: spec.metrics[0] rps: read failed: ") == 1);
  CHECK(Count(log, "reconcile failed") == 0);
  CHECK(Count(log, ns + "/web: spec.metrics") == 0);
  REQUIRE(run.proc->running());
}

TEST_CASE(
    "an API server forbidding everything: every call logged (rate-limited) with the "
    "missing permission, counted, not ready, ready once allowed",
    "[e2e][kube][visible]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-403");
  auto proxy =
      std::make_unique<FaultProxy>(TheCluster().Env("KUBE_SERVER"), TheCluster().Env("KUBE_CA"));
  proxy->Add(Fault::Status("/", -1, 403));
  Run run(ns, KubeconfigFor(proxy->url(), Unique("forbidden")), "forbidden");
  const std::string list_line = "API request failed: list autoscalers.ebb.dev in namespace " + ns +
                                ": HTTP 403 Injected: injected by the test proxy; missing "
                                "permission: cannot list resource \"autoscalers\" in API group "
                                "\"ebb.dev\" in the namespace \"" +
                                ns + "\"";
  // The log is JSON lines: the message's quotes are escaped there.
  const std::string logged = AsLogged(list_line);
  REQUIRE(WaitFor([&] { return run.log().find(logged) != std::string::npos; }, Seconds(10)));
  // The informer retries at 0.8, 1.6, 3.2 s...: several failed lists, one line per 30 s.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  {
    const std::string log = run.log();
    INFO(log);
    CHECK(Count(log, "API request failed: list autoscalers.ebb.dev") == 1);
    CHECK(log.find("not ready: GET /apis/ebb.dev/v1alpha1/namespaces/" + ns +
                   "/autoscalers?limit=500: HTTP 403") != std::string::npos);
    CHECK(log.find("API request failed: get leases.coordination.k8s.io in namespace ebb-system: "
                   "HTTP 403") != std::string::npos);
    CHECK(log.find(R"("msg":"ready: )") == std::string::npos);
  }
  CHECK(run.Get("/readyz").ends_with(" 503"));
  const std::string metrics = run.Get("/metrics");
  INFO(metrics);
  CHECK(HasSample(metrics, "ebb_kube_requests_total",
                  {"code=\"403\"", "resource=\"autoscalers.ebb.dev\"", "verb=\"list\""}));
  CHECK(HasSample(metrics, "ebb_kube_request_duration_seconds_count",
                  {"resource=\"autoscalers.ebb.dev\"", "verb=\"list\""}));
  CHECK(metrics.find("\nebb_ready 0") != std::string::npos);

  proxy->Clear();  // allowed again: the next list succeeds, the watch opens, ready
  REQUIRE(WaitFor([&] { return run.Ready(); }, Seconds(30)));
  CHECK(run.log().find("ready: 0 autoscalers cached") != std::string::npos);
  CHECK(run.Get("/metrics").find("\nebb_ready 1") != std::string::npos);
  REQUIRE(run.proc->running());
}

TEST_CASE("an unreachable API server: failed calls logged and counted, not ready, still running",
          "[e2e][kube][visible]") {
  const std::string ns = Unique("nowhere");
  const int dead_port = FreePort();  // nothing listens here
  Run run(ns, KubeconfigFor("http://127.0.0.1:" + std::to_string(dead_port), Unique("dead")),
          "unreachable");
  const std::string line =
      "API request failed: list autoscalers.ebb.dev in namespace " + ns + ": no answer (";
  REQUIRE(WaitFor([&] { return run.log().find(line) != std::string::npos; }, Seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string log = run.log();
  INFO(log);
  CHECK(Count(log, line) == 1);
  CHECK(log.find("not ready: ") != std::string::npos);
  CHECK(run.Get("/readyz").ends_with(" 503"));
  const std::string metrics = run.Get("/metrics");
  CHECK(HasSample(metrics, "ebb_kube_requests_total",
                  {"code=\"<error>\"", "resource=\"autoscalers.ebb.dev\"", "verb=\"list\""}));
  CHECK(run.proc->running());
}

TEST_CASE(
    "a reconcile that throws ends at that Autoscaler's boundary: Event, log, error metric, "
    "retried, the others go on",
    "[e2e][kube][containment]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-boundary");
  BrokenPrometheus prom;
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("api", 1)));
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("web", 1)));
  ApplyYaml(PrometheusAutoscaler("api", prom.url(), "vector(20)"), ns);
  ApplyYaml(PrometheusAutoscaler("web", prom.url(), "vector(30)"), ns);
  // Every known bad input is a typed error now, so a failpoint stands in for the next bug: the
  // first reconcile of api throws.
  Run run(ns, TheCluster().sa_kubeconfig(), "boundary",
          {"EBB_FAILPOINT_RECONCILE_THROW=" + ns + "/api"});
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "web") == 3; }, Seconds(20)));
  // Retried at its interval, it then scales.
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "api") == 2; }, Seconds(20)));
  REQUIRE(run.proc->running());
  const std::string log = run.log();
  INFO(log);
  bool event = false;
  const nlohmann::json events = GetObject("/api/v1/namespaces/" + ns + "/events");
  for (const auto& e : events["items"])
    event = event || (e.value("reason", "") == "ReconcileError" &&
                      e["involvedObject"].value("name", "") == "api");
  CHECK(event);
  CHECK(log.find("autoscaler " + ns + "/api: reconcile failed: failpoint") != std::string::npos);
  CHECK(HasSample(run.Get("/metrics"), "ebb_reconciles_total", {"result=\"error\""}));
  CHECK(log.find(ns + "/web: reconcile failed") == std::string::npos);
}
