// A worker pool in front of a FIFO queue, task by task: arrivals are a Poisson process whose
// rate follows the recording, so a queue forms below capacity as it does in a real pool; each
// task draws a service time; a ready replica runs `concurrency` tasks at once. A task's wait is
// the time from its arrival until a slot starts it (its own service time excluded).
//
// The sample path depends only on the seed and the arrival-rate function, not on how a caller
// cuts time into steps or how many slots it offers: arrivals come from a unit-rate exponential
// clock run through the cumulative rate, and service times are drawn in arrival order from a
// stream of their own. Two policies simulated on the same recording and seed see the same tasks.
//
// When slots are taken away (scale-down), tasks already running finish (graceful termination);
// only new starts wait for a free slot.
//
// Cost: a task is a few events on a binary heap of the running tasks' completion times (one
// replace-top when a finishing task hands its slot to the next one) and, if it must wait, a
// place in a ring buffer; nothing is allocated per task once the buffers have grown.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "controller/sim/histogram.h"
#include "controller/sim/service_time.h"

namespace ebb::sim {

// Every task of one run drawn ahead, in arrival order: arrival times (seconds since the run's
// start) and service times. A search that replays one recording hundreds of times draws them
// once (ideal_schedule.h, DrawTasks) instead of once per run.
struct PoolTasks {
  std::vector<double> arrival;
  std::vector<double> service;
};

// A min-heap of completion times (what std::priority_queue with std::greater does, plus a
// replace-top that costs one sift instead of a pop and a push).
class CompletionHeap {
 public:
  bool empty() const { return v_.empty(); }
  size_t size() const { return v_.size(); }
  double top() const { return v_.front(); }
  void push(double x) {
    size_t i = v_.size();
    v_.push_back(x);
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!(x < v_[parent])) break;
      v_[i] = v_[parent];
      i = parent;
    }
    v_[i] = x;
  }
  void pop() {
    const double x = v_.back();
    v_.pop_back();
    if (!v_.empty()) SiftDown(x);
  }
  // pop() then push(x), in one pass.
  void replace_top(double x) { SiftDown(x); }

 private:
  void SiftDown(double x) {
    const size_t n = v_.size();
    size_t i = 0;
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && v_[c + 1] < v_[c]) ++c;
      if (!(v_[c] < x)) break;
      v_[i] = v_[c];
      i = c;
    }
    v_[i] = x;
  }
  std::vector<double> v_;
};

class PoolQueue {
 public:
  PoolQueue(ServiceTime service, uint64_t seed);
  // Takes its tasks from `drawn` instead of drawing them: the arrival rate given to Advance is
  // then ignored (the tasks were drawn for it).
  explicit PoolQueue(std::shared_ptr<const PoolTasks> drawn);

  // Runs [t0, t1) with a constant arrival rate (tasks/s) and `slots` worker slots
  // (ready replicas x concurrency).
  void Advance(double t0, double t1, double arrival_rate, int64_t slots);

  double backlog() const { return static_cast<double>(count_); }
  double in_flight() const { return static_cast<double>(busy_.size()); }
  double arrived() const { return static_cast<double>(arrived_); }
  double served() const { return static_cast<double>(started_); }  // started: left the queue
  double completed() const { return static_cast<double>(completed_); }
  // Service seconds of every task that arrived: the work, whoever does it.
  double work_seconds() const { return work_seconds_; }
  // Served tasks' waits go to `sink` (may be null: trial runs need only the counters).
  void set_sink(Histogram* sink) { sink_ = sink; }
  // Started tasks whose wait exceeded `limit` (seconds), counted from now on.
  void set_wait_limit(double limit) { wait_limit_ = limit; }
  int64_t exceeded() const { return exceeded_; }
  int64_t started() const { return started_; }
  void AddCensoredWaits(double now, Histogram& into) const;
  double OldestWait(double now) const;
  // Tasks still queued at `now` that have waited longer than `limit`.
  int64_t WaitingLongerThan(double now, double limit) const;
  // Moves the queued tasks out, oldest first: their arrival times into `arrivals` and service
  // times into `services`. Run with no slots, it yields the tasks every run on this seed and
  // recording sees, for a planner that must know them ahead (ideal_schedule.cpp).
  void TakeWaiting(std::vector<double>& arrivals, std::vector<float>& services);
  void TakeWaiting(std::vector<double>& arrivals, std::vector<double>& services);

 private:
  struct Task {
    double arrival;
    double service;
  };

  // The k-th oldest queued task (k < count_).
  const Task& Waiting(size_t k) const { return ring_[(head_ + k) & (ring_.size() - 1)]; }
  void Enqueue(double arrival, double service);
  void Grow();
  // A task leaves the queue at `now` (its wait counted) and takes a slot until now + service.
  void Record(double wait) {
    if (sink_ != nullptr) sink_->Add(wait);
    if (wait > wait_limit_) ++exceeded_;
    ++started_;
  }
  void StartWaiting(double now, int64_t slots);
  void Arrive(double now, double service, int64_t slots);
  void Complete(double now, int64_t slots);
  void AdvanceDrawn(double t0, double t1, int64_t slots);
  template <typename Service>
  void TakeWaitingInto(std::vector<double>& arrivals, std::vector<Service>& services);

  ServiceTime service_;
  ServiceSampler sampler_;
  RandomStream arrivals_rng_;
  RandomStream service_rng_;
  double to_next_arrival_;  // cumulative rate (expected tasks) left until the next arrival
  // The queue, oldest first: a ring buffer (power-of-two size) from head_, count_ long.
  std::vector<Task> ring_;
  size_t head_ = 0;
  size_t count_ = 0;
  CompletionHeap busy_;
  int64_t arrived_ = 0;
  int64_t started_ = 0;
  int64_t completed_ = 0;
  int64_t exceeded_ = 0;
  double wait_limit_ = 1e300;
  double work_seconds_ = 0;
  Histogram* sink_ = nullptr;
  std::shared_ptr<const PoolTasks> drawn_;
  size_t next_drawn_ = 0;
};

}  // namespace ebb::sim
