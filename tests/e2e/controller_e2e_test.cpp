// End to end: the real `ebb` binary as the controller, the real kube-apiserver (+ controller
// manager), a real redis-server. The controller authenticates as the service account bound
// only to ebb's ClusterRole. Every test uses its own namespace, Lease and ports.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "controller/api/documents.h"
#include "controller/shard/shard_hash.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;
using Steady = std::chrono::steady_clock;

namespace {

// kubectl as cluster-admin; its stdout and stderr.
std::string Kubectl(const std::string& args) {
  return Shell("kubectl --kubeconfig " + TheCluster().admin_kubeconfig() + " " + args + " 2>&1");
}

struct Ctl {
  int port = FreePort();
  std::unique_ptr<Process> proc;
  std::string log_file;
  Ctl(const std::string& ns, const std::string& lease, const std::string& identity,
      std::vector<std::string> extra = {}) {
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
                                     lease,
                                     "--identity",
                                     identity};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc =
        std::make_unique<Process>(argv, log_file, std::vector<std::string>{"EBB_LOG_LEVEL=info"});
  }
  std::string log() const { return proc->log(); }
  std::string Get(const std::string& path) const {
    return Shell("curl -s -w ' %{http_code}' http://127.0.0.1:" + std::to_string(port) + path +
                 " || true");
  }
};

std::string Unique(const std::string& p) {
  static std::mt19937 rng{std::random_device{}()};
  return p + "-" + std::to_string(rng() % 1000000);
}

void CreateTarget(const std::string& ns, const std::string& name, int replicas) {
  auto r =
      Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment(name, replicas));
  REQUIRE(r);
}

// A Celery-style Redis queue autoscaler: 5 tasks per worker, 1..10 workers, +2 pods per 2 s.
void CreateAutoscaler(const std::string& ns, const std::string& name, int redis_port,
                      int down_window_s, int interval_s = 1) {
  ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: )" +
                name + R"(}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: )" +
                std::to_string(interval_s) + R"(
  metrics:
    - type: Redis
      name: backlog
      redis:
        address: 127.0.0.1:)" +
                std::to_string(redis_port) + R"(
        celery: {queues: [celery]}
        target: {type: AverageValue, averageValue: "5"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 2, periodSeconds: 2}]}
    scaleDown:
      stabilizationWindowSeconds: )" +
                std::to_string(down_window_s) + R"(
      policies: [{type: Percent, value: 100, periodSeconds: 1}]
)",
            ns);
}

// As a Celery producer does: declare the queue (kombu's binding of the default exchange, "routing
// key \x06\x16 pattern \x06\x16 queue") and push the tasks. Without the binding ebb reads an empty
// queue as "not found" (a wrong prefix or separator), not as 0, and would never scale down.
void Declare(const Redis& r) {
  r.Cli(
      "EVAL \"return redis.call('SADD', '_kombu.binding.celery', "
      "'celery' .. string.char(6, 22, 6, 22) .. 'celery')\" 0");
}

