// A FIFO task queue as a fluid: arrivals and service are rates, the backlog is a real number.
// Waits come from cohorts (the tasks that arrived in one step, spread evenly over it), served in
// order, so a task's wait is the time from its arrival until the queue drained past it. The wait
// excludes the task's own service time. Cohorts are merged when there are many, which bounds
// memory however long a backlog lasts.
#pragma once

#include <deque>

#include "controller/sim/histogram.h"

namespace ebb::sim {

class FluidQueue {
 public:
  // Runs the queue over [t0, t1) (seconds on any fixed axis) with a constant arrival rate and
  // a constant service capacity (tasks/s over all replicas).
  void Advance(double t0, double t1, double arrival_rate, double capacity);

  double backlog() const { return backlog_; }
  double arrived() const { return arrived_; }
  double served() const { return served_; }
  // Waits of served tasks, weighted by tasks.
  const Histogram& waits() const { return waits_; }
  // Adds the tasks still queued at `now` to `into` with the wait they have had so far: censored
  // observations, a lower bound on their wait. Without them a policy that leaves work undone
  // would show shorter waits than one that serves it.
  void AddCensoredWaits(double now, Histogram& into) const;
  // How long the oldest task still queued has waited at `now` (0 when empty).
  double OldestWait(double now) const;
  size_t cohorts() const { return cohorts_.size(); }

 private:
  struct Cohort {
    double start;  // arrivals spread evenly over [start, end)
    double end;
    double total;
    double left;
  };

  // Serves `amount` in order, departures evenly spread over [t, t + amount / rate).
  void ServeBusy(double amount, double t, double rate);
  void ServeAtOnce(double amount);
  void Compact();

  std::deque<Cohort> cohorts_;
  double backlog_ = 0;
  double arrived_ = 0;
  double served_ = 0;
  Histogram waits_;
};

}  // namespace ebb::sim
