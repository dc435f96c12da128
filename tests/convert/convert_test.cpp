// ebb convert on real-world-shaped HPA and KEDA manifests: every output re-parsed by
// api::ParseAutoscaler (what `ebb validate` runs) and by the scalers' config parsers, after a
// round trip through the emitted YAML.
#include "controller/convert/convert.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "scalers/prometheus_scaler.h"
#include "scalers/rabbitmq_scaler.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/redis_stream_scaler.h"

namespace {

using nlohmann::json;

struct Converted {
  json yaml_doc;  // the emitted YAML parsed back
  ebb::api::Autoscaler autoscaler;
  std::vector<std::string> warnings;
};

std::string Fixture(const std::string& name) {
  return std::string(EBB_CONVERT_FIXTURES) + "/" + name;
}

std::vector<Converted> ConvertFile(const std::string& name) {
  auto docs = ebb::api::LoadDocuments(Fixture(name));
  REQUIRE(docs);
  std::vector<json> auths;
  for (const auto& d : *docs) {
    const std::string kind = d.value("kind", "");
    if (kind == "TriggerAuthentication" || kind == "ClusterTriggerAuthentication") {
      auths.push_back(d);
    }
  }
  std::vector<Converted> out;
  for (const auto& d : *docs) {
    if (!ebb::convert::IsConvertible(d)) continue;
    auto c = ebb::convert::Convert(d, auths);
    REQUIRE(c);
    const std::string yaml = ebb::convert::ToYaml(c->autoscaler);
    INFO(yaml);
    auto back = ebb::api::ParseDocuments(yaml, name);
    REQUIRE(back);
    REQUIRE(back->size() == 1);
    // The YAML says exactly what the JSON says (strings stay strings, numbers stay numbers).
    CHECK(back->front() == json::parse(c->autoscaler.dump()));
    auto a = ebb::api::ParseAutoscaler(back->front());
    INFO((a ? std::string() : a.error().message));
    REQUIRE(a);
    for (const auto& src : a->sources) {
      if (src.type == "Prometheus") {
        auto p = ebb::scalers::ParsePrometheusConfig(src.block, src.field_path);
        INFO((p ? std::string() : p.error().message));
        CHECK(p);
      } else if (src.type == "Redis" && src.block.contains("stream")) {
        auto r = ebb::scalers::ParseRedisStreamConfig(src.block, src.field_path);
        INFO((r ? std::string() : r.error().message));
        CHECK(r);
      } else if (src.type == "Redis") {
        auto r = ebb::scalers::ParseRedisListConfig(src.block, src.field_path);
        INFO((r ? std::string() : r.error().message));
        CHECK(r);
      } else if (src.type == "RabbitMQ") {
        auto r = ebb::scalers::ParseRabbitMQConfig(src.block, src.field_path);
        INFO((r ? std::string() : r.error().message));
        CHECK(r);
      }
    }
    out.push_back({back->front(), std::move(*a), c->warnings});
  }
  return out;
}

bool Warned(const Converted& c, const std::string& text) {
  for (const auto& w : c.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("autoscaling/v2 HPA: metrics and behavior carried over field for field") {
  auto out = ConvertFile("hpa-v2-web.yaml");
  REQUIRE(out.size() == 1);  // the Deployment is skipped
  const auto& c = out[0];
  CHECK(c.yaml_doc["metadata"]["name"] == "storefront");
  CHECK(c.yaml_doc["metadata"]["namespace"] == "shop");
  CHECK(c.yaml_doc["metadata"]["labels"]["app.kubernetes.io/name"] == "storefront");
  CHECK_FALSE(c.yaml_doc["metadata"].contains("annotations"));
  CHECK(c.autoscaler.spec.min_replicas == 3);
  CHECK(c.autoscaler.spec.max_replicas == 40);
  REQUIRE(c.autoscaler.spec.metrics.size() == 2);
  CHECK(c.autoscaler.spec.metrics[0].target.average_utilization == 65);
  CHECK(c.autoscaler.spec.metrics[1].target.average_value_milli == 400LL * 1024 * 1024 * 1000);
  REQUIRE(c.autoscaler.spec.behavior);
  CHECK(c.autoscaler.spec.behavior->scale_down.stabilization_window_seconds == 300);
  CHECK(c.autoscaler.spec.behavior->scale_up.policies.size() == 2);
  CHECK_FALSE(c.yaml_doc["spec"].contains("status"));
  CHECK(Warned(c, "delete the HPA"));
}

TEST_CASE("autoscaling/v2 HPA with Pods, Object and External metrics") {
  auto out = ConvertFile("hpa-v2-custom-metrics.yaml");
  REQUIRE(out.size() == 1);
  const auto& s = out[0].autoscaler.spec;
  REQUIRE(s.metrics.size() == 4);
  CHECK(s.metrics[1].type == ebb::decision::SourceType::kPods);
  CHECK(s.metrics[1].target.average_value_milli == 1000000);
  CHECK(s.metrics[2].described_kind == "Ingress");
  CHECK(s.metrics[2].target.value_milli == 10000000);
  CHECK(s.metrics[3].type == ebb::decision::SourceType::kExternal);
  CHECK(s.metrics[3].target.average_value_milli == 30000);
  CHECK_FALSE(s.behavior);  // no behavior: upstream's legacy path, as the HPA had
}

TEST_CASE("autoscaling/v2beta2, v2beta1 and v1 HPAs") {
  auto b2 = ConvertFile("hpa-v2beta2.yaml");
  REQUIRE(b2.size() == 1);
  CHECK(b2[0].autoscaler.target.kind == "StatefulSet");
  CHECK(b2[0].autoscaler.spec.metrics[0].container == "app");
  CHECK(b2[0].autoscaler.spec.behavior->scale_down.select_policy ==
        ebb::decision::SelectPolicy::kDisabled);

  auto b1 = ConvertFile("hpa-v2beta1.yaml");
  REQUIRE(b1.size() == 1);
  const auto& m = b1[0].autoscaler.spec.metrics;
  REQUIRE(m.size() == 3);
  CHECK(m[0].target.type == ebb::decision::TargetType::kUtilization);
  CHECK(m[0].target.average_utilization == 75);
  CHECK(m[1].metric_name == "http_requests");
  CHECK(m[1].target.average_value_milli == 20000);
  CHECK(m[2].target.type == ebb::decision::TargetType::kAverageValue);
  CHECK(m[2].selector.find("echo-read") != std::string::npos);

  auto v1 = ConvertFile("hpa-v1.yaml");
  REQUIRE(v1.size() == 1);
  REQUIRE(v1[0].autoscaler.spec.metrics.size() == 1);
  CHECK(v1[0].autoscaler.spec.metrics[0].resource == "cpu");
  CHECK(v1[0].autoscaler.spec.metrics[0].target.average_utilization == 50);
}

TEST_CASE("KEDA redis ScaledObject: list, scale to zero, fallback, behavior, secret hint") {
  auto out = ConvertFile("keda-redis-celery.yaml");
  REQUIRE(out.size() == 1);
  const auto& c = out[0];
  const auto& s = c.autoscaler.spec;
  CHECK(c.autoscaler.target.kind == "Deployment");  // KEDA's default kind
  CHECK(s.min_replicas == 0);
  CHECK(s.max_replicas == 30);
  CHECK(s.polling_interval_seconds == 15);
  CHECK(s.cooldown_period_seconds == 120);
  REQUIRE(s.metrics.size() == 1);
  CHECK(s.metrics[0].type == ebb::decision::SourceType::kScaler);
  CHECK(s.metrics[0].scaler == "Redis");
  CHECK(s.metrics[0].target.average_value_milli == 10000);
  CHECK(s.metrics[0].activation_threshold_milli == 1000);
  const json& redis = c.yaml_doc["spec"]["metrics"][0]["redis"];
  CHECK(redis["address"] == "redis-master.jobs.svc.cluster.local:6379");
  CHECK(redis["lists"] == json::array({"celery"}));
  CHECK_FALSE(redis.contains("db"));  // databaseIndex 0 is the default
  REQUIRE(s.fallback);
  CHECK(s.fallback->replicas == 6);
  CHECK(s.fallback->behavior == ebb::decision::FallbackBehavior::kCurrentReplicasIfHigher);
  REQUIRE(s.behavior);
  CHECK(s.behavior->scale_down.policies[0].value == 50);
  // The TriggerAuthentication's Secret key is named, with the field to set.
  CHECK(Warned(c, "Secret redis-credentials key redis-password"));
  // ...and carried: the controller reads that Secret key in the Autoscaler's namespace (without
  // it the Autoscaler met NOAUTH); the warning names the RBAC and gives the env route too.
  CHECK(redis["passwordSecretKeyRef"] ==
        json({{"name", "redis-credentials"}, {"key", "redis-password"}}));
  CHECK_FALSE(redis.contains("passwordFromEnv"));
  CHECK(Warned(c, "manifests/components/secrets-reader"));
  CHECK(Warned(c, "passwordFromEnv: REDIS_CREDENTIALS_REDIS_PASSWORD"));
  CHECK(Warned(c, "secretKeyRef: {name: redis-credentials, key: redis-password}"));
  CHECK(Warned(c, "celery: {queues: [celery]}"));
}

TEST_CASE("KEDA prometheus + cpu ScaledObject: pause, idle, defaults made explicit") {
  auto out = ConvertFile("keda-prometheus-cpu.yaml");
  REQUIRE(out.size() == 1);
  const auto& c = out[0];
  const auto& s = c.autoscaler.spec;
  CHECK(s.paused_replicas == 4);
  CHECK(c.yaml_doc["metadata"]["annotations"]["ebb.dev/paused-replicas"] == "4");
  CHECK(s.idle_replicas == 0);
  CHECK(s.min_replicas == 2);
  CHECK(s.polling_interval_seconds == 30);  // KEDA's default, not ebb's 15
  REQUIRE(s.metrics.size() == 2);
  CHECK(s.metrics[0].name == "rps");
  CHECK(s.metrics[0].target.average_value_milli == 100000);
  CHECK(s.metrics[0].activation_threshold_milli == 5000);
  CHECK(s.metrics[1].resource == "cpu");
  CHECK(s.metrics[1].target.average_utilization == 70);
  const json& p = c.yaml_doc["spec"]["metrics"][0]["prometheus"];
  CHECK(p["customHeaders"]["X-Team"] == "edge");
  CHECK(p["tls"]["insecureSkipVerify"] == true);
  CHECK(p["timeout"] == "2000ms");
  CHECK_FALSE(p.contains("emptyAsZero"));
  CHECK_FALSE(Warned(c, "ignoreNullValues"));  // explicitly false: same as ebb
  CHECK(Warned(c, "X-Scope-OrgID"));
  CHECK(Warned(c, "authenticationRef TriggerAuthentication/thanos-token"));
  CHECK(Warned(c, "auth.bearerTokenFromEnv"));
}

TEST_CASE("KEDA: unsupported triggers and features are warned about, the rest converts") {
  auto out = ConvertFile("keda-mixed.yaml");
  REQUIRE(out.size() == 1);
  const auto& c = out[0];
  const auto& s = c.autoscaler.spec;
  REQUIRE(s.metrics.size() == 2);  // kafka dropped
  CHECK(s.min_replicas == 0);      // KEDA default, with a stream that can be inactive
  CHECK(s.max_replicas == 20);
  const json& r = c.yaml_doc["spec"]["metrics"][0]["redis"];
  CHECK(r["address"] == "redis.orders.svc:6379");
  CHECK(r["streamMetric"] == "Pending");
  CHECK(s.metrics[0].target.average_value_milli == 25000);
  CHECK(s.metrics[1].type == ebb::decision::SourceType::kContainerResource);
  CHECK(s.metrics[1].container == "consumer");
  CHECK(s.metrics[1].target.type == ebb::decision::TargetType::kAverageValue);
  CHECK(Warned(c, "trigger type \"kafka\" is not supported"));
  CHECK(Warned(c, "scalingModifiers"));
  CHECK(Warned(c, "addressFromEnv"));
  CHECK(r["tls"] == json::object());  // enableTLS: TLS on, verified
  CHECK_FALSE(Warned(c, "enableTLS"));
  CHECK(Warned(c, "envSourceContainerName"));
  CHECK(Warned(c, "paused-scale-in"));
}

TEST_CASE("KEDA: nothing convertible is an error, other kinds are refused") {
  auto docs = ebb::api::LoadDocuments(Fixture("keda-unsupported-only.yaml"));
  REQUIRE(docs);
  auto c = ebb::convert::Convert(docs->front());
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("no trigger ebb can scale on") != std::string::npos);

  CHECK_FALSE(ebb::convert::Convert(json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}}));
  json malformed = {{"apiVersion", "autoscaling/v2"},
                    {"kind", "HorizontalPodAutoscaler"},
                    {"metadata", {{"name", "x"}}},
                    {"spec", {{"scaleTargetRef", {{"kind", "Deployment"}}}}}};
  CHECK_FALSE(ebb::convert::Convert(malformed));
}

