// The watch caches of issue 13 against the real API server, every request counted by a proxy in
// front of it (fault_proxy.h): scale reads come from the target cache (no GET of /scale once
// synced), the writes and the 409 re-read still go to /scale, an object or a cache that cannot
// answer falls back to a GET within the reconcile, pods come from the pod cache (no pod LIST),
// the informers stop with the last target of their kind, and the client-side rate limit and
// Retry-After hold.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "controller/kube/discovery.h"
#include "controller/kube/pod_cache.h"
#include "controller/kube/pod_metrics_cache.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/kube/target_cache.h"
#include "controller/net/http_client.h"
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

TEST_CASE("the pod cache selects by its label index exactly the pods the API server selects",
          "[kube][watch][resource]") {
  const std::string ns = NewNamespace("watch-index");
  auto pod = [&](const std::string& name, const nlohmann::json& labels) {
    REQUIRE(Admin().Post("/api/v1/namespaces/" + ns + "/pods",
                         {{"metadata", {{"name", name}, {"labels", labels}}},
                          {"spec", {{"containers", {{{"name", "c"}, {"image", "x"}}}}}}}));
  };
  pod("p1", {{"app", "web"}, {"tier", "a"}});
  pod("p2", {{"app", "web"}, {"tier", "b"}});
  pod("p3", {{"app", "api"}});
  pod("p4", {{"other", "web"}});  // the value without the key: never an "app=web" match
  kube::KubeClient client(kube::LoadKubeconfig(TheCluster().admin_kubeconfig()).value());
  kube::PodCache pods(client);
  const auto lease = pods.Acquire(ns);
  // Equality terms (indexed), set-based and existence requirements (tested on the candidates or
  // on every pod), and their mixes.
  const std::vector<std::string> selectors = {
      "app=web",          "app==web,tier=a", "app in (web)", "app=web,tier in (a,b)",
      "app in (web,api)", "app=web,tier!=a", "tier",         "!tier",
      "app=web,!tier",    "app=nothing",     "other=web",    "app notin (web)"};
  auto agree = [&] {
    for (const auto& text : selectors) {
      INFO(text);
      const auto cached = pods.Select(ns, *kube::LabelSelector::Parse(text), Seconds(10));
      REQUIRE(cached);
      std::vector<std::string> got, want;
      for (const auto& p : *cached) got.push_back(p.name);
      for (const auto& p : kube::PodsFromList(GetObject(
               "/api/v1/namespaces/" + ns + "/pods?labelSelector=" + net::UrlEncode(text))))
        want.push_back(p.name);
      CHECK(got == want);
    }
  };
  REQUIRE(WaitFor([&] { return pods.size() == 4; }, Seconds(10)));
  agree();
  // A relabelled pod moves in the index (one indexed only as first seen would be missing from
  // "app=api"); a deleted one is gone.
  REQUIRE(Admin().MergePatch("/api/v1/namespaces/" + ns + "/pods/p2",
                             {{"metadata", {{"labels", {{"app", "api"}, {"tier", nullptr}}}}}}));
  REQUIRE(Admin().Delete("/api/v1/namespaces/" + ns + "/pods/p1"));
  REQUIRE(WaitFor(
      [&] {
        const auto web = pods.Select(ns, *kube::LabelSelector::Parse("app=web"), Seconds(1));
        return web && web->empty() && pods.size() == 3;
      },
      Seconds(20)));
  agree();
}