void Enqueue(const Redis& r, int n) {
  Declare(r);
  std::string args = "rpush celery";
  for (int i = 0; i < n; ++i) args += " task" + std::to_string(i);
  r.Cli(args);
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

std::vector<nlohmann::json> Events(const std::string& ns, const std::string& reason) {
  std::vector<nlohmann::json> out;
  const nlohmann::json list = GetObject("/api/v1/namespaces/" + ns + "/events");
  for (const auto& e : list["items"])
    if (e.value("reason", "") == reason) out.push_back(e);
  return out;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

double Since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

}  // namespace

TEST_CASE(
    "tasks enqueued: replicas rise within policy, status and events are written, drained: "
    "they fall only after the stabilization window",
    "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-up");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  CreateAutoscaler(ns, "worker", redis.port(), /*down_window_s=*/10);
  Ctl ctl(ns, Unique("lease"), "solo");
  Enqueue(redis, 40);  // 40 tasks / 5 per worker = 8 workers

  std::vector<std::pair<double, int>> seen;  // (seconds, replicas) at every change
  const auto t0 = Steady::now();
  REQUIRE(WaitFor(
      [&] {
        const int r = SpecReplicas(ns, "worker");
        if (seen.empty() || seen.back().second != r) seen.push_back({Since(t0), r});
        return r == 8;
      },
      Seconds(30)));
  // The policy allows +2 pods per 2 s: never a bigger step, and 1 -> 8 takes >= 3 periods.
  for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].second - seen[i - 1].second <= 2);
  CHECK(seen.back().first >= 5.0);

  REQUIRE(
      WaitFor([&] { return Status(ns, "worker").value("currentReplicas", 0) == 8; }, Seconds(10)));
  const auto st = Status(ns, "worker");
  CHECK(st["desiredReplicas"] == 8);
  CHECK(st.contains("lastScaleTime"));
  CHECK(st["decisionState"].contains("recommendations"));
  CHECK(st["currentMetrics"][0]["name"] == "backlog");
  CHECK(st["reference"] == "Deployment/worker");
  CHECK(st.value("targets", "").rfind("backlog: ", 0) == 0);
  // What a user sees: the CRD's printer columns over the status, like `kubectl get hpa`.
  const std::string table = Kubectl("get eas worker -n " + ns + " --no-headers");
  INFO("kubectl get eas: " << table);
  CHECK(table.find("worker   Deployment/worker   backlog: ") == 0);
  CHECK(table.find("/5 (avg)   1 ") != std::string::npos);  // TARGETS, then MINPODS
  CHECK(Condition(st, "AbleToScale")["status"] == "True");
  CHECK(Condition(st, "ScalingActive")["status"] == "True");
  CHECK(Condition(st, "Ready")["status"] == "True");
  auto rescales = Events(ns, "SuccessfulRescale");
  REQUIRE(!rescales.empty());
  CHECK(rescales[0]["message"].get<std::string>().rfind("New size: ", 0) == 0);
  CHECK(rescales[0]["message"].get<std::string>().find(
            "reason: redis metric backlog above target") != std::string::npos);

  // Nothing changes -> no writes: the status resourceVersion stays put for a few polls (once
  // the Deployment's status.replicas, which the per-pod metric value depends on, has settled).
  REQUIRE(WaitFor(
      [&] {
        return GetObject("/apis/apps/v1/namespaces/" + ns + "/deployments/worker/scale")["status"]
                   .value("replicas", 0) == 8;
      },
      Seconds(20)));
  // On a loaded machine the last proposals may still be settling; once the status holds still
  // for one 3 s stretch (several polls), nothing may write it again. A write loop never settles.
  const std::string path = "/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/worker";
  bool quiet = false;
  for (int attempt = 0; attempt < 4 && !quiet; ++attempt) {
    const std::string rv = GetObject(path)["metadata"]["resourceVersion"];
    std::this_thread::sleep_for(std::chrono::seconds(3));
    quiet = GetObject(path)["metadata"]["resourceVersion"] == rv;
  }
  CHECK(quiet);

  // /metrics, /healthz, /readyz on one port.
  CHECK(ctl.Get("/healthz").find("ok 200") != std::string::npos);
  CHECK(ctl.Get("/readyz").find("ready 200") != std::string::npos);
  const std::string metrics = ctl.Get("/metrics");
  CHECK(metrics.find("ebb_autoscaler_desired_replicas{autoscaler=\"worker\",namespace=\"" + ns +
                     "\"} 8") != std::string::npos);
  CHECK(metrics.find(
            "ebb_scale_events_total{autoscaler=\"worker\",direction=\"up\",dry_run=\"false\"") !=
        std::string::npos);
  // Per-Autoscaler series labelled namespace+autoscaler; the backlog (40 tasks over 8 replicas)
  // as read and per replica; conditions as 1/0; the rescale log line's structured fields.
  const std::string id = "autoscaler=\"worker\",namespace=\"" + ns + "\"";
  CHECK(metrics.find("ebb_autoscaler_max_replicas{" + id + "} ") != std::string::npos);
  CHECK(metrics.find("ebb_autoscaler_condition{autoscaler=\"worker\",condition=\"Ready\","
                     "namespace=\"" +
                     ns + "\",status=\"true\"} 1") != std::string::npos);
  CHECK(metrics.find("ebb_autoscaler_metric_value{autoscaler=\"worker\",metric=\"backlog\","
                     "namespace=\"" +
                     ns + "\",type=\"Redis\"} 40\n") != std::string::npos);
  CHECK(metrics.find("ebb_autoscaler_metric_value_per_replica{autoscaler=\"worker\","
                     "metric=\"backlog\",namespace=\"" +
                     ns + "\",type=\"Redis\"} 5\n") != std::string::npos);
  CHECK(ctl.log().find("\"namespace\":\"" + ns + "\",\"autoscaler\":\"worker\",\"from\":") !=
        std::string::npos);
  CHECK(metrics.find("ebb_leader 1") != std::string::npos);
  CHECK(metrics.find("ebb_loop_drift_seconds_bucket") != std::string::npos);
  CHECK(metrics.find("ebb_scaler_latency_seconds_count{type=\"Redis\"}") != std::string::npos);

  // Drain: the 10 s scale-down window holds 8, then it drops to 1.
  redis.Cli("del celery");
  const auto drained = Steady::now();
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") != 8; }, Seconds(20)));
  const double held = Since(drained);
  CHECK(held >= 9.0);
  CHECK(held <= 14.0);
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 1; }, Seconds(5)));

  // Deleting the Autoscaler leaves the target as it is.
  Enqueue(redis, 40);
  REQUIRE(Admin().Delete("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/worker"));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(SpecReplicas(ns, "worker") == 1);

  ctl.proc->Signal(SIGTERM);
  CHECK(ctl.proc->Wait() == 0);
  INFO(ctl.log());
  CHECK(ctl.log().find("received SIGTERM") != std::string::npos);
}

