// The Kubernetes adapters against the real kube-apiserver (fixture `kube_cluster`).
#include "controller/kube/kube_client.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "controller/kube/discovery.h"
#include "controller/kube/event_recorder.h"
#include "controller/kube/informer.h"
#include "controller/kube/leader_election.h"
#include "controller/kube/scale_target.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

kube::KubeConfig Config(const std::string& kubeconfig) {
  auto c = kube::LoadKubeconfig(kubeconfig);
  REQUIRE(c);
  return *c;
}

void CreateDeployment(const std::string& ns, const std::string& name, int replicas) {
  auto r =
      Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment(name, replicas));
  REQUIRE(r);
}

}  // namespace

TEST_CASE("kubeconfig with a token, a client certificate, and in-cluster files all work",
          "[kube][client]") {
  for (const auto& path : {TheCluster().admin_kubeconfig(), TheCluster().cert_kubeconfig()}) {
    kube::KubeClient c(Config(path));
    auto ns = c.Get("/api/v1/namespaces/default");
    REQUIRE(ns);
    CHECK((*ns)["metadata"]["name"] == "default");
  }
  // In-cluster: the service account files and KUBERNETES_SERVICE_HOST/PORT.
  const std::string sa = TheCluster().dir + "/fake-sa";
  std::filesystem::create_directories(sa);
  std::filesystem::copy_file(TheCluster().dir + "/sa.token", sa + "/token",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(TheCluster().Env("KUBE_CA"), sa + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(sa + "/namespace") << "ebb-system\n";
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", TheCluster().Env("KUBE_API_PORT").c_str(), 1);
  auto cfg = kube::LoadInCluster(sa);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  REQUIRE(cfg);
  CHECK(cfg->namespace_name == "ebb-system");
  kube::KubeClient c(*cfg);
  auto lease = c.Get("/apis/autoscaling/v1/horizontalpodautoscalers");
  REQUIRE(lease);
}

TEST_CASE("a rotated service-account token is picked up on 401 without a restart",
          "[kube][client]") {
  const std::string tok = TheCluster().dir + "/rotating.token";
  std::ofstream(tok) << "not-a-valid-token";
  auto cfg = Config(TheCluster().sa_kubeconfig());
  cfg.token_file = tok;
  kube::KubeClient c(cfg);
  auto denied = c.Get("/apis/autoscaling/v1/horizontalpodautoscalers");
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == ErrorCode::kPermissionDenied);
  std::filesystem::copy_file(TheCluster().dir + "/sa.token", tok,
                             std::filesystem::copy_options::overwrite_existing);
  CHECK(c.Get("/apis/autoscaling/v1/horizontalpodautoscalers"));
}

TEST_CASE("HTTP statuses map to typed errors naming the object", "[kube][client]") {
  kube::KubeClient c(Config(TheCluster().admin_kubeconfig()));
  auto missing = c.Get("/apis/apps/v1/namespaces/default/deployments/no-such-thing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("no-such-thing") != std::string::npos);
  auto invalid =
      c.Post("/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "BAD NAME"}}}});
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().code == ErrorCode::kInvalidConfig);
}

TEST_CASE("discovery resolves any kind with a scale subresource", "[kube][discovery]") {
  InstallCrds();
  kube::KubeClient c(Config(TheCluster().admin_kubeconfig()));
  kube::Discovery d(c);
  auto dep = d.Resolve("apps/v1", "Deployment");
  REQUIRE(dep);
  CHECK(dep->resource == "deployments");
  CHECK(dep->ObjectPath("x", "web") == "/apis/apps/v1/namespaces/x/deployments/web");
  CHECK(d.Resolve("apps/v1", "StatefulSet"));
  CHECK(d.Resolve("apps/v1", "ReplicaSet"));
  auto crd = d.Resolve("test.ebb.dev/v1", "WorkerPool");
  REQUIRE(crd);
  CHECK(crd->resource == "workerpools");
  auto cm = d.Resolve("v1", "ConfigMap");
  REQUIRE_FALSE(cm);
  CHECK(cm.error().message.find("no scale subresource") != std::string::npos);
  auto unknown = d.Resolve("nope.example/v1", "Thing");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kInvalidConfig);
}

TEST_CASE("KubeScaleTarget reads and patches the scale of a Deployment and a custom resource",
          "[kube][scale]") {
  InstallCrds();
  const std::string ns = NewNamespace("scale");
  CreateDeployment(ns, "web", 2);
  kube::KubeClient c(Config(TheCluster().sa_kubeconfig()));  // as the controller: RBAC applies
  kube::Discovery d(c);
  kube::KubeScaleTarget t(c, d, ns, {"apps/v1", "Deployment", "web"});
  auto s = t.GetScale(Timestamp{});
  REQUIRE(s);
  CHECK(s->spec_replicas == 2);
  CHECK(t.selector() == "app=web");
  REQUIRE(t.SetReplicas(4, Timestamp{}));
  CHECK(SpecReplicas(ns, "web") == 4);

  ApplyYaml(R"(apiVersion: test.ebb.dev/v1
kind: WorkerPool
metadata: {name: pool}
spec: {replicas: 1}
)",
            ns);
  kube::KubeScaleTarget pool(c, d, ns, {"test.ebb.dev/v1", "WorkerPool", "pool"});
  auto ps = pool.GetScale(Timestamp{});
  REQUIRE(ps);
  CHECK(ps->spec_replicas == 1);
  REQUIRE(pool.SetReplicas(3, Timestamp{}));
  CHECK(GetObject("/apis/test.ebb.dev/v1/namespaces/" + ns +
                  "/workerpools/pool")["spec"]["replicas"] == 3);
}

