// Builds an AutoscalerSnapshot from the decision core's values, so the controller's observer
// fills it in one place and the series mean the same thing whoever reports them.
#pragma once

#include <string>
#include <vector>

#include "controller/decision/explain.h"
#include "controller/decision/types.h"
#include "metrics/autoscaler_snapshot.h"

namespace ebb::metrics {

// Identity, bounds and every metric's target; no replica counts or values (for a reconcile that
// stopped before deciding: an invalid spec, a conflict, a scale that could not be read).
AutoscalerSnapshot SnapshotOf(const std::string& ns, const std::string& name,
                              const decision::Spec& spec);

// The decision's replica counts, activity and metric values. `obs` is the observation the
// decision was made on (its readings hold the raw values the decision averaged).
void AddDecision(AutoscalerSnapshot& s, const decision::Spec& spec,
                 const decision::Observation& obs, const decision::Decision& d);

// The conditions written to status (replaces the snapshot's).
void SetConditions(AutoscalerSnapshot& s, const std::vector<decision::Condition>& conditions);

}  // namespace ebb::metrics