TEST_CASE("ToYaml quotes strings YAML would read as something else") {
  nlohmann::ordered_json doc = {{"a", "5"},     {"b", "true"}, {"c", "0.5"}, {"d", "1e3"},
                                {"e", "null"},  {"f", "x: y"}, {"g", ""},    {"h", "-1"},
                                {"i", "plain"}, {"j", 7},      {"k", true},  {"l", "#x"}};
  auto back = ebb::api::ParseDocuments(ebb::convert::ToYaml(doc), "t");
  REQUIRE(back);
  CHECK(back->front() == json::parse(doc.dump()));
}

TEST_CASE("KEDA: integers in trigger metadata are read whole, wrong types are errors, not throws") {
  auto keda = [](const json& metadata) {
    return json{{"apiVersion", "keda.sh/v1alpha1"},
                {"kind", "ScaledObject"},
                {"metadata", {{"name", "w"}, {"namespace", "jobs"}}},
                {"spec",
                 {{"scaleTargetRef", {{"name", "w"}}},
                  {"triggers", {{{"type", "cpu"}, {"metadata", metadata}}}}}}};
  };
  // std::stoi read "50%" as 50 and threw on 2^31 (caught, but as "not an integer").
  for (const char* value : {"50%", "2147483648", "-5", " 50"}) {
    INFO(value);
    auto c = ebb::convert::Convert(keda({{"type", "Utilization"}, {"value", value}}));
    REQUIRE_FALSE(c);  // the only trigger was dropped
    CHECK(c.error().message.find("no trigger ebb can scale on") != std::string::npos);
  }
  auto ok = ebb::convert::Convert(keda({{"type", "Utilization"}, {"value", "50"}}));
  REQUIRE(ok);
  // A kind that is not a string is no convertible kind (json::value threw type_error).
  json odd = keda({{"value", "50"}});
  odd["kind"] = json::array({1});
  CHECK_FALSE(ebb::convert::IsConvertible(odd));
  CHECK(ebb::convert::KindOf(odd).empty());
  // A namespace that is not a string no longer throws while naming the object in the error.
  json bad_ns = keda({{"value", "50"}});
  bad_ns["metadata"]["namespace"] = json::array({1});
  bad_ns["spec"]["minReplicaCount"] = "one";  // json::value throws type_error on it
  auto c = ebb::convert::Convert(bad_ns);
  REQUIRE_FALSE(c);
  INFO(c.error().message);
  CHECK(c.error().message.find("ScaledObject w: malformed") != std::string::npos);
}

