#include "metrics/controller_metrics.h"

#include "metrics/build_info.h"

namespace ebb::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}

// kube-state-metrics' status label values.
std::string StatusLabel(const std::string& status) {
  if (status == "True") return "true";
  if (status == "False") return "false";
  return "unknown";
}

}  // namespace

ControllerMetrics::ControllerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      info_(Gauge(*registry_, "ebb_autoscaler_info",
                  "1 for every Autoscaler, labelled with its scale target (kind, name)")),
      min_(Gauge(*registry_, "ebb_autoscaler_min_replicas", "spec.minReplicas")),
      max_(Gauge(*registry_, "ebb_autoscaler_max_replicas", "spec.maxReplicas")),
      current_(Gauge(*registry_, "ebb_autoscaler_current_replicas",
                     "The target's spec.replicas as last read")),
      desired_(Gauge(*registry_, "ebb_autoscaler_desired_replicas",
                     "Replicas the last decision asked for (in dry run: would have asked for)")),
      active_(Gauge(*registry_, "ebb_autoscaler_active",
                    "1 while a metric is above its activation threshold (or activity is unknown)")),
      paused_(Gauge(*registry_, "ebb_autoscaler_paused",
                    "1 while paused by ebb.dev/paused or ebb.dev/paused-replicas")),
      fallback_(Gauge(*registry_, "ebb_autoscaler_fallback",
                      "1 while fallback replicas are used (a metric failed too often)")),
      dry_run_(Gauge(*registry_, "ebb_autoscaler_dry_run",
                     "1 when decisions are reported and never applied (shadow mode)")),
      condition_(
          Gauge(*registry_, "ebb_autoscaler_condition",
                "1 for the status a condition has (true, false, unknown), 0 for the others")),
      metric_value_(Gauge(*registry_, "ebb_autoscaler_metric_value",
                          "A metric's value as read: the query result, an External metric's "
                          "sum, a per-pod metric summed over the pods counted")),
      metric_per_replica_(
          Gauge(*registry_, "ebb_autoscaler_metric_value_per_replica",
                "A metric's value per replica (what AverageValue targets compare)")),
      metric_utilization_(Gauge(*registry_, "ebb_autoscaler_metric_utilization_percent",
                                "A Utilization metric's value, percent of the pods' requests")),
      metric_target_(Gauge(*registry_, "ebb_autoscaler_metric_target",
                           "A metric's target: percent (Utilization), per replica "
                           "(AverageValue) or a value (Value), by target_type")),
      metric_ratio_(Gauge(*registry_, "ebb_autoscaler_metric_ratio",
                          "A metric's current/target ratio, as compared with the tolerance")),
      scaler_errors_(BuildCounter()
                         .Name("ebb_scaler_errors_total")
                         .Help("Metric reads that failed")
                         .Register(*registry_)),
      scaler_latency_(BuildHistogram()
                          .Name("ebb_scaler_latency_seconds")
                          .Help("Time to read one Autoscaler's metrics, all sources at once; type: "
                                "the source types")
                          .Register(*registry_)),
      reconcile_duration_(BuildHistogram()
                              .Name("ebb_reconcile_duration_seconds")
                              .Help("One reconcile: scale, metrics, decision, patch, status")
                              .Register(*registry_)
                              .Add({}, LatencyBuckets())),
      reconciles_(BuildCounter()
                      .Name("ebb_reconciles_total")
                      .Help("Reconciles by result")
                      .Register(*registry_)),
      drift_(BuildHistogram()
                 .Name("ebb_loop_drift_seconds")
                 .Help("How late a reconcile started after its due time")
                 .Register(*registry_)
                 .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                  0.25, 0.5, 1, 2.5, 5, 10})),
      scale_events_(
          BuildCounter()
              .Name("ebb_scale_events_total")
              .Help("Rescales by Autoscaler, direction and reason; dry_run=\"true\": not applied")
              .Register(*registry_)),
      leader_(BuildGauge()
                  .Name("ebb_leader")
                  .Help("1 when this process holds the leader Lease")
                  .Register(*registry_)
                  .Add({})),
      autoscalers_(BuildGauge()
                       .Name("ebb_autoscalers")
                       .Help("Autoscalers watched")
                       .Register(*registry_)
                       .Add({})),
      api_writes_(BuildCounter()
                      .Name("ebb_api_writes_total")
                      .Help("Writes to the API server by kind (scale, status, event, lease)")
                      .Register(*registry_)),
      kube_requests_(BuildCounter()
                         .Name("ebb_kube_requests_total")
                         .Help("API server requests by RBAC verb, resource and HTTP code "
                               "(\"<error>\": no answer)")
                         .Register(*registry_)),
      kube_request_duration_(BuildHistogram()
                                 .Name("ebb_kube_request_duration_seconds")
                                 .Help("API server request latency by RBAC verb and resource "
                                       "(watches excluded)")
                                 .Register(*registry_)),
      ready_(BuildGauge()
                 .Name("ebb_ready")
                 .Help("1 while /readyz answers ready: Autoscalers listed and watched")
                 .Register(*registry_)
                 .Add({})) {
  const BuildInfo b = GetBuildInfo();
  Gauge(*registry_, "ebb_build_info",
        "1, labelled with the version, the source revision and the compiler ebb was built from")
      .Add({{"version", b.version}, {"revision", b.revision}, {"compiler", b.compiler}})
      .Set(1);
}

