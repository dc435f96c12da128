// `timestamp,metric,value` recordings (sim/csv_recording): every row is a sample or an error
// naming the line; times never decrease; reading stops at the first error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/sim/csv_recording.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  auto rec = sim::CsvRecording::FromText(std::string(fuzz::AsText(data, size)), "fuzz.csv");
  sim::RawSample sample;
  Timestamp last{};
  bool have_last = false;
  for (size_t rows = 0;; ++rows) {
    fuzz::Check(rows <= size + 1, "more samples than lines");
    const auto next = rec->Next(sample);
    if (!next) {
      fuzz::CheckMessage(next.error().message);
      break;
    }
    if (!*next) break;
    fuzz::Check(!sample.metric.empty(), "a sample without a metric name");
    fuzz::Check(!have_last || sample.at >= last, "times decrease");
    have_last = true;
    last = sample.at;
  }
  return 0;
}