TEST_CASE("controller SIGKILLed mid-window and restarted honours the window from persisted state",
          "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-kill");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  CreateAutoscaler(ns, "worker", redis.port(), /*down_window_s=*/20);
  const std::string lease = Unique("lease");
  auto ctl = std::make_unique<Ctl>(ns, lease, "ctl");
  Enqueue(redis, 40);
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 8; }, Seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a few recommendations of 8

  redis.Cli("del celery");
  const auto drained = Steady::now();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  ctl->proc->Signal(SIGKILL);
  ctl->proc->Wait();
  // Same identity: it holds the Lease again at once, so only the stored state decides.
  ctl = std::make_unique<Ctl>(ns, lease, "ctl");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") != 8; }, Seconds(40)));
  const double held = Since(drained);
  INFO("held " << held << " s; log:\n" << ctl->log());
  CHECK(held >= 19.0);  // the window (from the last recommendation of 8) is honoured ...
  CHECK(held <= 24.5);  // ... from the stored state, not re-started at the restart (6 + 20 s)
  CHECK(ctl->log().find("decision state restored from status") != std::string::npos);
}

TEST_CASE("Redis killed: no scale-down, the condition and an Event say why", "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-redis");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  CreateAutoscaler(ns, "worker", redis.port(), /*down_window_s=*/0);
  Ctl ctl(ns, Unique("lease"), "solo");
  Enqueue(redis, 15);
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 3; }, Seconds(20)));

  redis.Stop();
  REQUIRE(WaitFor(
      [&] {
        return Condition(Status(ns, "worker"), "ScalingActive").value("reason", "") ==
               "FailedGetRedisMetric";
      },
      Seconds(15)));
  const auto st = Status(ns, "worker");
  CHECK(Condition(st, "ScalingActive")["status"] == "False");
  CHECK(Condition(st, "Ready")["status"] == "False");
  auto ev = Events(ns, "FailedGetRedisMetric");
  REQUIRE(!ev.empty());
  CHECK(ev[0]["type"] == "Warning");
  CHECK(ev[0]["message"].get<std::string>().find("backlog") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  CHECK(SpecReplicas(ns, "worker") == 3);  // missing data never scales down

  redis.Start();   // an empty queue again: now it may (window 0) scale down
  Declare(redis);  // the restarted Redis kept nothing; Celery's workers declare again on reconnect
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 1; }, Seconds(20)));
  // The scale patch lands before the status write of the same pass: wait for the status.
  CHECK(WaitFor(
      [&] {
        return Condition(Status(ns, "worker"), "ScalingActive").value("status", "") == "True";
      },
      Seconds(10)));
}

