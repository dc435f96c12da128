#include "metrics/autoscaler_series.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <utility>

namespace ebb::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// kube-state-metrics' status label values.
const char* StatusLabel(const std::string& status) {
  if (status == "True") return "true";
  if (status == "False") return "false";
  return "unknown";
}

// Labels sorted by name, as prometheus-cpp's Labels map wrote them.
ClientMetric Sample(std::initializer_list<std::pair<const char*, const std::string*>> labels,
                    double value, MetricType type) {
  ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [name, v] : labels) m.label.push_back({name, *v});
  std::sort(m.label.begin(), m.label.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  return m;
}

struct Family {
  const char* name;
  const char* help;
  MetricType type = MetricType::Gauge;
};

// The per-Autoscaler families, in their order of registration (HELP texts as documented).
enum Fam {
  kInfo,
  kMin,
  kMax,
  kCurrent,
  kDesired,
  kActive,
  kPaused,
  kFallback,
  kDryRun,
  kCondition,
  kMetricValue,
  kMetricPerReplica,
  kMetricUtilization,
  kMetricTarget,
  kMetricRatio,
  kScalerErrors,
  kScaleEvents,
  kFamilies
};

const Family kFamily[kFamilies] = {
    {"ebb_autoscaler_info", "1 for every Autoscaler, labelled with its scale target (kind, name)"},
    {"ebb_autoscaler_min_replicas", "spec.minReplicas"},
    {"ebb_autoscaler_max_replicas", "spec.maxReplicas"},
    {"ebb_autoscaler_current_replicas", "The target's spec.replicas as last read"},
    {"ebb_autoscaler_desired_replicas",
     "Replicas the last decision asked for (in dry run: would have asked for)"},
    {"ebb_autoscaler_active",
     "1 while a metric is above its activation threshold (or activity is unknown)"},
    {"ebb_autoscaler_paused", "1 while paused by ebb.dev/paused or ebb.dev/paused-replicas"},
    {"ebb_autoscaler_fallback", "1 while fallback replicas are used (a metric failed too often)"},
    {"ebb_autoscaler_dry_run", "1 when decisions are reported and never applied (shadow mode)"},
    {"ebb_autoscaler_condition",
     "1 for the status a condition has (true, false, unknown), 0 for the others"},
    {"ebb_autoscaler_metric_value",
     "A metric's value as read: the query result, an External metric's sum, a per-pod metric "
     "summed over the pods counted"},
    {"ebb_autoscaler_metric_value_per_replica",
     "A metric's value per replica (what AverageValue targets compare)"},
    {"ebb_autoscaler_metric_utilization_percent",
     "A Utilization metric's value, percent of the pods' requests"},
    {"ebb_autoscaler_metric_target",
     "A metric's target: percent (Utilization), per replica (AverageValue) or a value (Value), "
     "by target_type"},
    {"ebb_autoscaler_metric_ratio",
     "A metric's current/target ratio, as compared with the tolerance"},
    {"ebb_scaler_errors_total", "Metric reads that failed", MetricType::Counter},
    {"ebb_scale_events_total",
     "Rescales by Autoscaler, direction and reason; dry_run=\"true\": not applied",
     MetricType::Counter},
};

}  // namespace

std::string AutoscalerSeries::Key(const std::string& ns, const std::string& name) {
  return ns + "/" + name;  // '/' cannot occur in either (DNS labels and subdomains)
}

void AutoscalerSeries::Observe(AutoscalerSnapshot s) {
  const std::string key = Key(s.ns, s.name);
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  for (const auto& m : s.metrics) {
    if (!m.failed) continue;
    auto it = std::find_if(e.errors.begin(), e.errors.end(),
                           [&m](const auto& err) { return err.first == m.name; });
    if (it == e.errors.end()) it = e.errors.insert(e.errors.end(), {m.name, 0.0});
    it->second += 1;
  }
  e.snapshot = std::move(s);
  e.observed = true;
}

void AutoscalerSeries::RecordScale(const std::string& ns, const std::string& name,
                                   const std::string& direction, const std::string& reason,
                                   bool dry_run) {
  const std::string key = Key(ns, name);
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  if (!e.observed) {
    e.snapshot.ns = ns;
    e.snapshot.name = name;
  }
  auto it = std::find_if(e.scales.begin(), e.scales.end(), [&](const Scale& sc) {
    return sc.direction == direction && sc.reason == reason && sc.dry_run == dry_run;
  });
  if (it == e.scales.end()) it = e.scales.insert(e.scales.end(), {direction, reason, dry_run, 0});
  it->count += 1;
}

void AutoscalerSeries::Forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  entries_.erase(Key(ns, name));
}

void AutoscalerSeries::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

std::vector<MetricFamily> AutoscalerSeries::Collect() const {
  std::string last;
  return CollectChunk("", SIZE_MAX, -1, &last);
}

