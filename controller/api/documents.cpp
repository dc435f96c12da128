#include "controller/api/documents.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "controller/api/document_builder.h"
#include "controller/base/text.h"

namespace ebb::api {
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

TextPosition At(const YAML::Mark& mark) {
  return {static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1};
}

// yaml-cpp's events straight into the builder: its own node graph would share aliased nodes,
// but converting that graph to JSON expands every alias with no bound.
class YamlEvents : public YAML::EventHandler {
 public:
  explicit YamlEvents(std::vector<json>& docs) : docs_(docs) {}

  void OnDocumentStart(const YAML::Mark&) override { builder_.BeginDocument(); }
  void OnDocumentEnd() override {
    json doc = builder_.EndDocument();
    if (!doc.is_null()) docs_.push_back(std::move(doc));
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    builder_.Scalar(nullptr, "null", At(mark), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    builder_.Alias(anchor, At(mark));
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    // yaml-cpp tags quoted scalars "!" and plain ones "?".
    const bool text = tag == "!" || tag == "tag:yaml.org,2002:str";
    builder_.Scalar(text ? json(value) : PlainScalar(value), value, At(mark), anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    builder_.BeginList(At(mark), anchor);
  }
  void OnSequenceEnd() override { builder_.End(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    builder_.BeginMap(At(mark), anchor);
  }
  void OnMapEnd() override { builder_.End(); }

 private:
  std::vector<json>& docs_;
  DocumentBuilder builder_;
};

// nlohmann's SAX events into the builder: its DOM parser keeps the last of duplicate keys and
// has no depth limit.
class JsonEvents {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit JsonEvents(DocumentBuilder& builder) : builder_(builder) {}

  bool null() { return Value(nullptr); }
  bool boolean(bool v) { return Value(v); }
  bool number_integer(number_integer_t v) { return Value(v); }
  bool number_unsigned(number_unsigned_t v) { return Value(v); }
  bool number_float(number_float_t v, const string_t&) { return Value(v); }
  bool string(string_t& v) {
    builder_.Scalar(json(v), v, {}, 0);
    return true;
  }
  bool binary(binary_t&) { return false; }  // not produced by the JSON parser
  bool start_object(std::size_t) {
    builder_.BeginMap({}, 0);
    return true;
  }
  bool key(string_t& k) {
    builder_.Scalar(json(k), k, {}, 0);
    return true;
  }
  bool end_object() {
    builder_.End();
    return true;
  }
  bool start_array(std::size_t) {
    builder_.BeginList({}, 0);
    return true;
  }
  bool end_array() {
    builder_.End();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool Value(json v) {
    builder_.Scalar(std::move(v), std::string(), {}, 0);
    return true;
  }
  DocumentBuilder& builder_;
  std::string error_;
};

// Names the first line that is not UTF-8 text ('\n' is never part of a multi-byte character).
// YAML and JSON allow no C0 control character but tab, LF and CR; refusing them up front also
// stops yaml-cpp from guessing UTF-16/32 from leading NULs ("\x01\0\0\0" is read as UTF-32)
// and handing back strings that are not UTF-8 (found by fuzz/documents).
std::string Utf8Problem(std::string_view text) {
  std::size_t line = 1;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\n') ++line;
    if ((u < 0x20 && u != '\t' && u != '\n' && u != '\r') || u == 0x7F) {
      return "line " + std::to_string(line) + ": control character 0x" +
             "0123456789abcdef"[u >> 4] + "0123456789abcdef"[u & 0xF] +
             " (a document must be UTF-8 text)";
    }
  }
  if (IsValidUtf8(text)) return {};
  line = 1;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    if (!IsValidUtf8(text.substr(begin, end - begin))) break;
    begin = end + 1;
    ++line;
  }
  return "line " + std::to_string(line) + ": not valid UTF-8";
}

Error ParseError(std::string_view source, const std::string& message) {
  return MakeError(ErrorCode::kParse, std::string(source) + ": " + message);
}

std::string TooLarge(std::string_view source) {
  return std::string(source) + ": larger than " + std::to_string(kMaxDocumentBytes) +
         " bytes (the limit for a document)";
}

Result<std::vector<json>> ParseJson(std::string_view text, std::string_view source) {
  std::vector<json> docs;
  DocumentBuilder builder;
  std::istringstream in{std::string(text)};
  while (true) {
    in >> std::ws;
    if (in.eof()) break;
    JsonEvents events(builder);
    builder.BeginDocument();
    try {
      if (!json::sax_parse(static_cast<std::istream&>(in), &events, json::input_format_t::json,
                           /*strict=*/false)) {
        return ParseError(source, "invalid JSON: " + SafeText(events.error()));
      }
    } catch (const DocumentError& e) {
      return ParseError(source, e.what());
    }
    json doc = builder.EndDocument();
    if (!doc.is_null()) docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace

Result<std::vector<json>> ParseDocuments(std::string_view text, std::string_view source) {
  if (text.size() > kMaxDocumentBytes) return MakeError(ErrorCode::kParse, TooLarge(source));
  if (auto bad = Utf8Problem(text); !bad.empty()) return ParseError(source, bad);
  if (IsJsonText(text)) return ParseJson(text, source);
  std::vector<json> docs;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    YamlEvents events(docs);
    // Every document, even an empty one ("---"), takes at least three bytes. yaml-cpp 0.7 can
    // return an empty document without consuming anything (a ',' where a node should start):
    // called again it does the same for ever (found by fuzz/documents), so progress is bounded.
    const std::size_t max_documents = text.size() / 3 + 2;
    for (std::size_t n = 0; parser.HandleNextDocument(events);) {
      if (++n > max_documents) {
        return ParseError(source,
                          "invalid YAML: the parser makes no progress (a ',' or another flow "
                          "indicator outside [ ] or { }?)");
      }
    }
  } catch (const DocumentError& e) {
    return ParseError(source, e.what());
  } catch (const YAML::Exception& e) {
    return ParseError(source, "invalid YAML at line " + std::to_string(e.mark.line + 1) +
                                  ", column " + std::to_string(e.mark.column + 1) + ": " +
                                  SafeText(e.msg));
  }
  return docs;
}

Result<std::string> ReadDocumentFile(const std::string& path) {
  const std::string source = path == "-" ? "<stdin>" : path;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return MakeError(ErrorCode::kNotFound, path + ": cannot open file");
    in = &file;
  }
  // One byte past the limit tells "too large" from "exactly the limit" without reading on: a
  // pipe or /dev/zero never ends.
  std::string text(kMaxDocumentBytes + 1, '\0');
  in->read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in->bad()) return MakeError(ErrorCode::kNotFound, source + ": cannot read");
  text.resize(static_cast<std::size_t>(in->gcount()));
  if (text.size() > kMaxDocumentBytes) return MakeError(ErrorCode::kParse, TooLarge(source));
  return text;
}

Result<std::vector<json>> LoadDocuments(const std::string& path) {
  auto text = ReadDocumentFile(path);
  if (!text) return text.error();
  return ParseDocuments(*text, path == "-" ? "<stdin>" : path);
}

}  // namespace ebb::api