TEST_CASE("two controllers: only the leader acts, the other takes over within the lease duration",
          "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-leader");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  CreateAutoscaler(ns, "worker", redis.port(), /*down_window_s=*/0);
  const std::string lease = Unique("lease");
  const std::vector<std::string> timing = {"--lease-duration", "6", "--renew-deadline", "4",
                                           "--retry-period",   "1"};
  auto a = std::make_unique<Ctl>(ns, lease, "a", timing);
  REQUIRE(
      WaitFor([&] { return a->log().find("acquired lease") != std::string::npos; }, Seconds(10)));
  Ctl b(ns, lease, "b", timing);
  Enqueue(redis, 15);
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 3; }, Seconds(20)));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(Count(a->log(), "rescaled Deployment") >= 1);
  CHECK(Count(b.log(), "rescaled Deployment") == 0);
  CHECK(b.log().find("acquired lease") == std::string::npos);
  const auto rescales = Events(ns, "SuccessfulRescale");
  REQUIRE(!rescales.empty());
  for (const auto& e : rescales) CHECK(e["reportingInstance"] == "a");

  a->proc->Signal(SIGKILL);
  a->proc->Wait();
  const auto killed = Steady::now();
  REQUIRE(
      WaitFor([&] { return b.log().find("acquired lease") != std::string::npos; }, Seconds(15)));
  const double took = Since(killed);
  CHECK(took <= 6.0 + 1.5);  // lease duration + one retry period (with jitter)
  Enqueue(redis, 10);        // 25 tasks -> 5
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 5; }, Seconds(15)));
  // The log line follows the patch: give it the moment it takes to reach the file.
  CHECK(WaitFor([&] { return Count(b.log(), "rescaled Deployment") >= 1; }, Seconds(5)));

  // SIGTERM releases the Lease: a new candidate takes it at once, not after 6 s.
  b.proc->Signal(SIGTERM);
  CHECK(b.proc->Wait() == 0);
  const auto released = Steady::now();
  Ctl c(ns, lease, "c", timing);
  REQUIRE(
      WaitFor([&] { return c.log().find("acquired lease") != std::string::npos; }, Seconds(10)));
  CHECK(Since(released) < 4.0);
}

// The single-namespace install as users get it: manifests/namespaced's Role and RoleBinding and
// the base's name-restricted Lease Role, moved into the test namespace and bound to a service
// account of its own -- no ClusterRole at all. The controller must work with exactly that.
TEST_CASE("the single-namespace RBAC variant is enough to run the controller", "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-nsrbac");
  const std::string sa = "ebb-controller";
  ApplyYaml(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":")" + sa + "\"}}", ns);
  for (const char* file :
       {"/manifests/namespaced/rbac-namespace.yaml", "/manifests/base/rbac-leader-election.yaml"}) {
    std::ifstream in(RepoDir() + file);
    std::stringstream text;
    text << in.rdbuf();
    auto docs = api::ParseDocuments(text.str(), file);
    REQUIRE(docs);
    for (nlohmann::json d : *docs) {
      if (d.value("kind", "") == "RoleBinding") {
        REQUIRE(d["subjects"].size() == 1);
        d["subjects"][0]["name"] = sa;
        d["subjects"][0]["namespace"] = ns;
      }
      ApplyYaml(d.dump(), ns);
    }
  }
  // A kubeconfig for that service account: the fixture's, with a token of its own.
  const auto token = Admin().Post("/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token",
                                  {{"apiVersion", "authentication.k8s.io/v1"},
                                   {"kind", "TokenRequest"},
                                   {"spec", {{"expirationSeconds", 3600}}}});
  REQUIRE(token);
  const std::string token_file = TheCluster().dir + "/" + ns + ".token";
  std::ofstream(token_file) << (*token)["status"]["token"].get<std::string>();
  std::ifstream sa_in(TheCluster().sa_kubeconfig());
  std::stringstream kc;
  kc << sa_in.rdbuf();
  std::string kubeconfig = kc.str();
  const std::string old_token = TheCluster().dir + "/sa.token";
  REQUIRE(kubeconfig.find(old_token) != std::string::npos);
  kubeconfig.replace(kubeconfig.find(old_token), old_token.size(), token_file);
  const std::string kubeconfig_file = TheCluster().dir + "/" + ns + ".kubeconfig";
  std::ofstream(kubeconfig_file) << kubeconfig;

  Redis redis;
  CreateTarget(ns, "worker", 1);
  CreateAutoscaler(ns, "worker", redis.port(), 0);
  // Later flags win: this identity, and the Lease the shipped Role names, in this namespace.
  Ctl ctl(ns, "unused", "nsrbac",
          {"--kubeconfig", kubeconfig_file, "--leader-election-namespace", ns,
           "--leader-election-id", "ebb-controller"});
  REQUIRE(
      WaitFor([&] { return ctl.log().find("acquired lease") != std::string::npos; }, Seconds(10)));
  Enqueue(redis, 15);
  INFO("log:\n" << ctl.log());
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 3; }, Seconds(20)));
  CHECK(WaitFor(
      [&] { return Condition(Status(ns, "worker"), "Ready").value("status", "") == "True"; },
      Seconds(10)));
  CHECK(WaitFor([&] { return !Events(ns, "SuccessfulRescale").empty(); }, Seconds(10)));
  CHECK(ctl.log().find("forbidden") == std::string::npos);
  CHECK(ctl.log().find("Forbidden") == std::string::npos);
}

