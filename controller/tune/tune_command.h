// `ebb tune`: finds the cheapest Autoscaler settings that meet the Simulation's SLO on a
// recording, checks them on a held-out part, and prints the comparison, the cost-vs-latency
// front and the recommended Autoscaler (docs/tuning.md).
//   ebb tune -f autoscaler.yaml --metrics recorded.csv [--simulation sim.yaml]
//            [--holdout 0.25] [--max-events-per-hour 4] [--threads 2] [--out tuned.yaml] [--json]
// Exit codes: 0 a policy meets the SLO on the training part, 3 none does (the closest is
// printed), 1 an output could not be written, 2 bad arguments, spec or recording.
#pragma once

#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/sim/recording.h"
#include "controller/tune/tuner.h"

namespace ebb::tune {

struct TuneCommandOptions {
  std::string filename;
  std::vector<std::string> metrics;
  std::string simulation_file;
  std::string autoscaler;
  std::string out;  // the recommended Autoscaler as YAML
  std::string metric_name;
  sim::RecordingFormat format = sim::RecordingFormat::kAuto;
  bool json = false;
  bool help = false;
  TuneOptions tune;
};

Result<TuneCommandOptions> ParseTuneArgs(std::span<const std::string> args);
std::string TuneUsage();
int RunTuneCommand(const TuneCommandOptions& options, std::ostream& out, std::ostream& err);
int TuneMain(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace ebb::tune
