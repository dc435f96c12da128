#include "scalers/rabbitmq_scaler.h"

#include <cmath>

#include "controller/base/text.h"
#include "controller/net/curl_http_client.h"

namespace ebb::scalers {
namespace {

struct ModeName {
  const char* name;
  RabbitMQConfig::Mode mode;
};
constexpr ModeName kModes[] = {
    {"QueueLength", RabbitMQConfig::Mode::kQueueLength},
    {"Ready", RabbitMQConfig::Mode::kReady},
    {"Unacked", RabbitMQConfig::Mode::kUnacked},
    {"PublishRate", RabbitMQConfig::Mode::kPublishRate},
    {"DeliverRate", RabbitMQConfig::Mode::kDeliverRate},
};

const char* ModeText(RabbitMQConfig::Mode m) {
  for (const ModeName& n : kModes) {
    if (n.mode == m) return n.name;
  }
  return "?";
}

bool HasControlChars(std::string_view v) {
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// The management API's fields for each mode: a count at the queue's top level, or a rate under
// message_stats (absent until the queue has seen such traffic: then the rate is 0).
Result<double> ValueOf(const nlohmann::json& q, RabbitMQConfig::Mode mode,
                       const std::string& where) {
  const char* count = nullptr;
  const char* rate = nullptr;
  switch (mode) {
    case RabbitMQConfig::Mode::kQueueLength:
      count = "messages";
      break;
    case RabbitMQConfig::Mode::kReady:
      count = "messages_ready";
      break;
    case RabbitMQConfig::Mode::kUnacked:
      count = "messages_unacknowledged";
      break;
    case RabbitMQConfig::Mode::kPublishRate:
      rate = "publish_details";
      break;
    case RabbitMQConfig::Mode::kDeliverRate:
      rate = "deliver_get_details";
      break;
  }
  const nlohmann::json* v = nullptr;
  if (count != nullptr) {
    auto it = q.find(count);
    // A queue just declared has no figures until the next statistics round: not "empty".
    if (it == q.end()) {
      return MakeError(ErrorCode::kUnavailable,
                       where + ": no " + count + " figure yet (statistics not collected)");
    }
    v = &*it;
  } else {
    auto stats = q.find("message_stats");
    if (stats == q.end() || !stats->is_object()) return 0.0;
    auto details = stats->find(rate);
    if (details == stats->end() || !details->is_object()) return 0.0;
    auto r = details->find("rate");
    if (r == details->end()) return 0.0;
    v = &*r;
  }
  if (!v->is_number()) {
    return MakeError(ErrorCode::kParse, where + ": not a number: " + SafeText(v->dump()));
  }
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < 0) {
    return MakeError(ErrorCode::kInvalidValue, where + ": invalid value " + SafeText(v->dump()));
  }
  return d;
}

}  // namespace

Result<RabbitMQConfig> ParseRabbitMQConfig(const nlohmann::json& block, std::string_view path) {
  std::vector<std::string> problems;
  ConfigReader r(block, std::string(path), &problems);
  RabbitMQConfig cfg;
  r.RejectUnknown({"serverAddress", "vhost", "queues", "mode", "username", "usernameFromEnv",
                   "usernameFile", "usernameSecretKeyRef", "passwordFromEnv", "passwordFile",
                   "passwordSecretKeyRef", "authenticationRef", "tls", "timeout", "target",
                   "activationThreshold"});
  ReadAuthenticationRef(r, {"username", "password", "tls.ca", "tls.cert", "tls.key"});
  if (auto a = r.String("serverAddress", /*required=*/true)) {
    std::string addr = *a;
    while (!addr.empty() && addr.back() == '/') addr.pop_back();
    const auto sep = addr.find("://");
    const bool scheme = addr.rfind("http://", 0) == 0 || addr.rfind("https://", 0) == 0;
    const std::size_t host = sep == std::string::npos ? 0 : sep + 3;
    if (!scheme || addr.size() <= host) {
      r.Problem(
          "serverAddress",
          "must be the management API's http:// or https:// URL, e.g. https://rabbitmq:15671");
    } else if (addr.find_first_of("?#") != std::string::npos) {
      r.Problem("serverAddress", "must not contain a query string or fragment");
    } else if (addr.substr(host, addr.find('/', host) - host).find('@') != std::string::npos) {
      r.Problem("serverAddress", "must not contain credentials; use username and passwordFromEnv");
    } else if (HasControlChars(addr) || addr.find(' ') != std::string::npos) {
      r.Problem("serverAddress", "must not contain spaces or control characters");
    } else {
      cfg.server_address = addr;
    }
  }
  if (auto v = r.String("vhost")) {
    if (v->empty()) r.Problem("vhost", "must not be empty (the default vhost is \"/\")");
    cfg.vhost = *v;
  }
  if (auto q = r.StringList("queues", /*required=*/true)) {
    for (std::size_t i = 0; i < q->size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if ((*q)[i] == (*q)[j]) {
          r.Problem("queues[" + std::to_string(i) + "]",
                    "\"" + SafeText((*q)[i]) + "\" repeats queues[" + std::to_string(j) + "]");
          break;
        }
      }
    }
    cfg.queues = *q;
  }
  if (auto m = r.String("mode")) {
    bool found = false;
    for (const ModeName& n : kModes) {
      if (*m == n.name) {
        cfg.mode = n.mode;
        found = true;
      }
    }
    if (!found) {
      r.Problem("mode",
                "must be one of: QueueLength, Ready, Unacked, PublishRate, DeliverRate (got \"" +
                    SafeText(*m) + "\")");
    }
  }
  cfg.username = ReadUsername(r, /*basic_auth=*/true);
  cfg.password = ReadSecretRef(r, "password");
  if (!cfg.password.empty() && cfg.username.empty()) {
    r.Problem("username", "required with passwordFromEnv/passwordFile");
  }
  // A client certificate is for a management listener with `fail_if_no_peer_cert = true`.
  ParseHttpTlsBlock(r, cfg.server_address.empty() || cfg.server_address.rfind("https://", 0) == 0,
                    &cfg.tls);
  if (auto t = r.Timeout("timeout")) cfg.timeout = *t;
  if (!problems.empty()) return ConfigError(problems);
  return cfg;
}

