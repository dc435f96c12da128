// The search behind `ebb tune`: a multi-start coordinate descent over the queue metric's
// target, the scale-up and scale-down windows and policies, the floor (minReplicas, also as
// shares of the training part's mean load), scheduled floors by hour of the day derived from
// the training part's load (schedule_candidates.h; of all its days and, on two weeks or more,
// of its last 7 days too), the cooldown with a floor of 0 and an optional
// second metric (the queue's arrival rate, its target, window and forecast), then a local
// refinement of the numbers around the best; each candidate simulated on the training part of
// the recording (on five draws of its tasks when few may be late, by default judged by the
// percentile of their tasks together, each draw within the objective). The policy as given and the
// HPA and KEDA defaults (the given target with their behavior) are candidates too.
//
// The objective: the fewest replica-hours among the candidates whose wait at the SLO's
// percentile is within the SLO less a safety margin (so that the held-out part, which the
// search never saw, is met too) with at most `max_events_per_hour` scale events per hour (by
// default fewer than the policy as given makes); candidates that miss are ranked by how far
// they miss, so the search walks towards feasibility first. The policy as given is never
// replaced by a dearer one when it meets the SLO on the training part. The winner is then run on
// the held-out last part of the recording.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/sim/simulation_config.h"
#include "controller/sim/summary.h"
#include "controller/tune/buffered_recording.h"
#include "controller/tune/busiest_window.h"
#include "controller/tune/candidate.h"

