// The ebb command line: one function per subcommand; main() only dispatches.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ebb::cli {

// Exit codes: 0 ok, 1 runtime failure, 2 bad input (spec, flags, documents), 3 `run --once`: every
// metric of an Autoscaler failed, so it decided from no reading (docs/install.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitMetricsFailed = 3;

int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

int ConvertCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int DecideCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ValidateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ebb::cli
