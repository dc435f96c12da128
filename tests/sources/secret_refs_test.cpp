// Secret references (`...SecretKeyRef`, `authenticationRef`) bound by sources::BindScalers: read
// through the SecretReader port in the Autoscaler's own namespace, at every poll, with failures
// naming the field, the Secret and the key, never the value. An in-memory SecretReader and HTTP
// client stand in for the API server and Prometheus/RabbitMQ (the real ones: tests/kube,
// tests/e2e/secrets_e2e_test.cpp).
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <tuple>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/sources/scaler_metrics.h"
#include "scalers/redis_list_scaler.h"

using namespace ebb;

namespace {

class FakeSecrets final : public scalers::SecretReader {
 public:
  std::map<std::tuple<std::string, std::string, std::string>, std::string> values;
  std::vector<std::string> reads;  // "ns/name/key"
  Result<std::string> Read(const std::string& ns, const std::string& name,
                           const std::string& key) override {
    reads.push_back(ns + "/" + name + "/" + key);
    auto it = values.find({ns, name, key});
    if (it == values.end()) return MakeError(ErrorCode::kNotFound, "the Secret does not exist");
    return it->second;
  }
};

// Answers every request with a Prometheus scalar 3 (or a RabbitMQ queue of 3), keeping them.
class RecordingHttp final : public net::HttpClient {
 public:
  std::vector<net::HttpRequest> sent;
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent.push_back(request);
    if (request.url.find("/api/queues/") != std::string::npos) {
      return net::HttpResponse{200,
                               R"({"messages":3,"messages_ready":3,"messages_unacknowledged":0})"};
    }
    return net::HttpResponse{
        200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"3"]}})"};
  }

 private:
  std::mutex mu_;
};

api::Autoscaler Parse(const std::string& ns, const std::string& metric_yaml) {
  const std::string doc =
      "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: w, "
      "namespace: " +
      ns +
      "}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, "
      "name: w}\n  maxReplicas: 5\n  metrics:\n" +
      metric_yaml;
  auto docs = api::ParseDocuments(doc, "test");
  REQUIRE(docs);
  auto a = api::ParseAutoscaler(docs->at(0));
  INFO((a ? std::string() : a.error().message));
  REQUIRE(a);
  return *a;
}

std::string ParseError(const std::string& metric_yaml) {
  const std::string doc =
      "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: w, namespace: a}\nspec:\n"
      "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w}\n  maxReplicas: 5\n"
      "  metrics:\n" +
      metric_yaml;
  auto docs = api::ParseDocuments(doc, "test");
  REQUIRE(docs);
  auto a = api::ParseAutoscaler(docs->at(0));
  REQUIRE_FALSE(a);
  return a.error().message;
}

const char* kPromBearer = R"(    - type: Prometheus
      prometheus:
        serverAddress: http://prometheus:9090
        query: vector(3)
        auth:
          bearerTokenSecretKeyRef: {name: tok, key: token}
        target: {type: Value, value: "10"}
)";

std::string Header(const net::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

}  // namespace

TEST_CASE("a Secret reference is read in its Autoscaler's own namespace, at every poll",
          "[secrets]") {
  FakeSecrets secrets;
  secrets.values[{"team-a", "tok", "token"}] = "token-of-a";
  secrets.values[{"team-b", "tok", "token"}] = "token-of-b";
  RecordingHttp http;
  scalers::ScalerDeps deps{&http, nullptr};
  deps.secrets.reader = &secrets;
  const api::Autoscaler a = Parse("team-a", kPromBearer);
  const api::Autoscaler b = Parse("team-b", kPromBearer);
  auto ba = sources::BindScalers(a, deps);
  auto bb = sources::BindScalers(b, deps);
  REQUIRE(ba);
  REQUIRE(bb);
  auto polled = sources::PollAll({&a, &b}, {&*ba, &*bb}, {});
  REQUIRE(polled[0][0].ok);
  REQUIRE(polled[1][0].ok);
  REQUIRE(http.sent.size() == 2);
  CHECK(Header(http.sent[0], "Authorization") == "Bearer token-of-a");
  CHECK(Header(http.sent[1], "Authorization") == "Bearer token-of-b");
  // Rotated: the next poll sends the new value (the cache in front of the API server is
  // kube::SecretCache's business; this port is asked every time).
  secrets.values[{"team-a", "tok", "token"}] = "rotated-a";
  polled = sources::PollAll({&a}, {&*ba}, {});
  REQUIRE(polled[0][0].ok);
  CHECK(Header(http.sent.back(), "Authorization") == "Bearer rotated-a");
  CHECK(secrets.reads ==
        std::vector<std::string>{"team-a/tok/token", "team-b/tok/token", "team-a/tok/token"});
}

