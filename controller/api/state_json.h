// The decision state as JSON: what the controller persists in status so stabilization windows,
// rate budgets, fallback counters and cooldowns survive restarts and leader changes.
#pragma once

#include <nlohmann/json.hpp>

#include "controller/base/result.h"
#include "controller/decision/types.h"

namespace ebb::api {

nlohmann::json StateToJson(const decision::DecisionState& state);
// `recommendations` absent or null means "no log yet" (the core seeds it), [] means an empty log.
Result<decision::DecisionState> StateFromJson(const nlohmann::json& j, const std::string& path);

}  // namespace ebb::api
