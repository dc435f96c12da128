// `ebb decide` documents (spec/decide_case): parsed, decided and written back as `ebb decide`
// does. A decision never scales above maxReplicas nor below zero, and its JSON always dumps.
#include <cstddef>
#include <cstdint>

#include "controller/api/decide_case.h"
#include "controller/api/documents.h"
#include "controller/decision/decider.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  const std::string_view text = fuzz::AsText(data, size);
  // JSON only: ParseDocuments would accept YAML too, which the documents target covers.
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  auto c = api::ParseDecideCase(doc);
  if (!c) {
    fuzz::CheckMessage(c.error().message);
    return 0;
  }
  decision::DecisionState state = c->state;
  const auto d = decision::Decide(c->autoscaler.spec, c->settings, c->observation, state, c->now);
  if (d.scale && !d.paused) {
    fuzz::Check(d.desired_replicas >= 0 && d.desired_replicas <= c->autoscaler.spec.max_replicas,
                "scaled outside [0, maxReplicas]", text);
  }
  fuzz::CheckDumps(api::DecisionToJson(c->autoscaler, d, state));
  return 0;
}