TEST_CASE("a scale changed by someone else after the read is a conflict, not an overwrite",
          "[kube][scale]") {
  const std::string ns = NewNamespace("conflict");
  CreateDeployment(ns, "web", 2);
  kube::KubeClient c(Config(TheCluster().sa_kubeconfig()));
  kube::Discovery d(c);
  kube::KubeScaleTarget t(c, d, ns, {"apps/v1", "Deployment", "web"});
  REQUIRE(t.GetScale(Timestamp{}));
  // Someone scales it by hand between our read and our patch.
  REQUIRE(Admin().MergePatch("/apis/apps/v1/namespaces/" + ns + "/deployments/web/scale",
                             {{"spec", {{"replicas", 7}}}}));
  auto r = t.SetReplicas(3, Timestamp{});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kConflict);
  CHECK(SpecReplicas(ns, "web") == 7);

  // Only metadata moved (a label): spec.replicas is what we saw, so the patch is retried.
  REQUIRE(t.GetScale(Timestamp{}));
  REQUIRE(Admin().MergePatch("/apis/apps/v1/namespaces/" + ns + "/deployments/web",
                             {{"metadata", {{"labels", {{"touched", "yes"}}}}}}));
  REQUIRE(t.SetReplicas(3, Timestamp{}));
  CHECK(SpecReplicas(ns, "web") == 3);
}

TEST_CASE("the informer lists, then watches adds, updates and deletes", "[kube][informer]") {
  const std::string ns = NewNamespace("inf");
  CreateDeployment(ns, "a", 1);
  kube::KubeClient c(Config(TheCluster().admin_kubeconfig()));
  std::mutex mu;
  std::vector<std::string> seen;
  kube::Informer inf(c, "/apis/apps/v1/namespaces/" + ns + "/deployments",
                     [&](const std::string& k, const nlohmann::json* o) {
                       std::lock_guard lock(mu);
                       seen.push_back((o ? "set " : "del ") + k);
                     });
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  CHECK(inf.Get(ns + "/a"));
  CreateDeployment(ns, "b", 1);
  REQUIRE(WaitFor([&] { return inf.Get(ns + "/b").has_value(); }, Seconds(10)));
  REQUIRE(Admin().Delete("/apis/apps/v1/namespaces/" + ns + "/deployments/a"));
  REQUIRE(WaitFor([&] { return !inf.Get(ns + "/a").has_value(); }, Seconds(10)));
  inf.Stop();
  std::lock_guard lock(mu);
  CHECK(std::find(seen.begin(), seen.end(), "del " + ns + "/a") != seen.end());
}

TEST_CASE("the informer delivers each list page before it asks for the next", "[kube][informer]") {
  // Holding every page until the last held a whole collection as JSON trees (30,000
  // Autoscalers: ~115 MB at a replica's start).
  const std::string ns = NewNamespace("pages");
  for (const char* n : {"a", "b", "c", "d", "e"}) CreateDeployment(ns, n, 1);
  kube::KubeClient c(Config(TheCluster().admin_kubeconfig()));
  std::mutex mu;
  std::vector<std::string> order;  // "list" per page asked for, "set" per object delivered
  c.set_observer([&](const kube::ApiCall& call) {
    std::lock_guard lock(mu);
    if (call.request.verb == "list") order.push_back("list");
  });
  kube::InformerOptions io;
  io.list_page_size = 2;
  kube::Informer inf(
      c, "/apis/apps/v1/namespaces/" + ns + "/deployments",
      [&](const std::string&, const nlohmann::json* o) {
        std::lock_guard lock(mu);
        if (o) order.push_back("set");
      },
      io);
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  inf.Stop();
  std::lock_guard lock(mu);
  std::string text;
  for (const auto& o : order) text += o + " ";
  INFO(text);
  CHECK(text.rfind("list set set list set set list set ", 0) == 0);
}

