// Reading YAML or JSON files with several documents into JSON values, so every consumer (the
// Autoscaler parser, simulation settings, `ebb decide`, `ebb convert`, the kubeconfig) parses one
// representation, and every one of them is safe against a hostile file: the limits below hold
// before anything else looks at the text.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace ebb::api {

// A document file (or stdin) larger than this is refused before parsing. The largest object the
// API server stores is 1.5 MiB; ebb's own documents are a few KiB.
inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;
// Mappings and lists nested deeper than this are refused (Autoscalers nest 7 levels).
inline constexpr std::size_t kMaxNestingDepth = 100;
// YAML aliases (*name) repeat the value of their anchor (&name). What all anchors and aliases of
// one file copy is bounded, so a few hundred bytes of nested aliases ("billion laughs") cannot
// expand into gigabytes: at most this many values (each mapping, list, key and scalar counts
// one) and this many bytes of text.
inline constexpr std::size_t kMaxAliasValues = 100'000;
inline constexpr std::size_t kMaxAliasTextBytes = 1024 * 1024;

// Parses YAML (several documents separated by ---) or JSON (one value, or several concatenated)
// into JSON values. Empty documents are skipped. Plain YAML scalars become numbers, booleans or
// null where YAML 1.2 says so; quoted scalars stay strings. A duplicate key in a mapping, text
// that is not UTF-8 and anything over the limits above is an error (kParse) naming `source`, the
// line and column where known, the field path and the limit.
Result<std::vector<nlohmann::json>> ParseDocuments(std::string_view text, std::string_view source);

// Reads a file ("-" is stdin; at most kMaxDocumentBytes are read) and parses it as above.
Result<std::vector<nlohmann::json>> LoadDocuments(const std::string& path);

// Reads a file ("-" is stdin) of at most kMaxDocumentBytes. `what` names it in errors.
Result<std::string> ReadDocumentFile(const std::string& path);

}  // namespace ebb::api
