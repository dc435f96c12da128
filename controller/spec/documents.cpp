#include "controller/spec/documents.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace ebb::spec {
namespace {

using nlohmann::json;

bool IsJsonText(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// YAML 1.2 core schema resolution for plain scalars.
json PlainScalar(const std::string& s) {
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0) return v;
    return s;  // out of int64: keep the text, the field parser reports it
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return s;
}

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      if (node.Tag() == "!") return node.Scalar();
      return PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return obj;
    }
  }
  return nullptr;
}

}  // namespace

Result<std::vector<json>> ParseDocuments(std::string_view text, std::string_view source) {
  std::vector<json> docs;
  if (IsJsonText(text)) {
    std::istringstream in{std::string(text)};
    while (true) {
      in >> std::ws;
      if (in.eof()) break;
      try {
        json j;
        in >> j;
        if (!j.is_null()) docs.push_back(std::move(j));
      } catch (const json::exception& e) {
        return MakeError(ErrorCode::kParse, std::string(source) + ": invalid JSON: " + e.what());
      }
    }
    return docs;
  }
  try {
    for (const YAML::Node& node : YAML::LoadAll(std::string(text))) {
      json j = YamlToJson(node);
      if (!j.is_null()) docs.push_back(std::move(j));
    }
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kParse, std::string(source) + ": invalid YAML at line " +
                                            std::to_string(e.mark.line + 1) + ", column " +
                                            std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return docs;
}

Result<std::vector<json>> LoadDocuments(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) return MakeError(ErrorCode::kNotFound, path + ": cannot open file");
    std::ostringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  return ParseDocuments(text, path == "-" ? "<stdin>" : path);
}

}  // namespace ebb::spec
