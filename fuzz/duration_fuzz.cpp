// Durations and times as documents and flags spell them: api::ParseDurationSeconds (settings
// flags: "300", "5m0s"), a scaler's `timeout` (seconds or "500ms"), and RFC 3339 timestamps
// (pod start times, recordings, decide documents). Whatever parses formats back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "controller/api/settings.h"
#include "controller/api/timestamps.h"
#include "fuzz/fuzz_check.h"
#include "scalers/config_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  const std::string_view text = fuzz::AsText(data, size);

  if (const auto secs = api::ParseDurationSeconds(text)) {
    fuzz::Check(*secs >= 0, "negative duration", text);
    const auto plain = api::ParseDurationSeconds(std::to_string(*secs));
    const auto go = api::ParseDurationSeconds(std::to_string(*secs) + "s");
    fuzz::Check(plain == secs && go == secs, "duration does not re-parse to itself", text);
  }
  decision::Settings settings;
  const auto flag = api::ApplySettingFlag("--downscale-stabilization", std::string(text), settings);
  if (IsValidUtf8(text)) fuzz::CheckError(flag);

  // A scaler's timeout reads a JSON string; only valid UTF-8 reaches it from a parsed document.
  if (IsValidUtf8(text)) {
    const nlohmann::json block = {{"timeout", std::string(text)}};
    std::vector<std::string> problems;
    scalers::ConfigReader reader(block, "spec.metrics[0].redis", &problems);
    const auto timeout = reader.Timeout("timeout");
    fuzz::Check(!timeout || timeout->count() > 0, "a timeout that is not positive", text);
    for (const auto& p : problems) fuzz::CheckMessage(p);
  }

  for (const bool missing_zone_is_utc : {false, true}) {
    const auto t = api::ParseRfc3339(text, missing_zone_is_utc);
    if (!t) continue;
    const std::string formatted = api::FormatRfc3339(*t);
    const auto again = api::ParseRfc3339(formatted);
    fuzz::Check(again && *again == *t, "timestamp does not re-parse to itself",
                std::string(text) + " -> " + formatted);
    std::string appended;
    api::AppendRfc3339(appended, *t);
    fuzz::Check(appended == formatted, "AppendRfc3339 and FormatRfc3339 differ", text);
  }
  return 0;
}
