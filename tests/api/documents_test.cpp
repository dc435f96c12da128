// Hostile documents: every one is refused quickly with a message naming the file, the place and
// the limit, instead of running out of memory, overflowing the stack or keeping the last of two
// keys. Each row failed on 15046eb (bad_alloc, "bad file", accepted, or a wrong message).
#include "controller/api/documents.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "controller/api/autoscaler.h"
#include "controller/base/text.h"

using ebb::api::kMaxDocumentBytes;
using ebb::api::kMaxNestingDepth;
using ebb::api::LoadDocuments;
using ebb::api::ParseDocuments;

namespace {

std::string Repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// The classic: ten aliases per level, nine levels, 10^9 leaves from 700 bytes.
std::string BillionLaughs() {
  std::string y =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char prev = static_cast<char>(c - 1);
    y += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) y += std::string(i ? "," : "") + "*" + prev;
    y += "]\n";
  }
  return y;
}

// Block mappings nested `levels` deep: "a:\n  a:\n    a: ..."
std::string BlockMaps(std::size_t levels) {
  std::string y;
  for (std::size_t i = 0; i < levels; ++i) y += std::string(2 * i, ' ') + "a:\n";
  return y + std::string(2 * levels, ' ') + "x\n";
}

std::string FlowLists(std::size_t levels) {
  return Repeat("[", levels) + Repeat("]", levels);
}

struct Hostile {
  const char* name;
  std::string text;
  const char* source;
  const char* message;  // a fragment of the error
};

}  // namespace

