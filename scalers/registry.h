// The scaler types: the one list of them (registry.cpp), how an Autoscaler metric's source block
// (`prometheus:`, `redis:`, `rabbitmq:`, ...) becomes a typed config, parsed once when the
// Autoscaler is read, and how that config builds its scaler when the Autoscaler is bound.
// Adding a scaler: docs/adding-a-scaler.md.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "controller/base/result.h"
#include "controller/decision/types.h"
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
  // Secret references (`...SecretKeyRef`, `authenticationRef`) are read here, in the bound
  // Autoscaler's namespace (sources::BindScalers sets `secrets.ns`); no reader: no cluster.
  SecretScope secrets{};
};

// A source block's typed config, parsed and validated without I/O; builds its scaler on binding.
class ScalerConfig {
 public:
  virtual ~ScalerConfig() = default;
  virtual Result<std::unique_ptr<Scaler>> Make(ScalerDeps& deps) const = 0;
};

// One registered scaler type.
struct ScalerType {
  std::string_view type;   // the metric's `type`: "RabbitMQ"
  std::string_view block;  // the key of its source block: "rabbitmq"
  // Parses the block's own fields (not `target`/`activationThreshold`, read by ParseSource).
  // Errors: kInvalidConfig, every problem "<path>.<field>: <message>", one per line.
  Result<std::unique_ptr<ScalerConfig>> (*parse)(const nlohmann::json& block,
                                                 std::string_view path);
};

// Every scaler type, in registry order.
std::span<const ScalerType> ScalerTypes();
// nullptr when `type` is no scaler's (e.g. "Resource").
const ScalerType* FindScalerType(std::string_view type);

// What one source block yields, read once by one reader (ConfigReader).
struct ParsedSource {
  decision::MetricTarget target;
  int64_t activation_threshold_milli = 0;
  std::shared_ptr<const ScalerConfig> config;
};

// Reads a source block whole: `target` (Value or AverageValue), `activationThreshold` and the
// scaler's own fields. nullopt when anything is wrong; every problem is appended to `problems`
// as "<path>.<field>: <message>".
std::optional<ParsedSource> ParseSource(const ScalerType& type, const nlohmann::json& block,
                                        std::string_view path, std::vector<std::string>& problems);

// Parses a block of scaler type `type` and builds its scaler, for tools and tests that start from
// a bare block (`target` may be left out). Errors: kInvalidConfig listing every problem.
Result<std::unique_ptr<Scaler>> MakeScaler(std::string_view type, const nlohmann::json& block,
                                           std::string_view field_path, ScalerDeps& deps);

// The registry's glue for one scaler: a typed config, its parser and its factory.
//   Result<Config> ParseFn(const nlohmann::json& block, std::string_view path);
//   Result<std::unique_ptr<Scaler>> MakeFn(const Config& config, ScalerDeps& deps);
template <auto ParseFn, auto MakeFn>
constexpr ScalerType Register(std::string_view type, std::string_view block) {
  using Parsed = decltype(ParseFn(std::declval<const nlohmann::json&>(), std::string_view()));
  using Config = std::remove_cvref_t<decltype(std::declval<Parsed&>().value())>;
  struct Typed final : ScalerConfig {
    explicit Typed(Config c) : config(std::move(c)) {}
    Result<std::unique_ptr<Scaler>> Make(ScalerDeps& deps) const override {
      return MakeFn(config, deps);
    }
    Config config;
  };
  return {
      type, block,
      [](const nlohmann::json& b, std::string_view path) -> Result<std::unique_ptr<ScalerConfig>> {
        auto parsed = ParseFn(b, path);
        if (!parsed) return parsed.error();
        return std::unique_ptr<ScalerConfig>(std::make_unique<Typed>(std::move(parsed).value()));
      }};
}

}  // namespace ebb::scalers