TEST_CASE("KEDA credentials: TriggerAuthentication parameters become the metric's fields") {
  auto out = ConvertFile("keda-credentials.yaml");
  REQUIRE(out.size() == 3);
  SECTION("prometheus: a bearer token from a Secret, the CA and a Vault provider warned") {
    const auto& c = out[0];
    const json& p = c.yaml_doc["spec"]["metrics"][0]["prometheus"];
    CHECK(p["auth"]["bearerTokenSecretKeyRef"] == json({{"name", "thanos"}, {"key", "token"}}));
    CHECK(Warned(c, "is now auth.bearerTokenSecretKeyRef: {name: thanos, key: token}"));
    // The CA is a Secret of the Autoscaler's namespace too: read there, like the token.
    CHECK(p["tls"]["caSecretKeyRef"] == json({{"name", "thanos"}, {"key", "ca.crt"}}));
    CHECK(Warned(c, "parameter \"ca\" (Secret thanos key ca.crt) is now tls.caSecretKeyRef"));
    CHECK(Warned(c, "uses hashiCorpVault, which ebb does not read"));
  }
  SECTION("redis: a password from the target's env; a ClusterTriggerAuthentication's user") {
    const auto& c = out[1];
    const json& r = c.yaml_doc["spec"]["metrics"][0]["redis"];
    CHECK(r["passwordFromEnv"] == "REDIS_PASS");
    CHECK(Warned(c, "(the target container's env var REDIS_PASS) is now passwordFromEnv"));
    // A ClusterTriggerAuthentication's Secret is in KEDA's namespace, out of the Autoscaler's
    // reach: the env route.
    const json& r2 = c.yaml_doc["spec"]["metrics"][1]["redis"];
    CHECK(r2["passwordFromEnv"] == "SHARED_REDIS_PASSWORD");
    CHECK_FALSE(r2.contains("passwordSecretKeyRef"));
    CHECK(r2["usernameFromEnv"] == "SHARED_REDIS_USER");
    CHECK(
        Warned(c, "parameter \"username\" (Secret shared-redis key user) is now usernameFromEnv"));
    CHECK(Warned(c, "parameter \"sentinelPassword\" (Secret shared-redis key sp) has no ebb"));
  }
  SECTION("a TriggerAuthentication of another namespace is not used; basic auth from a Secret") {
    const auto& c = out[2];
    const json& m = c.yaml_doc["spec"]["metrics"];
    CHECK_FALSE(m[0]["redis"].contains("passwordFromEnv"));
    CHECK(Warned(c, "authenticationRef TriggerAuthentication/from-env is not in the input"));
    // The user name and the password both come from the Secret: basic auth is whole.
    CHECK(m[1]["prometheus"]["auth"]["usernameSecretKeyRef"] ==
          json({{"name", "basic"}, {"key", "username"}}));
    CHECK(m[1]["prometheus"]["auth"]["passwordSecretKeyRef"] ==
          json({{"name", "basic"}, {"key", "password"}}));
    CHECK_FALSE(Warned(c, "is left out"));
  }
}

