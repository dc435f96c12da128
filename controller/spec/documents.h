// Reading YAML or JSON files with several documents into JSON values, so every consumer (the
// Autoscaler parser, simulation settings, `ebb decide`) parses one representation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace ebb::spec {

// Parses YAML (several documents separated by ---) or JSON (one value, or several concatenated)
// into JSON values. Empty documents are skipped. Plain YAML scalars become numbers, booleans or
// null where YAML 1.2 says so; quoted scalars stay strings. `source` names the input in errors.
Result<std::vector<nlohmann::json>> ParseDocuments(std::string_view text, std::string_view source);

// Reads a file ("-" is stdin) and parses it as above.
Result<std::vector<nlohmann::json>> LoadDocuments(const std::string& path);

}  // namespace ebb::spec
