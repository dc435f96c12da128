// Several policies replayed on the same recording, workload models and seed (`ebb simulate` with
// several Autoscalers, or --compare): one table of what each costs and how it served the work,
// with the ideal schedule beside them, as text and JSON; and the timeline of every run in one
// CSV with a policy column.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "controller/sim/simulator.h"
#include "controller/sim/summary.h"

namespace ebb::sim {

struct ComparedRun {
  std::string label;   // the Autoscaler's name, with its file when two share a name
  std::string source;  // the file it came from
  Summary summary;
};

// Labels for Autoscalers from files: the name, or "name (file)" when names repeat, then
// "#2", "#3" if still not unique.
std::vector<std::string> PolicyLabels(
    const std::vector<std::pair<std::string, std::string>>& name_and_file);

// The table: policy, replica-hours, x ideal, distance from the ideal, cost, p95/p99 wait, SLO,
// scale events per hour, flapping regions, time at maxReplicas; the ideal and work bound first.
std::string FormatComparison(const std::vector<ComparedRun>& runs);
// {"policies": [row...], "ideal": {...} | null, "summaries": [SummaryToJson...]}
nlohmann::json ComparisonToJson(const std::vector<ComparedRun>& runs);

// The per-tick timeline of several runs in one CSV, one run after the other:
//   policy,time,<m>_load,<m>,<m>_proposal,...,desired,ready,replicas,reason
// with the metrics of every policy (by name, in first-seen order); a policy without a metric
// leaves its cells empty.
class PolicyTimelineWriter final : public TickObserver {
 public:
  PolicyTimelineWriter(std::ostream& out, const std::vector<const SimulationInput*>& inputs);
  ~PolicyTimelineWriter() override;
  // The run whose ticks come next.
  void StartRun(const std::string& label, const SimulationInput& input);
  void OnTick(const TickRecord& tick) override;
  void Flush();

 private:
  std::ostream& out_;
  std::vector<std::string> columns_;  // metric names
  std::vector<int> column_of_;        // the current run's metric -> column (-1: none)
  std::string label_;
  std::string buf_;
};

}  // namespace ebb::sim
