#include "controller/sim/simulator.h"

#include <algorithm>
#include <cmath>

#include "controller/runtime/reconciler.h"
#include "controller/sim/simulated_target.h"
#include "controller/sim/timestamp_text.h"
#include "controller/sim/workload.h"

namespace ebb::sim {
namespace {

constexpr size_t kMaxUnknownNames = 8;

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

  const Duration tick = Seconds(std::max<int32_t>(1, input.spec.polling_interval_seconds));
  SimulatedClock clock(info.first);
  SimulatedTarget target(input.initial_replicas, input.startup_delay, info.first);
  Workload workload(input.spec, input.models, target, info.first, input.staleness);
  runtime::Reconciler reconciler(input.autoscaler, input.spec, input.settings, target, workload);

  const size_t n = input.spec.metrics.size();
  std::vector<MetricTick> metric_ticks(n);
  std::vector<double> targets(n);
  for (size_t i = 0; i < n; ++i) targets[i] = TargetValue(input.spec.metrics[i].target);

  Timestamp last_sample = info.first;
  for (;;) {
    const Timestamp now = clock.Now();
    while (have_next && next.at <= now) {
      ++info.samples;
      last_sample = next.at;
      const int32_t idx = workload.IndexOf(next.metric);
      if (idx >= 0) {
        workload.OnSample(idx, next.at, next.value);
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
    }
    if (!have_next && now > last_sample) break;

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
      if (const FluidQueue* q = workload.queue(i)) {
        mt.backlog = q->backlog();
        mt.oldest_wait = q->OldestWait(static_cast<double>((now - info.first).count()) / 1000.0);
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
    for (TickObserver* o : observers) o->OnTick(rec);
    ++info.ticks;
    info.last = now;
    clock.Advance(tick);
  }

  info.final_queues.resize(n);
  info.is_queue.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (const FluidQueue* q = workload.queue(i)) {
      info.final_queues[i] = *q;
      info.is_queue[i] = true;
    }
    if (workload.samples(i) == 0) {
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
