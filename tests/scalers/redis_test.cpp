// The Redis scalers against real redis-servers: values, db selection, ACL/password auth, a server
// killed mid-test and restarted, a server that never answers or trickles its answers (one deadline
// per read), streams, error replies carrying bytes that are not UTF-8.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

#include "controller/base/text.h"
#include "scalers/poller.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/redis_stream_scaler.h"
#include "scalers/registry.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;
using ebb::testing::RedisCli;
using ebb::testing::SharedServers;

namespace {

const ReadContext kCtx{At(1700000000), At(1700000000) + Seconds(5)};

std::unique_ptr<Scaler> MakeRedis(RedisPool& pool, json block) {
  ScalerDeps deps{nullptr, &pool};
  auto s = MakeScaler("Redis", block, "spec.metrics[0].redis", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

std::string Addr(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

TEST_CASE("redis lists: lengths are read back exactly and summed", "[redis][integration]") {
  const int port = SharedServers().redis_port;
  RedisCli(port, 1, {"DEL la lb lc str", "RPUSH la 1 2 3 4 5 6 7", "RPUSH lb x y", "SET str v"});
  RedisPool pool;
  auto one = MakeRedis(pool, {{"address", Addr(port)}, {"db", 1}, {"lists", {"la"}}});
  CHECK(one->Read(kCtx).value() == 7.0);
  auto sum = MakeRedis(pool, {{"address", Addr(port)}, {"db", 1}, {"lists", {"la", "lb", "lc"}}});
  CHECK(sum->Read(kCtx).value() == 9.0);  // missing list lc counts 0
  RedisCli(port, 1, {"LPOP la", "RPUSH lc z"});
  CHECK(sum->Read(kCtx).value() == 9.0);
  RedisCli(port, 1, {"RPUSH lc z"});
  CHECK(sum->Read(kCtx).value() == 10.0);
  // Another db does not see these lists.
  auto db0 = MakeRedis(pool, {{"address", Addr(port)}, {"lists", {"la"}}});
  RedisCli(port, 0, {"DEL la"});
  CHECK(db0->Read(kCtx).value() == 0.0);
  // A key of another type is an invalid value, not a silent 0.
  auto wrong = MakeRedis(pool, {{"address", Addr(port)}, {"db", 1}, {"lists", {"la", "str"}}});
  auto w = wrong->Read(kCtx);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().code == ErrorCode::kInvalidValue);
  CHECK(w.error().message.find("LLEN str") != std::string::npos);
  // One shared connection per (address, db, user): db 0 and db 1 -> 2.
  CHECK(pool.connection_count() == 2);
  CHECK(pool.stats().connects == 2);
}

TEST_CASE("redis auth: requirepass and ACL users, wrong password is kPermissionDenied",
          "[redis][integration][auth]") {
  const auto& srv = SharedServers();
  const int port = srv.redis_auth_port;
  RedisCli(port, 0, {"DEL jobs allowed:jobs", "RPUSH jobs a b c", "RPUSH allowed:jobs a"},
           "default-secret");
  RedisPool pool;
  ::setenv("EBB_TEST_REDIS_PW", "default-secret", 1);
  ::setenv("EBB_TEST_REDIS_BAD", "not-the-password", 1);
  auto ok = MakeRedis(
      pool,
      {{"address", Addr(port)}, {"passwordFromEnv", "EBB_TEST_REDIS_PW"}, {"lists", {"jobs"}}});
  CHECK(ok->Read(kCtx).value() == 3.0);

  auto acl = MakeRedis(pool, {{"address", Addr(port)},
                              {"username", "ebb"},
                              {"passwordFile", srv.dir + "/redis_ebb_password"},
                              {"lists", {"jobs"}}});
  CHECK(acl->Read(kCtx).value() == 3.0);

  auto wrong = MakeRedis(pool, {{"address", Addr(port)},
                                {"passwordFromEnv", "EBB_TEST_REDIS_BAD"},
                                {"username", "ebb"},
                                {"lists", {"jobs"}}});
  auto w = wrong->Read(kCtx);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().code == ErrorCode::kPermissionDenied);
  CHECK(w.error().message.find("not-the-password") == std::string::npos);
  CHECK(wrong->Describe().find("not-the-password") == std::string::npos);

  auto wrong_default = MakeRedis(
      pool,
      {{"address", Addr(port)}, {"passwordFromEnv", "EBB_TEST_REDIS_BAD"}, {"lists", {"jobs"}}});
  CHECK(wrong_default->Read(kCtx).error().code == ErrorCode::kPermissionDenied);

  auto none = MakeRedis(pool, {{"address", Addr(port)}, {"db", 3}, {"lists", {"jobs"}}});
  auto n = none->Read(kCtx);
  REQUIRE_FALSE(n.has_value());
  CHECK(n.error().code == ErrorCode::kPermissionDenied);  // NOAUTH

  ::setenv("EBB_TEST_LIMITED_PW", "limited-secret", 1);
  auto limited = MakeRedis(pool, {{"address", Addr(port)},
                                  {"username", "limited"},
                                  {"passwordFromEnv", "EBB_TEST_LIMITED_PW"},
                                  {"lists", {"allowed:jobs", "jobs"}}});
  auto l = limited->Read(kCtx);
  REQUIRE_FALSE(l.has_value());
  CHECK(l.error().code == ErrorCode::kPermissionDenied);  // NOPERM on `jobs`
  auto limited_ok = MakeRedis(pool, {{"address", Addr(port)},
                                     {"username", "limited"},
                                     {"passwordFromEnv", "EBB_TEST_LIMITED_PW"},
                                     {"lists", {"allowed:jobs"}}});
  CHECK(limited_ok->Read(kCtx).value() == 1.0);

  ::unsetenv("EBB_TEST_REDIS_UNSET");
  auto unset = MakeRedis(
      pool,
      {{"address", Addr(port)}, {"passwordFromEnv", "EBB_TEST_REDIS_UNSET"}, {"lists", {"jobs"}}});
  CHECK(unset->Read(kCtx).error().code == ErrorCode::kInvalidConfig);
}

TEST_CASE("redis killed mid-test gives a typed error, then recovers after restart",
          "[redis][integration][restart]") {
  const int port = ebb::testing::FreePort();
  char tmpl[] = "/tmp/ebb-redis-restart-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string script = ebb::testing::FixturesDir() + "/redis.sh";
  struct Stopper {
    std::string cmd;
    ~Stopper() { [[maybe_unused]] int rc = std::system(cmd.c_str()); }
  } stopper{script + " stop " + dir + " >/dev/null 2>&1; rm -rf " + dir};

  ebb::testing::Shell(script + " start " + std::to_string(port) + " " + dir);
  RedisCli(port, 0, {"RPUSH q 1 2 3"});
  RedisPool pool;
  auto s = MakeRedis(pool, {{"address", Addr(port)}, {"lists", {"q"}}, {"timeout", 1}});
  REQUIRE(s->Read(kCtx).value() == 3.0);

  ebb::testing::Shell(script + " stop " + dir);
  auto down = s->Read(kCtx);
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error().code == ErrorCode::kUnavailable);
  CHECK(down.error().retryable());
  CHECK(s->Read(kCtx).error().code == ErrorCode::kUnavailable);  // still down: refused

  ebb::testing::Shell(script + " start " + std::to_string(port) + " " + dir);
  RedisCli(port, 0, {"RPUSH q a b"});  // fresh server, empty before this
  auto back = s->Read(kCtx);
  INFO((back ? "" : back.error().message));
  REQUIRE(back.has_value());
  CHECK(*back == 2.0);
  CHECK(pool.stats().connects == 2);
}

TEST_CASE("redis: a server that never answers gives kTimeout within the deadline",
          "[redis][integration][timeout]") {
  ebb::testing::SilentListener silent;
  RedisPool pool;
  auto s = MakeRedis(pool, {{"address", Addr(silent.port())}, {"lists", {"q"}}, {"timeout", 10}});
  const ReadContext ctx{At(1700000000), At(1700000000) + Duration(300)};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s->Read(ctx);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(took < std::chrono::milliseconds(1500));
}

TEST_CASE("redis streams: XLEN and consumer-group pending count", "[redis][integration][stream]") {
  const int port = SharedServers().redis_port;
  RedisCli(port, 2,
           {"DEL events", "XADD events * n 1", "XADD events * n 2", "XADD events * n 3",
            "XADD events * n 4", "XGROUP CREATE events workers 0",
            "XREADGROUP GROUP workers c1 COUNT 3 STREAMS events >", "XACK events workers 0-0"});
  RedisPool pool;
  auto len = MakeRedis(pool, {{"address", Addr(port)}, {"db", 2}, {"stream", "events"}});
  CHECK(len->Read(kCtx).value() == 4.0);
  auto pending = MakeRedis(
      pool,
      {{"address", Addr(port)}, {"db", 2}, {"stream", "events"}, {"consumerGroup", "workers"}});
  CHECK(pending->Read(kCtx).value() == 3.0);
  auto missing = MakeRedis(
      pool,
      {{"address", Addr(port)}, {"db", 2}, {"stream", "events"}, {"consumerGroup", "nobody"}});
  auto m = missing->Read(kCtx);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().code == ErrorCode::kNotFound);
  auto empty = MakeRedis(pool, {{"address", Addr(port)}, {"db", 2}, {"stream", "no-such-stream"}});
  CHECK(empty->Read(kCtx).value() == 0.0);
}

