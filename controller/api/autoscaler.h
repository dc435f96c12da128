// The Autoscaler resource (ebb.dev/v1alpha1): parsed, defaulted and validated into the decision
// core's Spec plus what the adapters need (the target reference, each metric's raw source block).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/decision/types.h"
#include "scalers/registry.h"

namespace ebb::api {

inline constexpr const char* kApiVersion = "ebb.dev/v1alpha1";
inline constexpr const char* kKind = "Autoscaler";
inline constexpr const char* kPausedAnnotation = "ebb.dev/paused";
inline constexpr const char* kPausedReplicasAnnotation = "ebb.dev/paused-replicas";

struct ScaleTargetRef {
  std::string api_version = "apps/v1";
  std::string kind;
  std::string name;
};

// A metric's source block as written, and for a scaler's block (`redis:`, `rabbitmq:`, ...) its
// typed config, parsed once with the Autoscaler (null for HPA types).
struct MetricSource {
  std::string type;                                     // "Prometheus", "Redis", "Resource", ...
  nlohmann::json block;                                 // the source object as written
  std::string field_path;                               // "spec.metrics[2].redis"
  std::shared_ptr<const scalers::ScalerConfig> config;  // binds the scaler (BindScalers)
};

struct Autoscaler {
  std::string name;
  std::string namespace_name = "default";
  ScaleTargetRef target;
  decision::Spec spec;
  std::vector<MetricSource> sources;  // per spec metric, in spec order
  std::optional<Timestamp> created_at;
};

// One problem found in a document, with its field path.
struct Problem {
  std::string path;     // "spec.behavior.scaleDown.policies[1].periodSeconds"
  std::string message;  // "must be between 1 and 1800"
};

// Parses, defaults and validates one Autoscaler document. On failure the error lists every
// problem ("<object>: <path>: <message>", one per line) with code kInvalidConfig.
Result<Autoscaler> ParseAutoscaler(const nlohmann::json& doc);

// Parses every `kind: Autoscaler` document of a file; other kinds are returned in `others`.
Result<std::vector<Autoscaler>> LoadAutoscalers(const std::string& path,
                                                std::vector<nlohmann::json>* others = nullptr);

}  // namespace ebb::api