TEST_CASE("documents: hostile inputs are refused fast with the file, place and limit",
          "[spec][documents]") {
  const std::string big_text(200'000, 'x');
  std::string text_bomb = "a: &a \"" + big_text + "\"\nb: [";
  for (int i = 0; i < 20; ++i) text_bomb += std::string(i ? "," : "") + "*a";
  text_bomb += "]\n";

  const std::vector<Hostile> rows = {
      {"billion laughs", BillionLaughs(), "laughs.yaml",
       // Anchored values count too: the copy kept for &e is what crosses the line.
       "laughs.yaml: line 5, column 4: e: anchor: anchors and aliases would copy more than "
       "100000 values (the limit per file)"},
      {"aliases of a long text", text_bomb, "text.yaml",
       "text.yaml: line 2, column 17: b[4]: alias: anchors and aliases would copy more than "
       "1048576 bytes of text (the limit per file)"},
      // Text starting with '[' or '{' is read as JSON.
      {"10,000 nested lists", FlowLists(10'000), "deep.json", "deep.json: [0][0][0]"},
      {"10,000 nested lists", FlowLists(10'000), "deep.json",
       "nested deeper than 100 levels (the limit)"},
      {"10,000 nested flow lists after a key", "a: " + FlowLists(10'000), "deep.yaml",
       // The top-level mapping is the first level, so the 100th '[' is one too many.
       "deep.yaml: line 1, column 103: a[0][0][0]"},
      {"nested flow lists", "a: " + FlowLists(10'000), "deep.yaml",
       "nested deeper than 100 levels (the limit)"},
      {"nested flow maps", "a: " + Repeat("{a: ", 10'000) + "1" + Repeat("}", 10'000), "deep.yaml",
       "a.a.a.a"},
      {"nested flow maps", "a: " + Repeat("{a: ", 10'000) + "1" + Repeat("}", 10'000), "deep.yaml",
       "nested deeper than 100 levels (the limit)"},
      {"nested block maps", BlockMaps(1'000), "deep.yaml",
       "deep.yaml: line 101, column 201: a.a.a"},
      {"nested block maps", BlockMaps(1'000), "deep.yaml",
       "nested deeper than 100 levels (the limit)"},
      {"nested block lists", Repeat("- ", 10'000) + "x\n", "deep.yaml",
       "deep.yaml: line 1, column 201: [0][0]"},
      {"nested JSON lists", "{\"a\": " + FlowLists(10'000) + "}", "deep.json",
       "deep.json: a[0][0]"},
      {"nested JSON lists", "{\"a\": " + FlowLists(10'000) + "}", "deep.json",
       "nested deeper than 100 levels (the limit)"},
      {"nested JSON objects", Repeat("{\"a\": ", 10'000) + "1" + Repeat("}", 10'000), "deep.json",
       "nested deeper than 100 levels (the limit)"},
      {"duplicate top-level key", "kind: Autoscaler\nkind: Other\n", "dup.yaml",
       "dup.yaml: line 2, column 1: kind: duplicate key (first at line 1)"},
      {"duplicate nested key", "spec:\n  minReplicas: 1\n  maxReplicas: 3\n  minReplicas: 2\n",
       "dup.yaml", "dup.yaml: line 4, column 3: spec.minReplicas: duplicate key (first at line 2)"},
      {"duplicate key in a flow map in a list", "m:\n  - {a: 1}\n  - {b: 1, b: 2}\n", "dup.yaml",
       "dup.yaml: line 3, column 12: m[1].b: duplicate key (first at line 3)"},
      {"duplicate key in the second document", "a: 1\n---\nb: 1\nb: 1\n", "dup.yaml",
       "dup.yaml: line 4, column 1: b: duplicate key (first at line 3)"},
      {"duplicate JSON key", "{\"spec\": {\"maxReplicas\": 1, \"maxReplicas\": 9}}", "dup.json",
       "dup.json: spec.maxReplicas: duplicate key"},
      {"duplicate key through an alias", "k: &k x\nm: {x: 1, *k : 2}\n", "dup.yaml",
       "m.x: duplicate key (first at line 2)"},
      {"oversized", std::string(kMaxDocumentBytes + 1, '#'), "big.yaml",
       "big.yaml: larger than 1048576 bytes (the limit for a document)"},
      {"not UTF-8", "a: 1\nb: \"\xff\xfe\"\n", "bin.yaml", "bin.yaml: line 2: not valid UTF-8"},
      {"an alias inside its own anchor", "a: &x [1, *x]\n", "self.yaml",
       "self.yaml: line 1, column 11: a[1]: an alias may not refer to a value that contains it"},
      {"a mapping as a key", "? {a: 1}\n: 2\n", "key.yaml",
       "key.yaml: line 1, column 3: a mapping key must be a scalar"},
      // yaml-cpp 0.7 returned an empty document without consuming the ',' and was called for
      // ever (found by fuzz/documents; fuzz/corpus/documents/yaml-cpp-endless-loop.yaml).
      {"a ',' where a document starts", ",\n", "comma.yaml",
       "comma.yaml: invalid YAML: the parser makes no progress"},
      {"a ',' after a block list", "- a\n, b\n", "comma.yaml",
       "comma.yaml: invalid YAML: the parser makes no progress"},
      {"a control character", "a: 1\nb: \x01\n", "ctl.yaml",
       "ctl.yaml: line 2: control character 0x01"},
      // nlohmann's message quotes the last bytes read, cut inside "\xde\x90" (found by
      // fuzz/documents): the message must still be UTF-8 (checked for every row below).
      {"a JSON error just after a two-byte character", "{\"spec\": {\xde\x90x", "cut.json",
       "cut.json: invalid JSON: "},
  };
  for (const Hostile& row : rows) {
    INFO(row.name);
    const auto start = std::chrono::steady_clock::now();
    auto docs = ParseDocuments(row.text, row.source);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(docs.has_value());
    INFO(docs.error().message);
    CHECK(docs.error().message.find(row.message) != std::string::npos);
    CHECK(ebb::IsValidUtf8(docs.error().message));
    CHECK(docs.error().code == ebb::ErrorCode::kParse);
    // Measured at a few ms each; the bound leaves room for sanitizers and a loaded machine.
    CHECK(took < std::chrono::seconds(2));
  }
}

TEST_CASE("documents: what stays within the limits still parses", "[spec][documents]") {
  // Aliases are valid YAML and kubectl takes them: shared blocks still work.
  auto shared = ParseDocuments(
      "base: &b {minReplicas: 1, maxReplicas: 5}\nweb: *b\nworker: {<<: 1, x: *b}\n", "a.yaml");
  REQUIRE(shared.has_value());
  CHECK((*shared)[0]["web"]["maxReplicas"] == 5);
  CHECK((*shared)[0]["worker"]["x"]["minReplicas"] == 1);
  // The same key in two mappings, or in two documents, is no duplicate.
  auto twice = ParseDocuments("a: {k: 1}\nb: {k: 2}\n---\na: 3\n", "t.yaml");
  REQUIRE(twice.has_value());
  CHECK(twice->size() == 2);
  // Exactly the nesting limit, in YAML and in JSON.
  auto deepest = ParseDocuments(FlowLists(kMaxNestingDepth), "d.json");
  REQUIRE(deepest.has_value());
  auto deepest_yaml = ParseDocuments("a: " + FlowLists(kMaxNestingDepth - 1), "d.yaml");
  REQUIRE(deepest_yaml.has_value());
  CHECK_FALSE(ParseDocuments("a: " + FlowLists(kMaxNestingDepth), "d.yaml").has_value());
  // Exactly the size limit.
  auto full = ParseDocuments("a: 1\n" + std::string(kMaxDocumentBytes - 5, '#'), "full.yaml");
  REQUIRE(full.has_value());
  CHECK((*full)[0]["a"] == 1);
  // Tagged strings stay strings; integers beyond int64 stay text for the field parsers.
  auto scalars = ParseDocuments("s: !!str 5\nbig: 99999999999999999999\n", "s.yaml");
  REQUIRE(scalars.has_value());
  CHECK((*scalars)[0]["s"] == "5");
  CHECK((*scalars)[0]["big"] == "99999999999999999999");
}

TEST_CASE("documents: files and stdin are read only up to the limit", "[spec][documents]") {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path = (dir / ("ebb-documents-test-" + std::to_string(::getpid()))).string();
  {
    std::ofstream f(path, std::ios::binary);
    f << "a: 1\n" << std::string(kMaxDocumentBytes * 3, '#');
  }
  auto big = LoadDocuments(path);
  std::remove(path.c_str());
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().message == path + ": larger than 1048576 bytes (the limit for a document)");
  // A device that never ends is refused at the limit instead of read forever.
  const auto start = std::chrono::steady_clock::now();
  auto endless = LoadDocuments("/dev/zero");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  REQUIRE_FALSE(endless.has_value());
  CHECK(endless.error().message.find("/dev/zero: larger than 1048576 bytes") != std::string::npos);
  auto missing = LoadDocuments(path + ".missing");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message == path + ".missing: cannot open file");
}

TEST_CASE("integer fields say their range, also beyond int32 and int64", "[spec][documents]") {
  struct Row {
    const char* yaml_value;
    const char* message;
  };
  const Row rows[] = {
      // 2^40 was read as an int32 and reported "must be at least 1".
      {"1099511627776", "spec.maxReplicas: 1099511627776 is out of range [1, 2147483647]"},
      {"2147483648", "spec.maxReplicas: 2147483648 is out of range [1, 2147483647]"},
      {"-1", "spec.maxReplicas: -1 is out of range [1, 2147483647]"},
      {"0", "spec.maxReplicas: 0 is out of range [1, 2147483647]"},
      {"18446744073709551615", "spec.maxReplicas: 18446744073709551615 is out of range"},
      {"99999999999999999999", "spec.maxReplicas: 99999999999999999999 is out of range"},
      {"-99999999999999999999", "spec.maxReplicas: -99999999999999999999 is out of range"},
      {"1e30", "spec.maxReplicas: 1e+30 is out of range [1, 2147483647]"},
      {"2.5", "spec.maxReplicas: must be an integer"},
      {"\"5\"", "spec.maxReplicas: must be an integer, not a string"},
  };
  for (const Row& row : rows) {
    INFO(row.yaml_value);
    auto docs = ParseDocuments(std::string(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  maxReplicas: )") + row.yaml_value +
                                   "\n",
                               "range.yaml");
    REQUIRE(docs.has_value());
    auto a = ebb::api::ParseAutoscaler(docs->front());
    REQUIRE_FALSE(a.has_value());
    INFO(a.error().message);
    CHECK(a.error().message.find(row.message) != std::string::npos);
  }
  // The paused-replicas annotation is a string; 10 digits within int32 are fine.
  auto paused = ParseDocuments(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: web, annotations: {ebb.dev/paused-replicas: "99999999999"}}
spec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3}
)",
                               "p.yaml");
  REQUIRE(paused.has_value());
  auto a = ebb::api::ParseAutoscaler(paused->front());
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().message.find("metadata.annotations[ebb.dev/paused-replicas]: 99999999999 is "
                               "out of range [0, 2147483647]") != std::string::npos);
  (*paused)[0]["metadata"]["annotations"]["ebb.dev/paused-replicas"] = "2147483647";
  (*paused)[0]["spec"]["maxReplicas"] = 2147483647;  // paused replicas may not exceed it
  auto ok = ebb::api::ParseAutoscaler(paused->front());
  REQUIRE(ok.has_value());
  CHECK(ok->spec.paused_replicas == 2147483647);
}