namespace ebb::tune {

// Below this many tasks allowed past the objective (on the training part), the search judges
// every candidate on kSmallBudgetDraws draws of its tasks by default: their tasks together
// estimate the percentile more sharply than one draw's few late tasks.
inline constexpr int64_t kSmallBudget = 1000;
inline constexpr int kSmallBudgetDraws = 5;

// How a candidate's wait is judged over several draws of the training part's tasks.
enum class DrawRule : uint8_t {
  // The SLO's percentile of every draw's tasks together within the margin (an estimate that
  // more draws sharpen), and each draw's own percentile within the objective (the SLO as
  // defined, met on every draw seen).
  kPooled,
  // Each draw's own percentile within the margin (the worst draw decides: more draws, stricter).
  kWorst,
};

struct TuneOptions {
  double holdout = 0.25;  // the share of the recording's span kept for the check
  // Scale events per hour allowed; 0: 90 % of what the policy as given makes on the training part.
  double max_events_per_hour = 0;
  // A candidate must keep the SLO's wait percentile within (1 - margin) x the objective on the
  // training part: the randomness of a part not seen needs room.
  double margin = 0.1;
  // Other draws of the training part's tasks the best must stay feasible on (0: none), and how
  // many of the cheapest feasible candidates are tried on them, cheapest first.
  int redraws = 2;
  int max_redraw_checks = 12;
  // Draws of the training part's tasks every candidate is judged on in the search itself (its
  // worst wait and events, its mean replica-hours); 0: five when the percentile's lateness
  // budget is under kSmallBudget tasks (a p99 of few tasks moves from draw to draw by more
  // than the margin), one otherwise.
  int search_draws = 0;
  DrawRule draw_rule = DrawRule::kPooled;
  // The last days of the training part (0: none), when it spans at least twice as many: their
  // busy replicas by hour give scheduled floors of their own beside those of all the days (a
  // growing load outgrows the quantiles of all its days; the first days pull them down).
  int recent_days = 7;
  // A candidate must also meet the SLO on those days: the tasks waiting past the margin's
  // limit among those arriving in them within what the SLO's percentile allows of them (every
  // draw's together). A growing load spends the whole part's lateness budget at its end,
  // where the held-out part begins. Off by default: on the alibaba workload it raised the
  // tuned cost by 7-14 % and changed no held-out verdict (BENCHMARKS.md, branch alib6).
  bool recent_check = false;
  // When the load grew from the week before the last to the last (WeeklyGrowth > 1): the
  // recent days' floors are offered grown by that factor too, and the recent check (when on)
  // is on the recent days grown so (GrownTasks, run on their own), as the next week will be if
  // the trend holds. Off by default (as recent_check).
  bool grow_recent = false;
  int threads = 2;
  int passes = 2;  // coordinate-descent passes per start
};

struct Evaluated {
  Candidate candidate;
  // With several draws of the training part's tasks: the mean replica-hours, the worst wait
  // and the most events per hour over them.
  double replica_hours = 0;
  double wait = 0;        // at the SLO's percentile, as the draw rule judges it (pooled or worst)
  double worst_wait = 0;  // the highest of the draws' own percentiles
  double events_per_hour = 0;
  // The training part's recent days (TuneOptions::recent_days; none: both 0), every draw's
  // together: tasks arriving in them, and those of them that waited past the margin's limit
  // (counted as they start; 1 % above the limit, the early stop's counter).
  int64_t recent_tasks = 0;
  int64_t recent_late = 0;
  bool slo_met = false;
  // SLO met with the margin (on the whole training part and on its recent days) and events
  // within the bound.
  bool feasible = false;
  // Stopped before the end: it could not beat the search's point then (a feasible one costing
  // `floor` replica-hours), being dearer or unable to meet the bounds; the numbers are unset.
  bool complete = true;
  double floor = 0;
};

struct TuneResult {
  bool found = false;  // a candidate met the SLO within the event bound on the training part
  // The policy as given is recommended: it meets the SLO on the training part and no candidate
  // that does so with the margin and the event bound is cheaper.
  bool kept_given = false;
  double events_bound = 0;  // the bound used (max_events_per_hour, or derived from the given)
  Candidate best;
  nlohmann::json recommended;  // the Autoscaler document with the best candidate's settings
  sim::Summary train;          // the best on the training part
  sim::Summary holdout;        // the best on the held-out part (with its ideal)
  // The held-out run starts with the replicas the best had at the end of the training run.
  int32_t holdout_initial_replicas = 0;
  std::vector<Evaluated> front;    // cost-vs-wait Pareto front of every candidate tried
  std::vector<Evaluated> presets;  // as given, HPA default, KEDA default on the training part
  // The ideal schedule of the whole recording within the bounds as given (train and holdout
  // carry their parts' ideals, within the same bounds).
  std::optional<sim::IdealResult> ideal;
  std::optional<sim::IdealInput> ideal_input;  // what that ideal was planned from
  // The most tasks arriving within a start-up delay plus the SLO's objective (a burst no
  // replica started for it can serve in time), in the training and the held-out part: a held-out
  // burst far above any the search saw explains a held-out miss no tuning can prevent.
  double busiest_window_seconds = 0;
  BusiestWindow train_busiest;
  BusiestWindow holdout_busiest;
  // Candidates run on the other draws (0: none), and the best's worst wait over its own draw
  // and the others (-1: none passed, or none checked; then the best is the search's pick).
  int redraw_checked = 0;
  double redraw_wait = -1;
  // The best's wait over the other draws as the draw rule judges it (their tasks together with
  // kPooled; -1 as above).
  double redraw_judged = -1;
  int search_draws = 1;  // the draws every candidate was judged on
  // Where the recent days of the training part begin (Unix ms; 0: no recent check), and the
  // weekly growth applied to their floors and check (1: none, or grow_recent off).
  int64_t recent_from_ms = 0;
  double growth = 1;
  int64_t runs = 0;
  double seconds = 0;
  int64_t holdout_from_ms = 0;
  // The share of the span held out: the one asked for, or more when maxReplicas from the
  // held-out part's start cannot meet the SLO there (no policy could: the split is moved
  // earlier, 5 % of the span at a time, up to half of it, until the part can be met).
  double holdout_share = 0;
  double holdout_asked = 0;
  bool holdout_feasible = true;  // maxReplicas meets the SLO on the held-out part used
};

// Errors: the Simulation has no SLO or no queue model, or a simulation fails.
Result<TuneResult> Tune(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                        const BufferedRecording& recording, const TuneOptions& options);

// Whether a candidate's waits pass: the wait as its draw rule judges it within (1 - margin) x
// the objective and, with kPooled, each draw's own within the objective.
bool WaitsPass(const Evaluated& e, double objective, double margin, DrawRule rule);

// Whether the recent days pass: at most the share of their tasks the SLO's percentile allows
// (floor((1 - percentile / 100) x tasks)) waited past the limit. No recent tasks: passes.
bool RecentPass(const Evaluated& e, double percentile);

// The name the added arrival-rate metric gets (unused by the Autoscaler's metrics).
std::string RateMetricName(const nlohmann::json& autoscaler);

}  // namespace ebb::tune
