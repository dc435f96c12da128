#include "controller/sim/workload.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "controller/base/quantity.h"

namespace ebb::sim {
namespace {

// metrics-server's resolution: a pod's first sample after it turns Ready is fresh only this long
// after the transition, which is what the core's cpu readiness rule looks at.
constexpr Duration kSampleWindow = Seconds(15);

}  // namespace

Workload::Workload(const decision::Spec& spec, std::vector<ModelConfig> models,
                   SimulatedTarget& target, Timestamp start, Duration staleness, uint64_t seed)
    : spec_(spec),
      target_(target),
      start_(start),
      staleness_(staleness),
      advanced_ms_(ToUnixMillis(start)) {
  metrics_.resize(spec.metrics.size());
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    const auto& ms = spec.metrics[i];
    names_.push_back(ms.name);
    MetricState& m = metrics_[i];
    if (i < models.size()) m.model = models[i];
    m.type = ms.type;
    m.per_pod = IsPerPodMetric(ms.type);
    needs_pods_ = needs_pods_ || m.per_pod;
    const bool resource = ms.type == decision::SourceType::kResource ||
                          ms.type == decision::SourceType::kContainerResource;
    if (resource && m.model.request_milli) {
      bool dup = false;
      for (const auto& r : pod_requests_) dup = dup || (r.resource == ms.resource);
      if (!dup) pod_requests_.push_back({ms.resource, "", *m.model.request_milli});
    }
    if (m.model.type == ModelType::kQueue && m.model.queue_kind == QueueKind::kPool) {
      m.pool = m.model.drawn ? std::make_unique<PoolQueue>(m.model.drawn)
                             : std::make_unique<PoolQueue>(EffectiveServiceTime(m.model), seed + i);
      m.pool_waits = std::make_unique<Histogram>();
      m.pool->set_sink(m.pool_waits.get());
    }
  }
  for (size_t i = 0; i < metrics_.size(); ++i) {
    MetricState& m = metrics_[i];
    if (m.model.type != ModelType::kArrivalRate) continue;
    m.of = IndexOf(m.model.of);
    if (m.of >= 0) {
      MetricState& src = metrics_[static_cast<size_t>(m.of)];
      src.window_ms = std::max(src.window_ms, m.model.window_seconds * 1000.0);
    }
  }
}

double Workload::Arrived(const MetricState& m) const {
  return m.pool ? m.pool->arrived() : m.queue.arrived();
}

double Workload::RateOf(const MetricState& src, double window_ms) const {
  // As rate() over a range: the increase between the oldest and newest counter values inside
  // the window, per second between them.
  if (src.counter.size() < 2) return 0;
  const auto& last = src.counter.back();
  const auto* first = &src.counter.front();
  for (const auto& c : src.counter) {
    if (static_cast<double>(last.first - c.first) <= window_ms) {
      first = &c;
      break;
    }
  }
  if (first->first >= last.first) return 0;
  return (last.second - first->second) / (static_cast<double>(last.first - first->first) / 1000.0);
}

double Workload::backlog(size_t i) const {
  const MetricState& m = metrics_[i];
  if (m.pool) return m.pool->backlog();
  return IsFluid(m) ? m.queue.backlog() : 0;
}

double Workload::in_flight(size_t i) const {
  const MetricState& m = metrics_[i];
  return m.pool ? m.pool->in_flight() : 0;
}

double Workload::oldest_wait(size_t i, double now_seconds) const {
  const MetricState& m = metrics_[i];
  if (m.pool) return m.pool->OldestWait(now_seconds);
  return IsFluid(m) ? m.queue.OldestWait(now_seconds) : 0;
}

QueueTotals Workload::Totals(size_t i, double now_seconds) const {
  const MetricState& m = metrics_[i];
  QueueTotals t;
  if (m.pool) {
    t.arrived = m.pool->arrived();
    t.served = m.pool->served();
    t.backlog = m.pool->backlog();
    t.in_flight = m.pool->in_flight();
    t.work_seconds = m.pool->work_seconds();
    t.waits = *m.pool_waits;
    m.pool->AddCensoredWaits(now_seconds, t.waits);
  } else if (IsFluid(m)) {
    t.arrived = m.queue.arrived();
    t.served = m.queue.served();
    t.backlog = m.queue.backlog();
    t.waits = m.queue.waits();
    m.queue.AddCensoredWaits(now_seconds, t.waits);
  }
  return t;
}

int32_t Workload::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int32_t>(i);
  }
  return -1;
}