TEST_CASE("KEDA redis-cluster and redis-cluster-streams map to cluster mode") {
  auto out = ConvertFile("keda-cluster-rabbitmq.yaml");
  REQUIRE(out.size() == 3);
  const auto& c = out[0];
  REQUIRE(c.autoscaler.spec.metrics.size() == 2);
  const json& lists = c.yaml_doc["spec"]["metrics"][0]["redis"];
  CHECK(lists["cluster"]["addresses"] ==
        json::array({"redis-cluster-0.redis:6379", "redis-cluster-1.redis:6379",
                     "redis-cluster-2.redis:6379"}));
  CHECK_FALSE(lists.contains("address"));
  CHECK_FALSE(lists.contains("db"));
  CHECK(lists["tls"] == json{{"insecureSkipVerify", true}});
  CHECK(lists["lists"] == json::array({"{jobs}:high"}));
  CHECK(lists["passwordFromEnv"] == "REDIS_PASSWORD");
  CHECK(c.autoscaler.spec.metrics[0].target.average_value_milli == 10000);
  CHECK(c.autoscaler.spec.metrics[0].activation_threshold_milli == 2000);
  const json& stream = c.yaml_doc["spec"]["metrics"][1]["redis"];
  CHECK(stream["cluster"]["addresses"] == json::array({"node-a.redis:7000", "node-b.redis:7001"}));
  CHECK(stream["streamMetric"] == "Pending");
  CHECK_FALSE(stream.contains("db"));
  CHECK(Warned(c, "databaseIndex \"3\": a Redis Cluster has only db 0"));
  CHECK(c.autoscaler.spec.min_replicas == 0);
}

