#include <ostream>

#include "controller/cli/commands.h"
#include "controller/cli/version.h"
#ifdef EBB_HAVE_SIM
#include "controller/sim/simulate_command.h"
#endif
#ifdef EBB_HAVE_TUNE
#include "controller/tune/tune_command.h"
#endif

namespace ebb::cli {
namespace {

void Usage(std::ostream& o) {
  o << "ebb " << kVersion << " - a horizontal autoscaler for Kubernetes workloads\n\n"
    << "usage:\n"
    << "  ebb decide --input case.json|-        one decision as JSON (docs/decide.md)\n"
    << "  ebb simulate -f autoscaler.yaml --metrics recorded.csv [--out timeline.csv]\n"
    << "               [--report report.html] [--json] [--initial-replicas N]\n"
    << "                                         replay a recording (docs/simulate.md)\n"
    << "  ebb tune -f autoscaler.yaml --metrics recorded.csv\n"
    << "                                         cheapest settings meeting an SLO "
       "(docs/tuning.md)\n"
    << "  ebb validate -f autoscaler.yaml       check Autoscaler documents\n"
    << "  ebb run --once --dry-run -f autoscalers.yaml --replicas N\n"
    << "                                         read every metric now, decide, print JSON\n"
    << "  ebb --version\n";
}

}  // namespace

int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    Usage(args.empty() ? err : out);
    return args.empty() ? kExitBadInput : kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    out << "ebb " << kVersion << "\n";
    return kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "decide") return DecideCommand(rest, out, err);
  if (args[0] == "validate") return ValidateCommand(rest, out, err);
  if (args[0] == "run") return RunCommand(rest, out, err);
  if (args[0] == "convert") return ConvertCommand(rest, out, err);
#ifdef EBB_HAVE_SIM
  if (args[0] == "simulate") return sim::SimulateMain(rest, out, err);
#endif
#ifdef EBB_HAVE_TUNE
  if (args[0] == "tune") return tune::TuneMain(rest, out, err);
#endif
  err << "ebb: unknown command \"" << args[0] << "\"\n\n";
  Usage(err);
  return kExitBadInput;
}

}  // namespace ebb::cli
