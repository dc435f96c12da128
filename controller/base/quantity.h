// Kubernetes resource.Quantity parsing. Upstream HPA does all metric arithmetic in int64
// milli-units (Quantity.MilliValue, which rounds up), so ebb parses targets the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace ebb {

// "500m" -> 500, "2" -> 2000, "1Ki" -> 1024000, "1e3" -> 1000000, "0.0001" -> 1 (rounded up).
// Errors (kParse) for malformed text, negative values are returned as negative milli.
Result<int64_t> ParseQuantityMilli(std::string_view text);

// Approximate float value of a quantity (AsApproximateFloat64), used for tolerances.
Result<double> ParseQuantityDouble(std::string_view text);

// Canonical short form of a milli value: 1500 -> "1500m", 2000 -> "2".
std::string FormatMilli(int64_t milli);

// Saturating conversion of a finite double to int64 milli-units (truncates like KEDA's
// int64(value*1000)); the caller rejects NaN/Inf before.
int64_t DoubleToMilli(double value);

// A metric sample a scaler read as a float (Prometheus, Redis), in milli-units with upstream's
// Quantity rounding: the shortest decimal that round-trips to the double (what the source
// printed: "1.011") is read as a quantity and rounded up to the next milli-unit, like
// MilliValue. So 1.011 is 1011 (KEDA's int64(value*1000) truncates the binary64 product to
// 1010) and 0.0005 is 1 (active, as KEDA's float comparison with a threshold of 0 would say).
// kInvalidValue for NaN, +-Inf, a negative value and one of 2^63 milli-units or more.
Result<int64_t> SampleToMilli(double value);

}  // namespace ebb
