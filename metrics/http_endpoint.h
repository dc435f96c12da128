// One port serving /metrics, /healthz and /readyz from civetweb's begin_request hook (the
// Exposer, which owns the civetweb server, has no handler API, see docs/toolchain notes).
// /metrics holds the collectables' series, the per-Autoscaler ones streamed as they are
// rendered, and the process_* series (they describe the process that serves them).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "metrics/process_collector.h"

struct CivetCallbacks;
struct mg_connection;

namespace ebb::metrics {

class HttpEndpoint {
 public:
  // `bind`: "127.0.0.1:9090".
  // `collectables`: served in this order, then the process_* series; held until the endpoint
  // stops.
  static Result<std::unique_ptr<HttpEndpoint>> Start(
      const std::string& bind, std::vector<std::shared_ptr<prometheus::Collectable>> collectables);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  void set_ready(bool r) { ready_.store(r); }

 private:
  HttpEndpoint() = default;
  static int BeginRequest(::mg_connection* c);
  int ServeMetrics(::mg_connection* c) const;
  std::atomic<bool> ready_{false};
  std::unique_ptr<CivetCallbacks> callbacks_;
  // The Exposer holds these weakly.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::shared_ptr<ProcessCollector> process_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace ebb::metrics
