// Text from outside on its way to JSON, logs, status and Events: valid UTF-8 and bounded whatever
// arrives; API calls described in RBAC's words; failed calls logged at a bounded rate.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/base/text.h"
#include "controller/kube/api_request.h"
#include "controller/kube/kube_client.h"
#include "controller/live/api_call_log.h"
#include "controller/live/status.h"
#include "scalers/prometheus_scaler.h"

using namespace ebb;

namespace {

// A proxy's 503 page: bytes 199-201 are one character (U+20AC), so a 200-byte cut splits it.
std::string Html503() {
  std::string head = "<html><head><title>503 Service Unavailable</title></head><body><h1>";
  std::string page = head + std::string(199 - head.size(), 'x') + "\xE2\x82\xAC unavailable</h1>";
  REQUIRE(page.substr(199, 3) == "\xE2\x82\xAC");
  return page;
}

}  // namespace

TEST_CASE("a Prometheus 503 HTML page is quoted as valid UTF-8, never cut mid-character",
          "[unit][containment]") {
  scalers::PrometheusConfig cfg;
  cfg.query = "sum(x)";
  auto r = scalers::ParsePrometheusResponse(503, Html503(), cfg, "prometheus http://p");
  REQUIRE_FALSE(r);
  CHECK(IsValidUtf8(r.error().message));
  CHECK(r.error().message.find("HTTP 503: <html>") != std::string::npos);
  CHECK_NOTHROW(nlohmann::json(r.error().message).dump());
  // Error members of another type than string are an error message, not an exception.
  auto typed = scalers::ParsePrometheusResponse(
      500, R"({"status":1,"errorType":["x"],"error":{"a":1}})", cfg, "prometheus http://p");
  REQUIRE_FALSE(typed);
  CHECK(IsValidUtf8(typed.error().message));
  // A long `error` is bounded.
  auto longer = scalers::ParsePrometheusResponse(
      422,
      R"({"status":"error","errorType":"bad_data","error":")" + std::string(100000, 'e') + "\"}",
      cfg, "prometheus http://p");
  REQUIRE_FALSE(longer);
  CHECK(longer.error().message.size() < 1000);
}

TEST_CASE("API server replies are quoted as valid UTF-8 and bounded", "[unit][containment]") {
  const std::string status = R"({"kind":"Status","reason":"Forbidden","message":"x \"bad\xC3\" )" +
                             std::string(5000, 'm') + R"("})";
  // Not JSON at all (invalid UTF-8 makes the parse fail): quoted as a body.
  const std::string d1 =
      kube::DescribeFailure(kube::Verb::kGet, "/api/v1/pods", kube::ApiResponse{403, status});
  CHECK(IsValidUtf8(d1));
  CHECK(d1.size() < 400);
  const std::string d2 =
      kube::DescribeFailure(kube::Verb::kGet, "/api/v1/pods", kube::ApiResponse{503, Html503()});
  CHECK(IsValidUtf8(d2));
  CHECK(d2.find("HTTP 503: <html>") != std::string::npos);
  const std::string d3 = kube::DescribeFailure(
      kube::Verb::kGet, "/api/v1/pods",
      kube::ApiResponse{403, R"({"kind":"Status","reason":"Forbidden","message":"no \u00fc"})"});
  CHECK(d3 == "GET /api/v1/pods: HTTP 403 Forbidden: no \xC3\xBC");
  // A Status with members of the wrong type is read, not thrown on.
  CHECK_NOTHROW(kube::DescribeFailure(kube::Verb::kGet, "/x",
                                      kube::ApiResponse{500, R"({"kind":"Status","message":7})"}));
}

TEST_CASE("condition messages are valid UTF-8 and bounded, a mangled stored status is read",
          "[unit][containment][status]") {
  const std::string bad = "read failed: \xE2\x82" + std::string(10000, 'z');
  const auto previous = nlohmann::json::parse(
      R"([{"type":7,"status":"True"},"junk",{"type":"Ready","status":"False","lastTransitionTime":5}])");
  nlohmann::json c;
  REQUIRE_NOTHROW(c = live::ConditionsJson({{"Ready", false, "X", bad}}, previous, 1,
                                           FromUnixMillis(1'000'000'000'000)));
  const std::string msg = c[0]["message"];
  CHECK(IsValidUtf8(msg));
  CHECK(msg.size() <= 2048 + 3);
  CHECK_NOTHROW(c.dump());
  CHECK(c[0]["lastTransitionTime"] == "2001-09-09T01:46:40Z");
}

