#include "scalers/config_util.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "controller/base/quantity.h"

namespace ebb::scalers {

ConfigReader::ConfigReader(const nlohmann::json& obj, std::string path,
                           std::vector<std::string>* problems)
    : obj_(&obj), path_(std::move(path)), problems_(problems) {
  if (!obj.is_object()) problems_->push_back(path_ + ": must be an object");
}

const nlohmann::json* ConfigReader::Get(std::string_view key) const {
  if (!obj_->is_object()) return nullptr;
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) return nullptr;
  return &*it;
}

bool ConfigReader::Has(std::string_view key) const {
  return Get(key) != nullptr;
}

void ConfigReader::Problem(std::string_view key, std::string_view message) {
  problems_->push_back(FieldPath(key) + ": " + std::string(message));
}

std::optional<std::string> ConfigReader::String(std::string_view key, bool required) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) {
    if (required) Problem(key, "required");
    return std::nullopt;
  }
  if (!v->is_string()) {
    Problem(key, "must be a string");
    return std::nullopt;
  }
  auto s = v->get<std::string>();
  if (required && s.empty()) {
    Problem(key, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> ConfigReader::Bool(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    Problem(key, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<int64_t> ConfigReader::Int(std::string_view key, int64_t min, int64_t max) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    Problem(key, "must be an integer");
    return std::nullopt;
  }
  const auto n = v->get<int64_t>();
  if (n < min || n > max) {
    Problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<int64_t> ConfigReader::QuantityMilli(std::string_view key, bool required) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) {
    if (required) Problem(key, "required");
    return std::nullopt;
  }
  std::string text;
  if (v->is_string()) {
    text = v->get<std::string>();
  } else if (v->is_number()) {
    text = v->dump();  // shortest round-trip form: 0.1 stays "0.1"
  } else {
    Problem(key, "must be a quantity such as \"5\", \"500m\" or \"1Gi\"");
    return std::nullopt;
  }
  auto q = ParseQuantityMilli(text);
  if (!q) {
    Problem(key, q.error().message);
    return std::nullopt;
  }
  return *q;
}

std::optional<Duration> ConfigReader::Timeout(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  double seconds = 0;
  bool ok = false;
  if (v->is_number()) {
    seconds = v->get<double>();
    ok = true;
  } else if (v->is_string()) {
    const auto s = v->get<std::string>();
    std::size_t used = 0;
    double n = 0;
    try {
      n = std::stod(s, &used);
    } catch (...) {
      used = 0;
    }
    const std::string unit = used > 0 ? s.substr(used) : "";
    if (used > 0) {
      ok = true;
      if (unit == "ms") {
        seconds = n / 1000;
      } else if (unit == "s" || unit.empty()) {
        seconds = n;
      } else if (unit == "m") {
        seconds = n * 60;
      } else {
        ok = false;
      }
    }
  }
  if (!ok) {
    Problem(key, "must be a number of seconds or a duration like \"500ms\", \"3s\"");
    return std::nullopt;
  }
  if (!std::isfinite(seconds) || seconds <= 0 || seconds > 600) {
    Problem(key, "must be more than 0 and at most 600 seconds");
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(std::ceil(seconds * 1000)));
}

std::optional<std::vector<std::string>> ConfigReader::StringList(std::string_view key,
                                                                 bool required) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) {
    if (required) Problem(key, "required");
    return std::nullopt;
  }
  if (!v->is_array()) {
    Problem(key, "must be a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
    if (!e.is_string()) {
      Problem(at, "must be a string");
      good = false;
    } else if (e.get<std::string>().empty()) {
      Problem(at, "must not be empty");
      good = false;
    } else {
      out.push_back(e.get<std::string>());
    }
  }
  if (v->empty()) {
    Problem(key, "must not be empty");
    good = false;
  }
  if (!good) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> ConfigReader::StringMap(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    Problem(key, "must be a map of strings");
    return std::nullopt;
  }
  // Bad entries are reported and left out, so the caller still checks the good ones.
  std::map<std::string, std::string> out;
  for (const auto& [k, val] : v->items()) {
    if (!val.is_string()) {
      Problem(std::string(key) + "." + k, "must be a string");
    } else {
      out[k] = val.get<std::string>();
    }
  }
  return out;
}

std::optional<ConfigReader> ConfigReader::Object(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    Problem(key, "must be an object");
    return std::nullopt;
  }
  return ConfigReader(*v, FieldPath(key), problems_);
}

void ConfigReader::RejectUnknown(const std::vector<std::string_view>& known) {
  if (!obj_->is_object()) return;
  for (const auto& [k, v] : obj_->items()) {
    bool found = false;
    for (std::string_view n : known) found = found || n == k;
    if (!found) Problem(k, "unknown field");
  }
}

Error ConfigError(const std::vector<std::string>& problems) {
  std::string msg;
  for (const auto& p : problems) {
    if (!msg.empty()) msg += "\n";
    msg += p;
  }
  return MakeError(ErrorCode::kInvalidConfig, msg);
}

std::string SecretRef::Describe() const {
  if (!from_env.empty()) return "env " + from_env;
  if (!from_file.empty()) return "file " + from_file;
  return "none";
}

SecretRef ReadSecretRef(ConfigReader& r, std::string_view prefix) {
  SecretRef ref;
  const std::string env_key = std::string(prefix) + "FromEnv";
  const std::string file_key = std::string(prefix) + "File";
  if (auto v = r.String(env_key)) {
    if (v->empty()) r.Problem(env_key, "must not be empty");
    ref.from_env = *v;
  }
  if (auto v = r.String(file_key)) {
    if (v->empty()) r.Problem(file_key, "must not be empty");
    ref.from_file = *v;
  }
  if (!ref.from_env.empty() && !ref.from_file.empty()) {
    r.Problem(env_key, "set only one of " + env_key + " and " + file_key);
  }
  return ref;
}

Result<std::string> ResolveSecret(const SecretRef& ref) {
  if (!ref.from_env.empty()) {
    const char* v = std::getenv(ref.from_env.c_str());
    if (v == nullptr) {
      return MakeError(ErrorCode::kInvalidConfig,
                       "secret environment variable " + ref.from_env + " is not set");
    }
    return std::string(v);
  }
  if (!ref.from_file.empty()) {
    std::ifstream in(ref.from_file, std::ios::binary);
    if (!in) {
      return MakeError(ErrorCode::kInvalidConfig, "cannot read secret file " + ref.from_file);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  return std::string();
}

}  // namespace ebb::scalers
