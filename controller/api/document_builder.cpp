#include "controller/api/document_builder.h"

#include <utility>

#include "controller/api/documents.h"
#include "controller/base/text.h"

namespace ebb::api {
namespace {

using nlohmann::json;

// Keys are quoted in paths; a hostile key must not make the message itself huge.
constexpr std::size_t kKeyQuoteBytes = 64;

// Values and text bytes a copy of `v` costs (a key counts as a value plus its text).
void Measure(const json& v, std::size_t& values, std::size_t& text_bytes) {
  ++values;
  if (v.is_string()) {
    text_bytes += v.get_ref<const std::string&>().size();
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      ++values;
      text_bytes += it.key().size();
      Measure(*it, values, text_bytes);
    }
  } else if (v.is_array()) {
    for (const json& item : v) Measure(item, values, text_bytes);
  }
}

std::string KeyText(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

void DocumentBuilder::BeginDocument() {
  stack_.clear();
  document_.reset();
  anchors_.clear();
}

json DocumentBuilder::EndDocument() {
  json out = document_ ? std::move(*document_) : json(nullptr);
  document_.reset();
  stack_.clear();
  anchors_.clear();
  return out;
}

std::string DocumentBuilder::Path() const {
  std::string path;
  for (const Frame& f : stack_) {
    if (f.map) {
      if (!f.key) break;  // the key itself is being read
      if (!path.empty()) path += '.';
      path += SafeText(*f.key, kKeyQuoteBytes);
    } else {
      path += "[" + std::to_string(f.value.size()) + "]";
    }
  }
  return path;
}

void DocumentBuilder::Fail(TextPosition at, const std::string& message) const {
  std::string where;
  if (at.line > 0) {
    where = "line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": ";
  }
  const std::string path = Path();
  throw DocumentError(where + (path.empty() ? "" : path + ": ") + message);
}

void DocumentBuilder::Charge(std::size_t values, std::size_t text_bytes, TextPosition at,
                             const char* what) {
  alias_values_ += values;
  alias_text_bytes_ += text_bytes;
  if (alias_values_ > kMaxAliasValues) {
    Fail(at, std::string(what) + ": anchors and aliases would copy more than " +
                 std::to_string(kMaxAliasValues) + " values (the limit per file)");
  }
  if (alias_text_bytes_ > kMaxAliasTextBytes) {
    Fail(at, std::string(what) + ": anchors and aliases would copy more than " +
                 std::to_string(kMaxAliasTextBytes) + " bytes of text (the limit per file)");
  }
}

void DocumentBuilder::Remember(Anchor anchor, const json& value, TextPosition at) {
  if (anchor == 0) return;
  Stored s;
  Measure(value, s.values, s.text_bytes);
  Charge(s.values, s.text_bytes, at, "anchor");
  s.value = value;
  anchors_[anchor] = std::move(s);
}

void DocumentBuilder::Place(json value, TextPosition at, Anchor anchor) {
  Remember(anchor, value, at);
  if (stack_.empty()) {
    document_ = std::move(value);
    return;
  }
  Frame& top = stack_.back();
  if (top.map) {
    top.value.emplace(std::move(*top.key), std::move(value));
    top.key.reset();
  } else {
    top.value.push_back(std::move(value));
  }
}

void DocumentBuilder::Scalar(json value, const std::string& text, TextPosition at, Anchor anchor) {
  if (stack_.empty() || !stack_.back().map || stack_.back().key) {
    Place(std::move(value), at, anchor);
    return;
  }
  Frame& top = stack_.back();
  if (auto first = top.key_lines.find(text); first != top.key_lines.end()) {
    top.key = text;  // so the path names the key
    Fail(at, "duplicate key" + (first->second > 0
                                    ? " (first at line " + std::to_string(first->second) + ")"
                                    : std::string()));
  }
  top.key_lines.emplace(text, at.line);
  top.key = text;
  Remember(anchor, json(text), at);
}

void DocumentBuilder::Alias(Anchor anchor, TextPosition at) {
  auto it = anchors_.find(anchor);
  if (it == anchors_.end()) Fail(at, "an alias may not refer to a value that contains it");
  const Stored& s = it->second;
  if (!stack_.empty() && stack_.back().map && !stack_.back().key) {
    if (s.value.is_object() || s.value.is_array()) Fail(at, "a mapping key must be a scalar");
    const std::string key = KeyText(s.value);
    Charge(1, key.size(), at, "alias");
    Scalar(json(key), key, at, 0);
    return;
  }
  Charge(s.values, s.text_bytes, at, "alias");
  Place(s.value, at, 0);
}

void DocumentBuilder::Begin(bool map, TextPosition at, Anchor anchor) {
  if (!stack_.empty() && stack_.back().map && !stack_.back().key) {
    Fail(at, "a mapping key must be a scalar");
  }
  if (stack_.size() >= kMaxNestingDepth) {
    Fail(at, "nested deeper than " + std::to_string(kMaxNestingDepth) + " levels (the limit)");
  }
  Frame f;
  f.map = map;
  f.anchor = anchor;
  f.at = at;
  f.value = map ? json::object() : json::array();
  stack_.push_back(std::move(f));
}

void DocumentBuilder::End() {
  if (stack_.empty()) throw std::logic_error("DocumentBuilder::End without Begin");
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  Place(std::move(f.value), f.at, f.anchor);
}

}  // namespace ebb::api
