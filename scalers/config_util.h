// Helpers shared by the scalers' config parsers: typed field access on a JSON object that records
// every problem as "<field path>: <message>" instead of stopping at the first one, and secret
// references (an environment variable or a file, never the secret itself in the spec).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"

namespace ebb::scalers {

struct AuthenticationRef;

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
  // A child reader over an empty object standing for the absent `key` (its fields may still come
  // from the block's authenticationRef).
  ConfigReader Absent(std::string_view key) const;
  // Records "unknown field" for every key not in `known`.
  void RejectUnknown(const std::vector<std::string_view>& known);

  // The block's authenticationRef (ReadAuthenticationRef), shared with child readers, and this
  // reader's path relative to the block ("" at the top, "auth", "sentinel").
  const std::shared_ptr<AuthenticationRef>& auth() const { return auth_; }
  void set_auth(std::shared_ptr<AuthenticationRef> a) { auth_ = std::move(a); }
  const std::string& relative_path() const { return relative_; }

 private:
  const nlohmann::json* Get(std::string_view key) const;
  const nlohmann::json* obj_;
  std::string path_;
  std::vector<std::string>* problems_;
  std::shared_ptr<AuthenticationRef> auth_;
  std::string relative_;
};

// kInvalidConfig error listing every problem, one per line.
Error ConfigError(const std::vector<std::string>& problems);

// Reads one key of a Kubernetes Secret (controller/kube/secret_cache.h on a cluster; a fake in
// tests). Errors name the Secret and the key and never hold a value.
class SecretReader {
 public:
  virtual ~SecretReader() = default;
  // kNotFound (no Secret, no key), kPermissionDenied (RBAC), kUnavailable (API server).
  virtual Result<std::string> Read(const std::string& ns, const std::string& name,
                                   const std::string& key) = 0;
};

// Where the Secrets an Autoscaler names are read: its own namespace, never another one. Set when
// the Autoscaler's scalers are bound; reader == nullptr when the run has no cluster.
struct SecretScope {
  SecretReader* reader = nullptr;
  std::string ns;
};

// Where a secret comes from. At most one source is set.
struct SecretRef {
  std::string from_env;     // environment variable name
  std::string from_file;    // path of a file holding the secret (trailing newline dropped)
  std::string secret_name;  // a Secret in the Autoscaler's namespace (`<field>SecretKeyRef`
  std::string secret_key;   // or `authenticationRef`): the Secret's name and the key in it
  std::string field;        // the field it was configured by, for messages ("passwordSecretKeyRef")
  // A value written in the spec itself: only for fields that are not secrets but may come from
  // one (a username), so one type carries both.
  std::string plain;
  bool empty() const {
    return from_env.empty() && from_file.empty() && secret_name.empty() && plain.empty();
  }
  bool from_secret() const { return !secret_name.empty(); }
  // "env FOO" / "file /path" / "secret redis-auth key password" -- safe to log (the reference,
  // not the secret).
  std::string Describe() const;
};

// The `authenticationRef: {name, keys: {<field>: <key in the Secret>}}` of a source block: one
// Secret of the Autoscaler's namespace giving several secret fields. Read with
// ReadAuthenticationRef at the block's top; ReadSecretRef then takes the fields it maps.
struct AuthenticationRef {
  std::string name;
  std::map<std::string, std::string> keys;  // field ("password", "auth.bearerToken") -> key
};

// Reads `authenticationRef` of the block reader `r` (absent: an empty ref). `fields` are the
// secret fields this block has, relative to the block ("password", "sentinel.password"); a key
// naming another is a problem. The result is kept by `r` and the child readers made after.
void ReadAuthenticationRef(ConfigReader& r, const std::vector<std::string_view>& fields);

// Reads `<prefix>FromEnv` / `<prefix>File` / `<prefix>SecretKeyRef: {name, key}` of `r` (and the
// authenticationRef entry for the field) into a SecretRef; more than one set is a problem.
SecretRef ReadSecretRef(ConfigReader& r, std::string_view prefix);

// A username: written as `username`, or from `usernameFromEnv` / `usernameFile` /
// `usernameSecretKeyRef` / the block's authenticationRef (`keys: {username: ...}`), one of them.
// An inline name must be non-empty and, when `basic_auth`, hold no ':'.
SecretRef ReadUsername(ConfigReader& r, bool basic_auth);
inline constexpr std::string_view kUsernameFields[] = {"username", "usernameFromEnv",
                                                       "usernameFile", "usernameSecretKeyRef"};

// Resolves a username for HTTP basic auth: a name from a Secret must be non-empty and hold no
// ':' or control character (the error names the field, never the value).
Result<std::string> ResolveBasicUser(const SecretRef& ref, const SecretScope& scope);

// Reads the `{name, key}` object `k` itself (a `...SecretKeyRef`) into a SecretRef.
SecretRef ReadSecretKeyRef(ConfigReader& k);

// Resolves a SecretRef now (empty ref -> ""). A Secret reference is read in `scope` (its
// namespace); without a reader it fails saying that Secret references need a cluster. Errors name
// the field, the Secret and the key, and never contain the secret.
Result<std::string> ResolveSecret(const SecretRef& ref, const SecretScope& scope = {});

}  // namespace ebb::scalers
