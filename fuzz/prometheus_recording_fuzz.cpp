// Prometheus query_range answers as recordings (sim/prometheus_recording): parsed or refused with
// a message naming the field; the merged stream's times never decrease.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/sim/prometheus_recording.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  const std::string_view text = fuzz::AsText(data, size);
  // With and without --metric-name: the naming rule differs.
  for (const char* metric_name : {"", "fuzzed"}) {
    auto rec = sim::PrometheusRecording::FromText(text, "fuzz.json", metric_name);
    if (!rec) {
      fuzz::CheckMessage(rec.error().message);
      continue;
    }
    sim::RawSample sample;
    Timestamp last{};
    bool have_last = false;
    for (;;) {
      const auto next = (*rec)->Next(sample);
      if (!next) {
        fuzz::CheckMessage(next.error().message);
        break;
      }
      if (!*next) break;
      fuzz::Check(!have_last || sample.at >= last, "times decrease");
      have_last = true;
      last = sample.at;
    }
  }
  return 0;
}
