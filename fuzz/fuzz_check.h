// Invariant checks shared by the fuzz targets. A broken invariant prints what broke and aborts,
// so libFuzzer keeps the input as a crash (crash-<sha1>) like any sanitizer finding. Exceptions
// are not caught here on purpose: one escaping a parser that promises typed errors is a finding.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "controller/base/text.h"

namespace ebb::fuzz {

inline void Check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (ok) return;
  const std::string shown = SafeText(detail, 600);
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n  %s\n", static_cast<int>(what.size()),
               what.data(), shown.c_str());
  std::abort();
}

// Messages end up in JSON (status, events, decide output), whose dump() throws on invalid UTF-8.
inline void CheckMessage(std::string_view message) {
  Check(IsValidUtf8(message), "message is not valid UTF-8", message);
}

template <typename T>
void CheckError(const Result<T>& r) {
  if (!r) CheckMessage(r.error().message);
}

// What every JSON value we produce must survive: dumping it (invalid UTF-8 throws).
inline void CheckDumps(const nlohmann::json& j) {
  (void)j.dump();
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace ebb::fuzz
