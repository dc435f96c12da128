// ControllerMetrics as Prometheus sees it: every assertion reads a scrape of the real /metrics
// endpoint (HttpEndpoint on a loopback port), not the registry.
#include "metrics/controller_metrics.h"

#include <catch2/catch.hpp>

#include "metrics/build_info.h"
#include "metrics/http_endpoint.h"
#include "tests/metrics/scrape.h"
#include "tests/support/local.h"

namespace ebb::metrics {
namespace {

using testing::CountSeries;
using testing::Sample;

struct Served {
  ControllerMetrics metrics;
  int port = testing::FreePort();
  std::unique_ptr<HttpEndpoint> endpoint;
  Served() {
    auto e = HttpEndpoint::Start("127.0.0.1:" + std::to_string(port), metrics.collectables());
    if (!e) FAIL(e.error().message);
    endpoint = std::move(*e);
  }
  std::string Scrape() const { return testing::HttpGet(port, "/metrics"); }
};

// A worker scaled on a Redis backlog (AverageValue) and cpu (Utilization).
AutoscalerSnapshot Worker() {
  AutoscalerSnapshot s;
  s.ns = "shop";
  s.name = "worker";
  s.target_kind = "Deployment";
  s.target_name = "worker-deploy";
  s.min_replicas = 2;
  s.max_replicas = 10;
  s.current_replicas = 3;
  s.desired_replicas = 6;
  s.active = true;
  s.fallback = false;
  s.paused = false;
  s.conditions = {{"AbleToScale", "True"}, {"ScalingActive", "True"}, {"Ready", "Unknown"}};
  MetricSnapshot backlog;
  backlog.name = "backlog";
  backlog.source = "Redis";
  backlog.target_type = "AverageValue";
  backlog.value = 30;
  backlog.per_replica = 10;
  backlog.target = 5;
  backlog.ratio = 2;
  MetricSnapshot cpu;
  cpu.name = "cpu";
  cpu.source = "Resource";
  cpu.target_type = "Utilization";
  cpu.value = 1.5;
  cpu.per_replica = 0.5;
  cpu.utilization = 50;
  cpu.target = 70;
  cpu.ratio = 50.0 / 70;
  s.metrics = {backlog, cpu};
  return s;
}

const std::string kId = R"(autoscaler="worker",namespace="shop")";

}  // namespace

TEST_CASE("Observe: one series per gauge, labelled namespace and autoscaler", "[metrics]") {
  Served srv;
  srv.metrics.Observe(Worker());
  const std::string text = srv.Scrape();
  INFO(text);
  CHECK(Sample(text, "ebb_autoscaler_min_replicas{" + kId + "}") == 2);
  CHECK(Sample(text, "ebb_autoscaler_max_replicas{" + kId + "}") == 10);
  CHECK(Sample(text, "ebb_autoscaler_current_replicas{" + kId + "}") == 3);
  CHECK(Sample(text, "ebb_autoscaler_desired_replicas{" + kId + "}") == 6);
  CHECK(Sample(text, "ebb_autoscaler_active{" + kId + "}") == 1);
  CHECK(Sample(text, "ebb_autoscaler_paused{" + kId + "}") == 0);
  CHECK(Sample(text, "ebb_autoscaler_fallback{" + kId + "}") == 0);
  CHECK(Sample(text, "ebb_autoscaler_dry_run{" + kId + "}") == 0);
  CHECK(Sample(text, R"(ebb_autoscaler_info{autoscaler="worker",namespace="shop",)"
                     R"(scaletarget_kind="Deployment",scaletarget_name="worker-deploy"})") == 1);
  // Every per-Autoscaler sample carries both labels.
  for (const auto& [series, value] : testing::Samples(text)) {
    if (series.rfind("ebb_autoscaler_", 0) != 0) continue;
    CHECK(series.find(R"(autoscaler="worker")") != std::string::npos);
    CHECK(series.find(R"(namespace="shop")") != std::string::npos);
  }
}

TEST_CASE("Observe: each condition is three series, 1 for its status (kube-state-metrics)",
          "[metrics]") {
  Served srv;
  srv.metrics.Observe(Worker());
  const std::string text = srv.Scrape();
  INFO(text);
  auto cond = [&](const std::string& type, const std::string& status) {
    return Sample(text, R"(ebb_autoscaler_condition{autoscaler="worker",condition=")" + type +
                            R"(",namespace="shop",status=")" + status + "\"}");
  };
  CHECK(cond("AbleToScale", "true") == 1);
  CHECK(cond("AbleToScale", "false") == 0);
  CHECK(cond("AbleToScale", "unknown") == 0);
  CHECK(cond("Ready", "unknown") == 1);
  CHECK(cond("Ready", "true") == 0);
  CHECK(CountSeries(text, "ebb_autoscaler_condition{") == 9);

