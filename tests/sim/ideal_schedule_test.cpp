// The clairvoyant schedule: it meets the SLO, costs no less than the work bound and no more
// than a fixed pool sized for the peak, pays start-ups, and follows the load.
#include "controller/sim/ideal_schedule.h"

#include <catch2/catch.hpp>

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

TEST_CASE("ideal: meets the SLO between the work bound and the peak pool", "[sim][ideal]") {
  IdealInput in = Base();
  // An hour at 8 tasks/s, an hour at 2 tasks/s.
  in.arrivals = {{0, 3600, 8}, {3600, 7200, 2}};
  in.end_seconds = 7200;
  const IdealResult r = ComputeIdeal(in);
  CHECK(r.met);
  CHECK(r.wait_quantile <= 10);
  CHECK(r.work_bound_hours == Approx(10).epsilon(0.03));  // 36000 s of work
  CHECK(r.replica_hours >= r.work_bound_hours);
  CHECK(r.replica_hours < 1.5 * r.work_bound_hours);
  REQUIRE(r.replicas.size() == 480);
  // It follows the load: more replicas in the busy hour than in the quiet one.
  CHECK(r.replicas[100] > r.replicas[400]);
  double busy = 0;  // 8 tasks/s of 1 s keep about 8 replicas busy (the sample varies)
  for (size_t k = 0; k < 240; ++k) busy += r.replicas[k];
  CHECK(busy / 240 >= 7.5);
  CHECK(r.startup_replica_hours >= r.replicas[0] * 45.0 / 3600.0);

  // A tighter SLO costs more; an unreachable one is reported.
  IdealInput tight = in;
  tight.slo = {1, 99};
  const IdealResult t = ComputeIdeal(tight);
  CHECK(t.replica_hours > r.replica_hours);
  IdealInput small = in;
  small.max_replicas = 6;
  CHECK_FALSE(ComputeIdeal(small).met);
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
  // From minReplicas 0, the first block's replicas were started, and paid for.
  CHECK(a.startup_replica_hours >= a.replicas.front() * 45.0 / 3600.0);
  CHECK(b.startup_replica_hours > a.startup_replica_hours);
}

}  // namespace
}  // namespace ebb::sim
