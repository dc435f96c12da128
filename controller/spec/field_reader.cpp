#include "controller/spec/field_reader.h"

#include <cmath>

#include "controller/base/quantity.h"

namespace ebb::spec {

using nlohmann::json;

std::optional<std::string> FieldReader::String(const json& obj, const std::string& key,
                                               const std::string& path, bool required) {
  const std::string p = Join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Add(p, "required");
    return std::nullopt;
  }
  if (!it->is_string()) {
    Add(p, "must be a string");
    return std::nullopt;
  }
  if (required && it->get_ref<const std::string&>().empty()) {
    Add(p, "must not be empty");
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<int64_t> FieldReader::Int(const json& obj, const std::string& key,
                                        const std::string& path, int64_t min, int64_t max,
                                        bool required) {
  const std::string p = Join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Add(p, "required");
    return std::nullopt;
  }
  int64_t v = 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Add(p, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    v = it->get<int64_t>();
  } else if (it->is_number_float() && std::trunc(it->get<double>()) == it->get<double>() &&
             std::fabs(it->get<double>()) < 9e15) {
    v = static_cast<int64_t>(it->get<double>());
  } else {
    Add(p, "must be an integer");
    return std::nullopt;
  }
  if (v < min || v > max) {
    Add(p, max == INT32_MAX
               ? "must be at least " + std::to_string(min)
               : "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> FieldReader::QuantityMilli(const json& obj, const std::string& key,
                                                  const std::string& path, bool required) {
  const std::string p = Join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Add(p, "required");
    return std::nullopt;
  }
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_number()) {
    text = it->dump();  // shortest round-trip form: 0.1 stays "0.1"
  } else {
    Add(p, "must be a quantity such as \"5\", \"500m\" or \"1Gi\"");
    return std::nullopt;
  }
  auto q = ParseQuantityMilli(text);
  if (!q) {
    Add(p, q.error().message);
    return std::nullopt;
  }
  return *q;
}

const json* FieldReader::Object(const json& obj, const std::string& key, const std::string& path,
                                bool required) {
  const std::string p = Join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Add(p, "required");
    return nullptr;
  }
  if (!it->is_object()) {
    Add(p, "must be an object");
    return nullptr;
  }
  return &*it;
}

const json* FieldReader::Array(const json& obj, const std::string& key, const std::string& path,
                               bool required) {
  const std::string p = Join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Add(p, "required");
    return nullptr;
  }
  if (!it->is_array()) {
    Add(p, "must be a list");
    return nullptr;
  }
  return &*it;
}

void FieldReader::Known(const json& obj, const std::string& path,
                        std::initializer_list<const char*> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool found = false;
    for (const char* k : known) found = found || it.key() == k;
    if (!found) Add(Join(path, it.key()), "unknown field");
  }
}

}  // namespace ebb::spec
