#include "controller/sim/fluid_queue.h"

#include <algorithm>
#include <cmath>

namespace ebb::sim {
namespace {

constexpr size_t kMaxCohorts = 4096;
constexpr double kEpsilon = 1e-9;
constexpr int kMinSubChunks = 4;
constexpr int kMaxSubChunks = 256;

}  // namespace

void FluidQueue::Advance(double t0, double t1, double arrival_rate, double capacity) {
  const double dt = t1 - t0;
  if (!(dt > 0)) return;
  const double lambda = std::isfinite(arrival_rate) ? std::max(arrival_rate, 0.0) : 0.0;
  const double c = std::isfinite(capacity) ? std::max(capacity, 0.0) : 0.0;
  const double arrivals = lambda * dt;
  if (arrivals > 0) {
    cohorts_.push_back({t0, t1, arrivals, arrivals});
    arrived_ += arrivals;
  }
  const double b0 = backlog_;
  double b1 = 0;
  double busy = 0;  // time the servers work through a queue
  if (c < lambda) {
    b1 = b0 + (lambda - c) * dt;
    busy = dt;
  } else if (b0 > 0) {
    const double drain = c - lambda;
    busy = drain > 0 ? std::min(dt, b0 / drain) : dt;
    b1 = std::max(0.0, b0 - drain * dt);
  }
  const double departures = std::max(0.0, b0 + arrivals - b1);
  const double busy_served = std::min(departures, c * busy);
  if (busy_served > 0) ServeBusy(busy_served, t0, c);
  if (departures - busy_served > 0) ServeAtOnce(departures - busy_served);
  served_ += departures;
  backlog_ = b1 < kEpsilon ? 0 : b1;
  if (backlog_ == 0) cohorts_.clear();
  if (cohorts_.size() > kMaxCohorts) Compact();
}

void FluidQueue::ServeBusy(double amount, double t, double rate) {
  double done = 0;
  while (amount - done > kEpsilon && !cohorts_.empty()) {
    Cohort& h = cohorts_.front();
    const double take = std::min(amount - done, h.left);
    const double p0 = (h.total - h.left) / h.total;
    const double p1 = (h.total - h.left + take) / h.total;
    const double arrive0 = h.start + p0 * (h.end - h.start);
    const double arrive1 = h.start + p1 * (h.end - h.start);
    const double depart0 = t + done / rate;
    const double depart1 = t + (done + take) / rate;
    // Waits run linearly from w0 to w1 across the chunk; sample it finely enough that
    // percentiles see the spread, and keep the exact ends for min and max.
    const double w0 = depart0 - arrive0;
    const double w1 = depart1 - arrive1;
    const int pieces = std::clamp(static_cast<int>(std::ceil(std::fabs(w1 - w0) / 0.25)),
                                  kMinSubChunks, kMaxSubChunks);
    for (int k = 0; k < pieces; ++k) {
      const double f = (k + 0.5) / pieces;
      waits_.Add(std::max(0.0, w0 + f * (w1 - w0)), take / pieces);
    }
    waits_.ObserveExtremes(std::max(0.0, std::min(w0, w1)), std::max(0.0, std::max(w0, w1)));
    done += take;
    h.left -= take;
    if (h.left <= kEpsilon * std::max(1.0, h.total)) cohorts_.pop_front();
  }
}

void FluidQueue::ServeAtOnce(double amount) {
  waits_.Add(0, amount);
  while (amount > kEpsilon && !cohorts_.empty()) {
    Cohort& h = cohorts_.front();
    const double take = std::min(amount, h.left);
    amount -= take;
    h.left -= take;
    if (h.left <= kEpsilon * std::max(1.0, h.total)) cohorts_.pop_front();
  }
}

double FluidQueue::OldestWait(double now) const {
  if (cohorts_.empty() || backlog_ <= 0) return 0;
  const Cohort& h = cohorts_.front();
  const double p = (h.total - h.left) / h.total;
  return std::max(0.0, now - (h.start + p * (h.end - h.start)));
}

void FluidQueue::AddCensoredWaits(double now, Histogram& into) const {
  if (backlog_ <= 0) return;
  for (const Cohort& h : cohorts_) {
    if (h.left <= 0) continue;
    // The unserved tasks are the cohort's latest arrivals, spread evenly to its end.
    const double p = (h.total - h.left) / h.total;
    const double w0 = std::max(0.0, now - (h.start + p * (h.end - h.start)));
    const double w1 = std::max(0.0, now - h.end);
    const int pieces = std::clamp(static_cast<int>(std::ceil(std::fabs(w0 - w1) / 0.25)),
                                  kMinSubChunks, kMaxSubChunks);
    for (int k = 0; k < pieces; ++k) {
      const double f = (k + 0.5) / pieces;
      into.Add(w0 + f * (w1 - w0), h.left / pieces);
    }
    into.ObserveExtremes(std::min(w0, w1), std::max(w0, w1));
  }
}

void FluidQueue::Compact() {
  // Merging neighbours halves the count; the merged cohort spreads its tasks evenly from the
  // first one's oldest unserved arrival to the second one's end, a small error deep in a backlog.
  std::deque<Cohort> merged;
  for (size_t i = 0; i < cohorts_.size(); i += 2) {
    const Cohort& a = cohorts_[i];
    const double p = (a.total - a.left) / a.total;
    const double start = a.start + p * (a.end - a.start);
    if (i + 1 == cohorts_.size()) {
      merged.push_back({start, a.end, a.left, a.left});
      continue;
    }
    const Cohort& b = cohorts_[i + 1];
    merged.push_back({start, b.end, a.left + b.left, a.left + b.left});
  }
  cohorts_.swap(merged);
}

}  // namespace ebb::sim
