// Builds a Scaler from an Autoscaler metric's source block (`prometheus:` or `redis:`).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "controller/base/result.h"
#include "controller/net/http_client.h"
#include "scalers/redis_pool.h"
#include "scalers/scaler.h"

namespace ebb::scalers {

// Shared by every scaler of the process; must outlive them.
struct ScalerDeps {
  net::HttpClient* http = nullptr;
  RedisPool* redis = nullptr;
  // Simulation/backtests: every Prometheus query is evaluated at ReadContext::now (time=).
  bool prometheus_evaluate_at_now = false;
};

// `type` is "Prometheus" or "Redis"; `field_path` (e.g. "spec.metrics[2].redis") prefixes every
// config problem. The block's `target` and `activationThreshold` belong to the decision core and
// are ignored here. A `redis:` block with `stream` is a stream scaler, otherwise a list scaler
// (`lists` or `celery`). Errors: kInvalidConfig listing every problem, one per line.
Result<std::unique_ptr<Scaler>> MakeScaler(std::string_view type, const nlohmann::json& block,
                                           std::string_view field_path, ScalerDeps& deps);

}  // namespace ebb::scalers