TEST_CASE("authenticationRef maps a Secret's keys to a block's secret fields", "[secrets]") {
  FakeSecrets secrets;
  secrets.values[{"jobs", "rabbit", "pw"}] = "rabbit-pw";
  secrets.values[{"jobs", "prom", "basic-pw"}] = "prom-pw";
  secrets.values[{"jobs", "tenant", "org"}] = "tenant-7";
  RecordingHttp http;
  scalers::ScalerDeps deps{&http, nullptr};
  deps.secrets.reader = &secrets;
  const api::Autoscaler a = Parse("jobs", R"(    - type: RabbitMQ
      rabbitmq:
        serverAddress: http://rabbitmq:15672
        queues: [celery]
        username: ebb
        authenticationRef: {name: rabbit, keys: {password: pw}}
        target: {type: Value, value: "10"}
    - type: Prometheus
      prometheus:
        serverAddress: http://prometheus:9090
        query: vector(3)
        customHeadersSecretKeyRef:
          X-Scope-OrgID: {name: tenant, key: org}
        auth: {username: ebb}
        authenticationRef: {name: prom, keys: {auth.password: basic-pw}}
        target: {type: Value, value: "10"}
)");
  auto bound = sources::BindScalers(a, deps);
  REQUIRE(bound);
  auto polled = sources::PollAll({&a}, {&*bound}, {});
  INFO(polled[0][0].error << " / " << polled[0][1].error);
  REQUIRE(polled[0][0].ok);
  REQUIRE(polled[0][1].ok);
  REQUIRE(http.sent.size() == 2);
  const net::HttpRequest& rabbit =
      http.sent[0].url.find("/api/queues/") != std::string::npos ? http.sent[0] : http.sent[1];
  const net::HttpRequest& prom = &rabbit == &http.sent[0] ? http.sent[1] : http.sent[0];
  CHECK(rabbit.basic_user == "ebb");
  CHECK(rabbit.basic_password == "rabbit-pw");
  CHECK(prom.basic_user == "ebb");
  CHECK(prom.basic_password == "prom-pw");
  CHECK(Header(prom, "X-Scope-OrgID") == "tenant-7");
}

TEST_CASE("a Secret that cannot be read fails the metric naming field, Secret and key",
          "[secrets]") {
  FakeSecrets secrets;
  RecordingHttp http;
  scalers::ScalerDeps deps{&http, nullptr};
  deps.secrets.reader = &secrets;
  const api::Autoscaler a = Parse("team-a", kPromBearer);
  auto bound = sources::BindScalers(a, deps);
  REQUIRE(bound);
  auto polled = sources::PollAll({&a}, {&*bound}, {});
  REQUIRE_FALSE(polled[0][0].ok);
  CHECK(polled[0][0].error.find("NotFound: ") == 0);
  CHECK(polled[0][0].error.find("spec.metrics[0].prometheus.auth.bearerTokenSecretKeyRef: "
                                "Secret team-a/tok key token: the Secret does not exist") !=
        std::string::npos);
  CHECK(http.sent.empty());  // nothing is sent without its credentials

  // No cluster (ebb run --once --replicas N): says what a Secret reference needs.
  scalers::ScalerDeps no_cluster{&http, nullptr};
  auto unbound = sources::BindScalers(a, no_cluster);
  REQUIRE(unbound);
  polled = sources::PollAll({&a}, {&*unbound}, {});
  REQUIRE_FALSE(polled[0][0].ok);
  INFO(polled[0][0].error);
  CHECK(polled[0][0].error.find("Secret team-a/tok key token: Secret references need a cluster") !=
        std::string::npos);
}

