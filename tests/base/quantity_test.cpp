#include "controller/base/quantity.h"

#include <catch2/catch.hpp>

TEST_CASE("quantities parse to milli-units, rounding up like MilliValue", "[base]") {
  struct Row {
    const char* text;
    int64_t milli;
  };
  const Row rows[] = {
      {"5", 5000},       {"500m", 500},         {"0.5", 500},
      {"1.5k", 1500000}, {"1Ki", 1024000},      {"1Mi", 1048576000},
      {"1e3", 1000000},  {"1E3", 1000000},      {"0.0001", 1},
      {"1n", 1},         {"100u", 1},           {"-2", -2000},
      {"+3", 3000},      {"1G", 1000000000000}, {"2Gi", 2147483648000},
      {"0", 0},          {".5", 500},           {"1.", 1000},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    auto q = ebb::ParseQuantityMilli(r.text);
    REQUIRE(q.has_value());
    CHECK(*q == r.milli);
  }
}

TEST_CASE("malformed or overflowing quantities are errors with the text", "[base]") {
  for (const char* bad :
       {"", "abc", "5x", "1..2", "1Ki2", "--1", "9999999999999999999999", "1E", "e3"}) {
    INFO(bad);
    auto q = ebb::ParseQuantityMilli(bad);
    if (std::string(bad) == "1E") {  // "1E" is one exa: valid but too large in milli-units
      REQUIRE_FALSE(q.has_value());
      continue;
    }
    REQUIRE_FALSE(q.has_value());
    CHECK(q.error().message.find(bad) != std::string::npos);
  }
}
