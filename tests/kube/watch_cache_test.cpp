// The watch caches of issue 13 against the real API server, every request counted by a proxy in
// front of it (fault_proxy.h): scale reads come from the target cache (no GET of /scale once
// synced), the writes and the 409 re-read still go to /scale, an object or a cache that cannot
// answer falls back to a GET within the reconcile, pods come from the pod cache (no pod LIST),
// the informers stop with the last target of their kind, and the client-side rate limit and
// Retry-After hold.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>

#include "controller/kube/discovery.h"
#include "controller/kube/pod_cache.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/kube/target_cache.h"
#include "tests/kube/fault_proxy.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;
using Steady = std::chrono::steady_clock;

namespace {

kube::KubeConfig ThroughProxy(const FaultProxy& p) {
  auto c = kube::LoadKubeconfig(TheCluster().admin_kubeconfig());
  REQUIRE(c);
  c->server = p.url();
  return *c;
}

std::unique_ptr<FaultProxy> NewProxy() {
  return std::make_unique<FaultProxy>(TheCluster().Env("KUBE_SERVER"), TheCluster().Env("KUBE_CA"));
}

// Requests the proxy saw with this method whose target contains `needle` (and not `unless`).
int Seen(const FaultProxy& p, const std::string& method, const std::string& needle,
         const std::string& unless = "\x01") {
  int n = 0;
  for (const auto& s : p.Seen())
    if (s.rfind(method + " ", 0) == 0 && s.find(needle) != std::string::npos &&
        s.find(unless) == std::string::npos)
      ++n;
  return n;
}

std::string ScaleSelector(const std::string& ns, const std::string& name) {
  return GetObject("/apis/apps/v1/namespaces/" + ns + "/deployments/" + name + "/scale")
      .value("status", nlohmann::json::object())
      .value("selector", "");
}

}  // namespace

TEST_CASE("scale reads come from the target cache, writes and the 409 re-read from /scale",
          "[kube][watch]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("watch");
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("web", 2)));
  REQUIRE(WaitFor([&] { return !ScaleSelector(ns, "web").empty(); }, Seconds(20)));
  kube::KubeClient client(ThroughProxy(p));
  kube::Discovery discovery(client);
  kube::TargetCache cache(client);
  const std::string deployments = "/apis/apps/v1/namespaces/" + ns + "/deployments";
  {
    kube::KubeScaleTarget t(client, discovery, ns, {"apps/v1", "Deployment", "web"}, &cache);
    auto first = t.GetScale(Timestamp{});
    REQUIRE(first);
    CHECK(first->spec_replicas == 2);
    CHECK(cache.watching() == std::vector<std::string>{deployments});
    p.ClearSeen();
    for (int i = 0; i < 5; ++i) {
      auto s = t.GetScale(Timestamp{});
      REQUIRE(s);
      CHECK(s->spec_replicas == 2);
    }
    // The selector as the API server writes it into the Scale (the custom metrics read it).
    CHECK(t.selector() == ScaleSelector(ns, "web"));
    // Someone else scales: the cache follows the watch, still without a GET.
    REQUIRE(Admin().MergePatch(deployments + "/web", {{"spec", {{"replicas", 5}}}}));
    CHECK(WaitFor([&] { return t.GetScale(Timestamp{})->spec_replicas == 5; }, Seconds(10)));
    CHECK(Seen(p, "GET", "/scale") == 0);
    CHECK(Seen(p, "GET", "/deployments", "watch=") == 0);  // no re-list either
    // The write goes to /scale, guarded by the cached resourceVersion.
    REQUIRE(t.SetReplicas(3, Timestamp{}));
    // (More than one when the controller manager's status update raced it: a 409, re-read.)
    CHECK(Seen(p, "PATCH", "/deployments/web/scale") >= 1);
    CHECK(SpecReplicas(ns, "web") == 3);
    // A write racing another (409): re-read from the server, not from the possibly lagging cache.
    CHECK(WaitFor([&] { return t.GetScale(Timestamp{})->spec_replicas == 3; }, Seconds(10)));
    REQUIRE(Admin().MergePatch(deployments + "/web", {{"metadata", {{"labels", {{"x", "1"}}}}}}));
    p.ClearSeen();
    REQUIRE(t.SetReplicas(4, Timestamp{}));  // only metadata moved: retried after the re-read
    CHECK(Seen(p, "PATCH", "/deployments/web/scale") >= 2);
    CHECK(Seen(p, "GET", "/deployments/web/scale") >= 1);
    CHECK(Seen(p, "GET", "/deployments/web/scale") ==
          Seen(p, "PATCH", "/deployments/web/scale") - 1);
    CHECK(SpecReplicas(ns, "web") == 4);
  }
  // The last target of the kind is gone: so is its informer.
  CHECK(cache.watching().empty());
  CHECK(cache.size() == 0);
}

