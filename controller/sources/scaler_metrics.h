// The adapter between the scalers and the reconciler: binds an Autoscaler's Prometheus/Redis
// metrics to scalers and reads every autoscaler's scalers of one poll at once (pipelined Redis,
// bounded-concurrency HTTP); each Reconciler is then handed its readings.
#pragma once

#include <memory>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/decision/types.h"
#include "scalers/registry.h"

namespace ebb::sources {

// One autoscaler's scalers, by metric index (nullptr: a metric no scaler serves, e.g. Resource,
// which needs Kubernetes).
struct ScalerBinding {
  std::vector<std::unique_ptr<scalers::Scaler>> by_metric;
};

// Builds the scalers of one Autoscaler; config errors list every problem (kInvalidConfig).
Result<ScalerBinding> BindScalers(const api::Autoscaler& autoscaler, scalers::ScalerDeps& deps);

// Reads every bound scaler of every autoscaler in one batch; returns readings per autoscaler,
// per metric. Metrics without a scaler get an error reading saying what they need.
std::vector<std::vector<decision::MetricReading>> PollAll(
    const std::vector<const api::Autoscaler*>& autoscalers,
    const std::vector<ScalerBinding*>& bindings, const scalers::ReadContext& ctx);

}  // namespace ebb::sources
