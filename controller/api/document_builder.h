// Builds JSON values from a parser's events (yaml-cpp's or nlohmann's SAX), enforcing what
// documents.h promises: nesting depth, duplicate keys and the alias budget are checked as each
// event arrives, so a hostile document is refused before it costs more than its own size.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace ebb::api {

// Where an event was found; line 0 when the parser does not say (nlohmann's SAX).
struct TextPosition {
  std::size_t line = 0;    // 1-based
  std::size_t column = 0;  // 1-based
};

// A document broke a rule; what() is the whole message without the source name.
class DocumentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DocumentBuilder {
 public:
  using Anchor = std::size_t;  // 0: none

  // Drops a half-built document and the anchors of the previous one (anchors are per document).
  void BeginDocument();
  // The finished document; null when it was empty.
  nlohmann::json EndDocument();

  // `text` is the scalar as written, used when it is a mapping key.
  void Scalar(nlohmann::json value, const std::string& text, TextPosition at, Anchor anchor);
  void Alias(Anchor anchor, TextPosition at);
  void BeginMap(TextPosition at, Anchor anchor) { Begin(true, at, anchor); }
  void BeginList(TextPosition at, Anchor anchor) { Begin(false, at, anchor); }
  void End();

  // The field path of the innermost open value ("spec.metrics[2]").
  std::string Path() const;

 private:
  struct Frame {
    nlohmann::json value;
    bool map = false;
    Anchor anchor = 0;
    TextPosition at;  // where it began
    // For a map: the key waiting for its value, and the line each key was first seen on.
    std::optional<std::string> key;
    std::unordered_map<std::string, std::size_t> key_lines;
  };
  struct Stored {
    nlohmann::json value;
    std::size_t values = 0;
    std::size_t text_bytes = 0;
  };

  void Begin(bool map, TextPosition at, Anchor anchor);
  // Puts a finished value into the innermost open container (or makes it the document).
  void Place(nlohmann::json value, TextPosition at, Anchor anchor);
  void Remember(Anchor anchor, const nlohmann::json& value, TextPosition at);
  void Charge(std::size_t values, std::size_t text_bytes, TextPosition at, const char* what);
  [[noreturn]] void Fail(TextPosition at, const std::string& message) const;

  std::vector<Frame> stack_;
  std::optional<nlohmann::json> document_;
  std::map<Anchor, Stored> anchors_;
  std::size_t alias_values_ = 0;
  std::size_t alias_text_bytes_ = 0;
};

}  // namespace ebb::api
