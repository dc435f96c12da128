// `ebb convert`: turns a HorizontalPodAutoscaler (autoscaling/v2, v2beta2, v2beta1, v1) or a
// KEDA ScaledObject (keda.sh/v1alpha1) into the equivalent Autoscaler (ebb.dev/v1alpha1), and
// says what it could not carry over. Layout: hpa.*, keda.* (ScaledObject), keda_triggers.* (the
// trigger table) with one file per trigger family, keda_auth.* (credentials), yaml_output.*.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/convert/yaml_output.h"  // ToYaml, for the converted documents

namespace ebb::convert {

struct Conversion {
  nlohmann::ordered_json autoscaler;  // apiVersion, kind, metadata, spec (in that order)
  std::vector<std::string> warnings;  // each a full sentence about one thing not carried over
};

// The document's `kind`, or "" when it is absent or not a string.
std::string KindOf(const nlohmann::json& doc);

// True for the kinds Convert accepts.
bool IsConvertible(const nlohmann::json& doc);

// `trigger_auths` are the TriggerAuthentication documents found next to a ScaledObject: their
// Secret keys become the metric's *FromEnv fields (keda_auth.h). Errors
// (kInvalidConfig): not an HPA/ScaledObject, a malformed one, or nothing that ebb can scale on.
Result<Conversion> Convert(const nlohmann::json& doc,
                           const std::vector<nlohmann::json>& trigger_auths = {});

}  // namespace ebb::convert
