// The converted Autoscaler as block-style YAML, keys in the order they were set.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ebb::convert {

// Strings that YAML would read as something else (numbers, booleans, null) are quoted.
std::string ToYaml(const nlohmann::ordered_json& doc);

}  // namespace ebb::convert
