#include "controller/sim/ideal_schedule.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace ebb::sim {
namespace {

// The histogram the summaries judge waits with reads a bucket's geometric middle, up to 0.5 %
// above the exact wait; the plan is built against a limit that much tighter, so a wait the plan
// keeps within it is never read as above the objective.
constexpr double kHistogramSlack = 1.006;

// Shares of the SLO's lateness budget the greedy pass may spend, tried in order until the
// replayed schedule meets the SLO as the summaries judge it (every task, censored ones
// included, by the same histogram). The last one lets no task exceed the objective.
constexpr std::array<double, 6> kBudgetShares{0.95, 0.85, 0.7, 0.5, 0.25, 0.0};

// Runs one block of arrivals through `q` with `replicas` ready.
void RunBlock(PoolQueue& q, const std::vector<RateSegment>& arrivals, size_t first, double b0,
              double b1, int64_t slots) {
  double t = b0;
  for (size_t k = first; k < arrivals.size() && arrivals[k].start < b1; ++k) {
    const RateSegment& s = arrivals[k];
    const double a = std::max(s.start, b0);
    const double b = std::min(s.end, b1);
    if (!(b > a)) continue;
    if (a > t) q.Advance(t, a, 0, slots);
    q.Advance(a, b, s.rate, slots);
    t = b;
  }
  if (b1 > t) q.Advance(t, b1, 0, slots);
}

struct Blocks {
  const IdealInput& in;
  size_t count;
  double start(size_t k) const { return static_cast<double>(k) * in.block_seconds; }
  double end(size_t k) const { return std::min(in.end_seconds, start(k) + in.block_seconds); }
};

// The fewest replicas per block, greedily: for each block the smallest count for which the
// tasks started so far exceeded `limit` no more often than `share` of the tasks arrived so far,
// and the oldest waiting task at the block's end has not exceeded it. More slots never start a
// task later (FIFO, the same tasks whatever the slots), so the count is found by bisection.
std::vector<int32_t> GreedyPlan(const IdealInput& in, const Blocks& blocks, double limit,
                                double share) {
  const int32_t lo_bound = std::max(0, in.min_replicas);
  const int32_t hi_bound = std::max(lo_bound, in.max_replicas);
  std::vector<int32_t> plan;
  plan.reserve(blocks.count);
  PoolQueue q(in.service, in.seed);
  q.set_wait_limit(limit);
  size_t first = 0;
  int32_t prev = lo_bound;
  for (size_t k = 0; k < blocks.count; ++k) {
    const double b0 = blocks.start(k);
    const double b1 = blocks.end(k);
    while (first < in.arrivals.size() && in.arrivals[first].end <= b0) ++first;
    auto run = [&](int32_t r) {
      PoolQueue trial = q;
      RunBlock(trial, in.arrivals, first, b0, b1, int64_t{r} * in.concurrency);
      return std::pair<double, double>(
          static_cast<double>(trial.exceeded()) - share * trial.arrived(), trial.OldestWait(b1));
    };
    // When even maxReplicas falls behind (a burst beyond the pool, or a budget spent by an
    // earlier one), the fewest replicas that do as well as maxReplicas; otherwise every later
    // block would run at the maximum until the budget recovered.
    const auto at_max = run(hi_bound);
    const double over_limit = std::max(0.0, at_max.first) + 1e-9;
    const double oldest_limit = std::max(limit, at_max.second);
    auto passes = [&](int32_t r) {
      const auto [over, oldest] = run(r);
      return over <= over_limit && oldest <= oldest_limit;
    };
    // Bisection, started next to the previous block's count (loads move slowly).
    int32_t lo = lo_bound;
    int32_t hi = hi_bound;
    if (prev > lo && prev < hi) {
      if (passes(prev)) {
        hi = prev;
        if (passes(prev - 1)) {
          hi = prev - 1;
        } else {
          lo = prev;
        }
      } else {
        lo = prev + 1;
      }
    }
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      if (passes(mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    RunBlock(q, in.arrivals, first, b0, b1, int64_t{lo} * in.concurrency);
    plan.push_back(lo);
    prev = lo;
  }
  return plan;
}

// A dip shorter than the start-up delay costs more in the restart than in keeping the replicas,
// so fill it: each block keeps at least the lower of the highest counts within one start-up
// delay before and after it. Only adds replicas, so no task starts later.
void FillDips(const IdealInput& in, std::vector<int32_t>& plan) {
  const auto reach = static_cast<size_t>(std::ceil(in.startup_seconds / in.block_seconds));
  if (reach == 0 || plan.size() <= 2) return;
  std::vector<int32_t> filled = plan;
  for (size_t k = 1; k + 1 < plan.size(); ++k) {
    int32_t before = 0;
    int32_t after = 0;
    for (size_t j = k > reach ? k - reach : 0; j < k; ++j) before = std::max(before, plan[j]);
    for (size_t j = k + 1; j <= std::min(plan.size() - 1, k + reach); ++j) {
      after = std::max(after, plan[j]);
    }
    filled[k] = std::max(plan[k], std::min(before, after));
  }
  plan.swap(filled);
}

// The schedule as run: cost, start-ups, waits, judged as a policy's run is.
IdealResult Replay(const IdealInput& in, const Blocks& blocks, std::vector<int32_t> plan) {
  IdealResult out;
  out.block_seconds = in.block_seconds;
  PoolQueue q(in.service, in.seed);
  q.set_wait_limit(in.slo.wait_seconds);
  Histogram waits;
  q.set_sink(&waits);
  size_t first = 0;
  int32_t prev = std::max(0, in.min_replicas);
  double replica_seconds = 0;
  double startup_seconds = 0;
  for (size_t k = 0; k < plan.size(); ++k) {
    const double b0 = blocks.start(k);
    const double b1 = blocks.end(k);
    while (first < in.arrivals.size() && in.arrivals[first].end <= b0) ++first;
    const int32_t r = plan[k];
    RunBlock(q, in.arrivals, first, b0, b1, int64_t{r} * in.concurrency);
    if (k > 0 && r != prev) ++out.scale_events;
    if (r > prev) startup_seconds += (r - prev) * in.startup_seconds;
    replica_seconds += r * (b1 - b0);
    prev = r;
  }
  out.replicas = std::move(plan);
  q.AddCensoredWaits(in.end_seconds, waits);
  out.replica_hours = (replica_seconds + startup_seconds) / 3600.0;
  out.startup_replica_hours = startup_seconds / 3600.0;
  out.work_bound_hours = q.work_seconds() / std::max(1, in.concurrency) / 3600.0;
  out.wait_quantile = waits.Quantile(in.slo.percentile / 100.0);
  out.met = out.wait_quantile <= in.slo.wait_seconds;
  return out;
}

}  // namespace

IdealResult ComputeIdeal(const IdealInput& in) {
  const Blocks blocks{
      in, static_cast<size_t>(std::ceil(std::max(0.0, in.end_seconds) / in.block_seconds))};
  const double share = 1.0 - in.slo.percentile / 100.0;
  const double limit = in.slo.wait_seconds / kHistogramSlack;
  IdealResult out;
  for (size_t i = 0; i < kBudgetShares.size(); ++i) {
    std::vector<int32_t> plan = GreedyPlan(in, blocks, limit, share * kBudgetShares[i]);
    FillDips(in, plan);
    out = Replay(in, blocks, std::move(plan));
    out.budget_share = kBudgetShares[i];
    out.attempts = static_cast<int32_t>(i + 1);
    if (out.met) break;
  }
  return out;
}

std::optional<IdealResult> IdealForRun(const SimulationInput& input, const RunInfo& info) {
  if (!input.slo) return std::nullopt;
  for (size_t i = 0; i < input.models.size() && i < info.arrival_history.size(); ++i) {
    const ModelConfig& m = input.models[i];
    if (m.type != ModelType::kQueue || m.queue_kind != QueueKind::kPool) continue;
    IdealInput in;
    in.arrivals = info.arrival_history[i];
    in.end_seconds = static_cast<double>((info.last - info.first).count()) / 1000.0;
    in.block_seconds = std::max<int32_t>(1, input.spec.polling_interval_seconds);
    in.startup_seconds = static_cast<double>(input.startup_delay.count()) / 1000.0;
    in.min_replicas = input.spec.min_replicas;
    in.max_replicas = input.spec.max_replicas;
    in.concurrency = m.concurrency;
    in.service = EffectiveServiceTime(m);
    in.seed = input.seed + i;  // the stream the run's pool used (Workload)
    in.slo = *input.slo;
    IdealResult r = ComputeIdeal(in);
    r.metric = input.spec.metrics[i].name;
    return r;
  }
  return std::nullopt;
}

}  // namespace ebb::sim