Result<std::unique_ptr<Scaler>> MakeRabbitMQScaler(const RabbitMQConfig& config, ScalerDeps& deps) {
  if (deps.http == nullptr) return MakeError(ErrorCode::kInternal, "rabbitmq: no HTTP client");
  RabbitMQConfig c = config;
  c.secrets = deps.secrets;
  return std::unique_ptr<Scaler>(std::make_unique<RabbitMQScaler>(std::move(c), *deps.http));
}

RabbitMQScaler::RabbitMQScaler(RabbitMQConfig config, net::HttpClient& client)
    : HttpScaler(client), config_(std::move(config)) {}

std::string RabbitMQScaler::Describe() const {
  std::string queues;
  for (const auto& q : config_.queues) queues += (queues.empty() ? "" : ",") + q;
  return "rabbitmq " + net::RedactUrl(config_.server_address) +
         " vhost=" + SafeText(config_.vhost) + " queues=" + SafeText(queues) +
         " mode=" + ModeText(config_.mode);
}

Result<std::vector<net::HttpRequest>> RabbitMQScaler::Requests(const ReadContext& ctx) const {
  std::string user;
  std::string password;
  if (!config_.username.empty()) {
    auto u = ResolveBasicUser(config_.username, config_.secrets);
    if (!u) return MakeError(u.error().code, Describe() + ": " + u.error().message);
    user = std::move(u).value();
    auto p = ResolveSecret(config_.password, config_.secrets);
    if (!p) return MakeError(p.error().code, Describe() + ": " + p.error().message);
    password = std::move(p).value();
  }
  auto tls = ResolveHttpTls(config_.tls, config_.secrets);
  if (!tls) return MakeError(tls.error().code, Describe() + ": " + tls.error().message);
  std::vector<net::HttpRequest> out;
  for (const std::string& queue : config_.queues) {
    net::HttpRequest req;
    // Only the figures read: a queue object is otherwise a few KB of per-node detail.
    req.url = config_.server_address + "/api/queues/" + net::UrlEncode(config_.vhost) + "/" +
              net::UrlEncode(queue) +
              "?columns=name,messages,messages_ready,messages_unacknowledged,"
              "message_stats.publish_details.rate,message_stats.deliver_get_details.rate";
    req.headers.emplace_back("Accept", "application/json");
    req.basic_user = user;
    req.basic_password = password;
    req.tls = *tls;
    req.timeout = TimeBudget(ctx, config_.timeout);
    out.push_back(std::move(req));
  }
  return out;
}

Result<double> RabbitMQScaler::Interpret(
    std::span<const Result<net::HttpResponse>> responses) const {
  if (responses.size() != config_.queues.size()) {
    return MakeError(ErrorCode::kInternal, Describe() + ": response count mismatch");
  }
  double sum = 0;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    const std::string where = Describe() + ": queue \"" + SafeText(config_.queues[i]) + "\"";
    const Result<net::HttpResponse>& r = responses[i];
    if (!r) return MakeError(r.error().code, where + ": " + r.error().message);
    if (r->status == 404) {
      return MakeError(ErrorCode::kNotFound,
                       where + ": no such queue in vhost \"" + SafeText(config_.vhost) +
                           "\" (HTTP 404; a Celery queue exists once a worker or a task "
                           "declared it)");
    }
    if (r->status < 200 || r->status >= 300) {
      std::string msg = where + ": HTTP " + std::to_string(r->status);
      if (r->status == 401) {
        msg += " (wrong username or password, or the user lacks the `management` tag)";
      }
      return MakeError(net::CodeForHttpStatus(r->status), msg + ": " + SafeText(r->body));
    }
    const auto j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      return MakeError(ErrorCode::kParse,
                       where + ": response is not a JSON object: " + SafeText(r->body));
    }
    auto v = ValueOf(j, config_.mode, where);
    if (!v) return v.error();
    sum += *v;
  }
  return sum;
}

}  // namespace ebb::scalers
