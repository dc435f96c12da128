// `ebb simulate`: replays a recording through the Autoscaler's decision core and reconcile loop.
//   ebb simulate -f autoscaler.yaml --metrics recorded.csv [--out timeline.csv]
//                [--report report.html] [--json] [--initial-replicas N] [--startup-delay S] ...
// Exit codes: 0 done, 1 an output could not be written, 2 bad arguments, spec or recording.
#pragma once

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "controller/base/result.h"
#include "controller/sim/recording.h"

namespace ebb::sim {

struct SimulateOptions {
  std::string filename;              // -f: Autoscaler (and maybe Simulation) documents
  std::vector<std::string> metrics;  // --metrics, repeatable
  std::string simulation_file;       // --simulation: Simulation documents kept apart
  // --autoscaler, repeatable: which Autoscalers of the file (none: the one a Simulation names,
  // else all of them; several are compared).
  std::vector<std::string> autoscalers;
  std::vector<std::string> compare;    // --compare: more Autoscaler files, every one compared
  int32_t flap_reversals = 4;          // --flap-reversals: more direction changes than this ...
  int64_t flap_window_seconds = 1800;  // --flap-window: ... within this long is flapping
  std::string out;                     // --out: timeline CSV ("-": stdout)
  std::string report;                  // --report: HTML page
  bool json = false;                   // --json: summary as JSON
  std::optional<int32_t> initial_replicas;
  std::optional<int64_t> startup_delay_seconds;
  std::optional<int64_t> staleness_seconds;
  std::optional<double> cost_per_replica_hour;
  std::optional<int64_t> max_span_days;        // --max-span-days: refuse longer recordings
  std::optional<int64_t> max_ticks;            // --max-ticks: the same, counted in ticks
  std::optional<int64_t> gap_warning_seconds;  // --gap-warning: report longer gaps
  // Controller-level setting flags (--tolerance ...), applied over the Simulation's settings.
  std::vector<std::pair<std::string, std::string>> setting_flags;
  std::string metric_name;  // --metric-name for unnamed query_range series
  RecordingFormat format = RecordingFormat::kAuto;
  bool help = false;
};

// Parses the arguments that follow `ebb simulate`.
Result<SimulateOptions> ParseSimulateArgs(std::span<const std::string> args);

std::string SimulateUsage();

int RunSimulateCommand(const SimulateOptions& options, std::ostream& out, std::ostream& err);

// Parse and run: what `ebb simulate ARGS...` does.
int SimulateMain(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace ebb::sim
