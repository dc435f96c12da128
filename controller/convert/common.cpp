#include "controller/convert/common.h"

#include <cctype>
#include <charconv>

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

// KEDA trigger metadata is map[string]string; YAML sometimes gives numbers or booleans.
std::optional<std::string> Meta(const json& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return std::string(it->get<bool>() ? "true" : "false");
  return it->dump();
}

// The whole text as a non-negative int32 (std::stoi took "50%" as 50 and threw on 2^31).
std::optional<int32_t> WholeInt32(const std::string& s) {
  int32_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || v < 0) return std::nullopt;
  return v;
}

bool IsTrue(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1" || s == "yes";
}

// KEDA quantities are strings ("5", "0.5"); ebb's schema wants strings or integers.
ordered_json Quantity(const std::string& s) {
  return ordered_json(s);
}

ordered_json ToOrdered(const json& j) {
  return ordered_json(j);  // nlohmann converts between its JSON types directly
}

// A string member, or "" when absent or of another type (a hostile document may put anything).
std::string StringField(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string ObjectName(const json& doc) {
  const json md = doc.is_object() ? doc.value("metadata", json::object()) : json::object();
  std::string ns = StringField(md, "namespace");
  std::string name = StringField(md, "name");
  return (ns.empty() ? std::string() : ns + "/") + (name.empty() ? "?" : name);
}

ordered_json BaseDocument(const json& doc) {
  ordered_json out;
  out["apiVersion"] = "ebb.dev/v1alpha1";
  out["kind"] = "Autoscaler";
  ordered_json md = ordered_json::object();
  const json& in = doc.at("metadata");
  md["name"] = in.at("name");
  if (in.contains("namespace")) md["namespace"] = in["namespace"];
  if (in.contains("labels") && in["labels"].is_object() && !in["labels"].empty()) {
    md["labels"] = ToOrdered(in["labels"]);
  }
  out["metadata"] = md;
  return out;
}

ordered_json TargetRef(const json& ref, const char* default_kind) {
  ordered_json out;
  out["apiVersion"] = ref.value("apiVersion", std::string("apps/v1"));
  out["kind"] = ref.value("kind", std::string(default_kind));
  out["name"] = ref.at("name");
  return out;
}

}  // namespace ebb::convert
