// Helpers shared by the scalers' config parsers: typed field access on a JSON object that records
// every problem as "<field path>: <message>" instead of stopping at the first one, and secret
// references (an environment variable or a file, never the secret itself in the spec).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"

namespace ebb::scalers {

class ConfigReader {
 public:
  // `obj` must outlive the reader. If it is not an object, one problem is recorded for `path`.
  ConfigReader(const nlohmann::json& obj, std::string path, std::vector<std::string>* problems);

  const std::string& path() const { return path_; }
  std::string FieldPath(std::string_view key) const { return path_ + "." + std::string(key); }
  bool Has(std::string_view key) const;
  void Problem(std::string_view key, std::string_view message);

  std::optional<std::string> String(std::string_view key, bool required = false);
  std::optional<bool> Bool(std::string_view key);
  std::optional<int64_t> Int(std::string_view key, int64_t min, int64_t max);
  // A Kubernetes quantity (number or string: "5", "500m", "1k") in milli-units.
  std::optional<int64_t> QuantityMilli(std::string_view key, bool required = false);
  // Seconds as a number (2.5) or a duration string ("500ms", "3s", "1m"); must be > 0.
  std::optional<Duration> Timeout(std::string_view key);
  std::optional<std::vector<std::string>> StringList(std::string_view key, bool required = false);
  // Entries that are not strings are recorded as problems and left out of the result.
  std::optional<std::map<std::string, std::string>> StringMap(std::string_view key);
  // Child object reader (nullopt if absent or not an object; the latter is recorded).
  std::optional<ConfigReader> Object(std::string_view key);
  // Records "unknown field" for every key not in `known`.
  void RejectUnknown(const std::vector<std::string_view>& known);

 private:
  const nlohmann::json* Get(std::string_view key) const;
  const nlohmann::json* obj_;
  std::string path_;
  std::vector<std::string>* problems_;
};

// kInvalidConfig error listing every problem, one per line.
Error ConfigError(const std::vector<std::string>& problems);

// Where a secret comes from. Exactly one of the two is set when a secret is configured.
struct SecretRef {
  std::string from_env;   // environment variable name
  std::string from_file;  // path of a file holding the secret (trailing newline dropped)
  bool empty() const { return from_env.empty() && from_file.empty(); }
  // "env FOO" / "file /path" -- safe to log (the reference, not the secret).
  std::string Describe() const;
};

// Reads `<prefix>FromEnv` / `<prefix>File` of `r` into a SecretRef; both set is a problem.
SecretRef ReadSecretRef(ConfigReader& r, std::string_view prefix);

// Resolves a SecretRef now (empty ref -> ""). Errors never contain the secret.
Result<std::string> ResolveSecret(const SecretRef& ref);

}  // namespace ebb::scalers
