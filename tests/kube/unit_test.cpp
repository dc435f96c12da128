// The controller's pure parts, without a cluster: the due-time queue and the status rules.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "controller/api/timestamps.h"
#include "controller/base/text.h"
#include "controller/kube/discovery.h"
#include "controller/kube/kube_config.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/live/due_queue.h"
#include "controller/live/status.h"
#include "tests/support/builders.h"

using namespace ebb;
using namespace ebb::testing;

TEST_CASE("due queue hands out due keys in order, once each", "[unit][queue]") {
  live::DueQueue q;
  const Timestamp t0 = FromUnixMillis(1'000'000);
  q.Schedule("b", t0 + Seconds(2));
  q.Schedule("a", t0 + Seconds(1));
  q.Schedule("c", t0 + Seconds(30));
  CHECK(q.PopDue(t0, 10).empty());
  auto due = q.PopDue(t0 + Seconds(5), 10);
  REQUIRE(due.size() == 2);
  CHECK(due[0].key == "a");
  CHECK(due[1].key == "b");
  CHECK(q.NextDue() == t0 + Seconds(30));
}

TEST_CASE("due queue never gives a key being processed to a second worker", "[unit][queue]") {
  live::DueQueue q;
  const Timestamp t0 = FromUnixMillis(1'000'000);
  q.Schedule("a", t0);
  auto first = q.PopDue(t0, 10);
  REQUIRE(first.size() == 1);
  // A watch event re-queues it while a worker holds it: deferred until Done.
  q.Schedule("a", t0);
  CHECK(q.PopDue(t0 + Seconds(1), 10).empty());
  q.Done("a");
  auto again = q.PopDue(t0 + Seconds(1), 10);
  REQUIRE(again.size() == 1);
  CHECK(again[0].key == "a");
}

TEST_CASE("due queue: a removed key is not re-added by its worker", "[unit][queue]") {
  live::DueQueue q;
  const Timestamp t0 = FromUnixMillis(1'000'000);
  q.Schedule("a", t0);
  REQUIRE(q.PopDue(t0, 10).size() == 1);
  q.Schedule("a", t0 + Seconds(15));  // the worker's reschedule
  q.Remove("a");                      // the Autoscaler was deleted meanwhile
  q.Done("a");
  CHECK_FALSE(q.NextDue().has_value());
}

TEST_CASE("due queue: the dispatcher waits while too many keys are taken", "[unit][queue]") {
  live::DueQueue q;
  const Timestamp t0 = FromUnixMillis(1'000'000);
  for (const char* k : {"a", "b", "c"}) q.Schedule(k, t0);
  REQUIRE(q.PopDue(t0, 2).size() == 2);
  CHECK(q.processing() == 2);
  std::atomic<bool> passed{false};
  std::thread dispatcher([&] {
    q.WaitProcessingBelow(2);
    passed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(passed.load());  // two taken, the bound is two: it waits
  q.Done("a");
  dispatcher.join();
  CHECK(passed.load());
  CHECK(q.processing() == 1);
  CHECK(q.NextDue() == t0);  // "c" still waits in the queue
  // Shutdown releases a waiting dispatcher.
  std::thread stopped([&] { q.WaitProcessingBelow(1); });
  q.Shutdown();
  stopped.join();
}

TEST_CASE("conditions keep lastTransitionTime unless the status flips", "[unit][status]") {
  const Timestamp t1 = FromUnixMillis(1'700'000'000'000);
  const Timestamp t2 = t1 + Seconds(60);
  auto first = live::ConditionsJson({{"AbleToScale", true, "SucceededGetScale", "ok"}},
                                    nlohmann::json(), 1, t1);
  auto same =
      live::ConditionsJson({{"AbleToScale", true, "ReadyForNewScale", "ok too"}}, first, 1, t2);
  CHECK(same[0]["lastTransitionTime"] == first[0]["lastTransitionTime"]);
  auto flipped =
      live::ConditionsJson({{"AbleToScale", false, "FailedGetScale", "x"}}, first, 1, t2);
  CHECK(flipped[0]["lastTransitionTime"] != first[0]["lastTransitionTime"]);
  CHECK(flipped[0]["status"] == "False");
}

// Checked by fuzz/kube_objects: a stored condition with a non-string member threw
// nlohmann::type_error, and a garbage lastTransitionTime was carried into the next status write.
TEST_CASE("conditions: odd stored entries are ignored", "[unit][status]") {
  const Timestamp now = FromUnixMillis(1'700'000'000'000);
  const auto stored = nlohmann::json::parse(R"([5, {"type": 1}, {"type": "AbleToScale",
      "status": "True", "lastTransitionTime": "yesterday"}, {"type": "Active", "status": ["True"]}])");
  const auto out = live::ConditionsJson(
      {{"AbleToScale", true, "SucceededGetScale", "ok"}, {"Active", true, "Active", "1 > 0"}},
      stored, 2, now);
  REQUIRE(out.size() == 2);
  CHECK(out[0]["lastTransitionTime"] == api::FormatRfc3339(now));
  CHECK(out[1]["lastTransitionTime"] == api::FormatRfc3339(now));
}

