// AutoscalerSeries renders from snapshots what one prometheus-cpp Gauge per series rendered: the
// same text, line for line, checked against a reference that builds those families the old way.
#include "metrics/autoscaler_series.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

#include "metrics/controller_metrics.h"

namespace ebb::metrics {
namespace {

// The exposition as prometheus-cpp families rendered it before (controller_metrics.cpp at
// b450755): one Gauge or Counter per series, labels in a std::map.
std::string Reference(const std::vector<AutoscalerSnapshot>& snaps,
                      const std::vector<std::vector<std::string>>& scales, int observe_times) {
  prometheus::Registry r;
  auto gauge = [&r](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(r);
  };
  auto& info = gauge("ebb_autoscaler_info",
                     "1 for every Autoscaler, labelled with its scale target (kind, name)");
  auto& min = gauge("ebb_autoscaler_min_replicas", "spec.minReplicas");
  auto& max = gauge("ebb_autoscaler_max_replicas", "spec.maxReplicas");
  auto& current =
      gauge("ebb_autoscaler_current_replicas", "The target's spec.replicas as last read");
  auto& desired = gauge("ebb_autoscaler_desired_replicas",
                        "Replicas the last decision asked for (in dry run: would have asked for)");
  auto& active =
      gauge("ebb_autoscaler_active",
            "1 while a metric is above its activation threshold (or activity is unknown)");
  auto& paused =
      gauge("ebb_autoscaler_paused", "1 while paused by ebb.dev/paused or ebb.dev/paused-replicas");
  auto& fallback = gauge("ebb_autoscaler_fallback",
                         "1 while fallback replicas are used (a metric failed too often)");
  auto& dry_run = gauge("ebb_autoscaler_dry_run",
                        "1 when decisions are reported and never applied (shadow mode)");
  auto& condition =
      gauge("ebb_autoscaler_condition",
            "1 for the status a condition has (true, false, unknown), 0 for the others");
  auto& value = gauge("ebb_autoscaler_metric_value",
                      "A metric's value as read: the query result, an External metric's "
                      "sum, a per-pod metric summed over the pods counted");
  auto& per_replica = gauge("ebb_autoscaler_metric_value_per_replica",
                            "A metric's value per replica (what AverageValue targets compare)");
  auto& utilization = gauge("ebb_autoscaler_metric_utilization_percent",
                            "A Utilization metric's value, percent of the pods' requests");
  auto& target = gauge("ebb_autoscaler_metric_target",
                       "A metric's target: percent (Utilization), per replica "
                       "(AverageValue) or a value (Value), by target_type");
  auto& ratio = gauge("ebb_autoscaler_metric_ratio",
                      "A metric's current/target ratio, as compared with the tolerance");
  auto& errors = prometheus::BuildCounter()
                     .Name("ebb_scaler_errors_total")
                     .Help("Metric reads that failed")
                     .Register(r);
  auto& scale_events =
      prometheus::BuildCounter()
          .Name("ebb_scale_events_total")
          .Help("Rescales by Autoscaler, direction and reason; dry_run=\"true\": not applied")
          .Register(r);
  for (const auto& s : snaps) {
    const prometheus::Labels id{{"namespace", s.ns}, {"autoscaler", s.name}};
    auto with = [&id](std::initializer_list<std::pair<const std::string, std::string>> more) {
      prometheus::Labels l = id;
      l.insert(more);
      return l;
    };
    info.Add(with({{"scaletarget_kind", s.target_kind}, {"scaletarget_name", s.target_name}}))
        .Set(1);
    min.Add(id).Set(s.min_replicas);
    max.Add(id).Set(s.max_replicas);
    if (s.current_replicas) current.Add(id).Set(*s.current_replicas);
    if (s.desired_replicas) desired.Add(id).Set(*s.desired_replicas);
    active.Add(id).Set(s.active ? 1 : 0);
    paused.Add(id).Set(s.paused ? 1 : 0);
    fallback.Add(id).Set(s.fallback ? 1 : 0);
    dry_run.Add(id).Set(s.dry_run ? 1 : 0);
    for (const auto& c : s.conditions) {
      const std::string has =
          c.status == "True" ? "true" : (c.status == "False" ? "false" : "unknown");
      for (const char* st : {"true", "false", "unknown"})
        condition.Add(with({{"condition", c.type}, {"status", st}})).Set(has == st ? 1 : 0);
    }
    for (const auto& m : s.metrics) {
      const prometheus::Labels ml = with({{"metric", m.name}, {"type", m.source}});
      target.Add(with({{"metric", m.name}, {"type", m.source}, {"target_type", m.target_type}}))
          .Set(m.target);
      if (m.failed) errors.Add(with({{"metric", m.name}})).Increment(observe_times);
      if (m.value) value.Add(ml).Set(*m.value);
      if (m.per_replica) per_replica.Add(ml).Set(*m.per_replica);
      if (m.utilization) utilization.Add(ml).Set(*m.utilization);
      if (m.ratio) ratio.Add(ml).Set(*m.ratio);
    }
  }
  for (const auto& sc : scales) {
    scale_events
        .Add({{"namespace", sc[0]},
              {"autoscaler", sc[1]},
              {"direction", sc[2]},
              {"reason", sc[3]},
              {"dry_run", sc[4]}})
        .Increment();
  }
  return prometheus::TextSerializer().Serialize(r.Collect());
}

// Families sorted by name, each with its samples sorted: prometheus-cpp's registry wrote
// counters before gauges and kept series in hash order, so only these orders may differ.
std::string Normalized(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> blocks;
  std::string line, block;
  std::vector<std::string> samples;
  auto flush = [&] {
    std::sort(samples.begin(), samples.end());
    for (const auto& s : samples) block += s + "\n";
    samples.clear();
    if (!block.empty()) blocks.push_back(block);
    block.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("# HELP", 0) == 0) flush();
    if (line.rfind("#", 0) == 0)
      block += line + "\n";
    else
      samples.push_back(line);
  }
  flush();
  std::sort(blocks.begin(), blocks.end());
  std::string out;
  for (const auto& b : blocks) out += b;
  return out;
}

// The first line that differs, for a readable failure.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream ia(a), ib(b);
  std::string la, lb;
  while (true) {
    const bool ga = static_cast<bool>(std::getline(ia, la));
    const bool gb = static_cast<bool>(std::getline(ib, lb));
    if (!ga && !gb) return "";
    if (!ga || !gb || la != lb)
      return "got:  " + (ga ? la : "<end>") + "\nwant: " + (gb ? lb : "<end>");
  }
}

