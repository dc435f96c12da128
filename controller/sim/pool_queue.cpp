#include "controller/sim/pool_queue.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ebb::sim {
namespace {

// splitmix64: independent streams from one seed.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

PoolQueue::PoolQueue(ServiceTime service, uint64_t seed)
    : service_(std::move(service)),
      arrivals_rng_(Mix(seed)),
      service_rng_(Mix(seed ^ 0x5bd1e995ULL)),
      to_next_arrival_(arrivals_rng_.Exponential()) {}

PoolQueue::PoolQueue(std::shared_ptr<const PoolTasks> drawn)
    : arrivals_rng_(0), service_rng_(0), to_next_arrival_(0), drawn_(std::move(drawn)) {}

void PoolQueue::NewArrival(double at) {
  const double s = std::max(0.0, DrawServiceTime(service_, service_rng_));
  waiting_.push_back({at, s});
  ++arrived_;
  work_seconds_ += s;
}

void PoolQueue::Start(double now, int64_t slots) {
  while (!waiting_.empty() && static_cast<int64_t>(busy_.size()) < slots) {
    const Task t = waiting_.front();
    waiting_.pop_front();
    const double wait = std::max(0.0, now - t.arrival);
    if (sink_ != nullptr) sink_->Add(wait);
    if (wait > wait_limit_) ++exceeded_;
    ++started_;
    busy_.push(now + t.service);
  }
}

void PoolQueue::AdvanceDrawn(double t0, double t1, int64_t slots) {
  const PoolTasks& d = *drawn_;
  const size_t n = std::min(d.arrival.size(), d.service.size());
  double now = t0;
  Start(now, slots);
  constexpr double kNever = std::numeric_limits<double>::infinity();
  for (;;) {
    const double next_arrival = next_drawn_ < n ? std::max(now, d.arrival[next_drawn_]) : kNever;
    const double next_done = busy_.empty() ? kNever : busy_.top();
    if (next_done <= next_arrival && next_done < t1) {
      now = std::max(now, next_done);
      busy_.pop();
      ++completed_;
      Start(now, slots);
    } else if (next_arrival < t1) {
      now = next_arrival;
      const double s = std::max(0.0, d.service[next_drawn_]);
      ++next_drawn_;
      waiting_.push_back({now, s});
      ++arrived_;
      work_seconds_ += s;
      Start(now, slots);
    } else {
      break;
    }
  }
}

void PoolQueue::Advance(double t0, double t1, double arrival_rate, int64_t slots) {
  if (!(t1 > t0)) return;
  if (drawn_) {
    AdvanceDrawn(t0, t1, std::max<int64_t>(slots, 0));
    return;
  }
  const double rate = std::isfinite(arrival_rate) && arrival_rate > 0 ? arrival_rate : 0.0;
  slots = std::max<int64_t>(slots, 0);
  double now = t0;
  Start(now, slots);
  constexpr double kNever = std::numeric_limits<double>::infinity();
  for (;;) {
    const double next_arrival = rate > 0 ? now + to_next_arrival_ / rate : kNever;
    const double next_done = busy_.empty() ? kNever : busy_.top();
    if (next_done <= next_arrival && next_done < t1) {
      if (rate > 0) to_next_arrival_ -= (next_done - now) * rate;
      now = std::max(now, next_done);
      busy_.pop();
      ++completed_;
      Start(now, slots);
    } else if (next_arrival < t1) {
      now = next_arrival;
      to_next_arrival_ = arrivals_rng_.Exponential();
      NewArrival(now);
      Start(now, slots);
    } else {
      if (rate > 0) to_next_arrival_ = std::max(0.0, to_next_arrival_ - (t1 - now) * rate);
      break;
    }
  }
}

double PoolQueue::OldestWait(double now) const {
  return waiting_.empty() ? 0 : std::max(0.0, now - waiting_.front().arrival);
}

int64_t PoolQueue::WaitingLongerThan(double now, double limit) const {
  int64_t n = 0;
  // FIFO: the oldest come first.
  for (const Task& t : waiting_) {
    if (now - t.arrival <= limit) break;
    ++n;
  }
  return n;
}

template <typename Service>
void PoolQueue::TakeWaitingInto(std::vector<double>& arrivals, std::vector<Service>& services) {
  for (const Task& t : waiting_) {
    arrivals.push_back(t.arrival);
    services.push_back(static_cast<Service>(t.service));
  }
  waiting_.clear();
}

void PoolQueue::TakeWaiting(std::vector<double>& arrivals, std::vector<float>& services) {
  TakeWaitingInto(arrivals, services);
}

void PoolQueue::TakeWaiting(std::vector<double>& arrivals, std::vector<double>& services) {
  TakeWaitingInto(arrivals, services);
}

void PoolQueue::AddCensoredWaits(double now, Histogram& into) const {
  for (const Task& t : waiting_) into.Add(std::max(0.0, now - t.arrival));
}

}  // namespace ebb::sim