TEST_CASE("the persisted state is rewritten only when a restart would need it", "[unit][status]") {
  const Timestamp t0 = FromUnixMillis(1'700'000'000'000);
  decision::DecisionState s;
  s.has_recommendations = true;
  s.consecutive_failures = {0};
  s.recommendations = {{t0, 5}, {t0 + Seconds(15), 5}};
  const std::string k1 = live::PersistKey(s, t0 + Seconds(15), 300);
  // Another poll recommending the same: nothing a restart needs changed.
  s.recommendations.push_back({t0 + Seconds(30), 5});
  CHECK(live::PersistKey(s, t0 + Seconds(30), 300) == k1);
  // A different recommendation does.
  s.recommendations.push_back({t0 + Seconds(45), 3});
  CHECK(live::PersistKey(s, t0 + Seconds(45), 300) != k1);
  // Restoring dates the newest recommendation "now": a window is never cut short.
  live::RefreshRestoredState(s, false, t0 + Seconds(100));
  CHECK(s.recommendations.back().at == t0 + Seconds(100));
  CHECK(s.recommendations.front().at == t0);
}

TEST_CASE("status patches null out removed keys at any depth", "[unit][status]") {
  nlohmann::json old_s = {{"a", 1}, {"d", {{"x", 1}, {"y", 2}}}};
  nlohmann::json new_s = {{"d", {{"x", 2}}}};
  auto p = live::StatusPatch(old_s, new_s);
  CHECK(p["a"].is_null());
  CHECK(p["d"]["y"].is_null());
  CHECK(p["d"]["x"] == 2);
}

TEST_CASE("status.reference and status.targets read like kubectl get hpa", "[unit][status]") {
  CHECK(live::ReferenceText({"apps/v1", "Deployment", "web"}) == "Deployment/web");
  decision::Spec spec;
  decision::MetricSpec pods = QueueMetric("rps", 10);
  pods.type = decision::SourceType::kPods;
  decision::MetricSpec mem = CpuUtilization(80);
  mem.name = "memory";
  spec.metrics = {CpuUtilization(70), QueueMetric("backlog", 5), ValueMetric("lag", 100), pods,
                  mem};
  decision::Decision d;
  d.metrics.resize(5);
  d.metrics[0].utilization = 45;
  d.metrics[1].value_milli = 12'500;  // AverageValue: already the per-pod average
  d.metrics[2].value_milli = 250;
  d.metrics[3].value_milli = 7'000;
  d.metrics[4].status = decision::MetricStatus::kFailed;
  CHECK(live::TargetsText(spec, d) ==
        "cpu: 45%/70%, backlog: 12500m/5 (avg), lag: 250m/100, rps: 7/10, memory: <unknown>/80%");
  d.metrics.clear();  // nothing evaluated (e.g. paused before the first read)
  CHECK(live::TargetsText(spec, d).empty());
}

