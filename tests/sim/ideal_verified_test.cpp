// The ideal schedule meets the SLO by construction: replayed independently through the pool
// model and judged as a policy's run is (the percentile of every task's wait by the same
// histogram), on bursty loads where spending the whole lateness budget carelessly misses it.
#include <catch2/catch.hpp>
#include <cmath>

#include "controller/sim/ideal_schedule.h"
#include "controller/sim/pool_queue.h"

namespace ebb::sim {
namespace {

// Bursts: a quiet base with a minute-long spike every 20 minutes, minute by minute.
std::vector<RateSegment> Bursty(double base, double spike, int minutes) {
  std::vector<RateSegment> out;
  for (int m = 0; m < minutes; ++m) {
    const double rate = m % 20 == 7 ? spike : base + base * 0.5 * std::sin(m / 30.0);
    out.push_back({m * 60.0, (m + 1) * 60.0, rate});
  }
  return out;
}

struct Replayed {
  double quantile = 0;
  double replica_hours = 0;
};

// The plan run again from scratch: the same tasks (seed), the plan's slots per block, every
// task's wait (the ones still queued at the end with their wait so far), start-ups paid.
Replayed ReplayPlan(const IdealInput& in, const IdealResult& r) {
  PoolQueue q(in.service, in.seed);
  Histogram waits;
  q.set_sink(&waits);
  double replica_seconds = 0;
  int32_t prev = in.min_replicas;
  for (size_t k = 0; k < r.replicas.size(); ++k) {
    const double b0 = static_cast<double>(k) * in.block_seconds;
    const double b1 = std::min(in.end_seconds, b0 + in.block_seconds);
    double t = b0;
    for (const RateSegment& s : in.arrivals) {
      const double a = std::max(s.start, b0);
      const double b = std::min(s.end, b1);
      if (!(b > a)) continue;
      q.Advance(t, a, 0, int64_t{r.replicas[k]} * in.concurrency);
      q.Advance(a, b, s.rate, int64_t{r.replicas[k]} * in.concurrency);
      t = b;
    }
    q.Advance(t, b1, 0, int64_t{r.replicas[k]} * in.concurrency);
    replica_seconds += r.replicas[k] * (b1 - b0);
    if (r.replicas[k] > prev) replica_seconds += (r.replicas[k] - prev) * in.startup_seconds;
    prev = r.replicas[k];
  }
  q.AddCensoredWaits(in.end_seconds, waits);
  return {waits.Quantile(in.slo.percentile / 100.0), replica_seconds / 3600.0};
}

TEST_CASE("ideal: meets the SLO as a policy is judged, on bursty loads", "[sim][ideal]") {
  int checked = 0;
  for (const double wait : {10.0, 30.0, 120.0}) {
    for (const uint64_t seed : {1u, 2u, 3u}) {
      IdealInput in;
      in.block_seconds = 15;
      in.startup_seconds = 45;
      in.min_replicas = 1;
      in.max_replicas = 40;
      in.concurrency = 1;
      in.service.distribution = ServiceDistribution::kExponential;
      in.service.mean_seconds = 2;
      in.seed = seed;
      in.slo = {wait, 99};
      in.arrivals = Bursty(1.0, 12.0, 240);
      in.end_seconds = 240 * 60;
      const IdealResult r = ComputeIdeal(in);
      INFO("wait " << wait << " seed " << seed << ": p99 " << r.wait_quantile << ", share "
                   << r.budget_share);
      CHECK(r.budget_share <= 1);
      REQUIRE(r.met);
      const Replayed again = ReplayPlan(in, r);
      CHECK(again.quantile <= wait);
      CHECK(again.quantile == Approx(r.wait_quantile));
      CHECK(again.replica_hours == Approx(r.replica_hours));
      CHECK(r.replica_hours >= r.work_bound_hours);
      ++checked;
    }
  }
  CHECK(checked == 9);
}

TEST_CASE("ideal: an SLO maxReplicas cannot meet is reported missed", "[sim][ideal]") {
  IdealInput in;
  in.block_seconds = 15;
  in.startup_seconds = 45;
  in.min_replicas = 1;
  in.max_replicas = 3;
  in.service.mean_seconds = 1;
  in.slo = {5, 99};
  in.arrivals = {{0, 1800, 5}};  // 5 tasks/s of 1 s on at most 3 replicas
  in.end_seconds = 1800;
  const IdealResult r = ComputeIdeal(in);
  CHECK_FALSE(r.met);
  CHECK(r.wait_quantile > 5);
  // More tasks late than the SLO's budget even at maxReplicas: no budget left to spend.
  CHECK(r.budget_share > 1);
  CHECK(r.attempts == 1);
}

}  // namespace
}  // namespace ebb::sim
