#include "controller/sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "controller/runtime/reconciler.h"
#include "controller/sim/number_text.h"
#include "controller/sim/simulated_target.h"
#include "controller/sim/timestamp_text.h"
#include "controller/sim/workload.h"

namespace ebb::sim {
namespace {

constexpr size_t kMaxUnknownNames = 8;
constexpr int64_t kMaxGapWarnings = 5;
// 0001-01-01 .. 9999-12-31, RFC 3339's years: far enough from int64 milliseconds' ends that
// spans, ticks and intervals cannot overflow.
constexpr int64_t kEarliestMs = -62'135'596'800'000;
constexpr int64_t kLatestMs = 253'402'300'799'999;

double TargetValue(const decision::MetricTarget& t) {
  switch (t.type) {
    case decision::TargetType::kUtilization:
      return t.average_utilization;
    case decision::TargetType::kValue:
      return static_cast<double>(t.value_milli) / 1000.0;
    case decision::TargetType::kAverageValue:
      return static_cast<double>(t.average_value_milli) / 1000.0;
  }
  return 0;
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Result<RunInfo> RunSimulation(const SimulationInput& input, SampleSource& source,
                              std::span<TickObserver* const> observers) {
  RunInfo info;
  RawSample next;
  auto first = source.Next(next);
  if (!first) return first.error();
  if (!*first) {
    return MakeError(ErrorCode::kInvalidConfig, source.name() + ": the recording has no samples");
  }
  bool have_next = true;
  info.first = next.at;
  const std::string first_position = source.Position();

  const Duration tick = Seconds(std::max<int32_t>(1, input.spec.polling_interval_seconds));
  // The longest span the limits allow, in milliseconds (no product can overflow).
  const int64_t tick_ms = tick.count();
  const int64_t days_ms = std::clamp<int64_t>(input.max_span_days, 0, 1'000'000) * 86'400'000;
  const int64_t span_limit_ms = input.max_ticks >= days_ms / tick_ms
                                    ? days_ms
                                    : std::max<int64_t>(0, input.max_ticks) * tick_ms;
  // Checked as each sample is read, so an absurd recording is refused before it is simulated.
  auto check_sample = [&]() -> Result<void> {
    const int64_t at = ToUnixMillis(next.at);
    if (at < kEarliestMs || at > kLatestMs) {
      return MakeError(ErrorCode::kInvalidConfig, source.Position() + ": timestamp " +
                                                      std::to_string(at / 1000) +
                                                      " s is outside the years 0001-9999");
    }
    if (at - ToUnixMillis(info.first) > span_limit_ms) {
      return MakeError(
          ErrorCode::kInvalidConfig,
          source.Position() + ": timestamp " + FormatRfc3339(next.at) + " is " +
              FormatSpan(static_cast<double>(at - ToUnixMillis(info.first)) / 1000.0) +
              " after the first sample (" + FormatRfc3339(info.first) + ", " + first_position +
              "); a simulation spans at most " + std::to_string(input.max_span_days) +
              " days and " + std::to_string(input.max_ticks) + " ticks of " +
              std::to_string(tick_ms / 1000) + " s (raise --max-span-days / --max-ticks)");
    }
    return {};
  };
  if (auto ok = check_sample(); !ok) return ok.error();
  SimulatedClock clock(info.first);
  SimulatedTarget target(input.initial_replicas, input.startup_delay, info.first);
  Workload workload(input.spec, input.models, target, info.first, input.staleness, input.seed);
  workload.set_keep_history(input.keep_history);
  if (input.count_waits_over_seconds > 0) workload.set_wait_limit(input.count_waits_over_seconds);
  runtime::Reconciler reconciler(input.autoscaler, input.spec, input.settings, target, workload);

  const size_t n = input.spec.metrics.size();
  std::vector<MetricTick> metric_ticks(n);
  std::vector<double> targets(n);
  for (size_t i = 0; i < n; ++i) targets[i] = TargetValue(input.spec.metrics[i].target);

  // The run ends at the first tick at or after the end of the interval the last sample covers,
  // so its arrivals are simulated and its value is read for as long as it stands.
  Timestamp end = info.first;
  std::vector<std::optional<Timestamp>> last_at(n);
  for (;;) {
    const Timestamp now = clock.Now();
    while (have_next && next.at <= now) {
      ++info.samples;
      end = std::max(end, next.at);
      const int32_t idx = workload.IndexOf(next.metric);
      if (idx >= 0) {
        auto& prev = last_at[static_cast<size_t>(idx)];
        if (prev && next.at - *prev > input.gap_warning) {
          if (++info.long_gaps <= kMaxGapWarnings) {
            info.warnings.push_back(
                source.Position() + ": no sample of " +
                input.spec.metrics[static_cast<size_t>(idx)].name + " for " +
                FormatSpan(static_cast<double>((next.at - *prev).count()) / 1000.0) + " (" +
                FormatRfc3339(*prev) + " .. " + FormatRfc3339(next.at) + "), longer than " +
                FormatSpan(static_cast<double>(input.gap_warning.count()) / 1000.0) +
                " (--gap-warning)");
          }
        }
        prev = next.at;
        end = std::max(end, workload.OnSample(idx, next.at, next.value));
      } else {
        ++info.unknown_samples;
        if (info.unknown_names.size() < kMaxUnknownNames &&
            std::find(info.unknown_names.begin(), info.unknown_names.end(), next.metric) ==
                info.unknown_names.end()) {
          info.unknown_names.emplace_back(next.metric);
        }
      }
      auto r = source.Next(next);
      if (!r) return r.error();
      have_next = *r;
      if (have_next) {
        if (auto ok = check_sample(); !ok) return ok.error();
      }
    }
    if (!have_next && info.ticks > 0 && info.last >= end) break;

    workload.AdvanceTo(now);
    const runtime::ScaleInfo before{target.replicas(), target.replicas(), target.ReadyAt(now)};
    const runtime::ReconcileOutcome outcome = reconciler.Reconcile(now);
    const decision::Decision& d = reconciler.last_decision();

    for (size_t i = 0; i < n; ++i) {
      MetricTick& mt = metric_ticks[i];
      mt.load = workload.load(i);
      mt.value = workload.value(i);
      mt.proposal = -1;
      mt.compared = std::nan("");
      if (i < d.metrics.size() && d.metrics[i].status != decision::MetricStatus::kFailed) {
        mt.proposal = d.metrics[i].proposal;
        if (d.metrics[i].status == decision::MetricStatus::kOk) {
          mt.compared = d.metrics[i].usage_ratio * targets[i];
          // A utilization target is read in percent of the request, as kubectl shows it.
          if (input.spec.metrics[i].target.type == decision::TargetType::kUtilization &&
              d.metrics[i].utilization >= 0) {
            mt.value = d.metrics[i].utilization;
          }
        }
      }
      if (workload.is_queue(i)) {
        mt.backlog = workload.backlog(i);
        mt.in_flight = workload.in_flight(i);
        mt.oldest_wait =
            workload.oldest_wait(i, static_cast<double>((now - info.first).count()) / 1000.0);
      }
    }
    TickRecord rec;
    rec.at = now;
    rec.metrics = metric_ticks;
    rec.replicas_before = before.spec_replicas;
    rec.ready = before.ready_replicas;
    rec.desired = d.desired_replicas;
    rec.replicas_after = target.replicas();
    rec.patched = outcome.patched;
    rec.reason = d.reason;
    rec.decision = &d;
    rec.workload = &workload;
    bool stop = false;
    for (TickObserver* o : observers) {
      o->OnTick(rec);
      stop = stop || o->Stop();
    }
    ++info.ticks;
    info.last = now;
    clock.Advance(tick);
    if (stop) {
      info.stopped = true;
      break;
    }
  }

  info.final_queues.resize(n);
  info.is_queue.resize(n);
  info.arrival_history.resize(n);
  const double end_seconds = static_cast<double>((info.last - info.first).count()) / 1000.0;
  for (size_t i = 0; i < n; ++i) {
    if (workload.is_queue(i)) {
      info.final_queues[i] = workload.Totals(i, end_seconds);
      info.is_queue[i] = true;
      info.arrival_history[i] = workload.arrival_history(i);
    }
    if (workload.samples(i) == 0 && workload.model(i).type != ModelType::kArrivalRate) {
      info.warnings.push_back("the recording has no samples for metric " +
                              input.spec.metrics[i].name + " (spec.metrics[" + std::to_string(i) +
                              "]); every reading of it failed");
    }
    if (workload.dropped_arrivals(i) > 0) {
      info.warnings.push_back(std::to_string(workload.dropped_arrivals(i)) + " samples of " +
                              input.spec.metrics[i].name +
                              " were negative or not numbers and counted as no arrivals");
    }
  }
  if (info.long_gaps > kMaxGapWarnings) {
    info.warnings.push_back(Plural(info.long_gaps - kMaxGapWarnings, "more gap", "more gaps") +
                            " longer than " +
                            FormatSpan(static_cast<double>(input.gap_warning.count()) / 1000.0) +
                            " (the first " + std::to_string(kMaxGapWarnings) + " are listed)");
  }
  if (info.unknown_samples > 0) {
    std::string names;
    for (const auto& s : info.unknown_names) names += (names.empty() ? "" : ", ") + s;
    info.warnings.push_back(std::to_string(info.unknown_samples) +
                            " samples of metrics the Autoscaler does not have were ignored (" +
                            names + ")");
  }
  return info;
}

}  // namespace ebb::sim
