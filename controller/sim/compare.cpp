#include "controller/sim/compare.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "controller/decision/explain.h"
#include "controller/sim/number_text.h"
#include "controller/sim/timestamp_text.h"

namespace ebb::sim {
namespace {

constexpr size_t kFlushBytes = 1 << 16;

std::string Cell(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string RightCell(const std::string& s, size_t width) {
  return s.size() >= width ? " " + s : std::string(width - s.size(), ' ') + s;
}

// Distinct ideals (policies with other replica bounds or polling intervals have their own).
std::vector<const Summary*> DistinctIdeals(const std::vector<ComparedRun>& runs) {
  std::vector<const Summary*> out;
  for (const auto& r : runs) {
    if (!r.summary.ideal) continue;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const Summary* s) {
      return s->ideal->replicas == r.summary.ideal->replicas &&
             s->ideal->block_seconds == r.summary.ideal->block_seconds;
    });
    if (!seen) out.push_back(&r.summary);
  }
  return out;
}

std::string IdealLabel(const Summary& s, size_t distinct) {
  if (distinct <= 1) return "ideal (clairvoyant)";
  return "ideal " + std::to_string(s.spec_min) + "-" + std::to_string(s.spec_max) + " @" +
         std::to_string(s.tick_seconds) + "s";
}

void AppendNumber(std::string& s, double v) {
  if (!std::isfinite(v)) return;
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 7);
  if (ec == std::errc()) s.append(buf, static_cast<size_t>(p - buf));
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::vector<std::string> PolicyLabels(
    const std::vector<std::pair<std::string, std::string>>& name_and_file) {
  std::map<std::string, int> names;
  for (const auto& [name, file] : name_and_file) ++names[name];
  std::vector<std::string> labels;
  for (const auto& [name, file] : name_and_file) {
    labels.push_back(names[name] > 1
                         ? name + " (" + std::filesystem::path(file).filename().string() + ")"
                         : name);
  }
  std::map<std::string, int> seen;
  for (auto& l : labels) {
    const int n = ++seen[l];
    if (n > 1) l += " #" + std::to_string(n);
  }
  return labels;
}

std::string FormatComparison(const std::vector<ComparedRun>& runs) {
  size_t w = 20;
  for (const auto& r : runs) w = std::max(w, r.label.size() + 2);
  const auto ideals = DistinctIdeals(runs);
  for (const Summary* s : ideals) w = std::max(w, IdealLabel(*s, ideals.size()).size() + 2);
  std::string o;
  if (!runs.empty()) {
    const Summary& first = runs.front().summary;
    o += "Comparison of " + std::to_string(runs.size()) + " policies, " +
         FormatRfc3339(first.start) + " .. " + FormatRfc3339(first.end) + " (" +
         FormatSpan(first.duration_seconds) + ")";
    if (first.slo) {
      o += ", SLO p" + FormatFixed(first.slo->percentile, 0) +
           " wait <= " + FormatFixed(first.slo->wait_seconds, 1) + " s";
    }
    o += "\n";
  }
  o += Cell("policy", w) + RightCell("replica-h", 11) + RightCell("x ideal", 9) +
       RightCell("|d ideal|", 11) + RightCell("cost", 10) + RightCell("p95 wait", 10) +
       RightCell("p99 wait", 10) + RightCell("SLO", 8) + RightCell("events/h", 10) +
       RightCell("flapping", 10) + RightCell("at max", 8) + "\n";
  for (const Summary* s : ideals) {
    const IdealResult& id = *s->ideal;
    const double hours = s->duration_seconds / 3600.0;
    o += Cell(IdealLabel(*s, ideals.size()), w) + RightCell(FormatFixed(id.replica_hours, 1), 11) +
         RightCell("1.00", 9) + RightCell("0", 11) +
         RightCell(FormatFixed(id.replica_hours * s->cost_per_replica_hour, 2), 10) +
         RightCell("-", 10) + RightCell(FormatFixed(id.wait_quantile, 1) + " s", 10) +
         RightCell(id.met ? "met" : "MISSED", 8) +
         RightCell(FormatFixed(hours > 0 ? id.scale_events / hours : 0, 1), 10) +
         RightCell("-", 10) + RightCell("-", 8) + "\n";
    o += Cell("work bound", w) + RightCell(FormatFixed(id.work_bound_hours, 1), 11) + "\n";
  }
  for (const auto& r : runs) {
    const Summary& s = r.summary;
    const QueueSummary* q = s.queues.empty() ? nullptr : &s.queues.front();
    const bool ideal = s.ideal && s.ideal->replica_hours > 0;
    o += Cell(r.label, w) + RightCell(FormatFixed(s.replica_hours, 1), 11) +
         RightCell(ideal ? FormatFixed(s.replica_hours / s.ideal->replica_hours, 2) : "-", 9) +
         RightCell(ideal ? FormatFixed(MeanIdealDistance(s), 2) : "-", 11) +
         RightCell(FormatFixed(s.cost, 2), 10) +
         RightCell(q ? FormatFixed(q->wait_p95, 1) + " s" : "-", 10) +
         RightCell(q ? FormatFixed(q->wait_p99, 1) + " s" : "-", 10) +
         RightCell(s.slo ? (s.slo_met ? "met" : "MISSED") : "-", 8) +
         RightCell(FormatFixed(ScaleEventsPerHour(s), 1), 10) +
         RightCell(std::to_string(s.flapping.regions), 10) +
         RightCell(FormatShare(s.seconds_at_max, s.duration_seconds, "-"), 8) + "\n";
  }
  o += "x ideal: replica-hours over the ideal's; |d ideal|: mean |replicas - ideal replicas|;\n"
       "flapping: regions with more than " +
       (runs.empty() ? std::string("4")
                     : std::to_string(runs.front().summary.flapping_rule.reversals)) +
       " direction changes in " +
       FormatSpan(runs.empty() ? 1800 : runs.front().summary.flapping_rule.window_seconds) + "\n";
  std::vector<std::string> warnings;
  for (const auto& r : runs) {
    for (const auto& wr : r.summary.warnings) {
      if (std::find(warnings.begin(), warnings.end(), wr) == warnings.end()) warnings.push_back(wr);
    }
  }
  for (const auto& wr : warnings) o += "warning: " + wr + "\n";
  return o;
}

nlohmann::json ComparisonToJson(const std::vector<ComparedRun>& runs) {
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json summaries = nlohmann::json::array();
  for (const auto& r : runs) {
    const Summary& s = r.summary;
    nlohmann::json j = {{"policy", r.label},
                        {"autoscaler", s.autoscaler},
                        {"file", r.source},
                        {"replicaHours", s.replica_hours},
                        {"cost", s.cost},
                        {"scaleEventsPerHour", ScaleEventsPerHour(s)},
                        {"flappingRegions", s.flapping.regions},
                        {"secondsAtMaxReplicas", s.seconds_at_max},
                        {"waitSeconds", nullptr},
                        {"sloMet", nullptr},
                        {"ideal", nullptr}};
    if (!s.queues.empty()) {
      j["waitSeconds"] = {{"p95", s.queues.front().wait_p95}, {"p99", s.queues.front().wait_p99}};
    }
    if (s.slo) j["sloMet"] = s.slo_met;
    if (s.ideal) {
      j["ideal"] = {{"replicaHours", s.ideal->replica_hours},
                    {"policyOverIdeal",
                     s.ideal->replica_hours > 0 ? s.replica_hours / s.ideal->replica_hours : 0.0},
                    {"distanceReplicaHours", s.ideal_distance_hours},
                    {"meanDistanceReplicas", MeanIdealDistance(s)}};
    }
    rows.push_back(j);
    nlohmann::json full = SummaryToJson(s);
    full["policy"] = r.label;
    summaries.push_back(std::move(full));
  }
  nlohmann::json ideals = nlohmann::json::array();
  for (const Summary* s : DistinctIdeals(runs)) {
    const double hours = s->duration_seconds / 3600.0;
    ideals.push_back({{"minReplicas", s->spec_min},
                      {"maxReplicas", s->spec_max},
                      {"replicaHours", s->ideal->replica_hours},
                      {"cost", s->ideal->replica_hours * s->cost_per_replica_hour},
                      {"workBoundReplicaHours", s->ideal->work_bound_hours},
                      {"waitSeconds", s->ideal->wait_quantile},
                      {"met", s->ideal->met},
                      {"scaleEventsPerHour", hours > 0 ? s->ideal->scale_events / hours : 0.0}});
  }
  return {{"policies", rows}, {"ideals", ideals}, {"summaries", summaries}};
}

PolicyTimelineWriter::PolicyTimelineWriter(std::ostream& out,
                                           const std::vector<const SimulationInput*>& inputs)
    : out_(out) {
  for (const SimulationInput* in : inputs) {
    for (const auto& m : in->spec.metrics) {
      if (std::find(columns_.begin(), columns_.end(), m.name) == columns_.end()) {
        columns_.push_back(m.name);
      }
    }
  }
  buf_ = "policy,time";
  for (const auto& c : columns_) buf_ += "," + c + "_load," + c + "," + c + "_proposal";
  buf_ += ",desired,ready,replicas,reason\n";
}

PolicyTimelineWriter::~PolicyTimelineWriter() {
  Flush();
}

void PolicyTimelineWriter::Flush() {
  out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  buf_.clear();
}

void PolicyTimelineWriter::StartRun(const std::string& label, const SimulationInput& input) {
  label_ = CsvField(label);
  column_of_.assign(input.spec.metrics.size(), -1);
  for (size_t i = 0; i < input.spec.metrics.size(); ++i) {
    auto it = std::find(columns_.begin(), columns_.end(), input.spec.metrics[i].name);
    if (it != columns_.end()) column_of_[i] = static_cast<int>(it - columns_.begin());
  }
}

void PolicyTimelineWriter::OnTick(const TickRecord& tick) {
  buf_ += label_;
  buf_ += ',';
  AppendRfc3339(buf_, tick.at);
  std::vector<const MetricTick*> cells(columns_.size(), nullptr);
  for (size_t i = 0; i < tick.metrics.size() && i < column_of_.size(); ++i) {
    if (column_of_[i] >= 0) cells[static_cast<size_t>(column_of_[i])] = &tick.metrics[i];
  }
  for (const MetricTick* m : cells) {
    buf_ += ',';
    if (m != nullptr) AppendNumber(buf_, m->load);
    buf_ += ',';
    if (m != nullptr) AppendNumber(buf_, m->value);
    buf_ += ',';
    if (m != nullptr && m->proposal >= 0) buf_ += std::to_string(m->proposal);
  }
  buf_ += ',' + std::to_string(tick.desired) + ',' + std::to_string(tick.ready) + ',' +
          std::to_string(tick.replicas_after) + ',' + decision::ToString(tick.reason) + '\n';
  if (buf_.size() > kFlushBytes) Flush();
}

}  // namespace ebb::sim
