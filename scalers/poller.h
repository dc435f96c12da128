// Reads many scalers at once without a thread per autoscaler: every Redis command bound for one
// shared connection goes out in one pipelined round trip (identical commands sent once), and the
// Prometheus queries and every HttpScaler's requests (RabbitMQ) run through the HTTP client's
// batch call with a bounded number in flight.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "scalers/scaler.h"

namespace ebb::scalers {

struct PollOptions {
  std::size_t max_http_in_flight = 32;  // concurrent Prometheus queries
  std::size_t redis_parallelism = 4;    // Redis connections served at once
};

// Results in the order of `scalers`. Scalers of unknown kinds are read one by one with Read().
std::vector<Result<double>> ReadAll(std::span<Scaler* const> scalers, const ReadContext& ctx,
                                    PollOptions options = {});

}  // namespace ebb::scalers
