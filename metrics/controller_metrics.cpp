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

}  // namespace

ControllerMetrics::ControllerMetrics()
    : series_(std::make_shared<AutoscalerSeries>()),
      registry_(std::make_shared<prometheus::Registry>()),
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

std::vector<prometheus::MetricFamily> ControllerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  for (const auto& c : collectables())
    for (auto& f : c->Collect()) out.push_back(std::move(f));
  return out;
}

void ControllerMetrics::Observe(const AutoscalerSnapshot& s) {
  series_->Observe(s);
}

void ControllerMetrics::RecordScale(const std::string& ns, const std::string& name, int32_t from,
                                    int32_t to, const std::string& reason, bool dry_run) {
  series_->RecordScale(ns, name, to > from ? "up" : "down", reason, dry_run);
}

void ControllerMetrics::Forget(const std::string& ns, const std::string& name) {
  series_->Forget(ns, name);
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
  series_->Clear();
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
