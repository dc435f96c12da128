#include "controller/base/text.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("SafeText keeps valid UTF-8 and replaces what is not", "[base]") {
  struct Row {
    const char* name;
    std::string in;
    std::string out;
  };
  const Row rows[] = {
      {"ascii", "503 Service Unavailable", "503 Service Unavailable"},
      {"two-byte", "caf\xC3\xA9", "caf\xC3\xA9"},
      {"four-byte", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"lone continuation", "a\x80z", "a\xEF\xBF\xBDz"},
      {"truncated sequence at end", "caf\xC3", "caf\xEF\xBF\xBD"},
      {"overlong slash", "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"surrogate", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"latin-1 byte", "\xE9t\xE9", "\xEF\xBF\xBDt\xEF\xBF\xBD"},
      {"controls become spaces",
       "a\nb\r\x01"
       "c\td",
       "a b  c\td"},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const std::string got = ebb::SafeText(r.in);
    CHECK(got == r.out);
    CHECK(ebb::IsValidUtf8(got));
  }
}

TEST_CASE("SafeText bounds the length without splitting a character", "[base]") {
  // The reproduced crash: an error page cut at byte 200 in the middle of "é".
  std::string page(199, 'x');
  page += "\xC3\xA9 and more";
  const std::string got = ebb::SafeText(page);
  CHECK(ebb::IsValidUtf8(got));
  CHECK(got == std::string(199, 'x') + "...");
  CHECK(ebb::SafeText(std::string(10000, 'y'), 16).size() == 19);
  CHECK(ebb::SafeText("short", 16) == "short");
  CHECK(ebb::SafeText("", 16).empty());
}

TEST_CASE("IsValidUtf8 judges by RFC 3629", "[base]") {
  CHECK(ebb::IsValidUtf8("plain"));
  CHECK(ebb::IsValidUtf8("\xE2\x82\xAC"));
  CHECK_FALSE(ebb::IsValidUtf8("\xE2\x82"));
  CHECK_FALSE(ebb::IsValidUtf8("\xFF"));
  CHECK_FALSE(ebb::IsValidUtf8("\xC1\xBF"));
}
