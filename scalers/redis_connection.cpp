#include "scalers/redis_connection.h"

#include <hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "controller/base/text.h"

namespace ebb::scalers {
namespace {

timeval ToTimeval(Duration d) {
  const int64_t ms = std::max<int64_t>(1, d.count());
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

RedisReply Copy(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  out.integer = r.integer;
  if (r.str != nullptr) out.str.assign(r.str, r.len);
  if (r.type == REDIS_REPLY_ARRAY && r.element != nullptr) {
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(Copy(*r.element[i]));
  }
  return out;
}

struct ReplyDeleter {
  void operator()(void* r) const { freeReplyObject(r); }
};

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

}  // namespace

std::string RedisEndpoint::Key() const {
  return host + ":" + std::to_string(port) + "/" + std::to_string(db) + "?user=" + username +
         "&secret=" + password.Describe();
}

std::string RedisEndpoint::Describe() const {
  std::string s = "redis://";
  if (!username.empty()) s += username + "@";
  return s + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

void ParseRedisConnection(ConfigReader& r, RedisEndpoint* endpoint, Duration* timeout) {
  if (auto address = r.String("address", /*required=*/true)) {
    std::string_view a = *address;
    const auto colon = a.rfind(':');
    std::string_view host = colon == std::string_view::npos ? a : a.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    int port = 0;
    bool port_ok = colon != std::string_view::npos && colon + 1 < a.size();
    if (port_ok) {
      for (char c : a.substr(colon + 1)) {
        port_ok = port_ok && c >= '0' && c <= '9' && port <= 65535;
        if (port_ok) port = port * 10 + (c - '0');
      }
    }
    if (host.empty() || !port_ok || port < 1 || port > 65535 ||
        a.find("://") != std::string_view::npos) {
      r.Problem("address", "must be \"host:port\" (e.g. \"redis:6379\")");
    } else {
      endpoint->host = std::string(host);
      endpoint->port = port;
    }
  }
  if (auto db = r.Int("db", 0, 1 << 20)) endpoint->db = static_cast<int>(*db);
  if (auto user = r.String("username")) endpoint->username = *user;
  endpoint->password = ReadSecretRef(r, "password");
  if (auto t = r.Timeout("timeout")) *timeout = *t;
}

Error RedisReplyError(const RedisReply& reply, std::string_view where) {
  const std::string& m = reply.str;
  ErrorCode code = ErrorCode::kInternal;
  if (StartsWith(m, "NOAUTH") || StartsWith(m, "WRONGPASS") || StartsWith(m, "NOPERM") ||
      m.find("invalid password") != std::string::npos ||
      m.find("invalid username-password") != std::string::npos) {
    code = ErrorCode::kPermissionDenied;
  } else if (StartsWith(m, "WRONGTYPE")) {
    code = ErrorCode::kInvalidValue;
  } else if (StartsWith(m, "LOADING") || StartsWith(m, "BUSY") || StartsWith(m, "MASTERDOWN") ||
             StartsWith(m, "TRYAGAIN") || StartsWith(m, "CLUSTERDOWN")) {
    code = ErrorCode::kUnavailable;
  } else if (StartsWith(m, "NOGROUP")) {
    code = ErrorCode::kNotFound;
  }
  // The server's text may hold any bytes (a key name echoed back, a proxy's banner): quoted safely.
  return MakeError(code, std::string(where) + ": " + SafeText(m));
}

RedisConnection::RedisConnection(redisContext* ctx, std::string where)
    : ctx_(ctx), where_(std::move(where)) {}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

Error RedisConnection::TransportError(std::string_view during) {
  broken_ = true;
  const int saved_errno = errno;
  const std::string detail = ctx_->errstr[0] != '\0' ? std::string(ctx_->errstr) : "I/O error";
  const bool timed_out =
      (ctx_->err == REDIS_ERR_IO &&
       (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT)) ||
      detail.find("temporarily unavailable") != std::string::npos ||
      detail.find("timed out") != std::string::npos;
  return MakeError(timed_out ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                   where_ + ": " + std::string(during) + ": " + detail);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisEndpoint& endpoint,
                                                                  Duration timeout) {
  const std::string where = endpoint.Describe();
  // Resolve the secret before touching the network: a missing secret is a config problem.
  auto password = ResolveSecret(endpoint.password);
  if (!password) return MakeError(password.error().code, where + ": " + password.error().message);

  errno = 0;
  redisContext* raw =
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, ToTimeval(timeout));
  if (raw == nullptr) return MakeError(ErrorCode::kInternal, where + ": cannot allocate context");
  std::unique_ptr<RedisConnection> conn(new RedisConnection(raw, where));
  if (raw->err != 0) return conn->TransportError("connect");
  if (redisSetTimeout(raw, ToTimeval(timeout)) != REDIS_OK) return conn->TransportError("connect");

  std::vector<RedisCommand> setup;
  if (!password->empty() || !endpoint.username.empty()) {
    if (endpoint.username.empty()) {
      setup.push_back({"AUTH", *password});
    } else {
      setup.push_back({"AUTH", endpoint.username, *password});
    }
  }
  if (endpoint.db != 0) setup.push_back({"SELECT", std::to_string(endpoint.db)});
  if (setup.empty()) return conn;
  auto replies = conn->Pipeline(setup, timeout);
  if (!replies) return replies.error();
  for (std::size_t i = 0; i < replies->size(); ++i) {
    const RedisReply& r = (*replies)[i];
    if (r.is_error()) {
      // Never echo the AUTH arguments; the server's message does not contain them.
      const bool auth = setup[i][0] == "AUTH";
      Error e = RedisReplyError(r, where + (auth ? ": AUTH" : ": SELECT"));
      if (auth && e.code == ErrorCode::kInternal) e.code = ErrorCode::kPermissionDenied;
      if (!auth && e.code == ErrorCode::kInternal) e.code = ErrorCode::kInvalidConfig;
      return e;
    }
  }
  return conn;
}

Result<std::vector<RedisReply>> RedisConnection::Pipeline(std::span<const RedisCommand> commands,
                                                          Duration timeout) {
  if (broken_) return MakeError(ErrorCode::kUnavailable, where_ + ": connection is broken");
  if (redisSetTimeout(ctx_, ToTimeval(timeout)) != REDIS_OK) return TransportError("set timeout");
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const RedisCommand& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const std::string& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      return TransportError("append");
    }
  }
  std::vector<RedisReply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      return TransportError("read reply");
    }
    std::unique_ptr<void, ReplyDeleter> holder(raw);
    out.push_back(Copy(*static_cast<redisReply*>(raw)));
  }
  return out;
}

}  // namespace ebb::scalers
