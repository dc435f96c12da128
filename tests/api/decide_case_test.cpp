#include "controller/api/decide_case.h"

#include <catch2/catch.hpp>
#include <functional>

#include "controller/decision/decider.h"

using namespace ebb;
using nlohmann::json;

namespace {

json WorkerCase() {
  return json::parse(R"({
    "autoscaler": {"metadata": {"name": "worker"}, "spec": {
      "scaleTargetRef": {"kind": "Deployment", "name": "worker"},
      "minReplicas": 1, "maxReplicas": 20,
      "metrics": [{"type": "External", "external": {"metric": {"name": "backlog"},
                   "target": {"type": "AverageValue", "averageValue": "5"}}}],
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}},
    "currentReplicas": 2, "now": "2026-11-23T10:00:00Z",
    "readings": {"backlog": {"value": 42}}
  })");
}

json Run(const json& doc) {
  auto c = api::ParseDecideCase(doc);
  REQUIRE(c.has_value());
  decision::DecisionState state = c->state;
  const auto d = decision::Decide(c->autoscaler.spec, c->settings, c->observation, state, c->now);
  return api::DecisionToJson(c->autoscaler, d, state);
}

}  // namespace

TEST_CASE("a decide case produces desired replicas, reason, conditions and state", "[spec]") {
  const json out = Run(WorkerCase());
  CHECK(out["desiredReplicas"] == 6);  // 42/5 -> 9, limited by Pods 4 per 15 s from 2
  CHECK(out["reason"] == "ScaleUpLimit");
  CHECK(out["conditions"][0]["type"] == "AbleToScale");
  CHECK(out["conditions"][2]["reason"] == "ScaleUpLimit");
  CHECK(out["explanation"]["metrics"][0]["proposal"] == 9);
  CHECK(out["state"]["recommendations"].size() == 2);  // the seed and this proposal
}

TEST_CASE("the output state chains into the next decision", "[spec]") {
  json first = WorkerCase();
  first["currentReplicas"] = 9;
  first["readings"]["backlog"]["value"] = 45;
  const json out1 = Run(first);
  json second = WorkerCase();
  second["currentReplicas"] = 9;
  second["now"] = "2026-11-23T10:00:30Z";
  second["readings"]["backlog"]["value"] = 5;
  second["state"] = out1["state"];
  const json out2 = Run(second);
  CHECK(out2["desiredReplicas"] == 9);  // 60 s scale-down window still holds 9
  second["now"] = "2026-11-23T10:01:01Z";
  CHECK(Run(second)["desiredReplicas"] == 1);
}

TEST_CASE("pods and per-pod samples, with relative times", "[spec]") {
  json doc = json::parse(R"({
    "autoscaler": {"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
                            "minReplicas": 1, "maxReplicas": 10}},
    "currentReplicas": 3, "now": 1800000000,
    "pods": [
      {"name": "a", "requests": {"cpu": "1"}, "startSecondsAgo": 3600, "readyTransitionSecondsAgo": 3500},
      {"name": "b", "requests": {"cpu": "1"}, "startSecondsAgo": 3600, "readyTransitionSecondsAgo": 3500},
      {"name": "c", "requests": {"cpu": "1"}, "startSecondsAgo": 3600, "readyTransitionSecondsAgo": 3500}],
    "readings": {"cpu": {"pods": {"a": "900m", "b": "1", "c": "1100m"}}}
  })");
  const json out = Run(doc);
  CHECK(out["explanation"]["metrics"][0]["utilization"] == 100);
  CHECK(out["explanation"]["metrics"][0]["proposal"] == 4);  // ceil(100/80 * 3)
  CHECK(out["desiredReplicas"] == 4);
}

