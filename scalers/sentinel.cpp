#include "scalers/sentinel.h"

#include <algorithm>

#include "controller/base/text.h"
#include "scalers/redis_connection.h"

namespace ebb::scalers {
namespace {

std::string Join(const std::vector<HostPort>& v) {
  std::string out;
  for (const auto& hp : v) {
    if (!out.empty()) out += ",";
    out += hp.host + ":" + std::to_string(hp.port);
  }
  return out;
}

// The master's address from SENTINEL get-master-addr-by-name: [host, port] or nil.
Result<HostPort> MasterFromReply(const RedisReply& r, const std::string& where,
                                 const std::string& master) {
  if (r.is_error()) return RedisReplyError(r, where + ": SENTINEL get-master-addr-by-name");
  if (r.type == RedisReply::Type::kNil ||
      (r.type == RedisReply::Type::kArray && r.elements.empty())) {
    return MakeError(ErrorCode::kNotFound,
                     where + ": this sentinel knows no master named \"" + SafeText(master) + "\"");
  }
  if (r.type != RedisReply::Type::kArray || r.elements.size() != 2 ||
      r.elements[0].type != RedisReply::Type::kString ||
      r.elements[1].type != RedisReply::Type::kString) {
    return MakeError(ErrorCode::kParse, where + ": unexpected SENTINEL reply");
  }
  HostPort hp;
  hp.host = r.elements[0].str;
  try {
    hp.port = std::stoi(r.elements[1].str);
  } catch (...) {
    hp.port = 0;
  }
  if (hp.host.empty() || hp.port < 1 || hp.port > 65535) {
    return MakeError(ErrorCode::kParse, where + ": unusable master address \"" +
                                            SafeText(hp.host + ":" + r.elements[1].str) + "\"");
  }
  return hp;
}

}  // namespace

std::string SentinelConfig::Key() const {
  if (!enabled()) return "";
  return "sentinel(" + master_name + "@" + Join(sentinels) + ",user=" + username.Describe() +
         ",secret=" + password.Describe() + ")";  // the namespace is in RedisEndpoint::Key
}

std::optional<HostPort> ParseHostPort(std::string_view a) {
  const auto colon = a.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= a.size()) return std::nullopt;
  std::string_view host = a.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // a bare IPv6 address needs brackets
  }
  int port = 0;
  for (char c : a.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (host.empty() || port < 1 || port > 65535 ||
      host.find_first_of("/@?#[] ") != std::string_view::npos) {
    return std::nullopt;
  }
  return HostPort{std::string(host), port};
}

