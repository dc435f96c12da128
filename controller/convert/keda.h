// KEDA ScaledObject (keda.sh/v1alpha1) -> Autoscaler: the spec's fields, pause annotations,
// fallback and HPA behavior, each trigger through keda_triggers.h, credentials through
// keda_auth.h. KEDA's defaults that differ from ebb's are written out.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "controller/base/result.h"
#include "controller/convert/convert.h"

namespace ebb::convert {

// `auths`: the TriggerAuthentication / ClusterTriggerAuthentication documents of the input.
Result<Conversion> ConvertScaledObject(const nlohmann::json& doc,
                                       const std::vector<nlohmann::json>& auths);

}  // namespace ebb::convert
