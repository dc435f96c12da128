#include "scalers/redis_connection.h"

#include <fcntl.h>
#include <hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "controller/base/text.h"

namespace ebb::scalers {
namespace {

using std::chrono::steady_clock;

// Milliseconds left before `deadline`, rounded up so poll() never wakes just short of it.
int RemainingMs(SteadyTime deadline) {
  const auto left = deadline - steady_clock::now();
  if (left <= steady_clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
using AddrList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// getaddrinfo has no timeout, so a name (not a literal address) is resolved on a helper thread
// that may outlive the wait: it owns its state through the shared_ptr and frees the answer
// itself when nobody is left to take it.
Result<AddrList> Resolve(const std::string& host, int port, SteadyTime deadline,
                         const std::string& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string service = std::to_string(port);
  addrinfo* res = nullptr;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &res) == 0) return AddrList(res);

  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool abandoned = false;
    int rc = 0;
    addrinfo* res = nullptr;
  };
  auto lookup = std::make_shared<Lookup>();
  hints.ai_flags = AI_NUMERICSERV;
  std::thread([lookup, host, service, hints] {
    addrinfo* out = nullptr;
    const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &out);
    std::lock_guard lock(lookup->mu);
    if (lookup->abandoned) {
      if (rc == 0) freeaddrinfo(out);
      return;
    }
    lookup->rc = rc;
    lookup->res = out;
    lookup->done = true;
    lookup->cv.notify_all();
  }).detach();
  std::unique_lock lock(lookup->mu);
  if (!lookup->cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    lookup->abandoned = true;
    return MakeError(ErrorCode::kTimeout,
                     where + ": resolving " + SafeText(host) + ": no answer by the deadline");
  }
  if (lookup->rc != 0) {
    const bool temporary = lookup->rc == EAI_AGAIN;
    return MakeError(temporary ? ErrorCode::kUnavailable : ErrorCode::kNotFound,
                     where + ": resolving " + SafeText(host) + ": " + gai_strerror(lookup->rc));
  }
  return AddrList(lookup->res);
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
  return host + ":" + std::to_string(port) + "/" + std::to_string(db) +
         "?user=" + username->Describe() + "&secret=" + password->Describe() + "&" + tls->Key() +
         "&" + sentinel->Key() + "&" + cluster.Key() +
         // Secrets of the same name in two namespaces are two secrets: never one connection.
         (password->from_secret() || username->from_secret() || tls->sources.from_secret() ||
                  sentinel->password.from_secret() || sentinel->username.from_secret()
              ? "&ns=" + secrets.ns
              : "");
}

std::string RedisEndpoint::Describe() const {
  std::string s = tls->enabled ? "rediss://" : "redis://";
  // A name from a Secret is not shown (only where it comes from is).
  if (!username->plain.empty()) s += username->plain + "@";
  if (sentinel->enabled()) {
    // The master's address is not known here: name it and the sentinels asked.
    std::string sentinels;
    for (const auto& hp : sentinel->sentinels) {
      sentinels += (sentinels.empty() ? "" : ",") + hp.host + ":" + std::to_string(hp.port);
    }
    return SafeText(s + "master " + sentinel->master_name + "/" + std::to_string(db) +
                    " (sentinels " + sentinels + ")");
  }
  if (cluster.enabled()) return SafeText(s + "cluster(" + cluster.Describe() + ")");
  return SafeText(s + host + ":" + std::to_string(port) + "/" + std::to_string(db));
}