TEST_CASE("what the cache cannot answer is read from /scale within the reconcile",
          "[kube][watch]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("watch-miss");
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("web", 2)));
  kube::KubeClient client(ThroughProxy(p));
  kube::Discovery discovery(client);
  kube::TargetCache cache(client);
  SECTION("an object the cache does not hold") {
    kube::KubeScaleTarget web(client, discovery, ns, {"apps/v1", "Deployment", "web"}, &cache);
    REQUIRE(web.GetScale(Timestamp{}));
    kube::KubeScaleTarget ghost(client, discovery, ns, {"apps/v1", "Deployment", "ghost"}, &cache);
    p.ClearSeen();
    auto g = ghost.GetScale(Timestamp{});
    REQUIRE_FALSE(g);
    CHECK(g.error().code == ErrorCode::kNotFound);
    CHECK(Seen(p, "GET", "/deployments/ghost/scale") == 1);
  }
  SECTION("a cache whose first list is slow: the reconcile does not wait for it") {
    Fault slow = Fault::On("/deployments?limit=", 1);
    slow.latency = Seconds(6);
    p.Add(slow);
    kube::KubeScaleTarget web(client, discovery, ns, {"apps/v1", "Deployment", "web"}, &cache);
    const auto t0 = Steady::now();
    auto s = web.GetScale(Timestamp{});
    REQUIRE(s);
    CHECK(s->spec_replicas == 2);
    CHECK(Steady::now() - t0 < std::chrono::milliseconds(4500));  // the sync wait, then a GET
    CHECK(Seen(p, "GET", "/deployments/web/scale") == 1);
  }
}

TEST_CASE("a custom resource is cached at the paths its CRD's scale subresource names",
          "[kube][watch]") {
  InstallCrds();
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("watch-crd");
  const std::string pools = "/apis/test.ebb.dev/v1/namespaces/" + ns + "/workerpools";
  REQUIRE(Admin().Post(pools, {{"apiVersion", "test.ebb.dev/v1"},
                               {"kind", "WorkerPool"},
                               {"metadata", {{"name", "pool"}}},
                               {"spec", {{"replicas", 3}}}}));
  REQUIRE(Admin().MergePatch(pools + "/pool/status",
                             {{"status", {{"replicas", 2}, {"selector", "app=pool"}}}}));
  kube::KubeClient client(ThroughProxy(p));
  kube::Discovery discovery(client);
  kube::TargetCache cache(client);
  kube::KubeScaleTarget t(client, discovery, ns, {"test.ebb.dev/v1", "WorkerPool", "pool"}, &cache);
  REQUIRE(t.GetScale(Timestamp{}));
  CHECK(Seen(p, "GET", "/customresourcedefinitions/workerpools.test.ebb.dev") == 1);
  p.ClearSeen();
  auto s = t.GetScale(Timestamp{});
  REQUIRE(s);
  CHECK(s->spec_replicas == 3);
  CHECK(s->status_replicas == 2);
  CHECK(t.selector() == "app=pool");
  CHECK(Seen(p, "GET", "/scale") == 0);
  REQUIRE(t.SetReplicas(5, Timestamp{}));
  CHECK(GetObject(pools + "/pool")["spec"]["replicas"] == 5);
}

