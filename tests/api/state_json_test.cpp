#include "controller/api/state_json.h"

#include <catch2/catch.hpp>

#include "controller/api/timestamps.h"

using namespace ebb;

TEST_CASE("decision state round-trips through JSON", "[spec]") {
  decision::DecisionState s;
  s.has_recommendations = true;
  s.recommendations = {{FromUnixMillis(1'800'000'000'000), 4},
                       {FromUnixMillis(1'800'000'015'500), 7}};
  s.scale_up_events = {{FromUnixMillis(1'800'000'010'000), 3, false}};
  s.scale_down_events = {{FromUnixMillis(1'799'999'000'000), 1, true}};
  s.consecutive_failures = {0, 4};
  s.last_active_time = FromUnixMillis(1'800'000'020'000);
  const auto j = api::StateToJson(s);
  auto back = api::StateFromJson(nlohmann::json::parse(j.dump()), "state");
  REQUIRE(back.has_value());
  CHECK(back->has_recommendations);
  REQUIRE(back->recommendations.size() == 2);
  CHECK(back->recommendations[1].at == s.recommendations[1].at);
  CHECK(back->recommendations[1].replicas == 7);
  REQUIRE(back->scale_up_events.size() == 1);
  CHECK(back->scale_up_events[0].change == 3);
  CHECK(back->scale_down_events[0].outdated);
  CHECK(back->consecutive_failures == s.consecutive_failures);
  CHECK(back->last_active_time == s.last_active_time);
  CHECK_FALSE(back->last_scale_time.has_value());
}

TEST_CASE("absent recommendations mean no log (seed), an empty list means an empty log", "[spec]") {
  auto none = api::StateFromJson(nlohmann::json::object(), "state");
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_recommendations);
  auto empty =
      api::StateFromJson(nlohmann::json{{"recommendations", nlohmann::json::array()}}, "state");
  REQUIRE(empty.has_value());
  CHECK(empty->has_recommendations);
  auto bad =
      api::StateFromJson(nlohmann::json{{"recommendations", {{{"time", "yesterday"}}}}}, "state");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "state.recommendations[0].time: must be an RFC 3339 time");
}

TEST_CASE("RFC 3339 times", "[spec]") {
  CHECK(api::ParseRfc3339("1970-01-01T00:00:00Z") == FromUnixMillis(0));
  CHECK(api::ParseRfc3339("2026-11-23T10:00:00.250Z") == FromUnixMillis(1795428000250));
  CHECK(api::ParseRfc3339("2026-11-23T12:00:00+02:00") == FromUnixMillis(1795428000000));
  CHECK_FALSE(api::ParseRfc3339("2026-13-01T00:00:00Z").has_value());
  CHECK_FALSE(api::ParseRfc3339("2026-11-23 10:00").has_value());
  CHECK(api::FormatRfc3339(FromUnixMillis(1795428000250)) == "2026-11-23T10:00:00.250Z");
  CHECK(api::FormatRfc3339(FromUnixMillis(1795428000000)) == "2026-11-23T10:00:00Z");
  // Kubernetes times carry a zone; recordings may leave it out (UTC), only when asked.
  CHECK_FALSE(api::ParseRfc3339("2026-11-23T10:00:00").has_value());
  CHECK(api::ParseRfc3339("2026-11-23T10:00:00", true) == FromUnixMillis(1795428000000));
  CHECK_FALSE(api::ParseRfc3339("2026-02-30T00:00:00Z").has_value());  // no such day
  CHECK_FALSE(api::ParseRfc3339("2026-11-23T10:00:00+0200").has_value());
  CHECK(api::FormatRfc3339(FromUnixMillis(-1)) == "1969-12-31T23:59:59.999Z");
  std::string row = "t=";
  api::AppendRfc3339(row, FromUnixMillis(951782400000));
  CHECK(row == "t=2000-02-29T00:00:00Z");
  // Found by fuzz/duration: a zone offset moved these past year 9999 / before year 0, and the
  // four-digit formatter wrote "0000-01-01T23:58:59.999Z" for the first.
  CHECK_FALSE(api::ParseRfc3339("9999-12-31T23:59:59.999-23:59").has_value());
  CHECK_FALSE(api::ParseRfc3339("0000-01-01T00:00:00+00:01").has_value());
  CHECK(api::FormatRfc3339(*api::ParseRfc3339("9999-12-31T23:59:59.999Z")) ==
        "9999-12-31T23:59:59.999Z");
  CHECK(api::FormatRfc3339(*api::ParseRfc3339("0000-01-01T00:00:00Z")) == "0000-01-01T00:00:00Z");
}

// Checked by fuzz/kube_objects (status.decisionState as the API server returns it): a numeric time
// of 1e300 was converted to int64 (undefined behaviour), an out-of-range replica count wrapped
// silently, and a non-boolean `outdated` threw nlohmann::type_error.
TEST_CASE("stored state with out-of-range or mistyped members is refused", "[spec]") {
  for (const char* bad :
       {R"({"recommendations": [{"time": 1e300, "replicas": 1}]})",
        R"({"recommendations": [{"time": "2026-01-01T00:00:00Z", "replicas": 4294967297}]})",
        R"({"scaleUpEvents": [{"time": 1, "change": -4294967296}]})",
        R"({"scaleDownEvents": [{"time": 1, "change": 1, "outdated": "yes"}]})",
        R"({"lastScaleTime": -1e19})"}) {
    INFO(bad);
    auto r = api::StateFromJson(nlohmann::json::parse(bad), "status.decisionState");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.rfind("status.decisionState.", 0) == 0);
  }
  auto ok = api::StateFromJson(
      nlohmann::json::parse(R"({"scaleUpEvents": [{"time": 1.5, "change": 2, "outdated": true}]})"),
      "s");
  REQUIRE(ok);
  CHECK(ok->scale_up_events.at(0).outdated);
  CHECK(ok->scale_up_events.at(0).at == FromUnixMillis(1500));
}