TEST_CASE("KEDA redis-sentinel and redis-sentinel-streams map to sentinel mode, TLS from Secrets") {
  auto out = ConvertFile("keda-sentinel-tls.yaml");
  REQUIRE(out.size() == 1);
  const auto& c = out[0];
  REQUIRE(c.autoscaler.spec.metrics.size() == 2);  // the one without sentinelMaster is dropped
  CHECK(Warned(c, "redis-sentinel trigger without sentinelMaster"));
  const json& lists = c.yaml_doc["spec"]["metrics"][0]["redis"];
  CHECK(lists["sentinel"]["masterName"] == "mymaster");
  CHECK(lists["sentinel"]["addresses"] ==
        json::array({"sentinel-0.redis:26379", "sentinel-1.redis:26379"}));
  CHECK_FALSE(lists.contains("address"));
  CHECK(lists["db"] == 2);
  CHECK(lists["lists"] == json::array({"jobs"}));
  CHECK(lists["usernameSecretKeyRef"] == json({{"name", "redis-auth"}, {"key", "user"}}));
  CHECK(lists["passwordSecretKeyRef"] == json({{"name", "redis-auth"}, {"key", "password"}}));
  CHECK(lists["sentinel"]["passwordSecretKeyRef"] ==
        json({{"name", "redis-auth"}, {"key", "sentinel-password"}}));
  CHECK(lists["tls"]["caSecretKeyRef"] == json({{"name", "redis-tls"}, {"key", "ca.crt"}}));
  CHECK(lists["tls"]["certSecretKeyRef"] == json({{"name", "redis-tls"}, {"key", "tls.crt"}}));
  CHECK(lists["tls"]["keySecretKeyRef"] == json({{"name", "redis-tls"}, {"key", "tls.key"}}));
  CHECK(c.autoscaler.spec.metrics[0].target.average_value_milli == 10000);
  const json& stream = c.yaml_doc["spec"]["metrics"][1]["redis"];
  CHECK(stream["sentinel"]["addresses"] ==
        json::array({"sentinel-0.redis:26379", "sentinel-1.redis:26380"}));
  CHECK(stream["streamMetric"] == "Pending");
  CHECK(stream["consumerGroup"] == "workers");
}

