// The one place a reconcile's result is reported: Prometheus series, log lines and the Events it
// asks for. The reconcile itself only returns a ReconcileResult.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "controller/live/kube_access.h"
#include "controller/live/reconcile_result.h"
#include "metrics/controller_metrics.h"

namespace ebb::live {

struct ControllerStats {
  std::atomic<uint64_t> reconciles{0};
  std::atomic<uint64_t> scale_patches{0};
  std::atomic<uint64_t> status_writes{0};
  std::atomic<uint64_t> events{0};
};

class ReconcileObserver {
 public:
  // `kube` records the Events; `log` may be null.
  ReconcileObserver(metrics::ControllerMetrics& metrics, std::shared_ptr<spdlog::logger> log,
                    KubeAccess& kube);

  void Report(const ReconcileResult& r, Timestamp now);
  // One batched poll of the Autoscalers whose sources are of `types` ("Prometheus+Redis").
  void Polled(const std::string& types, double seconds);
  void Leading(bool leading);
  void Autoscalers(std::size_t count);
  void Deleted(const std::string& key);
  // Its shard went to another replica, which reports it from now on.
  void Disowned(const std::string& key);
  // A watch event that could not be applied (only an object shaped against the schema).
  void WatchEventFailed(bool hpa, const std::string& key, const std::string& what);

  const ControllerStats& stats() const { return stats_; }
  // Whether the debug line per decision is logged (so its text is worth building).
  bool LogsDecisions() const { return log_ && log_->should_log(spdlog::level::debug); }

 private:
  void Log(const ReconcileResult& r);
  metrics::ControllerMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  KubeAccess& kube_;
  ControllerStats stats_;
};

}  // namespace ebb::live
