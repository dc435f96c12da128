#include "controller/sim/html_report.h"

#include <algorithm>
#include <array>
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
// One colour per compared policy (the first keeps the single-run replicas colour).
constexpr std::array<const char*, 8> kPolicyColors = {"#059669", "#6366f1", "#e11d48", "#f59e0b",
                                                      "#0ea5e9", "#a855f7", "#64748b", "#0f766e"};
constexpr const char* kFlapColor = "#f97316";

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
svg .zx path{vector-effect:non-scaling-stroke}
svg.chart[data-t0]{cursor:grab;touch-action:pan-y}
.zoombar{position:sticky;top:0;z-index:5;background:var(--bg);padding:6px 0 4px;border-bottom:1px solid var(--line)}
.zoombar .row{display:flex;gap:10px;align-items:center;flex-wrap:wrap;font-size:12px;color:var(--muted)}
.zoombar button{font:inherit;font-size:12px;padding:2px 10px;border:1px solid #cbd5e1;border-radius:6px;background:#fff;cursor:pointer}
#ovw svg{cursor:crosshair;touch-action:none}
#ovw .brush{fill:#0ea5e9;fill-opacity:.15;stroke:#0284c7;stroke-width:1}
.sw{display:inline-block;width:12px;height:4px;border-radius:2px;margin-right:6px;vertical-align:middle}
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

// Zoom and pan, linked across every chart of the page: drag a range on the overview strip
// (a click centres the view there), drag a chart to pan, Shift or Ctrl + wheel over a chart to
// zoom around the pointer, double-click or Reset for the whole run. The charts' plots are drawn
// once for the whole run; the script only stretches them (x) and redraws the time axis, so the
// detail on zoom is the report's buckets (each one's min-max band stays visible).
constexpr const char* kScript = R"js(
(function () {
  'use strict';
  var all = Array.prototype.slice.call(document.querySelectorAll('svg.chart[data-t0]'));
  var ovw = document.getElementById('ovw');
  var overview = ovw ? ovw.querySelector('svg.chart[data-t0]') : null;
  var charts = all.filter(function (c) { return c !== overview; });
  if (!charts.length) return;
  var T0 = +charts[0].getAttribute('data-t0'), T1 = +charts[0].getAttribute('data-t1');
  var v0 = T0, v1 = T1;
  var minSpan = Math.min(T1 - T0, 600000);
  var steps = [60e3, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5,
               6048e5, 2592e6];
  var SVGNS = 'http://www.w3.org/2000/svg';
  function num(el, k) { return +el.getAttribute('data-' + k); }
  function iso(ms) { return new Date(ms).toISOString(); }
  function tlabel(ms, withTime, withDate) {
    var s = iso(ms);
    if (!withTime) return s.substr(5, 5);
    return withDate ? s.substr(5, 5) + ' ' + s.substr(11, 5) : s.substr(11, 5);
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function axis(svg) {
    var l = num(svg, 'l'), pw = num(svg, 'pw'), top = num(svg, 'top'), ph = num(svg, 'ph');
    var h = num(svg, 'h'), span = v1 - v0, st = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) { if (span / steps[i] <= 10) { st = steps[i]; break; } }
    var withTime = st < 864e5, first = true;
    var g = svg.querySelector('g.xa');
    while (g.firstChild) g.removeChild(g.firstChild);
    for (var t = Math.ceil(v0 / st) * st; t <= v1; t += st) {
      var x = (l + pw * (t - v0) / span).toFixed(1), midnight = t % 864e5 === 0;
      g.appendChild(el('line', {'class': 'vgrid' + (midnight && withTime ? ' day' : ''),
                                x1: x, x2: x, y1: top, y2: top + ph}));
      g.appendChild(el('text', {'class': 'xl', x: x, y: h - 8, 'text-anchor': 'middle'},
                       tlabel(t, withTime, withTime && (first || midnight))));
      first = false;
    }
  }
  var brush = null;
  if (overview) {
    brush = el('rect', {'class': 'brush', y: num(overview, 'top'), height: num(overview, 'ph')});
    overview.appendChild(brush);
  }
  var label = document.getElementById('zrange');
  function draw() {
    charts.forEach(function (svg) {
      var l = num(svg, 'l'), pw = num(svg, 'pw'), t0 = num(svg, 't0'), t1 = num(svg, 't1');
      var a = (v0 - t0) / (t1 - t0), b = (v1 - t0) / (t1 - t0), k = 1 / (b - a);
      svg.querySelector('g.zx').setAttribute(
          'transform', 'matrix(' + k + ',0,0,1,' + (l - l * k - pw * a * k) + ',0)');
      axis(svg);
    });
    if (brush) {
      var l = num(overview, 'l'), pw = num(overview, 'pw');
      var t0 = num(overview, 't0'), t1 = num(overview, 't1');
      brush.setAttribute('x', l + pw * (v0 - t0) / (t1 - t0));
      brush.setAttribute('width', Math.max(1, pw * (v1 - v0) / (t1 - t0)));
    }
    if (label) {
      label.textContent = iso(v0).substr(0, 16).replace('T', ' ') + ' → ' +
          iso(v1).substr(0, 16).replace('T', ' ') + ' UTC' +
          (v0 > T0 || v1 < T1 ? ' (zoomed)' : ' (whole run)');
    }
  }
  function view(a, b) {
    if (b - a < minSpan) { var m = (a + b) / 2; a = m - minSpan / 2; b = m + minSpan / 2; }
    if (b - a >= T1 - T0) { a = T0; b = T1; }
    if (a < T0) { b += T0 - a; a = T0; }
    if (b > T1) { a -= b - T1; b = T1; }
    v0 = a; v1 = b;
    draw();
  }
  function fraction(svg, ev) {
    var r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    var x = (ev.clientX - r.left) * vb.width / r.width;
    return Math.min(1, Math.max(0, (x - num(svg, 'l')) / num(svg, 'pw')));
  }
  charts.forEach(function (svg) {
    svg.addEventListener('wheel', function (ev) {
      if (!ev.shiftKey && !ev.ctrlKey) return;  // a plain wheel scrolls the page
      ev.preventDefault();
      var t = v0 + fraction(svg, ev) * (v1 - v0), z = (ev.deltaY || ev.deltaX) < 0 ? 0.8 : 1.25;
      view(t - (t - v0) * z, t + (v1 - t) * z);
    }, {passive: false});
    var drag = null;
    svg.addEventListener('pointerdown', function (ev) {
      var r = svg.getBoundingClientRect();
      drag = {x: ev.clientX, a: v0, b: v1,
              w: r.width * num(svg, 'pw') / svg.viewBox.baseVal.width};
      svg.setPointerCapture(ev.pointerId);
    });
    svg.addEventListener('pointermove', function (ev) {
      if (!drag) return;
      var dt = (ev.clientX - drag.x) / drag.w * (drag.b - drag.a);
      view(drag.a - dt, drag.b - dt);
    });
    svg.addEventListener('pointerup', function () { drag = null; });
    svg.addEventListener('dblclick', function () { view(T0, T1); });
  });
  if (overview) {
    var start = null;
    var at = function (ev) { return T0 + fraction(overview, ev) * (T1 - T0); };
    overview.addEventListener('pointerdown', function (ev) {
      start = at(ev);
      overview.setPointerCapture(ev.pointerId);
    });
    overview.addEventListener('pointermove', function (ev) {
      if (start === null) return;
      var t = at(ev);
      if (Math.abs(t - start) > minSpan / 4) view(Math.min(t, start), Math.max(t, start));
    });
    overview.addEventListener('pointerup', function (ev) {
      var t = at(ev);
      if (start !== null && Math.abs(t - start) <= minSpan / 4) {
        var half = (v1 - v0) / 2;
        view(t - half, t + half);
      }
      start = null;
    });
  }
  function zoomBy(z) { var m = (v0 + v1) / 2, half = (v1 - v0) * z / 2; view(m - half, m + half); }
  var buttons = {zreset: function () { view(T0, T1); }, zin: function () { zoomBy(0.5); },
                 zout: function () { zoomBy(2); }};
  Object.keys(buttons).forEach(function (id) {
    var b = document.getElementById(id);
    if (b) b.addEventListener('click', buttons[id]);
  });
  draw();
})();
)js";

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
    : input_(input),
      max_points_(max_points),
      replicas_(max_points),
      ready_(max_points),
      desired_(max_points) {
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
  WriteReport(out, {ReportRun{s.autoscaler, docs.spec_file, docs.autoscaler, this, &s}}, docs);
}

