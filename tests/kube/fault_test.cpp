// Faults between ebb and the real API server, injected by a thin proxy (fault_proxy.h): 429 with
// Retry-After, 5xx, latency beyond the request timeout, watches cut mid-stream, 410 Gone.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "controller/kube/informer.h"
#include "controller/kube/kube_client.h"
#include "tests/kube/fault_proxy.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

kube::KubeConfig ThroughProxy(const FaultProxy& p) {
  auto c = kube::LoadKubeconfig(TheCluster().admin_kubeconfig());
  REQUIRE(c);
  c->server = p.url();
  return *c;
}

// One proxy per test case: its destructor joins every connection thread before the test ends,
// so no thread (with OpenSSL's per-thread state) is still running when the process exits.
std::unique_ptr<FaultProxy> NewProxy() {
  return std::make_unique<FaultProxy>(TheCluster().Env("KUBE_SERVER"), TheCluster().Env("KUBE_CA"));
}

}  // namespace

TEST_CASE("429 with Retry-After is honoured, then the request succeeds", "[kube][faults]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  kube::KubeClient c(ThroughProxy(p));
  p.Add(Fault::Status("/api/v1/namespaces/default", 2, 429, 1));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Get("/api/v1/namespaces/default");
  REQUIRE(r);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= std::chrono::milliseconds(1900));  // waited 1 s twice, as told
  CHECK(c.stats().throttled == 2);
}

TEST_CASE("a long Retry-After or persistent 429 ends within the request timeout",
          "[kube][faults]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  kube::ClientOptions o;
  o.request_timeout = Seconds(3);
  kube::KubeClient c(ThroughProxy(p), o);
  p.Add(Fault::Status("/api/v1/namespaces/kube-system", -1, 429, 60));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Get("/api/v1/namespaces/kube-system");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
  p.Clear();
}

TEST_CASE("5xx without Retry-After is a retryable error, not a hang", "[kube][faults]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  kube::KubeClient c(ThroughProxy(p));
  p.Add(Fault::Status("/api/v1/namespaces/default", 1, 503));
  auto r = c.Get("/api/v1/namespaces/default");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().retryable());
  CHECK(c.Get("/api/v1/namespaces/default"));  // the next one goes through
}

TEST_CASE("latency beyond the request timeout is a timeout", "[kube][faults]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  kube::ClientOptions o;
  o.request_timeout = Seconds(1);
  kube::KubeClient c(ThroughProxy(p), o);
  Fault f = Fault::On("/api/v1/namespaces/default", 1);
  f.latency = Seconds(3);
  p.Add(f);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Get("/api/v1/namespaces/default");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1800));
}

TEST_CASE("cut watches are resumed and 410 Gone forces a re-list, the cache converges",
          "[kube][faults][informer]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("faults");
  kube::KubeClient c(ThroughProxy(p));
  kube::InformerOptions io;
  io.initial_backoff = Duration(100);
  kube::Informer inf(
      c, "/api/v1/namespaces/" + ns + "/configmaps",
      [](const std::string&, const nlohmann::json*) {}, io);
  auto make = [&](const std::string& name) {
    REQUIRE(Admin().Post("/api/v1/namespaces/" + ns + "/configmaps",
                         {{"metadata", {{"name", name}}}, {"data", {{"k", "v"}}}}));
  };
  // Every watch is cut after its first event.
  Fault cut = Fault::On("watch=1", -1);
  cut.drop_watch_after_events = 1;
  p.Add(cut);
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  for (int i = 0; i < 5; ++i) make("cm-" + std::to_string(i));
  REQUIRE(WaitFor([&] { return inf.Get(ns + "/cm-4").has_value(); }, Seconds(20)));
  CHECK(inf.stats().watches >= 2);
  p.Clear();

  // The next watch answers 410 Gone: the informer lists again and still sees new objects.
  const uint64_t lists = inf.stats().lists;
  Fault gone = Fault::On("watch=1", 1);
  gone.watch_gone = true;
  p.Add(gone);
  make("cm-after-gone");
  REQUIRE(WaitFor([&] { return inf.Get(ns + "/cm-after-gone").has_value(); }, Seconds(20)));
  // Make sure a watch has been attempted since (the fault is consumed) and a re-list happened.
  REQUIRE(WaitFor([&] { return inf.stats().gone >= 1; }, Seconds(20)));
  CHECK(inf.stats().lists > lists);
  make("cm-last");
  REQUIRE(WaitFor([&] { return inf.Get(ns + "/cm-last").has_value(); }, Seconds(20)));
  inf.Stop();
}

