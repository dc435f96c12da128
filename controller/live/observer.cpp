#include "controller/live/observer.h"

#include <utility>

#include "controller/base/text.h"
#include "metrics/logging.h"

namespace ebb::live {

const char* ToString(ReconcileResult::Kind kind) {
  switch (kind) {
    case ReconcileResult::Kind::kSkipped:
      return "skipped";
    case ReconcileResult::Kind::kOk:
      return "ok";
    case ReconcileResult::Kind::kError:
      return "error";
    case ReconcileResult::Kind::kInvalid:
      return "invalid";
    case ReconcileResult::Kind::kConflict:
      return "conflict";
  }
  return "error";
}

ReconcileObserver::ReconcileObserver(metrics::ControllerMetrics& metrics,
                                     std::shared_ptr<spdlog::logger> log, KubeAccess& kube)
    : metrics_(metrics), log_(std::move(log)), kube_(kube) {}

void ReconcileObserver::Report(const ReconcileResult& r, Timestamp now) {
  metrics_.Drift(r.drift_s);
  if (r.kind == ReconcileResult::Kind::kSkipped) return;
  // Every line about this Autoscaler carries its namespace and name as fields.
  const metrics::LogFields fields({{"namespace", r.ns}, {"autoscaler", r.name}});
  for (const EventNote& e : r.events) {
    auto recorded = kube_.RecordEvent(r.object, e.type, e.reason, e.message, now);
    stats_.events.fetch_add(1);
    metrics_.ApiWrite("event");
    if (!recorded && log_) {
      log_->warn("autoscaler {}: cannot record Event {}: {}", r.key, e.reason,
                 SafeText(recorded.error().message));
    }
  }
  if (r.status_written) {
    stats_.status_writes.fetch_add(1);
    metrics_.ApiWrite("status");
  }
  if (r.scale_read || r.error) stats_.reconciles.fetch_add(1);
  // Once per reconcile: every per-Autoscaler gauge, and one failed read per failing metric.
  if (r.snapshot) metrics_.Observe(*r.snapshot);
  if (r.patched) {
    stats_.scale_patches.fetch_add(1);
    metrics_.ApiWrite("scale");
  }
  if (r.patched || r.would_patch)
    metrics_.RecordScale(r.ns, r.name, r.current, r.desired, r.reason, r.would_patch);
  Log(r);
  if (r.seconds)
    metrics_.Reconciled(ToString(r.kind), *r.seconds);
  else
    metrics_.Reconciled(ToString(r.kind));
}

void ReconcileObserver::Log(const ReconcileResult& r) {
  if (!log_) return;
  for (const auto& n : r.notes) {
    if (n.warn)
      log_->warn("autoscaler {}: {}", r.key, n.text);
    else
      log_->info("autoscaler {}: {}", r.key, n.text);
  }
  // Failure and recovery of each metric source are logged once, at the transition.
  for (const auto& t : r.transitions) {
    const metrics::LogFields metric({{"metric", t.name}});
    if (t.failed) {
      log_->warn("autoscaler {}: spec.metrics[{}] {}: read failed: {}", r.key, t.index, t.name,
                 SafeText(t.error, 1024));
    } else {
      log_->info("autoscaler {}: spec.metrics[{}] {}: read again", r.key, t.index, t.name);
    }
  }
  if (r.scale_read) {
    const metrics::LogFields decided(
        {{"from", r.current}, {"to", r.desired}, {"reason", r.reason}, {"dry_run", r.dry_run}});
    if (r.patched) {
      log_->info("autoscaler {}: rescaled {} from {} to {}: {}", r.key, r.target, r.current,
                 r.desired, r.summary);
    } else if (r.would_patch) {
      log_->info("autoscaler {}: dry run: would rescale {} from {} to {}: {}", r.key, r.target,
                 r.current, r.desired, r.summary);
    } else if (LogsDecisions()) {
      log_->debug("autoscaler {}: decided {}", r.key, r.summary);
    }
  }
  if (r.contained && r.error) {
    log_->error("autoscaler {}: reconcile failed: {}", r.key, SafeText(r.error->message, 512));
  } else if (r.error) {
    log_->warn("autoscaler {}: {}", r.key, SafeText(r.error->message, 1024));
  }
  if (r.status_error && r.status_error->code != ErrorCode::kNotFound)
    log_->warn("autoscaler {}: status write failed: {}", r.key, SafeText(r.status_error->message));
}

void ReconcileObserver::Polled(const std::string& types, double seconds) {
  metrics_.ScalerLatency(types, seconds);
}

void ReconcileObserver::Leading(bool leading) {
  metrics_.SetLeader(leading);
}

void ReconcileObserver::Autoscalers(std::size_t count) {
  metrics_.SetAutoscalers(count);
}

void ReconcileObserver::Deleted(const std::string& key) {
  const auto slash = key.find('/');
  metrics_.Forget(key.substr(0, slash), key.substr(slash + 1));
  if (log_) log_->info("autoscaler {} deleted; its target is left as it is", key);
}

void ReconcileObserver::Disowned(const std::string& key) {
  const auto slash = key.find('/');
  metrics_.Forget(key.substr(0, slash), key.substr(slash + 1));
}

void ReconcileObserver::WatchEventFailed(bool hpa, const std::string& key,
                                         const std::string& what) {
  metrics_.Reconciled("error");
  if (log_) {
    log_->error("{} {}: watch event not applied: {}",
                hpa ? "HorizontalPodAutoscaler" : "autoscaler", SafeText(key), SafeText(what));
  }
}

}  // namespace ebb::live
