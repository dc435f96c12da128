#include <catch2/catch.hpp>
#include <cstdlib>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/api/state_json.h"
#include "controller/api/time_zones.h"
#include "controller/decision/decider.h"
#include "controller/decision/forecast.h"
#include "tests/support/builders.h"

using ebb::api::ParseAutoscaler;
using ebb::api::ParseDocuments;
using ebb::api::StateFromJson;
using ebb::api::StateToJson;
using namespace ebb;
using namespace ebb::testing;

namespace {

nlohmann::json Doc(const std::string& yaml) {
  auto docs = ParseDocuments(yaml, "test.yaml");
  REQUIRE(docs.has_value());
  REQUIRE(docs->size() == 1);
  return docs->front();
}

std::string Worker(const std::string& schedules, const std::string& predictive,
                   const std::string& metric_extra = "") {
  return R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker, namespace: jobs}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: celery-worker}
  minReplicas: 1
  maxReplicas: 20
  metrics:
    - type: Redis
      name: backlog
      redis:
        address: redis:6379
        celery: {queues: [celery]}
        target: {type: AverageValue, averageValue: "5"}
)" + predictive +
         metric_extra + schedules;
}

}  // namespace

TEST_CASE("schedules and predictive parse with their defaults", "[spec][schedule][predictive]") {
  auto a = ParseAutoscaler(Doc(Worker(R"(
  schedules:
    - name: business-hours
      start: "0 8 * * 1-5"
      durationSeconds: 36000
      timeZone: Europe/Berlin
      minReplicas: 10
    - {name: nightly, start: "@daily", durationSeconds: 600, minReplicas: 2}
)",
                                      R"(      predictive: {lookaheadSeconds: 90, seasons: [Weekly]}
)")));
  REQUIRE(a.has_value());
  const auto& s = a->spec;
  REQUIRE(s.schedules.size() == 2);
  CHECK(s.schedules[0].name == "business-hours");
  CHECK(s.schedules[0].duration_seconds == 36000);
  CHECK(s.schedules[0].min_replicas == 10);
  REQUIRE(s.schedules[0].zone);
  CHECK(s.schedules[0].zone->name == "Europe/Berlin");
  CHECK(s.schedules[0].cron.weekdays == 0b0111110);
  REQUIRE(s.schedules[1].zone);
  CHECK(s.schedules[1].zone->name == "UTC");
  REQUIRE(s.metrics[0].predictive);
  const auto& p = *s.metrics[0].predictive;
  CHECK(p.lookahead_seconds == 90);
  CHECK(p.bucket_seconds == 300);
  CHECK(p.min_history_seconds == 86400);
  CHECK(p.headroom_percent == 0);
  CHECK_FALSE(p.daily);
  CHECK(p.weekly);
  // The same zone is read once and shared.
  auto z1 = ebb::api::LoadTimeZone("Europe/Berlin");
  auto z2 = ebb::api::LoadTimeZone("Europe/Berlin");
  REQUIRE(z1);
  REQUIRE(z2);
  CHECK(z1->get() == z2->get());
}

TEST_CASE("ebb validate names the field of every schedule and predictive mistake",
          "[spec][schedule][predictive]") {
  struct Row {
    const char* what;
    std::string yaml;
    const char* error;
  };
  const std::string ok_predictive = "      predictive: {}\n";
  const Row rows[] = {
      {"bad cron",
       Worker(
           "  schedules: [{name: a, start: \"0 25 * * *\", durationSeconds: 60, minReplicas: 2}]\n",
           ""),
       "spec.schedules[0].start: \"0 25 * * *\": hour: 25 is out of range 0-23"},
      {"four fields",
       Worker("  schedules: [{name: a, start: \"0 8 * *\", durationSeconds: 60, minReplicas: 2}]\n",
              ""),
       "spec.schedules[0].start: \"0 8 * *\": must have 5 fields"},
      {"unknown zone",
       Worker("  schedules: [{name: a, start: \"@daily\", durationSeconds: 60, timeZone: "
              "Mars/Olympus, minReplicas: 2}]\n",
              ""),
       "spec.schedules[0].timeZone: unknown time zone \"Mars/Olympus\""},
      {"path in zone",
       Worker("  schedules: [{name: a, start: \"@daily\", durationSeconds: 60, timeZone: "
              "../../etc/passwd, minReplicas: 2}]\n",
              ""),
       "spec.schedules[0].timeZone: \"../../etc/passwd\" is not an IANA time zone name"},
      {"zero duration",
       Worker("  schedules: [{name: a, start: \"@daily\", durationSeconds: 0, minReplicas: 2}]\n",
              ""),
       "spec.schedules[0].durationSeconds: 0 is out of range [60, 604800]"},
      {"no duration", Worker("  schedules: [{name: a, start: \"@daily\", minReplicas: 2}]\n", ""),
       "spec.schedules[0].durationSeconds"},
      {"floor above max",
       Worker("  schedules: [{name: a, start: \"@daily\", durationSeconds: 60, minReplicas: 21}]\n",
              ""),
       "spec.schedules[0].minReplicas: must not exceed maxReplicas (20)"},
      {"duplicate name",
       Worker("  schedules: [{name: a, start: \"@daily\", durationSeconds: 60, minReplicas: 2}, "
              "{name: a, start: \"@hourly\", durationSeconds: 60, minReplicas: 3}]\n",
              ""),
       "spec.schedules[1].name: duplicate schedule name \"a\""},
      {"unknown field",
       Worker("  schedules: [{name: a, start: \"@daily\", end: \"@hourly\", durationSeconds: 60, "
              "minReplicas: 2}]\n",
              ""),
       "spec.schedules[0].end"},
      {"lookahead", Worker("", "      predictive: {lookaheadSeconds: 7200}\n"),
       "spec.metrics[0].predictive.lookaheadSeconds: 7200 is out of range [0, 3600]"},
      {"bucket not dividing a day", Worker("", "      predictive: {bucketSeconds: 700}\n"),
       "spec.metrics[0].predictive.bucketSeconds: must divide a day"},
      {"no season", Worker("", "      predictive: {seasons: []}\n"),
       "spec.metrics[0].predictive.seasons: must list at least one of Daily, Weekly"},
      {"bad season", Worker("", "      predictive: {seasons: [Hourly]}\n"),
       "spec.metrics[0].predictive.seasons[0]: must be Daily or Weekly"},
      {"short warm-up", Worker("", "      predictive: {minHistorySeconds: 3600}\n"),
       "spec.metrics[0].predictive.minHistorySeconds: 3600 is out of range [86400, 1209600]"},
      {"two predictive metrics",
       Worker("", ok_predictive,
              "    - type: External\n      name: rate\n      external: {metric: {name: rate}, "
              "target: {type: AverageValue, averageValue: \"2\"}}\n"
              "      predictive: {}\n"),
       "spec.metrics[1].predictive: only one metric may be predictive"},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    auto a = ParseAutoscaler(Doc(r.yaml));
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error().message,
               Catch::Contains("Autoscaler jobs/worker: ") && Catch::Contains(r.error));
  }
  // A utilisation cannot be forecast and divided by a per-replica target.
  auto cpu = ParseAutoscaler(Doc(R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker, namespace: jobs}
spec:
  scaleTargetRef: {kind: Deployment, name: w}
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
      predictive: {}
)"));
  REQUIRE_FALSE(cpu.has_value());
  CHECK_THAT(cpu.error().message,
             Catch::Contains("spec.metrics[0].predictive: needs an AverageValue target"));
}

