#include "metrics/controller_metrics.h"

namespace ebb::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

ControllerMetrics::ControllerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      current_(BuildGauge()
                   .Name("ebb_autoscaler_current_replicas")
                   .Help("The target's spec.replicas as last read")
                   .Register(*registry_)),
      desired_(BuildGauge()
                   .Name("ebb_autoscaler_desired_replicas")
                   .Help("Replicas the last decision asked for")
                   .Register(*registry_)),
      metric_value_(BuildGauge()
                        .Name("ebb_autoscaler_metric_value")
                        .Help("A metric's current value (utilization percent for Utilization)")
                        .Register(*registry_)),
      metric_target_(BuildGauge()
                         .Name("ebb_autoscaler_metric_target")
                         .Help("A metric's target, in the same unit as ebb_autoscaler_metric_value")
                         .Register(*registry_)),
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
      scale_events_(BuildCounter()
                        .Name("ebb_scale_events_total")
                        .Help("Rescales by direction and reason; dry_run=\"true\": decided in "
                              "shadow mode, not applied")
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
                 .Add({})) {}

ControllerMetrics::PerAutoscaler& ControllerMetrics::Get(const std::string& ns,
                                                         const std::string& name) {
  auto& p = per_[ns + "/" + name];
  if (!p.current) {
    p.current = &current_.Add({{"namespace", ns}, {"name", name}});
    p.desired = &desired_.Add({{"namespace", ns}, {"name", name}});
  }
  return p;
}

void ControllerMetrics::SetReplicas(const std::string& ns, const std::string& name, int32_t current,
                                    int32_t desired) {
  std::lock_guard lock(mu_);
  auto& p = Get(ns, name);
  p.current->Set(current);
  p.desired->Set(desired);
}

void ControllerMetrics::SetMetric(const std::string& ns, const std::string& name,
                                  const std::string& metric, double value, double target) {
  std::lock_guard lock(mu_);
  auto& p = Get(ns, name);
  auto it = p.metrics.find(metric);
  if (it == p.metrics.end()) {
    const std::map<std::string, std::string> labels{
        {"namespace", ns}, {"name", name}, {"metric", metric}};
    it = p.metrics
             .emplace(metric,
                      std::make_pair(&metric_value_.Add(labels), &metric_target_.Add(labels)))
             .first;
  }
  it->second.first->Set(value);
  it->second.second->Set(target);
}

void ControllerMetrics::ScalerError(const std::string& ns, const std::string& name,
                                    const std::string& metric) {
  std::lock_guard lock(mu_);
  auto& p = Get(ns, name);
  auto it = p.errors.find(metric);
  if (it == p.errors.end())
    it = p.errors
             .emplace(metric,
                      &scaler_errors_.Add({{"namespace", ns}, {"name", name}, {"metric", metric}}))
             .first;
  it->second->Increment();
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

void ControllerMetrics::ScaleEvent(const std::string& direction, const std::string& reason,
                                   bool dry_run) {
  scale_events_
      .Add({{"direction", direction}, {"reason", reason}, {"dry_run", dry_run ? "true" : "false"}})
      .Increment();
}

void ControllerMetrics::SetLeader(bool leading) {
  leader_.Set(leading ? 1 : 0);
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

void ControllerMetrics::Forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = per_.find(ns + "/" + name);
  if (it == per_.end()) return;
  auto& p = it->second;
  current_.Remove(p.current);
  desired_.Remove(p.desired);
  for (auto& [m, g] : p.metrics) {
    metric_value_.Remove(g.first);
    metric_target_.Remove(g.second);
  }
  for (auto& [m, c] : p.errors) scaler_errors_.Remove(c);
  per_.erase(it);
}

}  // namespace ebb::metrics
