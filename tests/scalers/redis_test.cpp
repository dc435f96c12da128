// The Redis scalers against real redis-servers: values, db selection, ACL/password auth, a server
// killed mid-test and restarted, a server that never answers, streams.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

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