TEST_CASE("API requests are described in RBAC's words", "[unit][apicalls]") {
  using kube::Verb;
  auto list = kube::DescribeRequest(Verb::kGet, "/apis/ebb.dev/v1alpha1/autoscalers?limit=500");
  CHECK(list.verb == "list");
  CHECK(list.Label() == "autoscalers.ebb.dev");
  CHECK(list.Permission() ==
        "cannot list resource \"autoscalers\" in API group \"ebb.dev\" at the cluster scope");
  auto watch = kube::DescribeRequest(
      Verb::kGet, "/apis/ebb.dev/v1alpha1/namespaces/a/autoscalers?watch=1&resourceVersion=5");
  CHECK(watch.verb == "watch");
  CHECK(watch.Permission() ==
        "cannot watch resource \"autoscalers\" in API group \"ebb.dev\" in the namespace \"a\"");
  auto status = kube::DescribeRequest(Verb::kPatch,
                                      "/apis/ebb.dev/v1alpha1/namespaces/a/autoscalers/w/status");
  CHECK(status.verb == "patch");
  CHECK(status.Label() == "autoscalers.ebb.dev/status");
  CHECK(status.Permission() ==
        "cannot patch resource \"autoscalers/status\" in API group "
        "\"ebb.dev\" in the namespace \"a\"");
  auto scale = kube::DescribeRequest(Verb::kGet, "/apis/apps/v1/namespaces/a/deployments/w/scale");
  CHECK(scale.verb == "get");
  CHECK(scale.Label() == "deployments.apps/scale");
  auto events = kube::DescribeRequest(Verb::kPost, "/api/v1/namespaces/a/events");
  CHECK(events.verb == "create");
  CHECK(events.Label() == "events");
  CHECK(events.Permission() ==
        "cannot create resource \"events\" in API group \"\" in the namespace \"a\"");
  auto ns = kube::DescribeRequest(Verb::kGet, "/api/v1/namespaces/default");
  CHECK(ns.verb == "get");
  CHECK(ns.Label() == "namespaces");
  auto lease =
      kube::DescribeRequest(Verb::kPut, "/apis/coordination.k8s.io/v1/namespaces/s/leases/ebb");
  CHECK(lease.verb == "update");
  CHECK(lease.Label() == "leases.coordination.k8s.io");
  auto discovery = kube::DescribeRequest(Verb::kGet, "/apis/apps/v1");
  CHECK(discovery.resource.empty());
  CHECK(discovery.Label() == "/apis/apps/v1");
  CHECK(discovery.Permission() == "cannot get path \"/apis/apps/v1\"");
}

TEST_CASE("a failed call's log line names verb, resource, code and the missing permission",
          "[unit][apicalls]") {
  kube::ApiCall forbidden{
      kube::DescribeRequest(kube::Verb::kGet, "/apis/ebb.dev/v1alpha1/autoscalers?limit=500"), 403,
      Duration(3), "Forbidden: autoscalers.ebb.dev is forbidden: User \"u\" cannot list ..."};
  CHECK(live::DescribeFailedCall(forbidden) ==
        "list autoscalers.ebb.dev at the cluster scope: HTTP 403 Forbidden: autoscalers.ebb.dev is "
        "forbidden: User \"u\" cannot list ...; missing permission: cannot list resource "
        "\"autoscalers\" in API group \"ebb.dev\" at the cluster scope");
  kube::ApiCall refused{
      kube::DescribeRequest(kube::Verb::kGet, "/apis/ebb.dev/v1alpha1/autoscalers"), 0, Duration(1),
      "Couldn't connect to server"};
  CHECK(live::DescribeFailedCall(refused) ==
        "list autoscalers.ebb.dev at the cluster scope: no answer (Couldn't connect to server)");
  CHECK(live::RoutineFailure({{}, 404, {}, ""}));
  CHECK_FALSE(live::RoutineFailure({{}, 403, {}, ""}));
}

TEST_CASE("failed-call logs: once per period per key, with the count left out",
          "[unit][apicalls]") {
  live::LogLimiter limiter(Seconds(30));
  const Timestamp t0 = FromUnixMillis(1'000'000);
  CHECK(limiter.Admit("list autoscalers 403", t0) == 0u);
  CHECK_FALSE(limiter.Admit("list autoscalers 403", t0 + Seconds(1)));
  CHECK_FALSE(limiter.Admit("list autoscalers 403", t0 + Seconds(29)));
  CHECK(limiter.Admit("watch autoscalers 403", t0 + Seconds(29)) == 0u);  // another key
  CHECK(limiter.Admit("list autoscalers 403", t0 + Seconds(30)) == 2u);
  CHECK_FALSE(limiter.Admit("list autoscalers 403", t0 + Seconds(31)));
  CHECK(limiter.Admit("list autoscalers 403", t0 + Seconds(90)) == 1u);
}
