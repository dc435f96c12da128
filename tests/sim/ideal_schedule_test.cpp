// The clairvoyant schedule: table-driven cases whose optimum is known by hand, bounds it must
// keep (work bound below, the cheapest fixed pool above), start-ups paid, and the bundled
// 14-day Celery recording, where the greedy ideal it replaced missed the SLO and cost more than
// a policy `ebb tune` found.
#include "controller/sim/ideal_schedule.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "controller/sim/pool_queue.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

IdealInput Base() {
  IdealInput in;
  in.block_seconds = 15;
  in.startup_seconds = 45;
  in.min_replicas = 0;
  in.max_replicas = 100;
  in.concurrency = 1;
  in.service.distribution = ServiceDistribution::kExponential;
  in.service.mean_seconds = 1;
  in.seed = 5;
  in.slo = {10, 99};
  return in;
}

// A fixed pool of `r` replicas from the start (started at once, as the ideal's first block is):
// its cost and whether it meets the SLO, judged as a policy's run is.
struct Fixed {
  double replica_hours = 0;
  bool met = false;
};

Fixed FixedPool(const IdealInput& in, int32_t r) {
  PoolQueue q(in.service, in.seed);
  Histogram waits;
  q.set_sink(&waits);
  double t = 0;
  for (const RateSegment& s : in.arrivals) {
    q.Advance(t, s.start, 0, int64_t{r} * in.concurrency);
    q.Advance(s.start, s.end, s.rate, int64_t{r} * in.concurrency);
    t = s.end;
  }
  q.Advance(t, in.end_seconds, 0, int64_t{r} * in.concurrency);
  q.AddCensoredWaits(in.end_seconds, waits);
  const double startup = std::max(0, r - in.min_replicas) * in.startup_seconds;
  return {(r * in.end_seconds + startup) / 3600.0,
          waits.Quantile(in.slo.percentile / 100.0) <= in.slo.wait_seconds};
}

struct HandCase {
  const char* name;
  std::vector<RateSegment> arrivals;
  double end_seconds;
  int32_t min_replicas;
  double wait_seconds;
  double service_seconds;  // constant
  int32_t concurrency;
  double expected_hours;  // the optimum, worked out by hand
};

TEST_CASE("ideal: the optimum where it is known by hand", "[sim][ideal]") {
  const std::vector<HandCase> cases{
      // Nothing arrives: the floor all along, no start-up.
      {"idle at a floor of 2", {}, 3600, 2, 10, 1, 1, 2.0},
      {"idle from zero", {}, 3600, 0, 10, 1, 1, 0.0},
      // The objective is longer than the run: every task may wait until the end.
      {"objective longer than the run", {{0, 600, 2}}, 1800, 0, 3600, 1, 1, 0.0},
      // 0.2 tasks/s of 1 s on 4 slots: one replica never lets a task wait 30 s; the floor is 1.
      {"light load at the floor", {{0, 3600, 0.2}}, 3600, 1, 30, 1, 4, 1.0},
  };
  for (const HandCase& c : cases) {
    IdealInput in = Base();
    in.arrivals = c.arrivals;
    in.end_seconds = c.end_seconds;
    in.min_replicas = c.min_replicas;
    in.slo = {c.wait_seconds, 99};
    in.service.distribution = ServiceDistribution::kConstant;
    in.service.mean_seconds = c.service_seconds;
    in.concurrency = c.concurrency;
    const IdealResult r = ComputeIdeal(in);
    INFO(c.name << ": " << r.replica_hours << " h");
    CHECK(r.met);
    CHECK(r.replica_hours == Approx(c.expected_hours).margin(1e-9));
    CHECK(r.replicas.size() == static_cast<size_t>(c.end_seconds / 15));
  }
}