TEST_CASE("a Prometheus that never answers holds up neither its target nor other Autoscalers",
          "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-slow");
  Redis redis;
  SilentListener prometheus;
  CreateTarget(ns, "worker", 1);
  CreateTarget(ns, "api", 4);
  CreateAutoscaler(ns, "worker", redis.port(), 0);
  ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: 10
  metrics:
    - type: Prometheus
      name: rps
      prometheus:
        serverAddress: http://127.0.0.1:)" +
                std::to_string(prometheus.port()) + R"(
        query: sum(rate(http_requests_total[1m]))
        timeout: 8s
        target: {type: AverageValue, averageValue: "100"}
)",
            ns);
  // Each read of the dead source holds its reconcile for 8 of every 10 s: were reconciles not
  // independent (one worker, or a poll shared by all), the Redis autoscaler would wait behind it.
  Ctl ctl(ns, Unique("lease"), "slow", {"--metrics-timeout", "8"});
  Enqueue(redis, 15);
  const auto enqueued = Steady::now();
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 3; }, Seconds(20)));
  // As quickly as without the dead source (1 s polls, +2 pods per 2 s: 1 -> 3 in one step).
  CHECK(Since(enqueued) < 6.0);
  REQUIRE(WaitFor(
      [&] {
        return Condition(Status(ns, "api"), "ScalingActive").value("reason", "") ==
               "FailedGetPrometheusMetric";
      },
      Seconds(25)));
  const auto st = Status(ns, "api");
  INFO(st.dump());
  CHECK(st["currentMetrics"][0]["error"].get<std::string>().find("no response within") !=
        std::string::npos);
  CHECK(SpecReplicas(ns, "api") == 4);  // missing data never scales down
  CHECK(Condition(Status(ns, "worker"), "Ready")["status"] == "True");
}