TEST_CASE("kubeconfig: errors name the file and field", "[unit][kubeconfig]") {
  const std::string path = "/tmp/ebb-kc-test-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: nope\ncontexts: []\n";
  auto r = kube::LoadKubeconfig(path);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(r.error().message.find("no context named \"nope\"") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("kubeconfig: inline data and relative paths", "[unit][kubeconfig]") {
  const std::string path = "/tmp/ebb-kc-test2-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << R"(apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u, namespace: jobs}}]
clusters: [{name: k, cluster: {server: "https://10.0.0.1:6443/", certificate-authority-data: aGVsbG8=}}]
users: [{name: u, user: {tokenFile: tok, client-key: /abs/key}}]
)";
  auto r = kube::LoadKubeconfig(path);
  REQUIRE(r);
  CHECK(r->server == "https://10.0.0.1:6443");
  CHECK(r->ca_pem == "hello");
  CHECK(r->token_file == "/tmp/tok");
  CHECK(r->client_key_file == "/abs/key");
  CHECK(r->namespace_name == "jobs");
  std::remove(path.c_str());
}

TEST_CASE("pods: a pod list with missing or mistyped parts is read, not crashed on",
          "[unit][pods]") {
  auto list = nlohmann::json::parse(R"({"items": [
    {},
    {"metadata": "x", "status": [], "spec": {"containers": {"not": "a list"}}},
    {"metadata": {"name": "b"}, "spec": {"containers": [{"name": "c", "resources": 5}]}}
  ]})");
  const auto pods = kube::PodsFromList(list);
  REQUIRE(pods.size() == 3);
  CHECK(pods[0].phase == decision::PodPhase::kUnknown);
  CHECK(pods[1].name.empty());
  CHECK(pods[2].name == "b");
  CHECK(pods[2].requests.empty());
  CHECK(kube::PodsFromList(nlohmann::json::parse(R"({"items": null})")).empty());
}

TEST_CASE("pods: phase, readiness, start time and requests incl. sidecar init containers",
          "[unit][pods]") {
  auto list = nlohmann::json::parse(R"({"items": [
    {"metadata": {"name": "a"},
     "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}}}],
              "initContainers": [
                {"name": "sidecar", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}},
                {"name": "setup", "resources": {"requests": {"cpu": "4"}}}]},
     "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:30Z"}]}},
    {"metadata": {"name": "b", "deletionTimestamp": "2026-01-01T00:01:00Z"},
     "spec": {"containers": [{"name": "app", "resources": {"requests": {"memory": "1Gi"}}}]},
     "status": {"phase": "Pending"}}]})");
  auto pods = kube::PodsFromList(list);
  REQUIRE(pods.size() == 2);
  const auto total = [](const decision::Pod& p, const std::string& res) -> int64_t {
    for (const auto& r : p.requests)
      if (r.resource == res && r.container.empty()) return r.milli;
    return -1;
  };
  CHECK(pods[0].phase == decision::PodPhase::kRunning);
  CHECK(pods[0].ready == decision::ConditionStatus::kTrue);
  REQUIRE(pods[0].start_time.has_value());
  CHECK(total(pods[0], "cpu") == 250);  // app + sidecar; the plain init container does not count
  CHECK(pods[1].deleting);
  CHECK(pods[1].phase == decision::PodPhase::kPending);
  CHECK(pods[1].ready == decision::ConditionStatus::kNone);
  CHECK(total(pods[1], "cpu") == -1);  // a container without a cpu request: no total
}

