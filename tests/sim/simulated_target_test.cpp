#include "controller/sim/simulated_target.h"

#include <catch2/catch.hpp>

namespace ebb::sim {
namespace {

const Timestamp kStart = FromUnixMillis(1'700'000'000'000);

TEST_CASE("new replicas become ready after the start-up delay", "[sim][target]") {
  SimulatedTarget t(2, Seconds(45), kStart);
  auto s = t.GetScale(kStart);
  REQUIRE(s.has_value());
  CHECK(s->spec_replicas == 2);
  CHECK(s->ready_replicas == 2);

  REQUIRE(t.SetReplicas(5, kStart + Seconds(15)).has_value());
  CHECK(t.GetScale(kStart + Seconds(15))->spec_replicas == 5);
  CHECK(t.GetScale(kStart + Seconds(15))->status_replicas == 5);
  CHECK(t.GetScale(kStart + Seconds(15))->ready_replicas == 2);
  CHECK(t.ReadyAt(kStart + Seconds(59)) == 2);
  CHECK(t.ReadyAt(kStart + Seconds(60)) == 5);  // 15 s + 45 s
  CHECK(t.NextReadyAfter(kStart + Seconds(15)) == kStart + Seconds(60));
  CHECK_FALSE(t.NextReadyAfter(kStart + Seconds(60)).has_value());
}

TEST_CASE("scale-down removes at once, pods still starting first", "[sim][target]") {
  SimulatedTarget t(3, Seconds(30), kStart);
  REQUIRE(t.SetReplicas(6, kStart).has_value());
  REQUIRE(t.SetReplicas(4, kStart + Seconds(10)).has_value());
  CHECK(t.replicas() == 4);
  CHECK(t.ReadyAt(kStart + Seconds(10)) == 3);
  CHECK(t.ReadyAt(kStart + Seconds(30)) == 4);  // one of the new pods survived
  REQUIRE(t.SetReplicas(1, kStart + Seconds(40)).has_value());
  CHECK(t.ReadyAt(kStart + Seconds(40)) == 1);
}

TEST_CASE("zero start-up delay makes replicas ready at once, bad counts fail", "[sim][target]") {
  SimulatedTarget t(1, Seconds(0), kStart);
  REQUIRE(t.SetReplicas(3, kStart).has_value());
  CHECK(t.ReadyAt(kStart) == 3);
  CHECK_FALSE(t.SetReplicas(-1, kStart).has_value());
  CHECK_FALSE(t.SetReplicas(SimulatedTarget::kMaxReplicas + 1, kStart).has_value());
}

}  // namespace
}  // namespace ebb::sim