TEST_CASE("KEDA redis address as a Celery broker URL: sentinel:// and redis:// with credentials") {
  auto out = ConvertFile("keda-cluster-rabbitmq.yaml");
  REQUIRE(out.size() == 3);
  const auto& c = out[1];
  REQUIRE(c.autoscaler.spec.metrics.size() == 2);
  const json& sentinel = c.yaml_doc["spec"]["metrics"][0]["redis"];
  CHECK(sentinel["sentinel"] ==
        json{{"masterName", "mymaster"},
             {"addresses", {"sentinel-0.redis:26379", "sentinel-1.redis:26379"}}});
  CHECK(sentinel["db"] == 1);
  CHECK(sentinel["passwordFromEnv"] == "REDIS_PASSWORD");
  CHECK_FALSE(sentinel.contains("address"));
  const json& url = c.yaml_doc["spec"]["metrics"][1]["redis"];
  CHECK(url["address"] == "rediss://cache.example.com:6380");
  CHECK(url["db"] == 2);
  CHECK(url["username"] == "ebb");
  CHECK(url["passwordFromEnv"] == "REDIS_PASSWORD");
  // The URLs' password is never copied into the Autoscaler or a warning.
  CHECK(c.yaml_doc.dump().find("s3cret") == std::string::npos);
  for (const auto& w : c.warnings) CHECK(w.find("s3cret") == std::string::npos);
  CHECK(Warned(c, "sentinel:// URL's password"));

  // A sentinel:// address without the master's name is dropped, saying where to give it.
  json doc = {
      {"apiVersion", "keda.sh/v1alpha1"},
      {"kind", "ScaledObject"},
      {"metadata", {{"name", "x"}}},
      {"spec",
       {{"scaleTargetRef", {{"name", "x"}}},
        {"triggers",
         {{{"type", "redis"}, {"metadata", {{"address", "sentinel://s:26379"}, {"listName", "l"}}}},
          {{"type", "cpu"}, {"metricType", "Utilization"}, {"metadata", {{"value", "50"}}}}}}}}};
  auto dropped = ebb::convert::Convert(doc);
  REQUIRE(dropped);
  bool said = false;
  for (const auto& w : dropped->warnings)
    said = said || w.find("sentinelMaster") != std::string::npos;
  CHECK(said);
}