TEST_CASE("Events: a repeat bumps the count of the same Event", "[kube][events]") {
  const std::string ns = NewNamespace("ev");
  kube::KubeClient c(Config(TheCluster().sa_kubeconfig()));
  kube::EventRecorder rec(c, "ebb", "test");
  kube::ObjectRef ref{"ebb.dev/v1alpha1", "Autoscaler", ns, "a", "uid-1"};
  const Timestamp now = SystemClock().Now();
  REQUIRE(rec.Record(ref, "Warning", "FailedGetRedisMetric", "connection refused", now));
  REQUIRE(
      rec.Record(ref, "Warning", "FailedGetRedisMetric", "connection refused", now + Seconds(1)));
  auto list = Admin().Get("/api/v1/namespaces/" + ns + "/events");
  REQUIRE(list);
  REQUIRE((*list)["items"].size() == 1);
  CHECK((*list)["items"][0]["count"] == 2);
  CHECK((*list)["items"][0]["involvedObject"]["kind"] == "Autoscaler");
}

TEST_CASE("leader election: one leader, release hands over at once, a crash within the lease",
          "[kube][leader]") {
  kube::KubeClient c(Config(TheCluster().sa_kubeconfig()));
  const std::string name =
      "le-" + std::to_string(::getpid()) + "-" + std::to_string(rand() % 10000);
  auto cfg = [&](const std::string& id) {
    kube::LeaderElectionConfig lc;
    lc.ns = "ebb-system";
    lc.name = name;
    lc.identity = id;
    lc.lease_duration = Seconds(3);
    lc.renew_deadline = Seconds(2);
    lc.retry_period = Duration(300);
    return lc;
  };
  auto a = std::make_unique<kube::LeaderElector>(c, cfg("a"), nullptr);
  kube::LeaderElector b(c, cfg("b"), nullptr);
  a->Start();
  REQUIRE(WaitFor([&] { return a->is_leader(); }, Seconds(5)));
  b.Start();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK_FALSE(b.is_leader());
  const auto t0 = std::chrono::steady_clock::now();
  a->Stop(/*release=*/true);
  REQUIRE(WaitFor([&] { return b.is_leader(); }, Seconds(5)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));  // not a lease wait
  auto lease = GetObject("/apis/coordination.k8s.io/v1/namespaces/ebb-system/leases/" + name);
  CHECK(lease["spec"]["holderIdentity"] == "b");
  CHECK(lease["spec"]["leaseTransitions"].get<int>() >= 1);

  // A "crash" (stop without release): c takes over only after the lease expires.
  kube::LeaderElector cc(c, cfg("c"), nullptr);
  b.Stop(/*release=*/false);
  const auto t1 = std::chrono::steady_clock::now();
  cc.Start();
  REQUIRE(WaitFor([&] { return cc.is_leader(); }, Seconds(8)));
  const auto took = std::chrono::steady_clock::now() - t1;
  CHECK(took >= std::chrono::milliseconds(2500));
  CHECK(took <= std::chrono::seconds(5));
  cc.Stop(true);
}

TEST_CASE("RBAC: the service account can do what ebb needs and nothing else", "[kube][rbac]") {
  kube::KubeClient c(Config(TheCluster().sa_kubeconfig()));
  auto secrets = c.Get("/api/v1/namespaces/default/secrets");
  REQUIRE_FALSE(secrets);
  CHECK(secrets.error().code == ErrorCode::kPermissionDenied);
  // Workloads are listed and watched (the target cache) and scaled through /scale only: no GET
  // of one, no write.
  CHECK(c.Get("/apis/apps/v1/namespaces/default/deployments"));
  auto deployment = c.Get("/apis/apps/v1/namespaces/default/deployments/web");
  REQUIRE_FALSE(deployment);
  CHECK(deployment.error().code == ErrorCode::kPermissionDenied);
  auto patched = c.MergePatch("/apis/apps/v1/namespaces/default/deployments/web",
                              {{"spec", {{"replicas", 1}}}});
  REQUIRE_FALSE(patched);
  CHECK(patched.error().code == ErrorCode::kPermissionDenied);
  CHECK(c.Get("/apis/autoscaling/v1/horizontalpodautoscalers"));
  InstallCrds();
  CHECK(c.Get("/apis/ebb.dev/v1alpha1/autoscalers"));
}
