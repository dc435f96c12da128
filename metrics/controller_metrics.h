// The controller's Prometheus metrics: a prometheus-cpp registry for the process-wide series, and
// the per-Autoscaler ones ({namespace, autoscaler}, removed when the Autoscaler goes away: Forget)
// kept as compact snapshots and rendered at scrape time (AutoscalerSeries).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "metrics/autoscaler_series.h"
#include "metrics/autoscaler_snapshot.h"

namespace ebb::metrics {

class ControllerMetrics {
 public:
  ControllerMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // What /metrics serves, in order: the per-Autoscaler series, then the registry's.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables() const {
    return {series_, registry_};
  }
  // Every family of both, as one scrape sees them (for tests and tools).
  std::vector<prometheus::MetricFamily> Collect() const;

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
  using CounterFamily = prometheus::Family<prometheus::Counter>;

  std::shared_ptr<AutoscalerSeries> series_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Histogram>& scaler_latency_;
  prometheus::Histogram& reconcile_duration_;  // no labels: resolved once
  CounterFamily& reconciles_;
  prometheus::Histogram& drift_;
  prometheus::Gauge& leader_;
  prometheus::Gauge& autoscalers_;
  CounterFamily& api_writes_;
  CounterFamily& kube_requests_;
  prometheus::Family<prometheus::Histogram>& kube_request_duration_;
  prometheus::Gauge& ready_;
};

}  // namespace ebb::metrics