TEST_CASE("decide input errors name the field", "[spec]") {
  struct Row {
    const char* name;
    std::function<void(json&)> mutate;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"no now", [](json& d) { d.erase("now"); }, "now: required"},
      {"bad now", [](json& d) { d["now"] = "soon"; }, "now: must be an RFC 3339 time"},
      {"negative replicas", [](json& d) { d["currentReplicas"] = -1; },
       "currentReplicas: -1 is out of range [0, 2147483647]"},
      {"no replicas", [](json& d) { d.erase("currentReplicas"); },
       "currentReplicas: required, an integer >= 0"},
      // Each of these was read through an int32 or int64 cast that wrapped or was undefined.
      {"replicas beyond int32", [](json& d) { d["currentReplicas"] = 1099511627776; },
       "currentReplicas: 1099511627776 is out of range [0, 2147483647]"},
      {"replicas beyond int64", [](json& d) { d["currentReplicas"] = 18446744073709551615u; },
       "currentReplicas: 18446744073709551615 is out of range [0, 2147483647]"},
      {"ready beyond int32", [](json& d) { d["readyReplicas"] = 4294967296; },
       "readyReplicas: 4294967296 is out of range [0, 2147483647]"},
      {"now beyond year 9999", [](json& d) { d["now"] = 1e300; },
       "now: Unix seconds 1e+300 out of range [-62135596800, 253402300799]"},
      {"age beyond year 9999",
       [](json& d) {
         d["pods"] = {{{"name", "a"}, {"startSecondsAgo", 1e19}}};
       },
       "pods[0].startSecondsAgo: must be a number of seconds in [-62135596800, 253402300799]"},
      {"sample window beyond a day",
       [](json& d) {
         d["readings"]["backlog"] = {{"pods", {{"a", 1}}}, {"sampleWindowSeconds", 1e30}};
       },
       "readings.backlog.sampleWindowSeconds: must be a number of seconds in [0, 86400]"},
      {"state replicas beyond int32",
       [](json& d) {
         d["state"] = {{"recommendations", {{{"time", 0}, {"replicas", 4294967297}}}}};
       },
       "state.recommendations[0].replicas: 4294967297 is out of range [0, 2147483647]"},
      {"state change beyond int32",
       [](json& d) {
         d["state"] = {{"scaleUpEvents", {{{"time", 0}, {"change", 4294967297}}}}};
       },
       "state.scaleUpEvents[0].change: 4294967297 is out of range [0, 2147483647]"},
      {"state failures beyond int32",
       [](json& d) {
         d["state"] = {{"consecutiveFailures", {1, 4294967296}}};
       },
       "state.consecutiveFailures[1]: 4294967296 is out of range [0, 2147483647]"},
      {"state time beyond year 9999",
       [](json& d) {
         d["state"] = {{"lastScaleTime", 1e300}};
       },
       "state.lastScaleTime: must be an RFC 3339 time"},
      {"unknown metric", [](json& d) { d["readings"]["queue"] = 1; },
       "readings.queue: no metric of that name in the spec (have: backlog)"},
      {"bad value",
       [](json& d) {
         d["readings"]["backlog"] = {{"value", true}};
       },
       "readings.backlog.value: must be a number"},
      {"bad pod",
       [](json& d) {
         d["pods"] = {{{"name", "a"}, {"phase", "Sleeping"}}};
       },
       "pods[0].phase: must be one of"},
      {"bad settings",
       [](json& d) {
         d["settings"] = {{"tolerance", -1}};
       },
       "settings.tolerance: must be a number >= 0"},
      {"bad spec", [](json& d) { d["autoscaler"]["spec"]["maxReplicas"] = 0; },
       "spec.maxReplicas: 0 is out of range [1, 2147483647]"},
      {"max beyond int32", [](json& d) { d["autoscaler"]["spec"]["maxReplicas"] = 1099511627776; },
       "spec.maxReplicas: 1099511627776 is out of range [1, 2147483647]"},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    json doc = WorkerCase();
    r.mutate(doc);
    auto c = api::ParseDecideCase(doc);
    REQUIRE_FALSE(c.has_value());
    CHECK_THAT(c.error().message, Catch::Matchers::Contains(r.message));
  }
}

TEST_CASE("garbage readings through the document: NaN and Inf are failed metrics", "[spec]") {
  for (const char* v : {"NaN", "+Inf", "-Inf"}) {
    json doc = WorkerCase();
    doc["readings"]["backlog"] = {{"value", v}};
    const json out = Run(doc);
    INFO(v);
    CHECK(out["desiredReplicas"] == 2);
    CHECK(out["reason"] == "FailedGetMetrics");
    CHECK(out["explanation"]["metrics"][0]["status"] == "Failed");
  }
}

namespace {

// The issue's case as an `ebb decide` document: a Value target of 919m at 10 replicas.
json ValueCase(const json& value) {
  json doc = json::parse(R"({
    "autoscaler": {"metadata": {"name": "worker"}, "spec": {
      "scaleTargetRef": {"kind": "Deployment", "name": "worker"},
      "minReplicas": 1, "maxReplicas": 50,
      "metrics": [{"type": "External", "external": {"metric": {"name": "q"},
                   "target": {"type": "Value", "value": "919m"}}}]}},
    "currentReplicas": 10, "now": "2026-11-23T10:00:00Z"
  })");
  doc["readings"]["q"] = {{"value", value}};
  return doc;
}

}  // namespace

TEST_CASE("document values are exact milli-units: 1011m against 919m decides 12", "[spec]") {
  // Read through a double, 1011m became 1010m: 1010/919 is within the band and 10 stayed.
  struct Row {
    const char* name;
    json value;
    int desired;
    const char* reported;  // the value as status.currentMetrics prints it
  };
  const Row rows[] = {
      {"quantity 1011m", "1011m", 12, "1011m"},
      {"quantity 1.011", "1.011", 12, "1011m"},
      {"JSON number 1.011", 1.011, 12, "1011m"},
      {"bare 1010m stays", "1010m", 10, "1010m"},
      {"sub-milli rounds up like MilliValue", "1.0100001", 12, "1011m"},
      {"largest int64 milli", "9223372036854775807m", 20, "9223372036854775807m"},  // 2x cap
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const json out = Run(ValueCase(r.value));
    CHECK(out["desiredReplicas"] == r.desired);
    CHECK(out["explanation"]["metrics"][0]["value"] == r.reported);
  }
  // A bare number as the whole reading is the same value.
  json doc = ValueCase(0);
  doc["readings"]["q"] = 1.011;
  CHECK(Run(doc)["desiredReplicas"] == 12);
}

TEST_CASE("document values beyond int64 milli-units are refused with the field path", "[spec]") {
  for (const json& v : {json("9223372036854775808m"), json(1e300), json("1E")}) {
    INFO(v.dump());
    auto c = api::ParseDecideCase(ValueCase(v));
    REQUIRE_FALSE(c.has_value());
    CHECK_THAT(c.error().message, Catch::Matchers::Contains("readings.q.value"));
    CHECK_THAT(c.error().message, Catch::Matchers::Contains("too large"));
  }
}
