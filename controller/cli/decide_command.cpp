#include <ostream>

#include "controller/api/decide_case.h"
#include "controller/api/documents.h"
#include "controller/cli/commands.h"
#include "controller/cli/flags.h"
#include "controller/decision/decider.h"

namespace ebb::cli {

int DecideCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string input;
  bool compact = false;
  FlagSet flags(
      "ebb decide", {"ebb decide -f CASE.json|- [--compact]"},
      "One decision of the core, as JSON: the case holds the Autoscaler, the observation\n"
      "(replicas, readings, pods) and the state (docs/decide.md).");
  flags.Text("-f,-i,--filename,--input", "FILE", "the case, JSON or YAML (- for stdin)", &input)
      .Switch("--compact", "print the decision on one line", &compact);
  if (int rc = HandleParse(flags, flags.Parse(args), out, err); rc >= 0) return rc;
  if (input.empty()) {
    err << "ebb decide: -f FILE is required (a file, or - for stdin)\n(see ebb decide --help)\n";
    return kExitBadInput;
  }
  auto docs = api::LoadDocuments(input);
  if (!docs) {
    err << "ebb decide: " << docs.error().message << "\n";
    return kExitBadInput;
  }
  if (docs->size() != 1) {
    err << "ebb decide: " << input << ": expected one JSON document, found " << docs->size()
        << "\n";
    return kExitBadInput;
  }
  auto c = api::ParseDecideCase(docs->front());
  if (!c) {
    err << "ebb decide: " << input << ": " << c.error().message << "\n";
    return kExitBadInput;
  }
  decision::DecisionState state = c->state;
  const decision::Decision d =
      decision::Decide(c->autoscaler.spec, c->settings, c->observation, state, c->now);
  out << api::DecisionToJson(c->autoscaler, d, state).dump(compact ? -1 : 2) << "\n";
  return kExitOk;
}

}  // namespace ebb::cli