TEST_CASE("an informer given its consumer's keys keeps none and finds deletions among them",
          "[kube][faults][informer]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("keys");
  for (int i = 0; i < 3; ++i)
    REQUIRE(Admin().Post("/api/v1/namespaces/" + ns + "/configmaps",
                         {{"metadata", {{"name", "cm-" + std::to_string(i)}}}}));
  kube::KubeClient c(ThroughProxy(p));
  std::mutex mu;
  // The consumer's keys; "ghost" was never listed: only a re-list that asks for these keys (and
  // not a key set of the informer's own) can tell it is gone.
  std::set<std::string> held{ns + "/ghost"};
  kube::InformerOptions io;
  io.initial_backoff = Duration(100);
  io.keep_objects = false;
  io.keys = [&] {
    std::lock_guard lock(mu);
    return std::vector<std::string>(held.begin(), held.end());
  };
  kube::Informer inf(
      c, "/api/v1/namespaces/" + ns + "/configmaps",
      [&](const std::string& key, const nlohmann::json* obj) {
        std::lock_guard lock(mu);
        if (obj)
          held.insert(key);
        else
          held.erase(key);
      },
      io);
  // Every watch answers 410 Gone: the informer lists again and again.
  Fault gone = Fault::On("watch=1", -1);
  gone.watch_gone = true;
  p.Add(gone);
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  auto holds = [&](const std::string& name) {
    std::lock_guard lock(mu);
    return held.count(ns + "/" + name) > 0;
  };
  CHECK(holds("cm-0"));
  CHECK(holds("cm-2"));
  CHECK_FALSE(holds("ghost"));  // the first list's deletions come from the consumer's keys
  REQUIRE(Admin().Delete("/api/v1/namespaces/" + ns + "/configmaps/cm-1"));
  CHECK(WaitFor([&] { return !holds("cm-1"); }, Seconds(20)));
  CHECK(holds("cm-0"));
  CHECK(inf.stats().gone >= 1);
  inf.Stop();
}

TEST_CASE("a list page that fails is asked for again with its continue token, not from the start",
          "[kube][faults][informer]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("pages");
  for (int i = 0; i < 5; ++i)
    REQUIRE(Admin().Post("/api/v1/namespaces/" + ns + "/configmaps",
                         {{"metadata", {{"name", "cm-" + std::to_string(i)}}}}));
  kube::KubeClient c(ThroughProxy(p));
  kube::InformerOptions io;
  io.initial_backoff = Duration(50);
  io.list_page_size = 2;  // three pages
  kube::Informer inf(
      c, "/api/v1/namespaces/" + ns + "/configmaps",
      [](const std::string&, const nlohmann::json*) {}, io);
  // The second page fails twice (a 503, then a 504 as a loaded server answers).
  p.Add(Fault::Status("continue=", 1, 503));
  p.Add(Fault::Status("continue=", 1, 504));
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  for (int i = 0; i < 5; ++i) CHECK(inf.Get(ns + "/cm-" + std::to_string(i)).has_value());
  CHECK(p.faults_applied() == 2);
  CHECK(inf.stats().page_retries == 2);
  CHECK(inf.stats().lists == 1);
  int first_pages = 0;
  for (const auto& s : p.Seen())
    if (s.find("/configmaps?limit=2") != std::string::npos &&
        s.find("continue=") == std::string::npos)
      ++first_pages;
  CHECK(first_pages == 1);  // before: the list started over, the first page asked for 3 times
  inf.Stop();
}

TEST_CASE("a list page may take longer than the request timeout, up to the list page timeout",
          "[kube][faults][informer]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("slowpage");
  REQUIRE(
      Admin().Post("/api/v1/namespaces/" + ns + "/configmaps", {{"metadata", {{"name", "a"}}}}));
  kube::ClientOptions o;
  o.request_timeout = Seconds(1);
  kube::KubeClient c(ThroughProxy(p), o);
  kube::InformerOptions io;
  io.list_page_timeout = Seconds(10);
  kube::Informer inf(
      c, "/api/v1/namespaces/" + ns + "/configmaps",
      [](const std::string&, const nlohmann::json*) {}, io);
  Fault slow = Fault::On("/configmaps?limit=", 1);
  slow.latency = Seconds(2);  // a loaded server: beyond the request timeout
  p.Add(slow);
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  CHECK(p.faults_applied() == 1);
  CHECK(inf.Get(ns + "/a").has_value());
  CHECK(inf.stats().lists == 1);  // the slow page was waited for, not timed out and re-listed
  CHECK(inf.stats().errors == 0);
  inf.Stop();
}