TEST_CASE("a namespace's pod metrics are read once for all its Resource Autoscalers",
          "[kube][watch][resource]") {
  const std::string ns = NewNamespace("watch-podmetrics");
  const auto web = ReadyDeployment(ns, "web", 2);
  const auto api = ReadyDeployment(ns, "api", 1);
  // Usage per pod: web's at 100m each, api's at 300m, plus a pod no selector matches.
  nlohmann::json usage = nlohmann::json::object();
  for (const auto& pod : web) usage[pod] = {{"main", {{"cpu", "100m"}}}};
  for (const auto& pod : api) usage[pod] = {{"main", {{"cpu", "300m"}}}};
  usage["stray"] = {{"main", {{"cpu", "900m"}}}};
  WritePodMetrics(ns, usage);

  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  kube::KubeClient client(ThroughProxy(p));
  kube::PodCache pods(client);
  kube::PodMetricsCache metrics(client, Seconds(5));
  decision::Spec spec;
  decision::MetricSpec cpu;
  cpu.type = decision::SourceType::kResource;
  cpu.resource = "cpu";
  spec.metrics.push_back(cpu);
  const std::string web_sel = ScaleSelector(ns, "web"), api_sel = ScaleSelector(ns, "api");
  kube::ResourceMetricsReader web_reader(
      client, ns, spec, [&] { return web_sel; }, &pods, &metrics);
  auto api_reader = std::make_unique<kube::ResourceMetricsReader>(
      client, ns, spec, [&] { return api_sel; }, &pods, &metrics);
  CHECK(metrics.Shared(ns));
  REQUIRE(pods.Select(ns, *kube::LabelSelector::Parse(web_sel), Seconds(10)));
  const std::string metrics_path = "/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods";
  auto samples = [](const decision::Observation& obs) {
    std::map<std::string, int64_t> out;
    REQUIRE(obs.readings.size() == 1);
    REQUIRE(obs.readings[0].ok);
    for (const auto& s : obs.readings[0].pod_samples) out[s.pod] = s.milli;
    return out;
  };
  const Timestamp t0 = FromUnixMillis(1'700'000'000'000);
  p.ClearSeen();

  decision::Observation w, a;
  web_reader.Read(t0, {}, w);
  api_reader->Read(t0 + Seconds(4), {}, a);
  // One read of the whole namespace, no selector, and each reader keeps only its own pods.
  CHECK(Seen(p, "GET", metrics_path) == 1);
  CHECK(Seen(p, "GET", "labelSelector") == 0);
  CHECK(metrics.reads() == 1);
  CHECK(samples(w) == std::map<std::string, int64_t>{{web[0], 100}, {web[1], 100}});
  CHECK(samples(a) == std::map<std::string, int64_t>{{api[0], 300}});

  SECTION("older than max age: read again, new values seen") {
    usage[api[0]] = {{"main", {{"cpu", "500m"}}}};
    WritePodMetrics(ns, usage);
    decision::Observation again;
    api_reader->Read(t0 + Seconds(6), {}, again);
    CHECK(Seen(p, "GET", metrics_path) == 2);
    CHECK(samples(again) == std::map<std::string, int64_t>{{api[0], 500}});
  }
  SECTION("a failed read is shared too: the metrics API is asked once per max age") {
    p.Add(Fault::Status(metrics_path, 1, 503));
    decision::Observation f1, f2;
    web_reader.Read(t0 + Seconds(10), {}, f1);
    api_reader->Read(t0 + Seconds(11), {}, f2);
    CHECK(Seen(p, "GET", metrics_path) == 2);
    for (const auto* obs : {&f1, &f2}) {
      REQUIRE(obs->readings.size() == 1);
      CHECK_FALSE(obs->readings[0].ok);
      CHECK_THAT(obs->readings[0].error,
                 Catch::Contains("unable to get metrics from resource metrics API") &&
                     Catch::Contains("503"));
    }
    decision::Observation ok;
    web_reader.Read(t0 + Seconds(16), {}, ok);  // the API is back: read again after max age
    CHECK(Seen(p, "GET", metrics_path) == 3);
    CHECK(samples(ok).size() == 2);
  }
  SECTION("the last Resource Autoscaler of a namespace sends its own selector read") {
    api_reader.reset();
    CHECK_FALSE(metrics.Shared(ns));
    decision::Observation o;
    web_reader.Read(t0 + Seconds(1), {}, o);
    CHECK(Seen(p, "GET", metrics_path + "?labelSelector=") == 1);
    // The test metrics server ignores the selector (so would a server that answers more): the
    // reading holds the target's pods either way.
    const auto got = samples(o);
    CHECK(got.at(web[0]) == 100);
    CHECK(got.at(web[1]) == 100);
  }
  SECTION("without the pod cache a reader sends its own selector read") {
    kube::ResourceMetricsReader own(
        client, ns, spec, [&] { return web_sel; }, nullptr, &metrics);
    decision::Observation o;
    own.Read(t0 + Seconds(1), {}, o);
    CHECK(Seen(p, "GET", metrics_path + "?labelSelector=") == 1);
    CHECK(metrics.reads() == 1);
    // The test metrics server ignores the selector (so would a server that answers more): the
    // reading holds the target's pods either way.
    const auto got = samples(o);
    CHECK(got.at(web[0]) == 100);
    CHECK(got.at(web[1]) == 100);
  }
}

TEST_CASE("concurrent reconciles in one namespace wait for the one pod metrics read in flight",
          "[kube][watch][resource]") {
  const std::string ns = NewNamespace("watch-podmetrics-flight");
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  Fault slow = Fault::On("/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods", 1);
  slow.latency = Duration(500);
  p.Add(slow);
  kube::KubeClient client(ThroughProxy(p));
  kube::PodMetricsCache metrics(client, Seconds(5));
  auto lease = metrics.Acquire(ns);
  const Timestamp t0 = FromUnixMillis(1'700'000'000'000);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      if (metrics.Get(ns, t0 + Duration(i))) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 8);
  CHECK(metrics.reads() == 1);
  CHECK(Seen(p, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods") == 1);
  CHECK(metrics.namespaces() == 1);
  // Without a lease nothing is kept: every call reads.
  REQUIRE(metrics.Get("other-" + ns, t0));
  REQUIRE(metrics.Get("other-" + ns, t0));
  CHECK(metrics.reads() == 3);
  lease.reset();  // the namespace's last Resource Autoscaler is gone, and its reply with it
  CHECK(metrics.namespaces() == 0);
}

TEST_CASE("the client-side rate limit spaces requests, a 429's Retry-After holds a scale write",
          "[kube][watch][faults]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  SECTION("qps 2, burst 2: eight requests take at least 3 s") {
    // qps 2 rather than more: a request slower than 1/qps (a loaded CI machine) would find its
    // token already there and not count as limited.
    kube::ClientOptions o;
    o.qps = 2;
    o.burst = 2;
    kube::KubeClient client(ThroughProxy(p), o);
    const auto t0 = Steady::now();
    for (int i = 0; i < 8; ++i) REQUIRE(client.Get("/api/v1/namespaces/default"));
    CHECK(Steady::now() - t0 >= std::chrono::milliseconds(2950));
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