TEST_CASE("the predictive history survives a restart through the stored state, bounded",
          "[spec][predictive]") {
  decision::Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 50;
  spec.metrics = {QueueMetric("arrivals", 10)};
  spec.metrics[0].predictive = decision::PredictiveSettings{};
  spec.metrics[0].predictive->lookahead_seconds = 600;
  spec.behavior = DefaultBehavior();
  auto step = [](int64_t t) { return t % 86400 >= 12 * 3600 ? 200.0 : 20.0; };
  decision::DecisionState st;
  int32_t replicas = 2;
  const int64_t until = 86400 + 11 * 3600 + 50 * 60;
  for (int64_t t = 0; t < until; t += 15) {
    replicas =
        decision::Decide(spec, {}, Observe(replicas, {Value(step(t))}), st, At(t)).desired_replicas;
  }
  // Stored and read back (a restart or a new leader), the next decision sees the same forecast.
  const nlohmann::json stored = StateToJson(st);
  REQUIRE(stored.contains("histories"));
  CHECK(stored["histories"][0]["values"].size() <= decision::kMaxHistoryBuckets);
  CHECK(stored.dump().size() < 40'000);  // a week and a day of 5-minute buckets at most
  auto restored = StateFromJson(nlohmann::json::parse(stored.dump()), "status.decisionState");
  REQUIRE(restored);
  CHECK(StateToJson(*restored) == stored);
  const int64_t next = until + 60;  // 12:01 ahead with the 600 s lookahead
  decision::DecisionState fresh;
  const auto kept = decision::Decide(spec, {}, Observe(2, {Value(20)}), *restored, At(next));
  const auto lost = decision::Decide(spec, {}, Observe(2, {Value(20)}), fresh, At(next));
  CHECK(kept.metrics[0].forecast_proposal == 20);
  CHECK(lost.metrics[0].forecast_proposal == -1);  // without it: warming up again

  // A stored history beyond the bound, or off its buckets, is refused with its path.
  nlohmann::json big = stored;
  big["histories"][0]["values"] = std::vector<int64_t>(decision::kMaxHistoryBuckets + 1, 1);
  auto refused = StateFromJson(big, "status.decisionState");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message,
             Catch::Contains("status.decisionState.histories[0].values: must have at most 2304"));
  nlohmann::json skew = stored;
  skew["histories"][0]["start"] = "2027-01-15T08:00:01Z";
  auto skewed = StateFromJson(skew, "status.decisionState");
  REQUIRE_FALSE(skewed);
  CHECK_THAT(skewed.error().message,
             Catch::Contains("status.decisionState.histories[0].start: must be an RFC 3339 time "
                             "on a bucket boundary"));
  nlohmann::json negative = stored;
  negative["histories"][0]["values"][0] = -2;
  CHECK_FALSE(StateFromJson(negative, "s"));
  // No predictive metric: no histories member at all (nothing new in existing statuses).
  decision::DecisionState plain;
  plain.has_recommendations = true;
  CHECK_FALSE(StateToJson(plain).contains("histories"));
}
