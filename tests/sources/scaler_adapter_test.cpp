// The scaler adapter is where a scaler's float becomes milli-units, once, as KEDA's
// GenerateMetricInMili: what the decision then sees is what an HPA behind KEDA would see.
#include <catch2/catch.hpp>
#include <limits>
#include <memory>

#include "controller/decision/decider.h"
#include "controller/sources/scaler_metrics.h"
#include "tests/support/builders.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

// A scaler of no known kind: the poller reads it with Read(), one by one.
class FixedScaler final : public scalers::Scaler {
 public:
  explicit FixedScaler(Result<double> value) : value_(std::move(value)) {}
  Result<double> Read(const scalers::ReadContext& /*ctx*/) override { return value_; }
  std::string Describe() const override { return "fixed"; }

 private:
  Result<double> value_;
};

decision::MetricReading PollOne(Result<double> value) {
  api::Autoscaler a;
  a.name = "worker";
  a.spec.metrics = {ValueMetric("q", 1)};
  a.sources = {{"Prometheus", {}, "spec.metrics[0].prometheus", nullptr}};
  sources::ScalerBinding b;
  b.by_metric.push_back(std::make_unique<FixedScaler>(std::move(value)));
  const auto polled = sources::PollAll({&a}, {&b}, {At(0), At(3)});
  REQUIRE(polled.size() == 1);
  REQUIRE(polled[0].size() == 1);
  return polled[0][0];
}

}  // namespace

TEST_CASE("a scaler's float sample is converted once, from its decimal, rounded up", "[quantity]") {
  struct Row {
    const char* name;
    double value;
    int64_t milli;           // -1: a failed reading
    const char* error = "";  // what the failed reading says
  };
  const Row rows[] = {
      {"a count", 42, 42000},
      {"1.011 reads as 1011m, as Prometheus printed it", 1.011, 1011},
      {"sub-milli 0.0005 rounds up to 1m", 0.0005, 1},
      {"largest that fits", 9223372036854774.0, 9223372036854774000},
      {"beyond int64 milli-units", 1e300, -1,
       "InvalidValue: invalid value: 1e+300 does not fit in int64 milli-units"},
      {"NaN", std::numeric_limits<double>::quiet_NaN(), -1, "InvalidValue: invalid value: NaN"},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const decision::MetricReading reading = PollOne(r.value);
    if (r.milli >= 0) {
      REQUIRE(reading.ok);
      CHECK(reading.value_milli == r.milli);
    } else {
      CHECK_FALSE(reading.ok);
      CHECK_THAT(reading.error, Catch::Contains(r.error));
    }
  }
}

TEST_CASE("a scaler's own error passes through the adapter unchanged", "[quantity]") {
  const decision::MetricReading r =
      PollOne(MakeError(ErrorCode::kUnavailable, "connection refused"));
  CHECK_FALSE(r.ok);
  CHECK(r.error == "Unavailable: connection refused");
}

TEST_CASE("the float path decides as the quantity does: 1.011 against 919m scales to 12",
          "[quantity]") {
  // The same situation written as the quantity "1011m" decides 12 (exact_quantity_test). KEDA
  // would hand the HPA 1010m (int64(1.011*1000)) and stay at 10; ebb reads what was printed.
  decision::Spec s;
  s.min_replicas = 1;
  s.max_replicas = 50;
  s.metrics = {ValueMetric("q", 1)};
  s.metrics[0].target.value_milli = 919;
  decision::DecisionState st;
  const decision::Decision d = decision::Decide(s, {}, Observe(10, {PollOne(1.011)}), st, At(0));
  CHECK(d.metrics[0].value_milli == 1011);
  CHECK(d.desired_replicas == 12);
}
