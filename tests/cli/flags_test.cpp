// The one argument parser (controller/cli/flags.h): forms, environment, every problem at once,
// --help, and a usage text generated from the declarations.
#include "controller/cli/flags.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <sstream>

namespace {

using ebb::Result;
using ebb::cli::FlagSet;
using ebb::cli::ParseOutcome;

struct Parsed {
  std::string file;
  std::vector<std::string> files;
  bool once = false;
  int64_t n = 7;
  std::vector<std::pair<std::string, std::string>> family;
};

FlagSet Flags(Parsed& p) {
  FlagSet f("ebb test", {"ebb test -f FILE"}, "About the command.");
  f.Text("-f,--filename,--file", "FILE", "the input", &p.file)
      .Texts("--metrics", "FILE", "repeatable", &p.files, /*split_commas=*/true, "EBB_TEST_METRICS")
      .Switch("--once", "one pass", &p.once, "EBB_TEST_ONCE")
      .Int("--n", "N", "a number", 1, 10, &p.n, "EBB_TEST_N")
      .Family([](std::string_view flag) { return flag.substr(0, 6) == "--set-"; },
              [&p](std::string_view flag, const std::string& v) -> Result<void> {
                if (v == "bad") {
                  return ebb::MakeError(ebb::ErrorCode::kInvalidConfig,
                                        std::string(flag) + ": bad value");
                }
                p.family.emplace_back(std::string(flag), v);
                return {};
              },
              "  --set-NAME V                   a family\n");
  return f;
}

Result<ParseOutcome> Parse(Parsed& p, std::vector<std::string> args) {
  FlagSet f = Flags(p);
  return f.Parse(args);
}

}  // namespace

TEST_CASE("flags: every accepted form", "[cli][flags]") {
  Parsed p;
  auto r = Parse(p, {"-f", "a.yaml", "--metrics=x,y", "--metrics", "z", "--once", "--n=3",
                     "--set-tolerance", "0.2"});
  REQUIRE(r);
  CHECK(*r == ParseOutcome::kRun);
  CHECK(p.file == "a.yaml");
  CHECK(p.files == std::vector<std::string>{"x", "y", "z"});
  CHECK(p.once);
  CHECK(p.n == 3);
  REQUIRE(p.family.size() == 1);
  CHECK(p.family[0].first == "--set-tolerance");
  Parsed q;
  REQUIRE(Parse(q, {"--filename=b.yaml", "--once=false"}));
  CHECK(q.file == "b.yaml");
  CHECK_FALSE(q.once);
  Parsed alias;
  REQUIRE(Parse(alias, {"--file", "c.yaml"}));
  CHECK(alias.file == "c.yaml");
}

TEST_CASE("flags: every problem is reported at once, each naming its flag", "[cli][flags]") {
  Parsed p;
  auto r = Parse(p, {"--n", "11", "--bogus", "positional", "--once=maybe", "--set-x", "bad", "-f"});
  REQUIRE_FALSE(r);
  const std::string& m = r.error().message;
  CHECK_THAT(m, Catch::Contains("ebb test: --n: must be an integer between 1 and 10 (got \"11\")"));
  CHECK_THAT(m, Catch::Contains("ebb test: \"--bogus\": unknown flag"));
  CHECK_THAT(m, Catch::Contains("ebb test: \"positional\": unexpected argument"));
  CHECK_THAT(m, Catch::Contains("ebb test: --once: must be true or false"));
  CHECK_THAT(m, Catch::Contains("ebb test: --set-x: bad value"));
  CHECK_THAT(m, Catch::Contains("ebb test: -f: needs a value"));
}

TEST_CASE("flags: the environment first, the command line wins", "[cli][flags]") {
  setenv("EBB_TEST_N", "4", 1);
  setenv("EBB_TEST_ONCE", "true", 1);
  setenv("EBB_TEST_METRICS", "a,b", 1);
  Parsed p;
  REQUIRE(Parse(p, {}));
  CHECK(p.n == 4);
  CHECK(p.once);
  CHECK(p.files == std::vector<std::string>{"a", "b"});
  Parsed q;
  FlagSet f = Flags(q);
  REQUIRE(f.Parse(std::vector<std::string>{"--n", "9"}));
  CHECK(q.n == 9);
  CHECK(f.Given("--n"));
  CHECK_FALSE(f.Given("--filename"));
  setenv("EBB_TEST_N", "zero", 1);
  Parsed bad;
  auto r = Parse(bad, {});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("ebb test: EBB_TEST_N: must be an integer"));
  unsetenv("EBB_TEST_N");
  unsetenv("EBB_TEST_ONCE");
  unsetenv("EBB_TEST_METRICS");
}

TEST_CASE("flags: -h/--help anywhere wins, usage lists every flag", "[cli][flags]") {
  for (const char* h : {"-h", "--help"}) {
    Parsed p;
    auto r = Parse(p, {"--bogus", h});
    REQUIRE(r);
    CHECK(*r == ParseOutcome::kHelp);
  }
  Parsed p;
  FlagSet f = Flags(p);
  const std::string u = f.Usage();
  CHECK_THAT(u, Catch::StartsWith("usage: ebb test -f FILE\n\nAbout the command.\n"));
  CHECK_THAT(u, Catch::Contains("  -f, --filename FILE"));
  CHECK_THAT(u, Catch::Contains("[$EBB_TEST_N]"));
  CHECK_THAT(u, Catch::Contains("--set-NAME V"));
  CHECK_THAT(u, Catch::Contains("-h, --help"));
  std::ostringstream out, err;
  CHECK(ebb::cli::HandleParse(f, ParseOutcome::kHelp, out, err) == 0);
  CHECK(out.str() == u);
  CHECK(err.str().empty());
}