namespace {

std::string PolicyColor(size_t k) {
  return kPolicyColors[k % kPolicyColors.size()];
}

std::string SummaryTable(const Summary& s) {
  std::string h = "<table>";
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
  h += Row("flapping", FlappingText(s));
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
  if (s.ideal) {
    h += Row("ideal schedule · replica-hours (work bound)",
             FormatFixed(s.ideal->replica_hours, 2) + " (" +
                 FormatFixed(s.ideal->work_bound_hours, 2) + ")");
    h += Row("distance from ideal", FormatFixed(s.ideal_distance_hours, 2) + " replica-h · mean " +
                                        FormatFixed(MeanIdealDistance(s), 2) + " replicas");
  }
  h += "</table>";
  return h;
}

std::string SpecBlock(const nlohmann::json& autoscaler) {
  std::string yaml;
  ToYaml(autoscaler, 0, yaml);
  return "<pre>" + HtmlEscape(yaml) + "</pre>";
}

// The compared policies, one row each, the ideal schedule(s) first.
std::string ComparisonTable(const std::vector<ReportRun>& runs) {
  std::string h =
      "<table><tr><th>policy</th><th>replica-h</th><th>× ideal</th><th>|Δ ideal|</th>"
      "<th>cost</th><th>p95 wait</th><th>p99 wait</th><th>SLO</th><th>events/h</th>"
      "<th>flapping</th><th>at max</th></tr>";
  std::vector<const IdealResult*> shown;
  for (const auto& r : runs) {
    const Summary& s = *r.summary;
    if (!s.ideal) continue;
    if (std::any_of(shown.begin(), shown.end(),
                    [&](const IdealResult* i) { return i->replicas == s.ideal->replicas; })) {
      continue;
    }
    shown.push_back(&*s.ideal);
    const double hours = s.duration_seconds / 3600.0;
    h += "<tr><td><span class=\"sw\" style=\"background:" + std::string(kIdealColor) +
         "\"></span>ideal (clairvoyant" +
         (runs.size() > 1 ? ", " + std::to_string(s.spec_min) + "–" + std::to_string(s.spec_max)
                          : std::string()) +
         ")</td><td class=\"num\">" + FormatFixed(s.ideal->replica_hours, 1) +
         "</td><td class=\"num\">1.00</td><td class=\"num\">0</td><td class=\"num\">" +
         FormatFixed(s.ideal->replica_hours * s.cost_per_replica_hour, 2) +
         "</td><td class=\"num\">–</td><td class=\"num\">" +
         FormatFixed(s.ideal->wait_quantile, 1) + " s</td><td>" +
         (s.ideal->met ? "met" : "MISSED") + "</td><td class=\"num\">" +
         FormatFixed(hours > 0 ? s.ideal->scale_events / hours : 0, 1) +
         "</td><td class=\"num\">–</td><td class=\"num\">–</td></tr>";
  }
  for (size_t k = 0; k < runs.size(); ++k) {
    const Summary& s = *runs[k].summary;
    const QueueSummary* q = s.queues.empty() ? nullptr : &s.queues.front();
    const bool ideal = s.ideal && s.ideal->replica_hours > 0;
    h += "<tr><td><span class=\"sw\" style=\"background:" + PolicyColor(k) + "\"></span>" +
         HtmlEscape(runs[k].label) + "</td><td class=\"num\">" + FormatFixed(s.replica_hours, 1) +
         "</td><td class=\"num\">" +
         (ideal ? FormatFixed(s.replica_hours / s.ideal->replica_hours, 2) : "–") +
         "</td><td class=\"num\">" + (ideal ? FormatFixed(MeanIdealDistance(s), 2) : "–") +
         "</td><td class=\"num\">" + FormatFixed(s.cost, 2) + "</td><td class=\"num\">" +
         (q ? FormatFixed(q->wait_p95, 1) + " s" : "–") + "</td><td class=\"num\">" +
         (q ? FormatFixed(q->wait_p99, 1) + " s" : "–") + "</td><td>" +
         (s.slo ? (s.slo_met ? "met" : "MISSED") : "–") + "</td><td class=\"num\">" +
         FormatFixed(ScaleEventsPerHour(s), 1) + "</td><td class=\"num\">" +
         std::to_string(s.flapping.regions) + "</td><td class=\"num\">" +
         FormatShare(s.seconds_at_max, s.duration_seconds, "–") + "</td></tr>";
  }
  h += "</table><p class=\"sub\">× ideal: replica-hours over the ideal schedule's; |Δ ideal|: "
       "mean |replicas − ideal replicas|; flapping: regions of more than " +
       std::to_string(runs.front().summary->flapping_rule.reversals) + " direction changes in " +
       FormatSpan(runs.front().summary->flapping_rule.window_seconds) +
       " (shaded on the replicas chart).</p>";
  return h;
}

std::vector<ChartRegion> FlapRegions(const Summary& s, const std::string& color) {
  std::vector<ChartRegion> out;
  const int64_t t0 = ToUnixMillis(s.start);
  for (const auto& r : s.flapping.listed) {
    out.push_back({t0 + std::llround(r.start * 1000), t0 + std::llround(r.end * 1000), color});
  }
  return out;
}

}  // namespace

