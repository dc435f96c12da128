// Typed reads of JSON fields that accumulate every problem with its field path, so one bad
// document reports all of its mistakes at once.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/base/result.h"

namespace ebb::api {

class FieldReader {
 public:
  explicit FieldReader(std::vector<Problem>& problems) : problems_(problems) {}

  void Add(std::string path, std::string message) {
    problems_.push_back({std::move(path), std::move(message)});
  }
  bool ok() const { return problems_.empty(); }

  // Each returns nullopt when absent (or invalid, with a problem recorded).
  std::optional<std::string> String(const nlohmann::json& obj, const std::string& key,
                                    const std::string& path, bool required = false);
  std::optional<int64_t> Int(const nlohmann::json& obj, const std::string& key,
                             const std::string& path, int64_t min, int64_t max,
                             bool required = false);
  // The same for a value already found (a list item); `path` names it.
  std::optional<int64_t> IntValue(const nlohmann::json& value, const std::string& path, int64_t min,
                                  int64_t max);
  // A Kubernetes quantity (number or string) in milli-units.
  std::optional<int64_t> QuantityMilli(const nlohmann::json& obj, const std::string& key,
                                       const std::string& path, bool required = false);
  // Returns the object at key (nullptr when absent or not an object; the latter is a problem).
  const nlohmann::json* Object(const nlohmann::json& obj, const std::string& key,
                               const std::string& path, bool required = false);
  const nlohmann::json* Array(const nlohmann::json& obj, const std::string& key,
                              const std::string& path, bool required = false);
  // Records "unknown field" for keys outside `known` (typos like minReplica are common).
  void Known(const nlohmann::json& obj, const std::string& path,
             std::initializer_list<const char*> known);
  void Known(const nlohmann::json& obj, const std::string& path,
             const std::vector<std::string>& known);

 private:
  std::vector<Problem>& problems_;
};

// One integer field for readers that stop at the first problem: absent (and not required) is
// nullopt; a problem is an error "<path>.<key>: <message>" (kInvalidConfig).
Result<std::optional<int64_t>> ReadInt(const nlohmann::json& obj, const std::string& key,
                                       const std::string& path, int64_t min, int64_t max,
                                       bool required = false);

Result<int64_t> ReadIntValue(const nlohmann::json& value, const std::string& path, int64_t min,
                             int64_t max);

// Seconds (Unix time or an age) as milliseconds, refused outside years 1 to 9999 of Unix time
// (so no later arithmetic on them overflows). nullopt when `v` is not a finite number in range.
std::optional<int64_t> SecondsToMillis(const nlohmann::json& v);
inline constexpr int64_t kMinUnixSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

inline std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
inline std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

}  // namespace ebb::api
