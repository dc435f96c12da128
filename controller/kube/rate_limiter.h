// client-go's client-side rate limit: a token bucket of `burst` tokens refilled at `qps` per
// second; every request to the API server takes one, waiting its turn when none is left. It
// keeps one controller from flooding the API server (and being answered 429 by its priority
// level) when thousands of Autoscalers come due at once.
#pragma once

#include <chrono>
#include <mutex>

#include "controller/base/time.h"

namespace ebb::kube {

class TokenBucket {
 public:
  // qps <= 0: unlimited. burst < 1 is taken as 1.
  TokenBucket(double qps, int burst);
  // Reserves a token and returns how long the caller must wait before using it (0 when one was
  // free). Reservations queue up in order, like golang.org/x/time/rate's Wait.
  Duration Reserve(std::chrono::steady_clock::time_point now);
  // Reserve + sleep.
  void Wait();
  bool unlimited() const { return qps_ <= 0; }

 private:
  double qps_;
  double burst_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace ebb::kube
