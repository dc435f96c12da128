// The batched poll: many autoscalers' Redis reads go out as one pipeline per connection, and the
// Prometheus queries through the HTTP client's bounded batch; results equal one-by-one reads.
#include "scalers/poller.h"

#include <catch2/catch.hpp>

#include "controller/net/curl_http_client.h"
#include "scalers/registry.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;
using ebb::testing::SharedServers;

TEST_CASE("poller: mixed Redis and Prometheus scalers, one pipeline per connection",
          "[poller][integration]") {
  const auto& srv = SharedServers();
  const int port = srv.redis_port;
  std::vector<std::string> setup = {"FLUSHDB"};
  for (int i = 0; i < 50; ++i) {
    std::string cmd = "RPUSH list" + std::to_string(i);
    for (int k = 0; k <= i; ++k) cmd += " x";
    setup.push_back(cmd);
  }
  ebb::testing::RedisCli(port, 4, setup);

  net::CurlHttpClient http;
  RedisPool pool;
  ScalerDeps deps{&http, &pool, true};
  std::vector<std::unique_ptr<Scaler>> owned;
  std::vector<double> expected;
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  for (int i = 0; i < 200; ++i) {
    json block;
    std::string type = "Redis";
    if (i % 4 == 3) {
      type = "Prometheus";
      block = {{"serverAddress", "http://127.0.0.1:" + std::to_string(srv.prom_port)},
               {"query", "ebb_queue_depth{queue=\"mail\"} + " + std::to_string(i)}};
      expected.push_back(1000 + 100 + i);  // sample 100 of "mail" is 1100
    } else {
      block = {{"address", addr}, {"db", 4}, {"lists", {"list" + std::to_string(i % 50), "none"}}};
      expected.push_back(i % 50 + 1);
    }
    auto s = MakeScaler(type, block, "spec.metrics[0]", deps);
    REQUIRE(s.has_value());
    owned.push_back(std::move(s).value());
  }
  // A scaler that fails must not spoil the others.
  auto broken = MakeScaler("Prometheus",
                           {{"serverAddress", "http://127.0.0.1:" + std::to_string(srv.prom_port)},
                            {"query", "ebb_multi"}},
                           "m", deps);
  REQUIRE(broken.has_value());
  owned.push_back(std::move(broken).value());

  std::vector<Scaler*> ptrs;
  for (auto& s : owned) ptrs.push_back(s.get());
  const ReadContext ctx{At(1700000000 + 3000), At(1700000000 + 3000) + Seconds(5)};
  // Warm the connection, then count round trips of one batched poll.
  REQUIRE(owned[0]->Read(ctx).has_value());
  const auto before = pool.stats();
  auto results = ReadAll(ptrs, ctx, PollOptions{8, 4});
  const auto after = pool.stats();
  REQUIRE(results.size() == ptrs.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("scaler " << i << " " << ptrs[i]->Describe()
                   << (results[i] ? "" : " " + results[i].error().message));
    REQUIRE(results[i].has_value());
    CHECK(*results[i] == expected[i]);
    // The same value one by one.
    CHECK(ptrs[i]->Read(ctx).value() == *results[i]);
  }
  REQUIRE_FALSE(results.back().has_value());
  CHECK(results.back().error().message.find("returned 2 series") != std::string::npos);
  CHECK(after.round_trips - before.round_trips == 1);
  // 150 Redis scalers x 2 LLENs, deduplicated to 51 distinct commands.
  CHECK(after.commands - before.commands == 51);
  CHECK(pool.connection_count() == 1);
}

TEST_CASE("poller: a dead Redis fails only its own scalers", "[poller][integration]") {
  const auto& srv = SharedServers();
  RedisPool pool;
  ScalerDeps deps{nullptr, &pool};
  auto good = MakeScaler("Redis",
                         {{"address", "127.0.0.1:" + std::to_string(srv.redis_port)},
                          {"db", 5},
                          {"lists", {"nothing"}}},
                         "a", deps);
  auto dead = MakeScaler(
      "Redis",
      {{"address", "127.0.0.1:" + std::to_string(ebb::testing::FreePort())}, {"lists", {"x"}}}, "b",
      deps);
  REQUIRE(good.has_value());
  REQUIRE(dead.has_value());
  std::vector<Scaler*> ptrs = {good->get(), dead->get()};
  auto results = ReadAll(ptrs, ReadContext{At(0), At(0) + Seconds(2)});
  CHECK(results[0].value() == 0.0);
  REQUIRE_FALSE(results[1].has_value());
  CHECK(results[1].error().code == ErrorCode::kUnavailable);
}
