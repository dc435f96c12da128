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
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
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

class PoolQueue {
 public:
  PoolQueue(ServiceTime service, uint64_t seed);
  // Takes its tasks from `drawn` instead of drawing them: the arrival rate given to Advance is
  // then ignored (the tasks were drawn for it).
  explicit PoolQueue(std::shared_ptr<const PoolTasks> drawn);

  // Runs [t0, t1) with a constant arrival rate (tasks/s) and `slots` worker slots
  // (ready replicas x concurrency).
  void Advance(double t0, double t1, double arrival_rate, int64_t slots);

  double backlog() const { return static_cast<double>(waiting_.size()); }
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

  void Start(double now, int64_t slots);
  void NewArrival(double at);
  void AdvanceDrawn(double t0, double t1, int64_t slots);
  template <typename Service>
  void TakeWaitingInto(std::vector<double>& arrivals, std::vector<Service>& services);

  ServiceTime service_;
  RandomStream arrivals_rng_;
  RandomStream service_rng_;
  double to_next_arrival_;  // cumulative rate (expected tasks) left until the next arrival
  std::deque<Task> waiting_;
  std::priority_queue<double, std::vector<double>, std::greater<>> busy_;  // completion times
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
