// Object/External/Prometheus/Redis values are int64 milli-units from the source to the decision,
// as upstream's Quantity.MilliValue. A float sample (a scaler's) is converted once, the way KEDA
// hands it to the HPA; everything after that is integer milli-units and upstream's float64 ratio.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "controller/base/quantity.h"
#include "controller/decision/decider.h"
#include "tests/support/builders.h"

using namespace ebb::decision;
using namespace ebb::testing;

namespace {

constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();

// A Value (or AverageValue) target in milli-units on the legacy path (no behavior), wide
// enough that the proposal is what the decision reports.
Spec ValueSpec(int64_t target_milli, int32_t min_replicas = 1) {
  Spec s;
  s.min_replicas = min_replicas;
  s.max_replicas = kMax32;
  s.metrics = {ValueMetric("q", 1)};
  s.metrics[0].target.value_milli = target_milli;
  return s;
}

Decision DecideOnce(const Spec& s, int32_t replicas, const MetricReading& reading) {
  DecisionState st;
  return Decide(s, {}, Observe(replicas, {reading}), st, At(0));
}

}  // namespace

TEST_CASE("a float sample becomes milli-units once, as KEDA's int64(value*1000)",
          "[decision][quantity]") {
  struct Row {
    const char* name;
    double value;
    int64_t milli;  // -1: refused as kInvalidValue
    const char* message;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Row rows[] = {
      {"integer (a Redis length)", 42, 42000, ""},
      {"exact decimal", 1.5, 1500, ""},
      // 1.011 is the binary64 1.01099999999999990...; times 1000 it is 1010.9999999999999,
      // which KEDA's int64() truncates to 1010. Read from its shortest decimal it is 1011m.
      {"1.011 is 1011m, as the source printed it", 1.011, 1011, ""},
      {"1.005 is 1005m", 1.005, 1005, ""},
      {"0.1 + 0.2 rounds up like MilliValue", 0.1 + 0.2, 301, ""},
      {"5.001 is exact after the product", 5.001, 5001, ""},
      {"one milli-unit", 0.001, 1, ""},
      {"sub-milli 0.0005 rounds up to 1m", 0.0005, 1, ""},
      {"sub-milli 0.0009999 rounds up to 1m", 0.0009999, 1, ""},
      {"smallest double rounds up to 1m", 5e-324, 1, ""},
      {"negative zero is 0", -0.0, 0, ""},
      {"2^53 is exact", 9007199254740992.0, 9007199254740992000, ""},
      {"largest double that fits", 9223372036854774.0, 9223372036854774000, ""},
      {"first double that does not fit", 9223372036854776.0, -1, "does not fit in int64 milli"},
      {"huge", 1e300, -1, "invalid value: 1e+300 does not fit in int64 milli-units"},
      {"max double", std::numeric_limits<double>::max(), -1, "does not fit"},
      {"NaN", std::numeric_limits<double>::quiet_NaN(), -1, "invalid value: NaN"},
      {"+Inf", inf, -1, "invalid value: +Inf"},
      {"-Inf", -inf, -1, "invalid value: -Inf"},
      {"negative", -1, -1, "invalid value: negative (-1)"},
      {"sub-milli negative is still negative", -0.0005, -1, "invalid value: negative (-5e-04)"},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const auto m = ebb::SampleToMilli(r.value);
    if (r.milli >= 0) {
      REQUIRE(m.has_value());
      CHECK(*m == r.milli);
    } else {
      REQUIRE_FALSE(m.has_value());
      CHECK(m.error().code == ebb::ErrorCode::kInvalidValue);
      CHECK_THAT(m.error().message, Catch::Contains(r.message));
    }
  }
}

TEST_CASE("Value targets decide on exact milli-units with upstream's float64 ratio",
          "[decision][quantity]") {
  struct Row {
    const char* name;
    int64_t value_milli;
    int64_t target_milli;
    int32_t replicas;  // spec = status = ready replicas
    int32_t proposal;
  };
  const Row rows[] = {
      // The case: 1011/919 = 1.1001 > 1.1 -> ceil(11.001) = 12. The double path read
      // 1011m as 1010m (1010/919 = 1.0990, within the band) and stayed at 10.
      {"1011m vs 919m", 1011, 919, 10, 12},
      {"1010m vs 919m (what the double path saw)", 1010, 919, 10, 10},
      // Both ends of the band are inclusive: 1100/1000 and 900/1000 are the binary64 1.1 and
      // 0.9, equal to 1.0 + 0.1 and 1.0 - 0.1.
      {"exactly 1 + tolerance", 1100, 1000, 10, 10},
      {"one milli-unit above the band", 1101, 1000, 10, 12},  // ceil(11.01)
      {"exactly 1 - tolerance", 900, 1000, 10, 10},
      {"one milli-unit below the band", 899, 1000, 10, 9},  // ceil(8.99)
      {"zero", 0, 1000, 10, 0},
      {"largest value vs 1m: saturates at MaxInt32", kMax64, 1, 10, kMax32},
      {"largest value vs itself", kMax64, kMax64, 10, 10},
      {"1m vs the largest target", 1, kMax64, 10, 1},  // ceil(1.08e-19 * 10)
      {"scale from zero: ceil(ratio), no tolerance", 1011, 919, 0, 2},
      {"scale from zero at the band's edge", 1100, 1000, 0, 2},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const Spec s = ValueSpec(r.target_milli, r.replicas == 0 ? 0 : 1);
    const Decision d = DecideOnce(s, r.replicas, ValueMilli(r.value_milli));
    REQUIRE(d.metrics[0].status == MetricStatus::kOk);
    CHECK(d.metrics[0].proposal == r.proposal);
    CHECK(d.metrics[0].value_milli == r.value_milli);  // reported exactly
    CHECK(d.metrics[0].usage_ratio ==
          static_cast<double>(r.value_milli) / static_cast<double>(r.target_milli));
  }
}

TEST_CASE("the issue's case end to end: 1011m against 919m at 10 replicas scales to 12",
          "[decision][quantity]") {
  const Decision d = DecideOnce(ValueSpec(919), 10, ValueMilli(1011));
  CHECK(d.desired_replicas == 12);
  CHECK(d.scale);
}

TEST_CASE("AverageValue: huge values saturate the reported average, never wrap",
          "[decision][quantity]") {
  struct Row {
    const char* name;
    int64_t value_milli;
    int32_t status_replicas;
    int32_t proposal;
    int64_t average_milli;
  };
  const Row rows[] = {
      {"ordinary", 26000, 5, 5, 5200},  // 26/(5*5) = 1.04: within -> status replicas
      // int64(math.Ceil(float64(MaxInt64)/3)): the quotient is exact in binary64 here.
      {"largest over 3", kMax64, 3, kMax32, 3074457345618258432},
      // float64(MaxInt64)/1 is 2^63, which no int64 holds: saturated (Go's conversion would be
      // implementation-defined; the old code reported 9200000000000000000).
      {"largest over 1", kMax64, 1, kMax32, kMax64},
      {"status 0 reports 0", kMax64, 0, kMax32, 0},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    Spec s = ValueSpec(1);
    s.metrics = {QueueMetric("q", 5)};
    Observation obs = Observe(4, {ValueMilli(r.value_milli)});
    obs.status_replicas = r.status_replicas;
    DecisionState st;
    const Decision d = Decide(s, {}, obs, st, At(0));
    REQUIRE(d.metrics[0].status == MetricStatus::kOk);
    CHECK(d.metrics[0].proposal == r.proposal);
    CHECK(d.metrics[0].value_milli == r.average_milli);
  }
}

TEST_CASE("a sub-milli float sample reads as 1m: active against the default threshold",
          "[decision][quantity]") {
  // KEDA compares the raw float with the threshold, so 0.0005 > 0 is activity there too.
  const auto milli = ebb::SampleToMilli(0.0005);
  REQUIRE(milli.has_value());
  Spec s = ValueSpec(1000, 0);
  const Decision d = DecideOnce(s, 0, ValueMilli(*milli));
  CHECK(d.metrics[0].value_milli == 1);
  CHECK(d.metrics[0].active);
  CHECK(d.desired_replicas == 1);
  // Zero is not.
  const Decision zero = DecideOnce(s, 0, ValueMilli(*ebb::SampleToMilli(0.0)));
  CHECK_FALSE(zero.metrics[0].active);
  CHECK(zero.desired_replicas == 0);
}

TEST_CASE("a negative milli value is refused with its exact text", "[decision][quantity]") {
  const Decision d = DecideOnce(ValueSpec(1000), 10, ValueMilli(-1));
  CHECK(d.metrics[0].status == MetricStatus::kFailed);
  CHECK(d.metrics[0].error == "invalid value: negative (-1m)");
  CHECK(d.desired_replicas == 10);
}