TEST_CASE("ideal: a known burst costs what is worked out by hand", "[sim][ideal]") {
  // 600 tasks of exactly 1 s within one 15 s block (40/s), nothing else, floor 0, 10 s at p99
  // (6 tasks may wait longer). They need 600 replica-seconds of work, started within about
  // 10 s of arriving: 25 to 30 replicas for about 30 s, each paying a 45 s start-up, about
  // 0.6-0.65 replica-hours. A pool sized for the burst from the start costs
  // hours x replicas.
  IdealInput in = Base();
  in.service.distribution = ServiceDistribution::kConstant;
  in.service.mean_seconds = 1;
  in.arrivals = {{600, 615, 40}};
  in.end_seconds = 1200;
  in.slo = {10, 99};
  const IdealResult r = ComputeIdeal(in);
  INFO(r.replica_hours << " h, work " << r.work_bound_hours << " h, p99 " << r.wait_quantile);
  REQUIRE(r.met);
  const double work = r.work_bound_hours;  // 600 s of work, as drawn
  CHECK(work == Approx(600 / 3600.0).epsilon(0.1));
  // Above the work plus a start-up per replica that does it, below 0.8 h.
  CHECK(r.replica_hours >= work);
  CHECK(r.replica_hours <= 0.8);
  // Zero before the burst and after it has been served.
  CHECK(r.replicas[10] == 0);
  CHECK(r.replicas.back() == 0);
}

TEST_CASE("ideal: a backlog maxReplicas cannot avoid is worked off, not starved", "[sim][ideal]") {
  // 2 tasks/s of 1 s for 4 hours and, an hour in, a minute at 25/s: 10 replicas leave a
  // backlog of about 900 tasks that takes two minutes to work off, longer than the planner's
  // look-ahead, and about 1,600 tasks late; the p90 allows 2,900. Every count then makes the
  // same tasks late within the look-ahead; the plan must still work the backlog off at the
  // cap's pace, not leave it waiting (which makes every later task late too).
  IdealInput in = Base();
  in.max_replicas = 10;
  in.service.distribution = ServiceDistribution::kConstant;
  in.arrivals = {{0, 3600, 2}, {3600, 3660, 25}, {3660, 4 * 3600, 2}};
  in.end_seconds = 4 * 3600;
  in.slo = {10, 90};
  REQUIRE(FixedPool(in, in.max_replicas).met);
  const IdealResult r = ComputeIdeal(in);
  INFO(r.replica_hours << " h, p90 " << r.wait_quantile << " s, budget share " << r.budget_share);
  CHECK(r.met);
  CHECK(r.wait_quantile <= 10);
  CHECK(r.budget_share <= 1);
  CHECK(r.replica_hours <= FixedPool(in, in.max_replicas).replica_hours);
}

// Bursts: a quiet base with a minute-long spike every 20 minutes, minute by minute.
std::vector<RateSegment> Bursty(double base, double spike, int minutes) {
  std::vector<RateSegment> out;
  for (int m = 0; m < minutes; ++m) {
    const double rate = m % 20 == 7 ? spike : base + base * 0.5 * std::sin(m / 30.0);
    out.push_back({m * 60.0, (m + 1) * 60.0, rate});
  }
  return out;
}

TEST_CASE("ideal: between the work bound and the cheapest fixed pool", "[sim][ideal]") {
  for (const double wait : {10.0, 60.0}) {
    IdealInput in = Base();
    in.min_replicas = 1;
    in.max_replicas = 40;
    in.service.mean_seconds = 2;
    in.slo = {wait, 99};
    in.arrivals = Bursty(1.0, 12.0, 240);
    in.end_seconds = 240 * 60;
    const IdealResult r = ComputeIdeal(in);
    REQUIRE(r.met);
    int32_t fixed = 1;
    while (fixed < in.max_replicas && !FixedPool(in, fixed).met) ++fixed;
    const Fixed f = FixedPool(in, fixed);
    INFO("wait " << wait << ": ideal " << r.replica_hours << " h, work " << r.work_bound_hours
                 << " h, fixed pool of " << fixed << " " << f.replica_hours << " h");
    REQUIRE(f.met);
    CHECK(r.replica_hours >= r.work_bound_hours);
    // A schedule that follows the load needs far less than the pool sized for the spikes.
    CHECK(r.replica_hours < 0.7 * f.replica_hours);
    // And close to the work: the quiet base needs 1-3 replicas of 2 s tasks.
    CHECK(r.replica_hours < 1.8 * r.work_bound_hours);
  }
}

