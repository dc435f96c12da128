#include "controller/tune/tuner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <thread>

#include "controller/api/autoscaler.h"
#include "controller/tune/comparison.h"
#include "controller/tune/schedule_candidates.h"

namespace ebb::tune {
namespace {

constexpr double kInfeasible = 1e12;
constexpr double kNoBar = std::numeric_limits<double>::infinity();

struct Context {
  const nlohmann::json& doc;
  sim::SimulationConfig cfg;  // with the rate model added
  const BufferedRecording& rec;
  size_t queue_index = 0;
  std::string rate_name;
  int64_t train_to_ms = 0;
  double bound = 4;
  double margin = 0.1;
  // What a run on the training part must stay within to be feasible, for stopping hopeless
  // runs early (0: unknown, never stopped): its tasks and its length.
  int64_t train_tasks = 0;
  double train_seconds = 0;
  // The draws of the training part's tasks every candidate is judged on (none: the pool draws
  // its own), and their task counts.
  std::string queue_name;
  std::vector<std::shared_ptr<const sim::PoolTasks>> draws;
  DrawRule rule = DrawRule::kPooled;
  // The recent days' check (TuneOptions::recent_days): where they begin (Unix ms; 0: no check)
  // and, per draw, the tasks arriving in them.
  int64_t recent_from_ms = 0;
  std::vector<int64_t> recent_tasks;
  // When the load grows (WeeklyGrowth > 1, TuneOptions::grow_recent): the recent days of each
  // draw grown by that factor (GrownTasks, their times from recent_from_ms, which is then a
  // sample's time), run on their own; the check is on these instead of the recent days as drawn.
  double growth = 1;
  std::vector<std::shared_ptr<const sim::PoolTasks>> grown;
};

// The tasks of each draw arriving at or after `from_ms` (second 0 of a draw is `first_ms`).
std::vector<int64_t> RecentTasks(const std::vector<std::shared_ptr<const sim::PoolTasks>>& draws,
                                 int64_t first_ms, int64_t from_ms) {
  std::vector<int64_t> out;
  const double from = static_cast<double>(from_ms - first_ms) / 1000.0;
  for (const auto& d : draws) {
    out.push_back(static_cast<int64_t>(
        std::count_if(d->arrival.begin(), d->arrival.end(), [&](double t) { return t >= from; })));
  }
  return out;
}

int64_t LateAllowed(double percentile, int64_t tasks) {
  return static_cast<int64_t>(
      std::floor((1 - percentile / 100.0) * static_cast<double>(tasks) + 1e-9));
}

// The wait a candidate must keep on the training part.
double WaitLimit(const Context& ctx) {
  return ctx.cfg.slo->wait_seconds * (1.0 - std::clamp(ctx.margin, 0.0, 0.9));
}

bool Feasible(const Evaluated& e, const Context& ctx) {
  return WaitsPass(e, ctx.cfg.slo->wait_seconds, ctx.margin, ctx.rule) &&
         RecentPass(e, ctx.cfg.slo->percentile) && e.events_per_hour <= ctx.bound;
}

double Score(const Evaluated& e, const Context& ctx) {
  if (!e.complete) return 2 * kInfeasible * 1e3;  // above every score it was stopped against
  if (e.feasible) return e.replica_hours;
  double miss = std::max(0.0, e.wait / WaitLimit(ctx) - 1.0) +
                std::max(0.0, e.events_per_hour / std::max(ctx.bound, 1e-9) - 1.0);
  if (ctx.rule == DrawRule::kPooled) {
    miss += std::max(0.0, e.worst_wait / ctx.cfg.slo->wait_seconds - 1.0);
  }
  if (e.recent_tasks > 0) {
    const auto allowed = static_cast<double>(
        std::max<int64_t>(1, LateAllowed(ctx.cfg.slo->percentile, e.recent_tasks)));
    miss += std::max(0.0, static_cast<double>(e.recent_late) / allowed - 1.0);
  }
  return kInfeasible * (1.0 + std::min(miss, 1e3)) + e.replica_hours;
}

// Stops a candidate's run on the training part once it can no longer matter to the search: it
// cannot be feasible (more tasks already waited past the limit than the percentile allows, or
// more scale events than the bound allows over the whole part), or it already costs more than
// `max_hours`. Exact, not a guess: each of these only grows as the run goes on. The percentile
// is over `tasks` (every draw's, when the draws are judged together), of which `late_before`
// waited past the limit in the draws run before this one. It also counts the late tasks of the
// recent days (from the first tick at or past their start), and stops once more of them were
// late than `max_recent_late` (exact too); `can_stop` false: it only counts.
class StopWhenHopeless final : public sim::TickObserver {
 public:
  StopWhenHopeless(const Context& ctx, double max_hours, int64_t tasks, int64_t late_before,
                   bool can_stop, int64_t recent_from_ms, int64_t max_recent_late,
                   bool recent_only = false)
      : queue_(ctx.queue_index),
        can_stop_(can_stop),
        recent_only_(recent_only),
        recent_from_ms_(recent_from_ms),
        max_recent_late_(max_recent_late),
        max_replica_seconds_(max_hours * 3600.0 * (1 + 1e-9)),
        // The summary's percentile is the nearest rank of a histogram whose buckets read up to
        // 0.5 % off: counted from 1 % past the limit, with one task to spare.
        max_late_(static_cast<int64_t>(std::floor((1 - ctx.cfg.slo->percentile / 100.0) *
                                                  static_cast<double>(tasks))) +
                  1 - late_before),
        // A KEDA preset's ticks may end the run up to a tick later.
        max_events_(static_cast<int64_t>(
            std::floor(ctx.bound * (ctx.train_seconds + 60) / 3600.0 + 1e-9))) {}

