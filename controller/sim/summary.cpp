#include "controller/sim/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "controller/api/settings.h"
#include "controller/sim/number_text.h"
#include "controller/sim/timestamp_text.h"

namespace ebb::sim {
namespace {

bool AboveTarget(const decision::MetricSpec& m, double backlog, int32_t ready) {
  const auto& t = m.target;
  if (t.type == decision::TargetType::kValue) {
    return backlog > static_cast<double>(t.value_milli) / 1000.0;
  }
  const double per_replica = static_cast<double>(t.average_value_milli) / 1000.0;
  if (ready <= 0) return backlog > 0;
  return backlog / ready > per_replica;
}

}  // namespace

std::string CensoredNote(const QueueSummary& q) {
  if (!(q.censored > 0)) return "";
  return " (incl. " + FormatFixed(q.censored, q.censored < 10 ? 1 : 0) +
         " tasks still queued at the end, censored: their wait so far)";
}

SummaryBuilder::SummaryBuilder(const SimulationInput& input, FlappingRule flapping)
    : input_(input),
      prev_above_(input.spec.metrics.size(), false),
      failed_(input.spec.metrics.size(), 0),
      flapping_(flapping) {
  for (size_t i = 0; i < input.models.size() && i < input.spec.metrics.size(); ++i) {
    if (input.models[i].type == ModelType::kQueue) queues_.push_back(QueueAcc{i, {}, 0});
  }
}

void SummaryBuilder::CloseInterval(double seconds) {
  replica_seconds_ += prev_replicas_ * seconds;
  seconds_ += seconds;
  if (prev_replicas_ == input_.spec.min_replicas) seconds_at_min_ += seconds;
  if (prev_replicas_ == input_.spec.max_replicas) seconds_at_max_ += seconds;
  for (auto& q : queues_) {
    if (prev_above_[q.metric]) q.seconds_above += seconds;
  }
}

void SummaryBuilder::OnTick(const TickRecord& tick) {
  if (have_prev_) {
    CloseInterval(static_cast<double>((tick.at - prev_at_).count()) / 1000.0);
  } else {
    min_ = max_ = tick.replicas_after;
  }
  have_prev_ = true;
  prev_at_ = tick.at;
  prev_replicas_ = tick.replicas_after;
  min_ = std::min(min_, tick.replicas_after);
  max_ = std::max(max_, tick.replicas_after);
  if (!have_start_) {
    have_start_ = true;
    start_at_ = tick.at;
  }
  if (tick.patched && tick.replicas_after != tick.replicas_before) {
    const bool up = tick.replicas_after > tick.replicas_before;
    if (up) ++ups_;
    if (!up) ++downs_;
    flapping_.OnScale(static_cast<double>((tick.at - start_at_).count()) / 1000.0, up);
  }
  if (input_.keep_history) replicas_per_tick_.push_back(tick.replicas_after);
  for (size_t i = 0; i < tick.metrics.size() && i < failed_.size(); ++i) {
    if (tick.metrics[i].proposal < 0) ++failed_[i];
  }
  if (tick.patched && tick.replicas_after == 0 && tick.replicas_before > 0) {
    bool busy = false;
    for (const auto& q : queues_) {
      busy = busy || tick.metrics[q.metric].backlog > 0 || tick.metrics[q.metric].in_flight > 0;
    }
    if (busy) ++zero_while_busy_;
  }
  for (auto& q : queues_) {
    const MetricTick& mt = tick.metrics[q.metric];
    q.backlog.Add(mt.backlog);
    prev_above_[q.metric] = AboveTarget(input_.spec.metrics[q.metric], mt.backlog, tick.ready);
  }
}

Summary SummaryBuilder::Finish(const RunInfo& info) const {
  Summary s;
  s.autoscaler = input_.autoscaler;
  s.start = info.first;
  s.end = info.last;
  s.ticks = info.ticks;
  s.tick_seconds = input_.spec.polling_interval_seconds;
  s.duration_seconds = seconds_;
  s.replica_hours = replica_seconds_ / 3600.0;
  s.cost_per_replica_hour = input_.cost_per_replica_hour;
  s.cost = s.replica_hours * input_.cost_per_replica_hour;
  s.scale_ups = ups_;
  s.scale_downs = downs_;
  s.min_replicas = min_;
  s.max_replicas = max_;
  s.mean_replicas = seconds_ > 0 ? replica_seconds_ / seconds_ : prev_replicas_;
  s.spec_min = input_.spec.min_replicas;
  s.spec_max = input_.spec.max_replicas;
  s.settings = input_.settings;
  s.seconds_at_min = seconds_at_min_;
  s.seconds_at_max = seconds_at_max_;
  s.zero_while_busy = zero_while_busy_;
  for (const auto& m : input_.spec.metrics) s.metrics.push_back(m.name);
  s.failed_readings = failed_;
  for (const auto& q : queues_) {
    QueueSummary qs;
    qs.metric = input_.spec.metrics[q.metric].name;
    qs.backlog_p50 = q.backlog.Quantile(0.50);
    qs.backlog_p95 = q.backlog.Quantile(0.95);
    qs.backlog_p99 = q.backlog.Quantile(0.99);
    qs.backlog_max = q.backlog.max();
    qs.seconds_above_target = q.seconds_above;
    if (q.metric < info.final_queues.size() && info.is_queue[q.metric]) {
      const QueueTotals& t = info.final_queues[q.metric];
      qs.arrived = t.arrived;
      qs.served = t.served;
      qs.backlog_end = t.backlog;
      qs.in_flight_end = t.in_flight;
      qs.work_seconds = t.work_seconds;
      const Histogram& waits = t.waits;
      qs.censored = t.backlog;
      qs.wait_p50 = waits.Quantile(0.50);
      qs.wait_p95 = waits.Quantile(0.95);
      qs.wait_p99 = waits.Quantile(0.99);
      qs.wait_max = waits.max();
      qs.wait_mean = waits.mean();
      if (waits.total_weight() > 0) {
        for (int p = 0; p < 100; ++p)
          qs.wait_cdf.emplace_back(waits.Quantile(p / 100.0), p / 100.0);
        for (double p : {0.995, 0.999, 1.0}) qs.wait_cdf.emplace_back(waits.Quantile(p), p);
      }
      if (input_.slo && !s.slo) {
        s.slo = input_.slo;
        s.slo_wait = waits.Quantile(input_.slo->percentile / 100.0);
        s.slo_met = s.slo_wait <= input_.slo->wait_seconds;
      }
    }
    s.queues.push_back(qs);
  }
  if (ideal_given_) {
    s.ideal = given_ideal_;
  } else if (input_.keep_history) {
    s.ideal = IdealForRun(input_, info);
  }
  if (s.ideal) {
    s.ideal_distance_hours =
        IdealDistance(replicas_per_tick_, *s.ideal, input_.spec.polling_interval_seconds);
  }
  s.flapping_rule = flapping_.rule();
  s.flapping = flapping_.Finish();
  s.warnings = info.warnings;
  return s;
}

void SummaryBuilder::UseIdeal(std::optional<IdealResult> ideal) {
  ideal_given_ = true;
  given_ideal_ = std::move(ideal);
}

double IdealDistance(const std::vector<int32_t>& replicas_per_tick, const IdealResult& ideal,
                     double tick_seconds) {
  const size_t intervals = replicas_per_tick.empty() ? 0 : replicas_per_tick.size() - 1;
  double replica_seconds = 0;
  // The ideal's block holding each interval's start (the same index when both step at the
  // polling interval; a policy polling at another interval is compared over time).
  const double block = ideal.block_seconds > 0 ? ideal.block_seconds : tick_seconds;
  for (size_t k = 0; k < intervals; ++k) {
    const auto b = static_cast<size_t>(std::floor(static_cast<double>(k) * tick_seconds / block));
    if (b >= ideal.replicas.size()) break;
    replica_seconds += std::abs(replicas_per_tick[k] - ideal.replicas[b]) * tick_seconds;
  }
  return replica_seconds / 3600.0;
}

double ScaleEventsPerHour(const Summary& s) {
  return s.duration_seconds > 0 ? (s.scale_ups + s.scale_downs) / (s.duration_seconds / 3600.0) : 0;
}

namespace {

std::string PercentileName(double p) {
  return "p" + FormatFixed(p, p == std::floor(p) ? 0 : 1);
}

}  // namespace

double MeanIdealDistance(const Summary& s) {
  return s.duration_seconds > 0 ? s.ideal_distance_hours / (s.duration_seconds / 3600.0) : 0;
}

std::string FlappingText(const Summary& s) {
  const FlappingResult& f = s.flapping;
  std::string rule = "more than " + std::to_string(s.flapping_rule.reversals) +
                     " direction changes in " + FormatSpan(s.flapping_rule.window_seconds);
  if (f.regions == 0)
    return "none (" + rule + "); " + std::to_string(f.reversals) + " direction changes";
  return std::to_string(f.regions) + (f.regions == 1 ? " region, " : " regions, ") +
         FormatSpan(f.seconds) + " (" + rule + "); " + std::to_string(f.reversals) +
         " direction changes";
}

std::string FormatSummaryText(const Summary& s) {
  std::string o;
  auto line = [&o](const std::string& k, const std::string& v) {
    o += "  ";
    o += k;
    o.append(k.size() < 24 ? 24 - k.size() : 1, ' ');
    o += v;
    o += '\n';
  };
  o += "Simulation of " + s.autoscaler + "\n";
  line("period", FormatRfc3339(s.start) + " .. " + FormatRfc3339(s.end) + " (" +
                     FormatSpan(s.duration_seconds) + ", " + std::to_string(s.ticks) +
                     " ticks of " + std::to_string(s.tick_seconds) + " s)");
  line("replica-hours", FormatFixed(s.replica_hours, 2));
  if (s.cost_per_replica_hour > 0) {
    line("cost", FormatFixed(s.cost, 2) + " (at " + FormatFixed(s.cost_per_replica_hour, 4) +
                     " per replica-hour)");
  }
  line("replicas min/mean/max", std::to_string(s.min_replicas) + " / " +
                                    FormatFixed(s.mean_replicas, 2) + " / " +
                                    std::to_string(s.max_replicas));
  line("scale events",
       std::to_string(s.scale_ups) + " up, " + std::to_string(s.scale_downs) + " down");
  line("time at minReplicas", FormatSpan(s.seconds_at_min) + " (" +
                                  FormatShare(s.seconds_at_min, s.duration_seconds, "-") +
                                  ", min " + std::to_string(s.spec_min) + ")");
  line("time at maxReplicas", FormatSpan(s.seconds_at_max) + " (" +
                                  FormatShare(s.seconds_at_max, s.duration_seconds, "-") +
                                  ", max " + std::to_string(s.spec_max) + ")");
  line("flapping", FlappingText(s));
  if (s.zero_while_busy > 0) {
    line("scaled to 0 while busy", std::to_string(s.zero_while_busy) +
                                       " times (tasks queued or in flight; read "
                                       "backlogAndInFlight to count them as activity)");
  }
  for (size_t i = 0; i < s.metrics.size(); ++i) {
    if (s.failed_readings[i] > 0) {
      line("failed readings",
           s.metrics[i] + ": " + std::to_string(s.failed_readings[i]) + " ticks");
    }
  }
  for (const auto& q : s.queues) {
    o += "Queue " + q.metric + "\n";
    line("tasks arrived/served", FormatFixed(q.arrived, 0) + " / " + FormatFixed(q.served, 0) +
                                     " (" + FormatFixed(q.backlog_end, 1) + " left at the end)");
    line("backlog p50/p95/p99/max",
         FormatFixed(q.backlog_p50, 1) + " / " + FormatFixed(q.backlog_p95, 1) + " / " +
             FormatFixed(q.backlog_p99, 1) + " / " + FormatFixed(q.backlog_max, 1));
    line("wait p50/p95/p99/max", FormatFixed(q.wait_p50, 1) + " / " + FormatFixed(q.wait_p95, 1) +
                                     " / " + FormatFixed(q.wait_p99, 1) + " / " +
                                     FormatFixed(q.wait_max, 1) + " s" + CensoredNote(q));
    line("backlog above target", FormatSpan(q.seconds_above_target) + " (" +
                                     FormatShare(q.seconds_above_target, s.duration_seconds, "-") +
                                     ")");
    if (q.in_flight_end > 0) line("in flight at the end", FormatFixed(q.in_flight_end, 0));
  }
  if (s.slo) {
    o += "SLO " + PercentileName(s.slo->percentile) +
         " wait <= " + FormatFixed(s.slo->wait_seconds, 1) + " s\n";
    line("policy", FormatFixed(s.slo_wait, 1) + " s: " + (s.slo_met ? "met" : "MISSED"));
    if (s.ideal) {
      const IdealResult& id = *s.ideal;
      line("work bound",
           FormatFixed(id.work_bound_hours, 2) + " replica-hours (every slot busy all the time)");
      line("ideal schedule", FormatFixed(id.replica_hours, 2) + " replica-hours (incl. " +
                                 FormatFixed(id.startup_replica_hours, 2) + " of start-ups), " +
                                 PercentileName(s.slo->percentile) + " wait " +
                                 FormatFixed(id.wait_quantile, 1) + " s" +
                                 (id.met ? "" : ", SLO not reachable within maxReplicas"));
      if (id.replica_hours > 0) {
        line("policy / ideal", FormatFixed(s.replica_hours / id.replica_hours, 2) + "x");
      }
      line("distance from ideal", FormatFixed(s.ideal_distance_hours, 2) +
                                      " replica-hours of |replicas - ideal| (mean " +
                                      FormatFixed(MeanIdealDistance(s), 2) + " replicas)");
    }
  }
  for (const auto& w : s.warnings) o += "warning: " + w + "\n";
  return o;
}

nlohmann::json SummaryToJson(const Summary& s) {
  nlohmann::json j;
  j["autoscaler"] = s.autoscaler;
  j["start"] = FormatRfc3339(s.start);
  j["end"] = FormatRfc3339(s.end);
  j["ticks"] = s.ticks;
  j["tickSeconds"] = s.tick_seconds;
  j["durationSeconds"] = s.duration_seconds;
  j["replicaHours"] = s.replica_hours;
  j["costPerReplicaHour"] = s.cost_per_replica_hour;
  j["cost"] = s.cost;
  j["scaleUps"] = s.scale_ups;
  j["scaleDowns"] = s.scale_downs;
  j["replicas"] = {{"min", s.min_replicas}, {"mean", s.mean_replicas}, {"max", s.max_replicas}};
  j["secondsAtMinReplicas"] = s.seconds_at_min;
  j["secondsAtMaxReplicas"] = s.seconds_at_max;
  j["scaledToZeroWhileBusy"] = s.zero_while_busy;
  j["minReplicas"] = s.spec_min;
  j["maxReplicas"] = s.spec_max;
  j["settings"] = api::SettingsToJson(s.settings);
  nlohmann::json failed = nlohmann::json::object();
  for (size_t i = 0; i < s.metrics.size(); ++i) failed[s.metrics[i]] = s.failed_readings[i];
  j["failedReadings"] = failed;
  nlohmann::json queues = nlohmann::json::array();
  for (const auto& q : s.queues) {
    queues.push_back({{"metric", q.metric},
                      {"arrived", q.arrived},
                      {"served", q.served},
                      {"backlogAtEnd", q.backlog_end},
                      {"backlog",
                       {{"p50", q.backlog_p50},
                        {"p95", q.backlog_p95},
                        {"p99", q.backlog_p99},
                        {"max", q.backlog_max}}},
                      {"waitSeconds",
                       {{"p50", q.wait_p50},
                        {"p95", q.wait_p95},
                        {"p99", q.wait_p99},
                        {"max", q.wait_max},
                        {"mean", q.wait_mean},
                        {"censoredTasks", q.censored}}},
                      {"inFlightAtEnd", q.in_flight_end},
                      {"workSeconds", q.work_seconds},
                      {"secondsAboveTarget", q.seconds_above_target}});
  }
  j["queues"] = queues;
  j["scaleEventsPerHour"] = ScaleEventsPerHour(s);
  j["flapping"] = {{"directionChanges", s.flapping.reversals},
                   {"regions", s.flapping.regions},
                   {"seconds", s.flapping.seconds},
                   {"rule",
                    {{"directionChanges", s.flapping_rule.reversals},
                     {"windowSeconds", s.flapping_rule.window_seconds}}}};
  if (s.slo) {
    nlohmann::json slo = {{"waitSeconds", s.slo->wait_seconds},
                          {"percentile", s.slo->percentile},
                          {"policyWaitSeconds", s.slo_wait},
                          {"met", s.slo_met}};
    if (s.ideal) {
      slo["ideal"] = {
          {"metric", s.ideal->metric},
          {"replicaHours", s.ideal->replica_hours},
          {"startupReplicaHours", s.ideal->startup_replica_hours},
          {"workBoundReplicaHours", s.ideal->work_bound_hours},
          {"waitSeconds", s.ideal->wait_quantile},
          {"met", s.ideal->met},
          {"scaleEvents", s.ideal->scale_events},
          {"distanceReplicaHours", s.ideal_distance_hours},
          {"policyOverIdeal",
           s.ideal->replica_hours > 0 ? s.replica_hours / s.ideal->replica_hours : 0.0}};
    }
    j["slo"] = slo;
  }
  j["warnings"] = s.warnings;
  return j;
}

}  // namespace ebb::sim