TEST_CASE("dry run decides and reports but never patches", "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-dry");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  CreateAutoscaler(ns, "worker", redis.port(), 0);
  Ctl ctl(ns, Unique("lease"), "dry", {"--dry-run"});
  Enqueue(redis, 40);
  REQUIRE(
      WaitFor([&] { return Status(ns, "worker").value("desiredReplicas", 0) == 3; }, Seconds(15)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(SpecReplicas(ns, "worker") == 1);
  CHECK(Condition(Status(ns, "worker"), "Ready")["reason"] == "DryRun");
  CHECK(Events(ns, "SuccessfulRescale").empty());
  CHECK(ctl.log().find("dry run: would rescale") != std::string::npos);
  CHECK(WaitFor([&] { return !Events(ns, "WouldRescale").empty(); }, Seconds(10)));
  CHECK(
      ctl.Get("/metrics")
          .find("ebb_scale_events_total{autoscaler=\"worker\",direction=\"up\",dry_run=\"true\"") !=
      std::string::npos);
}

// migrating.md step 4: the HPA keeps scaling, ebb runs beside it in shadow on the same Deployment
// (the annotation, for this one Autoscaler) and says what it would do, touching nothing.
TEST_CASE("shadow beside an HPA: status, Event and metrics say what ebb would do, nothing else",
          "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-shadow");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  ApplyYaml(R"(apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: native}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 3
  targetCPUUtilizationPercentage: 50
)",
            ns);
  CreateAutoscaler(ns, "worker", redis.port(), 0);
  REQUIRE(Kubectl("annotate eas worker -n " + ns + " ebb.dev/dry-run=true").find("annotated") !=
          std::string::npos);
  Ctl ctl(ns, Unique("lease"), "shadow");
  Enqueue(redis, 40);  // 8 wanted; the policy allows 1 -> 3 in one step
  REQUIRE(WaitFor([&] { return !Events(ns, "WouldRescale").empty(); }, Seconds(20)));
  const auto st = Status(ns, "worker");
  INFO(st.dump());
  CHECK(st["desiredReplicas"] == 3);
  CHECK(st["currentReplicas"] == 1);
  CHECK(Condition(st, "Ready")["reason"] == "DryRun");
  CHECK(Condition(st, "AbleToScale")["reason"] != "AmbiguousScaleTarget");
  CHECK(Events(ns, "AmbiguousScaleTarget").empty());
  CHECK(Events(ns, "WouldRescale")[0]["message"].get<std::string>().rfind(
            "Dry run: would rescale from 1 to 3; reason: ", 0) == 0);
  const std::string metrics = ctl.Get("/metrics");
  CHECK(metrics.find("ebb_autoscaler_desired_replicas{autoscaler=\"worker\",namespace=\"" + ns +
                     "\"} 3") != std::string::npos);
  CHECK(metrics.find(
            "ebb_scale_events_total{autoscaler=\"worker\",direction=\"up\",dry_run=\"true\"") !=
        std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(SpecReplicas(ns, "worker") == 1);
  CHECK(Events(ns, "SuccessfulRescale").empty());
  CHECK(ctl.log().find("rescaled Deployment") == std::string::npos);
  // The switch (step 5): the HPA goes, the annotation goes, ebb acts.
  REQUIRE(
      Admin().Delete("/apis/autoscaling/v1/namespaces/" + ns + "/horizontalpodautoscalers/native"));
  Kubectl("annotate eas worker -n " + ns + " ebb.dev/dry-run-");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") > 1; }, Seconds(15)));
}

// Upstream's status after a rescale, as `kubectl describe` shows it: AbleToScale
// SucceededRescale, and currentReplicas the count observed before the patch (the next poll,
// 30 s later here, observes the new one).
TEST_CASE("after a rescale kubectl describe shows SucceededRescale and the observed count",
          "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-describe");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  Enqueue(redis, 40);
  CreateAutoscaler(ns, "worker", redis.port(), 0, /*interval_s=*/30);
  Ctl ctl(ns, Unique("lease"), "solo");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 3; }, Seconds(20)));
  REQUIRE(
      WaitFor([&] { return Status(ns, "worker").value("desiredReplicas", 0) == 3; }, Seconds(5)));
  // kubectl aligns the values of each block: compared with runs of blanks as one.
  std::string described;
  for (char c : Kubectl("describe eas worker -n " + ns))
    if (c != ' ' || described.empty() || described.back() != ' ') described += c;
  INFO(described);
  CHECK(described.find("Current Replicas: 1\n") != std::string::npos);
  CHECK(described.find("Desired Replicas: 3\n") != std::string::npos);
  CHECK(described.find("Reason: SucceededRescale\n Status: True\n Type: AbleToScale") !=
        std::string::npos);
  CHECK(described.find("the controller was able to update the target scale to 3") !=
        std::string::npos);
}

