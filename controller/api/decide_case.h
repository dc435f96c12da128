// The `ebb decide` document: one decision's inputs and outputs as JSON (schema in
// docs/decide.md). Tests and users drive the core through it.
#pragma once

#include <nlohmann/json.hpp>

#include "controller/api/autoscaler.h"
#include "controller/base/result.h"
#include "controller/decision/types.h"

namespace ebb::api {

struct DecideCase {
  Autoscaler autoscaler;
  decision::Settings settings;
  decision::Observation observation;
  decision::DecisionState state;
  Timestamp now{};
};

Result<DecideCase> ParseDecideCase(const nlohmann::json& doc);

// {desiredReplicas, currentReplicas, scale, reason, rescaleReason, summary, conditions,
//  explanation, state}
nlohmann::json DecisionToJson(const Autoscaler& a, const decision::Decision& d,
                              const decision::DecisionState& state);

// Per-metric explanation entries (also used by `ebb run --once` and status.currentMetrics).
nlohmann::json MetricsToJson(const decision::Spec& spec, const decision::Decision& d);

}  // namespace ebb::api
