// Credentials per namespace, end to end: the real `ebb run` as the tests' service account with
// components/secrets-reader-namespaced bound in one namespace, a password-protected redis-server,
// and the Redis password in a Secret of the Autoscaler's namespace. It scales; a rotation of the
// Secret and of Redis' password is followed without a restart; a missing Secret, a missing key and
// a namespace without the RBAC each fail their metric naming the Secret and key (status, Event,
// log, ebb_scaler_errors_total) and never scale down; no secret value reaches the log, the status
// or an Event.
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

std::string Random(const std::string& p) {
  static std::mt19937 rng{std::random_device{}()};
  return p + std::to_string(rng() % 100000000);
}

void PutSecret(const std::string& ns, const std::string& name, const std::string& value) {
  ApplyYaml("apiVersion: v1\nkind: Secret\nmetadata: {name: " + name +
                "}\ntype: Opaque\nstringData: {password: \"" + value + "\"}\n",
            ns);
}

void CreateAutoscaler(const std::string& ns, const std::string& name, int port,
                      const std::string& secret, const std::string& key) {
  ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: )" +
                name + R"(}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: )" +
                name + R"(}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: 1
  metrics:
    - type: Redis
      name: jobs
      redis:
        address: 127.0.0.1:)" +
                std::to_string(port) + R"(
        passwordSecretKeyRef: {name: )" +
                secret + ", key: " + key + R"(}
        lists: [jobs]
        target: {type: AverageValue, averageValue: "5"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
)",
            ns);
}

nlohmann::json Condition(const nlohmann::json& obj, const std::string& type) {
  for (const auto& c :
       obj.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == type) return c;
  return nlohmann::json::object();
}

std::string ConditionMessage(const std::string& ns, const std::string& name) {
  return Condition(GetObject("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/" + name),
                   "ScalingActive")
      .value("message", "");
}

std::string Events(const std::string& ns) {
  return GetObject("/api/v1/namespaces/" + ns + "/events").dump();
}

}  // namespace