TEST_CASE("Redis connections are shared per namespace when a password comes from a Secret",
          "[secrets]") {
  const char* from_secret = R"(    - type: Redis
      redis:
        address: redis:6379
        passwordSecretKeyRef: {name: redis-auth, key: password}
        lists: [jobs]
        target: {type: Value, value: "10"}
)";
  const char* from_env = R"(    - type: Redis
      redis:
        address: redis:6379
        passwordFromEnv: REDIS_PASSWORD
        lists: [jobs]
        target: {type: Value, value: "10"}
)";
  scalers::RedisPool pool;
  scalers::ScalerDeps deps{nullptr, &pool};
  auto key = [&](const std::string& ns, const char* yaml) {
    const api::Autoscaler a = Parse(ns, yaml);
    auto b = sources::BindScalers(a, deps);
    REQUIRE(b);
    return dynamic_cast<scalers::RedisListScaler&>(*b->by_metric[0]).endpoint().Key();
  };
  // Two tenants naming "redis-auth" name two different secrets: never one connection.
  CHECK(key("team-a", from_secret) != key("team-b", from_secret));
  CHECK(key("team-a", from_secret) == key("team-a", from_secret));
  // The controller's own env var is one secret for everyone (unchanged).
  CHECK(key("team-a", from_env) == key("team-b", from_env));
}

TEST_CASE("secret reference fields are validated with their paths", "[secrets]") {
  const std::string p = "spec.metrics[0].redis";
  auto err = ParseError(R"(    - type: Redis
      redis:
        address: redis:6379
        passwordFromEnv: REDIS_PASSWORD
        passwordSecretKeyRef: {name: Redis_Auth, namespace: other}
        lists: [jobs]
        target: {type: Value, value: "10"}
)");
  INFO(err);
  CHECK(err.find(p + ".passwordFromEnv: set only one of passwordFromEnv, passwordFile and "
                     "passwordSecretKeyRef") != std::string::npos);
  CHECK(err.find(p + ".passwordSecretKeyRef.namespace: unknown field") != std::string::npos);
  CHECK(err.find(p + ".passwordSecretKeyRef.key: required") != std::string::npos);
  CHECK(err.find(p + ".passwordSecretKeyRef.name: must be a Secret's name") != std::string::npos);

  err = ParseError(R"(    - type: Redis
      redis:
        address: redis:6379
        passwordFromEnv: REDIS_PASSWORD
        authenticationRef: {name: redis-auth, keys: {password: pw, token: t}}
        lists: [jobs]
        target: {type: Value, value: "10"}
)");
  INFO(err);
  CHECK(err.find(p + ".authenticationRef.keys.token: not a secret field of this block (one of: "
                     "username, password, sentinel.username, sentinel.password, tls.ca, "
                     "tls.cert, tls.key)") != std::string::npos);
  CHECK(err.find("also given by authenticationRef.keys.password: set it in one place") !=
        std::string::npos);

  err = ParseError(R"(    - type: RabbitMQ
      rabbitmq:
        serverAddress: http://rabbitmq:15672
        queues: [celery]
        authenticationRef: {name: rabbit}
        tls: {certFile: /c.crt}
        target: {type: Value, value: "10"}
)");
  INFO(err);
  CHECK(err.find("spec.metrics[0].rabbitmq.authenticationRef.keys: required") != std::string::npos);
  CHECK(err.find("spec.metrics[0].rabbitmq.tls.keyFile: set both certFile and keyFile") !=
        std::string::npos);
}
