#include "controller/cli/flags.h"

#include <charconv>
#include <cstdlib>
#include <ostream>
#include <sstream>

namespace ebb::cli {
namespace {

std::vector<std::string> SplitNames(const std::string& names) {
  std::vector<std::string> out;
  std::stringstream ss(names);
  std::string n;
  while (std::getline(ss, n, ','))
    if (!n.empty()) out.push_back(n);
  return out;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool IsLong(std::string_view n) {
  return n.size() > 2 && n.substr(0, 2) == "--";
}

Result<void> Problem(std::string message) {
  return MakeError(ErrorCode::kInvalidConfig, std::move(message));
}

Result<bool> ParseBool(const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return MakeError(ErrorCode::kInvalidConfig, "must be true or false (got \"" + v + "\")");
}

}  // namespace

FlagSet::FlagSet(std::string command, std::vector<std::string> synopsis, std::string about)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), about_(std::move(about)) {}

FlagSet& FlagSet::Add(Flag f) {
  entries_.push_back({static_cast<int>(flags_.size()), -1, ""});
  flags_.push_back(std::move(f));
  return *this;
}

FlagSet& FlagSet::Text(std::string names, std::string metavar, std::string help, std::string* dst,
                       std::string env) {
  return Add({SplitNames(names), std::move(metavar), std::move(help), std::move(env), Kind::kValue,
              [dst](const std::string& v) -> Result<void> {
                *dst = v;
                return {};
              },
              false});
}

FlagSet& FlagSet::Texts(std::string names, std::string metavar, std::string help,
                        std::vector<std::string>* dst, bool split_commas, std::string env) {
  return Add({SplitNames(names), std::move(metavar), std::move(help), std::move(env), Kind::kValue,
              [dst, split_commas](const std::string& v) -> Result<void> {
                if (!split_commas) {
                  dst->push_back(v);
                } else {
                  for (auto& s : SplitCommas(v)) dst->push_back(std::move(s));
                }
                return {};
              },
              false});
}

FlagSet& FlagSet::Switch(std::string names, std::string help, bool* dst, std::string env) {
  return Add({SplitNames(names), "", std::move(help), std::move(env), Kind::kSwitch,
              [dst](const std::string& v) -> Result<void> {
                auto b = ParseBool(v);
                if (!b) return b.error();
                *dst = *b;
                return {};
              },
              false});
}

FlagSet& FlagSet::Int(std::string names, std::string metavar, std::string help, int64_t lo,
                      int64_t hi, int64_t* dst, std::string env) {
  return Add({SplitNames(names), std::move(metavar), std::move(help), std::move(env), Kind::kValue,
              [dst, lo, hi](const std::string& v) -> Result<void> {
                int64_t n = 0;
                auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo ||
                    n > hi) {
                  return Problem("must be an integer between " + std::to_string(lo) + " and " +
                                 std::to_string(hi) + " (got \"" + v + "\")");
                }
                *dst = n;
                return {};
              },
              false});
}

FlagSet& FlagSet::Custom(std::string names, std::string metavar, std::string help,
                         std::function<Result<void>(const std::string&)> apply, std::string env) {
  return Add({SplitNames(names), std::move(metavar), std::move(help), std::move(env), Kind::kValue,
              std::move(apply), false});
}

FlagSet& FlagSet::Family(std::function<bool(std::string_view)> known,
                         std::function<Result<void>(std::string_view, const std::string&)> apply,
                         std::string usage) {
  entries_.push_back({-1, static_cast<int>(families_.size()), ""});
  families_.push_back({std::move(known), std::move(apply), std::move(usage)});
  return *this;
}

FlagSet& FlagSet::Heading(std::string title) {
  entries_.push_back({-1, -1, std::move(title)});
  return *this;
}

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (auto& f : flags_)
    for (const auto& n : f.names)
      if (n == name) return &f;
  return nullptr;
}

bool FlagSet::Given(std::string_view long_name) const {
  for (const auto& f : flags_)
    for (const auto& n : f.names)
      if (n == long_name) return f.given;
  return false;
}

