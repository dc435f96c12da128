#include "controller/decision/replica_calculator.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/base/quantity.h"

namespace ebb::decision {
namespace {

enum class PodClass : uint8_t { kReady, kUnready, kMissing, kIgnored };

void Fail(MetricResult& out, std::string message) {
  out.status = MetricStatus::kFailed;
  out.error = std::move(message);
}

// Maps pod name -> sample index. Linear for the common small case, hashed for big targets.
class SampleIndex {
 public:
  explicit SampleIndex(const std::vector<PodSample>& samples) : samples_(samples) {
    if (samples.size() > 32) {
      map_.reserve(samples.size());
      for (size_t i = 0; i < samples.size(); ++i) map_[samples[i].pod] = i;
    }
  }
  const PodSample* Find(const std::string& pod) const {
    if (!map_.empty()) {
      auto it = map_.find(pod);
      return it == map_.end() ? nullptr : &samples_[it->second];
    }
    for (const auto& s : samples_) {
      if (s.pod == pod) return &s;
    }
    return nullptr;
  }

 private:
  const std::vector<PodSample>& samples_;
  std::unordered_map<std::string, size_t> map_;
};

// upstream groupPods: ignored (deleting/Failed), unready (Pending; for cpu the readiness and
// initialisation heuristics), missing (no sample), else ready.
PodClass ClassifyPod(const Pod& pod, const PodSample* sample, bool is_cpu,
                     const MetricReading& reading, const Settings& settings, Timestamp now) {
  // Succeeded pods are ignored too (newer upstream): they will never serve again.
  if (pod.deleting || pod.phase == PodPhase::kFailed || pod.phase == PodPhase::kSucceeded) {
    return PodClass::kIgnored;
  }
  if (pod.phase == PodPhase::kPending) return PodClass::kUnready;
  if (sample == nullptr) return PodClass::kMissing;
  if (is_cpu) {
    bool unready = false;
    if (pod.ready == ConditionStatus::kNone || !pod.start_time) {
      unready = true;
    } else if (*pod.start_time + Seconds(settings.cpu_initialization_period_seconds) > now) {
      // Still initialising: ignore the sample if unready or if one metric window has not passed
      // since the last readiness transition.
      unready = pod.ready == ConditionStatus::kFalse ||
                reading.sample_time < pod.ready_transition_time + reading.sample_window;
    } else {
      // Unready and (probably) never been ready.
      unready = pod.ready == ConditionStatus::kFalse &&
                *pod.start_time + Seconds(settings.initial_readiness_delay_seconds) >
                    pod.ready_transition_time;
    }
    if (unready) return PodClass::kUnready;
  }
  return PodClass::kReady;
}

const ResourceRequest* FindRequest(const Pod& pod, const std::string& resource,
                                   const std::string& container) {
  for (const auto& r : pod.requests) {
    if (r.resource == resource && r.container == container) return &r;
  }
  return nullptr;
}

// One working sample: a pod's value and, for utilisation, its request (-1: not a known pod).
struct Entry {
  int64_t value = 0;
  int64_t request = -1;
};

struct Grouped {
  int32_t ready_count = 0;
  std::vector<Entry> entries;    // samples kept (ready pods + superfluous samples)
  std::vector<int64_t> missing;  // requests of missing pods (0 when not needed)
  std::vector<int64_t> unready;  // requests of unready pods
  bool ok = true;
  std::string error;
};

Grouped GroupPods(const MetricSpec& spec, const MetricReading& reading, const Observation& obs,
                  const MetricInputs& in, bool need_requests) {
  Grouped g;
  const bool per_resource =
      spec.type == SourceType::kResource || spec.type == SourceType::kContainerResource;
  const bool is_cpu = per_resource && spec.resource == "cpu";
  const std::string& container =
      spec.type == SourceType::kContainerResource ? spec.container : std::string();
  SampleIndex index(reading.pod_samples);
  std::vector<uint8_t> sample_used(reading.pod_samples.size(), 0);
  g.entries.reserve(reading.pod_samples.size());
  for (const Pod& pod : obs.pods) {
    const PodSample* sample = index.Find(pod.name);
    if (sample != nullptr) {
      sample_used[static_cast<size_t>(sample - reading.pod_samples.data())] = 1;
    }
    int64_t request = -1;
    if (need_requests) {
      const ResourceRequest* r = FindRequest(pod, spec.resource, container);
      if (r == nullptr) {
        // Checked after the pod groups like upstream, so keep the first error only.
        if (g.ok) {
          g.ok = false;
          g.error = "missing request for " + spec.resource +
                    (container.empty() ? "" : " in container " + container) + " of pod " + pod.name;
        }
      } else {
        request = r->milli;
      }
    }
    switch (ClassifyPod(pod, sample, is_cpu, reading, *in.settings, in.now)) {
      case PodClass::kIgnored:
        break;
      case PodClass::kUnready:
        g.unready.push_back(request);
        break;
      case PodClass::kMissing:
        g.missing.push_back(request);
        break;
      case PodClass::kReady:
        ++g.ready_count;
        g.entries.push_back({sample->milli, request});
        break;
    }
  }
  // Samples for pods outside the selector stay in the map upstream: they count in plain
  // averages and in the rebalanced sample count, but not in utilisation (no request).
  for (size_t i = 0; i < reading.pod_samples.size(); ++i) {
    if (!sample_used[i]) g.entries.push_back({reading.pod_samples[i].milli, -1});
  }
  return g;
}

struct Utilization {
  bool ok = false;
  double ratio = 0;
  int32_t utilization = 0;
  int64_t raw_average = 0;
};

// upstream GetResourceUtilizationRatio: integer percent first, then the float ratio.
Utilization UtilizationRatio(const std::vector<Entry>& entries, int32_t target) {
  Int128 usage = 0;
  Int128 requests = 0;
  int64_t n = 0;
  for (const Entry& e : entries) {
    if (e.request < 0) continue;
    usage += e.value;
    requests += e.request;
    ++n;
  }
  Utilization u;
  if (requests == 0) return u;
  u.ok = true;
  Int128 pct = usage * 100 / requests;
  u.utilization = pct > INT32_MAX ? INT32_MAX : static_cast<int32_t>(pct);
  Int128 avg = usage / n;
  u.raw_average = avg > INT64_MAX ? INT64_MAX : static_cast<int64_t>(avg);
  u.ratio = static_cast<double>(u.utilization) / static_cast<double>(target);
  return u;
}

// upstream GetMetricUsageRatio: truncating integer average, then the float ratio.
double PlainRatio(const std::vector<Entry>& entries, int64_t target, int64_t* average) {
  Int128 total = 0;
  for (const Entry& e : entries) total += e.value;
  Int128 avg = total / static_cast<Int128>(entries.size());
  *average = avg > INT64_MAX ? INT64_MAX : static_cast<int64_t>(avg);
  return static_cast<double>(*average) / static_cast<double>(target);
}

void PerPodMetric(const MetricSpec& spec, const MetricReading& reading, const Observation& obs,
                  const MetricInputs& in, MetricResult& out) {
  if (!obs.pods_known) {
    return Fail(out, "per-pod metric needs the target's pod list, which this observation lacks");
  }
  if (reading.pod_samples.empty()) {
    return Fail(out, spec.type == SourceType::kPods
                         ? "no metrics returned from custom metrics API"
                         : "no metrics returned from resource metrics API");
  }
  for (const PodSample& s : reading.pod_samples) {
    if (s.milli < 0) return Fail(out, "negative sample for pod " + s.pod);
  }
  if (obs.pods.empty())
    return Fail(out, "no pods returned by selector while calculating replica count");
  const bool utilization = spec.target.type == TargetType::kUtilization;
  Grouped g = GroupPods(spec, reading, obs, in, utilization);
  if (g.entries.empty()) {
    return Fail(out, "did not receive metrics for targeted pods (pods might be unready)");
  }
  if (!g.ok) return Fail(out, g.error);

  const int32_t current = in.current_replicas;
  double ratio = 0;
  int64_t target_plain = spec.target.average_value_milli;
  if (utilization) {
    Utilization u = UtilizationRatio(g.entries, spec.target.average_utilization);
    if (!u.ok) return Fail(out, "no metrics returned matched known pods");
    ratio = u.ratio;
    out.utilization = u.utilization;
    out.value_milli = u.raw_average;
  } else {
    int64_t average = 0;
    ratio = PlainRatio(g.entries, target_plain, &average);
    out.value_milli = average;
  }
  out.status = MetricStatus::kOk;
  out.usage_ratio = ratio;
  out.active = true;  // per-pod activity is judged on the average below for Pods metrics
  if (spec.type == SourceType::kPods)
    out.active = out.value_milli > spec.activation_threshold_milli;

  const bool scale_up_with_unready = !g.unready.empty() && ratio > 1.0;
  if (!scale_up_with_unready && g.missing.empty()) {
    out.ready_pods = g.ready_count;
    out.proposal = in.tolerances.IsWithin(ratio)
                       ? current
                       : CeilToInt32(ratio * static_cast<double>(g.ready_count));
    return;
  }

  // Rebalance: missing pods count as at the target (or 100 % of request) when scaling down and
  // as idle when scaling up; unready pods count as idle when scaling up.
  if (!g.missing.empty()) {
    if (ratio < 1.0) {
      const int64_t fill_pct = std::max<int64_t>(100, spec.target.average_utilization);
      for (int64_t request : g.missing) {
        g.entries.push_back({utilization ? request * fill_pct / 100 : target_plain, request});
      }
    } else if (ratio > 1.0) {
      for (int64_t request : g.missing) g.entries.push_back({0, request});
    }
  }
  if (scale_up_with_unready) {
    for (int64_t request : g.unready) g.entries.push_back({0, request});
  }
  double new_ratio = 0;
  if (utilization) {
    Utilization u = UtilizationRatio(g.entries, spec.target.average_utilization);
    if (!u.ok) return Fail(out, "no metrics returned matched known pods");
    new_ratio = u.ratio;
  } else {
    int64_t ignored = 0;
    new_ratio = PlainRatio(g.entries, target_plain, &ignored);
  }
  out.ready_pods = static_cast<int32_t>(g.entries.size());
  if (in.tolerances.IsWithin(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    out.proposal = current;
    return;
  }
  const int32_t replicas = CeilToInt32(new_ratio * static_cast<double>(g.entries.size()));
  if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current)) {
    out.proposal = current;
    return;
  }
  out.proposal = replicas;
}

// Running and Ready pods, as upstream getReadyPodsCount; without a pod list, the scale's ready
// replica count stands in.
bool ReadyPods(const Observation& obs, int32_t* ready) {
  if (!obs.pods_known) {
    *ready = obs.ready_replicas;
    return true;
  }
  if (obs.pods.empty()) return false;
  int32_t n = 0;
  for (const Pod& p : obs.pods) {
    if (p.phase == PodPhase::kRunning && p.ready == ConditionStatus::kTrue) ++n;
  }
  *ready = n;
  return true;
}

void ValueMetric(const MetricSpec& spec, const MetricReading& reading, const Observation& obs,
                 const MetricInputs& in, MetricResult& out) {
  // Exact milli-units from the source (the float-to-milli step, if any, happened once where the
  // sample was read). Upstream would compute with a negative value; ebb refuses it.
  const int64_t usage = reading.value_milli;
  if (usage < 0) return Fail(out, "invalid value: negative (" + FormatMilli(usage) + ")");
  out.active = usage > spec.activation_threshold_milli;

  if (spec.target.type == TargetType::kAverageValue) {
    // upstream Get{Object,External}PerPodMetricReplicas: against status.replicas.
    const int64_t target = spec.target.average_value_milli;
    const int32_t status = in.status_replicas;
    const double ratio =
        static_cast<double>(usage) / (static_cast<double>(target) * static_cast<double>(status));
    int32_t replicas = status;
    if (!in.tolerances.IsWithin(ratio)) {
      replicas = CeilToInt32(static_cast<double>(usage) / static_cast<double>(target));
    }
    out.status = MetricStatus::kOk;
    out.usage_ratio = ratio;
    out.proposal = replicas;
    out.ready_pods = status;
    // int64(math.Ceil(float64(usage)/float64(status))); at 2^63 and above Go's conversion is
    // implementation-defined, ebb saturates.
    const double average = std::ceil(static_cast<double>(usage) / static_cast<double>(status));
    out.value_milli = status == 0                       ? 0
                      : average < 9223372036854775808.0 ? static_cast<int64_t>(average)
                                                        : INT64_MAX;
    return;
  }
  // Value target: upstream getUsageRatioReplicaCount.
  const double ratio = static_cast<double>(usage) / static_cast<double>(spec.target.value_milli);
  out.usage_ratio = ratio;
  out.value_milli = usage;
  if (in.current_replicas == 0) {
    out.status = MetricStatus::kOk;
    out.proposal = CeilToInt32(ratio);  // scale from zero: no tolerance, no readiness
    return;
  }
  if (in.tolerances.IsWithin(ratio)) {
    out.status = MetricStatus::kOk;
    out.proposal = in.current_replicas;
    return;
  }
  int32_t ready = 0;
  if (!ReadyPods(obs, &ready)) {
    return Fail(out,
                "unable to calculate ready pods: no pods returned by selector while calculating "
                "replica count");
  }
  out.status = MetricStatus::kOk;
  out.ready_pods = ready;
  out.proposal = CeilToInt32(ratio * static_cast<double>(ready));
}

}  // namespace

