// The worker-pool queue: random arrivals form a queue below capacity, the sample path depends
// only on the seed and the rate, and running tasks finish when slots are taken away.
#include "controller/sim/pool_queue.h"

#include <catch2/catch.hpp>
#include <memory>

#include "controller/sim/ideal_schedule.h"

namespace ebb::sim {
namespace {

ServiceTime Exponential(double mean) {
  ServiceTime s;
  s.distribution = ServiceDistribution::kExponential;
  s.mean_seconds = mean;
  return s;
}

ServiceTime Constant(double mean) {
  ServiceTime s;
  s.distribution = ServiceDistribution::kConstant;
  s.mean_seconds = mean;
  return s;
}

TEST_CASE("pool: a queue forms below capacity, as M/M/1 predicts", "[sim][pool]") {
  // 80 % utilization: the fluid model would show no queue at all; M/M/1 waits rho/(mu-lambda).
  PoolQueue q(Exponential(1.0), 7);
  Histogram waits;
  q.set_sink(&waits);
  q.Advance(0, 400'000, 0.8, 1);
  CHECK(q.arrived() == Approx(320'000).epsilon(0.01));
  CHECK(waits.mean() == Approx(4.0).epsilon(0.1));
  CHECK(waits.Quantile(0.99) > 15);
  CHECK(q.work_seconds() == Approx(q.arrived()).epsilon(0.01));
}

TEST_CASE("pool: the sample path does not depend on how time is cut", "[sim][pool]") {
  PoolQueue whole(Exponential(3.0), 42);
  PoolQueue cut(Exponential(3.0), 42);
  Histogram wa, wb;
  whole.set_sink(&wa);
  cut.set_sink(&wb);
  whole.set_wait_limit(2);
  cut.set_wait_limit(2);
  whole.Advance(0, 5000, 2.5, 9);
  for (int k = 0; k < 5000; ++k) cut.Advance(k, k + 1, 2.5, 9);
  CHECK(whole.arrived() == cut.arrived());
  CHECK(whole.started() == cut.started());
  CHECK(whole.exceeded() == cut.exceeded());
  CHECK(wa.Quantile(0.99) == wb.Quantile(0.99));
  CHECK(whole.work_seconds() == Approx(cut.work_seconds()));

  // The same tasks with more slots: arrivals and service work are identical, waits shorter.
  PoolQueue more(Exponential(3.0), 42);
  more.set_wait_limit(2);
  more.Advance(0, 5000, 2.5, 12);
  CHECK(more.arrived() == whole.arrived());
  CHECK(more.work_seconds() == Approx(whole.work_seconds()));
  CHECK(more.exceeded() < whole.exceeded());

  PoolQueue other(Exponential(3.0), 43);
  other.Advance(0, 5000, 2.5, 9);
  CHECK(other.arrived() != whole.arrived());
}

TEST_CASE("pool: running tasks finish when slots are taken away", "[sim][pool]") {
  PoolQueue q(Constant(10), 1);
  q.Advance(0, 2, 5, 4);  // about 10 arrivals, 4 start at once
  REQUIRE(q.in_flight() == 4);
  const double queued = q.backlog();
  REQUIRE(queued > 0);
  q.Advance(2, 5, 0, 0);  // scaled to zero: nothing new starts, the running ones go on
  CHECK(q.in_flight() == 4);
  CHECK(q.backlog() == queued);
  q.Advance(5, 20, 0, 0);
  CHECK(q.in_flight() == 0);
  CHECK(q.completed() == 4);
  CHECK(q.OldestWait(20) > 18);
}

TEST_CASE("pool: service times follow the configured distribution", "[sim][pool]") {
  RandomStream rng(3);
  ServiceTime ln;
  ln.distribution = ServiceDistribution::kLognormal;
  ln.mean_seconds = 8;
  ln.cv = 1.5;
  double sum = 0, sq = 0;
  constexpr int kN = 200'000;
  for (int k = 0; k < kN; ++k) {
    const double x = DrawServiceTime(ln, rng);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / kN;
  CHECK(mean == Approx(8).epsilon(0.03));
  CHECK(std::sqrt(sq / kN - mean * mean) / mean == Approx(1.5).epsilon(0.1));

  ServiceTime rec;
  rec.distribution = ServiceDistribution::kRecorded;
  rec.recorded = std::make_shared<const std::vector<double>>(std::vector<double>{1, 3});
  int ones = 0;
  for (int k = 0; k < 10'000; ++k) {
    const double x = DrawServiceTime(rec, rng);
    REQUIRE((x == 1 || x == 3));
    ones += x == 1 ? 1 : 0;
  }
  CHECK(ones == Approx(5000).epsilon(0.05));
}

TEST_CASE("pool: tasks drawn ahead replay the same run as tasks drawn on the way", "[sim][pool]") {
  // What ebb tune does: the tasks of a span drawn once (DrawTasks), then hundreds of policies
  // run on them. Same arrivals and service times, so the same waits, whatever the slots do.
  IdealInput in;
  in.arrivals = {{0, 600, 2.0}, {600, 1200, 6.0}, {1500, 1800, 1.0}};
  in.end_seconds = 1800;
  in.block_seconds = 15;
  in.service = Exponential(1.5);
  in.seed = 9;
  auto drawn = std::make_shared<const PoolTasks>(DrawTasks(in));
  REQUIRE(drawn->arrival.size() > 4000);
  PoolQueue live(in.service, in.seed);
  PoolQueue replay(drawn);
  Histogram wl, wr;
  live.set_sink(&wl);
  replay.set_sink(&wr);
  int64_t slots = 3;
  for (double a = 0; a < in.end_seconds; a += 15) {
    double rate = 0;
    for (const RateSegment& s : in.arrivals) {
      if (s.start <= a && a < s.end) rate = s.rate;
    }
    live.Advance(a, a + 15, rate, slots);
    replay.Advance(a, a + 15, rate, slots);
    slots = 1 + (slots * 7 + 3) % 12;  // a policy changing its mind every tick
  }
  CHECK(replay.arrived() == live.arrived());
  CHECK(replay.started() == live.started());
  CHECK(replay.work_seconds() == Approx(live.work_seconds()).epsilon(1e-12));
  CHECK(wr.Quantile(0.99) == Approx(wl.Quantile(0.99)).epsilon(1e-12));
  CHECK(wr.mean() == Approx(wl.mean()).epsilon(1e-9));
  CHECK(wr.mean() > 1);  // a queue did form
}

}  // namespace
}  // namespace ebb::sim
