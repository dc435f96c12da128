// HorizontalPodAutoscaler (autoscaling/v2, v2beta2, v2beta1, v1) -> Autoscaler. The v2 metrics
// are the Autoscaler's own; v2beta1 fields are renamed; v1's target CPU becomes a Resource metric.
#pragma once

#include <nlohmann/json.hpp>

#include "controller/base/result.h"
#include "controller/convert/convert.h"

namespace ebb::convert {

Result<Conversion> ConvertHpa(const nlohmann::json& doc);

}  // namespace ebb::convert
