#include "scalers/prometheus_scaler.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "controller/base/text.h"
#include "controller/net/curl_http_client.h"

namespace ebb::scalers {
namespace {

bool ValidHeaderName(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool HasControlChars(std::string_view v) {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A body quoted in a message: a proxy's HTML error page may be cut inside a multibyte character
// or not be UTF-8 at all, and the message ends up in JSON (status, Events, `run --once` lines).
std::string Snippet(std::string_view body) {
  return SafeText(body);
}

// A string member of an answer, or `fallback` when absent or not a string (json::value throws
// on a type mismatch, and an answer is outside data).
std::string StringMember(const nlohmann::json& j, const char* key, const std::string& fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Prometheus sample values are strings: "1.5", "NaN", "+Inf", "-Inf".
Result<double> ParseSampleValue(const nlohmann::json& v, std::string_view where) {
  if (!v.is_array() || v.size() != 2 || !v[1].is_string()) {
    return MakeError(ErrorCode::kParse,
                     std::string(where) + ": malformed sample " + Snippet(v.dump()));
  }
  const std::string s = v[1].get<std::string>();
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return MakeError(ErrorCode::kParse,
                     std::string(where) + ": malformed sample value \"" + Snippet(s) + "\"");
  }
  if (std::isnan(d) || std::isinf(d)) {
    return MakeError(ErrorCode::kInvalidValue,
                     std::string(where) + ": invalid value " + Snippet(s) + " (NaN or infinite)");
  }
  if (d < 0) {
    return MakeError(ErrorCode::kInvalidValue,
                     std::string(where) + ": invalid value " + Snippet(s) + " (negative)");
  }
  return d;
}

std::string FormatUnixSeconds(Timestamp t) {
  const int64_t ms = ToUnixMillis(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace

Result<PrometheusConfig> ParsePrometheusConfig(const nlohmann::json& block, std::string_view path) {
  std::vector<std::string> problems;
  ConfigReader r(block, std::string(path), &problems);
  PrometheusConfig cfg;
  r.RejectUnknown({"serverAddress", "query", "method", "namespace", "customHeaders",
                   "customHeadersSecretKeyRef", "auth", "authenticationRef", "tls", "timeout",
                   "emptyAsZero", "evaluateAtNow", "target", "activationThreshold"});
  ReadAuthenticationRef(
      r, {"auth.bearerToken", "auth.username", "auth.password", "tls.ca", "tls.cert", "tls.key"});
  if (auto a = r.String("serverAddress", /*required=*/true)) {
    std::string addr = *a;
    while (!addr.empty() && addr.back() == '/') addr.pop_back();
    const bool scheme = addr.rfind("http://", 0) == 0 || addr.rfind("https://", 0) == 0;
    const auto host_start = addr.find("://") == std::string::npos ? 0 : addr.find("://") + 3;
    if (!scheme || addr.size() <= host_start) {
      r.Problem("serverAddress", "must be an http:// or https:// URL, e.g. http://prometheus:9090");
    } else if (addr.find_first_of("?#") != std::string::npos) {
      r.Problem("serverAddress", "must not contain a query string or fragment");
    } else if (addr.substr(host_start, addr.find('/', host_start) - host_start).find('@') !=
               std::string::npos) {
      r.Problem("serverAddress", "must not contain credentials; use auth.username/passwordFromEnv");
    } else if (HasControlChars(addr) || addr.find(' ') != std::string::npos) {
      r.Problem("serverAddress", "must not contain spaces or control characters");
    } else {
      cfg.server_address = addr;
    }
  }
  if (auto q = r.String("query", /*required=*/true)) cfg.query = *q;
  if (auto m = r.String("method")) {
    if (*m == "GET") {
      cfg.method = net::HttpMethod::kGet;
    } else if (*m == "POST") {
      cfg.method = net::HttpMethod::kPost;
    } else {
      r.Problem("method", "must be GET or POST");
    }
  }
  if (auto ns = r.String("namespace")) {
    if (HasControlChars(*ns)) r.Problem("namespace", "must not contain control characters");
    cfg.tenant = *ns;
  }
  if (auto h = r.StringMap("customHeaders")) {
    for (const auto& [name, value] : *h) {
      const std::string key = "customHeaders." + name;
      if (!ValidHeaderName(name)) {
        r.Problem(key, "not a valid header name");
      } else if (IEquals(name, "Authorization")) {
        r.Problem(key, "do not put credentials in the spec; use auth.bearerTokenFromEnv");
      } else if (HasControlChars(value)) {
        r.Problem(key, "must not contain control characters");
      }
    }
    cfg.custom_headers = *h;
  }
  if (auto h = r.Object("customHeadersSecretKeyRef")) {
    // Each entry is a `{name, key}`, read like any other secret field (never in the spec).
    for (const auto& [name, value] : block["customHeadersSecretKeyRef"].items()) {
      if (!ValidHeaderName(name)) {
        h->Problem(name, "not a valid header name");
      } else if (IEquals(name, "Authorization")) {
        h->Problem(name, "use auth.bearerTokenSecretKeyRef");
      } else if (cfg.custom_headers.count(name) != 0 ||
                 (IEquals(name, "X-Scope-OrgID") && r.Has("namespace"))) {
        h->Problem(name, "also set by customHeaders or namespace: set it in one place");
      } else if (auto entry = h->Object(name)) {
        cfg.secret_headers[name] = ReadSecretKeyRef(*entry);
      }
    }
  }
  std::optional<ConfigReader> auth = r.Object("auth");
  if (!auth && !r.Has("auth") && r.auth()) auth = r.Absent("auth");
  if (auth) {
    auth->RejectUnknown({"bearerTokenFromEnv", "bearerTokenFile", "bearerTokenSecretKeyRef",
                         "username", "usernameFromEnv", "usernameFile", "usernameSecretKeyRef",
                         "passwordFromEnv", "passwordFile", "passwordSecretKeyRef"});
    cfg.bearer_token = ReadSecretRef(*auth, "bearerToken");
    cfg.username = ReadUsername(*auth, /*basic_auth=*/true);
    cfg.password = ReadSecretRef(*auth, "password");
    if (!cfg.password.empty() && cfg.username.empty()) {
      auth->Problem("username", "required with passwordFromEnv/passwordFile");
    }
    if (!cfg.bearer_token.empty() && !cfg.username.empty()) {
      auth->Problem("bearerTokenFromEnv", "use either a bearer token or username/password");
    }
  }
  ParseHttpTlsBlock(r, cfg.server_address.empty() || cfg.server_address.rfind("https://", 0) == 0,
                    &cfg.tls);
  if (auto t = r.Timeout("timeout")) cfg.timeout = *t;
  if (auto e = r.Bool("emptyAsZero")) cfg.empty_as_zero = *e;
  if (auto e = r.Bool("evaluateAtNow")) cfg.evaluate_at_now = *e;
  if (!problems.empty()) return ConfigError(problems);
  return cfg;
}

Result<double> ParsePrometheusResponse(long status, std::string_view body,  // NOLINT
                                       const PrometheusConfig& config, std::string_view where_in) {
  const std::string where = std::string(where_in) + ": query \"" + config.query + "\"";
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const bool ok_status = status >= 200 && status < 300;
  if (j.is_discarded() || !j.is_object()) {
    if (!ok_status) {
      return MakeError(net::CodeForHttpStatus(status),
                       where + ": HTTP " + std::to_string(status) + ": " + Snippet(body));
    }
    return MakeError(ErrorCode::kParse, where + ": response is not JSON: " + Snippet(body));
  }
  const std::string st = StringMember(j, "status", "");
  if (st == "error" || !ok_status) {
    std::string msg = where + ": ";
    if (!ok_status) msg += "HTTP " + std::to_string(status) + ": ";
    msg += SafeText(StringMember(j, "errorType", "error"), 64) + ": " +
           SafeText(StringMember(j, "error", Snippet(body)));
    const ErrorCode code = ok_status ? ErrorCode::kInvalidValue : net::CodeForHttpStatus(status);
    return MakeError(code, msg);
  }
  if (st != "success" || !j.contains("data") || !j["data"].is_object()) {
    return MakeError(ErrorCode::kParse, where + ": unexpected response: " + Snippet(body));
  }
  const auto& data = j["data"];
  const std::string type = StringMember(data, "resultType", "");
  const auto result = data.find("result");
  if (result == data.end()) return MakeError(ErrorCode::kParse, where + ": no data.result");
  if (type == "scalar") return ParseSampleValue(*result, where);
  if (type != "vector") {
    return MakeError(ErrorCode::kInvalidValue,
                     where + ": result type " + type +
                         " is not supported; use an instant vector or scalar expression");
  }
  if (!result->is_array()) return MakeError(ErrorCode::kParse, where + ": malformed vector");
  if (result->empty()) {
    if (config.empty_as_zero) return 0.0;
    return MakeError(ErrorCode::kInvalidValue,
                     where +
                         ": returned no series (is the target or exporter gone?); refusing "
                         "to read it as 0 -- set emptyAsZero: true if empty means zero");
  }
  if (result->size() > 1) {
    std::string first =
        (*result)[0].contains("metric") ? SafeText((*result)[0]["metric"].dump()) : "";
    return MakeError(ErrorCode::kInvalidValue,
                     where + ": returned " + std::to_string(result->size()) + " series (first: " +
                         first + "); it must return one -- aggregate it, e.g. sum(...)");
  }
  const auto& sample = (*result)[0];
  if (!sample.is_object() || !sample.contains("value")) {
    return MakeError(ErrorCode::kParse, where + ": sample without value");
  }
  return ParseSampleValue(sample["value"], where);
}

PrometheusScaler::PrometheusScaler(PrometheusConfig config, net::HttpClient& client)
    : config_(std::move(config)), client_(&client) {}

std::string PrometheusScaler::Describe() const {
  return "prometheus " + net::RedactUrl(config_.server_address) + " query=" + config_.query;
}

Result<net::HttpRequest> PrometheusScaler::BuildRequest(const ReadContext& ctx) const {
  net::HttpRequest req;
  std::string params = "query=" + net::UrlEncode(config_.query);
  if (config_.evaluate_at_now) params += "&time=" + FormatUnixSeconds(ctx.now);
  const std::string endpoint = config_.server_address + "/api/v1/query";
  req.method = config_.method;
  if (config_.method == net::HttpMethod::kPost) {
    req.url = endpoint;
    req.body = params;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  } else {
    req.url = endpoint + "?" + params;
  }
  req.headers.emplace_back("Accept", "application/json");
  if (!config_.tenant.empty()) req.headers.emplace_back("X-Scope-OrgID", config_.tenant);
  for (const auto& [k, v] : config_.custom_headers) req.headers.emplace_back(k, v);
  for (const auto& [k, ref] : config_.secret_headers) {
    auto v = ResolveSecret(ref, config_.secrets);
    if (!v) return MakeError(v.error().code, Describe() + ": " + v.error().message);
    if (HasControlChars(*v)) {
      // The value is not quoted: the message names where it came from.
      return MakeError(
          ErrorCode::kInvalidConfig,
          Describe() + ": " + ref.field + ": the Secret's value holds control characters");
    }
    req.headers.emplace_back(k, std::move(v).value());
  }
  if (!config_.bearer_token.empty()) {
    auto token = ResolveSecret(config_.bearer_token, config_.secrets);
    if (!token) return MakeError(token.error().code, Describe() + ": " + token.error().message);
    req.headers.emplace_back("Authorization", "Bearer " + *token);
  }
  if (!config_.username.empty()) {
    auto user = ResolveBasicUser(config_.username, config_.secrets);
    if (!user) return MakeError(user.error().code, Describe() + ": " + user.error().message);
    auto password = ResolveSecret(config_.password, config_.secrets);
    if (!password) {
      return MakeError(password.error().code, Describe() + ": " + password.error().message);
    }
    req.basic_user = std::move(user).value();
    req.basic_password = *password;
  }
  auto tls = ResolveHttpTls(config_.tls, config_.secrets);
  if (!tls) return MakeError(tls.error().code, Describe() + ": " + tls.error().message);
  req.tls = std::move(tls).value();
  req.timeout = TimeBudget(ctx, config_.timeout);
  return req;
}

Result<double> PrometheusScaler::Interpret(const Result<net::HttpResponse>& response) const {
  if (!response) {
    return MakeError(response.error().code, Describe() + ": " + response.error().message);
  }
  return ParsePrometheusResponse(response->status, response->body, config_,
                                 "prometheus " + net::RedactUrl(config_.server_address));
}

Result<double> PrometheusScaler::Read(const ReadContext& ctx) {
  auto req = BuildRequest(ctx);
  if (!req) return req.error();
  return Interpret(client_->Send(*req));
}

}  // namespace ebb::scalers
