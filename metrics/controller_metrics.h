// The controller's Prometheus metrics (prometheus-cpp registry). Per-Autoscaler series are
// labelled {namespace, autoscaler} and removed when the Autoscaler goes away (Forget).
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
#include <utility>

#include "metrics/autoscaler_snapshot.h"

namespace ebb::metrics {

class ControllerMetrics {
 public:
  ControllerMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Once per reconcile of an Autoscaler: its gauges become what the snapshot says (series the
  // snapshot no longer has, e.g. a metric removed from the spec or a condition gone, are
  // dropped) and every metric that is not ok counts one failed read.
  void Observe(const AutoscalerSnapshot& s);
  // A rescale (dry_run: one ebb would have made; nothing was patched).
  void RecordScale(const std::string& ns, const std::string& name, int32_t from, int32_t to,
                   const std::string& reason, bool dry_run);
  // The Autoscaler is gone: every series labelled with it is removed.
  void Forget(const std::string& ns, const std::string& name);

  void ScalerLatency(const std::string& type, double seconds);
  // result: ok, error, invalid, conflict
  void Reconciled(const std::string& result, double seconds);
  void Reconciled(const std::string& result);  // counted, no duration (a reconcile cut short)
  void Drift(double seconds);
  // Losing the lead drops every per-Autoscaler series: the new leader reports them.
  void SetLeader(bool leading);
  void SetAutoscalers(std::size_t n);
  void ApiWrite(const std::string& what);  // scale, status, event, lease
  // One API server request: verb and resource in RBAC's words ("list", "autoscalers.ebb.dev"),
  // code the HTTP status or "<error>" when there was no answer. A watch's latency is the time to
  // open it, and is left out of the histogram (it would only measure the stream's lifetime).
  void KubeRequest(const std::string& verb, const std::string& resource, const std::string& code,
                   double seconds);
  void SetReady(bool ready);

 private:
  using GaugeFamily = prometheus::Family<prometheus::Gauge>;
  using CounterFamily = prometheus::Family<prometheus::Counter>;
  // Every series one Autoscaler has, so that Observe can drop the ones it no longer reports and
  // Forget can drop them all.
  struct PerAutoscaler {
    std::map<std::pair<GaugeFamily*, prometheus::Labels>, prometheus::Gauge*> gauges;
    std::map<std::pair<CounterFamily*, prometheus::Labels>, prometheus::Counter*> counters;
  };
  using GaugeValues = std::map<std::pair<GaugeFamily*, prometheus::Labels>, double>;
  static std::string Key(const std::string& ns, const std::string& name);
  prometheus::Counter& CounterFor(PerAutoscaler& p, CounterFamily& f, prometheus::Labels labels);
  void SetGauges(PerAutoscaler& p, const GaugeValues& values, bool drop_others);

  std::shared_ptr<prometheus::Registry> registry_;
  GaugeFamily& info_;
  GaugeFamily& min_;
  GaugeFamily& max_;
  GaugeFamily& current_;
  GaugeFamily& desired_;
  GaugeFamily& active_;
  GaugeFamily& paused_;
  GaugeFamily& fallback_;
  GaugeFamily& dry_run_;
  GaugeFamily& condition_;
  GaugeFamily& metric_value_;
  GaugeFamily& metric_per_replica_;
  GaugeFamily& metric_utilization_;
  GaugeFamily& metric_target_;
  GaugeFamily& metric_ratio_;
  CounterFamily& scaler_errors_;
  prometheus::Family<prometheus::Histogram>& scaler_latency_;
  prometheus::Histogram& reconcile_duration_;  // no labels: resolved once
  CounterFamily& reconciles_;
  prometheus::Histogram& drift_;
  CounterFamily& scale_events_;
  prometheus::Gauge& leader_;
  prometheus::Gauge& autoscalers_;
  CounterFamily& api_writes_;
  CounterFamily& kube_requests_;
  prometheus::Family<prometheus::Histogram>& kube_request_duration_;
  prometheus::Gauge& ready_;
  std::mutex mu_;
  std::map<std::string, PerAutoscaler> per_;
};

}  // namespace ebb::metrics