// Checked by fuzz/kube_objects: a Scale whose fields had the wrong JSON type threw
// nlohmann::type_error out of GetScale, and a replica count like 1e10 was converted to int (UB).
TEST_CASE("scale: mistyped or out-of-range fields are a parse error, not an exception",
          "[unit][scale]") {
  auto ok = kube::ParseScale(nlohmann::json::parse(
      R"({"metadata": {"resourceVersion": "7"}, "spec": {"replicas": 3},
          "status": {"replicas": 2, "selector": "app=web"}})"));
  REQUIRE(ok);
  CHECK(ok->info.spec_replicas == 3);
  CHECK(ok->info.ready_replicas == 2);
  CHECK(ok->resource_version == "7");
  CHECK(ok->selector == "app=web");
  auto empty = kube::ParseScale(nlohmann::json::parse(R"({"spec": null, "status": {}})"));
  REQUIRE(empty);
  CHECK(empty->info.spec_replicas == 0);
  for (const char* bad : {R"({"spec": {"replicas": "3"}})", R"({"spec": {"replicas": 1e10}})",
                          R"({"spec": {"replicas": 2.5}})", R"({"spec": {"replicas": -1}})",
                          R"({"status": {"replicas": 4294967296}})", R"({"spec": 5})",
                          R"({"metadata": {"resourceVersion": 7}})",
                          R"({"status": {"selector": ["app"]}})", R"([1])"}) {
    auto r = kube::ParseScale(nlohmann::json::parse(bad));
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kParse);
  }
  auto named = kube::ParseScale(nlohmann::json::parse(R"({"spec": {"replicas": "3"}})"));
  CHECK(named.error().message.find("spec.replicas") != std::string::npos);
}

// Checked by fuzz/kube_objects: an APIResourceList entry with a non-string name or kind, or a
// non-object entry, threw out of Discovery::Load.
TEST_CASE("discovery: odd APIResourceList entries are skipped", "[unit][discovery]") {
  auto kinds = kube::ParseApiResourceList(nlohmann::json::parse(R"({"resources": [
      5, {"name": 7, "kind": "X"}, {"name": "things", "kind": ["T"]},
      {"name": "deployments", "kind": "Deployment", "namespaced": "yes"},
      {"name": "deployments/scale", "kind": "Scale"},
      {"name": "jobs", "kind": "Job", "namespaced": false}]})"),
                                          "apps/v1");
  REQUIRE(kinds.size() == 2);
  CHECK(kinds["Deployment"].has_scale);
  CHECK(kinds["Deployment"].namespaced);
  CHECK(kinds["Deployment"].group == "apps");
  CHECK_FALSE(kinds["Job"].has_scale);
  CHECK_FALSE(kinds["Job"].namespaced);
  CHECK(kube::ParseApiResourceList(nlohmann::json::parse(R"({"resources": 5})"), "v1").empty());
  CHECK(kube::ParseApiResourceList(nlohmann::json::parse("[]"), "v1").empty());
}

