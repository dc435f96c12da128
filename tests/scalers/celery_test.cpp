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
}

TEST_CASE("celery: a wrong prefix, separator or priority steps fails the reading, never reads 0",
          "[celery][integration][kombu]") {
  const int db = 12;
  const json options = {{"sep", ":"},
                        {"priority_steps", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
                        {"global_keyprefix", "app1:"}};
  const json report =
      Enqueue(db, {{"transport_options", options},
                   {"send", {{"work", nullptr, 2}, {"work", 4, 3}, {"work", 9, 1}}}});
  INFO(report.dump());
  const std::string addr = "127.0.0.1:" + std::to_string(SharedServers().redis_port);
  const json right = {{"queues", {"work"}},
                      {"separator", ":"},
                      {"prioritySteps", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
                      {"globalKeyprefix", "app1:"}};
  auto fails = [&](json celery, std::string_view hint) {
    RedisPool pool;
    ScalerDeps deps{nullptr, &pool};
    auto s = MakeScaler("Redis", {{"address", addr}, {"db", db}, {"celery", celery}},
                        "spec.metrics[0].redis", deps);
    REQUIRE(s.has_value());
    auto v = (*s)->Read(kCtx);
    INFO(celery.dump() << " -> " << (v ? std::to_string(*v) : v.error().message));
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().code == ErrorCode::kNotFound);
    CHECK(v.error().message.find(hint) != std::string::npos);
  };
  json c = right;
  c.erase("globalKeyprefix");
  fails(c, "globalKeyprefix");
  c = right;
  c["globalKeyprefix"] = "app2:";
  fails(c, "globalKeyprefix");
  c = right;
  c.erase("separator");
  fails(c, "separator");
  c = right;
  c.erase("prioritySteps");  // kombu's default [0, 3, 6, 9] misses work:4
  fails(c, "prioritySteps");

  // Once drained, the right settings still read 0 (the binding is there), and so does a queue
  // that has never held a task when a Celery worker's own bindings show the prefix is in use.
  RedisCli(SharedServers().redis_port, db, {"DEL app1:work app1:work:4 app1:work:9"});
  RedisPool pool;
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", right}}) == 0);
  json fresh = right;
  fresh["queues"] = {"not-declared-yet"};
  fails(fresh, "globalKeyprefix");
  RedisCli(SharedServers().redis_port, db,
           {"SADD app1:_kombu.binding.celery.pidbox \":celery@host.celery.pidbox\""});
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", fresh}}) == 0);
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

TEST_CASE("celery: unacked tasks of a queue bound to a topic exchange are counted",
          "[celery][integration][kombu]") {
  const int db = 13;
  const json report = Enqueue(
      db, {{"declare",
            {{{"queue", "reports_q"},
              {"exchange", "reports"},
              {"type", "topic"},
              {"binding", "reports.#"}},
             {{"queue", "other_q"},
              {"exchange", "reports"},
              {"type", "topic"},
              {"binding", "audit.*"}}}},
           {"send",
            {{{"queue", "reports_q"}, {"routing_key", "reports.daily"}, {"count", 5}},
             {{"queue", "other_q"}, {"routing_key", "audit.weekly"}, {"count", 4}}}},
           {"reserve", json::array({json::array({"reports_q", 3}), json::array({"other_q", 1})})}});
  INFO(report.dump());
  REQUIRE(report["sizes"]["reports_q"].get<int>() == 2);  // sanity: kombu routed by pattern
  REQUIRE(report["sizes"]["other_q"].get<int>() == 3);
  REQUIRE(report["unacked"].get<int>() == 4);
  RedisPool pool;
  const std::string addr = "127.0.0.1:" + std::to_string(SharedServers().redis_port);
  json celery = {{"queues", {"reports_q"}}, {"includeUnacked", true}};
  // kombu matches "reports.daily" against the binding "reports.#"; an exact comparison saw 2.
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", celery}}) == 5);
  celery["queues"] = {"other_q"};
  CHECK(Read(pool, {{"address", addr}, {"db", db}, {"celery", celery}}) == 4);
}

TEST_CASE("celery: ETA/countdown tasks a worker holds are not backlog until due",
          "[celery][integration][kombu]") {
  const int db = 14;
  const json report = Enqueue(db, {{"send",
                                    {{{"queue", "sched"}, {"count", 10}},
                                     {{"queue", "sched"}, {"countdown", 3600}, {"count", 30}}}},
                                   {"reserve", json::array({json::array({"sched", 40})})}});
  INFO(report.dump());
  REQUIRE(report["unacked"].get<int>() == 40);
  RedisPool pool;
  const std::string addr = "127.0.0.1:" + std::to_string(SharedServers().redis_port);
  ScalerDeps deps{nullptr, &pool};
  auto read_at = [&](json celery, Timestamp now) {
    auto s = MakeScaler("Redis", {{"address", addr}, {"db", db}, {"celery", celery}},
                        "spec.metrics[0].redis", deps);
    REQUIRE(s.has_value());
    auto v = (*s)->Read(ReadContext{now, now + Seconds(5)});
    INFO((v ? "" : v.error().message));
    REQUIRE(v.has_value());
    return *v;
  };
  const Timestamp now = SystemClock().Now();
  json celery = {{"queues", {"sched"}}, {"includeUnacked", true}};
  CHECK(read_at(celery, now) == 10);
  // Due once `now` passes the ETA.
  CHECK(read_at(celery, now + Seconds(2 * 3600)) == 40);
  celery["countScheduled"] = true;
  CHECK(read_at(celery, now) == 40);
}

TEST_CASE("celery: a queue listed twice is rejected with its field path", "[celery][config]") {
  RedisPool pool;
  ScalerDeps deps{nullptr, &pool};
  auto s = MakeScaler("Redis",
                      {{"address", "127.0.0.1:6379"}, {"celery", {{"queues", {"a", "b", "a"}}}}},
                      "spec.metrics[0].redis", deps);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == ErrorCode::kInvalidConfig);
  CHECK(s.error().message.find("spec.metrics[0].redis.celery.queues[2]") != std::string::npos);
  CHECK(s.error().message.find("queues[0]") != std::string::npos);
}