void ParseRedisConnection(ConfigReader& r, RedisEndpoint* endpoint, Duration* timeout) {
  bool scheme_tls = false;
  bool scheme_plain = false;
  ReadAuthenticationRef(r, {"username", "password", "sentinel.username", "sentinel.password",
                            "tls.ca", "tls.cert", "tls.key"});
  SentinelConfig sentinel;
  ParseSentinelBlock(r, &sentinel);
  if (sentinel.enabled()) endpoint->sentinel = std::move(sentinel);
  const bool by_sentinel = r.Has("sentinel");
  if (by_sentinel && r.Has("address")) {
    r.Problem("address", "set either address or sentinel (the sentinels name the master)");
  }
  ParseClusterBlock(r, &endpoint->cluster);
  const bool by_cluster = r.Has("cluster");
  if (by_cluster && (r.Has("address") || by_sentinel)) {
    r.Problem("cluster", "set one of address, sentinel and cluster");
  }
  if (auto address = r.String("address", /*required=*/!by_sentinel && !by_cluster)) {
    std::string_view a = *address;
    if (StartsWith(a, "rediss://")) {
      scheme_tls = true;
      a.remove_prefix(9);
    } else if (StartsWith(a, "redis://")) {
      scheme_plain = true;
      a.remove_prefix(8);
    }
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
        a.find_first_of("/@?#") != std::string_view::npos) {
      r.Problem("address",
                "must be \"host:port\", \"redis://host:port\" or \"rediss://host:port\" (TLS), "
                "e.g. \"redis:6379\"; the db, user and password have their own fields");
    } else {
      endpoint->host = std::string(host);
      endpoint->port = port;
    }
  }
  if (auto db = r.Int("db", 0, 1 << 20)) endpoint->db = static_cast<int>(*db);
  if (by_cluster && endpoint->db != 0) r.Problem("db", "a Redis Cluster has only db 0");
  if (SecretRef username = ReadUsername(r, /*basic_auth=*/false); !username.empty())
    endpoint->username = std::move(username);
  if (SecretRef password = ReadSecretRef(r, "password"); !password.empty())
    endpoint->password = std::move(password);
  TlsClientConfig tls;
  ParseTlsBlock(r, scheme_tls, scheme_plain, &tls);
  if (tls.enabled) endpoint->tls = std::move(tls);
  if (auto t = r.Timeout("timeout")) *timeout = *t;
}

Error RedisReplyError(const RedisReply& reply, std::string_view where) {
  const std::string& m = reply.str;
  ErrorCode code = ErrorCode::kInternal;
  if (reply.local) {
    code = *reply.local;
  } else if (StartsWith(m, "NOAUTH") || StartsWith(m, "WRONGPASS") || StartsWith(m, "NOPERM") ||
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

RespReader::RespReader() : reader_(redisReaderCreate()) {}

RespReader::~RespReader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

Result<void> RespReader::Feed(std::string_view bytes) {
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    return MakeError(ErrorCode::kParse, "protocol error: " + SafeText(reader_->errstr));
  }
  return {};
}

Result<std::optional<RedisReply>> RespReader::Next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    return MakeError(ErrorCode::kParse, "protocol error: " + SafeText(reader_->errstr));
  }
  if (raw == nullptr) return std::optional<RedisReply>();
  std::unique_ptr<void, ReplyDeleter> holder(raw);
  return std::optional<RedisReply>(Copy(*static_cast<redisReply*>(raw)));
}

RedisConnection::RedisConnection(int fd, std::string where) : fd_(fd), where_(std::move(where)) {}

RedisConnection::~RedisConnection() {
  tls_.reset();  // the session goes before its socket
  if (fd_ >= 0) ::close(fd_);
}

Error RedisConnection::Fail(ErrorCode code, std::string_view during, std::string_view detail) {
  broken_ = true;
  return MakeError(code, where_ + ": " + std::string(during) + ": " + std::string(detail));
}

Result<void> RedisConnection::Wait(short events, SteadyTime deadline, std::string_view during) {
  while (true) {
    const int ms = RemainingMs(deadline);
    if (ms <= 0) return Fail(ErrorCode::kTimeout, during, "timed out (the read's deadline passed)");
    pollfd p{fd_, events, 0};
    const int n = ::poll(&p, 1, ms);
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return Fail(ErrorCode::kUnavailable, during, std::strerror(errno));
  }
}

