// The controller's Prometheus metrics (prometheus-cpp registry). Per-Autoscaler series are
// labelled {namespace, name} and removed when the Autoscaler goes away.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ebb::metrics {

class ControllerMetrics {
 public:
  ControllerMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void SetReplicas(const std::string& ns, const std::string& name, int32_t current,
                   int32_t desired);
  void SetMetric(const std::string& ns, const std::string& name, const std::string& metric,
                 double value, double target);
  void ScalerError(const std::string& ns, const std::string& name, const std::string& metric);
  void ScalerLatency(const std::string& type, double seconds);
  // result: ok, error, invalid, conflict
  void Reconciled(const std::string& result, double seconds);
  void Reconciled(const std::string& result);  // counted, no duration (a reconcile cut short)
  void Drift(double seconds);
  // dry_run: a rescale shadow mode decided and left unapplied (label dry_run="true").
  void ScaleEvent(const std::string& direction, const std::string& reason, bool dry_run = false);
  void SetLeader(bool leading);
  void SetAutoscalers(std::size_t n);
  void ApiWrite(const std::string& what);  // scale, status, event, lease
  void Forget(const std::string& ns, const std::string& name);
  // One API server request: verb and resource in RBAC's words ("list", "autoscalers.ebb.dev"),
  // code the HTTP status or "<error>" when there was no answer. A watch's latency is the time to
  // open it, and is left out of the histogram (it would only measure the stream's lifetime).
  void KubeRequest(const std::string& verb, const std::string& resource, const std::string& code,
                   double seconds);
  void SetReady(bool ready);

 private:
  struct PerAutoscaler {
    prometheus::Gauge* current = nullptr;
    prometheus::Gauge* desired = nullptr;
    std::map<std::string, std::pair<prometheus::Gauge*, prometheus::Gauge*>> metrics;
    std::map<std::string, prometheus::Counter*> errors;
  };
  PerAutoscaler& Get(const std::string& ns, const std::string& name);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& current_;
  prometheus::Family<prometheus::Gauge>& desired_;
  prometheus::Family<prometheus::Gauge>& metric_value_;
  prometheus::Family<prometheus::Gauge>& metric_target_;
  prometheus::Family<prometheus::Counter>& scaler_errors_;
  prometheus::Family<prometheus::Histogram>& scaler_latency_;
  prometheus::Histogram& reconcile_duration_;  // no labels: resolved once
  prometheus::Family<prometheus::Counter>& reconciles_;
  prometheus::Histogram& drift_;
  prometheus::Family<prometheus::Counter>& scale_events_;
  prometheus::Gauge& leader_;
  prometheus::Gauge& autoscalers_;
  prometheus::Family<prometheus::Counter>& api_writes_;
  prometheus::Family<prometheus::Counter>& kube_requests_;
  prometheus::Family<prometheus::Histogram>& kube_request_duration_;
  prometheus::Gauge& ready_;
  std::mutex mu_;
  std::map<std::string, PerAutoscaler> per_;
};

}  // namespace ebb::metrics
