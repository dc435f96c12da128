// The Prometheus scaler against a real prometheus (recorded history queried at historical times),
// a TLS prometheus with a CA made by openssl, a listener that never answers, and a canned server
// for exact request/headers and error bodies.
#include <catch2/catch.hpp>
#include <chrono>

#include "controller/net/curl_http_client.h"
#include "scalers/prometheus_scaler.h"
#include "scalers/registry.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;

namespace {

// Sample i of the recorded history sits at T0 + 30 i.
constexpr int64_t kT0 = 1700000000;

std::unique_ptr<Scaler> Make(net::HttpClient& http, json block) {
  RedisPool pool;
  ScalerDeps deps{&http, &pool, /*prometheus_evaluate_at_now=*/true};
  auto s = MakeScaler("Prometheus", block, "spec.metrics[0].prometheus", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

std::string PromUrl() {
  return "http://127.0.0.1:" + std::to_string(ebb::testing::SharedServers().prom_port);
}

ReadContext CtxAt(int64_t unix_seconds) {
  return ReadContext{At(unix_seconds), At(unix_seconds) + Seconds(5)};
}

}  // namespace

TEST_CASE("prometheus: recorded samples read back exactly at historical times (GET and POST)",
          "[prometheus][integration]") {
  net::CurlHttpClient http;
  for (const char* method : {"GET", "POST"}) {
    auto s = Make(http, {{"serverAddress", PromUrl()},
                         {"query", "ebb_queue_depth{queue=\"jobs\"}"},
                         {"method", method}});
    for (int i : {0, 1, 93, 200}) {
      auto v = s->Read(CtxAt(kT0 + 30 * i));
      INFO(method << " sample " << i << (v ? "" : " " + v.error().message));
      REQUIRE(v.has_value());
      CHECK(*v == i * 1.5);
    }
  }
  auto sum = Make(http, {{"serverAddress", PromUrl()}, {"query", "sum(ebb_queue_depth)"}});
  CHECK(sum->Read(CtxAt(kT0 + 30 * 10)).value() == 10 * 1.5 + 1010);
  auto scalar =
      Make(http, {{"serverAddress", PromUrl()}, {"query", "scalar(ebb_multi{shard=\"b\"}) * 4"}});
  CHECK(scalar->Read(CtxAt(kT0 + 600)).value() == 8.0);
}

TEST_CASE("prometheus: unusable results are typed errors naming the query",
          "[prometheus][integration]") {
  net::CurlHttpClient http;
  const auto ctx = CtxAt(kT0 + 3000);

  auto many = Make(http, {{"serverAddress", PromUrl()}, {"query", "ebb_multi"}});
  auto r = many->Read(ctx);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kInvalidValue);
  CHECK(r.error().message.find("returned 2 series") != std::string::npos);
  CHECK(r.error().message.find("sum(") != std::string::npos);
  CHECK(r.error().message.find("ebb_multi") != std::string::npos);

  auto empty = Make(http, {{"serverAddress", PromUrl()}, {"query", "ebb_does_not_exist"}});
  auto e = empty->Read(ctx);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == ErrorCode::kInvalidValue);
  CHECK(e.error().message.find("no series") != std::string::npos);
  auto zero = Make(
      http, {{"serverAddress", PromUrl()}, {"query", "ebb_does_not_exist"}, {"emptyAsZero", true}});
  CHECK(zero->Read(ctx).value() == 0.0);
  // Outside the recorded range (5 min lookback) the real series is empty too.
  auto gone =
      Make(http, {{"serverAddress", PromUrl()}, {"query", "ebb_queue_depth{queue=\"jobs\"}"}});
  CHECK(gone->Read(CtxAt(kT0 + 30 * 240 + 3600)).error().code == ErrorCode::kInvalidValue);

  auto nan = Make(http, {{"serverAddress", PromUrl()}, {"query", "ebb_nan"}});
  auto n = nan->Read(ctx);
  REQUIRE_FALSE(n.has_value());
  CHECK(n.error().code == ErrorCode::kInvalidValue);
  CHECK(n.error().message.find("NaN") != std::string::npos);
  auto inf = Make(http, {{"serverAddress", PromUrl()}, {"query", "1/0"}});
  CHECK(inf->Read(ctx).error().code == ErrorCode::kInvalidValue);
  auto neg = Make(http, {{"serverAddress", PromUrl()}, {"query", "ebb_negative"}});
  auto ng = neg->Read(ctx);
  REQUIRE_FALSE(ng.has_value());
  CHECK(ng.error().code == ErrorCode::kInvalidValue);
  CHECK(ng.error().message.find("negative") != std::string::npos);

  auto bad = Make(http, {{"serverAddress", PromUrl()}, {"query", "sum(rate(x[1m]"}});
  auto b = bad->Read(ctx);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == ErrorCode::kInvalidConfig);  // HTTP 400 bad_data
  CHECK(b.error().message.find("bad_data") != std::string::npos);
  CHECK(b.error().message.find("sum(rate(x[1m]") != std::string::npos);

  auto wrong_path = Make(http, {{"serverAddress", PromUrl() + "/nope"}, {"query", "up"}});
  CHECK(wrong_path->Read(ctx).error().code == ErrorCode::kNotFound);
}

TEST_CASE("prometheus: a server that never answers gives kTimeout within the deadline",
          "[prometheus][integration][timeout]") {
  net::CurlHttpClient http;
  ebb::testing::SilentListener silent;
  auto s = Make(http, {{"serverAddress", "http://127.0.0.1:" + std::to_string(silent.port())},
                       {"query", "up"},
                       {"timeout", 10}});
  // The context's deadline (300 ms) is tighter than the configured 10 s timeout.
  const ReadContext ctx{At(kT0), At(kT0) + Duration(300)};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s->Read(ctx);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(r.error().retryable());
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::milliseconds(1500));
}