AutoscalerSnapshot Snapshot(const std::string& ns, const std::string& name) {
  AutoscalerSnapshot s;
  s.ns = ns;
  s.name = name;
  s.target_kind = "Deployment";
  s.target_name = name + "-deploy";
  s.min_replicas = 2;
  s.max_replicas = 100;
  s.current_replicas = 3;
  s.desired_replicas = 7;
  s.active = true;
  s.dry_run = name == "shadow";
  s.conditions = {{"AbleToScale", "True"},
                  {"ScalingActive", "False"},
                  {"ScalingLimited", "Unknown"},
                  {"Ready", "True"}};
  MetricSnapshot backlog;
  backlog.name = "backlog";
  backlog.source = "Redis";
  backlog.target_type = "AverageValue";
  backlog.value = 31.25;
  backlog.per_replica = 31.25 / 3;  // many digits
  backlog.target = 5;
  backlog.ratio = 2.0833333333333335;
  MetricSnapshot cpu;
  cpu.name = "cpu \"quoted\" \\ name";  // escaping as prometheus-cpp did it
  cpu.source = "Resource";
  cpu.target_type = "Utilization";
  cpu.value = 1.5e-7;
  cpu.per_replica = 123456789012.5;
  cpu.utilization = 50;
  cpu.target = 70;
  cpu.failed = name == "failing";
  if (cpu.failed) {
    cpu.value.reset();
    cpu.per_replica.reset();
    cpu.utilization.reset();
  }
  s.metrics = {backlog, cpu};
  if (name == "unread") {
    s.current_replicas.reset();
    s.desired_replicas.reset();
    s.conditions = {{"AbleToScale", "False"}};
  }
  return s;
}

}  // namespace