TEST_CASE(
    "a Redis password from a Secret of the Autoscaler's namespace: scales, follows a rotation "
    "without a restart, names a Secret or key it cannot read, never shows the value",
    "[e2e][kube][secrets]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-secret");
  const std::string norbac = NewNamespace("e2e-secret-norbac");
  ApplySecretsReaderRbac(ns);  // the shipped component, in `ns` only
  const std::string first = Random("first-pw-");
  const std::string second = Random("second-pw-");

  Redis redis;
  redis.Cli("CONFIG SET requirepass " + first);
  const auto cli = [&](const std::string& pw, const std::string& args) {
    return redis.Cli("-a " + pw + " --no-auth-warning " + args);
  };
  for (int i = 0; i < 20; ++i) cli(first, "RPUSH jobs j" + std::to_string(i));
  PutSecret(ns, "redis-auth", first);
  PutSecret(norbac, "redis-auth", first);

  // worker: reads its password from the Secret. absent / nokey: a Secret or key that is not
  // there. forbidden: a namespace whose Secrets the controller may not get. The last three start
  // at 4 replicas with an empty list, which a reading would scale down to 1.
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("worker", 1)));
  for (const char* d : {"absent", "nokey"}) {
    REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment(d, 4)));
  }
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + norbac + "/deployments",
                       Deployment("forbidden", 4)));
  CreateAutoscaler(ns, "worker", redis.port(), "redis-auth", "password");
  CreateAutoscaler(ns, "absent", redis.port(), "no-such-secret", "password");
  CreateAutoscaler(ns, "nokey", redis.port(), "redis-auth", "passwd");
  CreateAutoscaler(norbac, "forbidden", redis.port(), "redis-auth", "password");

  const int metrics_port = FreePort();
  const std::string log_file = TheCluster().dir + "/ebb-" + ns + ".log";
  Process ebb({EBB_BINARY, "run", "--kubeconfig", TheCluster().sa_kubeconfig(), "--namespace",
               ns + "," + norbac, "--metrics-bind-address",
               "127.0.0.1:" + std::to_string(metrics_port), "--leader-election-namespace",
               "ebb-system", "--leader-election-id", Random("lease-"), "--identity", "secrets"},
              log_file, {"EBB_LOG_LEVEL=debug"});

  // 20 jobs at 5 per replica.
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 4; }, Seconds(30)));

  // Rotation: the Secret first, then Redis, then every client connection dropped, so ebb must
  // authenticate again -- a connection made with the old password now fails (WRONGPASS).
  const auto rotated_at = std::chrono::steady_clock::now();
  PutSecret(ns, "redis-auth", second);
  cli(first, "CONFIG SET requirepass " + second);
  cli(second, "CLIENT KILL TYPE normal");
  for (int i = 20; i < 40; ++i) cli(second, "RPUSH jobs j" + std::to_string(i));
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 8; }, Seconds(40)));
  const auto followed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - rotated_at).count();
  WARN("rotation followed in " << followed_s << " s (SecretCache ttl 10 s)");
  CHECK(ebb.running());  // no restart

  // The unreadable ones: named reason in status, no scale-down.
  REQUIRE(WaitFor(
      [&] {
        return ConditionMessage(ns, "absent").find("does not exist") != std::string::npos &&
               ConditionMessage(ns, "nokey").find("has no such key") != std::string::npos &&
               ConditionMessage(norbac, "forbidden").find("forbidden") != std::string::npos;
      },
      Seconds(30)));
  const std::string absent = ConditionMessage(ns, "absent");
  const std::string nokey = ConditionMessage(ns, "nokey");
  const std::string forbidden = ConditionMessage(norbac, "forbidden");
  INFO(absent << "\n" << nokey << "\n" << forbidden);
  CHECK(absent.find("redis.passwordSecretKeyRef: Secret " + ns +
                    "/no-such-secret key password: the Secret does not exist") !=
        std::string::npos);
  CHECK(nokey.find("Secret " + ns + "/redis-auth key passwd: the Secret has no such key") !=
        std::string::npos);
  CHECK(forbidden.find("Secret " + norbac + "/redis-auth key password: forbidden") !=
        std::string::npos);
  CHECK(forbidden.find("manifests/components/secrets-reader") != std::string::npos);
  const auto obj = GetObject("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/absent");
  CHECK(Condition(obj, "ScalingActive").value("reason", "") == "FailedGetRedisMetric");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // more polls: still no scale-down
  CHECK(SpecReplicas(ns, "absent") == 4);
  CHECK(SpecReplicas(ns, "nokey") == 4);
  CHECK(SpecReplicas(norbac, "forbidden") == 4);

  // Event and metric.
  const std::string events = Events(ns) + Events(norbac);
  CHECK(events.find("Secret " + ns + "/no-such-secret key password") != std::string::npos);
  CHECK(events.find("FailedGetRedisMetric") != std::string::npos);
  const std::string metrics =
      Shell("curl -s --noproxy '*' http://127.0.0.1:" + std::to_string(metrics_port) +
            "/metrics || true");
  bool counted = false;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    counted = counted || (line.starts_with("ebb_scaler_errors_total{") &&
                          line.find("autoscaler=\"absent\"") != std::string::npos);
  }
  CHECK(counted);

  // The log names the Secrets and keys, and holds no value (debug level: the most it says).
  const std::string log = ebb.log();
  CHECK(log.find("no-such-secret key password") != std::string::npos);
  for (const std::string& value : {first, second}) {
    CHECK(log.find(value) == std::string::npos);
    CHECK(events.find(value) == std::string::npos);
    for (const char* n : {"worker", "absent", "nokey"}) {
      CHECK(GetObject("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/" + n)
                .dump()
                .find(value) == std::string::npos);
    }
  }
}