TEST_CASE("prometheus: connection refused is kUnavailable", "[prometheus][integration]") {
  net::CurlHttpClient http;
  auto s =
      Make(http, {{"serverAddress", "http://127.0.0.1:" + std::to_string(ebb::testing::FreePort())},
                  {"query", "up"}});
  auto r = s->Read(CtxAt(kT0));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("prometheus: TLS with our CA, verification on by default, wrong CA fails",
          "[prometheus][integration][tls]") {
  const auto& srv = ebb::testing::SharedServers();
  const std::string https = "https://127.0.0.1:" + std::to_string(srv.prom_tls_port);
  net::CurlHttpClient http;
  const auto ctx = CtxAt(kT0);
  auto good = Make(
      http,
      {{"serverAddress", https}, {"query", "vector(42)"}, {"tls", {{"caFile", srv.ca_file()}}}});
  auto v = good->Read(ctx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 42.0);

  auto wrong = Make(http, {{"serverAddress", https},
                           {"query", "vector(42)"},
                           {"tls", {{"caFile", srv.wrong_ca_file()}}}});
  auto w = wrong->Read(ctx);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().code == ErrorCode::kPermissionDenied);

  // No CA given: the system store does not know our CA, so verification fails too.
  auto system = Make(http, {{"serverAddress", https}, {"query", "vector(42)"}});
  CHECK_FALSE(system->Read(ctx).has_value());

  auto insecure = Make(
      http,
      {{"serverAddress", https}, {"query", "vector(42)"}, {"tls", {{"insecureSkipVerify", true}}}});
  CHECK(insecure->Read(ctx).value() == 42.0);

  // localhost is in the certificate's SANs too.
  auto by_name =
      Make(http, {{"serverAddress", "https://localhost:" + std::to_string(srv.prom_tls_port)},
                  {"query", "vector(1)"},
                  {"tls", {{"caFile", srv.ca_file()}}}});
  CHECK(by_name->Read(ctx).value() == 1.0);
}

TEST_CASE("prometheus: request carries tenant, custom headers, auth and time",
          "[prometheus][integration][request]") {
  ebb::testing::CannedHttpServer canned(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"3.5"]}})");
  ::setenv("EBB_TEST_PROM_PW", "pw-value", 1);
  net::CurlHttpClient http;
  const std::string url = "http://127.0.0.1:" + std::to_string(canned.port());
  auto post =
      Make(http, {{"serverAddress", url},
                  {"query", "sum(rate(x{a=\"b c\"}[1m]))"},
                  {"method", "POST"},
                  {"namespace", "tenant-1"},
                  {"customHeaders", {{"X-Team", "blue"}}},
                  {"auth", {{"username", "ebb"}, {"passwordFromEnv", "EBB_TEST_PROM_PW"}}}});
  REQUIRE(post->Read(ReadContext{FromUnixMillis(1700000123456), Timestamp{}}).value() == 3.5);
  auto get = Make(http, {{"serverAddress", url}, {"query", "up"}});
  REQUIRE(get->Read(ReadContext{At(kT0), Timestamp{}}).value() == 3.5);
  auto reqs = canned.requests();
  REQUIRE(reqs.size() == 2);
  const std::string& p = reqs[0];
  CHECK(p.rfind("POST /api/v1/query HTTP/1.1", 0) == 0);
  CHECK(p.find("X-Scope-OrgID: tenant-1") != std::string::npos);
  CHECK(p.find("X-Team: blue") != std::string::npos);
  CHECK(p.find("Authorization: Basic ZWJiOnB3LXZhbHVl") != std::string::npos);  // ebb:pw-value
  CHECK(p.find("Content-Type: application/x-www-form-urlencoded") != std::string::npos);
  CHECK(p.find("query=sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B1m%5D%29%29&time=1700000123.456") !=
        std::string::npos);
  CHECK(reqs[1].rfind("GET /api/v1/query?query=up&time=1700000000.000 HTTP/1.1", 0) == 0);
  CHECK(reqs[1].find("X-Scope-OrgID") == std::string::npos);
}

TEST_CASE("prometheus: status error bodies and HTTP errors are surfaced with the query",
          "[prometheus][integration]") {
  net::CurlHttpClient http;
  {
    ebb::testing::CannedHttpServer canned(
        422,
        R"({"status":"error","errorType":"execution","error":"many-to-many matching not allowed"})");
    auto s = Make(http, {{"serverAddress", "http://127.0.0.1:" + std::to_string(canned.port())},
                         {"query", "a * on() b"}});
    auto r = s->Read(CtxAt(kT0));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("execution: many-to-many") != std::string::npos);
    CHECK(r.error().message.find("a * on() b") != std::string::npos);
    CHECK(r.error().message.find("HTTP 422") != std::string::npos);
  }
  {
    ebb::testing::CannedHttpServer canned(503, "service unavailable");
    auto s = Make(http, {{"serverAddress", "http://127.0.0.1:" + std::to_string(canned.port())},
                         {"query", "up"}});
    auto r = s->Read(CtxAt(kT0));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kUnavailable);
    CHECK(r.error().message.find("HTTP 503") != std::string::npos);
  }
  {
    ebb::testing::CannedHttpServer canned(
        200, R"({"status":"error","errorType":"timeout","error":"query timed out"})");
    auto s = Make(http, {{"serverAddress", "http://127.0.0.1:" + std::to_string(canned.port())},
                         {"query", "up"}});
    auto r = s->Read(CtxAt(kT0));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("timeout: query timed out") != std::string::npos);
  }
}
