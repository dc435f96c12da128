#include "controller/api/autoscaler.h"

#include <catch2/catch.hpp>

#include "controller/api/documents.h"

using ebb::api::ParseAutoscaler;
using ebb::api::ParseDocuments;

namespace {

nlohmann::json Doc(const std::string& yaml) {
  auto docs = ParseDocuments(yaml, "test.yaml");
  REQUIRE(docs.has_value());
  REQUIRE(docs->size() == 1);
  return docs->front();
}

const char* kWorker = R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata:
  name: worker
  namespace: jobs
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: celery-worker}
  minReplicas: 1
  maxReplicas: 20
  metrics:
    - type: Redis
      name: backlog
      redis:
        address: redis:6379
        celery: {queues: [celery]}
        target: {type: AverageValue, averageValue: "5"}
        activationThreshold: "0"
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
)";

}  // namespace

TEST_CASE("a valid Autoscaler parses with HPA defaults filled field by field", "[spec]") {
  auto a = ParseAutoscaler(Doc(kWorker));
  REQUIRE(a.has_value());
  CHECK(a->name == "worker");
  CHECK(a->namespace_name == "jobs");
  CHECK(a->target.kind == "Deployment");
  const auto& s = a->spec;
  CHECK(s.min_replicas == 1);
  CHECK(s.max_replicas == 20);
  REQUIRE(s.metrics.size() == 1);
  CHECK(s.metrics[0].name == "backlog");
  CHECK(s.metrics[0].type == ebb::decision::SourceType::kScaler);
  CHECK(s.metrics[0].scaler == "Redis");
  CHECK(s.metrics[0].target.average_value_milli == 5000);
  REQUIRE(s.behavior.has_value());
  CHECK(s.behavior->scale_up.stabilization_window_seconds == 60);
  CHECK(s.behavior->scale_up.select_policy == ebb::decision::SelectPolicy::kMax);  // default
  CHECK(s.behavior->scale_down.policies.size() == 1);
  CHECK(s.cooldown_period_seconds == 300);
  CHECK(s.polling_interval_seconds == 15);
  CHECK(a->sources[0].field_path == "spec.metrics[0].redis");
  CHECK(a->sources[0].block["address"] == "redis:6379");
}

TEST_CASE("defaults: no metrics means cpu 80 %, partial behavior keeps upstream defaults",
          "[spec]") {
  auto a = ParseAutoscaler(Doc(R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  maxReplicas: 10
  behavior:
    scaleDown: {selectPolicy: Min}
)"));
  REQUIRE(a.has_value());
  REQUIRE(a->spec.metrics.size() == 1);
  CHECK(a->spec.metrics[0].resource == "cpu");
  CHECK(a->spec.metrics[0].target.average_utilization == 80);
  const auto& b = *a->spec.behavior;
  CHECK(b.scale_up.policies.size() == 2);  // Pods 4 / Percent 100 per 15 s
  CHECK_FALSE(b.scale_down.stabilization_window_seconds.has_value());  // controller setting
  CHECK(b.scale_down.select_policy == ebb::decision::SelectPolicy::kMin);
  CHECK(b.scale_down.policies.size() == 1);
}

TEST_CASE("validation reports every problem with its field path", "[spec]") {
  auto a = ParseAutoscaler(Doc(R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata:
  name: broken
  annotations: {ebb.dev/paused: "yes"}
spec:
  scaleTargetRef: {kind: Deployment}
  minReplicas: 5
  maxReplicas: 2
  minReplica: 3
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Value, value: "1"}}
    - type: Pods
      pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: "-1"}}
    - type: Kafka
  behavior:
    scaleUp: {stabilizationWindowSeconds: 4000, selectPolicy: Fastest}
    scaleDown:
      policies:
        - {type: Pods, value: 1, periodSeconds: 15}
        - {type: Percent, value: 10, periodSeconds: 0}
  fallback: {replicas: 3}
)"));
  REQUIRE_FALSE(a.has_value());
  const std::string& m = a.error().message;
  const char* expected[] = {
      "Autoscaler default/broken: metadata.annotations[ebb.dev/paused]: must be \"true\" or "
      "\"false\"",
      "spec.scaleTargetRef.name: required",
      "spec.maxReplicas: must be greater than or equal to minReplicas (5)",
      "spec.minReplica: unknown field",
      "spec.metrics[0].resource.target.type: must be one of: Utilization, AverageValue",
      "spec.metrics[1].pods.target.averageValue: must be greater than zero",
      "spec.metrics[2].type: must be one of",
      "spec.behavior.scaleUp.stabilizationWindowSeconds: 4000 is out of range [0, 3600]",
      "spec.behavior.scaleUp.selectPolicy: must be one of: Max, Min, Disabled",
      "spec.behavior.scaleDown.policies[1].periodSeconds: 0 is out of range [1, 1800]",
      "spec.fallback.failureThreshold: required",
  };
  for (const char* e : expected) {
    INFO(e);
    CHECK(m.find(e) != std::string::npos);
  }
}

