#include "metrics/build_info.h"

namespace ebb::metrics {

BuildInfo GetBuildInfo() {
  return {EBB_BUILD_VERSION, EBB_BUILD_REVISION, EBB_BUILD_COMPILER};
}

}  // namespace ebb::metrics
