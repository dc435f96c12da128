#include "controller/sim/html_report.h"

#include <cmath>
#include <cstdio>

#include "controller/decision/explain.h"
#include "controller/sim/number_text.h"
#include "controller/sim/svg_chart.h"
#include "controller/sim/timestamp_text.h"

namespace ebb::sim {
namespace {

constexpr const char* kLoadColor = "#6366f1";
constexpr const char* kValueColor = "#0ea5e9";
constexpr const char* kTargetColor = "#e11d48";
constexpr const char* kBacklogColor = "#f59e0b";
constexpr const char* kWaitColor = "#a855f7";
constexpr const char* kReplicasColor = "#059669";
constexpr const char* kReadyColor = "#84cc16";
constexpr const char* kDesiredColor = "#64748b";
constexpr const char* kLimitColor = "#94a3b8";
constexpr const char* kIdealColor = "#16a34a";
constexpr const char* kCapacityColor = "#0f766e";
constexpr const char* kSloColor = "#dc2626";
// Scale events per hour above which the report flags the run as flapping.
constexpr double kFlappingPerHour = 4;

constexpr const char* kStyle = R"css(
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--accent:#059669}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1220px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:24px;margin:0 0 4px;letter-spacing:-.01em}
h1 span{color:var(--muted);font-weight:500}
h2{font-size:16px;margin:32px 0 10px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.sub{color:var(--muted);margin:0 0 20px}
.sub code{background:#eef2f7;padding:1px 6px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:18px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:24px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .n{color:var(--muted);font-size:12px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:6px 8px;margin:12px 0}
svg.chart{width:100%;height:auto;display:block}
svg .ct{font-size:14px;font-weight:600;fill:var(--fg)}
svg .cu{font-weight:400}svg .cu,svg .yl,svg .xl{font-size:11px;fill:var(--muted);font-variant-numeric:tabular-nums}
svg .lg{font-size:12px;fill:#334155}
svg .ll{font-size:11px;font-weight:600}
svg .grid{stroke:#eef2f7;stroke-width:1}
svg .vgrid{stroke:#f1f5f9;stroke-width:1}
svg .vgrid.day{stroke:#cbd5e1}
svg .frame{fill:none;stroke:var(--line)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
th,td{text-align:left;padding:7px 12px;border-bottom:1px solid var(--line);font-variant-numeric:tabular-nums;vertical-align:top}
th{background:#f1f5f9;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#475569}
tr:last-child td{border-bottom:none}
td.num{text-align:right}td.t{white-space:nowrap}
.up{color:#b45309;font-weight:600}.down{color:#0369a1;font-weight:600}.up.t,.down.t{white-space:nowrap}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media(max-width:900px){.two{grid-template-columns:1fr}}
pre{background:#0f172a;color:#e2e8f0;padding:14px 16px;border-radius:10px;overflow:auto;font-size:12.5px;line-height:1.45;margin:0}
.warn{background:#fff7ed;border:1px solid #fed7aa;color:#9a3412;border-radius:10px;padding:10px 14px;margin:12px 0}
details summary{cursor:pointer;color:var(--muted);margin:8px 0}
footer{color:var(--muted);font-size:12px;margin-top:36px}
)css";

std::string Scalar(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    // Quote what YAML would read as something else.
    const bool plain = !s.empty() && s.find_first_of(":#{}[],&*!|>'\"%@`") == std::string::npos &&
                       s != "true" && s != "false" && s != "null" &&
                       (s.front() < '0' || s.front() > '9') && s.front() != '-' &&
                       s.front() != ' ' && s.back() != ' ';
    return plain ? s : nlohmann::json(s).dump();
  }
  return v.dump();
}

// A small YAML writer: the spec reads better the way it was written than as JSON.
void ToYaml(const nlohmann::json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      out += pad + k + ":";
      if ((child.is_object() && !child.empty()) || (child.is_array() && !child.empty())) {
        out += "\n";
        ToYaml(child, indent + 2, out);
      } else {
        out += " " +
               (child.is_object()  ? std::string("{}")
                : child.is_array() ? std::string("[]")
                                   : Scalar(child)) +
               "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& child : v) {
      if (child.is_object() && !child.empty()) {
        std::string inner;
        ToYaml(child, indent + 2, inner);
        // "- " takes the place of the first line's indentation.
        out += pad + "- " + inner.substr(static_cast<size_t>(indent) + 2);
      } else {
        out += pad + "- " + Scalar(child) + "\n";
      }
    }
  } else {
    out += pad + Scalar(v) + "\n";
  }
}

std::string Card(const std::string& key, const std::string& value, const std::string& note) {
  return "<div class=\"card\"><div class=\"k\">" + HtmlEscape(key) + "</div><div class=\"v\">" +
         HtmlEscape(value) + "</div><div class=\"n\">" + HtmlEscape(note) + "</div></div>";
}

std::string Row(const std::string& key, const std::string& value) {
  return "<tr><td>" + HtmlEscape(key) + "</td><td class=\"num\">" + HtmlEscape(value) +
         "</td></tr>";
}

double TargetValue(const decision::MetricSpec& m) {
  switch (m.target.type) {
    case decision::TargetType::kUtilization:
      return m.target.average_utilization;
    case decision::TargetType::kValue:
      return static_cast<double>(m.target.value_milli) / 1000.0;
    case decision::TargetType::kAverageValue:
      return static_cast<double>(m.target.average_value_milli) / 1000.0;
  }
  return 0;
}

std::string TargetText(const decision::MetricSpec& m) {
  switch (m.target.type) {
    case decision::TargetType::kUtilization:
      return std::to_string(m.target.average_utilization) + " % utilization";
    case decision::TargetType::kValue: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", TargetValue(m));
      return "value " + std::string(buf);
    }
    case decision::TargetType::kAverageValue: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", TargetValue(m));
      return std::string(buf) + " per replica";
    }
  }
  return "";
}

std::string LoadCaption(const ModelConfig& model) {
  switch (model.type) {
    case ModelType::kQueue:
      return "tasks arriving per second";
    case ModelType::kDemand:
      return "total demand";
    case ModelType::kReplay:
      return "recorded value";
    case ModelType::kArrivalRate:
      return "arrivals per second over the window (the queue's, as rate())";
  }
  return "";
}

}  // namespace

ReportBuilder::ReportBuilder(const SimulationInput& input, size_t max_points)
    : input_(input), replicas_(max_points), ready_(max_points), desired_(max_points) {
  for (size_t i = 0; i < input.spec.metrics.size(); ++i) {
    metrics_.push_back({MinMaxSeries(max_points), MinMaxSeries(max_points),
                        MinMaxSeries(max_points), MinMaxSeries(max_points),
                        MinMaxSeries(max_points), MinMaxSeries(max_points)});
  }
}

void ReportBuilder::OnTick(const TickRecord& tick) {
  for (size_t i = 0; i < metrics_.size() && i < tick.metrics.size(); ++i) {
    const MetricTick& m = tick.metrics[i];
    metrics_[i].load.Add(tick.at, m.load);
    metrics_[i].compared.Add(tick.at, m.compared);
    if (i < input_.models.size() && input_.models[i].type == ModelType::kQueue) {
      const ModelConfig& model = input_.models[i];
      metrics_[i].backlog.Add(tick.at, m.backlog);
      metrics_[i].wait.Add(tick.at, m.oldest_wait);
      metrics_[i].in_flight.Add(tick.at, m.in_flight);
      const double per_replica =
          model.queue_kind == QueueKind::kPool
              ? (MeanServiceSeconds(model) > 0 ? model.concurrency / MeanServiceSeconds(model) : 0)
              : model.service_rate;
      metrics_[i].capacity.Add(tick.at, tick.ready * per_replica);
    }
  }
  replicas_.Add(tick.at, tick.replicas_after);
  ready_.Add(tick.at, tick.ready);
  desired_.Add(tick.at, tick.desired);
  if (tick.patched && tick.replicas_after != tick.replicas_before) {
    ++events_total_;
    if (events_.size() < kMaxEvents) {
      Event e{tick.at, tick.replicas_before, tick.replicas_after, tick.reason, -1, ""};
      if (tick.decision != nullptr) e.metric = tick.decision->winning_metric;
      for (size_t i = 0; i < tick.metrics.size(); ++i) {
        if (!e.proposals.empty()) e.proposals += ", ";
        e.proposals += input_.spec.metrics[i].name + " → ";
        e.proposals += tick.metrics[i].proposal >= 0 ? std::to_string(tick.metrics[i].proposal)
                                                     : std::string("failed");
      }
      events_.push_back(std::move(e));
    }
  }
}

void ReportBuilder::Write(std::ostream& out, const Summary& s, const ReportDocuments& docs) const {
  const auto& spec = input_.spec;
  std::string h;
  h += "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  h += "<title>ebb simulate · " + HtmlEscape(s.autoscaler) + "</title><style>";
  h += kStyle;
  h += "</style></head><body><main>";
  h += "<h1>" + HtmlEscape(s.autoscaler) + " <span>· simulated</span></h1>";
  std::string recs;
  for (const auto& r : docs.recordings) recs += (recs.empty() ? "" : ", ") + HtmlEscape(r);
  h += "<p class=\"sub\">" + HtmlEscape(FormatRfc3339(s.start)) + " → " +
       HtmlEscape(FormatRfc3339(s.end)) + " · " + FormatSpan(s.duration_seconds) + " · " +
       std::to_string(s.ticks) + " ticks of " + std::to_string(s.tick_seconds) +
       " s · spec <code>" + HtmlEscape(docs.spec_file) + "</code> · recording <code>" + recs +
       "</code></p>";

  // Headline numbers.
  h += "<div class=\"cards\">";
  h += Card("replica-hours", FormatFixed(s.replica_hours, 1),
            s.cost_per_replica_hour > 0 ? "cost " + FormatFixed(s.cost, 2) : "no price set");
  h += Card(
      "replicas", FormatFixed(s.mean_replicas, 2),
      "mean · min " + std::to_string(s.min_replicas) + " · max " + std::to_string(s.max_replicas));
  const double per_hour = ScaleEventsPerHour(s);
  h += Card("scale events", std::to_string(s.scale_ups + s.scale_downs),
            std::to_string(s.scale_ups) + " up · " + std::to_string(s.scale_downs) + " down · " +
                FormatFixed(per_hour, 1) + "/h" +
                (per_hour > kFlappingPerHour ? " · flapping" : ""));
  if (s.slo) {
    std::string note = "p" + FormatFixed(s.slo->percentile, 0) + " wait " +
                       FormatFixed(s.slo_wait, 1) + " s, objective " +
                       FormatFixed(s.slo->wait_seconds, 1) + " s";
    std::string value = s.slo_met ? "met" : "missed";
    if (s.ideal && s.ideal->replica_hours > 0) {
      note += " · ideal " + FormatFixed(s.ideal->replica_hours, 1) + " replica-h (work bound " +
              FormatFixed(s.ideal->work_bound_hours, 1) + ")";
      value += " · " + FormatFixed(s.replica_hours / s.ideal->replica_hours, 2) + "x ideal";
    }
    h += Card("SLO", value, note);
  }
  h += Card("at maxReplicas", FormatShare(s.seconds_at_max, s.duration_seconds, "–"),
            FormatSpan(s.seconds_at_max) + " at " + std::to_string(s.spec_max));
  for (const auto& q : s.queues) {
    h +=
        Card(q.metric + " wait p95", FormatFixed(q.wait_p95, 1) + " s",
             "p99 " + FormatFixed(q.wait_p99, 1) + " s · max " + FormatFixed(q.wait_max, 1) + " s" +
                 (q.censored > 0 ? " · " + FormatFixed(q.censored, 0) + " still queued (censored)"
                                 : ""));
    h += Card(
        q.metric + " above target", FormatShare(q.seconds_above_target, s.duration_seconds, "–"),
        "backlog p95 " + FormatFixed(q.backlog_p95, 1) + " · max " + FormatFixed(q.backlog_max, 1));
  }
  h += "</div>";
  if (per_hour > kFlappingPerHour || s.zero_while_busy > 0) {
    h += "<div class=\"warn\">";
    if (per_hour > kFlappingPerHour) {
      h += "<div>⚠ flapping: " + FormatFixed(per_hour, 1) + " scale events per hour (more than " +
           FormatFixed(kFlappingPerHour, 0) +
           "); see the replicas chart and lengthen the scale-down window</div>";
    }
    if (s.zero_while_busy > 0) {
      h += "<div>⚠ scaled to 0 while busy " + std::to_string(s.zero_while_busy) +
           " times: the metric does not count the tasks in flight</div>";
    }
    h += "</div>";
  }
  if (!s.warnings.empty()) {
    h += "<div class=\"warn\">";
    for (const auto& w : s.warnings) h += "<div>⚠ " + HtmlEscape(w) + "</div>";
    h += "</div>";
  }

  // Charts.
  h += "<h2>Over time</h2>";
  ChartOptions base;
  base.start = s.start;
  base.end = s.end;
  {
    ChartOptions o = base;
    o.title = "Replicas";
    o.unit = "replicas";
    o.integer_axis = true;
    o.height = 280;
    o.lines = {{static_cast<double>(spec.max_replicas), "max " + std::to_string(spec.max_replicas),
                kLimitColor},
               {static_cast<double>(spec.min_replicas), "min " + std::to_string(spec.min_replicas),
                kLimitColor}};
    std::vector<ChartSeries> series = {
        {"desired", kDesiredColor, &desired_, SeriesStyle::kStep, true, false},
        {"ready", kReadyColor, &ready_, SeriesStyle::kStep, false, false},
        {"replicas", kReplicasColor, &replicas_, SeriesStyle::kStep, false, true},
    };
    // The ideal schedule over the policy's, on the same buckets' scale.
    MinMaxSeries ideal;
    if (s.ideal) {
      const int64_t step_ms = std::llround(s.ideal->block_seconds * 1000.0);
      const int64_t t0 = ToUnixMillis(s.start);
      for (size_t k = 0; k < s.ideal->replicas.size(); ++k) {
        ideal.Add(FromUnixMillis(t0 + static_cast<int64_t>(k) * step_ms), s.ideal->replicas[k]);
      }
      series.push_back(
          {"ideal (clairvoyant)", kIdealColor, &ideal, SeriesStyle::kStep, true, false});
    }
    h += "<div class=\"panel\">" + RenderChart(o, series) + "</div>";
  }
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    const auto& m = spec.metrics[i];
    const ModelConfig& model = input_.models[i];
    const auto& pm = metrics_[i];
    {
      ChartOptions o = base;
      o.title = "Load · " + m.name + " (" + ToString(model.type) + " model)";
      o.unit = LoadCaption(model);
      o.height = 210;
      h += "<div class=\"panel\">" +
           RenderChart(
               o, model.type == ModelType::kQueue
                      ? std::vector<ChartSeries>{{"load", kLoadColor, &pm.load, SeriesStyle::kArea,
                                                  false, true},
                                                 {"capacity of the ready replicas", kCapacityColor,
                                                  &pm.capacity, SeriesStyle::kStep, false, false}}
                      : std::vector<ChartSeries>{{"load", kLoadColor, &pm.load, SeriesStyle::kArea,
                                                  false, true}}) +
           "</div>";
    }
    if (model.type == ModelType::kQueue) {
      ChartOptions o = base;
      o.title = "Backlog · " + m.name;
      o.unit = "tasks";
      o.height = 210;
      h += "<div class=\"panel\">" +
           RenderChart(o, model.queue_kind == QueueKind::kPool
                              ? std::vector<ChartSeries>{{"backlog", kBacklogColor, &pm.backlog,
                                                          SeriesStyle::kArea, false, true},
                                                         {"in flight", kReadyColor, &pm.in_flight,
                                                          SeriesStyle::kLine, false, false}}
                              : std::vector<ChartSeries>{{"backlog", kBacklogColor, &pm.backlog,
                                                          SeriesStyle::kArea, false, true}}) +
           "</div>";
      ChartOptions w = base;
      w.title = "Oldest queued task · " + m.name;
      w.unit = "seconds waited";
      w.height = 190;
      if (s.slo) {
        w.lines = {
            {s.slo->wait_seconds, "SLO " + FormatFixed(s.slo->wait_seconds, 0) + " s", kSloColor}};
      }
      h +=
          "<div class=\"panel\">" +
          RenderChart(w, {{"oldest wait", kWaitColor, &pm.wait, SeriesStyle::kLine, false, true}}) +
          "</div>";
    }
    {
      ChartOptions o = base;
      o.title = "Metric vs target · " + m.name + " (" + TargetText(m) + ")";
      o.unit = m.target.type == decision::TargetType::kUtilization    ? "% of request"
               : m.target.type == decision::TargetType::kAverageValue ? "per replica"
                                                                      : "value";
      o.height = 210;
      o.lines = {{TargetValue(m), "target", kTargetColor}};
      h += "<div class=\"panel\">" +
           RenderChart(
               o, {{"as compared", kValueColor, &pm.compared, SeriesStyle::kLine, false, true}}) +
           "</div>";
    }
  }

  // Summary and events side by side.
  h += "<div class=\"two\"><div><h2>Summary</h2><table>";
  h += Row("period", FormatSpan(s.duration_seconds));
  h += Row("ticks", std::to_string(s.ticks) + " × " + std::to_string(s.tick_seconds) + " s");
  h += Row("replica-hours", FormatFixed(s.replica_hours, 2));
  if (s.cost_per_replica_hour > 0) {
    h += Row("cost",
             FormatFixed(s.cost, 2) + " at " + FormatFixed(s.cost_per_replica_hour, 4) + " / h");
  }
  h += Row("replicas min / mean / max", std::to_string(s.min_replicas) + " / " +
                                            FormatFixed(s.mean_replicas, 2) + " / " +
                                            std::to_string(s.max_replicas));
  h += Row("scale-ups / scale-downs",
           std::to_string(s.scale_ups) + " / " + std::to_string(s.scale_downs));
  h += Row("time at minReplicas (" + std::to_string(s.spec_min) + ")",
           FormatSpan(s.seconds_at_min) + " · " +
               FormatShare(s.seconds_at_min, s.duration_seconds, "–"));
  h += Row("time at maxReplicas (" + std::to_string(s.spec_max) + ")",
           FormatSpan(s.seconds_at_max) + " · " +
               FormatShare(s.seconds_at_max, s.duration_seconds, "–"));
  for (size_t i = 0; i < s.metrics.size(); ++i) {
    h += Row("failed readings · " + s.metrics[i], std::to_string(s.failed_readings[i]));
  }
  // The assumptions a reader must share for the result to hold in the cluster.
  h += Row("tolerance · cpu init / readiness delay / downscale window",
           FormatFixed(s.settings.tolerance, 2) + " · " +
               std::to_string(s.settings.cpu_initialization_period_seconds) + " / " +
               std::to_string(s.settings.initial_readiness_delay_seconds) + " / " +
               std::to_string(s.settings.downscale_stabilization_seconds) + " s");
  for (const auto& q : s.queues) {
    h += Row(q.metric + " · tasks arrived / served",
             FormatFixed(q.arrived, 0) + " / " + FormatFixed(q.served, 0));
    h += Row(q.metric + " · backlog p50 / p95 / p99 / max",
             FormatFixed(q.backlog_p50, 1) + " / " + FormatFixed(q.backlog_p95, 1) + " / " +
                 FormatFixed(q.backlog_p99, 1) + " / " + FormatFixed(q.backlog_max, 1));
    h += Row(q.metric + " · wait p50 / p95 / p99 / max",
             FormatFixed(q.wait_p50, 1) + " / " + FormatFixed(q.wait_p95, 1) + " / " +
                 FormatFixed(q.wait_p99, 1) + " / " + FormatFixed(q.wait_max, 1) + " s" +
                 CensoredNote(q));
    h += Row(q.metric + " · backlog above target",
             FormatSpan(q.seconds_above_target) + " · " +
                 FormatShare(q.seconds_above_target, s.duration_seconds, "–"));
  }
  h += "</table></div>";

  h += "<div><h2>Scale events</h2>";
  if (events_.empty()) {
    h += "<p class=\"sub\">No scale events.</p>";
  } else {
    const size_t shown_open = 12;
    auto event_row = [&](const Event& e) {
      const bool up = e.to > e.from;
      // "MM-DD HH:MM:SS": the year is in the header, and the column stays on one line.
      const std::string iso = FormatRfc3339(e.at);
      return "<tr><td class=\"t\">" + HtmlEscape(iso.substr(5, 5) + " " + iso.substr(11, 8)) +
             "</td><td class=\"" + (up ? "up t" : "down t") + "\">" + std::to_string(e.from) +
             " → " + std::to_string(e.to) + "</td><td>" + HtmlEscape(decision::ToString(e.reason)) +
             "</td><td>" + HtmlEscape(e.proposals) + "</td></tr>";
    };
    const std::string head =
        "<table><tr><th>time (UTC)</th><th>replicas</th><th>reason</th><th>proposals</th></tr>";
    h += head;
    for (size_t k = 0; k < events_.size() && k < shown_open; ++k) h += event_row(events_[k]);
    h += "</table>";
    if (events_.size() > shown_open) {
      h += "<details><summary>" + std::to_string(events_.size() - shown_open) +
           " more events</summary>" + head;
      for (size_t k = shown_open; k < events_.size(); ++k) h += event_row(events_[k]);
      h += "</table></details>";
    }
    if (events_total_ > static_cast<int64_t>(events_.size())) {
      h += "<p class=\"sub\">The first " + std::to_string(events_.size()) + " of " +
           std::to_string(events_total_) + " events are listed.</p>";
    }
  }
  h += "</div></div>";

  // The spec used.
  h += "<h2>Spec used</h2><div class=\"two\"><div><pre>";
  std::string yaml;
  ToYaml(docs.autoscaler, 0, yaml);
  h += HtmlEscape(yaml);
  h += "</pre></div><div><pre>";
  yaml.clear();
  if (docs.simulation.is_null()) {
    yaml = "# no Simulation document: defaults and flags\n";
  } else {
    ToYaml(docs.simulation, 0, yaml);
  }
  yaml += "# in effect:\n#   initialReplicas: " + std::to_string(input_.initial_replicas) +
          "\n#   startupDelaySeconds: " + std::to_string(input_.startup_delay.count() / 1000) +
          "\n#   stalenessSeconds: " + std::to_string(input_.staleness.count() / 1000) + "\n";
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    yaml += "#   " + spec.metrics[i].name + ": " + ToString(input_.models[i].type) + " model\n";
  }
  h += HtmlEscape(yaml);
  h += "</pre></div></div>";
  h += "<footer>Generated by <b>ebb simulate</b>: the recording replayed through ebb's decision "
       "core and reconcile loop on a simulated clock. Charts of long runs show each bucket's "
       "min–max as a band and its mean as the line.</footer>";
  h += "</main></body></html>\n";
  out << h;
}

}  // namespace ebb::sim
