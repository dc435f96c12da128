// Parse-only tests: every config error path of the scalers, no I/O.
#include <algorithm>
#include <catch2/catch.hpp>

#include "controller/base/text.h"
#include "controller/net/curl_http_client.h"
#include "scalers/prometheus_scaler.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/redis_stream_scaler.h"
#include "scalers/registry.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;

namespace {

// Asserts a kInvalidConfig error that contains every expected "<path>: <message>" fragment.
template <typename T>
void ExpectProblems(const Result<T>& r, const std::vector<std::string>& fragments) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kInvalidConfig);
  for (const auto& f : fragments) {
    INFO("error was:\n" << r.error().message);
    CHECK(r.error().message.find(f) != std::string::npos);
  }
}

std::size_t Lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
}

}  // namespace

TEST_CASE("prometheus config: minimal block gets the documented defaults", "[config][prometheus]") {
  auto cfg =
      ParsePrometheusConfig(json{{"serverAddress", "http://prom:9090/"},
                                 {"query", "sum(rate(x[1m]))"},
                                 {"target", {{"type", "AverageValue"}, {"averageValue", "5"}}},
                                 {"activationThreshold", "1"}},
                            "spec.metrics[0].prometheus");
  REQUIRE(cfg.has_value());
  CHECK(cfg->server_address == "http://prom:9090");
  CHECK(cfg->query == "sum(rate(x[1m]))");
  CHECK(cfg->method == net::HttpMethod::kGet);
  CHECK(cfg->timeout == Seconds(3));
  CHECK_FALSE(cfg->empty_as_zero);
  CHECK_FALSE(cfg->tls.insecure_skip_verify);
  CHECK(cfg->tenant.empty());
}

TEST_CASE("prometheus config: full block", "[config][prometheus]") {
  auto cfg = ParsePrometheusConfig(json::parse(R"({
      "serverAddress": "https://prom.example:9443/prefix", "query": "up", "method": "POST",
      "namespace": "team-a", "customHeaders": {"X-Extra": "1"},
      "auth": {"username": "u", "passwordFile": "/var/run/pw"},
      "tls": {"caFile": "/etc/ca.pem", "insecureSkipVerify": false},
      "timeout": "500ms", "emptyAsZero": true, "evaluateAtNow": true})"),
                                   "p");
  REQUIRE(cfg.has_value());
  CHECK(cfg->method == net::HttpMethod::kPost);
  CHECK(cfg->tenant == "team-a");
  CHECK(cfg->custom_headers.at("X-Extra") == "1");
  CHECK(cfg->username.plain == "u");
  CHECK(cfg->password.from_file == "/var/run/pw");
  CHECK(cfg->tls.sources.ca.from_file == "/etc/ca.pem");
  CHECK(cfg->timeout == Duration(500));
  CHECK(cfg->empty_as_zero);
  CHECK(cfg->evaluate_at_now);
}

TEST_CASE("prometheus config: every problem is reported at once with its field path",
          "[config][prometheus]") {
  const std::string p = "spec.metrics[2].prometheus";
  auto r = ParsePrometheusConfig(json::parse(R"({
      "method": "PUT", "timeout": -1, "emptyAsZero": "yes", "querry": "typo",
      "customHeaders": {"Authorization": "Bearer x", "Bad Header": "v", "X-Num": 3},
      "auth": {"bearerTokenFromEnv": "T", "username": "u", "passwordFromEnv": "A",
               "passwordFile": "/f"},
      "tls": {"caFile": "", "insecure": true}})"),
                                 p);
  ExpectProblems(
      r,
      {p + ".serverAddress: required", p + ".query: required", p + ".method: must be GET or POST",
       p + ".timeout: must be", p + ".emptyAsZero: must be true or false",
       p + ".querry: unknown field", p + ".customHeaders.Authorization: do not put credentials",
       p + ".customHeaders.Bad Header: not a valid header name",
       p + ".customHeaders.X-Num: must be a string", p + ".auth.passwordFromEnv: set only one of",
       p + ".auth.bearerTokenFromEnv: use either a bearer token",
       p + ".tls.caFile: must not be empty", p + ".tls.insecure: unknown field"});
  CHECK(Lines(r.error().message) >= 12);
}

