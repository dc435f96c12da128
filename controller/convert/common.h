// What the HPA and KEDA converters share: the warning list, tolerant field access (a hostile
// document may put anything anywhere) and the Autoscaler's metadata and scaleTargetRef.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ebb::convert {

// One conversion's warnings; `who` prefixes every warning ("ScaledObject jobs/worker").
class Converter {
 public:
  explicit Converter(std::string who) : who_(std::move(who)) {}

  void Warn(const std::string& what) { warnings_.push_back(who_ + ": " + what); }
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }
  const std::string& who() const { return who_; }

 private:
  std::string who_;
  std::vector<std::string> warnings_;
};

// KEDA trigger metadata is map[string]string; YAML sometimes gives numbers or booleans.
std::optional<std::string> Meta(const nlohmann::json& metadata, const std::string& key);

// The whole text as a non-negative int32 (std::stoi took "50%" as 50 and threw on 2^31).
std::optional<int32_t> WholeInt32(const std::string& s);

// "true", "1", "yes" in any case.
bool IsTrue(const std::optional<std::string>& v);

// KEDA quantities are strings ("5", "0.5"); ebb's schema wants strings or integers.
nlohmann::ordered_json Quantity(const std::string& s);

nlohmann::ordered_json ToOrdered(const nlohmann::json& j);

// A string member, or "" when absent or of another type.
std::string StringField(const nlohmann::json& obj, const char* key);

// "namespace/name", or "name", or "?".
std::string ObjectName(const nlohmann::json& doc);

// apiVersion, kind, metadata (name, namespace, labels) of the Autoscaler replacing `doc`.
nlohmann::ordered_json BaseDocument(const nlohmann::json& doc);

nlohmann::ordered_json TargetRef(const nlohmann::json& ref, const char* default_kind);

}  // namespace ebb::convert