TEST_CASE("KEDA rabbitmq maps to the RabbitMQ scaler") {
  auto out = ConvertFile("keda-cluster-rabbitmq.yaml");
  REQUIRE(out.size() == 3);
  const auto& c = out[2];
  REQUIRE(c.autoscaler.spec.metrics.size() == 3);  // the useRegex trigger is dropped
  const json& ready = c.yaml_doc["spec"]["metrics"][0]["rabbitmq"];
  CHECK(ready["serverAddress"] == "https://rabbitmq.jobs.svc:15671");
  CHECK(ready["vhost"] == "celery");
  CHECK(ready["queues"] == json::array({"celery"}));
  CHECK(ready["mode"] == "Ready");  // excludeUnacknowledged
  CHECK(ready["username"] == "ebb");
  CHECK(ready["passwordFromEnv"] == "RABBITMQ_PASSWORD");
  CHECK(ready["tls"] == json{{"insecureSkipVerify", true}});
  CHECK(ready["timeout"] == "2000ms");
  CHECK(c.autoscaler.spec.metrics[0].target.average_value_milli == 20000);
  CHECK(c.autoscaler.spec.metrics[0].activation_threshold_milli == 1000);
  CHECK(c.autoscaler.spec.metrics[0].name == "ready");
  const json& amqp = c.yaml_doc["spec"]["metrics"][1]["rabbitmq"];
  CHECK(amqp["serverAddress"] == "http://rabbitmq.jobs.svc:15672");
  CHECK_FALSE(amqp.contains("vhost"));  // %2F is the default vhost "/"
  CHECK(amqp["mode"] == "Ready");       // KEDA over AMQP counted ready messages only
  CHECK(c.autoscaler.spec.metrics[1].target.average_value_milli == 15000);  // queueLength
  CHECK(Warned(c, "over AMQP KEDA counted the ready messages only"));
  CHECK(Warned(c, "management API, not AMQP"));
  const json& rate = c.yaml_doc["spec"]["metrics"][2]["rabbitmq"];
  CHECK(rate["serverAddress"] == "http://rabbitmq.jobs.svc:15672/api-prefix");
  CHECK(rate["vhost"] == "other");  // vhostName wins over the URL's
  CHECK(rate["mode"] == "PublishRate");
  CHECK(c.autoscaler.spec.metrics[2].target.average_value_milli == 5500);
  CHECK(Warned(c, "useRegex"));
  CHECK(Warned(c, "operation \"sum\""));
  CHECK(Warned(c, "pageSize"));
  CHECK(c.yaml_doc.dump().find("s3cret") == std::string::npos);
}
