// The pure parts of the watch caches (issue 13): label selectors written as the API server
// writes a Scale's status.selector and matched as it matches ?labelSelector=, a CRD's scale
// paths, the trim of a cached target, and the client-side token bucket.
#include <catch2/catch.hpp>
#include <chrono>

#include "controller/kube/label_selector.h"
#include "controller/kube/rate_limiter.h"
#include "controller/kube/target_cache.h"

using namespace ebb;
using namespace ebb::kube;
using json = nlohmann::json;

TEST_CASE("a LabelSelector is formatted as a Scale's status.selector", "[unit][watch]") {
  auto s = FormatLabelSelector(json::parse(R"({"matchLabels": {"tier": "web", "app": "shop"},
    "matchExpressions": [{"key": "env", "operator": "In", "values": ["prd", "dev"]},
                         {"key": "legacy", "operator": "DoesNotExist"},
                         {"key": "zone", "operator": "NotIn", "values": ["b"]},
                         {"key": "canary", "operator": "Exists"}]})"));
  REQUIRE(s);
  CHECK(*s == "!legacy,app=shop,canary,env in (dev,prd),tier=web,zone notin (b)");
  // A ReplicationController's selector is a plain map.
  CHECK(*FormatLabelSelector(json{{"app", "rc"}}) == "app=rc");
  CHECK(FormatLabelSelector(json(nullptr))->empty());
  auto bad = FormatLabelSelector(
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "Near"}]})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("selector.matchExpressions[0].operator") != std::string::npos);
  auto typed = FormatLabelSelector(json::parse(R"({"matchLabels": {"app": 3}})"));
  REQUIRE_FALSE(typed);
  CHECK(typed.error().message.find("selector.matchLabels.app") != std::string::npos);
}

TEST_CASE("a selector string matches labels as the API server does", "[unit][watch]") {
  const Labels web{{"app", "shop"}, {"tier", "web"}, {"env", "prd"}};
  const Labels db{{"app", "shop"}, {"tier", "db"}};
  auto m = [](const std::string& sel, const Labels& l) {
    auto s = LabelSelector::Parse(sel);
    REQUIRE(s);
    return s->Matches(l);
  };
  CHECK(m("app=shop,tier=web", web));
  CHECK_FALSE(m("app=shop,tier=web", db));
  CHECK(m("app==shop", db));
  CHECK(m("tier!=web", db));
  CHECK(m("env!=dev", db));  // no such label: "!=" matches, as upstream
  CHECK(m("env in (dev,prd),app", web));
  CHECK_FALSE(m("env in (dev,prd)", db));
  CHECK(m("env notin (prd)", db));
  CHECK_FALSE(m("env notin (dev, prd)", web));
  CHECK(m("!env", db));
  CHECK_FALSE(m("!env", web));
  CHECK(m("", db));  // everything, as an empty selector
  // What FormatLabelSelector writes reads back with the same meaning.
  CHECK(m("!legacy,app=shop,env in (dev,prd),tier=web", web));
  auto bad = LabelSelector::Parse("app=shop,,tier=web");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("empty requirement") != std::string::npos);
  CHECK_FALSE(LabelSelector::Parse("env in dev"));
}

TEST_CASE("a CRD's subresources.scale gives the cached target's paths", "[unit][watch]") {
  const json crd = json::parse(R"({"metadata": {"name": "pools.x.dev"}, "spec": {"versions": [
    {"name": "v1", "subresources": {"scale": {"specReplicasPath": ".spec.size",
      "statusReplicasPath": ".status.running", "labelSelectorPath": ".status.podSelector"}}},
    {"name": "v2"},
    {"name": "v3", "subresources": {"scale": {"specReplicasPath": ".spec.sizes[0]",
      "statusReplicasPath": ".status.running"}}}]}})");
  auto p = ScalePathsFromCrd(crd, "v1");
  REQUIRE(p);
  auto t = TrimTarget(json::parse(R"({"metadata": {"resourceVersion": "42"},
    "spec": {"size": 4}, "status": {"running": 3, "podSelector": "app=pool"}})"),
                      *p);
  REQUIRE(t);
  CHECK(t->spec_replicas == 4);
  CHECK(t->status_replicas == 3);
  CHECK(t->selector == "app=pool");
  CHECK(t->resource_version == "42");
  auto none = ScalePathsFromCrd(crd, "v2");
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("spec.versions[1].subresources.scale: absent") !=
        std::string::npos);
  auto indexed = ScalePathsFromCrd(crd, "v3");
  REQUIRE_FALSE(indexed);
  CHECK(indexed.error().message.find("specReplicasPath") != std::string::npos);
}

TEST_CASE("a built-in workload is trimmed to a Scale's worth", "[unit][watch]") {
  auto t = TrimTarget(json::parse(R"({"metadata": {"resourceVersion": "7"},
    "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}}},
    "status": {"replicas": 4, "readyReplicas": 2}})"),
                      ScalePaths{});
  REQUIRE(t);
  CHECK(t->spec_replicas == 5);
  CHECK(t->status_replicas == 4);
  CHECK(t->selector == "app=web");
  // Absent status (a Deployment just created) reads 0, as from /scale.
  auto fresh = TrimTarget(json::parse(R"({"spec": {"replicas": 1}})"), ScalePaths{});
  REQUIRE(fresh);
  CHECK(fresh->status_replicas == 0);
  auto bad = TrimTarget(json::parse(R"({"spec": {"replicas": "many"}})"), ScalePaths{});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find(".spec.replicas") != std::string::npos);
}

TEST_CASE("the token bucket lets a burst through, then one request per 1/qps", "[unit][watch]") {
  TokenBucket b(10, 3);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(b.Reserve(t0).count() == 0);
  CHECK(b.Reserve(t0).count() == 0);
  CHECK(b.Reserve(t0).count() == 0);
  CHECK(b.Reserve(t0) == Duration(100));  // queued behind the burst
  CHECK(b.Reserve(t0) == Duration(200));
  // A second later ten tokens have come back, but the bucket holds at most `burst`.
  const auto t1 = t0 + std::chrono::seconds(1);
  CHECK(b.Reserve(t1).count() == 0);
  CHECK(b.Reserve(t1).count() == 0);
  CHECK(b.Reserve(t1).count() == 0);
  CHECK(b.Reserve(t1).count() > 0);
  TokenBucket off(0, 0);
  for (int i = 0; i < 1000; ++i) CHECK(off.Reserve(t0).count() == 0);
}
