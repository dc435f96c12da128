// The one small interface every metric source implements. A scaler is configured once from its
// metric entry (parsed and validated apart from I/O) and then read once per poll.
#pragma once

#include <algorithm>
#include <string>

#include "controller/base/result.h"
#include "controller/base/time.h"

namespace ebb::scalers {

struct ReadContext {
  Timestamp now;       // the reconcile time (simulation passes its simulated clock)
  Timestamp deadline;  // the read must give up (kTimeout) by then
};

class Scaler {
 public:
  virtual ~Scaler() = default;
  // The metric's current value in its own units (a count, req/s, ...). Never throws: transport
  // failures, bad replies and garbage values (NaN, Inf, negative) come back as typed errors.
  virtual Result<double> Read(const ReadContext& ctx) = 0;
  // "prometheus http://prom:9090 query=sum(rate(...))" -- for logs and errors; never secrets.
  virtual std::string Describe() const = 0;
};

// How long a read may take: the configured timeout, cut to what is left before ctx.deadline when
// a deadline is set (deadline and now come from the same clock, so this works in simulation too).
// A deadline already passed leaves 1 ms, which fails fast with kTimeout.
inline Duration TimeBudget(const ReadContext& ctx, Duration configured) {
  if (ctx.deadline == Timestamp{}) return configured;
  return std::clamp(ctx.deadline - ctx.now, Duration(1), configured);
}

}  // namespace ebb::scalers
