#include "controller/sim/prometheus_recording.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "controller/sim/csv_recording.h"

namespace ebb::sim {
namespace {

constexpr const char* kTwoSeries = R"({
  "status": "success",
  "data": {"resultType": "matrix", "result": [
    {"metric": {"__name__": "queue_length", "queue": "a"},
     "values": [[1700000000, "3"], [1700000030, "5"], [1700000060, "NaN"]]},
    {"metric": {"ebb_metric": "cpu", "__name__": "container_cpu"},
     "values": [[1700000015.5, "0.5"], [1700000045, "+Inf"]]}
  ]}})";

TEST_CASE("query_range series merge in time order and take their names", "[sim][prometheus]") {
  auto rec = PrometheusRecording::FromText(kTwoSeries, "q.json", "");
  REQUIRE(rec.has_value());
  std::vector<std::pair<std::string, int64_t>> seen;
  RawSample s;
  std::vector<double> values;
  while (*(*rec)->Next(s)) {
    seen.emplace_back(std::string(s.metric), ToUnixMillis(s.at));
    values.push_back(s.value);
  }
  REQUIRE(seen.size() == 5);
  CHECK(seen[0] == std::make_pair(std::string("queue_length"), int64_t{1700000000000}));
  CHECK(seen[1] == std::make_pair(std::string("cpu"), int64_t{1700000015500}));  // ebb_metric wins
  CHECK(seen[2].first == "queue_length");
  CHECK(seen[3].first == "cpu");
  CHECK(std::isinf(values[3]));
  CHECK(std::isnan(values[4]));
}

TEST_CASE("the metric-name option names series without an ebb_metric label", "[sim][prometheus]") {
  const char* unnamed = R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric": {}, "values": [[10, "1"]]}]}})";
  auto without = PrometheusRecording::FromText(unnamed, "u.json", "");
  REQUIRE_FALSE(without.has_value());
  CHECK_THAT(without.error().message, Catch::Contains("u.json: data.result[0]"));
  CHECK_THAT(without.error().message, Catch::Contains("--metric-name"));
  auto with = PrometheusRecording::FromText(unnamed, "u.json", "backlog");
  REQUIRE(with.has_value());
  RawSample s;
  REQUIRE(*(*with)->Next(s));
  CHECK(s.metric == "backlog");
}

TEST_CASE("malformed query_range answers are rejected with a path", "[sim][prometheus]") {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"{", "not valid JSON"},
      {R"({"status":"error"})", "status"},
      {R"({"status":"success","data":{"resultType":"vector","result":[]}})", "data.resultType"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[
         {"metric":{"__name__":"a"},"values":[[1,"x"]]}]}})",
       "data.result[0].values[0]: bad sample"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[
         {"metric":{"__name__":"a"},"values":[[1,2]]}]}})",
       "data.result[0].values[0]"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[
         {"metric":{"__name__":"a"},"values":[[1,"1"]]},
         {"metric":{"__name__":"a"},"values":[[2,"1"]]}]}})",
       "a second series named \"a\""},
      {R"({"status":"success","data":{"resultType":"matrix","result":[
         {"metric":{"__name__":"a"},"values":[[2,"1"],[1,"1"]]}]}})",
       "timestamps must increase"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto rec = PrometheusRecording::FromText(c.text, "p.json", "");
    REQUIRE_FALSE(rec.has_value());
    CHECK_THAT(rec.error().message, Catch::Contains(c.expect));
  }
}

TEST_CASE("several recordings interleave by time", "[sim][prometheus]") {
  std::vector<std::unique_ptr<SampleSource>> sources;
  sources.push_back(CsvRecording::FromText("10,a,1\n30,a,3\n", "a.csv"));
  sources.push_back(CsvRecording::FromText("20,b,2\n40,b,4\n", "b.csv"));
  MergedSource merged(std::move(sources));
  RawSample s;
  std::string order;
  while (*merged.Next(s)) order += std::string(s.metric) + std::to_string(int(s.value));
  CHECK(order == "a1b2a3b4");
}

}  // namespace
}  // namespace ebb::sim