void AutoscalerSeries::WriteText(const std::function<void(const std::string&)>& out,
                                 std::size_t chunk) const {
  const prometheus::TextSerializer serializer;
  for (int f = 0; f < kFamilies; ++f) {
    bool header = false;
    std::string after, last;
    for (;;) {
      auto fams = CollectChunk(after, std::max<std::size_t>(chunk, 1), f, &last);
      if (!fams.empty()) {
        std::string text = serializer.Serialize(fams);
        if (header) {
          // Every chunk after the first continues the family: without its HELP and TYPE lines.
          const std::size_t help_end = text.find('\n');
          const std::size_t type_end =
              help_end == std::string::npos ? help_end : text.find('\n', help_end + 1);
          text.erase(0, type_end == std::string::npos ? text.size() : type_end + 1);
        }
        header = true;
        out(text);
      }
      if (last.empty()) break;
      after = std::move(last);
    }
  }
}

std::vector<MetricFamily> AutoscalerSeries::CollectChunk(const std::string& after, std::size_t max,
                                                         int only, std::string* last) const {
  std::vector<MetricFamily> fams(kFamilies);
  for (std::size_t f = 0; f < kFamilies; ++f) {
    fams[f].name = kFamily[f].name;
    fams[f].help = kFamily[f].help;
    fams[f].type = kFamily[f].type;
  }
  static const std::string kStatus[] = {"true", "false", "unknown"};
  const std::string dry_true = "true", dry_false = "false";
  auto want = [only](Fam f) { return only < 0 || only == f; };
  std::lock_guard lock(mu_);
  last->clear();
  std::size_t taken = 0;
  for (auto it = after.empty() ? entries_.begin() : entries_.upper_bound(after);
       it != entries_.end(); ++it) {
    if (taken++ == max) break;
    *last = it->first;
    const Entry& e = it->second;
    const AutoscalerSnapshot& s = e.snapshot;
    const std::string* ns = &s.ns;
    const std::string* as = &s.name;
    auto id = [&](Fam f, double v) {
      if (want(f))
        fams[f].metric.push_back(
            Sample({{"namespace", ns}, {"autoscaler", as}}, v, kFamily[f].type));
    };
    if (e.observed) {
      if (want(kInfo))
        fams[kInfo].metric.push_back(Sample({{"namespace", ns},
                                             {"autoscaler", as},
                                             {"scaletarget_kind", &s.target_kind},
                                             {"scaletarget_name", &s.target_name}},
                                            1, MetricType::Gauge));
      id(kMin, s.min_replicas);
      id(kMax, s.max_replicas);
      if (s.current_replicas) id(kCurrent, *s.current_replicas);
      if (s.desired_replicas) id(kDesired, *s.desired_replicas);
      id(kActive, s.active ? 1 : 0);
      id(kPaused, s.paused ? 1 : 0);
      id(kFallback, s.fallback ? 1 : 0);
      id(kDryRun, s.dry_run ? 1 : 0);
      for (const auto& c : s.conditions) {
        const std::string has = StatusLabel(c.status);
        for (const std::string& status : kStatus) {
          if (want(kCondition))
            fams[kCondition].metric.push_back(Sample({{"namespace", ns},
                                                      {"autoscaler", as},
                                                      {"condition", &c.type},
                                                      {"status", &status}},
                                                     has == status ? 1 : 0, MetricType::Gauge));
        }
      }
      for (const auto& m : s.metrics) {
        auto metric = [&](Fam f, double v) {
          if (want(f))
            fams[f].metric.push_back(Sample(
                {{"namespace", ns}, {"autoscaler", as}, {"metric", &m.name}, {"type", &m.source}},
                v, MetricType::Gauge));
        };
        if (want(kMetricTarget))
          fams[kMetricTarget].metric.push_back(Sample({{"namespace", ns},
                                                       {"autoscaler", as},
                                                       {"metric", &m.name},
                                                       {"type", &m.source},
                                                       {"target_type", &m.target_type}},
                                                      m.target, MetricType::Gauge));
        if (m.value) metric(kMetricValue, *m.value);
        if (m.per_replica) metric(kMetricPerReplica, *m.per_replica);
        if (m.utilization) metric(kMetricUtilization, *m.utilization);
        if (m.ratio) metric(kMetricRatio, *m.ratio);
      }
    }
    for (const auto& [metric, count] : e.errors) {
      if (want(kScalerErrors))
        fams[kScalerErrors].metric.push_back(
            Sample({{"namespace", ns}, {"autoscaler", as}, {"metric", &metric}}, count,
                   MetricType::Counter));
    }
    for (const Scale& sc : e.scales) {
      if (want(kScaleEvents))
        fams[kScaleEvents].metric.push_back(
            Sample({{"namespace", ns},
                    {"autoscaler", as},
                    {"direction", &sc.direction},
                    {"reason", &sc.reason},
                    {"dry_run", sc.dry_run ? &dry_true : &dry_false}},
                   sc.count, MetricType::Counter));
    }
  }
  if (taken <= max) last->clear();  // the map ended within this chunk
  // As prometheus-cpp: a family without series is not exposed at all.
  fams.erase(std::remove_if(fams.begin(), fams.end(),
                            [](const MetricFamily& f) { return f.metric.empty(); }),
             fams.end());
  return fams;
}

}  // namespace ebb::metrics