  // A condition that is no longer written loses its series; a flipped one flips.
  AutoscalerSnapshot s = Worker();
  s.conditions = {{"AbleToScale", "False"}, {"ScalingActive", "True"}};
  srv.metrics.Observe(s);
  const std::string after = srv.Scrape();
  INFO(after);
  CHECK(CountSeries(after, "ebb_autoscaler_condition{") == 6);
  CHECK(after.find(R"(condition="Ready")") == std::string::npos);
  CHECK(Sample(after, R"(ebb_autoscaler_condition{autoscaler="worker",condition="AbleToScale",)"
                      R"(namespace="shop",status="false"})") == 1);
}

TEST_CASE("Observe: the metric's value and its per-replica value are separate series",
          "[metrics]") {
  Served srv;
  srv.metrics.Observe(Worker());
  const std::string text = srv.Scrape();
  INFO(text);
  const std::string backlog =
      R"({autoscaler="worker",metric="backlog",namespace="shop",type="Redis"})";
  const std::string cpu = R"({autoscaler="worker",metric="cpu",namespace="shop",type="Resource"})";
  CHECK(Sample(text, "ebb_autoscaler_metric_value" + backlog) == 30);
  CHECK(Sample(text, "ebb_autoscaler_metric_value_per_replica" + backlog) == 10);
  CHECK(Sample(text, "ebb_autoscaler_metric_ratio" + backlog) == 2);
  CHECK(Sample(text, R"(ebb_autoscaler_metric_target{autoscaler="worker",metric="backlog",)"
                     R"(namespace="shop",target_type="AverageValue",type="Redis"})") == 5);
  CHECK(Sample(text, "ebb_autoscaler_metric_utilization_percent" + cpu) == 50);
  CHECK(Sample(text, "ebb_autoscaler_metric_value_per_replica" + cpu) == 0.5);
  CHECK(Sample(text, R"(ebb_autoscaler_metric_target{autoscaler="worker",metric="cpu",)"
                     R"(namespace="shop",target_type="Utilization",type="Resource"})") == 70);
  // Only Utilization metrics have a utilization.
  CHECK(CountSeries(text, "ebb_autoscaler_metric_utilization_percent{") == 1);
}

TEST_CASE("Observe: a failed metric counts an error and drops its values, a removed one goes",
          "[metrics]") {
  Served srv;
  srv.metrics.Observe(Worker());
  AutoscalerSnapshot s = Worker();
  s.metrics[0].failed = true;
  s.metrics[0].value.reset();
  s.metrics[0].per_replica.reset();
  s.metrics[0].ratio.reset();
  srv.metrics.Observe(s);
  srv.metrics.Observe(s);
  std::string text = srv.Scrape();
  INFO(text);
  CHECK(Sample(text, R"(ebb_scaler_errors_total{autoscaler="worker",metric="backlog",)"
                     R"(namespace="shop"})") == 2);
  CHECK(CountSeries(text, R"(ebb_autoscaler_metric_value{autoscaler="worker",metric="backlog")") ==
        0);
  CHECK(CountSeries(text, R"(ebb_autoscaler_metric_value_per_replica{autoscaler="worker",)"
                          R"(metric="backlog")") == 0);
  // The target stays: the alert comparing them goes quiet, the one on errors speaks.
  CHECK(CountSeries(text, R"(ebb_autoscaler_metric_target{autoscaler="worker",metric="backlog")") ==
        1);

  s.metrics.pop_back();  // cpu removed from the spec
  srv.metrics.Observe(s);
  text = srv.Scrape();
  CHECK(text.find(R"(metric="cpu")") == std::string::npos);
  // The scale could not be read: the replica counts are not known any more.
  s.current_replicas.reset();
  s.desired_replicas.reset();
  srv.metrics.Observe(s);
  text = srv.Scrape();
  CHECK(CountSeries(text, "ebb_autoscaler_current_replicas{") == 0);
  CHECK(CountSeries(text, "ebb_autoscaler_desired_replicas{") == 0);
  CHECK(Sample(text, "ebb_autoscaler_max_replicas{" + kId + "}") == 10);
}