Result<ParseOutcome> FlagSet::Parse(std::span<const std::string> args) {
  for (const auto& a : args)
    if (a == "-h" || a == "--help") return ParseOutcome::kHelp;
  std::string problems;
  auto bad = [&](const std::string& what, const std::string& message) {
    problems += (problems.empty() ? "" : "\n") + command_ + ": " + what + ": " + message;
  };
  for (auto& f : flags_) {
    if (f.env.empty()) continue;
    const char* v = std::getenv(f.env.c_str());
    if (v == nullptr || *v == '\0') continue;
    if (auto ok = f.apply(v); !ok) {
      bad(f.env, ok.error().message);
    } else {
      f.given = true;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool inline_value = false;
    if (name.size() > 1 && name[0] == '-') {
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
    } else {
      bad("\"" + args[i] + "\"", "unexpected argument (every input is given by a flag)");
      continue;
    }
    auto take = [&]() -> bool {
      if (inline_value) return true;
      if (i + 1 >= args.size()) {
        bad(name, "needs a value");
        return false;
      }
      value = args[++i];
      return true;
    };
    if (Flag* f = Find(name)) {
      if (f->kind == Kind::kSwitch && !inline_value) value = "true";
      if (f->kind == Kind::kValue && !take()) continue;
      if (auto ok = f->apply(value); !ok) {
        bad(name, ok.error().message);
      } else {
        f->given = true;
      }
      continue;
    }
    bool in_family = false;
    for (const auto& fam : families_) {
      if (!IsLong(name) || !fam.known(name)) continue;
      in_family = true;
      if (!take()) break;
      // The family's messages already name the flag.
      if (auto ok = fam.apply(name, value); !ok)
        problems += (problems.empty() ? "" : "\n") + command_ + ": " + ok.error().message;
      break;
    }
    if (!in_family) bad("\"" + name + "\"", "unknown flag");
  }
  if (!problems.empty()) return MakeError(ErrorCode::kInvalidConfig, problems);
  return ParseOutcome::kRun;
}

std::string FlagSet::Usage() const {
  std::string o;
  for (size_t i = 0; i < synopsis_.size(); ++i)
    o += (i == 0 ? "usage: " : "       ") + synopsis_[i] + "\n";
  if (!about_.empty()) o += "\n" + about_ + "\n";
  if (entries_.empty() || entries_.front().heading.empty()) o += "\nflags:\n";
  auto line = [&o](std::string left, const std::string& help) {
    constexpr size_t kColumn = 32;
    left = "  " + left;
    if (left.size() + 1 > kColumn) {
      o += left + "\n" + std::string(kColumn, ' ');
    } else {
      o += left + std::string(kColumn - left.size(), ' ');
    }
    // Help text may span lines; later lines are indented to the column.
    for (char c : help) {
      o += c;
      if (c == '\n') o += std::string(kColumn, ' ');
    }
    o += "\n";
  };
  for (const auto& e : entries_) {
    if (!e.heading.empty()) {
      o += "\n" + e.heading + "\n";
    } else if (e.family >= 0) {
      o += families_[static_cast<size_t>(e.family)].usage;
    } else if (e.flag >= 0) {
      const Flag& f = flags_[static_cast<size_t>(e.flag)];
      std::string left;
      const std::string* long_name = nullptr;
      for (const auto& n : f.names) {
        if (!IsLong(n)) left += n + ", ";
        if (IsLong(n) && long_name == nullptr) long_name = &n;
      }
      if (long_name != nullptr) left += *long_name;
      if (!f.metavar.empty()) left += " " + f.metavar;
      line(left, f.help + (f.env.empty() ? "" : " [$" + f.env + "]"));
    }
  }
  line("-h, --help", "print this help and exit");
  return o;
}

int HandleParse(const FlagSet& flags, const Result<ParseOutcome>& parsed, std::ostream& out,
                std::ostream& err) {
  if (!parsed) {
    err << parsed.error().message << "\n(see " << flags.command() << " --help)\n";
    return 2;
  }
  if (*parsed == ParseOutcome::kHelp) {
    out << flags.Usage();
    return 0;
  }
  return -1;
}

}  // namespace ebb::cli