TEST_CASE("an Autoscaler and a native HPA on one target: ebb refuses and says why", "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-hpa");
  Redis redis;
  CreateTarget(ns, "worker", 1);
  ApplyYaml(R"(apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: native}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 3
  targetCPUUtilizationPercentage: 50
)",
            ns);
  CreateAutoscaler(ns, "worker", redis.port(), 0);
  Ctl ctl(ns, Unique("lease"), "solo");
  Enqueue(redis, 40);
  REQUIRE(WaitFor(
      [&] {
        return Condition(Status(ns, "worker"), "AbleToScale").value("reason", "") ==
               "AmbiguousScaleTarget";
      },
      Seconds(15)));
  const auto c = Condition(Status(ns, "worker"), "AbleToScale");
  CHECK(c["status"] == "False");
  CHECK(c["message"].get<std::string>().find("HorizontalPodAutoscaler " + ns + "/native") !=
        std::string::npos);
  CHECK(WaitFor([&] { return !Events(ns, "AmbiguousScaleTarget").empty(); }, Seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(SpecReplicas(ns, "worker") == 1);
  // The HPA goes away: ebb takes over.
  REQUIRE(
      Admin().Delete("/apis/autoscaling/v1/namespaces/" + ns + "/horizontalpodautoscalers/native"));
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") > 1; }, Seconds(15)));
}

TEST_CASE("cpu utilization from metrics.k8s.io (aggregated test server) scales a Deployment",
          "[e2e][kube][resource]") {
  InstallCrds();
  const std::string metrics_file = TheCluster().Env("POD_METRICS_FILE");
  if (metrics_file.empty()) FAIL("the cluster has no aggregated metrics server (no host IP)");
  const std::string ns = NewNamespace("e2e-cpu");
  CreateTarget(ns, "worker", 2);
  // No kubelet here: the controller manager makes the pods, the test makes them Running+Ready
  // (started long ago, so the cpu initialization rules do not hold them back).
  std::vector<std::string> pods;
  REQUIRE(WaitFor(
      [&] {
        pods.clear();
        const auto list = GetObject("/api/v1/namespaces/" + ns + "/pods");
        for (const auto& p : list["items"]) pods.push_back(p["metadata"]["name"]);
        return pods.size() == 2;
      },
      Seconds(20)));
  const std::string long_ago = "2020-01-01T00:00:00Z";
  nlohmann::json usage = nlohmann::json::object();
  for (const auto& p : pods) {
    nlohmann::json st;
    st["status"]["phase"] = "Running";
    st["status"]["startTime"] = long_ago;
    st["status"]["conditions"] = nlohmann::json::array(
        {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", long_ago}}});
    REQUIRE(Admin().MergePatch("/api/v1/namespaces/" + ns + "/pods/" + p + "/status", st));
    usage[p]["main"] = {{"cpu", "180m"}, {"memory", "20Mi"}};
  }
  std::ofstream(metrics_file) << nlohmann::json{{ns, usage}}.dump();
  ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: 1
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
)",
            ns);
  Ctl ctl(ns, Unique("lease"), "solo");
  // 2 pods at 180 % of their 100m request, target 60 % -> 6 replicas.
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 6; }, Seconds(20)));
  REQUIRE(
      WaitFor([&] { return Status(ns, "worker").value("currentReplicas", 0) == 6; }, Seconds(10)));
  const auto st = Status(ns, "worker");
  INFO(st.dump());
  CHECK(st["currentMetrics"][0]["type"] == "Resource");
  CHECK(st["currentMetrics"][0].dump().find("180") != std::string::npos);
  std::ofstream(metrics_file) << "{}";
}