TEST_CASE("ideal: start-ups are paid", "[sim][ideal]") {
  IdealInput in = Base();
  in.arrivals = {{0, 600, 5}};
  in.end_seconds = 600;
  IdealInput slow = in;
  slow.startup_seconds = 600;
  const IdealResult a = ComputeIdeal(in);
  const IdealResult b = ComputeIdeal(slow);
  // A longer start-up costs more: each replica added pays it (and longer dips are kept).
  CHECK(b.replica_hours > a.replica_hours);
  // From minReplicas 0, the first replicas were started, and paid for.
  CHECK(a.startup_replica_hours >=
        *std::max_element(a.replicas.begin(), a.replicas.end()) * 45.0 / 3600.0);
  CHECK(b.startup_replica_hours > a.startup_replica_hours);
}

TEST_CASE("ideal: it starts where the policy's run starts", "[sim][ideal]") {
  IdealInput in = Base();
  in.arrivals = {{0, 3600, 2}};  // about 2 busy replicas from the first second
  in.end_seconds = 3600;
  const IdealResult warm = ComputeIdeal(in);  // no cold start: ready at once
  REQUIRE(warm.replicas.size() > 4);
  CHECK(warm.replicas[0] >= 2);

  // One replica ready: the others serve only from the first block a start-up (45 s) in, and
  // the queue that forms meanwhile is worked off after.
  IdealInput cold = in;
  cold.initial_replicas = 1;
  const IdealResult c = ComputeIdeal(cold);
  for (size_t k = 0; k < 3; ++k) CHECK(c.replicas[k] == 1);
  CHECK(c.replicas[3] > warm.replicas[3]);
  CHECK(c.wait_quantile > warm.wait_quantile);

  // Replicas already running are not started again: no start-up is paid going down from them.
  IdealInput ready = in;
  ready.initial_replicas = 8;
  const IdealResult r = ComputeIdeal(ready);
  CHECK(r.replicas[0] <= 8);
  CHECK(r.startup_replica_hours < warm.startup_replica_hours);
  // Above maxReplicas, the run starts at maxReplicas.
  IdealInput over = in;
  over.initial_replicas = 500;
  over.max_replicas = 4;
  const IdealResult o = ComputeIdeal(over);
  CHECK(o.startup_replica_hours < warm.startup_replica_hours);
  CHECK(*std::max_element(o.replicas.begin(), o.replicas.end()) <= 4);
}

TEST_CASE("ideal: held to an event rate, it changes its count less often and costs more",
          "[sim][ideal]") {
  IdealInput in = Base();
  // Two minutes busy, two minutes quiet, for two hours: the ideal follows every swing.
  for (double t = 0; t < 7200; t += 240) in.arrivals.push_back({t, t + 120, 6});
  in.end_seconds = 7200;
  const IdealResult ideal = ComputeIdeal(in);
  REQUIRE(ideal.met);
  REQUIRE(ideal.scale_events > 40);

  struct Row {
    double events_per_hour;
  };
  for (const Row& row : {Row{10}, Row{4}, Row{1}, Row{0}}) {
    CAPTURE(row.events_per_hour);
    const IdealResult held = HoldIdeal(in, ideal, row.events_per_hour);
    CHECK(held.scale_events <= row.events_per_hour * 2 + 1e-9);
    CHECK(held.replica_hours > ideal.replica_hours);
    CHECK(held.met);
    CHECK(held.wait_quantile <= ideal.wait_quantile);
    // Dearer than the ideal by less than holding the ideal's highest count all along.
    CHECK(held.replica_hours <
          *std::max_element(ideal.replicas.begin(), ideal.replicas.end()) * 2.0 +
              ideal.startup_replica_hours);
    REQUIRE(held.replicas.size() == ideal.replicas.size());
    for (size_t k = 0; k < held.replicas.size(); ++k) CHECK(held.replicas[k] >= ideal.replicas[k]);
  }
  // A rate the ideal keeps anyway: the ideal itself.
  const IdealResult same = HoldIdeal(in, ideal, 1000);
  CHECK(same.replicas == ideal.replicas);
  CHECK(same.replica_hours == Approx(ideal.replica_hours));
  // Merging the cheapest levels first: at a quarter of the ideal's rate it costs less than
  // holding each four-minute cycle at its peak (what windows of a cycle would do).
  double cycles_at_peak = 0;
  for (size_t a = 0; a < ideal.replicas.size(); a += 16) {
    const size_t b = std::min(ideal.replicas.size(), a + 16);
    cycles_at_peak += *std::max_element(ideal.replicas.begin() + static_cast<std::ptrdiff_t>(a),
                                        ideal.replicas.begin() + static_cast<std::ptrdiff_t>(b)) *
                      static_cast<double>(b - a) * in.block_seconds / 3600.0;
  }
  const double hours = in.end_seconds / 3600.0;
  const IdealResult quarter = HoldIdeal(in, ideal, ideal.scale_events / 4.0 / hours);
  CHECK(quarter.scale_events <= ideal.scale_events / 4);
  CHECK(quarter.replica_hours < cycles_at_peak);
}

