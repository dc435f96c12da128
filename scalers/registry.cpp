#include "scalers/registry.h"

#include <variant>

#include "scalers/config_util.h"
#include "scalers/prometheus_scaler.h"
#include "scalers/rabbitmq_scaler.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/redis_stream_scaler.h"

namespace ebb::scalers {
namespace {

// The two scalers written before the registry: their factories live here rather than in their
// own files. A new scaler brings its Make function with it (rabbitmq_scaler.h).
Result<std::unique_ptr<Scaler>> MakePrometheus(const PrometheusConfig& config, ScalerDeps& deps) {
  if (deps.http == nullptr) return MakeError(ErrorCode::kInternal, "prometheus: no HTTP client");
  PrometheusConfig c = config;
  if (deps.prometheus_evaluate_at_now) c.evaluate_at_now = true;
  c.secrets = deps.secrets;
  return std::unique_ptr<Scaler>(std::make_unique<PrometheusScaler>(std::move(c), *deps.http));
}

// A `redis:` block with `stream` is a stream scaler, otherwise a list scaler (lists or celery).
using RedisConfig = std::variant<RedisListConfig, RedisStreamConfig>;

Result<RedisConfig> ParseRedis(const nlohmann::json& block, std::string_view path) {
  if (block.is_object() && block.contains("stream")) {
    auto c = ParseRedisStreamConfig(block, path);
    if (!c) return c.error();
    return RedisConfig(std::move(c).value());
  }
  auto c = ParseRedisListConfig(block, path);
  if (!c) return c.error();
  return RedisConfig(std::move(c).value());
}

Result<std::unique_ptr<Scaler>> MakeRedis(const RedisConfig& config, ScalerDeps& deps) {
  if (deps.redis == nullptr) return MakeError(ErrorCode::kInternal, "redis: no Redis pool");
  // The endpoint carries the namespace its Secrets are read in (and the pool keys on it).
  if (const auto* stream = std::get_if<RedisStreamConfig>(&config)) {
    RedisStreamConfig c = *stream;
    c.endpoint.secrets = deps.secrets;
    return std::unique_ptr<Scaler>(std::make_unique<RedisStreamScaler>(std::move(c), *deps.redis));
  }
  RedisListConfig c = std::get<RedisListConfig>(config);
  c.endpoint.secrets = deps.secrets;
  return std::unique_ptr<Scaler>(std::make_unique<RedisListScaler>(std::move(c), *deps.redis));
}

// One line per scaler. The CRD (manifests/base/crd.yaml) lists the same types and blocks;
// tests/manifests/scaler_blocks_test.cpp fails when the two differ.
constexpr ScalerType kScalerTypes[] = {
    Register<ParsePrometheusConfig, MakePrometheus>("Prometheus", "prometheus"),
    Register<ParseRedis, MakeRedis>("Redis", "redis"),
    Register<ParseRabbitMQConfig, MakeRabbitMQScaler>("RabbitMQ", "rabbitmq"),
};

void ReadTarget(ConfigReader& r, decision::MetricTarget& out) {
  auto t = r.Object("target");
  if (!t) {
    if (!r.Has("target")) r.Problem("target", "required");
    return;
  }
  t->RejectUnknown({"type", "averageUtilization", "value", "averageValue"});
  auto type = t->String("type", /*required=*/true);
  if (!type) return;
  if (*type == "Value" || *type == "AverageValue") {
    const bool value = *type == "Value";
    const char* key = value ? "value" : "averageValue";
    out.type = value ? decision::TargetType::kValue : decision::TargetType::kAverageValue;
    if (auto v = t->QuantityMilli(key, /*required=*/true)) {
      if (*v <= 0) t->Problem(key, "must be greater than zero");
      (value ? out.value_milli : out.average_value_milli) = *v;
    }
  } else {
    t->Problem("type", "must be one of: Value, AverageValue (got \"" + *type + "\")");
  }
}

}  // namespace

std::span<const ScalerType> ScalerTypes() {
  return kScalerTypes;
}

const ScalerType* FindScalerType(std::string_view type) {
  for (const ScalerType& t : kScalerTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::optional<ParsedSource> ParseSource(const ScalerType& type, const nlohmann::json& block,
                                        std::string_view path, std::vector<std::string>& problems) {
  const std::size_t before = problems.size();
  ConfigReader r(block, std::string(path), &problems);
  ParsedSource out;
  if (block.is_object()) {
    ReadTarget(r, out.target);
    if (auto v = r.QuantityMilli("activationThreshold")) {
      if (*v < 0) r.Problem("activationThreshold", "must not be negative");
      out.activation_threshold_milli = *v;
    }
    auto config = type.parse(block, path);
    if (config) {
      out.config = std::move(config).value();
    } else {
      // One problem per line, as ConfigError joined them.
      const std::string& msg = config.error().message;
      for (std::size_t start = 0; start <= msg.size();) {
        const std::size_t nl = std::min(msg.find('\n', start), msg.size());
        if (nl > start) problems.push_back(msg.substr(start, nl - start));
        start = nl + 1;
      }
    }
  }
  if (problems.size() != before) return std::nullopt;
  return out;
}

Result<std::unique_ptr<Scaler>> MakeScaler(std::string_view type, const nlohmann::json& block,
                                           std::string_view field_path, ScalerDeps& deps) {
  const std::string path(field_path);
  const ScalerType* t = FindScalerType(type);
  if (t == nullptr) {
    std::string known;
    for (const ScalerType& s : kScalerTypes)
      known += (known.empty() ? "" : ", ") + std::string(s.type);
    return MakeError(ErrorCode::kInvalidConfig, path + ": unknown metric source type \"" +
                                                    std::string(type) + "\" (expected one of " +
                                                    known + ")");
  }
  auto config = t->parse(block, field_path);
  if (!config) return config.error();
  auto scaler = (*config)->Make(deps);
  if (!scaler) return MakeError(scaler.error().code, path + ": " + scaler.error().message);
  return scaler;
}

}  // namespace ebb::scalers
