#include "controller/sim/ideal_schedule.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>

namespace ebb::sim {
namespace {

// The histogram the summaries judge waits with reads a bucket's geometric middle, up to 0.5 %
// above the exact wait; the plan is built against a limit that much tighter, so a wait the plan
// keeps within it is never read as above the objective.
constexpr double kHistogramSlack = 1.006;

constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr int64_t kNoBound = std::numeric_limits<int64_t>::max();
constexpr size_t kNone = std::numeric_limits<size_t>::max();

// Runs one block of arrivals through `q` with `slots` worker slots.
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

// Every task of the run, known ahead: the same sample path a policy's run sees (the pool draws
// arrivals and service times independently of its slots).
struct Tasks {
  std::vector<double> arrival;
  std::vector<float> service;
  size_t size() const { return arrival.size(); }
};

template <typename Service>
void Generate(const IdealInput& in, const Blocks& blocks, std::vector<double>& arrival,
              std::vector<Service>& service) {
  PoolQueue gen(in.service, in.seed);
  size_t first = 0;
  for (size_t k = 0; k < blocks.count; ++k) {
    while (first < in.arrivals.size() && in.arrivals[first].end <= blocks.start(k)) ++first;
    RunBlock(gen, in.arrivals, first, blocks.start(k), blocks.end(k), 0);
    gen.TakeWaiting(arrival, service);
  }
}

Blocks BlocksOf(const IdealInput& in) {
  return Blocks{in,
                static_cast<size_t>(std::ceil(std::max(0.0, in.end_seconds) / in.block_seconds))};
}

// The pool over the known tasks, by PoolQueue's rules (FIFO; a task starts when a slot is
// free; slots taken away let running tasks finish), cheap to copy for trials: its state is the
// first task not started and the running tasks' completion times.
struct Pool {
  size_t next = 0;
  CompletionHeap busy;  // completion times (pool_queue.h)
  int64_t late = 0;     // tasks started after waiting longer than the limit

  // Runs [b0, b1) with `slots` slots; stops early (the block unfinished) once more than
  // `stop_above` tasks are late, when the caller needs to know no more than that.
  // The planner's trial runs are most of a tune's time: a task that starts as another finishes
  // takes its place in the heap in one sift. The running tasks as a set, and so every start
  // time, are those of popping every finished task first and then starting the queued ones.
  void Run(const Tasks& t, double b0, double b1, int64_t slots, double limit,
           int64_t stop_above = kNoBound) {
    const size_t n = t.size();
    double now = b0;
    for (;;) {
      if (late > stop_above) return;
      if (next < n && t.arrival[next] <= now) {
        const bool finished = !busy.empty() && busy.top() <= now;
        const auto running = static_cast<int64_t>(busy.size());
        if ((finished && running <= slots) || running < slots) {
          if (now - t.arrival[next] > limit) ++late;
          const double done = now + static_cast<double>(t.service[next]);
          if (finished && running <= slots)
            busy.replace_top(done);
          else
            busy.push(done);
          ++next;
          continue;
        }
      }
      while (!busy.empty() && busy.top() <= now) busy.pop();
      const bool free = static_cast<int64_t>(busy.size()) < slots;
      if (free && next < n && t.arrival[next] <= now) continue;
      double event = busy.empty() ? kNever : busy.top();
      if (free && next < n) event = std::min(event, t.arrival[next]);
      if (!(event < b1)) break;
      now = event;
    }
  }

  // Tasks still waiting at `now` that have waited longer than `limit` (the oldest come first).
  int64_t Overdue(const Tasks& t, double now, double limit) const {
    // Arrivals are sorted: the overdue ones are a prefix of the waiting ones. Found by bisection,
    // with the same comparison as a scan (a deep backlog made the scan most of the planning).
    const auto first = t.arrival.begin() + static_cast<std::ptrdiff_t>(next);
    const auto end =
        std::partition_point(first, t.arrival.end(), [&](double a) { return now - a > limit; });
    return end - first;
  }
};

struct Planner {
  const IdealInput& in;
  const Blocks& blocks;
  const Tasks& tasks;
  double limit;
  size_t horizon;  // blocks a choice is judged over: the wait limit plus tasks in flight
  // Blocks a count must hold for: a replica added pays a start-up, so a count kept only for a
  // block before rising again is a saving lost to the restart.
  size_t hold;