TEST_CASE("AutoscalerSeries: the exposition is what one prometheus-cpp series per gauge gave",
          "[metrics]") {
  std::vector<AutoscalerSnapshot> snaps = {Snapshot("shop", "worker"), Snapshot("shop", "shadow"),
                                           Snapshot("jobs", "failing"), Snapshot("jobs", "unread")};
  const std::vector<std::vector<std::string>> scales = {
      {"shop", "worker", "up", "DesiredWithinRange", "false"},
      {"shop", "shadow", "down", "ScaleDownLimit", "true"},
      {"jobs", "never-observed", "up", "TooFewReplicas", "false"}};
  AutoscalerSeries series;
  for (int i = 0; i < 2; ++i)
    for (const auto& s : snaps) series.Observe(s);
  for (const auto& sc : scales) series.RecordScale(sc[0], sc[1], sc[2], sc[3], sc[4] == "true");
  const std::string got = prometheus::TextSerializer().Serialize(series.Collect());
  const std::string want = Reference(snaps, scales, 2);
  INFO(got);
  CHECK(FirstDifference(Normalized(got), Normalized(want)) == "");
  CHECK(got.find(R"(metric="cpu \"quoted\" \\ name")") != std::string::npos);

  // Nothing observed: no family at all, as an empty prometheus-cpp family is not exposed.
  AutoscalerSeries empty;
  CHECK(prometheus::TextSerializer().Serialize(empty.Collect()).empty());
}

TEST_CASE("AutoscalerSeries: Forget and Clear drop every series of the Autoscaler", "[metrics]") {
  AutoscalerSeries series;
  series.Observe(Snapshot("shop", "worker"));
  series.Observe(Snapshot("jobs", "failing"));
  series.RecordScale("shop", "worker", "up", "DesiredWithinRange", false);
  series.Forget("shop", "worker");
  const std::string text = prometheus::TextSerializer().Serialize(series.Collect());
  CHECK(text.find(R"(autoscaler="worker")") == std::string::npos);
  CHECK(text.find("ebb_scale_events_total") == std::string::npos);
  CHECK(text.find(R"(autoscaler="failing")") != std::string::npos);
  CHECK(FirstDifference(Normalized(text),
                        Normalized(Reference({Snapshot("jobs", "failing")}, {}, 1))) == "");
  series.Clear();
  CHECK(prometheus::TextSerializer().Serialize(series.Collect()).empty());
}

TEST_CASE("ControllerMetrics: the per-Autoscaler families come before the registry's",
          "[metrics]") {
  ControllerMetrics m;
  m.Observe(Snapshot("shop", "worker"));
  m.Reconciled("ok", 0.01);
  const std::string text = prometheus::TextSerializer().Serialize(m.Collect());
  const auto info = text.find("# HELP ebb_autoscaler_info ");
  const auto reconciles = text.find("# HELP ebb_reconciles_total ");
  REQUIRE(info != std::string::npos);
  REQUIRE(reconciles != std::string::npos);
  CHECK(info < reconciles);
}

}  // namespace ebb::metrics

namespace ebb::metrics {

TEST_CASE("AutoscalerSeries: the streamed text is the serialized Collect, chunk by chunk",
          "[metrics]") {
  AutoscalerSeries series;
  for (int i = 0; i < 11; ++i) {
    series.Observe(Snapshot("shop", "w" + std::to_string(i)));
    if (i % 4 == 0) series.RecordScale("shop", "w" + std::to_string(i), "up", "Grow", false);
  }
  const std::string whole = prometheus::TextSerializer().Serialize(series.Collect());
  for (const std::size_t chunk :
       {std::size_t{1}, std::size_t{3}, std::size_t{11}, std::size_t{500}}) {
    std::string streamed;
    int pieces = 0;
    series.WriteText(
        [&](const std::string& t) {
          streamed += t;
          ++pieces;
        },
        chunk);
    INFO("chunk " << chunk);
    CHECK(streamed == whole);
    if (chunk == 1) CHECK(pieces > 11);  // really in pieces, one family header each
  }
  AutoscalerSeries empty;
  std::string none;
  empty.WriteText([&](const std::string& t) { none += t; });
  CHECK(none.empty());
}

}  // namespace ebb::metrics
