#include "scalers/config_util.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
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
  ConfigReader child(*v, FieldPath(key), problems_);
  child.auth_ = auth_;
  child.relative_ = relative_.empty() ? std::string(key) : relative_ + "." + std::string(key);
  return child;
}

ConfigReader ConfigReader::Absent(std::string_view key) const {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  ConfigReader child(kEmpty, FieldPath(key), problems_);
  child.auth_ = auth_;
  child.relative_ = relative_.empty() ? std::string(key) : relative_ + "." + std::string(key);
  return child;
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
  if (!secret_name.empty()) return "secret " + secret_name + " key " + secret_key;
  if (!plain.empty()) return "value " + plain;
  return "none";
}

namespace {

// A Secret's name is a DNS subdomain; a key is [-._a-zA-Z0-9]+ (what the API server accepts).
bool ValidSecretName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return s.front() != '-' && s.front() != '.' && s.back() != '-' && s.back() != '.';
}

bool ValidSecretKey(const std::string& s) {
  if (s.empty() || s.size() > 253 || s == "." || s == "..") return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_')) {
      return false;
    }
  }
  return true;
}

constexpr std::string_view kNameRule =
    "must be a Secret's name (lower-case letters, digits, '-' and '.')";
constexpr std::string_view kKeyRule =
    "must be a key of a Secret (letters, digits, '-', '_' and '.')";

}  // namespace

void ReadAuthenticationRef(ConfigReader& r, const std::vector<std::string_view>& fields) {
  auto a = r.Object("authenticationRef");
  if (!a) return;
  a->RejectUnknown({"name", "keys"});
  auto ref = std::make_shared<AuthenticationRef>();
  if (auto n = a->String("name", true)) {
    if (!ValidSecretName(*n)) a->Problem("name", kNameRule);
    ref->name = *n;
  }
  if (auto keys = a->StringMap("keys")) {
    if (keys->empty()) a->Problem("keys", "must name at least one field");
    for (const auto& [field, key] : *keys) {
      bool known = false;
      for (std::string_view f : fields) known = known || f == field;
      if (!known) {
        std::string list;
        for (std::string_view f : fields) list += (list.empty() ? "" : ", ") + std::string(f);
        a->Problem("keys." + field, "not a secret field of this block (one of: " + list + ")");
      } else if (!ValidSecretKey(key)) {
        a->Problem("keys." + field, kKeyRule);
      }
    }
    ref->keys = std::move(*keys);
  } else if (!a->Has("keys")) {
    a->Problem("keys",
               "required: the fields taken from the Secret, e.g. {password: redis-password}");
  }
  r.set_auth(std::move(ref));
}

SecretRef ReadSecretKeyRef(ConfigReader& k) {
  SecretRef ref;
  k.RejectUnknown({"name", "key"});
  auto name = k.String("name", true);
  auto key = k.String("key", true);
  if (name && !ValidSecretName(*name)) k.Problem("name", kNameRule);
  if (key && !ValidSecretKey(*key)) k.Problem("key", kKeyRule);
  ref.secret_name = name.value_or("");
  ref.secret_key = key.value_or("");
  ref.field = k.path();
  return ref;
}

SecretRef ReadSecretRef(ConfigReader& r, std::string_view prefix) {
  SecretRef ref;
  const std::string env_key = std::string(prefix) + "FromEnv";
  const std::string file_key = std::string(prefix) + "File";
  const std::string kube_key = std::string(prefix) + "SecretKeyRef";
  int sources = 0;
  if (auto v = r.String(env_key)) {
    if (v->empty()) r.Problem(env_key, "must not be empty");
    ref.from_env = *v;
    ref.field = env_key;
    ++sources;
  }
  if (auto v = r.String(file_key)) {
    if (v->empty()) r.Problem(file_key, "must not be empty");
    ref.from_file = *v;
    ref.field = file_key;
    ++sources;
  }
  if (auto k = r.Object(kube_key)) {
    ref = ReadSecretKeyRef(*k);
    ++sources;
  }
  const std::string rel = r.relative_path().empty() ? std::string(prefix)
                                                    : r.relative_path() + "." + std::string(prefix);
  if (r.auth()) {
    if (auto it = r.auth()->keys.find(rel); it != r.auth()->keys.end()) {
      if (sources > 0) {
        r.Problem(ref.field.empty() ? env_key : ref.field.substr(ref.field.rfind('.') + 1),
                  "also given by authenticationRef.keys." + rel + ": set it in one place");
      }
      ref = SecretRef{};
      ref.secret_name = r.auth()->name;
      ref.secret_key = it->second;
      std::string root = r.path();
      if (!r.relative_path().empty()) {
        root.resize(root.size() - r.relative_path().size() - 1);
      }
      ref.field = root + ".authenticationRef.keys." + rel;
      return ref;
    }
  }
  if (sources > 1) {
    r.Problem(env_key, "set only one of " + env_key + ", " + file_key + " and " + kube_key);
  }
  if (!ref.field.empty() && ref.from_secret()) return ref;
  if (!ref.field.empty()) ref.field = r.FieldPath(ref.field);
  return ref;
}

SecretRef ReadUsername(ConfigReader& r, bool basic_auth) {
  std::optional<std::string> inline_name = r.String("username");
  SecretRef ref = ReadSecretRef(r, "username");
  if (!inline_name) return ref;
  if (!ref.empty()) {
    r.Problem("username",
              "set only one of username, usernameFromEnv, usernameFile, usernameSecretKeyRef "
              "and authenticationRef.keys.username");
  }
  if (inline_name->empty() || (basic_auth && inline_name->find(':') != std::string::npos)) {
    r.Problem("username",
              basic_auth ? "must be non-empty and contain no ':'" : "must not be empty");
  }
  SecretRef plain;
  plain.plain = *inline_name;
  plain.field = r.FieldPath("username");
  return plain;
}

Result<std::string> ResolveBasicUser(const SecretRef& ref, const SecretScope& scope) {
  auto user = ResolveSecret(ref, scope);
  if (!user) return user;
  bool bad = user->empty();
  for (char c : *user) bad = bad || c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  if (bad) {
    return MakeError(ErrorCode::kInvalidConfig,
                     ref.field + " (" + ref.Describe() +
                         "): a username must be non-empty and hold no ':' or control characters");
  }
  return user;
}

Result<std::string> ResolveSecret(const SecretRef& ref, const SecretScope& scope) {
  if (!ref.plain.empty()) return ref.plain;
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
  if (!ref.secret_name.empty()) {
    const std::string what = ref.field + ": Secret " + (scope.ns.empty() ? "" : scope.ns + "/") +
                             ref.secret_name + " key " + ref.secret_key;
    if (scope.reader == nullptr) {
      return MakeError(ErrorCode::kInvalidConfig,
                       what +
                           ": Secret references need a cluster, and this run reads none (ebb "
                           "run --once --replicas N); run it with a kubeconfig, or give the "
                           "secret by a ...FromEnv or ...File field");
    }
    auto v = scope.reader->Read(scope.ns, ref.secret_name, ref.secret_key);
    if (!v) return MakeError(v.error().code, what + ": " + v.error().message);
    return v;
  }
  return std::string();
}

}  // namespace ebb::scalers
