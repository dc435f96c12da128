// The one argument parser of every `ebb` subcommand (decide, validate, run, run --once, convert,
// simulate): flags are declared once, with their help text and environment variable, so
// parsing, `--help` and the usage text cannot disagree.
//
// Accepted forms: `--name value`, `--name=value`, `-n value`; a switch is `--name` or
// `--name=true|false`. `-h`/`--help` anywhere asks for the usage. Environment variables are read
// first and flags override them. Every problem of one command line is reported together.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace ebb::cli {

enum class ParseOutcome { kRun, kHelp };

class FlagSet {
 public:
  // `command` ("ebb validate") prefixes every error; `synopsis` lines follow "usage:".
  FlagSet(std::string command, std::vector<std::string> synopsis, std::string about);

  // `names` is "-f,--filename[,--alias]": at most one short name; the first long name is the one
  // the usage shows. `env` (may be empty) is read before the command line.
  FlagSet& Text(std::string names, std::string metavar, std::string help, std::string* dst,
                std::string env = "");
  // Repeatable; each value (and the environment variable) may also be a comma-separated list
  // when `split_commas` is set.
  FlagSet& Texts(std::string names, std::string metavar, std::string help,
                 std::vector<std::string>* dst, bool split_commas = false, std::string env = "");
  FlagSet& Switch(std::string names, std::string help, bool* dst, std::string env = "");
  FlagSet& Int(std::string names, std::string metavar, std::string help, int64_t lo, int64_t hi,
               int64_t* dst, std::string env = "");
  // Any other value type: `apply` checks and stores the value.
  FlagSet& Custom(std::string names, std::string metavar, std::string help,
                  std::function<Result<void>(const std::string& value)> apply,
                  std::string env = "");
  // A family of flags known by a predicate (the controller-level settings), with its own usage.
  FlagSet& Family(
      std::function<bool(std::string_view flag)> known,
      std::function<Result<void>(std::string_view flag, const std::string& value)> apply,
      std::string usage);
  // Starts a new group in the usage text.
  FlagSet& Heading(std::string title);

  // Errors: kInvalidConfig, one line per problem ("ebb run: --concurrency: must be ...").
  Result<ParseOutcome> Parse(std::span<const std::string> args);
  // Set on the command line or from the environment.
  bool Given(std::string_view long_name) const;

  std::string Usage() const;
  const std::string& command() const { return command_; }

 private:
  enum class Kind { kValue, kSwitch };
  struct Flag {
    std::vector<std::string> names;
    std::string metavar, help, env;
    Kind kind = Kind::kValue;
    std::function<Result<void>(const std::string&)> apply;
    bool given = false;
  };
  struct Entry {  // a flag, a family or a heading, in declaration order for the usage
    int flag = -1;
    int family = -1;
    std::string heading;
  };
  struct FamilyDef {
    std::function<bool(std::string_view)> known;
    std::function<Result<void>(std::string_view, const std::string&)> apply;
    std::string usage;
  };
  FlagSet& Add(Flag f);
  Flag* Find(std::string_view name);

  std::string command_;
  std::vector<std::string> synopsis_;
  std::string about_;
  std::vector<Flag> flags_;
  std::vector<FamilyDef> families_;
  std::vector<Entry> entries_;
};

// "--help" output goes to stdout with exit 0; a parse error to stderr with exit 2 and a pointer
// to --help. Returns the exit code to use, or -1 to go on and run the command.
int HandleParse(const FlagSet& flags, const Result<ParseOutcome>& parsed, std::ostream& out,
                std::ostream& err);

}  // namespace ebb::cli