TEST_CASE("RecordScale: counted per Autoscaler with direction, reason and dry_run", "[metrics]") {
  Served srv;
  srv.metrics.RecordScale("shop", "worker", 3, 6, "DesiredWithinRange", false);
  srv.metrics.RecordScale("shop", "worker", 3, 6, "DesiredWithinRange", false);
  srv.metrics.RecordScale("shop", "worker", 6, 2, "ScaleDownLimit", false);
  srv.metrics.RecordScale("shop", "web", 1, 4, "TooFewReplicas", true);
  const std::string text = srv.Scrape();
  INFO(text);
  CHECK(Sample(text, R"(ebb_scale_events_total{autoscaler="worker",direction="up",dry_run="false",)"
                     R"(namespace="shop",reason="DesiredWithinRange"})") == 2);
  CHECK(Sample(text, R"(ebb_scale_events_total{autoscaler="worker",direction="down",)"
                     R"(dry_run="false",namespace="shop",reason="ScaleDownLimit"})") == 1);
  CHECK(Sample(text, R"(ebb_scale_events_total{autoscaler="web",direction="up",dry_run="true",)"
                     R"(namespace="shop",reason="TooFewReplicas"})") == 1);
}

TEST_CASE("Forget: every series of a deleted Autoscaler is removed, the others stay", "[metrics]") {
  Served srv;
  AutoscalerSnapshot other = Worker();
  other.name = "web";
  srv.metrics.Observe(Worker());
  srv.metrics.Observe(other);
  AutoscalerSnapshot failing = Worker();
  failing.metrics[0].failed = true;
  srv.metrics.Observe(failing);
  srv.metrics.RecordScale("shop", "worker", 3, 6, "DesiredWithinRange", false);
  REQUIRE(srv.Scrape().find(R"(autoscaler="worker")") != std::string::npos);

  srv.metrics.Forget("shop", "worker");
  const std::string text = srv.Scrape();
  INFO(text);
  CHECK(text.find(R"(autoscaler="worker")") == std::string::npos);
  CHECK(Sample(text, R"(ebb_autoscaler_max_replicas{autoscaler="web",namespace="shop"})") == 10);
  srv.metrics.Forget("shop", "never-seen");  // harmless
}

TEST_CASE("ebb_build_info: version, revision and compiler, value 1", "[metrics]") {
  Served srv;
  const std::string text = srv.Scrape();
  INFO(text);
  const BuildInfo b = GetBuildInfo();
  CHECK(b.version == "0.1.0");
  CHECK(!b.revision.empty());
  CHECK(Sample(text, R"(ebb_build_info{compiler=")" + b.compiler + R"(",revision=")" + b.revision +
                         R"(",version=")" + b.version + "\"}") == 1);
}

TEST_CASE("the endpoint serves the process_* series next to the registry's", "[metrics]") {
  Served srv;
  const std::string text = srv.Scrape();
  INFO(text);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds", "process_virtual_memory_max_bytes"}) {
    CHECK(Sample(text, name).has_value());
  }
  CHECK(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
  CHECK(text.find("# TYPE process_open_fds gauge") != std::string::npos);
}

TEST_CASE("the endpoint streams every Autoscaler's series, then the registry's", "[metrics]") {
  Served srv;
  for (int i = 0; i < 600; ++i) {  // more than one chunk of the stream
    AutoscalerSnapshot s = Worker();
    s.name = "w" + std::to_string(i);
    srv.metrics.Observe(s);
  }
  srv.metrics.Reconciled("ok", 0.01);
  const std::string text = srv.Scrape();
  CHECK(CountSeries(text, "ebb_autoscaler_info{") == 600);
  CHECK(Sample(text, R"(ebb_autoscaler_max_replicas{autoscaler="w599",namespace="shop"})") == 10);
  // Each family is declared once, however many chunks carried it.
  std::size_t declared = 0;
  for (auto at = text.find("# TYPE ebb_autoscaler_info "); at != std::string::npos;
       at = text.find("# TYPE ebb_autoscaler_info ", at + 1))
    ++declared;
  CHECK(declared == 1);
  CHECK(text.find("# HELP ebb_autoscaler_info ") < text.find("# HELP ebb_reconciles_total "));
  CHECK(Sample(text, "process_open_fds").has_value());
}

}  // namespace ebb::metrics

namespace ebb::metrics {

TEST_CASE("a replica that loses the lead drops its per-Autoscaler series", "[metrics]") {
  Served srv;
  srv.metrics.SetLeader(true);
  srv.metrics.Observe(Worker());
  srv.metrics.RecordScale("shop", "worker", 3, 6, "DesiredWithinRange", false);
  REQUIRE(srv.Scrape().find(R"(autoscaler="worker")") != std::string::npos);
  srv.metrics.SetLeader(false);
  std::string text = srv.Scrape();
  INFO(text);
  CHECK(text.find(R"(autoscaler="worker")") == std::string::npos);
  CHECK(Sample(text, "ebb_leader") == 0);
  srv.metrics.SetLeader(true);  // leading again: the next reconcile reports afresh
  srv.metrics.Observe(Worker());
  CHECK(Sample(srv.Scrape(), "ebb_autoscaler_max_replicas{" + kId + "}") == 10);
}

}  // namespace ebb::metrics