TEST_CASE("ideal: a tighter SLO costs more, an unreachable one is reported", "[sim][ideal]") {
  IdealInput in = Base();
  // An hour at 8 tasks/s, an hour at 2 tasks/s.
  in.arrivals = {{0, 3600, 8}, {3600, 7200, 2}};
  in.end_seconds = 7200;
  const IdealResult r = ComputeIdeal(in);
  CHECK(r.met);
  CHECK(r.work_bound_hours == Approx(10).epsilon(0.03));  // 36000 s of work
  CHECK(r.replicas[100] > r.replicas[400]);               // it follows the load
  IdealInput tight = in;
  tight.slo = {1, 99};
  CHECK(ComputeIdeal(tight).replica_hours > r.replica_hours);
  IdealInput small = in;
  small.max_replicas = 6;
  const IdealResult s = ComputeIdeal(small);
  CHECK_FALSE(s.met);
  CHECK(s.budget_share > 1);  // more tasks late than the SLO allows
}

// The bundled recording as the arrivals it holds (tasks per minute).
std::vector<RateSegment> CeleryArrivals(double& end_seconds) {
  std::ifstream f(testing::SourceDir() + "/examples/recordings/celery-arrivals.csv");
  std::vector<RateSegment> out;
  std::string line;
  int64_t first = -1;
  while (std::getline(f, line)) {
    std::istringstream row(line);
    std::string ts, metric, value;
    if (!std::getline(row, ts, ',') || !std::getline(row, metric, ',') ||
        !std::getline(row, value) || metric != "backlog") {
      continue;
    }
    const int64_t t = std::stoll(ts);
    if (first < 0) first = t;
    const auto start = static_cast<double>(t - first);
    out.push_back({start, start + 60, std::stod(value) / 60.0});
  }
  end_seconds = out.empty() ? 0 : out.back().end;
  return out;
}

TEST_CASE("ideal: the bundled Celery recording, met and below what tune finds",
          "[sim][ideal][e2e]") {
  // bench/sim/workloads/celery.yaml: 2 s tasks (exponential), 1 to 20 replicas, p99 wait 120 s,
  // start-up 45 s, ticks 15 s. The greedy ideal this replaced MISSED the SLO here (1149.7
  // replica-hours) while `ebb tune` found a policy meeting it at 1042.9; the clairvoyant
  // schedule costs 779. A valid ideal meets it, below any policy that does.
#if defined(__SANITIZE_ADDRESS__)
  // 14 days of 2 s tasks: ~30 s of CPU optimised, over ctest's 900 s under ASan+UBSan (Debug).
  // The RelWithDebInfo stage of scripts/test.sh runs it; the other [ideal] cases run here too.
  WARN("skipped under ASan: the 14-day ideal takes longer than the test timeout there");
  return;
#endif
  IdealInput in = Base();
  in.arrivals = CeleryArrivals(in.end_seconds);
  REQUIRE(in.end_seconds == Approx(14 * 86400.0));
  in.min_replicas = 1;
  in.max_replicas = 20;
  in.service.mean_seconds = 2;
  in.seed = 1;
  in.slo = {120, 99};
  const IdealResult r = ComputeIdeal(in);
  INFO(r.replica_hours << " h, work " << r.work_bound_hours << " h, p99 " << r.wait_quantile
                       << " s, budget share " << r.budget_share << ", start-ups "
                       << r.startup_replica_hours << " h, " << r.scale_events << " events, "
                       << r.attempts << " plans");
  CHECK(r.met);
  CHECK(r.replica_hours < 1042.9);
  CHECK(r.replica_hours < 1.5 * r.work_bound_hours);
}

}  // namespace
}  // namespace ebb::sim
