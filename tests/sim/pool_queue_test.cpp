// The worker-pool queue: random arrivals form a queue below capacity, the sample path depends
// only on the seed and the rate, and running tasks finish when slots are taken away.
#include "controller/sim/pool_queue.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <vector>

#include "controller/sim/ideal_schedule.h"

namespace ebb::sim {
namespace {

ServiceTime Exponential(double mean) {
  ServiceTime s;
  s.distribution = ServiceDistribution::kExponential;
  s.mean_seconds = mean;
  return s;
}

ServiceTime Constant(double mean) {
  ServiceTime s;
  s.distribution = ServiceDistribution::kConstant;
  s.mean_seconds = mean;
  return s;
}

// The pool as first written: a deque of waiting tasks, std::priority_queue of completion times,
// every start a pop and a push. PoolQueue's ring buffer, replace-top heap and sampler must give
// every task the same wait.
class ReferencePool {
 public:
  ReferencePool(ServiceTime service, uint64_t seed)
      : service_(std::move(service)),
        arrivals_(Mix(seed)),
        services_(Mix(seed ^ 0x5bd1e995ULL)),
        to_next_(arrivals_.Exponential()) {}

  void Advance(double t0, double t1, double rate, int64_t slots) {
    if (!(t1 > t0)) return;
    rate = rate > 0 ? rate : 0.0;
    slots = std::max<int64_t>(slots, 0);
    double now = t0;
    Start(now, slots);
    constexpr double kNever = std::numeric_limits<double>::infinity();
    for (;;) {
      const double next_arrival = rate > 0 ? now + to_next_ / rate : kNever;
      const double next_done = busy_.empty() ? kNever : busy_.top();
      if (next_done <= next_arrival && next_done < t1) {
        if (rate > 0) to_next_ -= (next_done - now) * rate;
        now = std::max(now, next_done);
        busy_.pop();
        ++completed;
        Start(now, slots);
      } else if (next_arrival < t1) {
        now = next_arrival;
        to_next_ = arrivals_.Exponential();
        const double s = std::max(0.0, DrawServiceTime(service_, services_));
        waiting_.push_back({now, s});
        ++arrived;
        work += s;
        Start(now, slots);
      } else {
        if (rate > 0) to_next_ = std::max(0.0, to_next_ - (t1 - now) * rate);
        break;
      }
    }
  }
  size_t backlog() const { return waiting_.size(); }
  size_t in_flight() const { return busy_.size(); }

  Histogram waits;
  int64_t arrived = 0, started = 0, completed = 0, exceeded = 0;
  double work = 0;
  double limit = 2;

