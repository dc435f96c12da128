// The decision: a pure function of (spec, settings, observation, state, now). The same code runs
// in the controller, in `ebb decide`, in `ebb run --once` and in `ebb simulate`.
#pragma once

#include "controller/decision/types.h"

namespace ebb::decision {

// Decides the desired replica count. `state` is updated in place (recommendation log, failure
// counters, last active time); `out` is overwritten and its vectors reused, so a steady loop
// allocates nothing. Scale events are NOT recorded here: call RecordScale after the patch
// succeeded, as upstream does.
void Decide(const Spec& spec, const Settings& settings, const Observation& obs,
            DecisionState& state, Timestamp now, Decision& out);

// Convenience for tests and tools.
Decision Decide(const Spec& spec, const Settings& settings, const Observation& obs,
                DecisionState& state, Timestamp now);

// Records a successful rescale from `from` to `to` (upstream storeScaleEvent): a scale event in
// the direction's log when spec.behavior is set, and the last scale time.
void RecordScale(const Spec& spec, DecisionState& state, int32_t from, int32_t to, Timestamp now);

}  // namespace ebb::decision