TEST_CASE("prometheus config: address and tls problems", "[config][prometheus]") {
  ExpectProblems(ParsePrometheusConfig(json{{"serverAddress", "prom:9090"}, {"query", "up"}}, "m"),
                 {"m.serverAddress: must be an http:// or https:// URL"});
  ExpectProblems(
      ParsePrometheusConfig(json{{"serverAddress", "http://u:pw@prom:9090"}, {"query", "up"}}, "m"),
      {"m.serverAddress: must not contain credentials"});
  ExpectProblems(
      ParsePrometheusConfig(json{{"serverAddress", "http://prom:9090?x=1"}, {"query", "up"}}, "m"),
      {"m.serverAddress: must not contain a query string"});
  ExpectProblems(ParsePrometheusConfig(json{{"serverAddress", "http://prom:9090"},
                                            {"query", "up"},
                                            {"tls", {{"caFile", "/ca"}}}},
                                       "m"),
                 {"m.tls.caFile: tls settings need an https:// serverAddress"});
  ExpectProblems(
      ParsePrometheusConfig(
          json{{"serverAddress", "http://p"}, {"query", ""}, {"auth", {{"passwordFromEnv", "X"}}}},
          "m"),
      {"m.query: must not be empty", "m.auth.username: required with"});
  ExpectProblems(ParsePrometheusConfig(json::array(), "m"), {"m: must be an object"});
}

TEST_CASE("redis config: lists and celery defaults", "[config][redis]") {
  auto lists = ParseRedisListConfig(
      json{{"address", "redis:6379"}, {"lists", {"a", "b"}}, {"target", json::object()}}, "r");
  REQUIRE(lists.has_value());
  CHECK(lists->endpoint.host == "redis");
  CHECK(lists->endpoint.port == 6379);
  CHECK(lists->endpoint.db == 0);
  CHECK(lists->lists == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(lists->celery.has_value());

  auto celery = ParseRedisListConfig(json{{"address", "[::1]:7000"},
                                          {"db", 2},
                                          {"username", "ebb"},
                                          {"passwordFromEnv", "REDIS_PW"},
                                          {"celery", {{"queues", {"default"}}}},
                                          {"timeout", 1.5}},
                                     "r");
  REQUIRE(celery.has_value());
  CHECK(celery->endpoint.host == "::1");
  CHECK(celery->endpoint.port == 7000);
  CHECK(celery->endpoint.db == 2);
  CHECK(celery->endpoint.password->from_env == "REDIS_PW");
  CHECK(celery->timeout == Duration(1500));
  REQUIRE(celery->celery.has_value());
  CHECK(celery->celery->priority_steps == std::vector<int>{0, 3, 6, 9});
  CHECK(celery->celery->separator == std::string("\x06\x16"));
  CHECK(celery->celery->global_keyprefix.empty());
  CHECK_FALSE(celery->celery->include_unacked);
}

TEST_CASE("redis config: every problem is reported at once", "[config][redis]") {
  const std::string p = "spec.metrics[2].redis";
  ExpectProblems(ParseRedisListConfig(json::object(), p),
                 {p + ".address: required", p + ".lists: set exactly one of lists and celery"});
  auto r = ParseRedisListConfig(json::parse(R"({
      "address": "redis", "db": -1, "lists": [], "celery": {"queues": [], "prioritySteps": [3, 0],
      "separator": "", "includeUnacked": 1, "extra": 1}, "passwordFromEnv": "A",
      "passwordFile": "/f", "timeout": "3h", "password": "plain"})"),
                                p);
  ExpectProblems(r, {p + ".address: must be \"host:port\"", p + ".db: must be between 0",
                     p + ".lists: set exactly one of lists and celery",
                     p + ".lists: must not be empty", p + ".celery.queues: must not be empty",
                     p + ".celery.prioritySteps: must be a non-empty ascending list",
                     p + ".celery.separator: must not be empty",
                     p + ".celery.includeUnacked: must be true or false",
                     p + ".celery.extra: unknown field", p + ".passwordFromEnv: set only one of",
                     p + ".timeout: must be", p + ".password: unknown field"});
  ExpectProblems(ParseRedisListConfig(json{{"address", "redis:99999"}, {"lists", {"a", ""}}}, p),
                 {p + ".address: must be", p + ".lists[1]: must not be empty"});
  ExpectProblems(ParseRedisListConfig(json{{"address", "redis://r:6379/0"}, {"lists", {"a"}}}, p),
                 {p + ".address: must be"});
  ExpectProblems(ParseRedisListConfig(json{{"address", "r:1"}, {"celery", {{"queue", "a"}}}}, p),
                 {p + ".celery.queues: required", p + ".celery.queue: unknown field"});
}