namespace {

// Runs `read` and returns how long it took.
template <typename F>
std::chrono::milliseconds Timed(F&& read) {
  const auto t0 = std::chrono::steady_clock::now();
  read();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t0);
}

// Far enough that only the scaler's own `timeout` bounds the read.
const ReadContext kLongCtx{At(1700000000), At(1700000000) + Seconds(600)};

}  // namespace

TEST_CASE("redis: a server trickling one byte a second fails with kTimeout at the read's deadline",
          "[redis][integration][timeout][deadline]") {
  const int port = SharedServers().redis_port;
  RedisCli(port, 4, {"DEL d0 d1 d2 d3 d4 d5 d6 d7", "RPUSH d0 a b c", "RPUSH d5 a"});
  // Eight LLEN replies (":3\r\n" ...) are 32 bytes: 32 s at a byte a second. A per-call socket
  // timeout of 2 s never trips; only a deadline over the whole read ends it at 2 s.
  ebb::testing::DribbleProxy slow(port, Seconds(1));
  RedisPool pool;
  auto s = MakeRedis(pool, {{"address", Addr(slow.port())},
                            {"db", 4},
                            {"lists", {"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"}},
                            {"timeout", 2}});
  Result<double> r = MakeError(ErrorCode::kInternal, "not read");
  auto took = Timed([&] { r = s->Read(kLongCtx); });
  INFO("Read took " << took.count() << " ms");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(took < std::chrono::milliseconds(2500));
  CHECK(took >= std::chrono::milliseconds(1900));

  // The poller's rounds spend from the same kind of deadline.
  Scaler* one[] = {s.get()};
  std::vector<Result<double>> all;
  took = Timed([&] { all = ReadAll(one, kLongCtx); });
  INFO("ReadAll took " << took.count() << " ms");
  REQUIRE_FALSE(all[0].has_value());
  CHECK(all[0].error().code == ErrorCode::kTimeout);
  CHECK(took < std::chrono::milliseconds(2500));
}