Result<void> RedisConnection::WaitTls(const TlsStream::Io& io, SteadyTime deadline,
                                      std::string_view during) {
  switch (io.status) {
    case TlsStream::Status::kWantRead:
      return Wait(POLLIN, deadline, during);
    case TlsStream::Status::kWantWrite:
      return Wait(POLLOUT, deadline, during);
    case TlsStream::Status::kClosed:
      return Fail(ErrorCode::kUnavailable, during, "server closed the connection");
    case TlsStream::Status::kFailed:
      return Fail(io.error.code, during, io.error.message);
    case TlsStream::Status::kDone:
      break;
  }
  return {};
}

Result<void> RedisConnection::Handshake(const RedisEndpoint& endpoint, SteadyTime deadline) {
  auto material = ResolveTls(endpoint.tls->sources, endpoint.secrets);
  if (!material) {
    broken_ = true;
    return MakeError(material.error().code, where_ + ": " + material.error().message);
  }
  auto stream = TlsStream::Create(fd_, *endpoint.tls, *material, endpoint.host);
  if (!stream) {
    broken_ = true;
    return MakeError(stream.error().code, where_ + ": " + stream.error().message);
  }
  tls_ = std::move(stream).value();
  tls_config_ = *endpoint.tls;
  while (true) {
    const TlsStream::Io io = tls_->Handshake();
    if (io.status == TlsStream::Status::kDone) return {};
    if (auto w = WaitTls(io, deadline, "TLS handshake"); !w) return w.error();
  }
}

