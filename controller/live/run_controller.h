// `ebb run` without --once: flags and environment -> Kubernetes client, metrics endpoint,
// leader election and the controller; runs until SIGTERM/SIGINT, then shuts down gracefully
// (in-flight reconciles finish, the Lease is released).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "controller/decision/types.h"

namespace ebb::live {

// What the command line (controller/cli/run_command.cpp, the one argument parser) resolved from
// flags and environment; the defaults are the documented ones.
struct ControllerFlags {
  std::string kubeconfig, context, bind = "0.0.0.0:8080", lease_ns, lease_name = "ebb-controller";
  std::string identity;               // empty: hostname_pid_random, as client-go
  std::string log_level, log_format;  // validated by metrics::ParseLogOptions
  std::vector<std::string> namespaces;
  int64_t concurrency = 8, default_interval = 15, metrics_timeout = 5;
  int64_t lease_duration = 15, renew_deadline = 10, retry_period = 2;
  bool dry_run = false, leader_elect = true;
  // > 0: split the Autoscalers over this many shard Leases among the replicas (docs/sharding.md)
  // instead of electing one leader.
  int64_t shards = 0;
  // Client-side rate limit of every API request (kube-controller-manager's flags and defaults).
  int64_t kube_api_qps = 20, kube_api_burst = 30;
  bool watch_cache = true;  // targets and pods from watch caches (docs/reference.md)
  decision::Settings settings;
};

int RunController(const ControllerFlags& flags, std::ostream& err);

}  // namespace ebb::live