void WriteReport(std::ostream& out, const std::vector<ReportRun>& runs,
                 const ReportDocuments& docs) {
  if (runs.empty()) return;
  const bool compare = runs.size() > 1;
  const Summary& s = *runs.front().summary;
  const ReportBuilder& first = *runs.front().builder;
  std::string h;
  h += "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  const std::string title =
      compare ? "comparison of " + std::to_string(runs.size()) + " policies" : s.autoscaler;
  h += "<title>ebb simulate · " + HtmlEscape(title) + "</title><style>";
  h += kStyle;
  h += "</style></head><body><main>";
  h += "<h1>" + HtmlEscape(title) + " <span>· simulated</span></h1>";
  std::string recs;
  for (const auto& r : docs.recordings) recs += (recs.empty() ? "" : ", ") + HtmlEscape(r);
  h += "<p class=\"sub\">" + HtmlEscape(FormatRfc3339(s.start)) + " → " +
       HtmlEscape(FormatRfc3339(s.end)) + " · " + FormatSpan(s.duration_seconds) + " · " +
       std::to_string(s.ticks) + " ticks of " + std::to_string(s.tick_seconds) +
       " s · spec <code>" + HtmlEscape(docs.spec_file) + "</code> · recording <code>" + recs +
       "</code></p>";

  // Every run's range: compared policies may poll at other intervals.
  Timestamp start = s.start, end = s.end;
  for (const auto& r : runs) {
    start = std::min(start, r.summary->start);
    end = std::max(end, r.summary->end);
  }

  if (compare) {
    h += "<h2>Compared on the same recording, models and seed</h2>" + ComparisonTable(runs);
  } else {
    // Headline numbers.
    h += "<div class=\"cards\">";
    h += Card("replica-hours", FormatFixed(s.replica_hours, 1),
              s.cost_per_replica_hour > 0 ? "cost " + FormatFixed(s.cost, 2) : "no price set");
    h += Card("replicas", FormatFixed(s.mean_replicas, 2),
              "mean · min " + std::to_string(s.min_replicas) + " · max " +
                  std::to_string(s.max_replicas));
    const double per_hour = ScaleEventsPerHour(s);
    h += Card("scale events", std::to_string(s.scale_ups + s.scale_downs),
              std::to_string(s.scale_ups) + " up · " + std::to_string(s.scale_downs) + " down · " +
                  FormatFixed(per_hour, 1) + "/h");
    h += Card("flapping", std::to_string(s.flapping.regions),
              (s.flapping.regions == 1 ? "region · " : "regions · ") +
                  FormatSpan(s.flapping.seconds) + " · " + std::to_string(s.flapping.reversals) +
                  " direction changes");
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
      h += Card(
          q.metric + " wait p95", FormatFixed(q.wait_p95, 1) + " s",
          "p99 " + FormatFixed(q.wait_p99, 1) + " s · max " + FormatFixed(q.wait_max, 1) + " s" +
              (q.censored > 0 ? " · " + FormatFixed(q.censored, 0) + " still queued (censored)"
                              : ""));
      h += Card(q.metric + " above target",
                FormatShare(q.seconds_above_target, s.duration_seconds, "–"),
                "backlog p95 " + FormatFixed(q.backlog_p95, 1) + " · max " +
                    FormatFixed(q.backlog_max, 1));
    }
    h += "</div>";
  }
  {
    std::string warn;
    for (const auto& r : runs) {
      const Summary& rs = *r.summary;
      const std::string who = compare ? HtmlEscape(r.label) + ": " : "";
      if (rs.flapping.regions > 0) {
        warn += "<div>⚠ " + who + "flapping: " + HtmlEscape(FlappingText(rs)) +
                "; shaded on the replicas chart (lengthen the scale-down window or widen the "
                "tolerance)</div>";
      }
      if (rs.zero_while_busy > 0) {
        warn += "<div>⚠ " + who + "scaled to 0 while busy " + std::to_string(rs.zero_while_busy) +
                " times: the metric does not count the tasks in flight</div>";
      }
    }
    std::vector<std::string> seen;
    for (const auto& r : runs) {
      for (const auto& w : r.summary->warnings) {
        if (std::find(seen.begin(), seen.end(), w) != seen.end()) continue;
        seen.push_back(w);
        warn += "<div>⚠ " + HtmlEscape(w) + "</div>";
      }
    }
    if (!warn.empty()) h += "<div class=\"warn\">" + warn + "</div>";
  }

  // Charts: the overview strip and its controls stay on screen while the page scrolls.
  h += "<h2>Over time</h2>";
  int chart_id = 0;
  ChartOptions base;
  base.start = start;
  base.end = end;
  auto next_id = [&chart_id]() { return "t" + std::to_string(++chart_id); };
  h += "<div class=\"zoombar\"><div class=\"row\"><button id=\"zin\" type=\"button\">zoom in"
       "</button><button id=\"zout\" type=\"button\">zoom out</button><button id=\"zreset\" "
       "type=\"button\">reset</button><span id=\"zrange\"></span><span>· drag on the strip to "
       "pick a range, drag a chart to pan, Shift + wheel to zoom, double-click to reset"
       "</span></div><div id=\"ovw\">";
  {
    ChartOptions o = base;
    o.id = "ov";
    o.title = "";
    o.height = 100;
    o.integer_axis = true;
    std::vector<ChartSeries> series;
    for (size_t k = 0; k < runs.size(); ++k) {
      series.push_back({compare ? runs[k].label : "replicas",
                        compare ? PolicyColor(k) : std::string(kReplicasColor),
                        &runs[k].builder->replicas_, SeriesStyle::kStep, false, false});
    }
    h += RenderChart(o, series);
  }
  h += "</div></div>";

  // Replicas: every policy, the ideal schedule(s), flapping shaded.
  std::vector<MinMaxSeries> ideal_series;
  ideal_series.reserve(runs.size());
  {
    ChartOptions o = base;
    o.id = next_id();
    o.title = "Replicas";
    o.unit = compare ? "replicas of each policy" : "replicas";
    o.integer_axis = true;
    o.height = 280;
    o.lines = {{static_cast<double>(s.spec_max), "max " + std::to_string(s.spec_max), kLimitColor},
               {static_cast<double>(s.spec_min), "min " + std::to_string(s.spec_min), kLimitColor}};
    std::vector<ChartSeries> series;
    if (!compare) {
      series = {
          {"desired", kDesiredColor, &first.desired_, SeriesStyle::kStep, true, false},
          {"ready", kReadyColor, &first.ready_, SeriesStyle::kStep, false, false},
          {"replicas", kReplicasColor, &first.replicas_, SeriesStyle::kStep, false, true},
      };
      o.regions = FlapRegions(s, kFlapColor);
    } else {
      for (size_t k = 0; k < runs.size(); ++k) {
        series.push_back({runs[k].label, PolicyColor(k), &runs[k].builder->replicas_,
                          SeriesStyle::kStep, false, true});
        for (auto& r : FlapRegions(*runs[k].summary, PolicyColor(k))) o.regions.push_back(r);
      }
    }
    // The ideal schedule(s) over the policies', on the same buckets' scale.
    std::vector<const IdealResult*> drawn;
    for (const auto& r : runs) {
      const Summary& rs = *r.summary;
      if (!rs.ideal || std::any_of(drawn.begin(), drawn.end(), [&](const IdealResult* i) {
            return i->replicas == rs.ideal->replicas;
          })) {
        continue;
      }
      drawn.push_back(&*rs.ideal);
      ideal_series.emplace_back(r.builder->max_points_);
      MinMaxSeries& ideal = ideal_series.back();
      const int64_t step_ms = std::llround(rs.ideal->block_seconds * 1000.0);
      const int64_t t0 = ToUnixMillis(rs.start);
      for (size_t k = 0; k < rs.ideal->replicas.size(); ++k) {
        ideal.Add(FromUnixMillis(t0 + static_cast<int64_t>(k) * step_ms), rs.ideal->replicas[k]);
      }
      series.push_back({drawn.size() == 1 ? "ideal (clairvoyant)"
                                          : "ideal " + std::to_string(rs.spec_min) + "–" +
                                                std::to_string(rs.spec_max),
                        kIdealColor, &ideal, SeriesStyle::kStep, true, false});
    }
    h += "<div class=\"panel\">" + RenderChart(o, series) + "</div>";
  }

  // Per metric, by name, over every policy that has it.
  std::vector<std::string> names;
  for (const auto& r : runs) {
    for (const auto& m : r.builder->input_.spec.metrics) {
      if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    }
  }
  struct Having {
    size_t run;
    size_t metric;
  };
  std::vector<std::string> wait_charts;
  for (const auto& name : names) {
    std::vector<Having> having;
    for (size_t k = 0; k < runs.size(); ++k) {
      const auto& ms = runs[k].builder->input_.spec.metrics;
      for (size_t i = 0; i < ms.size(); ++i) {
        if (ms[i].name == name) having.push_back({k, i});
      }
    }
    const Having& h0 = having.front();
    const ReportBuilder& b0 = *runs[h0.run].builder;
    const auto& m = b0.input_.spec.metrics[h0.metric];
    const ModelConfig& model = b0.input_.models[h0.metric];
    const bool queue = model.type == ModelType::kQueue;
    auto label_of = [&](const std::string& what, size_t k) {
      return compare ? what + " · " + runs[k].label : what;
    };
    auto color_of = [&](const char* single, size_t k) {
      return compare ? PolicyColor(k) : std::string(single);
    };
    {
      // The load is the recording's (the same for every policy); each policy's capacity over it.
      ChartOptions o = base;
      o.id = next_id();
      o.title = "Load · " + m.name + " (" + ToString(model.type) + " model)";
      o.unit = LoadCaption(model) + (queue ? " · capacity = ready replicas × tasks/s each" : "");
      o.height = 220;
      std::vector<ChartSeries> series = {
          {"load", kLoadColor, &b0.metrics_[h0.metric].load, SeriesStyle::kArea, false, true}};
      if (queue) {
        for (const Having& hv : having) {
          series.push_back(
              {compare ? label_of("capacity", hv.run) : "capacity of the ready replicas",
               color_of(kCapacityColor, hv.run),
               &runs[hv.run].builder->metrics_[hv.metric].capacity, SeriesStyle::kStep, false,
               false});
        }
      }
      h += "<div class=\"panel\">" + RenderChart(o, series) + "</div>";
    }
    if (queue) {
      ChartOptions o = base;
      o.id = next_id();
      o.title = "Backlog · " + m.name;
      o.unit = "tasks";
      o.height = 210;
      std::vector<ChartSeries> series;
      for (const Having& hv : having) {
        const auto& pm = runs[hv.run].builder->metrics_[hv.metric];
        series.push_back({label_of("backlog", hv.run), color_of(kBacklogColor, hv.run), &pm.backlog,
                          compare ? SeriesStyle::kLine : SeriesStyle::kArea, false, true});
        if (!compare && model.queue_kind == QueueKind::kPool) {
          series.push_back(
              {"in flight", kReadyColor, &pm.in_flight, SeriesStyle::kLine, false, false});
        }
      }
      h += "<div class=\"panel\">" + RenderChart(o, series) + "</div>";
      ChartOptions w = base;
      w.id = next_id();
      w.title = "Oldest queued task · " + m.name;
      w.unit = "seconds waited";
      w.height = 190;
      if (s.slo) {
        w.lines = {
            {s.slo->wait_seconds, "SLO " + FormatFixed(s.slo->wait_seconds, 0) + " s", kSloColor}};
      }
      std::vector<ChartSeries> waits;
      for (const Having& hv : having) {
        waits.push_back({label_of("oldest wait", hv.run), color_of(kWaitColor, hv.run),
                         &runs[hv.run].builder->metrics_[hv.metric].wait, SeriesStyle::kLine, false,
                         true});
      }
      h += "<div class=\"panel\">" + RenderChart(w, waits) + "</div>";
      wait_charts.push_back(name);
    }
    {
      ChartOptions o = base;
      o.id = next_id();
      o.title = "Metric vs target · " + m.name + " (" + TargetText(m) + ")";
      o.unit = m.target.type == decision::TargetType::kUtilization    ? "% of request"
               : m.target.type == decision::TargetType::kAverageValue ? "per replica"
                                                                      : "value";
      o.height = 210;
      std::vector<ChartSeries> series;
      for (const Having& hv : having) {
        const ReportBuilder& b = *runs[hv.run].builder;
        const auto& mk = b.input_.spec.metrics[hv.metric];
        const double target = TargetValue(mk);
        const bool shown = std::any_of(o.lines.begin(), o.lines.end(),
                                       [&](const ChartLine& l) { return l.value == target; });
        if (!shown) {
          o.lines.push_back({target, compare ? "target " + TargetText(mk) : "target",
                             compare ? PolicyColor(hv.run) : std::string(kTargetColor)});
        }
        series.push_back({label_of("as compared", hv.run), color_of(kValueColor, hv.run),
                          &b.metrics_[hv.metric].compared, SeriesStyle::kLine, false, true});
      }
      h += "<div class=\"panel\">" + RenderChart(o, series) + "</div>";
    }
  }

  // How long tasks waited: the whole run's distribution, the SLO marked.
  if (!wait_charts.empty()) {
    h += "<h2>Wait distribution</h2>";
    for (const auto& name : wait_charts) {
      XYChartOptions o;
      o.title = "Wait per task · " + name;
      o.y_unit = "share of tasks that waited at most x seconds (CDF, censored tasks included)";
      o.x_unit = "seconds waited";
      o.y_percent = true;
      std::vector<XYSeries> series;
      double xmax = 1;
      double lowest = 1;
      for (size_t k = 0; k < runs.size(); ++k) {
        for (const auto& q : runs[k].summary->queues) {
          if (q.metric != name || q.wait_cdf.empty()) continue;
          XYSeries xy{compare ? runs[k].label : "wait", compare ? PolicyColor(k) : kWaitColor,
                      q.wait_cdf};
          // Start at 0 s so a run whose tasks mostly never waited reads as a step.
          xy.points.insert(xy.points.begin(), {0.0, 0.0});
          series.push_back(std::move(xy));
          // The view ends past the p99.9 (the max can be an outlier far out).
          for (const auto& [x, y] : q.wait_cdf) {
            if (y <= 0.999) xmax = std::max(xmax, x);
          }
          for (const auto& [x, y] : q.wait_cdf) {
            if (x > 0) {
              lowest = std::min(lowest, y);
              break;
            }
          }
        }
      }
      if (s.slo) {
        xmax = std::max(xmax, s.slo->wait_seconds * 1.25);
        o.x_lines = {
            {s.slo->wait_seconds, "SLO " + FormatFixed(s.slo->wait_seconds, 0) + " s", kSloColor}};
        o.y_lines = {
            {s.slo->percentile / 100.0, "p" + FormatFixed(s.slo->percentile, 0), kSloColor}};
      }
      o.x_max = xmax * 1.05;
      // Most tasks may not wait at all: the axis starts below the first share that did.
      o.y_min = std::max(0.0, std::floor((lowest - 0.05) * 10) / 10);
      if (s.slo) o.y_min = std::min(o.y_min, std::floor(s.slo->percentile / 10.0) / 10.0 - 0.1);
      o.y_min = std::clamp(o.y_min, 0.0, 0.9);
      o.y_max = 1;
      h += "<div class=\"panel\">" + RenderXYChart(o, series) + "</div>";
    }
    h += "<p class=\"sub\">A policy meets the SLO when its line crosses the percentile line left "
         "of the SLO line. Percentiles within 1 % of exact; the last point is the longest "
         "wait.</p>";
  }

  // Summary and events: side by side for one policy, one block per policy when compared.
  for (size_t k = 0; k < runs.size(); ++k) {
    const ReportRun& r = runs[k];
    const ReportBuilder& b = *r.builder;
    if (compare) {
      h += "<details" + std::string(k == 0 ? " open" : "") +
           "><summary><span class=\"sw\" "
           "style=\"background:" +
           PolicyColor(k) + "\"></span>" + HtmlEscape(r.label) + " · <code>" + HtmlEscape(r.file) +
           "</code>: summary, scale events, spec</summary>";
    }
    h += "<div class=\"two\"><div><h2>Summary</h2>" + SummaryTable(*r.summary) + "</div>";
    h += "<div><h2>Scale events</h2>";
    if (b.events_.empty()) {
      h += "<p class=\"sub\">No scale events.</p>";
    } else {
      const size_t shown_open = 12;
      auto event_row = [&](const ReportBuilder::Event& e) {
        const bool up = e.to > e.from;
        // "MM-DD HH:MM:SS": the year is in the header, and the column stays on one line.
        const std::string iso = FormatRfc3339(e.at);
        return "<tr><td class=\"t\">" + HtmlEscape(iso.substr(5, 5) + " " + iso.substr(11, 8)) +
               "</td><td class=\"" + (up ? "up t" : "down t") + "\">" + std::to_string(e.from) +
               " → " + std::to_string(e.to) + "</td><td>" +
               HtmlEscape(decision::ToString(e.reason)) + "</td><td>" + HtmlEscape(e.proposals) +
               "</td></tr>";
      };
      const std::string head =
          "<table><tr><th>time (UTC)</th><th>replicas</th><th>reason</th><th>proposals</th></tr>";
      h += head;
      for (size_t e = 0; e < b.events_.size() && e < shown_open; ++e) h += event_row(b.events_[e]);
      h += "</table>";
      if (b.events_.size() > shown_open) {
        h += "<details><summary>" + std::to_string(b.events_.size() - shown_open) +
             " more events</summary>" + head;
        for (size_t e = shown_open; e < b.events_.size(); ++e) h += event_row(b.events_[e]);
        h += "</table></details>";
      }
      if (b.events_total_ > static_cast<int64_t>(b.events_.size())) {
        h += "<p class=\"sub\">The first " + std::to_string(b.events_.size()) + " of " +
             std::to_string(b.events_total_) + " events are listed.</p>";
      }
    }
    h += "</div></div>";

    // The spec used.
    h +=
        "<h2>Spec used</h2><div class=\"two\"><div>" + SpecBlock(r.autoscaler) + "</div><div><pre>";
    std::string yaml;
    if (docs.simulation.is_null()) {
      yaml = "# no Simulation document: defaults and flags\n";
    } else {
      ToYaml(docs.simulation, 0, yaml);
    }
    const SimulationInput& in = b.input_;
    yaml += "# in effect:\n#   initialReplicas: " + std::to_string(in.initial_replicas) +
            "\n#   startupDelaySeconds: " + std::to_string(in.startup_delay.count() / 1000) +
            "\n#   stalenessSeconds: " + std::to_string(in.staleness.count() / 1000) + "\n";
    for (size_t i = 0; i < in.spec.metrics.size(); ++i) {
      yaml += "#   " + in.spec.metrics[i].name + ": " + ToString(in.models[i].type) + " model\n";
    }
    h += HtmlEscape(yaml);
    h += "</pre></div></div>";
    if (compare) h += "</details>";
  }
  h += "<footer>Generated by <b>ebb simulate</b>: the recording replayed through ebb's decision "
       "core and reconcile loop on a simulated clock. Charts of long runs show each bucket's "
       "min–max as a band and its mean as the line; zooming stretches those buckets.</footer>";
  h += "</main><script>";
  h += kScript;
  h += "</script></body></html>\n";
  out << h;
}

}  // namespace ebb::sim