TEST_CASE("scale to zero needs a metric that can be inactive, idle below min", "[spec]") {
  auto a = ParseAutoscaler(Doc(R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: z}
spec:
  scaleTargetRef: {kind: Deployment, name: z}
  minReplicas: 0
  maxReplicas: 3
  idleReplicas: 0
)"));
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().message.find("spec.minReplicas: 0 needs at least one metric") !=
        std::string::npos);
  CHECK(a.error().message.find("spec.idleReplicas: must be less than minReplicas (0)") !=
        std::string::npos);
}

TEST_CASE("pause annotations", "[spec]") {
  auto a = ParseAutoscaler(Doc(R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: p, annotations: {ebb.dev/paused: "true", ebb.dev/paused-replicas: "3"}}
spec: {scaleTargetRef: {kind: Deployment, name: p}, maxReplicas: 4}
)"));
  REQUIRE(a.has_value());
  CHECK(a->spec.paused);
  CHECK(a->spec.paused_replicas == 3);
  auto bad = ParseAutoscaler(Doc(R"(
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: p, annotations: {ebb.dev/paused-replicas: "9"}}
spec: {scaleTargetRef: {kind: Deployment, name: p}, maxReplicas: 4}
)"));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("must not exceed maxReplicas (4)") != std::string::npos);
}

TEST_CASE("documents: YAML multi-doc, JSON, quoted scalars stay strings, errors name the line",
          "[spec]") {
  auto docs = ParseDocuments("a: 1\n---\nb: \"2\"\n---\n", "x.yaml");
  REQUIRE(docs.has_value());
  REQUIRE(docs->size() == 2);
  CHECK((*docs)[0]["a"].is_number_integer());
  CHECK((*docs)[1]["b"].is_string());
  auto json = ParseDocuments("{\"a\": 1} {\"b\": 2}", "x.json");
  REQUIRE(json.has_value());
  CHECK(json->size() == 2);
  auto bad = ParseDocuments("a: [1, 2\nb: 3\n", "bad.yaml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("bad.yaml: invalid YAML at line") != std::string::npos);
  auto badjson = ParseDocuments("{\"a\": }", "bad.json");
  REQUIRE_FALSE(badjson.has_value());
  CHECK(badjson.error().message.find("bad.json: invalid JSON") != std::string::npos);
}

// Found by fuzz/documents: YAML with a byte that is not UTF-8 (here in a key) parsed, and the
// document's JSON then threw type_error.316 when written (`ebb convert`, `ebb decide`, status).
TEST_CASE("documents: bytes that are not UTF-8 are refused", "[spec]") {
  auto bad = ParseDocuments("api\xa6version: ebb.dev/v1alpha1\nkind: Autoscaler\n", "odd.yaml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "odd.yaml: line 1: not valid UTF-8");
  auto ok = ParseDocuments("name: caf\xc3\xa9\n", "ok.yaml");
  REQUIRE(ok.has_value());
  CHECK((*ok)[0].dump() == "{\"name\":\"caf\xc3\xa9\"}");
}

// Found by fuzz/documents: yaml-cpp reads a file starting "\x01\0\0\0" as UTF-32 and returned text
// that is not UTF-8 although every input byte was.
TEST_CASE("documents: text yaml-cpp decodes to something not UTF-8 is refused", "[spec]") {
  const std::string text("\x01\0\0\0llingInterval 0\napiVersion: ebb.dev/v1alpha1\n", 49);
  auto r = ParseDocuments(text, "guess.yaml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message ==
        "guess.yaml: line 1: control character 0x01 (a document must be UTF-8 text)");
}

TEST_CASE("a scaler's block is read once, with the Autoscaler, into its typed config", "[spec]") {
  auto a = ParseAutoscaler(Doc(kWorker));
  REQUIRE(a.has_value());
  REQUIRE(a->sources.size() == 1);
  // The scaler is built from this config (runtime::BindScalers): the block is not read again.
  CHECK(a->sources[0].config != nullptr);

  // The scaler's own fields are judged here, by the scaler's parser, beside the core's fields.
  nlohmann::json doc = Doc(kWorker);
  doc["spec"]["metrics"][0]["redis"]["lsts"] = nlohmann::json::array({"q"});
  doc["spec"]["metrics"][0]["redis"]["target"]["averageValue"] = "0";
  doc["spec"]["maxReplicas"] = 0;
  auto bad = ParseAutoscaler(doc);
  REQUIRE_FALSE(bad.has_value());
  const std::string& msg = bad.error().message;
  INFO(msg);
  CHECK(msg.find("Autoscaler jobs/worker: spec.metrics[0].redis.lsts: unknown field") !=
        std::string::npos);
  CHECK(msg.find("Autoscaler jobs/worker: spec.metrics[0].redis.target.averageValue: must be "
                 "greater than zero") != std::string::npos);
  CHECK(msg.find("Autoscaler jobs/worker: spec.maxReplicas") != std::string::npos);

  // HPA metric types have no scaler config; an unknown type lists the registry's types.
  doc = Doc(kWorker);
  doc["spec"]["metrics"][0] = {{"type", "Kafka"}};
  auto unknown = ParseAutoscaler(doc);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message.find("must be one of: Resource, ContainerResource, Pods, Object, "
                                     "External, Prometheus, Redis, RabbitMQ (got \"Kafka\")") !=
        std::string::npos);
}