TEST_CASE("pods come from the pod cache: one metrics.k8s.io read, no pod LIST",
          "[kube][watch][resource]") {
  const std::string ns = NewNamespace("watch-pods");
  const auto names = ReadyDeployment(ns, "web", 2);
  REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("other", 1)));
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  kube::KubeClient client(ThroughProxy(p));
  kube::PodCache pods(client);
  decision::Spec spec;
  decision::MetricSpec cpu;
  cpu.type = decision::SourceType::kResource;
  cpu.resource = "cpu";
  spec.metrics.push_back(cpu);
  const std::string selector = ScaleSelector(ns, "web");
  {
    kube::ResourceMetricsReader reader(
        client, ns, spec, [&] { return selector; }, &pods);
    CHECK(pods.watching() == std::vector<std::string>{"/api/v1/namespaces/" + ns + "/pods"});
    const auto cached = pods.Select(ns, *kube::LabelSelector::Parse(selector), Seconds(10));
    REQUIRE(cached);
    // The same pods, in the same order, as the LIST the reader no longer sends.
    const auto listed =
        kube::PodsFromList(GetObject("/api/v1/namespaces/" + ns + "/pods?labelSelector=app%3Dweb"));
    REQUIRE(cached->size() == listed.size());
    REQUIRE(listed.size() == names.size());
    for (std::size_t i = 0; i < listed.size(); ++i) {
      CHECK((*cached)[i].name == listed[i].name);
      CHECK((*cached)[i].ready == listed[i].ready);
      CHECK((*cached)[i].requests.size() == listed[i].requests.size());
    }
    p.ClearSeen();
    decision::Observation obs;
    reader.Read(Timestamp{}, {}, obs);
    CHECK(Seen(p, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods") == 1);
    // No LIST; the informer's own watch request may start after the cache said synced.
    CHECK(Seen(p, "GET", "/api/v1/namespaces/" + ns + "/pods", "watch=") == 0);
  }
  CHECK(pods.watching().empty());
}

TEST_CASE("the client-side rate limit spaces requests, a 429's Retry-After holds a scale write",
          "[kube][watch][faults]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  SECTION("qps 5, burst 2: eight requests take at least 1.2 s") {
    kube::ClientOptions o;
    o.qps = 5;
    o.burst = 2;
    kube::KubeClient client(ThroughProxy(p), o);
    const auto t0 = Steady::now();
    for (int i = 0; i < 8; ++i) REQUIRE(client.Get("/api/v1/namespaces/default"));
    CHECK(Steady::now() - t0 >= std::chrono::milliseconds(1150));
    CHECK(client.stats().rate_limited == 6);
  }
  SECTION("429 with Retry-After on the PATCH of /scale: waited, then written") {
    const std::string ns = NewNamespace("watch-429");
    REQUIRE(Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment("web", 1)));
    kube::KubeClient client(ThroughProxy(p));
    kube::Discovery discovery(client);
    kube::TargetCache cache(client);
    kube::KubeScaleTarget t(client, discovery, ns, {"apps/v1", "Deployment", "web"}, &cache);
    REQUIRE(t.GetScale(Timestamp{}));
    Fault f = Fault::Status("/deployments/web/scale", 1, 429, 2);
    f.method = "PATCH";
    p.Add(f);
    const auto t0 = Steady::now();
    REQUIRE(t.SetReplicas(2, Timestamp{}));
    CHECK(Steady::now() - t0 >= std::chrono::milliseconds(1900));
    CHECK(client.stats().throttled == 1);
    CHECK(SpecReplicas(ns, "web") == 2);
  }
}
