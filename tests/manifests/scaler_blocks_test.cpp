// The manifest cases (tests/manifests/cases) against everything ebb checks: the Autoscaler spec
// (api::ParseAutoscaler, what `ebb validate` runs) and each scaler's source block on its own
// (its registered parser). drift_test.sh compares the same cases with the CRD's schema; here the
// CRD's list of metric types and blocks is held to the scaler registry's (scalers/registry.cpp).
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "scalers/registry.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Verdict {
  bool spec_ok = true;
  bool blocks_ok = true;
  std::string problems;
};

Verdict Judge(const fs::path& file) {
  Verdict v;
  auto docs = ebb::api::LoadDocuments(file.string());
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  const json& doc = docs->front();
  if (auto a = ebb::api::ParseAutoscaler(doc); !a) {
    v.spec_ok = false;
    v.problems += a.error().message + "\n";
  }
  const json* metrics = nullptr;
  if (doc.contains("spec") && doc["spec"].is_object() && doc["spec"].contains("metrics")) {
    metrics = &doc["spec"]["metrics"];
  }
  for (size_t i = 0; metrics != nullptr && metrics->is_array() && i < metrics->size(); ++i) {
    const json& m = (*metrics)[i];
    const std::string type = m.value("type", "");
    const std::string path = "spec.metrics[" + std::to_string(i) + "]";
    const ebb::scalers::ScalerType* t = ebb::scalers::FindScalerType(type);
    if (t == nullptr || !m.contains(std::string(t->block))) continue;
    std::vector<std::string> problems;
    if (!ebb::scalers::ParseSource(*t, m[std::string(t->block)], path + "." + std::string(t->block),
                                   problems)) {
      v.blocks_ok = false;
      for (const auto& p : problems) v.problems += p + "\n";
    }
  }
  return v;
}

const fs::path kCases = EBB_MANIFEST_CASES;
const fs::path kCrd = EBB_CRD;

bool NamedAfterScaler(const std::string& name) {
  for (const auto& t : ebb::scalers::ScalerTypes()) {
    if (name.rfind(std::string(t.block) + "-", 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("every valid manifest case passes the spec and its source blocks") {
  int n = 0;
  for (const auto& e : fs::directory_iterator(kCases / "valid")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    INFO(e.path().filename().string());
    const Verdict v = Judge(e.path());
    INFO(v.problems);
    CHECK(v.spec_ok);
    CHECK(v.blocks_ok);
  }
  CHECK(n >= 5);
}

TEST_CASE("every invalid manifest case is rejected, <scaler>- ones by their scaler") {
  int n = 0;
  for (const auto& e : fs::directory_iterator(kCases / "invalid")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    const std::string name = e.path().stem().string();
    INFO(name);
    const Verdict v = Judge(e.path());
    CHECK_FALSE((v.spec_ok && v.blocks_ok));
    // Cases named after a scaler are about its source block: the scaler must be what rejects it.
    if (NamedAfterScaler(name)) {
      CHECK_FALSE(v.blocks_ok);
    }
  }
  CHECK(n >= 20);
}

TEST_CASE("the CRD lists exactly the registry's scaler types, each with its block") {
  auto docs = ebb::api::LoadDocuments(kCrd.string());
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  const json& items = docs->front()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
                                   ["properties"]["spec"]["properties"]["metrics"]["items"];
  REQUIRE(items.is_object());
  const std::set<std::string> hpa_types = {"Resource", "ContainerResource", "Pods", "Object",
                                           "External"};
  // HPA's fields, and ebb's per-metric fields that are no source (predictive forecasting).
  const std::set<std::string> hpa_blocks = {"type", "name",   "resource", "containerResource",
                                            "pods", "object", "external", "predictive"};
  std::set<std::string> crd_types, crd_blocks, registry_types, registry_blocks;
  for (const json& t : items["properties"]["type"]["enum"]) {
    if (!hpa_types.count(t.get<std::string>())) crd_types.insert(t.get<std::string>());
  }
  for (const auto& [k, v] : items["properties"].items()) {
    if (!hpa_blocks.count(k)) crd_blocks.insert(k);
  }
  for (const auto& t : ebb::scalers::ScalerTypes()) {
    registry_types.emplace(t.type);
    registry_blocks.emplace(t.block);
    INFO("scaler " << t.type);
    // The type requires its block (anyOf), and the block carries the core's two fields.
    bool required = false;
    for (const json& alt : items["anyOf"]) {
      required = required || (alt["properties"]["type"]["enum"] == json::array({t.type}) &&
                              alt["required"] == json::array({t.block}));
    }
    CHECK(required);
    const json& block = items["properties"][std::string(t.block)];
    CHECK(block["properties"].contains("target"));
    CHECK(block["properties"].contains("activationThreshold"));
    bool target_required = false;
    for (const json& r : block["required"]) target_required = target_required || r == "target";
    CHECK(target_required);
  }
  CHECK(crd_types == registry_types);
  CHECK(crd_blocks == registry_blocks);
}

TEST_CASE("every scaler type has a valid and an invalid manifest case") {
  for (const auto& t : ebb::scalers::ScalerTypes()) {
    INFO("scaler " << t.type);
    bool valid = false, invalid = false;
    for (const auto& e : fs::directory_iterator(kCases / "valid")) {
      auto docs = ebb::api::LoadDocuments(e.path().string());
      REQUIRE(docs);
      for (const json& m : docs->front()["spec"].value("metrics", json::array())) {
        valid = valid || m.value("type", "") == t.type;
      }
    }
    for (const auto& e : fs::directory_iterator(kCases / "invalid")) {
      invalid = invalid || e.path().stem().string().rfind(std::string(t.block) + "-", 0) == 0;
    }
    CHECK(valid);
    CHECK(invalid);
  }
}
