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

constexpr double kNever = std::numeric_limits<double>::infinity();

}  // namespace

PoolQueue::PoolQueue(ServiceTime service, uint64_t seed)
    : service_(std::move(service)),
      sampler_(service_),
      arrivals_rng_(Mix(seed)),
      service_rng_(Mix(seed ^ 0x5bd1e995ULL)),
      to_next_arrival_(arrivals_rng_.Exponential()) {}

PoolQueue::PoolQueue(std::shared_ptr<const PoolTasks> drawn)
    : sampler_(service_),
      arrivals_rng_(0),
      service_rng_(0),
      to_next_arrival_(0),
      drawn_(std::move(drawn)) {}

void PoolQueue::Grow() {
  std::vector<Task> bigger(std::max<size_t>(64, ring_.size() * 2));
  for (size_t k = 0; k < count_; ++k) bigger[k] = Waiting(k);
  ring_.swap(bigger);
  head_ = 0;
}

void PoolQueue::Enqueue(double arrival, double service) {
  if (count_ == ring_.size()) Grow();
  ring_[(head_ + count_) & (ring_.size() - 1)] = Task{arrival, service};
  ++count_;
}

// Every free slot takes the oldest queued task.
void PoolQueue::StartWaiting(double now, int64_t slots) {
  while (count_ > 0 && static_cast<int64_t>(busy_.size()) < slots) {
    const Task t = ring_[head_];
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
    Record(std::max(0.0, now - t.arrival));
    busy_.push(now + t.service);
  }
}

// A task arrives at `now`. The queue is empty or every slot is taken (StartWaiting ran after
// every event), so it starts at once only when the queue is empty and a slot is free.
void PoolQueue::Arrive(double now, double service, int64_t slots) {
  ++arrived_;
  work_seconds_ += service;
  if (count_ == 0 && static_cast<int64_t>(busy_.size()) < slots) {
    Record(0.0);
    busy_.push(now + service);
  } else {
    Enqueue(now, service);
  }
}

// The earliest running task finishes at `now`; its slot goes to the oldest queued task unless
// slots were taken away (then at most one task starts: the others were busy before).
void PoolQueue::Complete(double now, int64_t slots) {
  ++completed_;
  if (count_ > 0 && static_cast<int64_t>(busy_.size()) - 1 < slots) {
    const Task t = ring_[head_];
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
    Record(std::max(0.0, now - t.arrival));
    busy_.replace_top(now + t.service);
  } else {
    busy_.pop();
  }
}

void PoolQueue::AdvanceDrawn(double t0, double t1, int64_t slots) {
  const PoolTasks& d = *drawn_;
  const size_t n = std::min(d.arrival.size(), d.service.size());
  const double* arrival = d.arrival.data();
  const double* service = d.service.data();
  double now = t0;
  StartWaiting(now, slots);
  for (;;) {
    const double next_arrival = next_drawn_ < n ? std::max(now, arrival[next_drawn_]) : kNever;
    const double next_done = busy_.empty() ? kNever : busy_.top();
    if (next_done <= next_arrival && next_done < t1) {
      now = std::max(now, next_done);
      Complete(now, slots);
    } else if (next_arrival < t1) {
      now = next_arrival;
      const double s = std::max(0.0, service[next_drawn_]);
      ++next_drawn_;
      Arrive(now, s, slots);
    } else {
      break;
    }
  }
}

void PoolQueue::Advance(double t0, double t1, double arrival_rate, int64_t slots) {
  if (!(t1 > t0)) return;
  slots = std::max<int64_t>(slots, 0);
  if (drawn_) {
    AdvanceDrawn(t0, t1, slots);
    return;
  }
  const double rate = std::isfinite(arrival_rate) && arrival_rate > 0 ? arrival_rate : 0.0;
  double now = t0;
  StartWaiting(now, slots);
  for (;;) {
    const double next_arrival = rate > 0 ? now + to_next_arrival_ / rate : kNever;
    const double next_done = busy_.empty() ? kNever : busy_.top();
    if (next_done <= next_arrival && next_done < t1) {
      if (rate > 0) to_next_arrival_ -= (next_done - now) * rate;
      now = std::max(now, next_done);
      Complete(now, slots);
    } else if (next_arrival < t1) {
      now = next_arrival;
      to_next_arrival_ = arrivals_rng_.Exponential();
      Arrive(now, std::max(0.0, sampler_.Draw(service_rng_)), slots);
    } else {
      if (rate > 0) to_next_arrival_ = std::max(0.0, to_next_arrival_ - (t1 - now) * rate);
      break;
    }
  }
}

double PoolQueue::OldestWait(double now) const {
  return count_ == 0 ? 0 : std::max(0.0, now - Waiting(0).arrival);
}

int64_t PoolQueue::WaitingLongerThan(double now, double limit) const {
  // FIFO: the oldest come first, so the ones over the limit are a prefix (found by bisection).
  size_t lo = 0;
  size_t hi = count_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (now - Waiting(mid).arrival > limit) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return static_cast<int64_t>(lo);
}

template <typename Service>
void PoolQueue::TakeWaitingInto(std::vector<double>& arrivals, std::vector<Service>& services) {
  for (size_t k = 0; k < count_; ++k) {
    const Task& t = Waiting(k);
    arrivals.push_back(t.arrival);
    services.push_back(static_cast<Service>(t.service));
  }
  head_ = 0;
  count_ = 0;
}

void PoolQueue::TakeWaiting(std::vector<double>& arrivals, std::vector<float>& services) {
  TakeWaitingInto(arrivals, services);
}

void PoolQueue::TakeWaiting(std::vector<double>& arrivals, std::vector<double>& services) {
  TakeWaitingInto(arrivals, services);
}

void PoolQueue::AddCensoredWaits(double now, Histogram& into) const {
  for (size_t k = 0; k < count_; ++k) into.Add(std::max(0.0, now - Waiting(k).arrival));
}

}  // namespace ebb::sim