TEST_CASE("redis stream config", "[config][redis]") {
  auto len = ParseRedisStreamConfig(json{{"address", "r:1"}, {"stream", "s"}}, "r");
  REQUIRE(len.has_value());
  CHECK(len->mode == RedisStreamConfig::Mode::kLength);
  auto pending = ParseRedisStreamConfig(
      json{{"address", "r:1"}, {"stream", "s"}, {"consumerGroup", "g"}}, "r");
  REQUIRE(pending.has_value());
  CHECK(pending->mode == RedisStreamConfig::Mode::kPending);
  auto forced = ParseRedisStreamConfig(
      json{{"address", "r:1"}, {"stream", "s"}, {"consumerGroup", "g"}, {"streamMetric", "Length"}},
      "r");
  REQUIRE(forced.has_value());
  CHECK(forced->mode == RedisStreamConfig::Mode::kLength);
  ExpectProblems(ParseRedisStreamConfig(
                     json{{"stream", ""}, {"streamMetric", "Pending"}, {"lists", {"a"}}}, "r"),
                 {"r.address: required", "r.stream: must not be empty",
                  "r.consumerGroup: required when streamMetric is Pending",
                  "r.stream: set exactly one of lists, celery and stream"});
  ExpectProblems(ParseRedisStreamConfig(
                     json{{"address", "r:1"}, {"stream", "s"}, {"streamMetric", "Lag"}}, "r"),
                 {"r.streamMetric: must be Length or Pending"});
}

TEST_CASE("registry builds scalers and names the field path", "[config][registry]") {
  net::CurlHttpClient http;
  RedisPool pool;
  ScalerDeps deps{&http, &pool};
  auto prom = MakeScaler("Prometheus",
                         json{{"serverAddress", "http://prom:9090"},
                              {"query", "sum(x)"},
                              {"target", {{"type", "AverageValue"}, {"averageValue", "5"}}},
                              {"activationThreshold", "1"}},
                         "spec.metrics[0].prometheus", deps);
  REQUIRE(prom.has_value());
  CHECK((*prom)->Describe() == "prometheus http://prom:9090 query=sum(x)");
  CHECK(dynamic_cast<PrometheusScaler*>(prom->get()) != nullptr);

  auto stream = MakeScaler("Redis", json{{"address", "r:1"}, {"stream", "s"}}, "p", deps);
  REQUIRE(stream.has_value());
  CHECK(dynamic_cast<RedisStreamScaler*>(stream->get()) != nullptr);
  auto list = MakeScaler("Redis", json{{"address", "r:1"}, {"lists", {"a"}}}, "p", deps);
  REQUIRE(list.has_value());
  CHECK(dynamic_cast<RedisListScaler*>(list->get()) != nullptr);

  ExpectProblems(MakeScaler("Redis", json{{"lists", {"a"}}}, "spec.metrics[2].redis", deps),
                 {"spec.metrics[2].redis.address: required"});
  ExpectProblems(MakeScaler("Kafka", json::object(), "spec.metrics[1].kafka", deps),
                 {"spec.metrics[1].kafka: unknown metric source type"});

  deps.prometheus_evaluate_at_now = true;
  auto sim =
      MakeScaler("Prometheus", json{{"serverAddress", "http://p"}, {"query", "q"}}, "p", deps);
  REQUIRE(sim.has_value());
  CHECK(static_cast<PrometheusScaler*>(sim->get())->config().evaluate_at_now);
}

