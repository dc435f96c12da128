// What ebb was built from, for ebb_build_info (set at configure time: metrics/CMakeLists.txt).
#pragma once

#include <string>

namespace ebb::metrics {

struct BuildInfo {
  std::string version;   // the project version, "0.1.0"
  std::string revision;  // the git commit, or EBB_REVISION when built outside a checkout
  std::string compiler;  // "GNU 12.2.0"
};

BuildInfo GetBuildInfo();

}  // namespace ebb::metrics