Timestamp Workload::OnSample(int32_t metric, Timestamp at, double value) {
  MetricState& m = metrics_[static_cast<size_t>(metric)];
  const double v = value * m.model.scale;
  if (m.has_sample && at > m.last_at) {
    const int64_t gap = ToUnixMillis(at) - ToUnixMillis(m.last_at);
    m.step_ms = m.step_ms == 0 ? gap : std::min(m.step_ms, gap);
  }
  // The step, not the gap since the previous sample: after a gap (rows left out) a sample still
  // covers one step, so missing rows are no arrivals rather than this sample's spread thinner.
  int64_t interval_ms = m.step_ms > 0
                            ? m.step_ms
                            : int64_t{std::max<int32_t>(1, spec_.polling_interval_seconds)} * 1000;
  if (m.model.type == ModelType::kQueue && m.model.interval_seconds) {
    interval_ms = std::max<int64_t>(1, std::llround(*m.model.interval_seconds * 1000.0));
  }
  const Timestamp covered_until = at + std::chrono::milliseconds(interval_ms);
  if (m.model.type == ModelType::kQueue) {
    if (!std::isfinite(v) || v < 0) {
      ++m.dropped;  // arrivals cannot be negative or unknown; the sample counts as a gap
      return covered_until;
    }
    const int64_t start = ToUnixMillis(at);
    if (v > 0) {
      m.segments.push_back(
          {start, start + interval_ms, v / (static_cast<double>(interval_ms) / 1000.0)});
    }
  }
  m.has_sample = true;
  m.last_at = at;
  m.last_value = v;
  ++m.samples;
  return covered_until;
}

void Workload::AdvanceTo(Timestamp now) {
  const int64_t to = ToUnixMillis(now);
  if (to <= advanced_ms_) return;
  for (auto& m : metrics_) {
    if (m.model.type != ModelType::kQueue) continue;
    AdvanceQueue(m, advanced_ms_, to);
    if (m.window_ms > 0) {
      m.counter.emplace_back(to, Arrived(m));
      // Keep one value at or before the window's start.
      while (m.counter.size() > 2 && static_cast<double>(to - m.counter[1].first) >= m.window_ms) {
        m.counter.pop_front();
      }
    }
  }
  advanced_ms_ = to;
}

void Workload::AdvanceQueue(MetricState& m, int64_t from_ms, int64_t to_ms) {
  // The arrival rate and the ready count are piecewise constant; cut at every change.
  cuts_.clear();
  cuts_.push_back(from_ms);
  cuts_.push_back(to_ms);
  for (const auto& s : m.segments) {
    if (s.start_ms > from_ms && s.start_ms < to_ms) cuts_.push_back(s.start_ms);
    if (s.end_ms > from_ms && s.end_ms < to_ms) cuts_.push_back(s.end_ms);
  }
  for (auto t = target_.NextReadyAfter(FromUnixMillis(from_ms)); t && ToUnixMillis(*t) < to_ms;
       t = target_.NextReadyAfter(*t)) {
    cuts_.push_back(ToUnixMillis(*t));
  }
  std::sort(cuts_.begin(), cuts_.end());
  cuts_.erase(std::unique(cuts_.begin(), cuts_.end()), cuts_.end());

  const int64_t origin = ToUnixMillis(start_);
  m.tick_arrivals = 0;
  m.tick_seconds = static_cast<double>(to_ms - from_ms) / 1000.0;
  for (size_t k = 0; k + 1 < cuts_.size(); ++k) {
    const int64_t a = cuts_[k];
    const int64_t b = cuts_[k + 1];
    double rate = 0;
    for (const auto& s : m.segments) {
      if (s.start_ms <= a && s.end_ms >= b) rate += s.rate;
    }
    const int32_t ready = target_.ReadyAt(FromUnixMillis(a));
    const double t0 = static_cast<double>(a - origin) / 1000.0;
    const double t1 = static_cast<double>(b - origin) / 1000.0;
    if (m.pool) {
      const double before = m.pool->arrived();
      m.pool->Advance(t0, t1, rate, int64_t{ready} * m.model.concurrency);
      m.tick_arrivals += m.pool->arrived() - before;
    } else {
      m.queue.Advance(t0, t1, rate, ready * m.model.service_rate);
      m.tick_arrivals += rate * (t1 - t0);
    }
    if (keep_history_ && rate > 0) {
      if (!m.history.empty() && m.history.back().end == t0 && m.history.back().rate == rate) {
        m.history.back().end = t1;
      } else {
        m.history.push_back({t0, t1, rate});
      }
    }
  }
  std::erase_if(m.segments, [to_ms](const Segment& s) { return s.end_ms <= to_ms; });
}

