// Binds an Autoscaler's Prometheus/Redis metrics to scalers and reads every autoscaler's
// scalers of one poll at once (pipelined Redis, bounded-concurrency HTTP), then hands each
// Reconciler its readings through the MetricReader port.
#pragma once

#include <memory>
#include <vector>

#include "controller/runtime/reconciler.h"
#include "controller/spec/autoscaler.h"
#include "scalers/registry.h"

namespace ebb::runtime {

// One autoscaler's scalers, by metric index (nullptr: a metric no scaler serves, e.g. Resource,
// which needs Kubernetes).
struct ScalerBinding {
  std::vector<std::unique_ptr<scalers::Scaler>> by_metric;
};

// Builds the scalers of one Autoscaler; config errors list every problem (kInvalidConfig).
Result<ScalerBinding> BindScalers(const spec::Autoscaler& autoscaler, scalers::ScalerDeps& deps);

// Readings of one poll, kept until each reconciler takes its own.
class PolledReader final : public MetricReader {
 public:
  explicit PolledReader(std::vector<decision::MetricReading> readings)
      : readings_(std::move(readings)) {}
  void Read(Timestamp now, const ScaleInfo& scale, decision::Observation& obs) override;
  // The raw values, for reports.
  const std::vector<decision::MetricReading>& readings() const { return readings_; }

 private:
  std::vector<decision::MetricReading> readings_;
};

// Reads every bound scaler of every autoscaler in one batch; returns readings per autoscaler,
// per metric. Metrics without a scaler get an error reading saying what they need.
std::vector<std::vector<decision::MetricReading>> PollAll(
    const std::vector<const spec::Autoscaler*>& autoscalers,
    const std::vector<ScalerBinding*>& bindings, const scalers::ReadContext& ctx);

}  // namespace ebb::runtime
