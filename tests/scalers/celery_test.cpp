// Celery queues measured by ebb vs what Celery/kombu itself reports, with real Celery
// (/usr/bin/python3, Debian's python3-celery) publishing prioritised tasks into a real redis.
#include <catch2/catch.hpp>

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

// Runs fixtures/celery_enqueue.py against db `db` (flushed first) and returns its JSON report.
json Enqueue(int db, const json& config) {
  const int port = SharedServers().redis_port;
  RedisCli(port, db, {"FLUSHDB"});
  const std::string url = "redis://127.0.0.1:" + std::to_string(port) + "/" + std::to_string(db);
  std::string arg = config.dump();
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string out = ebb::testing::Shell("/usr/bin/python3 " + ebb::testing::FixturesDir() +
                                              "/celery_enqueue.py " + url + " " + quoted);
  return json::parse(out);
}

double Read(RedisPool& pool, json block) {
  ScalerDeps deps{nullptr, &pool};
  auto s = MakeScaler("Redis", block, "spec.metrics[0].redis", deps);
  REQUIRE(s.has_value());
  auto v = (*s)->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  return *v;
}

}  // namespace

TEST_CASE("celery: default priority steps and separator match kombu's queue size",
          "[celery][integration]") {
  const int db = 8;
  const json report = Enqueue(db, {{"send",
                                    {{"q1", nullptr, 3},
                                     {"q1", 1, 2},
                                     {"q1", 5, 4},
                                     {"q1", 9, 6},
                                     {"q2", 7, 5},
                                     {"other", 0, 11}}}});
  INFO(report.dump());
  const double celery_q1 = report["sizes"]["q1"].get<double>();
  const double celery_q2 = report["sizes"]["q2"].get<double>();
  REQUIRE(celery_q1 == 15);  // sanity: Celery agrees with what was sent
  RedisPool pool;
  const std::string addr = "127.0.0.1:" + std::to_string(SharedServers().redis_port);
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", {{"queues", {"q1"}}}}}) == celery_q1);
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", {{"queues", {"q1", "q2"}}}}}) ==
        celery_q1 + celery_q2);
  // The naive count (bare list only) misses the priority sub-queues.
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"lists", {"q1"}}}) < celery_q1);
}

TEST_CASE("celery: custom separator, steps and global key prefix", "[celery][integration]") {
  const int db = 9;
  const json options = {{"sep", ":"},
                        {"priority_steps", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
                        {"global_keyprefix", "app1:"}};
  const json report =
      Enqueue(db, {{"transport_options", options},
                   {"send", {{"work", nullptr, 2}, {"work", 4, 3}, {"work", 9, 1}}}});
  INFO(report.dump());
  RedisPool pool;
  const std::string addr = "127.0.0.1:" + std::to_string(SharedServers().redis_port);
  const double ebb_count = Read(pool, {{"address", addr},
                                       {"db", db},
                                       {"celery",
                                        {{"queues", {"work"}},
                                         {"separator", ":"},
                                         {"prioritySteps", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
                                         {"globalKeyprefix", "app1:"}}}});
  CHECK(ebb_count == report["sizes"]["work"].get<double>());
  CHECK(ebb_count == 6);
  // Wrong prefix: nothing found (a config mistake shows up as 0, as with kombu).
  CHECK(Read(pool, {{"address", addr},
                    {"db", db},
                    {"celery", {{"queues", {"work"}}, {"separator", ":"}}}}) == 0);
}

TEST_CASE("celery: reserved-but-unacked tasks are counted per queue with includeUnacked",
          "[celery][integration]") {
  const int db = 10;
  for (const std::string prefix : {"", "p:"}) {
    const json report =
        Enqueue(db, {{"transport_options", {{"global_keyprefix", prefix}}},
                     {"send", {{"q1", nullptr, 5}, {"q1", 6, 2}, {"q2", nullptr, 4}}},
                     {"reserve", json::array({json::array({"q1", 3}), json::array({"q2", 1})})}});
    INFO(report.dump());
    REQUIRE(report["unacked"].get<int>() == 4);
    RedisPool pool;
    const std::string addr = "127.0.0.1:" + std::to_string(SharedServers().redis_port);
    json celery = {{"queues", {"q1"}}, {"globalKeyprefix", prefix}};
    const double waiting = Read(pool, {{"address", addr}, {"db", db}, {"celery", celery}});
    CHECK(waiting == report["sizes"]["q1"].get<double>());
    celery["includeUnacked"] = true;
    const double with_unacked = Read(pool, {{"address", addr}, {"db", db}, {"celery", celery}});
    CHECK(with_unacked == waiting + report["unacked_by_queue"]["q1"].get<double>());
    CHECK(with_unacked == 7);
    celery["queues"] = {"q1", "q2"};
    CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", celery}}) ==
          report["sizes"]["q1"].get<double>() + report["sizes"]["q2"].get<double>() + 4);
  }
}