std::string ControllerMetrics::Key(const std::string& ns, const std::string& name) {
  return ns + "/" + name;  // '/' cannot occur in either (DNS labels and subdomains)
}

prometheus::Counter& ControllerMetrics::CounterFor(PerAutoscaler& p, CounterFamily& f,
                                                   prometheus::Labels labels) {
  auto key = std::make_pair(&f, std::move(labels));
  auto it = p.counters.find(key);
  if (it == p.counters.end()) it = p.counters.emplace(key, &f.Add(key.second)).first;
  return *it->second;
}

void ControllerMetrics::SetGauges(PerAutoscaler& p, const GaugeValues& values, bool drop_others) {
  if (drop_others) {
    for (auto it = p.gauges.begin(); it != p.gauges.end();) {
      if (values.count(it->first)) {
        ++it;
        continue;
      }
      it->first.first->Remove(it->second);
      it = p.gauges.erase(it);
    }
  }
  for (const auto& [key, value] : values) {
    auto it = p.gauges.find(key);
    if (it == p.gauges.end()) it = p.gauges.emplace(key, &key.first->Add(key.second)).first;
    it->second->Set(value);
  }
}

void ControllerMetrics::Observe(const AutoscalerSnapshot& s) {
  const prometheus::Labels id{{"namespace", s.ns}, {"autoscaler", s.name}};
  auto with = [&id](std::initializer_list<std::pair<const std::string, std::string>> more) {
    prometheus::Labels l = id;
    l.insert(more);
    return l;
  };
  GaugeValues v;
  v[{&info_, with({{"scaletarget_kind", s.target_kind}, {"scaletarget_name", s.target_name}})}] = 1;
  v[{&min_, id}] = s.min_replicas;
  v[{&max_, id}] = s.max_replicas;
  if (s.current_replicas) v[{&current_, id}] = *s.current_replicas;
  if (s.desired_replicas) v[{&desired_, id}] = *s.desired_replicas;
  v[{&active_, id}] = s.active ? 1 : 0;
  v[{&paused_, id}] = s.paused ? 1 : 0;
  v[{&fallback_, id}] = s.fallback ? 1 : 0;
  v[{&dry_run_, id}] = s.dry_run ? 1 : 0;
  for (const auto& c : s.conditions) {
    const std::string has = StatusLabel(c.status);
    for (const char* status : {"true", "false", "unknown"})
      v[{&condition_, with({{"condition", c.type}, {"status", status}})}] = has == status ? 1 : 0;
  }
  std::vector<std::string> failed;
  for (const auto& m : s.metrics) {
    const prometheus::Labels ml = with({{"metric", m.name}, {"type", m.source}});
    v[{&metric_target_,
       with({{"metric", m.name}, {"type", m.source}, {"target_type", m.target_type}})}] = m.target;
    if (m.failed) failed.push_back(m.name);
    if (m.value) v[{&metric_value_, ml}] = *m.value;
    if (m.per_replica) v[{&metric_per_replica_, ml}] = *m.per_replica;
    if (m.utilization) v[{&metric_utilization_, ml}] = *m.utilization;
    if (m.ratio) v[{&metric_ratio_, ml}] = *m.ratio;
  }
  std::lock_guard lock(mu_);
  auto& p = per_[Key(s.ns, s.name)];
  SetGauges(p, v, /*drop_others=*/true);
  for (const auto& name : failed)
    CounterFor(p, scaler_errors_, with({{"metric", name}})).Increment();
}