TEST_CASE("redis: a server that accepts and never answers fails with kTimeout by the timeout",
          "[redis][integration][timeout][deadline]") {
  ebb::testing::SilentListener silent;
  RedisPool pool;
  auto s = MakeRedis(pool, {{"address", Addr(silent.port())}, {"lists", {"q"}}, {"timeout", 2}});
  Result<double> r = MakeError(ErrorCode::kInternal, "not read");
  const auto took = Timed([&] { r = s->Read(kLongCtx); });
  INFO("took " << took.count() << " ms");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(took < std::chrono::milliseconds(2500));
}

TEST_CASE("redis: a slow AUTH answer counts against the same deadline",
          "[redis][integration][timeout][deadline][auth]") {
  const int port = SharedServers().redis_auth_port;
  RedisCli(port, 0, {"DEL jobs", "RPUSH jobs a b c"}, "default-secret");
  // "+OK\r\n" for AUTH alone takes 5 s; each byte arrives well inside a 2 s socket timeout.
  ebb::testing::DribbleProxy slow(port, Seconds(1));
  ::setenv("EBB_TEST_REDIS_PW", "default-secret", 1);
  RedisPool pool;
  auto s = MakeRedis(pool, {{"address", Addr(slow.port())},
                            {"passwordFromEnv", "EBB_TEST_REDIS_PW"},
                            {"lists", {"jobs"}},
                            {"timeout", 2}});
  Result<double> r = MakeError(ErrorCode::kInternal, "not read");
  const auto took = Timed([&] { r = s->Read(kLongCtx); });
  INFO("took " << took.count() << " ms");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(r.error().message.find("AUTH") != std::string::npos);
  CHECK(r.error().message.find("default-secret") == std::string::npos);
  CHECK(took < std::chrono::milliseconds(2500));
}

TEST_CASE("redis: error replies carrying bytes that are not UTF-8 are quoted as valid UTF-8",
          "[redis][integration][utf8]") {
  const int port = SharedServers().redis_port;
  // A real server returns the script's error text byte for byte.
  RedisEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port;
  auto conn = RedisConnection::Connect(ep, DeadlineAfter(Seconds(5)));
  REQUIRE(conn.has_value());
  const std::vector<RedisCommand> eval = {
      {"EVAL", "return redis.error_reply('bad \xff\xfe caf\xc3')", "0"}};
  auto replies = (*conn)->Pipeline(eval, DeadlineAfter(Seconds(5)));
  REQUIRE(replies.has_value());
  REQUIRE((*replies)[0].is_error());
  REQUIRE_FALSE(IsValidUtf8((*replies)[0].str));  // the fault is real
  const Error e = RedisReplyError((*replies)[0], "redis://127.0.0.1/0: EVAL");
  CHECK(IsValidUtf8(e.message));
  CHECK(e.message.find("bad ") != std::string::npos);
  CHECK_NOTHROW(json(e.message).dump());

  // Through a scaler: Redis quotes the group name in its NOGROUP error.
  RedisCli(port, 2, {"DEL ev", "XADD ev * n 1"});
  RedisPool pool;
  auto s = MakeRedis(pool, {{"address", Addr(port)},
                            {"db", 2},
                            {"stream", "ev"},
                            {"consumerGroup", std::string("g\xff\xfe")}});
  auto r = s->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(IsValidUtf8(r.error().message));
  CHECK_NOTHROW(json(r.error().message).dump());
}