void ParseSentinelBlock(ConfigReader& r, SentinelConfig* out) {
  auto s = r.Object("sentinel");
  if (!s) return;
  s->RejectUnknown(
      std::vector<std::string_view>(std::begin(kSentinelFields), std::end(kSentinelFields)));
  if (auto name = s->String("masterName", /*required=*/true)) out->master_name = *name;
  if (auto addresses = s->StringList("addresses", /*required=*/true)) {
    for (std::size_t i = 0; i < addresses->size(); ++i) {
      auto hp = ParseHostPort((*addresses)[i]);
      if (!hp) {
        s->Problem("addresses[" + std::to_string(i) + "]",
                   "must be \"host:port\" of a sentinel (e.g. \"redis-sentinel:26379\")");
      } else {
        out->sentinels.push_back(*hp);
      }
    }
  }
  out->username = ReadUsername(*s, /*basic_auth=*/false);
  out->password = ReadSecretRef(*s, "password");
  // Problems above leave the block unusable; the caller reports them all.
  if (out->sentinels.empty()) out->master_name.clear();
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::ConnectViaSentinel(
    const RedisEndpoint& endpoint, SteadyTime deadline) {
  const SentinelConfig& sc = *endpoint.sentinel;
  const std::string where = endpoint.Describe();
  std::string failures;
  Error last = MakeError(ErrorCode::kUnavailable, where + ": no sentinel answered");
  for (std::size_t i = 0; i < sc.sentinels.size(); ++i) {
    // A sentinel that hangs must not eat the whole read: each gets a fair share of what is left,
    // and the master the rest.
    const auto now = std::chrono::steady_clock::now();
    const auto left = deadline - now;
    const SteadyTime until =
        left <= std::chrono::steady_clock::duration::zero()
            ? deadline
            : now + left / static_cast<long>(sc.sentinels.size() - i + 1);  // NOLINT
    RedisEndpoint sentinel;
    sentinel.host = sc.sentinels[i].host;
    sentinel.port = sc.sentinels[i].port;
    sentinel.username = sc.username;
    sentinel.password = sc.password;
    sentinel.secrets = endpoint.secrets;
    sentinel.tls = endpoint.tls;
    auto conn = Connect(sentinel, until);
    Result<HostPort> master = MakeError(ErrorCode::kInternal, "unset");
    if (!conn) {
      master = conn.error();
    } else {
      const RedisCommand ask{"SENTINEL", "get-master-addr-by-name", sc.master_name};
      auto replies = (*conn)->Pipeline({&ask, 1}, until, "SENTINEL get-master-addr-by-name");
      master = replies ? MasterFromReply(replies->front(), sentinel.Describe(), sc.master_name)
                       : Result<HostPort>(replies.error());
    }
    if (!master) {
      last = master.error();
      failures += (failures.empty() ? "" : "; ") + master.error().message;
      continue;
    }
    RedisEndpoint target = endpoint;
    target.sentinel = SentinelConfig{};
    target.host = master->host;
    target.port = master->port;
    auto m = Connect(target, deadline);
    if (!m) {
      return MakeError(m.error().code, where + ": master \"" + SafeText(sc.master_name) +
                                           "\": " + m.error().message);
    }
    // The sentinels' view may lag a failover: only a server that says it is the master is used.
    const RedisCommand role{"ROLE"};
    auto r = (*m)->Pipeline({&role, 1}, deadline, "ROLE");
    if (!r) return r.error();
    const RedisReply& rr = r->front();
    const bool is_master = rr.type == RedisReply::Type::kArray && !rr.elements.empty() &&
                           rr.elements[0].str == "master";
    if (!is_master) {
      return MakeError(ErrorCode::kUnavailable,
                       where + ": " + target.Describe() +
                           " was named master by the sentinels but is not (a failover is in "
                           "progress); retried on the next poll");
    }
    return m;
  }
  return MakeError(last.code, where + ": no sentinel could name master \"" +
                                  SafeText(sc.master_name) + "\": " + failures);
}

Result<SentinelBrokerBlock> SentinelBrokerUrlToRedis(std::string_view url,
                                                     std::string_view master_name,
                                                     std::string_view password_env) {
  if (master_name.empty()) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "a sentinel:// broker needs broker_transport_options' master_name");
  }
  SentinelBrokerBlock out;
  nlohmann::json addresses = nlohmann::json::array();
  std::optional<int> db;
  std::string username;
  std::size_t start = 0;
  while (start <= url.size()) {
    auto end = url.find(';', start);
    if (end == std::string_view::npos) end = url.size();
    std::string_view part = url.substr(start, end - start);
    start = end + 1;
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.empty()) continue;
    constexpr std::string_view kScheme = "sentinel://";
    if (part.substr(0, kScheme.size()) != kScheme) {
      return MakeError(ErrorCode::kInvalidConfig,
                       "broker URL part \"" + SafeText(part) + "\" is not sentinel://");
    }
    part.remove_prefix(kScheme.size());
    if (auto q = part.find_first_of("?#"); q != std::string_view::npos) part = part.substr(0, q);
    std::string_view path;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      path = part.substr(slash + 1);
      part = part.substr(0, slash);
    }
    if (auto at = part.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = part.substr(0, at);
      part.remove_prefix(at + 1);
      const auto colon = userinfo.find(':');
      const std::string_view user = userinfo.substr(0, colon);
      if (!user.empty()) username = std::string(user);
      if (colon != std::string_view::npos && colon + 1 < userinfo.size()) {
        out.password_in_url = true;
      }
    }
    std::string hostport(part);
    // kombu's default port when none is given ("host", "[v6]").
    if (hostport.find(':') == std::string::npos || hostport.back() == ']') hostport += ":26379";
    auto hp = ParseHostPort(hostport);
    if (!hp) {
      return MakeError(ErrorCode::kInvalidConfig,
                       "broker URL: \"" + SafeText(part) + "\" is not host:port");
    }
    if (!path.empty()) {
      int n = 0;
      bool ok = path.size() <= 7;
      for (char c : path) ok = ok && c >= '0' && c <= '9' && (n = n * 10 + (c - '0'), true);
      if (!ok) {
        return MakeError(ErrorCode::kInvalidConfig,
                         "broker URL: \"/" + SafeText(path) + "\" is not a db number");
      }
      if (db && *db != n) {
        return MakeError(ErrorCode::kInvalidConfig,
                         "broker URL: the sentinel:// parts name different dbs");
      }
      db = n;
    }
    addresses.push_back(hp->host.find(':') != std::string::npos
                            ? "[" + hp->host + "]:" + std::to_string(hp->port)
                            : hp->host + ":" + std::to_string(hp->port));
  }
  if (addresses.empty()) {
    return MakeError(ErrorCode::kInvalidConfig, "broker URL names no sentinel");
  }
  out.redis["sentinel"] = {{"masterName", std::string(master_name)}, {"addresses", addresses}};
  if (db && *db != 0) out.redis["db"] = *db;
  if (!username.empty()) out.redis["username"] = username;
  if (out.password_in_url) out.redis["passwordFromEnv"] = std::string(password_env);
  return out;
}

}  // namespace ebb::scalers
