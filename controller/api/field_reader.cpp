#include "controller/api/field_reader.h"

#include <cmath>

#include "controller/base/quantity.h"
#include "controller/base/text.h"

namespace ebb::api {
namespace {

// [-+]?[0-9]+
bool IsIntegerText(const std::string& s) {
  const size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (start == s.size()) return false;
  for (size_t i = start; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

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
  return IntValue(*it, p, min, max);
}

std::optional<int64_t> FieldReader::IntValue(const json& value, const std::string& p, int64_t min,
                                             int64_t max) {
  const json* it = &value;
  auto out_of_range = [&](const std::string& shown) {
    Add(p, shown + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return std::nullopt;
  };
  int64_t v = 0;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return out_of_range(it->dump());
  }
  if (it->is_number_integer()) {
    v = it->get<int64_t>();
  } else if (it->is_number_float() && std::isfinite(it->get<double>()) &&
             std::trunc(it->get<double>()) == it->get<double>()) {
    // Whole floats (3.0, 1e3) are integers; beyond 2^53 a double is no exact count.
    if (std::fabs(it->get<double>()) >= 9e15) return out_of_range(it->dump());
    v = static_cast<int64_t>(it->get<double>());
  } else if (it->is_string() && IsIntegerText(it->get_ref<const std::string&>())) {
    // A plain scalar beyond int64 stays text (documents.cpp); a quoted number is still a string.
    const std::string& text = it->get_ref<const std::string&>();
    if (text.size() > 18) return out_of_range(SafeText(text, 40));
    Add(p, "must be an integer, not a string");
    return std::nullopt;
  } else {
    Add(p, "must be an integer");
    return std::nullopt;
  }
  if (v < min || v > max) return out_of_range(std::to_string(v));
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
  } else if (it->is_number_integer()) {
    text = it->dump();
  } else if (it->is_number_float()) {
    // The CRD types a quantity as int-or-string: the API server rejects a YAML float such as
    // 0.5 (a whole one, 5.0 or 1e3, is an integer to it). So does ebb, one rule for both.
    const double d = it->get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d) {
      Add(p, "must be an integer or a string: quote it (\"" + it->dump() + "\")");
      return std::nullopt;
    }
    text = it->dump();  // shortest round-trip form: 1000.0
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

Result<std::optional<int64_t>> ReadInt(const json& obj, const std::string& key,
                                       const std::string& path, int64_t min, int64_t max,
                                       bool required) {
  std::vector<Problem> problems;
  FieldReader r(problems);
  auto v = r.Int(obj, key, path, min, max, required);
  if (!problems.empty()) {
    return MakeError(ErrorCode::kInvalidConfig,
                     problems.front().path + ": " + problems.front().message);
  }
  return v;
}

Result<int64_t> ReadIntValue(const json& value, const std::string& path, int64_t min, int64_t max) {
  std::vector<Problem> problems;
  FieldReader r(problems);
  auto v = r.IntValue(value, path, min, max);
  if (!v) {
    return MakeError(ErrorCode::kInvalidConfig,
                     problems.front().path + ": " + problems.front().message);
  }
  return *v;
}

std::optional<int64_t> SecondsToMillis(const json& v) {
  if (!v.is_number()) return std::nullopt;
  const double s = v.get<double>();
  if (!std::isfinite(s) || s < static_cast<double>(kMinUnixSeconds) ||
      s > static_cast<double>(kMaxUnixSeconds)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(s * 1000.0));
}

void FieldReader::Known(const json& obj, const std::string& path,
                        std::initializer_list<const char*> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool found = false;
    for (const char* k : known) found = found || it.key() == k;
    if (!found) Add(Join(path, it.key()), "unknown field");
  }
}

void FieldReader::Known(const json& obj, const std::string& path,
                        const std::vector<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool found = false;
    for (const std::string& k : known) found = found || it.key() == k;
    if (!found) Add(Join(path, it.key()), "unknown field");
  }
}

}  // namespace ebb::api