Result<void> RedisConnection::Send(std::string_view bytes, SteadyTime deadline,
                                   std::string_view during) {
  while (tls_ != nullptr && !bytes.empty()) {
    TlsStream::Io io = tls_->Write(bytes.data(), bytes.size());
    if (io.status == TlsStream::Status::kFailed && !io.alert) {
      // TLS 1.3 servers check a client certificate after the client's handshake is done, then
      // send an alert and close; our first write then meets a reset. The alert is still queued
      // on the socket (the kernel hands out queued bytes before the error): read it, since it
      // says why (a certificate required or refused) where the reset does not.
      std::array<char, 512> probe{};
      TlsStream::Io said = tls_->Read(probe.data(), probe.size());
      if (said.status == TlsStream::Status::kFailed && said.alert) {
        io = std::move(said);
      } else if (!answered_) {
        // The alert was lost with the reset (OpenSSL gives up on the session after the failed
        // write): a TLS server that drops a new connection at once has refused the client.
        const TlsClientConfig& t = tls_config_;
        io.error =
            MakeError(ErrorCode::kPermissionDenied,
                      "TLS: the server closed the connection right after the handshake (" +
                          io.error.message + "): it " +
                          (t.sources.cert.empty()
                               ? "requires a client certificate; set " + t.FieldOf("certFile") +
                                     " and " + t.FieldOf("keyFile")
                               : "refused the client certificate in " + t.FieldOf("certFile")));
      }
    }
    if (io.status == TlsStream::Status::kDone) {
      bytes.remove_prefix(io.bytes);
    } else if (auto w = WaitTls(io, deadline, during); !w) {
      return w.error();
    }
  }
  while (!bytes.empty()) {
    if (auto w = Wait(POLLOUT, deadline, during); !w) return w.error();
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return Fail(ErrorCode::kUnavailable, during, std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<RedisReply> RedisConnection::ReadReply(SteadyTime deadline, std::string_view during) {
  std::array<char, 16384> buf{};
  while (true) {
    auto reply = reader_.Next();
    if (!reply) return Fail(ErrorCode::kParse, during, reply.error().message);
    if (*reply) {
      answered_ = true;
      return std::move(**reply);
    }
    if (tls_ != nullptr) {
      // Decrypted bytes may already sit in the session: read before waiting on the socket.
      const TlsStream::Io io = tls_->Read(buf.data(), buf.size());
      if (io.status != TlsStream::Status::kDone) {
        if (auto w = WaitTls(io, deadline, during); !w) return w.error();
        continue;
      }
      if (auto fed = reader_.Feed({buf.data(), io.bytes}); !fed) {
        return Fail(ErrorCode::kParse, during, fed.error().message);
      }
      continue;
    }
    if (auto w = Wait(POLLIN, deadline, during); !w) return w.error();
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n == 0) return Fail(ErrorCode::kUnavailable, during, "server closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return Fail(ErrorCode::kUnavailable, during, std::strerror(errno));
    }
    if (auto fed = reader_.Feed({buf.data(), static_cast<std::size_t>(n)}); !fed) {
      return Fail(ErrorCode::kParse, during, fed.error().message);
    }
  }
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisEndpoint& endpoint,
                                                                  SteadyTime deadline) {
  if (endpoint.sentinel->enabled()) return ConnectViaSentinel(endpoint, deadline);
  const std::string where = endpoint.Describe();
  // Resolve the secret before touching the network: a missing secret is a config problem.
  auto password = ResolveSecret(*endpoint.password, endpoint.secrets);
  if (!password) return MakeError(password.error().code, where + ": " + password.error().message);
  auto username = ResolveSecret(*endpoint.username, endpoint.secrets);
  if (!username) return MakeError(username.error().code, where + ": " + username.error().message);

  auto addrs = Resolve(endpoint.host, endpoint.port, deadline, where);
  if (!addrs) return addrs.error();
  Error last = MakeError(ErrorCode::kUnavailable, where + ": connect: no address");
  std::unique_ptr<RedisConnection> conn;
  for (const addrinfo* a = addrs->get(); a != nullptr && conn == nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = MakeError(ErrorCode::kUnavailable, where + ": connect: " + std::strerror(errno));
      continue;
    }
    auto candidate = std::unique_ptr<RedisConnection>(new RedisConnection(fd, where));
    if (!candidate->reader_.allocated()) {
      return MakeError(ErrorCode::kInternal, where + ": cannot allocate a reply reader");
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = candidate->Fail(ErrorCode::kUnavailable, "connect", std::strerror(errno));
        continue;
      }
      if (auto w = candidate->Wait(POLLOUT, deadline, "connect"); !w) {
        if (w.error().code == ErrorCode::kTimeout) return w.error();
        last = w.error();
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        last = candidate->Fail(ErrorCode::kUnavailable, "connect", std::strerror(err));
        continue;
      }
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn = std::move(candidate);
  }
  if (conn == nullptr) return last;
  if (endpoint.tls->enabled) {
    if (auto h = conn->Handshake(endpoint, deadline); !h) return h.error();
  }

  std::vector<RedisCommand> setup;
  if (!password->empty() || !username->empty()) {
    if (username->empty()) {
      setup.push_back({"AUTH", *password});
    } else {
      setup.push_back({"AUTH", *username, *password});
    }
  }
  if (endpoint.db != 0) setup.push_back({"SELECT", std::to_string(endpoint.db)});
  if (setup.empty()) return conn;
  auto replies = conn->Pipeline(setup, deadline, setup[0][0] == "AUTH" ? "AUTH" : "SELECT");
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
                                                          SteadyTime deadline,
                                                          std::string_view during) {
  if (broken_) return MakeError(ErrorCode::kUnavailable, where_ + ": connection is broken");
  std::string out_buf;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const RedisCommand& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const std::string& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    char* formatted = nullptr;
    const int n =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (n < 0 || formatted == nullptr) {
      return Fail(ErrorCode::kInternal, "format command", "out of memory");
    }
    out_buf.append(formatted, static_cast<std::size_t>(n));
    redisFreeCommand(formatted);
  }
  const std::string label = during.empty() ? std::string("send") : std::string(during);
  if (auto s = Send(out_buf, deadline, label); !s) return s.error();
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  const std::string read_label = during.empty() ? std::string("read reply") : label;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto r = ReadReply(deadline, read_label);
    if (!r) return r.error();
    replies.push_back(std::move(r).value());
  }
  return replies;
}

}  // namespace ebb::scalers
