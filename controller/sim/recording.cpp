#include "controller/sim/recording.h"

#include <cstdio>

#include "controller/sim/csv_recording.h"
#include "controller/sim/prometheus_recording.h"

namespace ebb::sim {
namespace {

RecordingFormat Sniff(const std::string& path) {
  if (path == "-") return RecordingFormat::kCsv;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return RecordingFormat::kCsv;  // Open reports the error
  int c = 0;
  while ((c = std::fgetc(f)) != EOF && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
  }
  std::fclose(f);
  return c == '{' ? RecordingFormat::kPrometheus : RecordingFormat::kCsv;
}

}  // namespace

Result<std::unique_ptr<SampleSource>> OpenRecordings(const std::vector<std::string>& paths,
                                                     RecordingFormat format,
                                                     const std::string& metric_name) {
  std::vector<std::unique_ptr<SampleSource>> sources;
  for (const auto& path : paths) {
    const RecordingFormat f = format == RecordingFormat::kAuto ? Sniff(path) : format;
    if (f == RecordingFormat::kPrometheus) {
      auto r = PrometheusRecording::Open(path, metric_name);
      if (!r) return r.error();
      sources.push_back(std::move(*r));
    } else {
      auto r = CsvRecording::Open(path);
      if (!r) return r.error();
      sources.push_back(std::move(*r));
    }
  }
  if (sources.empty()) return MakeError(ErrorCode::kInvalidConfig, "no recording given");
  if (sources.size() == 1) return std::move(sources.front());
  return std::unique_ptr<SampleSource>(std::make_unique<MergedSource>(std::move(sources)));
}

}  // namespace ebb::sim
