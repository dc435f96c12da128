// Kubernetes quantities (base/quantity): anything parses or fails with a message; a parsed value
// formats canonically and parses back to itself; the double view agrees with the milli view.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "controller/base/quantity.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  const std::string_view text = fuzz::AsText(data, size);
  const auto milli = ParseQuantityMilli(text);
  if (!milli) {
    if (IsValidUtf8(text)) fuzz::CheckMessage(milli.error().message);
    fuzz::Check(!ParseQuantityDouble(text), "double parse accepts what milli parse refuses", text);
    return 0;
  }
  const std::string canonical = FormatMilli(*milli);
  const auto again = ParseQuantityMilli(canonical);
  fuzz::Check(again && *again == *milli, "FormatMilli does not parse back to the same value",
              std::string(text) + " -> " + canonical);
  const auto d = ParseQuantityDouble(text);
  fuzz::Check(d && std::isfinite(*d), "double parse fails where milli parse succeeds", text);
  // Milli-units round up, so the views differ by less than one milli-unit (plus float error).
  fuzz::Check(std::fabs(*d * 1000.0 - static_cast<double>(*milli)) <=
                  1.0 + std::fabs(static_cast<double>(*milli)) * 1e-12,
              "double and milli views disagree", text);
  // Re-reading a value at the int64 limits must not overflow.
  (void)DoubleToMilli(*d);
  return 0;
}
