// Prometheus /api/v1/query answers (scalers/prometheus_scaler ParsePrometheusResponse): any body
// under any HTTP status is a value or a typed error, never an exception; a value is finite; the
// message quotes the body safely (a 503 HTML page with a non-ASCII byte once killed the
// controller, issue 8).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "scalers/prometheus_scaler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  if (size < 1) return 0;
  // First byte: the HTTP status class and emptyAsZero; the rest is the body.
  static constexpr long kStatuses[] = {200, 200, 200, 200, 204, 400, 422, 503, 500, 302, 0, 404};
  const long status = kStatuses[data[0] % std::size(kStatuses)];  // NOLINT(google-runtime-int)
  scalers::PrometheusConfig config;
  config.server_address = "http://prometheus:9090";
  config.query = "sum(rate(jobs_total[1m]))";
  config.empty_as_zero = (data[0] & 0x80) != 0;
  const std::string_view body = fuzz::AsText(data + 1, size - 1);
  const auto value = scalers::ParsePrometheusResponse(status, body, config, "spec.metrics[0]");
  if (!value) {
    fuzz::CheckMessage(value.error().message);
    fuzz::Check(value.error().message.size() <= 2048, "message quotes too much of the body",
                value.error().message);
    // The message goes into a status condition and an Event as JSON.
    fuzz::CheckDumps(nlohmann::json{{"message", value.error().message}});
    return 0;
  }
  fuzz::Check(std::isfinite(*value), "a reading that is not finite", body);
  fuzz::Check(status >= 200 && status < 300, "a reading from a non-2xx answer", body);
  return 0;
}
