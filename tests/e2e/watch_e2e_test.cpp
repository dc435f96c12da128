// End to end (issue 13): the real `ebb` binary behind a counting proxy in front of the real API
// server, as the service account bound only to ebb's ClusterRole. In steady state a queue-driven
// Autoscaler costs no request at all (its target comes from the watch cache: no GET of /scale),
// and a rescale still lands within one interval.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "tests/kube/fault_proxy.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;
using Steady = std::chrono::steady_clock;

namespace {

// A kubeconfig for the service account whose server is the proxy (plain HTTP on loopback).
std::string ProxyKubeconfig(const FaultProxy& p, const std::string& file) {
  std::ofstream(file) << "apiVersion: v1\nkind: Config\nclusters:\n- name: p\n  cluster: {server: "
                      << p.url() << "}\ncontexts:\n- name: p\n  context: {cluster: p, user: u}\n"
                      << "current-context: p\nusers:\n- name: u\n  user: {tokenFile: "
                      << TheCluster().dir << "/sa.token}\n";
  return file;
}

int Count(const std::vector<std::string>& seen, const std::string& method,
          const std::string& needle) {
  int n = 0;
  for (const auto& s : seen)
    if (s.rfind(method + " ", 0) == 0 && s.find(needle) != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("steady state: no GET of /scale, no request at all, and a rescale within one interval",
          "[e2e][kube][watch]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-watch");
  Redis redis;
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("worker", 1)));
  const int interval_s = 2;
  ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: queue}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: )" +
                std::to_string(interval_s) +
                R"(
  metrics:
    - type: Redis
      name: backlog
      redis:
        address: 127.0.0.1:)" +
                std::to_string(redis.port()) + R"(
        lists: [jobs]
        target: {type: AverageValue, averageValue: "5"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
)",
            ns);
  redis.Cli("rpush jobs a b c d e f g h i j");  // 10 jobs: 2 workers
  FaultProxy proxy(TheCluster().Env("KUBE_SERVER"), TheCluster().Env("KUBE_CA"));
  const std::string kc = ProxyKubeconfig(proxy, TheCluster().dir + "/" + ns + ".kubeconfig");
  Process ebb({EBB_BINARY, "run", "--kubeconfig", kc, "--namespace", ns, "--metrics-bind-address",
               "127.0.0.1:" + std::to_string(FreePort()), "--leader-elect=false"},
              TheCluster().dir + "/ebb-" + ns + ".log", {"EBB_LOG_LEVEL=info"});
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 2; }, Seconds(30)));
  // Settled: the status of that rescale written, the caches synced.
  std::this_thread::sleep_for(std::chrono::seconds(2 * interval_s));
  proxy.ClearSeen();
  std::this_thread::sleep_for(std::chrono::seconds(3 * interval_s));
  const auto steady = proxy.Seen();
  int requests = 0;
  for (const auto& s : steady)
    if (s.find("watch=") == std::string::npos) ++requests;
  INFO(ebb.log());
  CHECK(Count(steady, "GET", "/scale") == 0);
  CHECK(Count(steady, "GET", "/pods?") == 0);
  CHECK(requests == 0);  // three reconciles, nothing changed: not one request

  // The backlog doubles: the next reconcile (at most one interval away) scales to 4.
  proxy.ClearSeen();
  redis.Cli("rpush jobs k l m n o p q r s t");
  const auto t0 = Steady::now();
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "worker") == 4; }, Seconds(10)));
  const double took = std::chrono::duration<double>(Steady::now() - t0).count();
  CHECK(took < interval_s + 1.0);
  CHECK(Count(proxy.Seen(), "PATCH", "/deployments/worker/scale") == 1);
  CHECK(Count(proxy.Seen(), "GET", "/scale") == 0);
  ebb.Signal(SIGTERM);
  CHECK(ebb.Wait() == 0);
}
