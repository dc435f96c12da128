#include "controller/api/time_zones.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "controller/base/text.h"

namespace ebb::api {

Result<std::shared_ptr<const decision::TimeZone>> LoadTimeZone(const std::string& name) {
  if (name == "UTC" || name == "Etc/UTC") {
    static const auto kUtc = std::make_shared<const decision::TimeZone>();
    return kUtc;
  }
  bool plain = !name.empty() && name.size() <= 64 && name.front() != '/' &&
               name.find("..") == std::string::npos;
  for (char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '+' || c == '/');
  }
  if (!plain) {
    return MakeError(
        ErrorCode::kInvalidConfig,
        "\"" + SafeText(name, 64) + "\" is not an IANA time zone name (e.g. Europe/Berlin)");
  }
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const decision::TimeZone>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const char* dir = std::getenv("TZDIR");
  const std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "unknown time zone \"" + name + "\" (no " + path +
                         "; the controller needs the tzdata files, or TZDIR naming them)");
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto zone = decision::ParseTzif(bytes.str(), name);
  if (!zone) return zone.error();
  auto shared = std::make_shared<const decision::TimeZone>(std::move(*zone));
  cache.emplace(name, shared);
  return shared;
}

}  // namespace ebb::api