// Issue 12.6: three controllers split the Autoscalers over shard Leases. Every Autoscaler is
// acted on (no orphan) before and after one replica is killed and another joins, and by one
// replica at a time (each rescale logged by exactly one process, and no more rescales logged
// than the Deployments actually changed).
TEST_CASE(
    "sharded controllers: 3 replicas, one killed, one added: every target scaled, "
    "by one writer",
    "[e2e][kube]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-shard");
  ApplyShardingRbac();
  Redis redis;
  const int n = 12;
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    const std::string name = "w" + std::to_string(i);
    names.push_back(name);
    CreateTarget(ns, name, 1);
    ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
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
    - type: Redis
      name: backlog
      redis:
        address: 127.0.0.1:)" +
                  std::to_string(redis.port()) + R"(
        lists: [q)" +
                  std::to_string(i) + R"(]
        target: {type: AverageValue, averageValue: "5"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
    scaleDown: {stabilizationWindowSeconds: 3600}
)",
              ns);
  }
  auto push_to = [&](int tasks) {
    for (int i = 0; i < n; ++i) {
      std::string args = "del q" + std::to_string(i);
      redis.Cli(args);
      args = "rpush q" + std::to_string(i);
      for (int t = 0; t < tasks; ++t) args += " t" + std::to_string(t);
      redis.Cli(args);
    }
  };
  auto all_at = [&](int replicas) {
    for (const auto& name : names)
      if (SpecReplicas(ns, name) != replicas) return false;
    return true;
  };
  const std::string group = Unique("shards");
  auto start = [&](const std::string& id) {
    return std::make_unique<Ctl>(
        ns, group, id,
        std::vector<std::string>{"--shards", "6", "--lease-duration", "6", "--renew-deadline", "4",
                                 "--retry-period", "1"});
  };
  std::map<std::string, std::unique_ptr<Ctl>> ctl;
  for (const char* id : {"r1", "r2", "r3"}) ctl[id] = start(id);

  // The shards a replica holds, from its last "holding shards [..]" log line.
  auto holding = [&](const std::string& id) {
    const std::string log = ctl[id]->log();
    const std::string tag = "holding shards [";
    const auto at = log.rfind(tag);
    std::set<int32_t> held;
    if (at == std::string::npos) return held;
    std::stringstream list(log.substr(at + tag.size(), log.find(']', at) - at - tag.size()));
    for (std::string item; std::getline(list, item, ',');)
      if (!item.empty()) held.insert(std::stoi(item));
    return held;
  };
  // Settled: 6 shards, 2 each.
  REQUIRE(WaitFor(
      [&] {
        for (const char* id : {"r1", "r2", "r3"})
          if (holding(id).size() != 2) return false;
        return true;
      },
      Seconds(30)));
  push_to(10);  // 2 replicas each
  REQUIRE(WaitFor([&] { return all_at(2); }, Seconds(40)));
  // The Deployment changes before the reconcile that patched it logs: let every 1 -> 2 be logged
  // before r2 is killed, or a line lost with it would read as a missing rescale below.
  REQUIRE(WaitFor(
      [&] {
        int lines = 0;
        for (const char* id : {"r1", "r2", "r3"}) lines += Count(ctl[id]->log(), "from 1 to 2");
        return lines == n;
      },
      Seconds(10)));

  // r2's Autoscalers (by the same hash the controllers use) wait for its Leases to run out.
  const std::set<int32_t> r2_shards = holding("r2");
  std::vector<std::string> orphaned;
  for (const auto& name : names)
    if (r2_shards.count(shard::ShardOf(ns + "/" + name, 6))) orphaned.push_back(name);
  ctl["r2"]->proc->Signal(SIGKILL);
  ctl["r2"]->proc->Wait();
  const auto killed = Steady::now();
  push_to(20);  // 4 each
  if (orphaned.empty()) {
    WARN("r2's shards held none of the 12 Autoscalers (about 1 run in 100): timing unchecked");
  } else {
    REQUIRE(WaitFor([&] { return SpecReplicas(ns, orphaned[0]) == 4; }, Seconds(30)));
    // Not before the lease (6 s) ran out, by the survivors' clocks: a lease after the last
    // renewal they saw. That renewal may precede the kill by a retry period (1 s, jittered to
    // 1.2 s) and the victim's own round; survivors act at the expiry itself (NextRoundIn), so
    // 4.8 s after the kill is legitimate, and a taker that did not wait would act within ~1 s.
    CHECK(Since(killed) > 4.0);
  }
  REQUIRE(WaitFor([&] { return all_at(4); }, Seconds(30)));
  CHECK(Since(killed) < 6 + 1 + 1 + 4);

  ctl["r4"] = start("r4");
  // The joiner gets its share (2 of 6) from the two survivors before the next step.
  REQUIRE(WaitFor([&] { return holding("r4").size() == 2; }, Seconds(20)));
  push_to(30);  // 6 each
  REQUIRE(WaitFor([&] { return all_at(6); }, Seconds(40)));

  // One writer per change: each target went 1 -> 2 -> 4 -> 6, and a second writer acting on
  // the same step would have logged a second "rescaled" line for it.
  std::map<std::string, int> logged;
  for (auto& [id, c] : ctl) {
    const std::string log = c->log();
    for (const auto& name : names)
      logged[name] += Count(log, "autoscaler " + ns + "/" + name + ": rescaled");
  }
  for (const auto& name : names) {
    INFO(name);
    CHECK(logged[name] == 3);
  }
  for (auto& [id, c] : ctl)
    if (id != "r2") CHECK(c->proc->running());
}