void ControllerMetrics::RecordScale(const std::string& ns, const std::string& name, int32_t from,
                                    int32_t to, const std::string& reason, bool dry_run) {
  std::lock_guard lock(mu_);
  CounterFor(per_[Key(ns, name)], scale_events_,
             {{"namespace", ns},
              {"autoscaler", name},
              {"direction", to > from ? "up" : "down"},
              {"reason", reason},
              {"dry_run", dry_run ? "true" : "false"}})
      .Increment();
}

void ControllerMetrics::Forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = per_.find(Key(ns, name));
  if (it == per_.end()) return;
  for (auto& [key, g] : it->second.gauges) key.first->Remove(g);
  for (auto& [key, c] : it->second.counters) key.first->Remove(c);
  per_.erase(it);
}

void ControllerMetrics::ScalerLatency(const std::string& type, double seconds) {
  scaler_latency_.Add({{"type", type}}, LatencyBuckets()).Observe(seconds);
}

void ControllerMetrics::Reconciled(const std::string& result, double seconds) {
  reconciles_.Add({{"result", result}}).Increment();
  reconcile_duration_.Observe(seconds);
}

void ControllerMetrics::Reconciled(const std::string& result) {
  reconciles_.Add({{"result", result}}).Increment();
}

void ControllerMetrics::Drift(double seconds) {
  drift_.Observe(seconds);
}

void ControllerMetrics::SetLeader(bool leading) {
  leader_.Set(leading ? 1 : 0);
  if (leading) return;
  // Only the leader reconciles: a standby's per-Autoscaler series would stay at what it last saw
  // and contradict the leader's (two current_replicas for one Autoscaler, alerts on the stale one).
  std::lock_guard lock(mu_);
  for (auto& [key, p] : per_) {
    for (auto& [g, gauge] : p.gauges) g.first->Remove(gauge);
    for (auto& [c, counter] : p.counters) c.first->Remove(counter);
  }
  per_.clear();
}

void ControllerMetrics::SetAutoscalers(std::size_t n) {
  autoscalers_.Set(static_cast<double>(n));
}

void ControllerMetrics::ApiWrite(const std::string& what) {
  api_writes_.Add({{"kind", what}}).Increment();
}

void ControllerMetrics::KubeRequest(const std::string& verb, const std::string& resource,
                                    const std::string& code, double seconds) {
  kube_requests_.Add({{"verb", verb}, {"resource", resource}, {"code", code}}).Increment();
  if (verb != "watch") {
    kube_request_duration_.Add({{"verb", verb}, {"resource", resource}}, LatencyBuckets())
        .Observe(seconds);
  }
}

void ControllerMetrics::SetReady(bool ready) {
  ready_.Set(ready ? 1 : 0);
}

}  // namespace ebb::metrics
