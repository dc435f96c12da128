#include "controller/sim/csv_recording.h"

#include <catch2/catch.hpp>

#include "controller/base/text.h"
#include "controller/sim/timestamp_text.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

struct Row {
  int64_t ms;
  std::string metric;
  double value;
};

Result<std::vector<Row>> ReadAll(SampleSource& src) {
  std::vector<Row> rows;
  RawSample s;
  for (;;) {
    auto r = src.Next(s);
    if (!r) return r.error();
    if (!*r) return rows;
    rows.push_back({ToUnixMillis(s.at), std::string(s.metric), s.value});
  }
}

TEST_CASE("timestamps parse as Unix seconds or RFC 3339", "[sim][csv]") {
  CHECK(ToUnixMillis(*ParseTimestamp("1700158546")) == 1700158546000);
  CHECK(ToUnixMillis(*ParseTimestamp("1700158546.25")) == 1700158546250);
  CHECK(ToUnixMillis(*ParseTimestamp("2023-11-16T18:15:46Z")) == 1700158546000);
  CHECK(ToUnixMillis(*ParseTimestamp("2023-11-16T18:15:46.5Z")) == 1700158546500);
  CHECK(ToUnixMillis(*ParseTimestamp("2023-11-16T19:15:46+01:00")) == 1700158546000);
  CHECK(ToUnixMillis(*ParseTimestamp("2023-11-16 18:15:46")) == 1700158546000);
  CHECK(ToUnixMillis(*ParseTimestamp("1970-01-01T00:00:00Z")) == 0);
  CHECK_FALSE(ParseTimestamp("yesterday"));
  CHECK_FALSE(ParseTimestamp("2023-13-01T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp("12abc"));
  CHECK(FormatRfc3339(FromUnixMillis(1700158546000)) == "2023-11-16T18:15:46Z");
  CHECK(FormatRfc3339(FromUnixMillis(1700158546250)) == "2023-11-16T18:15:46.250Z");
  CHECK(FormatRfc3339(FromUnixMillis(951782400000)) == "2000-02-29T00:00:00Z");
}

TEST_CASE("CSV rows: optional header, interleaved metrics, CRLF, comments", "[sim][csv]") {
  auto src = CsvRecording::FromText(
      "timestamp,metric,value\r\n"
      "1700000000,cpu,1.5\r\n"
      "\r\n"
      "# a comment\n"
      "1700000000, memory , 2e9\n"
      "2023-11-14T22:13:35Z,cpu,0.25\n"
      "1700000015.5,\"cpu\",NaN\n"
      "1700000030,cpu,3",  // no newline at the end
      "rec.csv");
  auto rows = ReadAll(*src);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 5);
  CHECK((*rows)[0].metric == "cpu");
  CHECK((*rows)[0].value == 1.5);
  CHECK((*rows)[1].metric == "memory");
  CHECK((*rows)[1].value == 2e9);
  CHECK((*rows)[2].ms == 1700000015000);
  CHECK((*rows)[3].ms == 1700000015500);
  CHECK(std::isnan((*rows)[3].value));
  CHECK((*rows)[4].value == 3);
}

TEST_CASE("CSV without a header starts with data", "[sim][csv]") {
  auto src = CsvRecording::FromText("10,q,1\n20,q,2\n", "x.csv");
  auto rows = ReadAll(*src);
  REQUIRE(rows.has_value());
  CHECK(rows->size() == 2);
}

TEST_CASE("malformed CSV lines fail with the file and line number", "[sim][csv]") {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"timestamp,metric,value\n10,q,1\n20,q\n", "bad.csv:3: expected 3 fields"},
      {"10,q,1\n20,q,1,2\n", "bad.csv:2: expected 3 fields"},
      {"10,q,1\n20,q,lots\n", "bad.csv:2: bad value \"lots\""},
      {"10,q,1\nnoon,q,1\n", "bad.csv:2: bad timestamp \"noon\""},
      {"10,q,1\n20,,1\n", "bad.csv:2: empty metric name"},
      {"10,q,1\n30,q,1\n20,q,1\n", "bad.csv:3: timestamp 1970-01-01T00:00:20Z is before"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto src = CsvRecording::FromText(c.text, "bad.csv");
    auto rows = ReadAll(*src);
    REQUIRE_FALSE(rows.has_value());
    CHECK(rows.error().code == ErrorCode::kParse);
    CHECK_THAT(rows.error().message, Catch::Contains(c.expect));
  }
}

// Found by fuzz/csv_recording (UBSan, nonnull-attribute): an empty in-memory recording passed
// its null buffer to memchr. Fails on the old code under the sanitizer build.
TEST_CASE("an empty recording has no rows", "[sim][csv]") {
  RawSample s;
  auto src = CsvRecording::FromText("", "empty.csv");
  auto next = src->Next(s);
  REQUIRE(next.has_value());
  CHECK_FALSE(*next);
}

// Checked by fuzz/csv_recording: a quoted field was cut at a byte count, splitting a character.
TEST_CASE("malformed CSV lines are quoted as valid UTF-8", "[sim][csv]") {
  const std::string e = "\xc3\xa9";  // é
  for (const std::string& text : std::vector<std::string>{
           "10,q,1\n" + std::string(79, 'x') + e + ",a\n",
           "10,q,1\n" + std::string(39, '1') + e + ",q,1\n",
           "10,q,1\n20,q," + std::string(39, '1') + e + "\n", "10,q,1\n20,q\xff,x\n"}) {
    auto rows = ReadAll(*CsvRecording::FromText(text, "bad.csv"));
    REQUIRE_FALSE(rows.has_value());
    CHECK(IsValidUtf8(rows.error().message));
  }
}

TEST_CASE("a file larger than the read buffer streams through intact", "[sim][csv]") {
  testing::TempDir dir;
  std::string text = "timestamp,metric,value\n";
  const int n = 120000;  // ~2.5 MB, several buffer refills with lines split across them
  for (int i = 0; i < n; ++i) {
    text += std::to_string(1700000000 + i * 15) + (i % 2 ? ",backlog," : ",cpu,") +
            std::to_string(i) + ".5\n";
  }
  const std::string path = dir.File("big.csv", text);
  auto src = CsvRecording::Open(path);
  REQUIRE(src.has_value());
  auto rows = ReadAll(**src);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == static_cast<size_t>(n));
  for (int i = 0; i < n; i += 7919) {
    CHECK((*rows)[static_cast<size_t>(i)].value == i + 0.5);
    CHECK((*rows)[static_cast<size_t>(i)].ms == (1700000000LL + i * 15) * 1000);
  }
  CHECK(rows->back().metric == "backlog");
}

TEST_CASE("a missing recording file is a clear error", "[sim][csv]") {
  auto src = CsvRecording::Open("/nonexistent/rec.csv");
  REQUIRE_FALSE(src.has_value());
  CHECK_THAT(src.error().message, Catch::Contains("/nonexistent/rec.csv"));
}

}  // namespace
}  // namespace ebb::sim