TEST_CASE("secrets never appear in Describe or config errors", "[config][secrets]") {
  ::setenv("EBB_TEST_TOKEN", "s3cr3t-token", 1);
  net::CurlHttpClient http;
  RedisPool pool;
  ScalerDeps deps{&http, &pool};
  auto prom = MakeScaler("Prometheus",
                         json{{"serverAddress", "http://prom:9090"},
                              {"query", "up"},
                              {"auth", {{"bearerTokenFromEnv", "EBB_TEST_TOKEN"}}}},
                         "p", deps);
  REQUIRE(prom.has_value());
  CHECK((*prom)->Describe().find("s3cr3t") == std::string::npos);
  auto req = static_cast<PrometheusScaler*>(prom->get())->BuildRequest(ReadContext{});
  REQUIRE(req.has_value());
  bool has_auth = false;
  for (const auto& [k, v] : req->headers) has_auth = has_auth || v == "Bearer s3cr3t-token";
  CHECK(has_auth);
  ::unsetenv("EBB_TEST_MISSING");
  auto missing = MakeScaler("Prometheus",
                            json{{"serverAddress", "http://prom:9090"},
                                 {"query", "up"},
                                 {"auth", {{"bearerTokenFromEnv", "EBB_TEST_MISSING"}}}},
                            "p", deps);
  REQUIRE(missing.has_value());
  auto bad = static_cast<PrometheusScaler*>(missing->get())->BuildRequest(ReadContext{});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidConfig);
  CHECK(bad.error().message.find("EBB_TEST_MISSING is not set") != std::string::npos);
}

TEST_CASE("celery key naming follows kombu _q_for_pri", "[config][celery]") {
  CeleryConfig c;
  auto keys = CeleryQueueKeys(c, "celery");
  CHECK(keys == std::vector<std::string>{"celery",
                                         "celery\x06\x16"
                                         "3",
                                         "celery\x06\x16"
                                         "6",
                                         "celery\x06\x16"
                                         "9"});
  c.separator = ":";
  c.priority_steps = {0, 1, 2};
  c.global_keyprefix = "app:";
  CHECK(CeleryQueueKeys(c, "q") == std::vector<std::string>{"app:q", "app:q:1", "app:q:2"});
}

