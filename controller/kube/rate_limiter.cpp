#include "controller/kube/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace ebb::kube {

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps),
      burst_(static_cast<double>(std::max(burst, 1))),
      tokens_(burst_),
      last_(std::chrono::steady_clock::now()) {}

Duration TokenBucket::Reserve(std::chrono::steady_clock::time_point now) {
  if (qps_ <= 0) return Duration(0);
  std::lock_guard lock(mu_);
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return Duration(0);
  // A negative balance is the queue ahead of us: wait until it has been refilled.
  return Duration(static_cast<int64_t>(std::ceil(-tokens_ / qps_ * 1000.0)));
}

void TokenBucket::Wait() {
  const Duration d = Reserve(std::chrono::steady_clock::now());
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

}  // namespace ebb::kube
