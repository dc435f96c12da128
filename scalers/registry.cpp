#include "scalers/registry.h"

#include "scalers/prometheus_scaler.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/redis_stream_scaler.h"

namespace ebb::scalers {

Result<std::unique_ptr<Scaler>> MakeScaler(std::string_view type, const nlohmann::json& block,
                                           std::string_view field_path, ScalerDeps& deps) {
  const std::string path(field_path);
  if (type == "Prometheus") {
    auto cfg = ParsePrometheusConfig(block, path);
    if (!cfg) return cfg.error();
    if (deps.http == nullptr) return MakeError(ErrorCode::kInternal, path + ": no HTTP client");
    if (deps.prometheus_evaluate_at_now) cfg->evaluate_at_now = true;
    return std::unique_ptr<Scaler>(
        std::make_unique<PrometheusScaler>(std::move(cfg).value(), *deps.http));
  }
  if (type == "Redis") {
    if (block.is_object() && block.contains("stream")) {
      auto cfg = ParseRedisStreamConfig(block, path);
      if (!cfg) return cfg.error();
      if (deps.redis == nullptr) return MakeError(ErrorCode::kInternal, path + ": no Redis pool");
      return std::unique_ptr<Scaler>(
          std::make_unique<RedisStreamScaler>(std::move(cfg).value(), *deps.redis));
    }
    auto cfg = ParseRedisListConfig(block, path);
    if (!cfg) return cfg.error();
    if (deps.redis == nullptr) return MakeError(ErrorCode::kInternal, path + ": no Redis pool");
    return std::unique_ptr<Scaler>(
        std::make_unique<RedisListScaler>(std::move(cfg).value(), *deps.redis));
  }
  return MakeError(ErrorCode::kInvalidConfig, path + ": unknown metric source type \"" +
                                                  std::string(type) +
                                                  "\" (expected Prometheus or Redis)");
}

}  // namespace ebb::scalers
