#include "controller/spec/documents.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "controller/base/text.h"

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

bool IsDigits(const std::string& s, size_t from, size_t to) {
  if (from >= to) return false;
  for (size_t i = from; i < to; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// [-+]?[0-9]+
bool IsInt(const std::string& s) {
  const size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  return IsDigits(s, start, s.size());
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloat(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    return IsDigits(s, i, s.size());
  }
  return i == s.size();
}

// YAML 1.2 core schema resolution for plain scalars.
json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (IsInt(s)) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0) return v;
    return s;  // out of int64: keep the text, the field parser reports it
  }
  if (IsFloat(s)) return std::strtod(s.c_str(), nullptr);
  return s;
}

// yaml-cpp guesses UTF-16/32 from the first bytes (a file starting "\x01\0\0\0" is read as
// UTF-32) and writes code points past U+10FFFF as bytes that are not UTF-8 (found by
// fuzz/documents), so every text it returns is checked.
const std::string& Utf8(const YAML::Node& node, const std::string& text) {
  if (!IsValidUtf8(text))
    throw YAML::Exception(node.Mark(), "text that is not UTF-8 (is the file UTF-8?)");
  return text;
}

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      if (node.Tag() == "!") return Utf8(node, node.Scalar());
      return PlainScalar(Utf8(node, node.Scalar()));
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node)
        obj[Utf8(kv.first, kv.first.as<std::string>())] = YamlToJson(kv.second);
      return obj;
    }
  }
  return nullptr;
}

}  // namespace

Result<std::vector<json>> ParseDocuments(std::string_view text, std::string_view source) {
  std::vector<json> docs;
  // yaml-cpp passes bytes that are not UTF-8 through into names, keys and queries, and every JSON
  // written from them later throws (found by fuzz/documents). The JSON parser checks by itself.
  if (!IsValidUtf8(text))
    return MakeError(ErrorCode::kParse, std::string(source) + ": not valid UTF-8");
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