  void OnTick(const sim::TickRecord& tick) override {
    if (have_prev_) {
      replica_seconds_ +=
          prev_replicas_ * static_cast<double>((tick.at - prev_at_).count()) / 1000.0;
    }
    have_prev_ = true;
    prev_at_ = tick.at;
    prev_replicas_ = tick.replicas_after;
    if (tick.patched && tick.replicas_after != tick.replicas_before) ++events_;
    const sim::PoolQueue* pool = tick.workload ? tick.workload->pool(queue_) : nullptr;
    late_ = pool != nullptr ? pool->exceeded() : 0;
    if (recent_from_ms_ > 0 && !in_recent_ &&
        std::chrono::duration_cast<std::chrono::milliseconds>(tick.at.time_since_epoch()).count() >=
            recent_from_ms_) {
      in_recent_ = true;
      late_before_recent_ = late_;
    }
    const bool whole = !recent_only_ && (replica_seconds_ > max_replica_seconds_ ||
                                         late_ > max_late_ || events_ > max_events_);
    stop_ = can_stop_ && (whole || recent_late() > max_recent_late_);
  }
  bool Stop() const override { return stop_; }
  int64_t late() const { return late_; }
  int64_t recent_late() const { return in_recent_ ? late_ - late_before_recent_ : 0; }

