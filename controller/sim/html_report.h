// `--report report.html`: one self-contained page (inline CSS, SVG and script, nothing fetched)
// with the load and capacity, the metrics against their targets and the replicas over time, the
// wait distribution, the summary, the scale events and the spec used; several compared policies
// overlaid on the same charts.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "controller/sim/report_series.h"
#include "controller/sim/simulator.h"
#include "controller/sim/summary.h"

namespace ebb::sim {

struct ReportDocuments {
  nlohmann::json autoscaler;  // as written
  nlohmann::json simulation;  // null when none
  std::string spec_file;
  std::vector<std::string> recordings;
};

class ReportBuilder;

// One policy of a report: its label, the file and document it came from, its run.
struct ReportRun {
  std::string label;
  std::string file;
  nlohmann::json autoscaler;
  const ReportBuilder* builder = nullptr;
  const Summary* summary = nullptr;
};

// The page for one run or several compared on the same recording: their replicas, capacity,
// backlog, waits and metrics overlaid on shared time charts (zoomed and panned together by an
// inline script), the ideal schedule, flapping shaded, the wait distribution with the SLO, the
// comparison table, and per policy its summary, scale events and spec.
void WriteReport(std::ostream& out, const std::vector<ReportRun>& runs,
                 const ReportDocuments& docs);

class ReportBuilder final : public TickObserver {
 public:
  explicit ReportBuilder(const SimulationInput& input, size_t max_points = 2000);
  void OnTick(const TickRecord& tick) override;
  void Write(std::ostream& out, const Summary& summary, const ReportDocuments& docs) const;

  static constexpr size_t kMaxEvents = 400;

 private:
  friend void WriteReport(std::ostream& out, const std::vector<ReportRun>& runs,
                          const ReportDocuments& docs);

  struct PerMetric {
    MinMaxSeries load;
    MinMaxSeries compared;
    MinMaxSeries backlog;
    MinMaxSeries wait;
    MinMaxSeries in_flight;  // pool queues
    MinMaxSeries capacity;   // queues: tasks/s the ready replicas can serve
  };
  struct Event {
    Timestamp at;
    int32_t from;
    int32_t to;
    decision::Reason reason;
    int32_t metric;  // the winning metric, -1 when none
    std::string proposals;
  };

  const SimulationInput& input_;
  size_t max_points_;
  std::vector<PerMetric> metrics_;
  MinMaxSeries replicas_;
  MinMaxSeries ready_;
  MinMaxSeries desired_;
  std::vector<Event> events_;
  int64_t events_total_ = 0;
};

}  // namespace ebb::sim
