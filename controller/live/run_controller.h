// `ebb run` without --once: flags and environment -> Kubernetes client, metrics endpoint,
// leader election and the controller; runs until SIGTERM/SIGINT, then shuts down gracefully
// (in-flight reconciles finish, the Lease is released).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ebb::live {

int RunController(const std::vector<std::string>& args, std::ostream& err);

}  // namespace ebb::live