TEST_CASE("a quiet watch re-opened after its idle timeout keeps the informer healthy",
          "[kube][faults][informer]") {
  const std::string ns = NewNamespace("quiet");
  kube::KubeClient c(kube::LoadKubeconfig(TheCluster().admin_kubeconfig()).value());
  kube::InformerOptions io;
  io.idle_timeout = Seconds(1);  // nothing changes here: every watch times out after 1 s
  kube::Informer inf(
      c, "/api/v1/namespaces/" + ns + "/configmaps",
      [](const std::string&, const nlohmann::json*) {}, io);
  inf.Start();
  REQUIRE(inf.WaitForSync(Seconds(10)));
  REQUIRE(WaitFor([&] { return inf.healthy(); }, Seconds(10)));
  // Before: each idle timeout made it unhealthy for a backoff (800 ms), and every reconcile in
  // that gap read the API server instead of the cache.
  int unhealthy = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
  while (std::chrono::steady_clock::now() < until) {
    if (!inf.healthy()) ++unhealthy;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(unhealthy == 0);
  CHECK(inf.stats().idle_rewatches >= 2);
  CHECK(inf.stats().lists == 1);
  REQUIRE(
      Admin().Post("/api/v1/namespaces/" + ns + "/configmaps", {{"metadata", {{"name", "late"}}}}));
  CHECK(WaitFor([&] { return inf.Get(ns + "/late").has_value(); }, Seconds(10)));
  inf.Stop();
}

TEST_CASE(
    "an informer is healthy only while listed and watching, a watch that cannot be "
    "re-established makes it unhealthy until it can",
    "[kube][faults][informer][visible]") {
  const auto proxy = NewProxy();
  FaultProxy& p = *proxy;
  const std::string ns = NewNamespace("health");
  kube::KubeClient c(ThroughProxy(p));
  std::vector<kube::ApiCall> calls;
  std::mutex calls_mu;
  c.set_observer([&](const kube::ApiCall& call) {
    std::lock_guard lock(calls_mu);
    calls.push_back(call);
  });
  kube::InformerOptions io;
  io.initial_backoff = Duration(100);
  io.max_backoff = Duration(400);
  kube::Informer inf(
      c, "/api/v1/namespaces/" + ns + "/configmaps",
      [](const std::string&, const nlohmann::json*) {}, io);
  auto make = [&](const std::string& name) {
    REQUIRE(
        Admin().Post("/api/v1/namespaces/" + ns + "/configmaps", {{"metadata", {{"name", name}}}}));
    INFO("watches " << inf.stats().watches << ", errors " << inf.stats().errors << ": "
                    << inf.last_error());
    REQUIRE(WaitFor([&] { return inf.Get(ns + "/" + name).has_value(); }, Seconds(10)));
  };
  // Not listed yet: the first lists are refused. Watches are cut after their first event (this
  // proxy sends a watch's headers with its first event, so that is when a watch opens).
  p.Add(Fault::Status("/configmaps?limit", 3, 403));  // ~700 ms of refusals at this backoff
  Fault cut = Fault::On("watch=1", -1);
  cut.drop_watch_after_events = 1;
  p.Add(cut);
  CHECK_FALSE(inf.healthy());
  inf.Start();
  REQUIRE(WaitFor([&] { return !inf.last_error().empty(); }, Seconds(10)));
  CHECK_FALSE(inf.healthy());
  CHECK(inf.last_error().find("HTTP 403") != std::string::npos);
  REQUIRE(inf.WaitForSync(Seconds(10)));
  make("first");
  {
    std::lock_guard lock(calls_mu);
    REQUIRE(calls.size() >= 3);
    CHECK(calls[0].request.verb == "list");
    CHECK(calls[0].request.Label() == "configmaps");
    CHECK(calls[0].code == 403);
    CHECK(calls[0].error == "Injected: injected by the test proxy");
    bool watched = false;
    for (const auto& call : calls)
      watched = watched || (call.request.verb == "watch" && call.code == 200);
    CHECK(watched);
  }
  // From now on every new watch is refused: a pending one (if any) delivers an event and is cut,
  // and re-watching fails -- unhealthy, and it says why.
  p.Clear();
  p.Add(Fault::Status("watch=1", -1, 503));
  REQUIRE(
      Admin().Post("/api/v1/namespaces/" + ns + "/configmaps", {{"metadata", {{"name", "poke"}}}}));
  REQUIRE(WaitFor(
      [&] { return !inf.healthy() && inf.last_error().find("HTTP 503") != std::string::npos; },
      Seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK_FALSE(inf.healthy());  // still refused: still unhealthy
  // Allowed again: the next watch opens (with its first event here) -- healthy, without a list.
  const uint64_t lists = inf.stats().lists;
  p.Clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // a re-watch is in flight
  make("last");
  REQUIRE(WaitFor([&] { return inf.healthy(); }, Seconds(10)));
  CHECK(inf.Get(ns + "/poke").has_value());  // resumed from where it was: nothing lost
  CHECK(inf.stats().lists == lists);
  inf.Stop();
}
