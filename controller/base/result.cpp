#include "controller/base/result.h"

namespace ebb {

const char* ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidConfig:
      return "InvalidConfig";
    case ErrorCode::kParse:
      return "Parse";
    case ErrorCode::kInvalidValue:
      return "InvalidValue";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kTimeout:
      return "Timeout";
    case ErrorCode::kPermissionDenied:
      return "PermissionDenied";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

}  // namespace ebb
