// YAML/JSON files as `ebb validate`, `ebb run -f`, `ebb simulate` and `ebb convert` read them
// (spec/documents ParseDocuments), then every document through the readers that apply: the
// Autoscaler parser and its metric sources' parsers (prometheus:, redis:), the Simulation parser
// and its models resolved against the Autoscaler. Documents are whatever the parser returns, so
// they must dump as JSON again; every error is valid UTF-8 when the file was.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/net/http_client.h"
#include "controller/sim/simulation_config.h"
#include "controller/sources/scaler_metrics.h"
#include "fuzz/fuzz_check.h"
#include "scalers/redis_pool.h"

namespace {

// Sources are only built here; a read would be a bug in the target.
class NoHttp final : public ebb::net::HttpClient {
 public:
  ebb::Result<ebb::net::HttpResponse> Send(const ebb::net::HttpRequest&) override {
    ebb::fuzz::Check(false, "a source sent a request while being parsed");
    return ebb::MakeError(ebb::ErrorCode::kInternal, "unreachable");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  static NoHttp http;
  static scalers::RedisPool redis;
  scalers::ScalerDeps deps{&http, &redis, false};

  const std::string_view text = fuzz::AsText(data, size);
  const bool utf8 = IsValidUtf8(text);
  const auto docs = api::ParseDocuments(text, "fuzz.yaml");
  if (!docs) {
    if (utf8) fuzz::CheckMessage(docs.error().message);
    return 0;
  }
  std::optional<api::Autoscaler> autoscaler;
  for (const auto& doc : *docs) {
    fuzz::CheckDumps(doc);
    const bool is_simulation =
        doc.is_object() && doc.contains("kind") && doc["kind"] == sim::kSimulationKind;
    if (is_simulation) continue;
    auto a = api::ParseAutoscaler(doc);
    if (utf8) fuzz::CheckError(a);
    if (!a) continue;
    fuzz::Check(a->spec.min_replicas <= a->spec.max_replicas, "minReplicas above maxReplicas");
    const auto bound = sources::BindScalers(*a, deps);  // as `ebb validate` checks sources
    if (utf8) fuzz::CheckError(bound);
    if (!autoscaler) autoscaler = std::move(*a);
  }
  for (const auto& doc : *docs) {
    const bool is_simulation =
        doc.is_object() && doc.contains("kind") && doc["kind"] == sim::kSimulationKind;
    if (!is_simulation) continue;
    auto s = sim::ParseSimulation(doc, "fuzz.yaml");
    if (utf8) fuzz::CheckError(s);
    if (!s || !autoscaler) continue;
    auto models = sim::ResolveModels(*s, autoscaler->spec, autoscaler->name);
    if (utf8) fuzz::CheckError(models);
    if (models) fuzz::Check(models->size() == autoscaler->spec.metrics.size(), "models != metrics");
  }
  return 0;
}
