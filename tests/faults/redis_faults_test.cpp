// Fault matrix, Redis rows: the real `ebb run` against a real redis-server, directly (wrong
// password, wrong key type, ACL denied, down) or through a TCP proxy that cuts connections or
// dribbles bytes. Invariants: replicas never leave [min, max] and never go down on a failed
// read; the process stays up and says why (condition, Event, log line, error metric).
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/faults/fault_support.h"
#include "tests/faults/proxies.h"

using namespace ebb;
using namespace ebb::testing;
using Steady = std::chrono::steady_clock;

namespace {

double Since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

}  // namespace

TEST_CASE("Redis wrong password, wrong key type, ACL denied, down: replicas held, reason said",
          "[faults][redis]") {
  InstallCrds();
  const std::string ns = NewNamespace("faults-redis");
  AuthRedis redis;
  redis.Cli(Push("jobs", 30));  // 30 / 5 per replica = 6
  redis.Cli("set notalist x");
  const int dead_port = FreePort();
  struct Row {
    std::string name, user, env, key;
    int port;
    std::string says;
  };
  const std::vector<Row> rows = {
      {"wrongpass", "ebb", "REDIS_WRONG", "jobs", redis.port(), "WRONGPASS"},
      {"wrongtype", "ebb", "REDIS_EBB", "notalist", redis.port(), "WRONGTYPE"},
      {"acl", "limited", "REDIS_LIMITED", "jobs", redis.port(), "NOPERM"},
      {"down", "ebb", "REDIS_EBB", "jobs", dead_port, "refused"},
      {"control", "ebb", "REDIS_EBB", "jobs", redis.port(), ""},
  };
  std::vector<std::string> names;
  for (const auto& r : rows) {
    names.push_back(r.name);
    CreateTarget(ns, r.name, 4);
    ApplyYaml(AutoscalerYaml(r.name, RedisMetric(r.port,
                                                 "        username: " + r.user +
                                                     "\n        passwordFromEnv: " + r.env + "\n",
                                                 "lists: [" + r.key + "]")),
              ns);
  }
  ReplicaMonitor mon(ns, names);
  Ctl ctl(ns, "redis", {},
          {"REDIS_WRONG=not-the-password", "REDIS_EBB=ebb-secret", "REDIS_LIMITED=limited-secret"});
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "control") == 6; }, Seconds(30)));
  for (const auto& r : rows) {
    if (r.says.empty()) continue;
    INFO(r.name << "; log:\n" << ctl.log());
    const std::string msg =
        WaitForReason(ns, r.name, "ScalingActive", "FailedGetRedisMetric", Seconds(20));
    CHECK(msg.find(r.says) != std::string::npos);
    CHECK(Condition(Status(ns, r.name), "Ready")["status"] == "False");
    const auto ev = EventsFor(ns, r.name, "FailedGetRedisMetric");
    REQUIRE(!ev.empty());
    CHECK(ev[0]["type"] == "Warning");
    CHECK(ev[0]["message"].get<std::string>().find(r.says) != std::string::npos);
    // A few failed reads in a row, each counted; none moves the replicas.
    const std::string errors =
        "ebb_scaler_errors_total{autoscaler=\"" + r.name + "\",metric=\"backlog\"";
    CHECK(WaitFor([&] { return ctl.Metric(errors) >= 3; }, Seconds(15)));
    // The log says it once, naming the Autoscaler and the reason (not at every poll).
    const std::string log = ctl.log();
    CHECK(log.find(ns + "/" + r.name) != std::string::npos);
    CHECK(Count(log, r.says) >= 1);
  }
  for (const auto& r : rows) {
    if (r.says.empty()) continue;
    INFO(r.name << ": " << mon.History(r.name));
    CHECK(mon.min(r.name) == 4);
    CHECK(mon.max(r.name) == 4);
  }
  CHECK(mon.max("control") == 6);
  CHECK(ctl.proc->running());

  // Fixed at the source: the next read acts on it (10 tasks -> 2) and the condition clears.
  redis.Cli("del notalist");
  redis.Cli(Push("notalist", 10));
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "wrongtype") == 2; }, Seconds(15)));
  CHECK(WaitForReason(ns, "wrongtype", "ScalingActive", "ValidMetricFound", Seconds(10)) != "");
  // The line is written after the patch and the status write that the waits above saw.
  CHECK(WaitFor([&] { return ctl.log().find(": read again") != std::string::npos; }, Seconds(10)));
}

