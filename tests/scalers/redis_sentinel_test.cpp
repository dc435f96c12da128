// Redis Sentinel against real servers (fixtures/redis_sentinel.sh: a master, a replica and a
// sentinel on loopback): the master found by name past a dead sentinel, a forced failover
// (SENTINEL FAILOVER) and a master that dies both followed by the next poll, unknown master
// names; and Celery's sentinel:// broker URL mapped to the block (pure).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "scalers/redis_list_scaler.h"
#include "scalers/registry.h"
#include "scalers/sentinel.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;
using ebb::testing::Shell;

namespace {

const ReadContext kCtx{At(1700000000), At(1700000000) + Seconds(5)};

struct SentinelServers {
  ebb::testing::FixtureServers fixture{"redis_sentinel.sh"};
  std::string dir = fixture.dir();
  int master_port = fixture.port("MASTER_PORT");
  int replica_port = fixture.port("REPLICA_PORT");
  int sentinel_port = fixture.port("SENTINEL_PORT");
};

SentinelServers& Servers() {
  static SentinelServers s;
  return s;
}

std::string Cli(int port, const std::string& args) {
  return Shell("redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args + " 2>&1");
}

// Waits (up to 30 s) until the sentinel names `port` as the master and that server says it is.
bool WaitForMaster(int sentinel_port, int port) {
  for (int i = 0; i < 600; ++i) {
    const std::string named = Cli(sentinel_port, "SENTINEL get-master-addr-by-name mymaster");
    if (named.find(std::to_string(port)) != std::string::npos &&
        Cli(port, "ROLE").rfind("master", 0) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::unique_ptr<Scaler> Make(RedisPool& pool, const json& block) {
  ScalerDeps deps{nullptr, &pool};
  auto s = MakeScaler("Redis", block, "spec.metrics[0].redis", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

}  // namespace

TEST_CASE("redis sentinel: the master is found by name and failovers are followed by the next poll",
          "[redis][sentinel][integration]") {
  auto& s = Servers();
  const int dead = ebb::testing::FreePort();
  Cli(s.master_port, "DEL jobs");
  Cli(s.master_port, "RPUSH jobs a b c");
  RedisPool pool;
  const json sentinel = {
      {"masterName", "mymaster"},
      {"addresses",
       {"127.0.0.1:" + std::to_string(dead), "127.0.0.1:" + std::to_string(s.sentinel_port)}}};
  auto scaler = Make(pool, {{"sentinel", sentinel}, {"lists", {"jobs"}}});
  auto v = scaler->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 3.0);
  CHECK(pool.stats().connects == 1);

  // Forced failover: the replica becomes master; the sentinel reconfigures the old master as a
  // replica and drops its clients, so the next read reconnects through the sentinel.
  Cli(s.sentinel_port, "SENTINEL FAILOVER mymaster");
  REQUIRE(WaitForMaster(s.sentinel_port, s.replica_port));
  for (int i = 0; i < 600 && Cli(s.master_port, "ROLE").rfind("slave", 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Cli(s.replica_port, "RPUSH jobs d");
  auto after = scaler->Read(kCtx);
  INFO((after ? "" : after.error().message));
  REQUIRE(after.has_value());
  CHECK(*after == 4.0);
  CHECK(pool.stats().connects == 2);

  // The master dies: the sentinel promotes the other server; the first poll after that reads it.
  for (int i = 0; i < 600 && Cli(s.master_port, "INFO replication").find("master_link_status:up") ==
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Shell(ebb::testing::FixturesDir() + "/redis.sh stop " + s.dir + "/replica");
  auto during = scaler->Read(kCtx);  // the failing poll: the master is gone, no new one yet
  CHECK_FALSE(during.has_value());
  REQUIRE(WaitForMaster(s.sentinel_port, s.master_port));
  auto followed = scaler->Read(kCtx);
  INFO((followed ? "" : followed.error().message));
  REQUIRE(followed.has_value());
  CHECK(*followed == 4.0);
}

TEST_CASE("redis sentinel: an unknown master name is kNotFound naming it",
          "[redis][sentinel][integration]") {
  auto& s = Servers();
  RedisPool pool;
  auto scaler = Make(pool, {{"sentinel",
                             {{"masterName", "nosuch"},
                              {"addresses", {"127.0.0.1:" + std::to_string(s.sentinel_port)}}}},
                            {"lists", {"jobs"}}});
  auto r = scaler->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(r.error().message.find("\"nosuch\"") != std::string::npos);
}

TEST_CASE("redis sentinel: block problems are reported with field paths", "[config][sentinel]") {
  std::vector<std::string> problems;
  const json block = {{"sentinel", {{"addresses", {"nohost", "h:26379"}}, {"extra", 1}}},
                      {"address", "h:6379"}};
  ConfigReader r(block, "spec.metrics[0].redis", &problems);
  RedisEndpoint ep;
  Duration timeout{};
  ParseRedisConnection(r, &ep, &timeout);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  INFO(all);
  CHECK(all.find("spec.metrics[0].redis.sentinel.masterName: required") != std::string::npos);
  CHECK(all.find("spec.metrics[0].redis.sentinel.addresses[0]") != std::string::npos);
  CHECK(all.find("spec.metrics[0].redis.sentinel.extra: unknown field") != std::string::npos);
  CHECK(all.find("spec.metrics[0].redis.address: set either address or sentinel") !=
        std::string::npos);
}

TEST_CASE("celery sentinel:// broker URL maps to a sentinel block", "[config][sentinel][convert]") {
  auto b = SentinelBrokerUrlToRedis(
      "sentinel://:s3cret@s1:26379/2;sentinel://:s3cret@s2:26380/2; sentinel://[::1]/2", "mymaster",
      "CELERY_BROKER_PASSWORD");
  REQUIRE(b.has_value());
  CHECK(b->password_in_url);
  CHECK(b->redis ==
        json{{"sentinel",
              {{"masterName", "mymaster"}, {"addresses", {"s1:26379", "s2:26380", "[::1]:26379"}}}},
             {"db", 2},
             {"passwordFromEnv", "CELERY_BROKER_PASSWORD"}});
  CHECK(b->redis.dump().find("s3cret") == std::string::npos);
  auto plain = SentinelBrokerUrlToRedis("sentinel://s1:26379", "m", "PW");
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->password_in_url);
  CHECK(plain->redis == json{{"sentinel", {{"masterName", "m"}, {"addresses", {"s1:26379"}}}}});
  CHECK_FALSE(SentinelBrokerUrlToRedis("sentinel://s1:26379", "", "PW").has_value());
  CHECK_FALSE(SentinelBrokerUrlToRedis("redis://s1:6379", "m", "PW").has_value());
  CHECK_FALSE(SentinelBrokerUrlToRedis("sentinel://s1/0;sentinel://s2/1", "m", "PW").has_value());
  // The mapped block is one the Redis scaler accepts.
  json block = plain->redis;
  block["lists"] = {"celery"};
  CHECK(ParseRedisListConfig(block, "spec.metrics[0].redis").has_value());
}
