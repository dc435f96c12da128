// Every API server request is counted (ebb_kube_requests_total, ebb_kube_request_duration_seconds)
// and every failed one is logged with its verb, resource and HTTP code, at most once per
// `period` for each verb+resource+code: a dead or forbidding API server is visible at once
// without one line per retry. A 403 names the permission to grant.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "controller/base/time.h"
#include "controller/kube/api_request.h"
#include "metrics/controller_metrics.h"

namespace ebb::live {

// Per key: the first occurrence passes; later ones within `period` of the last that passed are
// counted; the first after it passes with that count.
class LogLimiter {
 public:
  explicit LogLimiter(Duration period) : period_(period) {}
  // nullopt: suppressed. Else how many were suppressed since the last one that passed.
  std::optional<uint64_t> Admit(const std::string& key, Timestamp now);

 private:
  struct Slot {
    Timestamp last{};
    uint64_t suppressed = 0;
  };
  Duration period_;
  std::mutex mu_;
  std::map<std::string, Slot> slots_;
};

// The log line for a failed call: "list autoscalers.ebb.dev at the cluster scope: HTTP 403
// Forbidden: <server's message>; missing permission: cannot list resource ...".
std::string DescribeFailedCall(const kube::ApiCall& call);

// The API server's own answers to expected races: an object that is gone (404) or was changed
// meanwhile (409). Logged at debug, not as warnings.
bool RoutineFailure(const kube::ApiCall& call);

class ApiCallReporter {
 public:
  ApiCallReporter(metrics::ControllerMetrics& metrics, std::shared_ptr<spdlog::logger> log,
                  Duration period = Seconds(30))
      : metrics_(metrics), log_(std::move(log)), period_(period), limiter_(period) {}
  void Report(const kube::ApiCall& call, Timestamp now);
  void operator()(const kube::ApiCall& call) { Report(call, SystemClock().Now()); }

 private:
  metrics::ControllerMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  Duration period_;
  LogLimiter limiter_;
};

}  // namespace ebb::live