  int32_t lo_bound() const { return std::max(0, in.min_replicas); }
  int64_t Slots(int32_t r) const { return int64_t{r} * std::max(1, in.concurrency); }

  // The latest-start plan under per-block caps: each block, in order, gets the fewest replicas
  // for which no more tasks are late over the next `horizon` blocks (this one at that count,
  // the later ones at their caps) than with this block at its cap as well. Tasks are thus
  // started as late as their deadlines (arrival + limit) allow, never so late that a burst
  // ahead could no longer be met within the caps. `late` is the plan's late tasks, the ones
  // still waiting at the end included. With more than `abort_above` late tasks the plan is
  // abandoned (an empty plan, `late` above the bound): a bisection needs no more than that.
  std::vector<int32_t> Plan(const std::vector<int32_t>& caps, int64_t& late,
                            int64_t abort_above = kNoBound) const {
    std::vector<int32_t> plan;
    plan.reserve(blocks.count);
    Pool state;
    Pool trial;  // reused: its buffer keeps its capacity
    int32_t prev = lo_bound();
    bool overloaded = false;
    for (size_t k = 0; k < blocks.count; ++k) {
      const size_t last = std::min(blocks.count - 1, k + horizon);
      // The late tasks with this block at r; any number above `stop_above` once it is known
      // to be above it. `overdue` is set to those still waiting at the horizon's end (late).
      int64_t overdue = 0;
      auto late_with = [&](int32_t r, int64_t stop_above) {
        Pool& p = trial;
        p.next = state.next;
        p.busy = state.busy;
        p.late = 0;
        overdue = 0;
        for (size_t j = k; j <= last; ++j) {
          const int32_t at = j < k + hold ? std::min(r, caps[j]) : caps[j];
          p.Run(tasks, blocks.start(j), blocks.end(j), Slots(j == k ? r : at), limit, stop_above);
          if (p.late > stop_above) return p.late;
        }
        overdue = p.Overdue(tasks, blocks.end(last), limit);
        return p.late + overdue;
      };
      const int32_t lo_r = lo_bound();
      const int32_t hi_r = std::max(lo_r, caps[k]);
      int64_t reference = -1;  // the late tasks with this block at its cap, when needed
      int64_t reference_overdue = 0;
      // Where the previous block could not avoid late tasks, this one likely cannot either:
      // the reference first, so every trial can stop as soon as it is worse.
      if (overloaded) {
        reference = late_with(hi_r, kNoBound);
        reference_overdue = overdue;
      }
      // Where late tasks cannot be avoided within the horizon (a backlog longer than it), fewer
      // replicas would count the same late tasks (late either way) and starve them: a count
      // passes only if it also leaves no more of them waiting at the horizon's end than the cap
      // does, so an unavoidable backlog is worked off at the cap's pace.
      auto passes = [&](int32_t r) {
        if (reference < 0) {
          const int64_t n = late_with(r, kNoBound);
          if (n == 0) return true;
          const int64_t n_overdue = overdue;
          reference = late_with(hi_r, kNoBound);
          reference_overdue = overdue;
          return n <= reference && n_overdue <= reference_overdue;
        }
        return late_with(r, reference) <= reference && overdue <= reference_overdue;
      };
      // Bisection (more slots never start a task later; the cap always passes), started next
      // to the previous count: most blocks keep it or move it by one, so one or two trials
      // settle them.
      int32_t lo = lo_r;
      int32_t hi = hi_r;
      const int32_t from = std::clamp(prev, lo, hi);
      if (from < hi) {
        if (passes(from)) {
          hi = from;
          if (from > lo) {
            if (passes(from - 1)) {
              hi = from - 1;
            } else {
              lo = from;
            }
          }
        } else {
          lo = from + 1;
          if (lo < hi) {
            if (passes(lo)) {
              hi = lo;
            } else {
              lo = lo + 1;
            }
          }
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
      state.Run(tasks, blocks.start(k), blocks.end(k), Slots(lo), limit);
      plan.push_back(lo);
      prev = lo;
      overloaded = reference > 0;
      if (state.late > abort_above) {
        late = state.late;
        return {};
      }
    }
    late = state.late + state.Overdue(tasks, in.end_seconds, limit);
    return plan;
  }
};

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

// The replicas the run starts with, paid for before it (no start-up charged for them).
int32_t StartingReplicas(const IdealInput& in) {
  const int32_t lo = std::max(0, in.min_replicas);
  if (in.initial_replicas < 0) return lo;
  return std::clamp(in.initial_replicas, lo, std::max(lo, in.max_replicas));
}

int32_t TopReplicas(const IdealInput& in) {
  return std::max({0, in.min_replicas, in.max_replicas});
}

// The blocks of a cold start: before a replica started at the run's start is ready, only the
// initial replicas serve (none without a cold start, or when those are already maxReplicas).
size_t ColdBlocks(const IdealInput& in, const Blocks& blocks) {
  if (in.initial_replicas < 0 || StartingReplicas(in) >= TopReplicas(in)) return 0;
  size_t k = 0;
  while (k < blocks.count && blocks.start(k) < in.startup_seconds) ++k;
  return k;
}

// The most replicas each block may have before any cap of the plan: maxReplicas, but only the
// initial replicas in a cold start's blocks.
std::vector<int32_t> OpenCaps(const IdealInput& in, const Blocks& blocks) {
  std::vector<int32_t> caps(blocks.count, TopReplicas(in));
  std::fill_n(caps.begin(), ColdBlocks(in, blocks), StartingReplicas(in));
  return caps;
}

// The schedule as run through the pool model itself: cost, start-ups, waits, judged exactly as
// a policy's run is.
IdealResult Replay(const IdealInput& in, const Blocks& blocks, std::vector<int32_t> plan) {
  IdealResult out;
  out.block_seconds = in.block_seconds;
  PoolQueue q(in.service, in.seed);
  q.set_wait_limit(in.slo.wait_seconds);
  Histogram waits;
  q.set_sink(&waits);
  size_t first = 0;
  int32_t prev = StartingReplicas(in);
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

// Each block's cap: the zero-late plan's centred mean over `radius` blocks either side plus
// `theta`, never above the zero-late count itself (more would not help) nor maxReplicas.
std::vector<int32_t> Caps(const std::vector<int32_t>& strict, const std::vector<double>& mean,
                          double theta, int32_t lo) {
  std::vector<int32_t> caps(strict.size());
  for (size_t k = 0; k < strict.size(); ++k) {
    const auto c = static_cast<int32_t>(std::ceil(mean[k] + theta - 1e-9));
    caps[k] = std::max(lo, std::min(strict[k], c));
  }
  return caps;
}

std::vector<double> CentredMean(const std::vector<int32_t>& v, size_t radius) {
  std::vector<double> prefix(v.size() + 1, 0.0);
  for (size_t k = 0; k < v.size(); ++k) prefix[k + 1] = prefix[k] + v[k];
  std::vector<double> out(v.size());
  for (size_t k = 0; k < v.size(); ++k) {
    const size_t a = k > radius ? k - radius : 0;
    const size_t b = std::min(v.size(), k + radius + 1);
    out[k] = (prefix[b] - prefix[a]) / static_cast<double>(b - a);
  }
  return out;
}

}  // namespace

IdealResult ComputeIdeal(const IdealInput& in) {
  const Blocks blocks = BlocksOf(in);
  const double limit = in.slo.wait_seconds / kHistogramSlack;
  Tasks tasks;
  Generate(in, blocks, tasks.arrival, tasks.service);
  double mean_service = 0;
  for (float s : tasks.service) mean_service += static_cast<double>(s);
  if (tasks.size() > 0) mean_service /= static_cast<double>(tasks.size());
  const auto horizon = static_cast<size_t>(
      std::clamp(std::ceil((limit + 2 * mean_service) / in.block_seconds) + 1.0, 1.0, 64.0));
  const auto hold =
      static_cast<size_t>(std::clamp(std::ceil(in.startup_seconds / in.block_seconds), 1.0, 64.0));
  const Planner planner{in, blocks, tasks, limit, horizon + hold, hold};
  const int32_t lo = planner.lo_bound();
  const int32_t top = TopReplicas(in);

  // The lateness budget: the tasks that may wait longer than the objective with the SLO's
  // percentile (nearest rank, as the summaries read it) still within it.
  const auto n = static_cast<int64_t>(tasks.size());
  const auto ranked =
      static_cast<int64_t>(std::ceil(in.slo.percentile / 100.0 * static_cast<double>(n) - 1e-9));
  const int64_t budget = std::max<int64_t>(0, n - ranked);

  // First the plan that makes no task late that maxReplicas could serve in time.
  int32_t passes = 1;
  int64_t strict_late = 0;
  const std::vector<int32_t> strict = planner.Plan(OpenCaps(in, blocks), strict_late);
  std::vector<int32_t> best = strict;
  int64_t best_late = strict_late;

  // Then spend the budget where it saves most: on the zero-late plan's peaks above its own
  // running mean (bursts a pool would otherwise start replicas for). The caps are the mean
  // plus theta; the lowest theta whose plan stays within the budget is bisected for.
  if (strict_late < budget && blocks.count > 0) {
    const auto radius = static_cast<size_t>(
        std::ceil(4 * std::max(in.slo.wait_seconds, in.startup_seconds) / in.block_seconds));
    const std::vector<double> mean = CentredMean(strict, radius);
    // Room for the replay's small differences from the planning pool (service times kept in
    // single precision, the order of events at equal times).
    const int64_t target = budget - std::max<int64_t>(1, budget / 50);
    double lo_theta = -1;                        // a theta known to exceed the budget (or none)
    double hi_theta = static_cast<double>(top);  // known within: the zero-late plan
    while (hi_theta - lo_theta > 0.25) {
      const double theta = lo_theta + (hi_theta - lo_theta) / 2;
      int64_t late = 0;
      std::vector<int32_t> plan = planner.Plan(Caps(strict, mean, theta, lo), late, target);
      ++passes;
      if (late <= target) {
        hi_theta = theta;
        best = std::move(plan);
        best_late = late;
      } else {
        lo_theta = theta;
      }
    }
  }
  FillDips(in, best);
  IdealResult out = Replay(in, blocks, best);
  if (!out.met && best_late != strict_late) {
    // The replay judged it differently from the plan: fall back to the zero-late plan.
    std::vector<int32_t> plan = strict;
    FillDips(in, plan);
    out = Replay(in, blocks, std::move(plan));
    best_late = strict_late;
  }
  out.metric = in.metric;
  out.attempts = passes;
  out.budget_share =
      budget > 0 ? static_cast<double>(best_late) / static_cast<double>(budget) : 0.0;
  return out;
}

IdealResult HoldIdeal(const IdealInput& in, const IdealResult& ideal, double max_events_per_hour) {
  const Blocks blocks = BlocksOf(in);
  const std::vector<int32_t>& plan = ideal.replicas;
  if (plan.size() != blocks.count || plan.empty()) return ideal;
  const double hours = std::max(0.0, in.end_seconds) / 3600.0;
  const auto allowed =
      static_cast<int64_t>(std::floor(std::max(0.0, max_events_per_hour) * hours + 1e-9));
  // A cold start's blocks stay as planned (their cap is below the rest's); the levels after
  // them are merged.
  const size_t fixed = ColdBlocks(in, blocks);

  // The plan after the cold start as levels (runs of one count), linked both ways.
  struct Level {
    size_t begin = 0;
    size_t length = 0;
    int32_t replicas = 0;
    size_t prev = kNone;
    size_t next = kNone;
    uint64_t version = 0;  // bumped on every change: queued merges of an older one are stale
    bool gone = false;
  };
  std::vector<Level> levels;
  for (size_t k = fixed; k < plan.size(); ++k) {
    if (levels.empty() || plan[k] != levels.back().replicas) {
      Level l;
      l.begin = k;
      l.replicas = plan[k];
      l.prev = levels.empty() ? kNone : levels.size() - 1;
      if (!levels.empty()) levels.back().next = levels.size();
      levels.push_back(l);
    }
    ++levels.back().length;
  }
  int64_t events = 0;
  for (size_t k = 1; k < plan.size(); ++k) events += plan[k] != plan[k - 1] ? 1 : 0;

  // The cheapest merge first: two neighbouring levels become one at the higher count (only
  // adding replicas), which costs the replica-blocks added and saves at least one event.
  struct Merge {
    double cost;
    size_t left;
    uint64_t left_version;
    uint64_t right_version;
    bool operator>(const Merge& o) const {
      return cost > o.cost || (cost == o.cost && left > o.left);
    }
  };
  std::priority_queue<Merge, std::vector<Merge>, std::greater<>> queue;
  auto offer = [&](size_t left) {
    if (left == kNone || levels[left].next == kNone) return;
    const Level& a = levels[left];
    const Level& b = levels[a.next];
    const int32_t top = std::max(a.replicas, b.replicas);
    const double cost = static_cast<double>(top - a.replicas) * static_cast<double>(a.length) +
                        static_cast<double>(top - b.replicas) * static_cast<double>(b.length);
    queue.push({cost, left, a.version, b.version});
  };
  for (size_t i = 0; i + 1 < levels.size(); ++i) offer(i);
  while (events > allowed && !queue.empty()) {
    const Merge m = queue.top();
    queue.pop();
    Level& a = levels[m.left];
    if (a.gone || a.version != m.left_version || a.next == kNone ||
        levels[a.next].version != m.right_version) {
      continue;
    }
    Level& b = levels[a.next];
    a.replicas = std::max(a.replicas, b.replicas);
    a.length += b.length;
    a.next = b.next;
    if (b.next != kNone) levels[b.next].prev = m.left;
    b.gone = true;
    ++a.version;
    --events;
    // Merged into a level of the same count as a neighbour, the change between them is gone
    // too: offered at no cost, taken next.
    offer(a.prev);
    offer(m.left);
  }
  std::vector<int32_t> held = plan;
  for (const Level& l : levels) {
    if (l.gone) continue;
    std::fill(held.begin() + static_cast<std::ptrdiff_t>(l.begin),
              held.begin() + static_cast<std::ptrdiff_t>(l.begin + l.length), l.replicas);
  }
  IdealResult out = Replay(in, blocks, std::move(held));
  out.metric = ideal.metric;
  out.attempts = ideal.attempts;
  return out;
}

PoolTasks DrawTasks(const IdealInput& in) {
  PoolTasks t;
  Generate(in, BlocksOf(in), t.arrival, t.service);
  return t;
}

std::optional<IdealResult> IdealForRun(const SimulationInput& input, const RunInfo& info) {
  auto in = IdealInputForRun(input, info);
  if (!in) return std::nullopt;
  return ComputeIdeal(*in);
}

std::optional<IdealInput> IdealInputForRun(const SimulationInput& input, const RunInfo& info) {
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
    in.initial_replicas = input.initial_replicas;
    in.concurrency = m.concurrency;
    in.service = EffectiveServiceTime(m);
    in.seed = input.seed + i;  // the stream the run's pool used (Workload)
    in.slo = *input.slo;
    in.metric = input.spec.metrics[i].name;
    return in;
  }
  return std::nullopt;
}

}  // namespace ebb::sim
