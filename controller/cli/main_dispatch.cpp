#include <ostream>

#include "controller/cli/commands.h"
#include "controller/sim/simulate_command.h"
#include "controller/tune/tune_command.h"
#include "metrics/build_info.h"

namespace ebb::cli {
namespace {

// Every command; `ebb COMMAND --help` prints its flags.
void Usage(std::ostream& o) {
  o << "ebb " << metrics::GetBuildInfo().version
    << " - a horizontal autoscaler for Kubernetes workloads\n\n"
    << "usage: ebb COMMAND [flags]     (ebb COMMAND --help for its flags)\n\n"
    << "commands:\n"
    << "  run [flags]                    the controller: watches Autoscalers, scales targets\n"
    << "  run --once --dry-run -f FILE   read every metric now, decide, print JSON lines\n"
    << "  validate -f FILE               check Autoscaler documents, every problem at once\n"
    << "  convert -f FILE [-o OUT]       HorizontalPodAutoscaler / KEDA ScaledObject ->\n"
    << "                                 Autoscaler (docs/migrating.md)\n"
    << "  simulate -f FILE --metrics REC replay a recording (docs/simulate.md)\n"
    << "  tune -f FILE --metrics REC     the cheapest settings meeting an SLO (docs/tuning.md)\n"
    << "  decide -f CASE.json            one decision as JSON (docs/decide.md)\n"
    << "  version                        print the version (also --version)\n"
    << "  help                           print this help (also -h, --help)\n";
}

}  // namespace

int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    Usage(err);
    return kExitBadInput;
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    Usage(out);
    return kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    // The revision too: an image built outside a checkout is otherwise hard to trace back.
    const auto info = metrics::GetBuildInfo();
    out << "ebb " << info.version << " (revision " << info.revision << ", " << info.compiler
        << ")\n";
    return kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "decide") return DecideCommand(rest, out, err);
  if (args[0] == "validate") return ValidateCommand(rest, out, err);
  if (args[0] == "run") return RunCommand(rest, out, err);
  if (args[0] == "convert") return ConvertCommand(rest, out, err);
  if (args[0] == "simulate") return sim::SimulateMain(rest, out, err);
  if (args[0] == "tune") return tune::TuneMain(rest, out, err);
  err << "ebb: unknown command \"" << args[0] << "\"\n\n";
  Usage(err);
  return kExitBadInput;
}

}  // namespace ebb::cli
