// One RAII connection to a Redis server. The socket is ours and non-blocking; hiredis 0.14 only
// formats the commands and parses the replies (its reply reader is fed the bytes we read). Every
// step -- resolve, connect, AUTH, SELECT, each write and read -- waits with poll() for what is
// left of one deadline, so a server that dribbles a byte at a time cannot stretch a read past it
// (a per-call socket timeout, hiredis' own mode, restarts with every byte).
// Commands are sent as a pipeline: every command formatted, one write, then one reply each.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"
#include "scalers/boxed.h"
#include "scalers/config_util.h"
#include "scalers/redis_cluster.h"
#include "scalers/sentinel.h"
#include "scalers/tls_config.h"
#include "scalers/tls_stream.h"

struct redisReader;

namespace ebb::scalers {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  // The blocks most endpoints leave unset are boxed (empty: one pointer, read as the default):
  // every bound Redis scaler keeps its endpoint, ~1.6 KB inline before.
  Boxed<SecretRef> username;       // ACL user (inline or from a Secret); empty = "default"
  Boxed<SecretRef> password;       // resolved when connecting; never stored in messages
  Boxed<TlsClientConfig> tls;      // `rediss://` or a `tls:` block
  Boxed<SentinelConfig> sentinel;  // `sentinel:`: host/port are found by asking the sentinels
  SecretScope secrets{};           // where Secret references are read (the Autoscaler's namespace)
  ClusterConfig cluster;           // `cluster:`: the seeds; each key is read from its slot's master

  // Identity of the shared connection: address, db, user and where the password comes from (the
  // reference, not the secret). Autoscalers naming the same secret share one connection; one that
  // names another secret gets its own, so it can never ride on a connection someone else's
  // credentials opened.
  std::string Key() const;
  // "redis://user@host:port/db" ("rediss://" over TLS) -- safe to log.
  std::string Describe() const;
};

// A plain copy of a hiredis reply, so the hiredis object is freed at once.
struct RedisReply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  Type type = Type::kNil;
  long long integer = 0;  // NOLINT(google-runtime-int): hiredis's type
  std::string str;        // kString, kStatus, kError
  std::vector<RedisReply> elements;
  // Set on an error reply the client made itself: the command got no answer (its cluster node
  // was unreachable); the code the error reading gets.
  std::optional<ErrorCode> local;

  bool is_error() const { return type == Type::kError; }
};

using RedisCommand = std::vector<std::string>;

// A read's deadline on the monotonic clock: fixed once when the read starts, shared by every step.
using SteadyTime = std::chrono::steady_clock::time_point;
inline SteadyTime DeadlineAfter(Duration budget) {
  return std::chrono::steady_clock::now() + budget;
}

// Parses the connection part shared by the Redis scalers: `address` ("host:port",
// "redis://host:port" or "rediss://host:port" for TLS; required), `db` (0), `username`,
// `passwordFromEnv` | `passwordFile`, `tls` (tls_config.h), `sentinel` (sentinel.h; instead of
// `address`), `cluster` (redis_cluster.h; instead of `address`), `timeout` (seconds, default 3).
void ParseRedisConnection(ConfigReader& r, RedisEndpoint* endpoint, Duration* timeout);
inline constexpr std::string_view kRedisConnectionFields[] = {"address",
                                                              "db",
                                                              "username",
                                                              "usernameFromEnv",
                                                              "usernameFile",
                                                              "usernameSecretKeyRef",
                                                              "passwordFromEnv",
                                                              "passwordFile",
                                                              "passwordSecretKeyRef",
                                                              "timeout",
                                                              "tls",
                                                              "sentinel",
                                                              "cluster",
                                                              "authenticationRef"};

// The error for a Redis error reply: NOAUTH/WRONGPASS/NOPERM -> kPermissionDenied, WRONGTYPE ->
// kInvalidValue, LOADING/BUSY/MASTERDOWN/TRYAGAIN/CLUSTERDOWN -> kUnavailable, a reply the client
// made itself its own code (`local`), else kInternal. The server's text is
// quoted through SafeText (it may hold any bytes).
Error RedisReplyError(const RedisReply& reply, std::string_view where);

// hiredis's RESP reader behind a hiredis-free interface: bytes in (as a socket delivers them),
// whole replies out. The connection reads with it, and fuzz/redis_reply feeds it fuzzed bytes.
class RespReader {
 public:
  RespReader();
  ~RespReader();
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;

  bool allocated() const { return reader_ != nullptr; }
  // kParse ("protocol error: ...") when the bytes are not RESP.
  Result<void> Feed(std::string_view bytes);
  // The next whole reply, or nullopt until more bytes arrive; kParse on a protocol error.
  Result<std::optional<RedisReply>> Next();

 private:
  redisReader* reader_;
};

class RedisConnection {
 public:
  // Resolves, connects, completes the TLS handshake when the endpoint asks for TLS, then AUTHs
  // (username + password when set) and SELECTs the db, all by `deadline`; kTimeout when it passes.
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisEndpoint& endpoint,
                                                          SteadyTime deadline);
  ~RedisConnection();
  // With a `sentinel:` block: asks the sentinels in order for the master's address, connects to
  // it (TLS, AUTH, SELECT as configured) and checks with ROLE that it is the master, all by
  // `deadline`. A failover is followed on the next connect.
  static Result<std::unique_ptr<RedisConnection>> ConnectViaSentinel(const RedisEndpoint& endpoint,
                                                                     SteadyTime deadline);
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One round trip for all commands. Error replies come back as kError replies; a transport
  // failure or the deadline passing fails the whole call and marks the connection broken (a
  // half-read reply leaves the stream unusable).
  Result<std::vector<RedisReply>> Pipeline(std::span<const RedisCommand> commands,
                                           SteadyTime deadline, std::string_view during = "");
  bool broken() const { return broken_; }
  const std::string& where() const { return where_; }

 private:
  RedisConnection(int fd, std::string where);
  Error Fail(ErrorCode code, std::string_view during, std::string_view detail);
  Result<void> Wait(short events, SteadyTime deadline, std::string_view during);
  Result<void> Send(std::string_view bytes, SteadyTime deadline, std::string_view during);
  Result<RedisReply> ReadReply(SteadyTime deadline, std::string_view during);
  Result<void> Handshake(const RedisEndpoint& endpoint, SteadyTime deadline);
  // One TLS step's outcome: wait for what it needs, or fail.
  Result<void> WaitTls(const TlsStream::Io& io, SteadyTime deadline, std::string_view during);

  int fd_;
  std::unique_ptr<TlsStream> tls_;  // null on a plain connection
  TlsClientConfig tls_config_;      // for messages naming the fields
  bool answered_ = false;           // a reply has been read on this connection
  RespReader reader_;
  std::string where_;
  bool broken_ = false;
};

}  // namespace ebb::scalers