// Checked by fuzz/kube_objects: json::value() throws on a member of the wrong type, so a pod named
// 5 or a container that is a number aborted the reconcile; request and usage sums could wrap.
TEST_CASE("pods and pod metrics: mistyped members are skipped, sums saturate", "[unit][pods]") {
  auto pods = kube::PodsFromList(nlohmann::json::parse(R"({"items": [
    {"metadata": {"name": 5}, "status": {"phase": 1, "startTime": 2,
                                         "conditions": [3, {"type": 4}, {"type": "Ready", "status": true}]},
     "spec": {"containers": [7, {"name": ["x"], "restartPolicy": 1,
                                 "resources": {"requests": {"cpu": "9223372036854775807m"}}},
                             {"resources": {"requests": {"cpu": "1"}}}],
              "initContainers": [{"restartPolicy": false}]}}]})"));
  REQUIRE(pods.size() == 1);
  CHECK(pods[0].name.empty());
  CHECK(pods[0].phase == decision::PodPhase::kUnknown);
  CHECK(pods[0].ready == decision::ConditionStatus::kUnknown);
  for (const auto& r : pods[0].requests) CHECK(r.milli >= 0);

  decision::MetricSpec cpu;
  cpu.type = decision::SourceType::kContainerResource;
  cpu.resource = "cpu";
  cpu.container = "app";
  auto reading = kube::ReadingFromPodMetrics(nlohmann::json::parse(R"({"items": [
    5,
    {"metadata": {"name": 6}, "timestamp": 7, "window": 8,
     "containers": [9, {"name": 10, "usage": {"cpu": "1"}}]},
    {"metadata": {"name": "p"}, "timestamp": "2026-01-01T00:00:00Z", "window": "-5s",
     "containers": [{"name": "app", "usage": {"cpu": "9223372036854775807m"}},
                    {"name": "app", "usage": {"cpu": "1"}}]}]})"),
                                             cpu);
  REQUIRE(reading.ok);
  REQUIRE(reading.pod_samples.size() == 1);
  CHECK(reading.pod_samples[0].pod == "p");
  CHECK(reading.pod_samples[0].milli == INT64_MAX);
  CHECK(reading.sample_window == Duration(0));
  cpu.type = decision::SourceType::kResource;
  auto windowed = kube::ReadingFromPodMetrics(nlohmann::json::parse(R"({"items": [
    {"metadata": {"name": "p"}, "window": "15.5s", "containers": [{"usage": {"cpu": "250m"}}]}]})"),
                                              cpu);
  CHECK(windowed.sample_window == Duration(15'500));
  CHECK_FALSE(kube::ReadingFromPodMetrics(nlohmann::json::parse("[]"), cpu).ok);
}

// Checked by fuzz/kube_objects: a Status whose kind was not a string threw out of DescribeFailure,
// and a non-Status body was cut mid-character (invalid UTF-8 in a condition message).
TEST_CASE("failed calls: the body is quoted as valid, bounded UTF-8", "[unit][status]") {
  const std::string path = "/apis/apps/v1/namespaces/default/deployments/web";
  const auto describe = [&](long status, const std::string& body) {  // NOLINT(google-runtime-int)
    return kube::DescribeFailure(kube::Verb::kGet, path, kube::ApiResponse{status, body});
  };
  CHECK(describe(403, R"({"kind": "Status", "reason": "Forbidden", "message": "no"})") ==
        "GET " + path + ": HTTP 403 Forbidden: no");
  CHECK(describe(500, R"({"kind": 5, "reason": [], "message": {}})").find("HTTP 500") !=
        std::string::npos);
  CHECK(describe(500, R"({"kind": "Status", "reason": 1, "message": 2})") ==
        "GET " + path + ": HTTP 500 : ");
  const std::string page = describe(503, std::string(199, 'x') + "\xc3\xa9</html>");
  CHECK(IsValidUtf8(page));
  CHECK(page.size() < 400);
  const std::string long_status =
      describe(429, R"({"kind": "Status", "message": ")" + std::string(100000, 'm') + "\"}");
  CHECK(long_status.size() < 2000);
}

// Checked by fuzz/kubeconfig: yaml-cpp throws when a node has another shape than the reader expects
// (a scalar where a list item or a map is, a map as a name); that escaped LoadKubeconfig.
TEST_CASE("kubeconfig: nodes of the wrong shape are an error naming the file",
          "[unit][kubeconfig]") {
  const std::string path = "/tmp/ebb-kc-test3-" + std::to_string(::getpid()) + ".yaml";
  for (const char* text : {"just a scalar\n", "current-context: c\ncontexts: [5]\n",
                           "current-context: c\ncontexts: [{name: {a: 1}}]\n",
                           "current-context: c\ncontexts: [{name: c, context: 7}]\n",
                           "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                           "clusters: [{name: k, cluster: [1]}]\n"}) {
    INFO(text);
    std::ofstream(path) << text;
    auto r = kube::LoadKubeconfig(path);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(path) != std::string::npos);
  }
  std::remove(path.c_str());
}

// Found by fuzz/kubeconfig: yaml-cpp's parse error quoted one byte of a character, and the
// message went out as is.
TEST_CASE("kubeconfig: a parse error is quoted as valid UTF-8", "[unit][kubeconfig]") {
  const std::string path = "/tmp/ebb-kc-test4-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path, std::ios::binary)
      << std::string("a\0\0\0\0\0\0\0\x1bn: v1\nkind: Confia", 27);
  auto r = kube::LoadKubeconfig(path);
  REQUIRE_FALSE(r);
  CHECK(IsValidUtf8(r.error().message));
  std::remove(path.c_str());
}
