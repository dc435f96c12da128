// Opens the recordings named on the command line as one time-ordered stream.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controller/sim/sample_source.h"

namespace ebb::sim {

enum class RecordingFormat { kAuto, kCsv, kPrometheus };

// kAuto: a file whose first non-blank byte is `{` is a query_range answer, anything else CSV.
Result<std::unique_ptr<SampleSource>> OpenRecordings(const std::vector<std::string>& paths,
                                                     RecordingFormat format,
                                                     const std::string& metric_name);

}  // namespace ebb::sim