TEST_CASE("prometheus response rules", "[prometheus][parse]") {
  PrometheusConfig cfg;
  cfg.query = "my_query";
  auto parse = [&](long status, const std::string& body) {
    return ParsePrometheusResponse(status, body, cfg, "prometheus http://p");
  };
  auto vec = [](const std::string& v) {
    return R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,")" +
           v + R"("]}]}})";
  };
  CHECK(parse(200, vec("12.25")).value() == 12.25);
  CHECK(parse(200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"7"]}})")
            .value() == 7.0);
  auto nan = parse(200, vec("NaN"));
  REQUIRE_FALSE(nan.has_value());
  CHECK(nan.error().code == ErrorCode::kInvalidValue);
  CHECK(parse(200, vec("+Inf")).error().code == ErrorCode::kInvalidValue);
  CHECK(parse(200, vec("-Inf")).error().code == ErrorCode::kInvalidValue);
  CHECK(parse(200, vec("-1")).error().code == ErrorCode::kInvalidValue);
  CHECK(parse(200, vec("abc")).error().code == ErrorCode::kParse);

  const std::string empty = R"({"status":"success","data":{"resultType":"vector","result":[]}})";
  auto e = parse(200, empty);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == ErrorCode::kInvalidValue);
  CHECK(e.error().message.find("emptyAsZero") != std::string::npos);
  cfg.empty_as_zero = true;
  CHECK(parse(200, empty).value() == 0.0);

  auto many = parse(200, R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}})");
  REQUIRE_FALSE(many.has_value());
  CHECK(many.error().message.find("returned 2 series") != std::string::npos);
  CHECK(many.error().message.find("sum(") != std::string::npos);
  CHECK(many.error().message.find("my_query") != std::string::npos);

  auto matrix = parse(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  CHECK(matrix.error().code == ErrorCode::kInvalidValue);

  auto bad = parse(400, R"({"status":"error","errorType":"bad_data","error":"parse error"})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidConfig);
  CHECK(bad.error().message.find("bad_data: parse error") != std::string::npos);
  CHECK(bad.error().message.find("my_query") != std::string::npos);
  CHECK(parse(503, "upstream down").error().code == ErrorCode::kUnavailable);
  CHECK(parse(401, "no").error().code == ErrorCode::kPermissionDenied);
  CHECK(parse(200, "<html>").error().code == ErrorCode::kParse);
}

// Checked by fuzz/prometheus_response: a member of the wrong type threw nlohmann::type_error out
// of the parser, and quoted bodies and samples were cut mid-character or not bounded at all.
TEST_CASE("prometheus response: mistyped members and hostile bodies are typed errors",
          "[prometheus][parse]") {
  PrometheusConfig cfg;
  cfg.query = "q";
  auto parse = [&](long status, const std::string& body) {
    return ParsePrometheusResponse(status, body, cfg, "prometheus http://p");
  };
  for (const char* body :
       {R"({"status": 1})", R"({"status": "error", "errorType": 2, "error": ["x"]})",
        R"({"status": "success", "data": {"resultType": 3, "result": []}})"}) {
    INFO(body);
    auto r = parse(200, body);
    REQUIRE_FALSE(r.has_value());
    CHECK(ebb::IsValidUtf8(r.error().message));
  }
  CHECK(parse(500, R"({"status": 5})").error().code == ErrorCode::kUnavailable);
  // A 503 page with "é" straddling the 200-byte cut, as a proxy sends it.
  const std::string html = std::string(199, 'x') + "\xc3\xa9 caf\xc3\xa9</html>";
  auto page = parse(503, html);
  REQUIRE_FALSE(page.has_value());
  CHECK(ebb::IsValidUtf8(page.error().message));
  CHECK(page.error().message.size() < 400);
  CHECK(ebb::IsValidUtf8(parse(503, "caf\xe9").error().message));
  // A huge malformed sample is quoted, not copied whole.
  const std::string huge =
      std::string(R"({"status":"success","data":{"resultType":"scalar","result":[1,[")") +
      std::string(100000, 'a') + "\"]]}}";
  auto big = parse(200, huge);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().message.size() < 400);
}

// Checked by fuzz/redis_reply: an error reply's text went into the message as sent, so one
// non-UTF-8 byte made the status/Event JSON throw (issue 8).
TEST_CASE("redis error replies are quoted as valid, bounded UTF-8", "[redis][parse]") {
  RedisReply r;
  r.type = RedisReply::Type::kError;
  r.str = "WRONGTYPE caf\xe9 " + std::string(1000, 'x');
  const Error e = RedisReplyError(r, "redis://r:6379/0: LLEN q");
  CHECK(e.code == ErrorCode::kInvalidValue);
  CHECK(ebb::IsValidUtf8(e.message));
  CHECK(e.message.size() < 300);
  CHECK(e.message.find("WRONGTYPE caf") != std::string::npos);
}

TEST_CASE("net helpers", "[net]") {
  CHECK(net::UrlEncode("sum(rate(x{a=\"b\"}[1m])) / 2") ==
        "sum%28rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%29%20%2F%202");
  CHECK(net::RedactUrl("https://user:pw@host:9090/api/v1/query?query=x") ==
        "https://host:9090/api/v1/query");
  CHECK(net::RedactUrl("http://host/a@b") == "http://host/a@b");
  ReadContext ctx{At(100), At(100) + Duration(250)};
  CHECK(TimeBudget(ctx, Seconds(3)) == Duration(250));
  CHECK(TimeBudget(ReadContext{At(100), Timestamp{}}, Seconds(3)) == Seconds(3));
  CHECK(TimeBudget(ReadContext{At(100), At(99)}, Seconds(3)) == Duration(1));
}