 private:
  static uint64_t Mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  void Start(double now, int64_t slots) {
    while (!waiting_.empty() && static_cast<int64_t>(busy_.size()) < slots) {
      const auto [arrival, service] = waiting_.front();
      waiting_.pop_front();
      const double wait = std::max(0.0, now - arrival);
      waits.Add(wait);
      if (wait > limit) ++exceeded;
      ++started;
      busy_.push(now + service);
    }
  }
  ServiceTime service_;
  RandomStream arrivals_;
  RandomStream services_;
  double to_next_;
  std::deque<std::pair<double, double>> waiting_;
  std::priority_queue<double, std::vector<double>, std::greater<>> busy_;
};

TEST_CASE("pool: every task waits exactly as in the reference model", "[sim][pool]") {
  ServiceTime ln;
  ln.distribution = ServiceDistribution::kLognormal;
  ln.mean_seconds = 1;
  ln.cv = 1.5;
  for (const ServiceTime& service : {ln, Exponential(0.7), Constant(0.5)}) {
    INFO("service " << ToString(service.distribution));
    PoolQueue q(service, 17);
    ReferencePool ref(service, 17);
    Histogram waits;
    q.set_sink(&waits);
    q.set_wait_limit(2);
    RandomStream plan(99);  // steps of random length, rate and slots (scale-downs included)
    double t = 0;
    for (int k = 0; k < 20'000; ++k) {
      const double len = 0.05 + 4 * plan.Uniform();
      const auto slots = static_cast<int64_t>(plan.Uniform() * 13);
      const double rate = plan.Uniform() < 0.1 ? 0 : plan.Uniform() * 12;
      q.Advance(t, t + len, rate, slots);
      ref.Advance(t, t + len, rate, slots);
      t += len;
      REQUIRE(q.backlog() == static_cast<double>(ref.backlog()));
      REQUIRE(q.in_flight() == static_cast<double>(ref.in_flight()));
    }
    REQUIRE(ref.arrived > 50'000);
    CHECK(q.arrived() == static_cast<double>(ref.arrived));
    CHECK(q.started() == ref.started);
    CHECK(q.completed() == static_cast<double>(ref.completed));
    CHECK(q.exceeded() == ref.exceeded);
    CHECK(q.work_seconds() == ref.work);
    CHECK(waits.mean() == ref.waits.mean());  // the same waits, summed in the same order
    CHECK(waits.max() == ref.waits.max());
    for (double p : {0.5, 0.9, 0.99}) CHECK(waits.Quantile(p) == ref.waits.Quantile(p));
    CHECK(ref.waits.Quantile(0.9) > 0);  // queues did form
  }
}

TEST_CASE("pool: the completion heap orders as std::priority_queue does", "[sim][pool]") {
  CompletionHeap heap;
  std::priority_queue<double, std::vector<double>, std::greater<>> ref;
  RandomStream rng(4);
  for (int k = 0; k < 100'000; ++k) {
    const double u = rng.Uniform();
    // Ties too: values on a coarse grid.
    const double x = std::floor(rng.Uniform() * 50) / 4;
    if (ref.empty() || u < 0.4) {
      heap.push(x);
      ref.push(x);
    } else if (u < 0.7) {
      heap.pop();
      ref.pop();
    } else {
      heap.replace_top(x);
      ref.pop();
      ref.push(x);
    }
    REQUIRE(heap.size() == ref.size());
    if (!ref.empty()) REQUIRE(heap.top() == ref.top());
  }
}

TEST_CASE("pool: a queue forms below capacity, as M/M/1 predicts", "[sim][pool]") {
  // 80 % utilization: the fluid model would show no queue at all; M/M/1 waits rho/(mu-lambda).
  PoolQueue q(Exponential(1.0), 7);
  Histogram waits;
  q.set_sink(&waits);
  q.Advance(0, 400'000, 0.8, 1);
  CHECK(q.arrived() == Approx(320'000).epsilon(0.01));
  CHECK(waits.mean() == Approx(4.0).epsilon(0.1));
  CHECK(waits.Quantile(0.99) > 15);
  CHECK(q.work_seconds() == Approx(q.arrived()).epsilon(0.01));
}

TEST_CASE("pool: the sample path does not depend on how time is cut", "[sim][pool]") {
  PoolQueue whole(Exponential(3.0), 42);
  PoolQueue cut(Exponential(3.0), 42);
  Histogram wa, wb;
  whole.set_sink(&wa);
  cut.set_sink(&wb);
  whole.set_wait_limit(2);
  cut.set_wait_limit(2);
  whole.Advance(0, 5000, 2.5, 9);
  for (int k = 0; k < 5000; ++k) cut.Advance(k, k + 1, 2.5, 9);
  CHECK(whole.arrived() == cut.arrived());
  CHECK(whole.started() == cut.started());
  CHECK(whole.exceeded() == cut.exceeded());
  CHECK(wa.Quantile(0.99) == wb.Quantile(0.99));
  CHECK(whole.work_seconds() == Approx(cut.work_seconds()));

  // The same tasks with more slots: arrivals and service work are identical, waits shorter.
  PoolQueue more(Exponential(3.0), 42);
  more.set_wait_limit(2);
  more.Advance(0, 5000, 2.5, 12);
  CHECK(more.arrived() == whole.arrived());
  CHECK(more.work_seconds() == Approx(whole.work_seconds()));
  CHECK(more.exceeded() < whole.exceeded());

  PoolQueue other(Exponential(3.0), 43);
  other.Advance(0, 5000, 2.5, 9);
  CHECK(other.arrived() != whole.arrived());
}

TEST_CASE("pool: running tasks finish when slots are taken away", "[sim][pool]") {
  PoolQueue q(Constant(10), 1);
  q.Advance(0, 2, 5, 4);  // about 10 arrivals, 4 start at once
  REQUIRE(q.in_flight() == 4);
  const double queued = q.backlog();
  REQUIRE(queued > 0);
  q.Advance(2, 5, 0, 0);  // scaled to zero: nothing new starts, the running ones go on
  CHECK(q.in_flight() == 4);
  CHECK(q.backlog() == queued);
  q.Advance(5, 20, 0, 0);
  CHECK(q.in_flight() == 0);
  CHECK(q.completed() == 4);
  CHECK(q.OldestWait(20) > 18);
}

TEST_CASE("pool: service times follow the configured distribution", "[sim][pool]") {
  RandomStream rng(3);
  ServiceTime ln;
  ln.distribution = ServiceDistribution::kLognormal;
  ln.mean_seconds = 8;
  ln.cv = 1.5;
  double sum = 0, sq = 0;
  constexpr int kN = 200'000;
  for (int k = 0; k < kN; ++k) {
    const double x = DrawServiceTime(ln, rng);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / kN;
  CHECK(mean == Approx(8).epsilon(0.03));
  CHECK(std::sqrt(sq / kN - mean * mean) / mean == Approx(1.5).epsilon(0.1));

  ServiceTime rec;
  rec.distribution = ServiceDistribution::kRecorded;
  rec.recorded = std::make_shared<const std::vector<double>>(std::vector<double>{1, 3});
  int ones = 0;
  for (int k = 0; k < 10'000; ++k) {
    const double x = DrawServiceTime(rec, rng);
    REQUIRE((x == 1 || x == 3));
    ones += x == 1 ? 1 : 0;
  }
  CHECK(ones == Approx(5000).epsilon(0.05));
}

TEST_CASE("pool: tasks drawn ahead replay the same run as tasks drawn on the way", "[sim][pool]") {
  // What ebb tune does: the tasks of a span drawn once (DrawTasks), then hundreds of policies
  // run on them. Same arrivals and service times, so the same waits, whatever the slots do.
  IdealInput in;
  in.arrivals = {{0, 600, 2.0}, {600, 1200, 6.0}, {1500, 1800, 1.0}};
  in.end_seconds = 1800;
  in.block_seconds = 15;
  in.service = Exponential(1.5);
  in.seed = 9;
  auto drawn = std::make_shared<const PoolTasks>(DrawTasks(in));
  REQUIRE(drawn->arrival.size() > 4000);
  PoolQueue live(in.service, in.seed);
  PoolQueue replay(drawn);
  Histogram wl, wr;
  live.set_sink(&wl);
  replay.set_sink(&wr);
  int64_t slots = 3;
  for (double a = 0; a < in.end_seconds; a += 15) {
    double rate = 0;
    for (const RateSegment& s : in.arrivals) {
      if (s.start <= a && a < s.end) rate = s.rate;
    }
    live.Advance(a, a + 15, rate, slots);
    replay.Advance(a, a + 15, rate, slots);
    slots = 1 + (slots * 7 + 3) % 12;  // a policy changing its mind every tick
  }
  CHECK(replay.arrived() == live.arrived());
  CHECK(replay.started() == live.started());
  CHECK(replay.work_seconds() == Approx(live.work_seconds()).epsilon(1e-12));
  CHECK(wr.Quantile(0.99) == Approx(wl.Quantile(0.99)).epsilon(1e-12));
  CHECK(wr.mean() == Approx(wl.mean()).epsilon(1e-9));
  CHECK(wr.mean() > 1);  // a queue did form
}

}  // namespace
}  // namespace ebb::sim
