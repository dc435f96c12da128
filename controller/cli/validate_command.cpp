#include <ostream>

#include "controller/cli/commands.h"
#include "controller/spec/autoscaler.h"

namespace ebb::cli {

int ValidateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-f" || args[i] == "--file") && i + 1 < args.size()) {
      files.push_back(args[++i]);
    } else {
      err << "ebb validate: unknown argument \"" << args[i]
          << "\"\nusage: ebb validate -f FILE...\n";
      return kExitBadInput;
    }
  }
  if (files.empty()) {
    err << "ebb validate: -f FILE is required\n";
    return kExitBadInput;
  }
  int rc = kExitOk;
  for (const auto& f : files) {
    std::vector<nlohmann::json> others;
    auto list = spec::LoadAutoscalers(f, &others);
    if (!list) {
      err << list.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    for (const auto& a : *list) {
      out << f << ": Autoscaler " << a.namespace_name << "/" << a.name << " is valid ("
          << a.spec.metrics.size() << " metric" << (a.spec.metrics.size() == 1 ? "" : "s") << ", "
          << a.spec.min_replicas << ".." << a.spec.max_replicas << " replicas)\n";
    }
  }
  return rc;
}

}  // namespace ebb::cli
