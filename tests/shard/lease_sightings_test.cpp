// LeaseSightings: a record is timed by when the watch first delivered it, never later than now.
#include "controller/shard/lease_sightings.h"

#include <catch2/catch.hpp>

using ebb::shard::LeaseSightings;
using Time = LeaseSightings::Time;
using std::chrono::seconds;

namespace {

nlohmann::json Lease(const std::string& holder, const std::string& renewed) {
  return {{"metadata", {{"name", "g-shard-0"}, {"resourceVersion", renewed}}},
          {"spec", {{"holderIdentity", holder}, {"renewTime", renewed}}}};
}

}  // namespace

TEST_CASE("lease sightings: the time a record was first seen", "[shard][unit]") {
  const Time t0{seconds(1000)};
  const auto r1 = Lease("a", "2026-12-02T21:00:00.000000Z");
  const auto r2 = Lease("a", "2026-12-02T21:00:02.000000Z");
  struct Row {
    const char* what;
    std::vector<std::pair<const nlohmann::json*, int>> saw;  // (lease or deleted, at t0 + s)
    const nlohmann::json* asked;
    int now_s;
    int want_s;
  };
  const std::vector<Row> rows = {
      {"never watched: now", {}, &r1, 5, 5},
      {"seen on the watch before the list: then", {{&r1, 1}}, &r1, 3, 1},
      {"seen again on a re-list: still the first time", {{&r1, 1}, {&r1, 4}}, &r1, 5, 1},
      {"a newer record than the watch delivered: now", {{&r1, 1}}, &r2, 3, 3},
      {"the watch delivered the newer one: its time", {{&r1, 1}, {&r2, 2}}, &r2, 3, 2},
      {"the list is older than the watch: now (not the newer record's time)",
       {{&r1, 1}, {&r2, 2}},
       &r1,
       3,
       3},
      {"deleted: now", {{&r1, 1}, {nullptr, 2}}, &r1, 3, 3},
      {"seen later than now (clock read before the event): now", {{&r1, 7}}, &r1, 3, 3},
  };
  for (const auto& row : rows) {
    SECTION(row.what) {
      LeaseSightings s;
      for (const auto& [lease, at] : row.saw) s.Saw("g-shard-0", lease, t0 + seconds(at));
      CHECK(s.SeenAt("g-shard-0", *row.asked, t0 + seconds(row.now_s)) == t0 + seconds(row.want_s));
      CHECK(s.SeenAt("g-shard-1", *row.asked, t0 + seconds(row.now_s)) == t0 + seconds(row.now_s));
    }
  }
}

TEST_CASE("lease sightings: only the spec is the record", "[shard][unit]") {
  const Time t0{seconds(1000)};
  LeaseSightings s;
  auto a = Lease("a", "2026-12-02T21:00:00.000000Z");
  s.Saw("g-shard-0", &a, t0);
  a["metadata"]["resourceVersion"] = "999";  // a label or annotation change renews nothing
  CHECK(s.SeenAt("g-shard-0", a, t0 + seconds(4)) == t0);
  a["spec"]["holderIdentity"] = "b";
  CHECK(s.SeenAt("g-shard-0", a, t0 + seconds(4)) == t0 + seconds(4));
}