 private:
  size_t queue_;
  bool can_stop_;
  bool recent_only_;  // only the recent days' late tasks stop it (a grown days' run)
  int64_t recent_from_ms_;
  int64_t max_recent_late_;
  bool in_recent_ = false;
  int64_t late_before_recent_ = 0;
  double max_replica_seconds_;
  int64_t max_late_;
  int64_t max_events_;
  bool have_prev_ = false;
  Timestamp prev_at_{};
  int32_t prev_replicas_ = 0;
  double replica_seconds_ = 0;
  int64_t events_ = 0;
  int64_t late_ = 0;
  bool stop_ = false;
};

// `bar`: the score a candidate must beat to matter (the walk's current point, when feasible);
// infinite: run to the end whatever it costs. With several draws the candidate is run on each in
// turn; a run stops once the draws so far cost more than the bar allows the mean, or once the
// wait cannot be feasible (one draw's late tasks with kWorst, the draws' so far together with
// kPooled; exact, as for one draw: costs and late tasks only grow and are never negative).
Result<Evaluated> Evaluate(const Context& ctx, const Candidate& c, double bar) {
  const auto doc = ApplyCandidate(ctx.doc, ctx.queue_index, c, ctx.rate_name);
  sim::SimulationConfig cfg = ctx.cfg;
  if (c.rate_target > 0) cfg.models[ctx.rate_name].window_seconds = c.rate_window;
  const size_t n = std::max<size_t>(1, ctx.draws.size());
  const bool may_stop = bar < kInfeasible && ctx.train_tasks > 0 && ctx.train_seconds > 0;
  const bool pooled = ctx.rule == DrawRule::kPooled;
  int64_t all_tasks = 0;  // every draw's tasks, for the pooled percentile's budget
  for (const auto& d : ctx.draws) all_tasks += static_cast<int64_t>(d->arrival.size());
  // The recent days' check: counted within each draw's run, or on the grown days' own runs.
  const bool grown = !ctx.grown.empty();
  const bool recent = ctx.recent_from_ms > 0 && !ctx.draws.empty() &&
                      ctx.recent_tasks.size() == (grown ? ctx.grown.size() : ctx.draws.size());
  int64_t recent_tasks = 0;
  if (recent) {
    for (int64_t t : ctx.recent_tasks) recent_tasks += t;
  }
  const int64_t recent_allowed = LateAllowed(ctx.cfg.slo->percentile, recent_tasks);
  const int64_t count_from_ms = recent && !grown ? ctx.recent_from_ms : 0;
  Evaluated e;
  e.candidate = c;
  e.slo_met = true;
  e.recent_tasks = recent_tasks;
  auto stopped = [&] {
    e = Evaluated{};
    e.candidate = c;
    e.complete = false;
    e.floor = bar;
    return e;
  };
  double hours = 0;
  int64_t late = 0;  // the draws so far: tasks that waited past the limit
  sim::Histogram all_waits;
  sim::Histogram waits;
  for (size_t d = 0; d < n; ++d) {
    int64_t tasks = ctx.train_tasks;
    if (d < ctx.draws.size()) {
      cfg.models[ctx.queue_name].drawn = ctx.draws[d];
      tasks = static_cast<int64_t>(ctx.draws[d]->arrival.size());
    }
    BufferedRecording::Source src(ctx.rec, ctx.rec.first_ms(), ctx.train_to_ms);
    StopWhenHopeless stop(ctx, may_stop ? bar * static_cast<double>(n) - hours : bar,
                          pooled && !ctx.draws.empty() ? all_tasks : tasks, pooled ? late : 0,
                          may_stop, count_from_ms, recent_allowed - e.recent_late);
    RunOptions o;
    if (may_stop || count_from_ms > 0) {
      o.observer = &stop;
      o.count_waits_over_seconds = WaitLimit(ctx) * 1.01;
    }
    o.waits = &waits;
    auto s = RunPolicy(doc, cfg, src, o);
    if (!s) return s.error();
    if (stop.Stop()) return stopped();
    hours += s->replica_hours;
    late += stop.late();
    e.recent_late += stop.recent_late();
    all_waits.Merge(waits);
    e.worst_wait = std::max(e.worst_wait, s->slo_wait);
    e.slo_met = e.slo_met && s->slo_met;
    e.events_per_hour = std::max(e.events_per_hour, sim::ScaleEventsPerHour(*s));
  }
  // The grown recent days, each run from its start (cold, at initialReplicas, as the policy's
  // floors and windows have it): only their late tasks count, nothing else of these runs.
  for (size_t d = 0; recent && grown && d < ctx.grown.size(); ++d) {
    cfg.models[ctx.queue_name].drawn = ctx.grown[d];
    BufferedRecording::Source src(ctx.rec, ctx.recent_from_ms, ctx.train_to_ms);
    StopWhenHopeless stop(ctx, kNoBar, all_tasks, 0, may_stop, ctx.recent_from_ms,
                          recent_allowed - e.recent_late, true);
    RunOptions o;
    o.observer = &stop;
    o.count_waits_over_seconds = WaitLimit(ctx) * 1.01;
    auto s = RunPolicy(doc, cfg, src, o);
    if (!s) return s.error();
    if (stop.Stop()) return stopped();
    e.recent_late += stop.recent_late();
  }
  e.replica_hours = hours / static_cast<double>(n);
  e.wait = pooled ? all_waits.Quantile(ctx.cfg.slo->percentile / 100.0) : e.worst_wait;
  e.feasible = Feasible(e, ctx);
  return e;
}

// Evaluates the candidates not seen yet, `threads` at a time, and those stopped earlier against
// a lower bar than `bar` (they might beat it).
Result<void> EvaluateAll(const Context& ctx, const std::vector<Candidate>& batch, int threads,
                         std::map<std::string, Evaluated>& seen, double bar) {
  std::vector<Candidate> todo;
  for (const auto& c : batch) {
    const auto it = seen.find(c.Key());
    if ((it == seen.end() || (!it->second.complete && it->second.floor < bar)) &&
        std::none_of(todo.begin(), todo.end(),
                     [&](const Candidate& t) { return t.Key() == c.Key(); })) {
      todo.push_back(c);
    }
  }
  std::vector<std::optional<Result<Evaluated>>> results(todo.size());
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t i = next++; i < todo.size(); i = next++) results[i] = Evaluate(ctx, todo[i], bar);
  };
  std::vector<std::thread> pool;
  const int n = std::clamp(threads, 1, 64);
  for (int t = 1; t < n && static_cast<size_t>(t) < todo.size(); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < todo.size(); ++i) {
    if (!*results[i]) return results[i]->error();
    seen[todo[i].Key()] = **results[i];
  }
  return {};
}

double RoundTo(double v, double step) {
  return std::max(step, std::round(v / step) * step);
}

// The replica count after the last tick of a run.
class LastReplicas final : public sim::TickObserver {
 public:
  void OnTick(const sim::TickRecord& tick) override { replicas = tick.replicas_after; }
  int32_t replicas = 0;
};

}  // namespace

bool RecentPass(const Evaluated& e, double percentile) {
  return e.recent_tasks <= 0 || e.recent_late <= LateAllowed(percentile, e.recent_tasks);
}

bool WaitsPass(const Evaluated& e, double objective, double margin, DrawRule rule) {
  const bool each = rule != DrawRule::kPooled || e.worst_wait <= objective;
  return e.wait <= objective * (1.0 - std::clamp(margin, 0.0, 0.9)) && each;
}

std::string RateMetricName(const nlohmann::json& autoscaler) {
  std::string name = "arrivals";
  auto a = api::ParseAutoscaler(autoscaler);
  if (!a) return name;
  for (int k = 2;; ++k) {
    bool taken = false;
    for (const auto& m : a->spec.metrics) taken = taken || m.name == name;
    if (!taken) return name;
    name = "arrivals-" + std::to_string(k);
  }
}