double Workload::load(size_t i) const {
  const MetricState& m = metrics_[i];
  if (m.model.type == ModelType::kQueue) {
    return m.tick_seconds > 0 ? m.tick_arrivals / m.tick_seconds : 0;
  }
  if (m.model.type == ModelType::kArrivalRate) {
    return m.of >= 0 ? load(static_cast<size_t>(m.of)) : 0;
  }
  return m.has_sample ? m.last_value : 0;
}

void Workload::Read(Timestamp now, const runtime::ScaleInfo& scale, decision::Observation& obs) {
  (void)scale;
  const int32_t ready = target_.ReadyAt(now);
  obs.created_at = start_;
  obs.ready_replicas = ready;
  obs.pods_known = needs_pods_;
  const auto& pods = target_.pods();
  if (needs_pods_) {
    obs.pods.resize(pods.size());
    for (size_t k = 0; k < pods.size(); ++k) {
      const SimPod& sp = pods[k];
      decision::Pod& p = obs.pods[k];
      p.name = "pod-" + std::to_string(sp.id);
      const bool is_ready = sp.ready_at <= now;
      p.phase = is_ready ? decision::PodPhase::kRunning : decision::PodPhase::kPending;
      p.ready = is_ready ? decision::ConditionStatus::kTrue : decision::ConditionStatus::kFalse;
      p.start_time = sp.created;
      p.ready_transition_time = is_ready ? sp.ready_at : sp.created;
      p.deleting = false;
      p.requests = pod_requests_;
    }
  } else {
    obs.pods.clear();
  }

  obs.readings.resize(metrics_.size());
  for (size_t i = 0; i < metrics_.size(); ++i) {
    MetricState& m = metrics_[i];
    decision::MetricReading& r = obs.readings[i];
    r.pod_samples.clear();
    r.error.clear();
    r.value_milli = 0;
    r.ok = false;
    m.last_read = std::nan("");
    const bool rate_model = m.model.type == ModelType::kArrivalRate;
    const MetricState* src = rate_model && m.of >= 0 ? &metrics_[static_cast<size_t>(m.of)] : &m;
    if (!src->has_sample) {
      r.error = "no sample of " + names_[rate_model && m.of >= 0 ? static_cast<size_t>(m.of) : i] +
                " in the recording yet";
      continue;
    }
    // Queues and the rates read from them never go stale: a missing row is no arrivals.
    if (m.model.type != ModelType::kQueue && !rate_model && now - m.last_at > staleness_) {
      r.error = "latest sample of " + names_[i] + " is older than " +
                std::to_string(staleness_.count() / 1000) + "s";
      continue;
    }
    double recorded = m.last_value;
    if (m.model.type == ModelType::kQueue) {
      recorded = backlog(i);
      if (m.model.reading == QueueReading::kBacklogAndInFlight) recorded += in_flight(i);
    } else if (rate_model) {
      recorded = RateOf(*src, m.model.window_seconds * 1000.0);
    }
    if (m.per_pod) {
      double per_pod = recorded;
      if (m.model.type == ModelType::kDemand) per_pod = ready > 0 ? recorded / ready : 0;
      if (!std::isfinite(per_pod) || per_pod < 0) {
        r.error = "recorded value of " + names_[i] + " is negative or not a number";
        continue;
      }
      // Rounded, not truncated: 1.2 cores over 3 pods is 400m each, not 399m.
      const double scaled = std::round(per_pod * 1000.0);
      const int64_t milli =
          (scaled < 8e18 ? static_cast<int64_t>(scaled) : int64_t{8'000'000'000'000'000'000}) +
          std::min(m.model.per_pod_baseline_milli, int64_t{1} << 60);
      m.last_read = static_cast<double>(milli) / 1000.0;
      for (const SimPod& sp : pods) {
        if (sp.ready_at > now) break;  // pods still starting have no metrics yet
        r.pod_samples.push_back({"pod-" + std::to_string(sp.id), milli});
      }
      r.sample_time = now;
      r.sample_window = kSampleWindow;
      r.ok = true;
    } else {
      double v = recorded;
      // With no ready replica the whole demand lands on the first one to start.
      if (m.model.type == ModelType::kDemand) v = recorded / std::max(ready, 1);
      // Converted as a live scaler's sample is, so a replay decides what the controller would.
      const Result<int64_t> milli = SampleToMilli(v);
      if (!milli) {
        r.error = names_[i] + ": " + milli.error().message;
        continue;
      }
      r.value_milli = *milli;
      r.ok = true;
      m.last_read = static_cast<double>(*milli) / 1000.0;
    }
  }
}

}  // namespace ebb::sim
