#include "controller/sim/fluid_queue.h"

#include <catch2/catch.hpp>

namespace ebb::sim {
namespace {

TEST_CASE("a burst drains at the service capacity, waits by hand", "[sim][queue]") {
  // 10 tasks arrive evenly during [0, 1) s; one server finishes 1 task/s from t = 0.
  // The task at position x in [0, 10] arrives at x/10 and leaves at x, so it waits 0.9 x:
  // waits are uniform on [0, 9], mean 4.5, median 4.5, p95 8.55, max 9.
  FluidQueue q;
  q.Advance(0, 1, 10, 1);
  CHECK(q.backlog() == Approx(9));
  CHECK(q.OldestWait(1) == Approx(0.9));  // the oldest unserved task arrived at 0.1 s
  q.Advance(1, 5, 0, 1);
  CHECK(q.backlog() == Approx(5));
  q.Advance(5, 20, 0, 1);
  CHECK(q.backlog() == 0);
  CHECK(q.arrived() == Approx(10));
  CHECK(q.served() == Approx(10));
  CHECK(q.waits().total_weight() == Approx(10));
  CHECK(q.waits().mean() == Approx(4.5).epsilon(0.01));
  CHECK(q.waits().Quantile(0.5) == Approx(4.5).epsilon(0.03));
  CHECK(q.waits().Quantile(0.95) == Approx(8.55).epsilon(0.03));
  CHECK(q.waits().max() == Approx(9));
}

TEST_CASE("with enough capacity tasks wait for nothing", "[sim][queue]") {
  FluidQueue q;
  q.Advance(0, 60, 2, 3);
  CHECK(q.backlog() == 0);
  CHECK(q.served() == Approx(120));
  CHECK(q.waits().max() == 0);
}

TEST_CASE("the same arrivals drain faster with more replicas", "[sim][queue]") {
  auto run = [](double replicas) {
    FluidQueue q;
    const double service_rate = 0.5;
    for (int t = 0; t < 600; t += 15) {
      const double arrivals = (t >= 60 && t < 180) ? 6.0 : 0.5;  // a two-minute burst
      q.Advance(t, t + 15, arrivals, replicas * service_rate);
    }
    return std::make_pair(q.waits().Quantile(0.95), q.waits().max());
  };
  const auto [p95_4, max_4] = run(4);
  const auto [p95_8, max_8] = run(8);
  const auto [p95_16, max_16] = run(16);
  CHECK(p95_8 < p95_4);
  CHECK(p95_16 < p95_8);
  CHECK(max_8 < max_4);
  CHECK(max_16 < max_8);
  // 4 replicas serve 2 tasks/s: the burst leaves (6 - 2) * 120 = 480 tasks queued at 180 s,
  // and the last burst task leaves once those are served: 480 / 2 = 240 s later.
  CHECK(max_4 == Approx(240).epsilon(0.02));
}

TEST_CASE("a long overload keeps cohort memory bounded and counts every task", "[sim][queue]") {
  FluidQueue q;
  for (int t = 0; t < 20000; ++t) q.Advance(t, t + 1, 2, 1);
  CHECK(q.cohorts() <= 4097);
  CHECK(q.backlog() == Approx(20000));
  CHECK(q.arrived() == Approx(q.served() + q.backlog()));
  // 20000 tasks served, so the oldest left arrived at 10000 s.
  CHECK(q.OldestWait(20000) == Approx(10000).epsilon(0.01));
}

TEST_CASE("nonsense rates do not poison the queue", "[sim][queue]") {
  FluidQueue q;
  q.Advance(0, 10, std::nan(""), 1);
  q.Advance(10, 20, -5, 1);
  q.Advance(20, 10, 5, 1);  // backwards: ignored
  CHECK(q.backlog() == 0);
  CHECK(q.arrived() == 0);
}

}  // namespace
}  // namespace ebb::sim
