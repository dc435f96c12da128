#include <ostream>

#include "controller/cli/commands.h"
#include "controller/decision/decider.h"
#include "controller/spec/decide_case.h"
#include "controller/spec/documents.h"

namespace ebb::cli {

int DecideCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string input;
  bool compact = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--input" || args[i] == "-i") && i + 1 < args.size()) {
      input = args[++i];
    } else if (args[i] == "--compact") {
      compact = true;
    } else {
      err << "ebb decide: unknown argument \"" << args[i] << "\"\n"
          << "usage: ebb decide --input case.json|- [--compact]\n";
      return kExitBadInput;
    }
  }
  if (input.empty()) {
    err << "ebb decide: --input is required (a file, or - for stdin)\n";
    return kExitBadInput;
  }
  auto docs = spec::LoadDocuments(input);
  if (!docs) {
    err << "ebb decide: " << docs.error().message << "\n";
    return kExitBadInput;
  }
  if (docs->size() != 1) {
    err << "ebb decide: " << input << ": expected one JSON document, found " << docs->size()
        << "\n";
    return kExitBadInput;
  }
  auto c = spec::ParseDecideCase(docs->front());
  if (!c) {
    err << "ebb decide: " << input << ": " << c.error().message << "\n";
    return kExitBadInput;
  }
  decision::DecisionState state = c->state;
  const decision::Decision d =
      decision::Decide(c->autoscaler.spec, c->settings, c->observation, state, c->now);
  out << spec::DecisionToJson(c->autoscaler, d, state).dump(compact ? -1 : 2) << "\n";
  return kExitOk;
}

}  // namespace ebb::cli
