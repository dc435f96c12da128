// One RAII connection to a Redis server over hiredis 0.14 (blocking context with socket timeouts).
// Commands are sent as a pipeline: every command appended, one write, then one reply each.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"
#include "scalers/config_util.h"

struct redisContext;

namespace ebb::scalers {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string username;  // ACL user; empty = "default"
  SecretRef password;    // resolved when connecting; never stored in messages

  // Identity of the shared connection: address, db, user and where the password comes from (the
  // reference, not the secret). Autoscalers naming the same secret share one connection; one that
  // names another secret gets its own, so it can never ride on a connection someone else's
  // credentials opened.
  std::string Key() const;
  // "redis://user@host:port/db" -- safe to log.
  std::string Describe() const;
};

// A plain copy of a hiredis reply, so the hiredis object is freed at once.
struct RedisReply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  Type type = Type::kNil;
  long long integer = 0;  // NOLINT(google-runtime-int): hiredis's type
  std::string str;        // kString, kStatus, kError
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
};

using RedisCommand = std::vector<std::string>;

// Parses the connection part shared by the Redis scalers: `address` ("host:port", required),
// `db` (0), `username`, `passwordFromEnv` | `passwordFile`, `timeout` (seconds, default 3).
void ParseRedisConnection(ConfigReader& r, RedisEndpoint* endpoint, Duration* timeout);
inline constexpr std::string_view kRedisConnectionFields[] = {
    "address", "db", "username", "passwordFromEnv", "passwordFile", "timeout"};

// The error for a Redis error reply: NOAUTH/WRONGPASS/NOPERM -> kPermissionDenied, WRONGTYPE ->
// kInvalidValue, LOADING/BUSY/MASTERDOWN -> kUnavailable, else kInternal.
Error RedisReplyError(const RedisReply& reply, std::string_view where);

class RedisConnection {
 public:
  // Connects, then AUTHs (username + password when set) and SELECTs the db, all within `timeout`.
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisEndpoint& endpoint,
                                                          Duration timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One round trip for all commands. Error replies come back as kError replies; a transport
  // failure fails the whole call and marks the connection broken. `timeout` bounds each socket
  // read/write.
  Result<std::vector<RedisReply>> Pipeline(std::span<const RedisCommand> commands,
                                           Duration timeout);
  bool broken() const { return broken_; }
  const std::string& where() const { return where_; }

 private:
  RedisConnection(redisContext* ctx, std::string where);
  Error TransportError(std::string_view during);

  redisContext* ctx_;
  std::string where_;
  bool broken_ = false;
};

}  // namespace ebb::scalers