Result<TuneResult> Tune(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                        const BufferedRecording& recording, const TuneOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (!cfg.slo) {
    return MakeError(ErrorCode::kInvalidConfig,
                     cfg.origin + ": spec.slo is required to tune (the objective to meet)");
  }
  auto a = api::ParseAutoscaler(autoscaler);
  if (!a) return a.error();
  auto models = sim::ResolveModels(cfg, a->spec, a->name);
  if (!models) return models.error();
  Context ctx{autoscaler, cfg, recording,         0, "", 0, 4, options.margin, 0, 0,
              "",         {},  options.draw_rule, 0, {}, 1, {}};
  bool found_queue = false;
  for (size_t i = 0; i < models->size(); ++i) {
    if ((*models)[i].type == sim::ModelType::kQueue) {
      ctx.queue_index = i;
      found_queue = true;
      break;
    }
  }
  if (!found_queue) {
    return MakeError(ErrorCode::kInvalidConfig,
                     cfg.origin + ": spec.models needs a queue model for one of " + a->name +
                         "'s metrics to tune it");
  }
  if (recording.empty()) return MakeError(ErrorCode::kInvalidConfig, "the recording is empty");
  const sim::ModelConfig& q = (*models)[ctx.queue_index];
  const std::string queue_name = a->spec.metrics[ctx.queue_index].name;
  ctx.rate_name = RateMetricName(autoscaler);
  sim::ModelConfig rate;
  rate.type = sim::ModelType::kArrivalRate;
  rate.of = queue_name;
  rate.window_seconds = 120;
  ctx.cfg.models[ctx.rate_name] = rate;
  ctx.queue_name = queue_name;
  const int64_t span = recording.last_ms() - recording.first_ms();
  const int64_t whole_to = recording.last_ms() + 1;
  const double asked = std::clamp(options.holdout, 0.0, 0.9);
  auto split_at = [&](double share) {
    return share == 0
               ? whole_to
               : recording.first_ms() +
                     static_cast<int64_t>(std::llround(static_cast<double>(span) * (1 - share)));
  };
  // A fair check is one the held-out part allows: when even maxReplicas, ready from the part's
  // start, misses the SLO there (a spike no pool within the bounds serves in time, with too few
  // tasks around it for the percentile to absorb it), no policy can meet it, and the check says
  // nothing of the policy. Then the split moves earlier, 5 % of the span at a time, up to half
  // the span, until the part can be met; if it never can, the asked split stays.
  double holdout = asked;
  bool holdout_feasible = true;
  if (asked > 0) {
    nlohmann::json full = autoscaler;
    full["spec"]["minReplicas"] = a->spec.max_replicas;
    sim::SimulationConfig full_cfg = cfg;
    full_cfg.initial_replicas = a->spec.max_replicas;
    auto feasible = [&](double share) -> Result<bool> {
      BufferedRecording::Source src(recording, split_at(share), whole_to);
      auto s = RunPolicy(full, full_cfg, src, RunOptions{});
      if (!s) return s.error();
      return s->slo_met;
    };
    auto ok = feasible(asked);
    if (!ok) return ok.error();
    holdout_feasible = *ok;
    for (double share = asked + 0.05; !holdout_feasible && share <= 0.5 + 1e-9; share += 0.05) {
      auto moved = feasible(share);
      if (!moved) return moved.error();
      if (*moved) {
        holdout = share;
        holdout_feasible = true;
      }
    }
  }
  ctx.train_to_ms = split_at(holdout);
  const bool has_holdout = ctx.train_to_ms <= recording.last_ms();

  // The ideals of the training part, the held-out part and the whole recording, within the
  // bounds as given: planned from the policy as given's runs of each span (each span once), one
  // after the other on a thread of their own while the search runs.
  std::optional<sim::IdealInput> train_in;
  std::optional<sim::IdealInput> holdout_in;
  std::optional<sim::IdealInput> whole_in;
  auto input_of = [&](int64_t from, int64_t to, std::optional<sim::IdealInput>& in) {
    BufferedRecording::Source src(recording, from, to);
    RunOptions o;
    o.ideal_input = &in;
    return RunPolicy(autoscaler, cfg, src, o);
  };
  if (auto s = input_of(recording.first_ms(), ctx.train_to_ms, train_in); !s) return s.error();
  if (has_holdout) {
    if (auto s = input_of(ctx.train_to_ms, whole_to, holdout_in); !s) return s.error();
    // The policy's held-out run starts warm, where its training run left the pool (below), which
    // is not known before the search: that ideal starts with what it plans, ready.
    if (holdout_in) holdout_in->initial_replicas = -1;
    if (auto s = input_of(recording.first_ms(), whole_to, whole_in); !s) return s.error();
  }
  std::vector<sim::IdealInput> to_plan;
  for (const auto* in : {&train_in, &holdout_in, &whole_in}) {
    if (*in) to_plan.push_back(**in);
  }
  std::future<std::vector<sim::IdealResult>> ideals =
      std::async(std::launch::async, [plans = std::move(to_plan)] {
        std::vector<sim::IdealResult> out;
        for (const auto& in : plans) out.push_back(sim::ComputeIdeal(in));
        return out;
      });
  // Every candidate runs on the training part: its tasks are drawn once, not once per run; on
  // several draws (the seeds from the Simulation's on) when the percentile's lateness budget is
  // a few tasks.
  int search_draws = 1;
  double mean_need = 0;  // replicas the training part's mean load keeps busy
  if (train_in && ctx.cfg.models.count(queue_name) > 0) {
    auto drawn = std::make_shared<const sim::PoolTasks>(sim::DrawTasks(*train_in));
    ctx.train_tasks = static_cast<int64_t>(drawn->arrival.size());
    ctx.train_seconds = train_in->end_seconds;
    double work = 0;
    for (double x : drawn->service) work += x;
    if (ctx.train_seconds > 0) {
      mean_need = work / std::max(1, train_in->concurrency) / ctx.train_seconds;
    }
    const auto budget = static_cast<int64_t>(
        std::floor((1 - cfg.slo->percentile / 100.0) * static_cast<double>(ctx.train_tasks)));
    search_draws = options.search_draws > 0 ? options.search_draws
                                            : (budget < kSmallBudget ? kSmallBudgetDraws : 1);
    ctx.draws.push_back(std::move(drawn));
    for (int d = 1; d < search_draws; ++d) {
      sim::IdealInput in = *train_in;
      in.seed = train_in->seed + static_cast<uint64_t>(d);
      ctx.draws.push_back(std::make_shared<const sim::PoolTasks>(sim::DrawTasks(in)));
    }
  }

  // Scheduled floors from the training part's load (its first draw) by hour of the day, opening
  // a start-up and a tick ahead; the first option is none (schedule_candidates.h).
  // The recent days of a training part at least twice as long give floors of their own
  // (TuneOptions::recent_days) and, with recent_check, a candidate must meet the SLO on them
  // too. With grow_recent, a load that grew from week to week is taken as it will be: those
  // floors are offered grown by the growth of the last week over the one before (WeeklyGrowth)
  // too, and the check is on each draw's recent days grown so, run on their own from the
  // first sample of the recent days.
  const double recent_seconds = std::max(0, options.recent_days) * 86400.0;
  const bool has_recent =
      recent_seconds > 0 && !ctx.draws.empty() && ctx.train_seconds >= 2 * recent_seconds;
  if (has_recent && options.grow_recent) {
    ctx.growth = WeeklyGrowth(*ctx.draws.front(), ctx.train_seconds);
  }
  if (has_recent && options.recent_check) {
    ctx.recent_from_ms =
        recording.first_ms() +
        static_cast<int64_t>(std::llround((ctx.train_seconds - recent_seconds) * 1000.0));
  }
  auto grow = [&](Context& c) {
    c.grown.clear();
    if (c.recent_from_ms <= 0 || c.growth <= 1) return;
    const double from = static_cast<double>(c.recent_from_ms - recording.first_ms()) / 1000.0;
    for (size_t d = 0; d < c.draws.size(); ++d) {
      c.grown.push_back(std::make_shared<const sim::PoolTasks>(
          GrownTasks(*c.draws[d], from, c.train_seconds, c.growth, cfg.seed + 7919 * (d + 1))));
    }
  };
  // Each draw's recent days as the check counts them: grown, or as drawn.
  auto count_recent = [&](Context& c) {
    if (c.recent_from_ms <= 0) return;
    grow(c);
    c.recent_tasks.clear();
    for (const auto& g : c.grown) c.recent_tasks.push_back(static_cast<int64_t>(g->arrival.size()));
    if (c.grown.empty())
      c.recent_tasks = RecentTasks(c.draws, recording.first_ms(), c.recent_from_ms);
  };
  if (ctx.recent_from_ms > 0 && ctx.growth > 1) {
    // The grown days' runs start at a sample: their tasks' second 0.
    BufferedRecording::Source src(recording, ctx.recent_from_ms, ctx.train_to_ms);
    sim::RawSample first;
    if (auto more = src.Next(first); more && *more) {
      ctx.recent_from_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(first.at.time_since_epoch())
              .count();
    }
  }
  count_recent(ctx);
  std::vector<ScheduleOption> schedule_options{ScheduleOption{}};
  // The richest shape of all the days (the third start's): the recent days' shapes come after
  // it and are choices of the walk only, so that a recent shape does not move the start (it did:
  // a start from the recent days' p90 led the walk to a dearer pick on alibaba).
  size_t richest = 0;
  if (train_in && !ctx.draws.empty()) {
    const ScheduleBounds bounds{
        a->spec.min_replicas, a->spec.max_replicas,
        static_cast<int32_t>(cfg.startup_delay_seconds) + a->spec.polling_interval_seconds};
    std::optional<HourlyBusy> recent;
    if (has_recent) {
      recent = BusyByHour(*ctx.draws.front(), recording.first_ms(), ctx.train_seconds,
                          train_in->concurrency, ctx.train_seconds - recent_seconds);
    }
    const HourlyBusy all = BusyByHour(*ctx.draws.front(), recording.first_ms(), ctx.train_seconds,
                                      train_in->concurrency);
    richest = ScheduleOptions(all, bounds).size();
    for (auto& o : ScheduleOptions(all, bounds, recent ? &*recent : nullptr, ctx.growth)) {
      schedule_options.push_back(std::move(o));
    }
  }

  std::map<std::string, Evaluated> seen;
  // The presets first: the policy as given sets the default event bound, and all three stay
  // candidates.
  std::vector<Candidate> presets(3);
  presets[0].preset = Preset::kAsGiven;
  presets[1].preset = Preset::kHpaDefault;
  presets[2].preset = Preset::kKedaDefault;
  ctx.bound = 1e9;  // Score is not used before the bound is known
  if (auto ok = EvaluateAll(ctx, presets, options.threads, seen, kNoBar); !ok) return ok.error();
  const Evaluated given = seen.at(presets[0].Key());
  ctx.bound = options.max_events_per_hour > 0 ? options.max_events_per_hour
                                              : std::max(0.5, 0.9 * given.events_per_hour);
  for (auto& [key, e] : seen) e.feasible = Feasible(e, ctx);

  // The scale of the grid: tasks one replica finishes within the wait objective, and tasks one
  // replica finishes per second.
  const double w = cfg.slo->wait_seconds;
  double per_second = q.service_rate;
  if (q.queue_kind == sim::QueueKind::kPool) {
    const double mean = sim::MeanServiceSeconds(q);
    per_second = mean > 0 ? q.concurrency / mean : q.service_rate;
  }
  const double k = std::max(0.05, per_second * w);
  // Targets are written with millis: a step of 0.05 below 10, 1 above.
  auto round_target = [](double t) { return t < 10 ? RoundTo(t, 0.05) : std::round(t); };
  std::vector<double> targets;
  for (double m : {0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0}) {
    const double t = round_target(k * m);
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  }
  auto round_rate = [](double r) { return RoundTo(r, 0.001); };
  std::vector<double> rates{0};
  for (double u : {0.5, 0.65, 0.8, 0.9, 1.0}) rates.push_back(round_rate(per_second * u));
  const int32_t min0 = a->spec.min_replicas;
  // Floors: the given one and a few above it, and shares of the replicas the training part's
  // mean load keeps busy (a start-up longer than the objective leaves a reactive policy no
  // time to follow a burst: capacity must be in place).
  std::vector<int32_t> floors;
  std::vector<int32_t> floor_values{min0, min0 + 1, min0 + 2, min0 + 4};
  for (double f : {0.5, 0.75, 0.9, 1.0}) {
    floor_values.push_back(static_cast<int32_t>(std::lround(mean_need * f)));
  }
  for (int32_t f : floor_values) {
    if (f >= min0 && f <= a->spec.max_replicas &&
        std::find(floors.begin(), floors.end(), f) == floors.end()) {
      floors.push_back(f);
    }
  }
  std::sort(floors.begin(), floors.end());

  const auto lookahead = static_cast<int32_t>(std::clamp<double>(
      std::ceil(cfg.startup_delay_seconds + a->spec.polling_interval_seconds), 15, 1800));
  Candidate best = presets[0];
  auto score_of = [&](const Candidate& c) { return Score(seen.at(c.Key()), ctx); };
  for (const auto& p : presets) {
    if (score_of(p) < score_of(best)) best = p;
  }
  Candidate current;
  auto step_best = [&](const std::vector<Candidate>& batch) -> Result<void> {
    // A run that cannot beat the current point (when it is feasible) is stopped early: the
    // walk goes exactly where full runs would take it.
    const auto cur = seen.find(current.Key());
    const double bar = cur != seen.end() && cur->second.complete && cur->second.feasible
                           ? cur->second.replica_hours
                           : kNoBar;
    if (auto ok = EvaluateAll(ctx, batch, options.threads, seen, bar); !ok) return ok.error();
    for (const auto& c : batch) {
      if (score_of(c) < score_of(current)) current = c;
      if (score_of(c) < score_of(best)) best = c;
    }
    return {};
  };
  auto vary = [&](auto set, const auto& values) {
    std::vector<Candidate> batch{current};
    for (const auto& v : values) {
      Candidate c = current;
      set(c, v);
      batch.push_back(c);
    }
    return batch;
  };
  const std::vector<std::function<std::vector<Candidate>()>> steps{
      [&] { return vary([](Candidate& c, double v) { c.target = v; }, targets); },
      [&] { return vary([](Candidate& c, double v) { c.rate_target = v; }, rates); },
      [&] {
        if (current.rate_target <= 0) return std::vector<Candidate>{current};
        return vary([](Candidate& c, int32_t v) { c.rate_window = v; },
                    std::vector<int32_t>{60, 120, 300});
      },
      [&] {
        return vary([](Candidate& c, int32_t v) { c.down_window = v; },
                    std::vector<int32_t>{30, 60, 120, 300, 600, 900});
      },
      [&] {
        return vary([](Candidate& c, int v) { c.down_policy = v; }, std::vector<int>{0, 1, 2, 3});
      },
      [&] {
        return vary([](Candidate& c, int32_t v) { c.up_window = v; },
                    std::vector<int32_t>{0, 30, 60});
      },
      [&] {
        return vary([](Candidate& c, int v) { c.up_policy = v; }, std::vector<int>{0, 1});
      },
      [&] { return vary([](Candidate& c, int32_t v) { c.floor = v; }, floors); },
      [&] {
        return vary(
            [](Candidate& c, const ScheduleOption& o) {
              c.schedules = o.windows;
              c.schedule_label = o.label;
            },
            schedule_options);
      },
      // With a floor of 0, how long an idle pool waits before going to 0 (each cold start is
      // two scale events and a start-up).
      [&] {
        if (current.floor != 0) return std::vector<Candidate>{current};
        return vary([](Candidate& c, int32_t v) { c.cooldown = v; },
                    std::vector<int32_t>{0, 30, 60, 120, 600, 1800});
      },
      // The rate metric forecast from its own daily and weekly history: none, one start-up
      // and tick ahead, or two.
      [&] {
        if (current.rate_target <= 0) return std::vector<Candidate>{current};
        return vary([](Candidate& c, int32_t v) { c.predictive_lookahead = v; },
                    std::vector<int32_t>{0, lookahead, 2 * lookahead});
      },
  };

  // Starts: a mid target reacting on the backlog alone with calm scale-downs, and a low one
  // with the arrival rate and fast scale-downs; a different basin each.
  std::vector<Candidate> starts(2);
  starts[0].target = round_target(k * 0.3);
  starts[0].floor = min0;
  starts[0].down_window = 300;
  starts[1].target = round_target(k * 0.5);
  starts[1].floor = min0;
  starts[1].rate_target = round_rate(per_second * 0.8);
  starts[1].down_window = 120;
  starts[1].down_policy = 3;
  // With scheduled floors: the capacity from the load's daily pattern (the richest shape, the
  // walk lowers it), a high target and calm scale-downs reacting only beyond it.
  if (richest > 0) {
    Candidate c = starts[0];
    c.target = round_target(k * 0.65);
    c.down_window = 600;
    c.schedules = schedule_options[richest].windows;
    c.schedule_label = schedule_options[richest].label;
    starts.push_back(c);
  }
  for (const Candidate& start : starts) {
    current = start;
    if (auto ok = step_best({current}); !ok) return ok.error();
    for (int pass = 0; pass < std::max(1, options.passes); ++pass) {
      const std::string before = current.Key();
      for (const auto& step : steps) {
        if (auto ok = step_best(step()); !ok) return ok.error();
      }
      if (current.Key() == before) break;
    }
  }

  // Local refinement around the best searched candidate: the numbers by shrinking factors.
  if (best.preset == Preset::kNone) {
    current = best;
    for (double d : {0.2, 0.1, 0.05}) {
      for (int round = 0; round < 3; ++round) {
        const std::string before = current.Key();
        std::vector<Candidate> batch{current};
        for (double f : {1 - d, 1 + d}) {
          Candidate c = current;
          c.target = round_target(current.target * f);
          batch.push_back(c);
          if (current.rate_target > 0) {
            c = current;
            c.rate_target = round_rate(current.rate_target * f);
            batch.push_back(c);
          }
          c = current;
          c.down_window = std::max<int32_t>(
              15, static_cast<int32_t>(std::lround(current.down_window * f / 15.0)) * 15);
          batch.push_back(c);
        }
        for (int32_t df : {-1, 1}) {
          Candidate c = current;
          c.floor = std::clamp(current.floor + df, min0, a->spec.max_replicas);
          batch.push_back(c);
        }
        if (auto ok = step_best(batch); !ok) return ok.error();
        if (current.Key() == before) break;
      }
    }
  }

  // Robust to the draw: the cheapest feasible candidates, in order, are run on the training part
  // again with `redraws` other draws of its tasks (the seeds after those the search used) and
  // judged by the same rule; the first that stays feasible on them is the best. The search's
  // pick can sit on its draws' lucky tails (a p99 of a few thousand tasks moves by more than the
  // margin from draw to draw). `threads` candidates are checked at once; the cheapest passing
  // one wins, as when checked one by one.
  int redraw_checked = 0;
  double redraw_wait = -1;
  double redraw_judged = -1;
  if (options.redraws > 0 && train_in && best.preset == Preset::kNone &&
      seen.at(best.Key()).feasible) {
    Context again = ctx;
    again.draws.clear();
    for (int r = 1; r <= options.redraws; ++r) {
      sim::IdealInput in = *train_in;
      in.seed = train_in->seed + static_cast<uint64_t>(search_draws - 1 + r);
      again.draws.push_back(std::make_shared<const sim::PoolTasks>(sim::DrawTasks(in)));
    }
    again.train_tasks = static_cast<int64_t>(again.draws.front()->arrival.size());
    count_recent(again);
    std::vector<Evaluated> order;
    for (const auto& [key, e] : seen) {
      if (e.complete && e.feasible && e.candidate.preset == Preset::kNone) order.push_back(e);
    }
    std::sort(order.begin(), order.end(), [](const Evaluated& x, const Evaluated& y) {
      return x.replica_hours < y.replica_hours;
    });
    if (order.size() > static_cast<size_t>(options.max_redraw_checks)) {
      order.resize(static_cast<size_t>(options.max_redraw_checks));
    }
    const auto at_once = static_cast<size_t>(std::clamp(options.threads, 1, 64));
    bool passed = false;
    for (size_t first = 0; first < order.size() && !passed; first += at_once) {
      const size_t count = std::min(at_once, order.size() - first);
      // A run stops once it cannot be feasible (more late tasks or scale events than allowed).
      std::vector<std::optional<Result<Evaluated>>> runs(count);
      std::atomic<size_t> next{0};
      auto work = [&]() {
        for (size_t i = next++; i < count; i = next++) {
          runs[i] = Evaluate(again, order[first + i].candidate, kInfeasible / 2);
        }
      };
      std::vector<std::thread> pool;
      for (size_t t = 1; t < count; ++t) pool.emplace_back(work);
      work();
      for (auto& t : pool) t.join();
      for (size_t i = 0; i < count && !passed; ++i) {
        if (!*runs[i]) return runs[i]->error();
        const Evaluated& x = **runs[i];
        ++redraw_checked;
        if (x.complete && x.feasible) {
          passed = true;
          best = order[first + i].candidate;
          redraw_wait = std::max(order[first + i].worst_wait, x.worst_wait);
          redraw_judged = x.wait;
        }
      }
    }
  }

  TuneResult out;
  out.search_draws = search_draws;
  out.recent_from_ms = ctx.recent_from_ms;
  out.growth = ctx.growth;
  out.holdout_asked = asked;
  out.holdout_share = holdout;
  out.holdout_feasible = holdout_feasible;
  out.redraw_checked = redraw_checked;
  out.redraw_wait = redraw_wait;
  out.redraw_judged = redraw_judged;
  out.events_bound = ctx.bound;
  for (const auto& p : presets) out.presets.push_back(seen.at(p.Key()));
  // Never dearer than the policy as given when that one meets the SLO on the training part.
  const Evaluated& chosen = seen.at(best.Key());
  if (given.slo_met && (!chosen.feasible || given.replica_hours <= chosen.replica_hours)) {
    best = presets[0];
    out.kept_given = true;
  }
  out.best = best;
  out.found = seen.at(best.Key()).feasible || out.kept_given;
  out.recommended = ApplyCandidate(autoscaler, ctx.queue_index, best, ctx.rate_name);
  out.runs = static_cast<int64_t>(seen.size());
  out.holdout_from_ms = ctx.train_to_ms;
  sim::SimulationConfig best_cfg = ctx.cfg;
  if (best.rate_target > 0) best_cfg.models[ctx.rate_name].window_seconds = best.rate_window;
  // The reported runs draw their tasks as `ebb simulate` does.
  for (auto& [name, model] : best_cfg.models) model.drawn.reset();
  std::vector<sim::IdealResult> planned = ideals.get();
  size_t next_ideal = 0;
  auto take_ideal = [&](const std::optional<sim::IdealInput>& in) {
    return in && next_ideal < planned.size() ? std::optional(planned[next_ideal++]) : std::nullopt;
  };
  LastReplicas last;
  {
    BufferedRecording::Source src(recording, recording.first_ms(), ctx.train_to_ms);
    RunOptions o;
    o.ideal = take_ideal(train_in);
    o.observer = &last;
    auto s = RunPolicy(out.recommended, best_cfg, src, o);
    if (!s) return s.error();
    out.train = std::move(*s);
  }
  out.ideal = out.train.ideal;  // the whole recording when nothing is held out
  out.ideal_input = has_holdout ? whole_in : train_in;
  if (train_in) {
    out.busiest_window_seconds = train_in->startup_seconds + train_in->slo.wait_seconds;
    out.train_busiest = FindBusiestWindow(train_in->arrivals, out.busiest_window_seconds);
    if (holdout_in) {
      out.holdout_busiest = FindBusiestWindow(holdout_in->arrivals, out.busiest_window_seconds);
    }
  }
  if (has_holdout) {
    BufferedRecording::Source src(recording, ctx.train_to_ms, whole_to);
    RunOptions o;
    o.ideal = take_ideal(holdout_in);
    // The held-out part starts where the training part left the pool (its replicas, ready), as
    // a live pool would be at that moment, not cold at initialReplicas: a cold start at the
    // split, with the load at its height, is not the policy's doing.
    sim::SimulationConfig holdout_cfg = best_cfg;
    if (last.replicas > 0) holdout_cfg.initial_replicas = last.replicas;
    out.holdout_initial_replicas = holdout_cfg.initial_replicas.value_or(a->spec.min_replicas);
    auto s = RunPolicy(out.recommended, holdout_cfg, src, o);
    if (!s) return s.error();
    out.holdout = std::move(*s);
    out.ideal = take_ideal(whole_in);
  }
  // The Pareto front: no other candidate is both cheaper and faster.
  std::vector<Evaluated> all;
  for (const auto& [key, e] : seen) {
    if (e.complete) all.push_back(e);
  }
  std::sort(all.begin(), all.end(), [](const Evaluated& x, const Evaluated& y) {
    return x.replica_hours < y.replica_hours ||
           (x.replica_hours == y.replica_hours && x.wait < y.wait);
  });
  double best_wait = 1e300;
  for (const auto& e : all) {
    if (e.wait < best_wait) {
      out.front.push_back(e);
      best_wait = e.wait;
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace ebb::tune
