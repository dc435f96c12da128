// Typed reads of JSON fields that accumulate every problem with its field path, so one bad
// document reports all of its mistakes at once.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/spec/autoscaler.h"

namespace ebb::spec {

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

 private:
  std::vector<Problem>& problems_;
};

inline std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
inline std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

}  // namespace ebb::spec