TEST_CASE("flaky Redis (connections cut): never a scale-down on a failed read, good reads act",
          "[faults][redis]") {
  InstallCrds();
  const std::string ns = NewNamespace("faults-flaky");
  Redis redis;
  TcpFaultProxy proxy(redis.port());
  redis.Cli(Push("jobs", 15));  // 3 replicas
  CreateTarget(ns, "worker", 1);
  ApplyYaml(AutoscalerYaml("worker", RedisMetric(proxy.port(), "", "lists: [jobs]")), ns);
  Ctl ctl(ns, "flaky");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 3; }, Seconds(20)));

  // Every other connection is refused at once, the rest are cut after 1.5 s: at 1 s polls a
  // good share of the reads fail, at every stage of a read.
  proxy.Set(TcpFault::kFlaky, Seconds(1), Duration(1500));
  ReplicaMonitor mon(ns, {"worker"});
  const int cuts0 = proxy.cuts();
  const std::string errors = "ebb_scaler_errors_total{autoscaler=\"worker\",metric=\"backlog\"";
  REQUIRE(
      WaitFor([&] { return proxy.cuts() >= cuts0 + 4 && ctl.Metric(errors) >= 2; }, Seconds(30)));
  INFO(mon.History("worker") << "\nlog:\n" << ctl.log());
  CHECK(mon.min("worker") == 3);
  CHECK(mon.max("worker") == 3);

  // The queue drains while the connections keep failing: the good reads still bring it down.
  redis.Cli("del jobs");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 1; }, Seconds(30)));
  CHECK(mon.max("worker") == 3);
  CHECK(ctl.proc->running());
}

// Needs the "one deadline per read" fix (issue 8, item 3): fails on 15046eb, where each byte
// arriving within the socket timeout restarts it and one read takes many seconds.
TEST_CASE("slow Redis (one byte a second): the read ends at its deadline, SIGTERM is prompt",
          "[faults][redis]") {
  InstallCrds();
  const std::string ns = NewNamespace("faults-slowredis");
  Redis redis;
  TcpFaultProxy proxy(redis.port());
  redis.Cli(Push("celery", 40));  // 8 replicas
  CreateTarget(ns, "worker", 1);
  ApplyYaml(AutoscalerYaml("worker", RedisMetric(proxy.port(), "        timeout: 2\n",
                                                 "celery: {queues: [celery]}")),
            ns);
  Ctl ctl(ns, "slowredis");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 8; }, Seconds(20)));

  proxy.Set(TcpFault::kDribble, Seconds(1));
  ReplicaMonitor mon(ns, {"worker"});
  const auto slowed = Steady::now();
  // The poll deadline is min(timeout 2 s, --metrics-timeout 5 s, interval 1 s): the failure
  // shows within a few seconds, not after the dozens of bytes of a Celery read.
  const std::string msg =
      WaitForReason(ns, "worker", "ScalingActive", "FailedGetRedisMetric", Seconds(8));
  INFO("after " << Since(slowed) << " s: " << msg << "\nlog:\n" << ctl.log());
  CHECK((msg.find("imeout") != std::string::npos || msg.find("timed out") != std::string::npos ||
         msg.find("deadline") != std::string::npos));
  CHECK(Since(slowed) < 8.0);
  CHECK(SpecReplicas(ns, "worker") == 8);
  CHECK(mon.min("worker") == 8);

  // Shutdown within a fixed bound whatever the source does: the read in flight ends at its
  // deadline (1 s) and the rest of the shutdown is quick.
  const auto term = Steady::now();
  ctl.proc->Signal(SIGTERM);
  CHECK(ctl.proc->Wait() == 0);
  CHECK(Since(term) < 4.0);
}