void CalculateMetric(const MetricSpec& spec, const MetricReading& reading, const Observation& obs,
                     const MetricInputs& in, MetricResult& out) {
  // Field by field so a reused result keeps its string capacity (no allocation per decision).
  out.status = MetricStatus::kOk;
  out.error.clear();
  out.proposal = 0;
  out.active = false;
  out.value_milli = 0;
  out.utilization = -1;
  out.usage_ratio = 0;
  out.ready_pods = 0;
  if (!reading.ok) {
    return Fail(out, reading.error.empty() ? "no reading" : reading.error);
  }
  switch (spec.type) {
    case SourceType::kResource:
    case SourceType::kContainerResource:
    case SourceType::kPods:
      return PerPodMetric(spec, reading, obs, in, out);
    case SourceType::kObject:
    case SourceType::kExternal:
    case SourceType::kScaler:
      return ValueMetric(spec, reading, obs, in, out);
  }
}

std::string DescribeMetric(const MetricSpec& spec) {
  switch (spec.type) {
    case SourceType::kResource:
      if (spec.target.type == TargetType::kUtilization) {
        return spec.resource + " resource utilization (percentage of request)";
      }
      return spec.resource + " resource";
    case SourceType::kContainerResource:
      if (spec.target.type == TargetType::kUtilization) {
        return spec.resource + " container resource utilization (percentage of request)";
      }
      return spec.resource + " container resource";
    case SourceType::kPods:
      return "pods metric " + spec.metric_name;
    case SourceType::kObject:
      if (spec.target.type == TargetType::kAverageValue) {
        return "external metric " + spec.metric_name + "(" + spec.selector + ")";
      }
      return spec.described_kind + " metric " + spec.metric_name;
    case SourceType::kExternal:
      return "external metric " + spec.metric_name + "(" + spec.selector + ")";
    case SourceType::kScaler: {
      // "redis metric backlog": the scaler's type in lower case, as the event reason names it.
      std::string kind = spec.scaler;
      for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return (kind.empty() ? "scaler" : kind) + " metric " + spec.name;
    }
  }
  return spec.name;
}

}  // namespace ebb::decision
